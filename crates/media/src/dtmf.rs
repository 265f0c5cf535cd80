//! DTMF as RTP telephone events (RFC 4733).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::MediaError;
use crate::rtp::RtpSender;

/// Clock rate of `telephone-event/8000`, the rate we negotiate (RFC 4733 section 2.3.1).
const EVENT_CLOCK_RATE: u32 = 8000;

/// The 4-byte payload of one telephone-event packet (RFC 4733 section 2.3, figure 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TelephoneEvent {
    /// Event code: 0-9, 10 = `*`, 11 = `#`, 12-15 = A-D (RFC 4733 section 3.2).
    pub event: u8,
    /// The E bit: this packet reports the end of the event.
    pub end: bool,
    /// Power level in -dBm0, 0..=63 (6 bits; larger values are truncated on encode).
    pub volume: u8,
    /// Duration so far, in timestamp units, counted from the event's RTP timestamp.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Length of one event in a payload.
    pub const LEN: usize = 4;

    /// Parses the first event of a telephone-event payload. The R bit is ignored, as receivers
    /// must (RFC 4733 section 2.3.3).
    pub fn parse(payload: &[u8]) -> Result<Self, MediaError> {
        let &[event, flags, duration_high, duration_low, ..] = payload else {
            return Err(MediaError::TelephoneEventTooShort { len: payload.len() });
        };
        Ok(Self {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([duration_high, duration_low]),
        })
    }

    /// The 4-byte wire form.
    pub fn encode(&self) -> [u8; 4] {
        let flags = (u8::from(self.end) << 7) | (self.volume & 0x3F);
        let [high, low] = self.duration.to_be_bytes();
        [self.event, flags, high, low]
    }
}

/// The DTMF key for an event code, `None` for codes that are not keys (RFC 4733 section 3.2).
pub fn event_to_char(event: u8) -> Option<char> {
    Some(match event {
        0..=9 => char::from(b'0' + event),
        10 => '*',
        11 => '#',
        12..=15 => char::from(b'A' + event - 12),
        _ => return None,
    })
}

/// The event code for a DTMF key (`0-9`, `*`, `#`, `A-D`, lowercase accepted).
pub fn char_to_event(key: char) -> Option<u8> {
    Some(match key.to_ascii_uppercase() {
        digit @ '0'..='9' => digit as u8 - b'0',
        '*' => 10,
        '#' => 11,
        letter @ 'A'..='D' => letter as u8 - b'A' + 12,
        _ => return None,
    })
}

/// How long an event's timestamp is remembered, so that late retransmissions and the
/// redundant end packets of RFC 4733 section 2.5.1.4 are recognised as the same press.
const REMEMBER_FOR: Duration = Duration::from_secs(10);
/// At most this many recent events are remembered, so a flood cannot grow memory.
const REMEMBER_AT_MOST: usize = 32;
/// A non-end packet arriving this long after its timestamp's event ended is a new press that
/// reuses the timestamp (a sender that replays a recording, or restarts its clock), not a
/// late retransmission or a reordered packet, which would follow the end well within a second.
const REUSED_TIMESTAMP_GAP: Duration = Duration::from_secs(1);

/// Turns received telephone-event packets into key presses, each reported exactly once.
///
/// An event is identified by its RTP timestamp, which stays the same across all its packets
/// (RFC 4733 section 2.5.2.1: "a new event is recognised by a new timestamp"). The digit is
/// reported on the first packet seen for a timestamp, whether start, update or end, so a lost
/// start packet does not lose the key. Some senders (SIPp replaying a capture, phones whose RTP
/// clock restarted) reuse a timestamp for a later press: a non-end packet that comes more than
/// [`REUSED_TIMESTAMP_GAP`] after that timestamp's end packets is taken as a new press.
#[derive(Debug, Default)]
pub struct DtmfReceiver {
    recent: VecDeque<Recent>,
}

#[derive(Debug)]
struct Recent {
    timestamp: u32,
    last_seen: Instant,
    /// When the first end packet of the event arrived.
    ended_at: Option<Instant>,
}

impl DtmfReceiver {
    /// A receiver that has seen no events.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles one telephone-event RTP payload received at `now` with the packet's
    /// `rtp_timestamp`; returns the key when this packet starts a new press. Malformed payloads
    /// and non-key events (e.g. flash) return `None`.
    pub fn on_packet(&mut self, now: Instant, rtp_timestamp: u32, payload: &[u8]) -> Option<char> {
        let event = TelephoneEvent::parse(payload).ok()?;
        self.recent
            .retain(|r| now.saturating_duration_since(r.last_seen) < REMEMBER_FOR);
        if let Some(entry) = self
            .recent
            .iter_mut()
            .find(|r| r.timestamp == rtp_timestamp)
        {
            let reused = !event.end
                && entry
                    .ended_at
                    .is_some_and(|end| now.saturating_duration_since(end) > REUSED_TIMESTAMP_GAP);
            entry.last_seen = now;
            if !reused {
                if event.end && entry.ended_at.is_none() {
                    entry.ended_at = Some(now);
                }
                return None;
            }
            entry.ended_at = None;
            return event_to_char(event.event);
        }
        if self.recent.len() == REMEMBER_AT_MOST {
            self.recent.pop_front();
        }
        self.recent.push_back(Recent {
            timestamp: rtp_timestamp,
            last_seen: now,
            ended_at: event.end.then_some(now),
        });
        event_to_char(event.event)
    }
}

/// One packet of an outgoing event with the time to send it, counted from the press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledPacket {
    /// When to send this packet, relative to the first one.
    pub offset: Duration,
    /// The RTP packet.
    pub packet: Vec<u8>,
}

/// Generates the packets of a key press (RFC 4733 section 2.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfSender {
    /// The negotiated `telephone-event` payload type.
    pub payload_type: u8,
    /// Power level in -dBm0 put in every packet.
    pub volume: u8,
}

/// Interval between updates of a long event (RFC 4733 section 2.5.1.2 suggests 50 ms).
const UPDATE_INTERVAL: Duration = Duration::from_millis(50);
/// Number of end packets; RFC 4733 section 2.5.1.4 recommends sending the final packet three
/// times.
const END_REPEATS: usize = 3;

impl DtmfSender {
    /// A sender for `payload_type` at a typical level of 10 dBm0 below overload.
    pub fn new(payload_type: u8) -> Self {
        Self {
            payload_type,
            volume: 10,
        }
    }

    /// The telephone events of one press lasting `duration`, with the time each is due.
    ///
    /// The first has the marker semantics of a start, then updates follow every 50 ms, then
    /// three end packets carrying the final duration.
    pub fn events(
        &self,
        key: char,
        duration: Duration,
    ) -> Result<Vec<(Duration, TelephoneEvent)>, MediaError> {
        let event = char_to_event(key).ok_or(MediaError::NotADtmfKey { key })?;
        let total_units = duration_to_units(duration);
        let mut events = Vec::new();
        let mut at = Duration::ZERO;
        while at < duration {
            events.push((
                at,
                TelephoneEvent {
                    event,
                    end: false,
                    volume: self.volume,
                    duration: duration_to_units(at),
                },
            ));
            at += UPDATE_INTERVAL;
        }
        for _ in 0..END_REPEATS {
            events.push((
                duration,
                TelephoneEvent {
                    event,
                    end: true,
                    volume: self.volume,
                    duration: total_units,
                },
            ));
        }
        Ok(events)
    }

    /// The RTP packets of one press, all at the sender's current timestamp (RFC 4733 section
    /// 2.3.5), marker on the first (section 2.5.1.1); afterwards the sender's timestamp is
    /// advanced past the event so following audio does not overlap it.
    pub fn packets(
        &self,
        rtp: &mut RtpSender,
        key: char,
        duration: Duration,
    ) -> Result<Vec<ScheduledPacket>, MediaError> {
        let events = self.events(key, duration)?;
        let timestamp = rtp.timestamp;
        let packets = events
            .iter()
            .enumerate()
            .map(|(index, (offset, event))| ScheduledPacket {
                offset: *offset,
                packet: rtp.packet_at(self.payload_type, index == 0, &event.encode(), timestamp),
            })
            .collect();
        rtp.skip(u32::from(duration_to_units(duration)));
        Ok(packets)
    }
}

/// Converts a duration to 8 kHz timestamp units, saturating at the 16-bit field's maximum
/// (RFC 4733 section 2.5.1.3 splits longer events; key presses never get there).
fn duration_to_units(duration: Duration) -> u16 {
    let units = duration.as_millis() * u128::from(EVENT_CLOCK_RATE) / 1000;
    u16::try_from(units).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::parse;
    use proptest::prelude::*;

    #[test]
    fn keys_map_both_ways() {
        for (code, key) in "0123456789*#ABCD".chars().enumerate() {
            let code = u8::try_from(code).unwrap();
            assert_eq!(event_to_char(code), Some(key));
            assert_eq!(char_to_event(key), Some(code));
        }
        assert_eq!(char_to_event('a'), Some(12));
        assert_eq!(event_to_char(16), None);
        assert_eq!(char_to_event('E'), None);
    }

    #[test]
    fn parse_known_bytes() {
        // Digit 5, end, volume 10, duration 800 (100 ms).
        let event = TelephoneEvent::parse(&[5, 0x8A, 0x03, 0x20]).unwrap();
        assert_eq!(
            event,
            TelephoneEvent {
                event: 5,
                end: true,
                volume: 10,
                duration: 800
            }
        );
        // The reserved bit is ignored.
        assert_eq!(
            TelephoneEvent::parse(&[5, 0xCA, 0x03, 0x20]).unwrap(),
            event
        );
        assert!(matches!(
            TelephoneEvent::parse(&[5, 0x8A, 0x03]),
            Err(MediaError::TelephoneEventTooShort { len: 3 })
        ));
    }

    #[test]
    fn sender_sequence_is_start_updates_and_three_ends() {
        let sender = DtmfSender::new(101);
        let mut rtp = RtpSender {
            ssrc: 1,
            seq: 10,
            timestamp: 1000,
        };
        let packets = sender
            .packets(&mut rtp, '7', Duration::from_millis(120))
            .unwrap();
        let views: Vec<_> = packets.iter().map(|p| parse(&p.packet).unwrap()).collect();
        assert_eq!(views.len(), 3 + 3);
        assert!(views[0].mark());
        assert!(views[1..].iter().all(|v| !v.mark()));
        assert!(
            views
                .iter()
                .all(|v| v.timestamp() == 1000 && v.payload_type() == 101)
        );
        let events: Vec<_> = views
            .iter()
            .map(|v| TelephoneEvent::parse(v.payload()).unwrap())
            .collect();
        assert_eq!(
            events.iter().map(|e| e.duration).collect::<Vec<_>>(),
            [0, 400, 800, 960, 960, 960]
        );
        assert_eq!(events.iter().filter(|e| e.end).count(), 3);
        let offsets: Vec<_> = packets.iter().map(|p| p.offset.as_millis()).collect();
        assert_eq!(offsets, [0, 50, 100, 120, 120, 120]);
        assert_eq!(rtp.seq, 16);
        assert_eq!(rtp.timestamp, 1960);
        assert!(matches!(
            sender.packets(&mut rtp, 'x', Duration::from_millis(100)),
            Err(MediaError::NotADtmfKey { key: 'x' })
        ));
    }

    #[test]
    fn replayed_press_with_the_same_timestamp_is_a_new_press() {
        // SIPp's play_pcap_audio replays a capture with its original timestamps: the second
        // press of "1" carries the first press's timestamp. A retransmitted end right after
        // the end is still the same press.
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let start = TelephoneEvent {
            event: 1,
            end: false,
            volume: 10,
            duration: 0,
        }
        .encode();
        let end = TelephoneEvent {
            event: 1,
            end: true,
            volume: 10,
            duration: 800,
        }
        .encode();
        let mut rx = DtmfReceiver::new();
        assert_eq!(rx.on_packet(ms(0), 5000, &start), Some('1'));
        assert_eq!(rx.on_packet(ms(50), 5000, &start), None);
        assert_eq!(rx.on_packet(ms(100), 5000, &end), None);
        assert_eq!(rx.on_packet(ms(100), 5000, &end), None);
        assert_eq!(rx.on_packet(ms(120), 5000, &end), None);
        // A straggling update just after the end: still the same press.
        assert_eq!(rx.on_packet(ms(140), 5000, &start), None);
        // The replay, 1.5 s later.
        assert_eq!(rx.on_packet(ms(1600), 5000, &start), Some('1'));
        assert_eq!(rx.on_packet(ms(1650), 5000, &start), None);
        assert_eq!(rx.on_packet(ms(1700), 5000, &end), None);
    }

    #[test]
    fn receiver_reports_each_press_once() {
        let start = Instant::now();
        let sender = DtmfSender::new(101);
        let mut rtp = RtpSender {
            ssrc: 1,
            seq: 0,
            timestamp: 0,
        };
        let mut receiver = DtmfReceiver::new();
        let mut heard = String::new();
        for key in "5512#".chars() {
            for packet in sender
                .packets(&mut rtp, key, Duration::from_millis(100))
                .unwrap()
            {
                let view = parse(&packet.packet).unwrap();
                // Every packet delivered twice, as a duplicating network would.
                for _ in 0..2 {
                    heard.extend(receiver.on_packet(
                        start + packet.offset,
                        view.timestamp(),
                        view.payload(),
                    ));
                }
            }
        }
        assert_eq!(heard, "5512#");
        // Junk is ignored.
        assert_eq!(receiver.on_packet(start, 99, &[1, 2]), None);
    }

    #[test]
    fn receiver_forgets_old_events_and_bounds_memory() {
        let start = Instant::now();
        let mut receiver = DtmfReceiver::new();
        let digit_1 = TelephoneEvent {
            event: 1,
            end: false,
            volume: 10,
            duration: 0,
        }
        .encode();
        for ts in 0..100u32 {
            assert_eq!(receiver.on_packet(start, ts * 1000, &digit_1), Some('1'));
        }
        assert_eq!(receiver.recent.len(), REMEMBER_AT_MOST);
        assert_eq!(receiver.on_packet(start, 99_000, &digit_1), None);
        let later = start + REMEMBER_FOR + Duration::from_secs(1);
        assert_eq!(receiver.on_packet(later, 5, &digit_1), Some('1'));
        assert_eq!(receiver.recent.len(), 1);
    }

    proptest! {
        #[test]
        fn telephone_event_round_trip(event: u8, end: bool, volume in 0u8..=63, duration: u16) {
            let original = TelephoneEvent { event, end, volume, duration };
            prop_assert_eq!(TelephoneEvent::parse(&original.encode()).unwrap(), original);
        }

        #[test]
        fn telephone_event_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..8)) {
            if let Ok(event) = TelephoneEvent::parse(&bytes) {
                prop_assert_eq!(&event.encode()[..], &[bytes[0], bytes[1] & 0xBF, bytes[2], bytes[3]][..]);
            }
        }

        /// Any arrangement of one press's packets, duplicated and reordered, reports it once.
        #[test]
        fn one_event_reported_once(
            key in proptest::sample::select("0123456789*#ABCD".chars().collect::<Vec<_>>()),
            millis in 40u64..400,
            picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..40),
            timestamp: u32,
        ) {
            let sender = DtmfSender::new(101);
            let events = sender.events(key, Duration::from_millis(millis)).unwrap();
            let start = Instant::now();
            let mut receiver = DtmfReceiver::new();
            let mut reported = Vec::new();
            for (step, pick) in picks.iter().enumerate() {
                let (_, event) = pick.get(&events);
                let now = start + Duration::from_millis(u64::try_from(step).unwrap() * 7);
                reported.extend(receiver.on_packet(now, timestamp, &event.encode()));
            }
            prop_assert_eq!(reported, vec![key]);
        }
    }
}
