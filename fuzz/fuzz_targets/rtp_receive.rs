//! The receive path of an RTP leg on a stream of datagrams, as the engine's media driver runs
//! it: RTP parsing, the source latch (symmetric RTP with probation, `media::latch`) and RFC 4733
//! telephone events into the DTMF receiver.
//!
//! centralino has no RTCP parser yet (README: "no RTCP"), so this is the RTP-adjacent parsing
//! that exists. Checks: never a panic; once latched, the latch accepts that source only; a
//! latch that is not behind NAT never accepts another host than the signalled one; a key is
//! reported only for an accepted, well-formed telephone-event packet, and it is that event's key;
//! RFC 4733 events encode back to what was parsed.
//!
//! Input: a first byte of settings, then records of `[source, gap, length]` followed by
//! `length` bytes of datagram.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use media::latch::{SourceLatch, Verdict};
use media::{Codec, DtmfReceiver, TelephoneEvent, event_to_char, rtp};

const TELEPHONE_EVENT: u8 = 101;

fn source(pick: u8) -> SocketAddr {
    // Sources 0-3 share the signalled host (different ports); the others are strangers.
    let host = if pick % 8 < 4 {
        [192, 0, 2, 10]
    } else {
        [198, 51, 100, pick % 8]
    };
    SocketAddr::from((host, 4000 + u16::from(pick % 4)))
}

fuzz_target!(|data: &[u8]| {
    let Some((&settings, mut rest)) = data.split_first() else {
        return;
    };
    let nat = settings & 1 != 0;
    let signalled = (settings & 2 != 0).then(|| source(0));
    let mut latch = SourceLatch::new(signalled, nat);
    let mut dtmf = DtmfReceiver::new();
    let mut now = Instant::now();

    while let [from, gap, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (packet, next) = tail.split_at(len);
        rest = next;
        now += Duration::from_millis(u64::from(*gap) * 10);
        let from = source(*from);

        let Ok(view) = rtp::parse(packet) else {
            continue;
        };
        let pt = view.payload_type();
        if pt != TELEPHONE_EVENT && Codec::from_payload_type(pt).is_none() {
            continue; // not our RTP: dropped before the latch, as the driver does
        }
        let was_latched = latch.latched();
        let verdict = latch.on_packet(from, view.ssrc(), u16::from(view.sequence_number()));
        if let Some(latched) = was_latched {
            assert_eq!(
                verdict == Verdict::Accept,
                from == latched,
                "a latched leg accepts its source only"
            );
            assert_eq!(latch.latched(), Some(latched), "a latch never moves");
        }
        if !nat && verdict == Verdict::Accept {
            assert_eq!(
                Some(from.ip()),
                signalled.map(|s| s.ip()),
                "without NAT only the signalled host"
            );
        }
        if verdict != Verdict::Accept || pt != TELEPHONE_EVENT {
            continue;
        }
        let payload = view.payload();
        let event = TelephoneEvent::parse(payload);
        if let Ok(event) = event {
            let encoded = event.encode();
            assert_eq!(TelephoneEvent::parse(&encoded), Ok(event));
            assert_eq!(encoded[0], payload[0]);
        }
        if let Some(key) = dtmf.on_packet(now, view.timestamp(), payload) {
            let event = event.expect("a key comes from a well-formed event");
            assert_eq!(Some(key), event_to_char(event.event));
        }
    }
});
