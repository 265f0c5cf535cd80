//! Prompt library: 8 kHz WAV loading, G.711 pre-encoding
