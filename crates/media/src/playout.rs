//! 20 ms pacing of pre-encoded G.711 prompts into RTP packets.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Codec;
use crate::rtp::RtpSender;

/// Packetisation interval: 20 ms, the default `ptime` for G.711 (RFC 3551 section 4.5).
pub const FRAME_DURATION: Duration = Duration::from_millis(20);
/// Samples (and G.711 bytes) per 20 ms frame at 8 kHz.
pub const SAMPLES_PER_FRAME: usize = 160;
/// A frame further behind schedule than this is skipped rather than sent: the driver woke far
/// too late, and a burst of stale audio would only overflow the far end's jitter buffer.
pub const MAX_LATENESS: Duration = Duration::from_millis(200);

/// Plays a sequence of G.711 prompts as RTP, one 160-sample frame every 20 ms.
///
/// Sans-IO: the driver calls [`Playout::poll_transmit`] with the current time until it returns
/// `None`, then sleeps until [`Playout::next_deadline`].
///
/// Prompts in a sequence are played back to back, frames spanning prompt boundaries, so "you are
/// caller number" + "3" sounds as one sentence. The last frame is padded with the codec's
/// silence. A looped playout wraps to the first prompt without a gap (hold music).
#[derive(Debug, Clone)]
pub struct Playout {
    prompts: Vec<Arc<[u8]>>,
    codec: Codec,
    looped: bool,
    /// Position of the next byte to send: prompt index and offset within it.
    prompt: usize,
    offset: usize,
    /// When the next frame is due; `None` once finished.
    due: Option<Instant>,
    /// The next packet starts a talkspurt and carries the marker bit (RFC 3551 section 4.1).
    marker_pending: bool,
    frames_sent: u64,
    frames_skipped: u64,
}

impl Playout {
    /// Plays one prompt, starting at `now`.
    pub fn new(audio: Arc<[u8]>, codec: Codec, looped: bool, now: Instant) -> Self {
        Self::sequence(vec![audio], codec, looped, now)
    }

    /// Plays several prompts back to back, starting at `now`. Empty prompts are skipped; if all
    /// are empty the playout is finished at once.
    pub fn sequence(prompts: Vec<Arc<[u8]>>, codec: Codec, looped: bool, now: Instant) -> Self {
        let prompts: Vec<_> = prompts.into_iter().filter(|p| !p.is_empty()).collect();
        let due = (!prompts.is_empty()).then_some(now);
        Self {
            prompts,
            codec,
            looped,
            prompt: 0,
            offset: 0,
            due,
            marker_pending: true,
            frames_sent: 0,
            frames_skipped: 0,
        }
    }

    /// The codec the prompts are encoded in.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// When the next packet is due, `None` once finished.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.due
    }

    /// All audio was sent (never true for a looped playout).
    pub fn is_finished(&self) -> bool {
        self.due.is_none()
    }

    /// Frames sent so far.
    pub fn frames_sent(&self) -> u64 {
        self.frames_sent
    }

    /// Frames dropped because the driver woke more than [`MAX_LATENESS`] late.
    pub fn frames_skipped(&self) -> u64 {
        self.frames_skipped
    }

    /// The next packet if one is due at `now`. Call again until `None`: after a late wake-up
    /// several packets are due at once. Frames more than [`MAX_LATENESS`] behind are skipped, and
    /// the sender's timestamp advances over them so it keeps following the 8 kHz clock
    /// (RFC 3550 section 5.1).
    pub fn poll_transmit(&mut self, now: Instant, sender: &mut RtpSender) -> Option<Vec<u8>> {
        let mut due = self.due?;
        while now.saturating_duration_since(due) > MAX_LATENESS {
            if self.next_frame().is_none() {
                self.due = None;
                return None;
            }
            sender.skip(SAMPLES_PER_FRAME as u32);
            self.frames_skipped += 1;
            if self.at_end() {
                self.due = None;
                return None;
            }
            due += FRAME_DURATION;
            self.due = Some(due);
        }
        if due > now {
            return None;
        }
        let Some(frame) = self.next_frame() else {
            self.due = None;
            return None;
        };
        let marker = std::mem::take(&mut self.marker_pending);
        let packet = sender.packet(
            self.codec.payload_type(),
            marker,
            &frame,
            SAMPLES_PER_FRAME as u32,
        );
        self.frames_sent += 1;
        self.due = if self.at_end() {
            None
        } else {
            Some(due + FRAME_DURATION)
        };
        Some(packet)
    }

    /// No audio left to send.
    fn at_end(&self) -> bool {
        !self.looped && self.prompt >= self.prompts.len()
    }

    /// Takes the next 160 bytes, crossing prompt boundaries, wrapping if looped, padding the
    /// final frame with silence. `None` if nothing is left.
    fn next_frame(&mut self) -> Option<Vec<u8>> {
        if self.at_end() || self.prompts.is_empty() {
            return None;
        }
        let mut frame = Vec::with_capacity(SAMPLES_PER_FRAME);
        while frame.len() < SAMPLES_PER_FRAME {
            if self.prompt >= self.prompts.len() {
                if self.looped {
                    self.prompt = 0;
                } else {
                    frame.resize(SAMPLES_PER_FRAME, self.codec.silence_byte());
                    break;
                }
            }
            let audio = &self.prompts[self.prompt];
            let take = (SAMPLES_PER_FRAME - frame.len()).min(audio.len() - self.offset);
            frame.extend_from_slice(&audio[self.offset..self.offset + take]);
            self.offset += take;
            if self.offset == audio.len() {
                self.prompt += 1;
                self.offset = 0;
            }
        }
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::parse;

    fn sender() -> RtpSender {
        RtpSender {
            ssrc: 0x1234,
            seq: 65_500,
            timestamp: u32::MAX - 1000,
        }
    }

    /// Runs a playout as a driver would, waking exactly at each deadline.
    fn drive(playout: &mut Playout, sender: &mut RtpSender) -> Vec<(Instant, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(deadline) = playout.next_deadline() {
            while let Some(packet) = playout.poll_transmit(deadline, sender) {
                out.push((deadline, packet));
            }
        }
        out
    }

    #[test]
    fn one_second_is_fifty_packets() {
        let start = Instant::now();
        let audio: Arc<[u8]> = (0..8000).map(|i| (i % 251) as u8).collect();
        let mut playout = Playout::new(audio.clone(), Codec::Pcmu, false, start);
        let mut rtp = sender();
        let packets = drive(&mut playout, &mut rtp);
        assert_eq!(packets.len(), 50);
        assert!(playout.is_finished());
        let mut replay = Vec::new();
        for (index, (at, bytes)) in packets.iter().enumerate() {
            let view = parse(bytes).unwrap();
            let index32 = u32::try_from(index).unwrap();
            assert_eq!(*at, start + FRAME_DURATION * index32);
            assert_eq!(
                view.sequence_number(),
                rtp_rs::Seq::from(65_500u16.wrapping_add(index as u16))
            );
            assert_eq!(
                view.timestamp(),
                (u32::MAX - 1000).wrapping_add(160 * index32)
            );
            assert_eq!(view.mark(), index == 0);
            assert_eq!(view.payload_type(), 0);
            assert_eq!(view.ssrc(), 0x1234);
            replay.extend_from_slice(view.payload());
        }
        assert_eq!(&replay[..], &audio[..]);
    }

    #[test]
    fn nothing_before_deadline() {
        let start = Instant::now();
        let mut playout = Playout::new(Arc::from(vec![1u8; 480]), Codec::Pcma, false, start);
        let mut rtp = sender();
        assert!(playout.poll_transmit(start, &mut rtp).is_some());
        assert!(playout.poll_transmit(start, &mut rtp).is_none());
        assert!(
            playout
                .poll_transmit(start + Duration::from_millis(19), &mut rtp)
                .is_none()
        );
        assert_eq!(playout.next_deadline(), Some(start + FRAME_DURATION));
    }

    #[test]
    fn last_frame_is_padded_with_silence() {
        for (codec, silence) in [(Codec::Pcmu, 0xFF), (Codec::Pcma, 0xD5)] {
            let start = Instant::now();
            let mut playout = Playout::new(Arc::from(vec![1u8; 200]), codec, false, start);
            let packets = drive(&mut playout, &mut sender());
            assert_eq!(packets.len(), 2);
            let last = parse(&packets[1].1).unwrap();
            assert_eq!(last.payload().len(), 160);
            assert!(last.payload()[..40].iter().all(|&b| b == 1));
            assert!(last.payload()[40..].iter().all(|&b| b == silence));
            assert_eq!(last.payload_type(), codec.payload_type());
        }
    }

    #[test]
    fn sequence_spans_prompt_boundaries() {
        let start = Instant::now();
        let prompts: Vec<Arc<[u8]>> = vec![
            Arc::from(vec![1u8; 100]),
            Arc::from(vec![]),
            Arc::from(vec![2u8; 100]),
        ];
        let mut playout = Playout::sequence(prompts, Codec::Pcmu, false, start);
        let packets = drive(&mut playout, &mut sender());
        assert_eq!(packets.len(), 2);
        let first = parse(&packets[0].1).unwrap();
        assert_eq!(&first.payload()[..100], &[1u8; 100][..]);
        assert_eq!(&first.payload()[100..], &[2u8; 60][..]);
        let second = parse(&packets[1].1).unwrap();
        assert_eq!(&second.payload()[..40], &[2u8; 40][..]);
        assert!(second.payload()[40..].iter().all(|&b| b == 0xFF));
    }

    #[test]
    fn empty_playout_is_finished() {
        let mut playout =
            Playout::sequence(vec![Arc::from(vec![])], Codec::Pcmu, true, Instant::now());
        assert!(playout.is_finished());
        assert_eq!(playout.next_deadline(), None);
        assert!(
            playout
                .poll_transmit(Instant::now(), &mut sender())
                .is_none()
        );
    }

    #[test]
    fn looped_playout_wraps_without_gap() {
        let start = Instant::now();
        let audio: Arc<[u8]> = (0..100u8).collect();
        let mut playout = Playout::new(audio, Codec::Pcmu, true, start);
        let mut rtp = sender();
        let mut bytes = Vec::new();
        for frame in 0..10u32 {
            let now = start + FRAME_DURATION * frame;
            let packet = playout.poll_transmit(now, &mut rtp).unwrap();
            let view = parse(&packet).unwrap();
            assert_eq!(view.mark(), frame == 0);
            bytes.extend_from_slice(view.payload());
        }
        assert!(!playout.is_finished());
        assert_eq!(bytes.len(), 1600);
        assert!(
            bytes
                .iter()
                .enumerate()
                .all(|(i, &b)| usize::from(b) == i % 100)
        );
    }

    #[test]
    fn slightly_late_wake_up_catches_up_in_a_burst() {
        let start = Instant::now();
        let mut playout = Playout::new(Arc::from(vec![7u8; 8000]), Codec::Pcmu, false, start);
        let mut rtp = sender();
        let first_ts = rtp.timestamp;
        // Wake 150 ms late after the first frame: frames at 20..=160 ms are all due.
        assert!(playout.poll_transmit(start, &mut rtp).is_some());
        let late = start + Duration::from_millis(170);
        let burst: Vec<_> = std::iter::from_fn(|| playout.poll_transmit(late, &mut rtp)).collect();
        assert_eq!(burst.len(), 8);
        assert_eq!(playout.frames_skipped(), 0);
        for (index, packet) in burst.iter().enumerate() {
            let view = parse(packet).unwrap();
            assert_eq!(
                view.timestamp(),
                first_ts.wrapping_add(160 * (index as u32 + 1))
            );
            assert!(!view.mark());
        }
        assert_eq!(
            playout.next_deadline(),
            Some(start + Duration::from_millis(180))
        );
    }

    #[test]
    fn very_late_wake_up_skips_stale_frames_and_keeps_timestamps() {
        let start = Instant::now();
        let mut playout = Playout::new(Arc::from(vec![7u8; 8000]), Codec::Pcmu, false, start);
        let mut rtp = sender();
        let first_ts = rtp.timestamp;
        let first_seq = rtp.seq;
        assert!(playout.poll_transmit(start, &mut rtp).is_some());
        // Wake 500 ms late: frames due at 20..=280 ms are more than 200 ms late and are skipped;
        // those due at 300..=500 ms (11 frames) are sent in a burst.
        let late = start + Duration::from_millis(500);
        let burst: Vec<_> = std::iter::from_fn(|| playout.poll_transmit(late, &mut rtp)).collect();
        assert_eq!(burst.len(), 11);
        assert_eq!(playout.frames_skipped(), 14);
        let first = parse(&burst[0]).unwrap();
        // The timestamp of the frame due at 300 ms: 15 frames after the first.
        assert_eq!(first.timestamp(), first_ts.wrapping_add(160 * 15));
        // Sequence numbers have no gap: nothing was lost on the wire.
        assert_eq!(
            u16::from(first.sequence_number()),
            first_seq.wrapping_add(1)
        );
        // Everything still adds up to one second of audio.
        let rest = drive(&mut playout, &mut rtp);
        assert_eq!(1 + burst.len() + rest.len() + 14, 50);
        assert!(playout.is_finished());
    }

    #[test]
    fn very_late_wake_up_after_the_end_finishes() {
        let start = Instant::now();
        let mut playout = Playout::new(Arc::from(vec![7u8; 320]), Codec::Pcmu, false, start);
        let mut rtp = sender();
        assert!(
            playout
                .poll_transmit(start + Duration::from_secs(5), &mut rtp)
                .is_none()
        );
        assert!(playout.is_finished());
        assert_eq!(playout.frames_skipped(), 2);
    }
}
