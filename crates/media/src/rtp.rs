//! RTP packetisation (RFC 3550) over [`rtp_rs`].

use rand::Rng;
use rtp_rs::{RtpPacketBuilder, RtpReader, RtpReaderError, Seq};

use crate::MediaError;

/// The sending half of one RTP stream: SSRC, next sequence number and current timestamp.
///
/// All three start random (RFC 3550 section 5.1: "the initial value of the sequence number
/// SHOULD be random", "the initial value of the timestamp SHOULD be random"; section 8.1 for the
/// SSRC), drawn from the RNG passed in so tests are reproducible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpSender {
    /// Synchronisation source identifier of this stream.
    pub ssrc: u32,
    /// Sequence number of the next packet.
    pub seq: u16,
    /// RTP timestamp of the next packet, in clock-rate units.
    pub timestamp: u32,
}

impl RtpSender {
    /// A sender with random SSRC, initial sequence number and initial timestamp.
    pub fn new(rng: &mut impl Rng) -> Self {
        Self {
            ssrc: rng.random(),
            seq: rng.random(),
            timestamp: rng.random(),
        }
    }

    /// Builds the next packet at the current timestamp, then advances the sequence number by one
    /// and the timestamp by `samples` (the number of samples the payload covers).
    ///
    /// # Panics
    /// If `payload_type` is above 127: the field has 7 bits (RFC 3550 section 5.1). Payload types
    /// come from our own configuration or a negotiated SDP, which never yields such a value.
    pub fn packet(
        &mut self,
        payload_type: u8,
        marker: bool,
        payload: &[u8],
        samples: u32,
    ) -> Vec<u8> {
        let packet = self.packet_at(payload_type, marker, payload, self.timestamp);
        self.timestamp = self.timestamp.wrapping_add(samples);
        packet
    }

    /// Builds the next packet with an explicit timestamp and advances only the sequence number.
    ///
    /// Used for RFC 4733 events, whose packets all carry the timestamp of the event's start
    /// (RFC 4733 section 2.3.5).
    ///
    /// # Panics
    /// If `payload_type` is above 127, as [`RtpSender::packet`].
    pub fn packet_at(
        &mut self,
        payload_type: u8,
        marker: bool,
        payload: &[u8],
        timestamp: u32,
    ) -> Vec<u8> {
        assert!(
            payload_type <= 127,
            "RTP payload type {payload_type} does not fit 7 bits"
        );
        let packet = RtpPacketBuilder::new()
            .payload_type(payload_type)
            .marked(marker)
            .sequence(Seq::from(self.seq))
            .ssrc(self.ssrc)
            .timestamp(timestamp)
            .payload(payload)
            .build()
            .expect("payload type was checked and there is no extension, so the build cannot fail");
        self.seq = self.seq.wrapping_add(1);
        packet
    }

    /// Advances the timestamp by `samples` without sending, so that the next packet's timestamp
    /// reflects the time that passed (RFC 3550 section 5.1: the timestamp follows the sampling
    /// clock, the sequence number counts packets sent).
    pub fn skip(&mut self, samples: u32) {
        self.timestamp = self.timestamp.wrapping_add(samples);
    }
}

/// Parses an RTP packet received from the network into a zero-copy view.
///
/// Junk (too short, wrong version, truncated CSRC list or extension, bad padding) is an error,
/// never a panic.
pub fn parse(packet: &[u8]) -> Result<RtpReader<'_>, MediaError> {
    RtpReader::new(packet).map_err(|error| match error {
        RtpReaderError::BufferTooShort(len) => MediaError::RtpTooShort { len },
        RtpReaderError::UnsupportedVersion(version) => MediaError::RtpVersion { version },
        RtpReaderError::HeadersTruncated {
            header_len,
            buffer_len,
        } => MediaError::RtpHeadersTruncated {
            header_len,
            buffer_len,
        },
        RtpReaderError::PaddingLengthInvalid(len) => MediaError::RtpPadding { len },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn sender_is_random_but_reproducible() {
        let a = RtpSender::new(&mut ChaCha8Rng::seed_from_u64(1));
        let b = RtpSender::new(&mut ChaCha8Rng::seed_from_u64(1));
        let c = RtpSender::new(&mut ChaCha8Rng::seed_from_u64(2));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn sequence_and_timestamp_wrap() {
        let mut sender = RtpSender {
            ssrc: 7,
            seq: u16::MAX,
            timestamp: u32::MAX - 100,
        };
        let first = sender.packet(0, true, &[0xFF; 160], 160);
        let second = sender.packet(0, false, &[0xFF; 160], 160);
        let first = parse(&first).unwrap();
        let second = parse(&second).unwrap();
        assert_eq!(u16::from(first.sequence_number()), u16::MAX);
        assert_eq!(u16::from(second.sequence_number()), 0);
        assert_eq!(first.timestamp(), u32::MAX - 100);
        assert_eq!(second.timestamp(), 59);
        assert!(first.mark());
        assert!(!second.mark());
    }

    #[test]
    fn junk_is_an_error() {
        assert!(matches!(
            parse(&[]),
            Err(MediaError::RtpTooShort { len: 0 })
        ));
        assert!(matches!(
            parse(&[0u8; 12]),
            Err(MediaError::RtpVersion { version: 0 })
        ));
        // Version 2 with 15 CSRCs announced but none present.
        let mut truncated = [0u8; 12];
        truncated[0] = 0x8F;
        assert!(matches!(
            parse(&truncated),
            Err(MediaError::RtpHeadersTruncated { .. })
        ));
        // Padding flag with a zero padding length.
        let mut padded = [0u8; 13];
        padded[0] = 0xA0;
        assert!(matches!(
            parse(&padded),
            Err(MediaError::RtpPadding { len: 0 })
        ));
    }

    proptest! {
        #[test]
        fn build_parse_round_trip(
            ssrc: u32, seq: u16, timestamp: u32, samples: u32,
            payload_type in 0u8..=127, marker: bool,
            payload in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            let mut sender = RtpSender { ssrc, seq, timestamp };
            let bytes = sender.packet(payload_type, marker, &payload, samples);
            let view = parse(&bytes).unwrap();
            prop_assert_eq!(view.ssrc(), ssrc);
            prop_assert_eq!(u16::from(view.sequence_number()), seq);
            prop_assert_eq!(view.timestamp(), timestamp);
            prop_assert_eq!(view.payload_type(), payload_type);
            prop_assert_eq!(view.mark(), marker);
            prop_assert_eq!(view.payload(), &payload[..]);
            prop_assert_eq!(sender.seq, seq.wrapping_add(1));
            prop_assert_eq!(sender.timestamp, timestamp.wrapping_add(samples));
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(view) = parse(&bytes) {
                let _ = (view.payload(), view.extension(), view.padding(), view.csrc().count());
            }
        }
    }
}
