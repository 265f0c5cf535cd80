//! Sans-IO media: G.711, RTP packetisation and 20 ms pacing, RFC 4733 DTMF
