//! Sans-IO media: G.711, RTP packetisation and 20 ms pacing, RFC 4733 DTMF.
//!
//! Nothing here reads the clock, opens a socket or draws its own randomness: the driver passes
//! `now` and an RNG in, sends the packets that come out, and sleeps until the next deadline.
//!
//! ```
//! use std::{sync::Arc, time::{Duration, Instant}};
//! use media::{Codec, DtmfReceiver, Playout, RtpSender, rtp};
//! use rand::SeedableRng;
//!
//! let mut rng = rand::rngs::StdRng::seed_from_u64(7);
//! let mut sender = RtpSender::new(&mut rng);
//! let prompt: Arc<[u8]> = Codec::Pcmu.encode(&[0i16; 8000]).into(); // one second of silence
//!
//! // The driver loop, here in simulated time.
//! let mut now = Instant::now();
//! let mut playout = Playout::new(prompt, Codec::Pcmu, false, now);
//! let mut sent = Vec::new();
//! while let Some(deadline) = playout.next_deadline() {
//!     now = deadline; // a real driver sleeps until the deadline, or until a packet arrives
//!     while let Some(packet) = playout.poll_transmit(now, &mut sender) {
//!         sent.push(packet); // a real driver sends it on the RTP socket
//!     }
//! }
//! assert_eq!(sent.len(), 50);
//!
//! // Incoming RTP: parse, route by payload type, feed telephone events to the DTMF receiver.
//! let mut dtmf = DtmfReceiver::new();
//! let mut far_end = RtpSender::new(&mut rng);
//! let keys: String = media::DtmfSender::new(101)
//!     .packets(&mut far_end, '5', Duration::from_millis(100))
//!     .unwrap()
//!     .iter()
//!     .filter_map(|p| {
//!         let view = rtp::parse(&p.packet).ok()?;
//!         dtmf.on_packet(now + p.offset, view.timestamp(), view.payload())
//!     })
//!     .collect();
//! assert_eq!(keys, "5");
//! ```

pub mod dtmf;
pub mod g711;
pub mod inband;
pub mod latch;
pub mod playout;
pub mod rtp;

pub use dtmf::{DtmfReceiver, DtmfSender, TelephoneEvent, char_to_event, event_to_char};
pub use playout::Playout;
pub use rtp::RtpSender;

/// The G.711 codecs we speak (RFC 3551 section 4.5.14), both with a static payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 µ-law, payload type 0.
    Pcmu,
    /// G.711 A-law, payload type 8.
    Pcma,
}

impl Codec {
    /// Every supported codec, in our default order of preference.
    pub const ALL: [Codec; 2] = [Codec::Pcmu, Codec::Pcma];

    /// Static RTP payload type (RFC 3551 section 6, table 4).
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// Encoding name as used in SDP `a=rtpmap` (RFC 3551 section 6).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    /// RTP clock rate in Hz.
    pub fn clock_rate(self) -> u32 {
        8000
    }

    /// The codec with this static payload type.
    pub fn from_payload_type(payload_type: u8) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|c| c.payload_type() == payload_type)
    }

    /// The codec with this encoding name (case-insensitive, RFC 4855 section 3).
    pub fn from_name(name: &str) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// The code of a zero sample, used to pad the last frame of a prompt.
    pub fn silence_byte(self) -> u8 {
        match self {
            Codec::Pcmu => 0xFF,
            Codec::Pcma => 0xD5,
        }
    }

    /// Encodes 16-bit linear samples, one byte per sample.
    pub fn encode(self, samples: &[i16]) -> Vec<u8> {
        let encode = match self {
            Codec::Pcmu => g711::linear_to_ulaw,
            Codec::Pcma => g711::linear_to_alaw,
        };
        samples.iter().map(|&s| encode(s)).collect()
    }

    /// Decodes bytes to 16-bit linear samples.
    pub fn decode(self, bytes: &[u8]) -> Vec<i16> {
        let decode = match self {
            Codec::Pcmu => g711::ulaw_to_linear,
            Codec::Pcma => g711::alaw_to_linear,
        };
        bytes.iter().map(|&b| decode(b)).collect()
    }
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Errors from parsing media received from the network or from misuse of the generators.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// Fewer bytes than the 12-byte fixed RTP header.
    #[error("rtp packet too short: {len} bytes")]
    RtpTooShort {
        /// Bytes received.
        len: usize,
    },
    /// Version field other than 2 (RFC 3550 section 5.1).
    #[error("unsupported rtp version {version}")]
    RtpVersion {
        /// The version found.
        version: u8,
    },
    /// CSRC list or header extension runs past the end of the packet.
    #[error("rtp headers truncated: need {header_len} bytes, have {buffer_len}")]
    RtpHeadersTruncated {
        /// Bytes the headers announce.
        header_len: usize,
        /// Bytes available.
        buffer_len: usize,
    },
    /// Padding length of zero or longer than the packet.
    #[error("invalid rtp padding length {len}")]
    RtpPadding {
        /// The padding length found.
        len: u8,
    },
    /// A telephone-event payload shorter than 4 bytes (RFC 4733 section 2.3).
    #[error("telephone-event payload too short: {len} bytes")]
    TelephoneEventTooShort {
        /// Bytes received.
        len: usize,
    },
    /// A character that is not a DTMF key.
    #[error("{key:?} is not a dtmf key")]
    NotADtmfKey {
        /// The character given.
        key: char,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_facts() {
        assert_eq!(Codec::Pcmu.payload_type(), 0);
        assert_eq!(Codec::Pcma.payload_type(), 8);
        assert_eq!(Codec::from_payload_type(8), Some(Codec::Pcma));
        assert_eq!(Codec::from_payload_type(18), None);
        assert_eq!(Codec::from_name("pcmu"), Some(Codec::Pcmu));
        assert_eq!(Codec::Pcma.clock_rate(), 8000);
        assert_eq!(Codec::Pcma.to_string(), "PCMA");
        for codec in Codec::ALL {
            assert_eq!(codec.encode(&[0]), [codec.silence_byte()]);
        }
    }

    #[test]
    fn encode_decode_keeps_shape() {
        let samples: Vec<i16> = (0..160)
            .map(|i| ((i as f64 / 10.0).sin() * 10_000.0) as i16)
            .collect();
        for codec in Codec::ALL {
            let decoded = codec.decode(&codec.encode(&samples));
            assert_eq!(decoded.len(), samples.len());
            for (a, b) in samples.iter().zip(&decoded) {
                // G.711 error is at most half a step, 1/32 of the magnitude in the top segment.
                assert!(
                    (i32::from(*a) - i32::from(*b)).abs() <= i32::from(a.unsigned_abs() / 16) + 16,
                    "{codec}: {a} vs {b}"
                );
            }
        }
    }
}
