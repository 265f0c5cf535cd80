//! SDP parsing, printing and offer/answer for G.711 audio with telephone-event (RFC 4566, RFC 3264)
