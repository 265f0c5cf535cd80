//! RTP packet parsing, RFC 4733 telephone-event parsing and the DTMF receiver on arbitrary
//! input: never a panic.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use media::{DtmfReceiver, TelephoneEvent, rtp};

fuzz_target!(|data: &[u8]| {
    // The whole input as one RTP packet.
    if let Ok(view) = rtp::parse(data) {
        let _ = (
            view.payload(),
            view.extension(),
            view.padding(),
            view.csrc().count(),
        );
        let _ = (
            view.ssrc(),
            view.timestamp(),
            view.sequence_number(),
            view.mark(),
        );
        if let Ok(event) = TelephoneEvent::parse(view.payload()) {
            assert_eq!(TelephoneEvent::parse(&event.encode()), Ok(event));
        }
    }

    // The input as a stream of (timestamp, payload) records for the DTMF receiver: it reports
    // a timestamp at most once while it remembers it.
    let start = Instant::now();
    let mut receiver = DtmfReceiver::new();
    let mut reported = Vec::new();
    for (index, record) in data.chunks(9).enumerate() {
        let [t0, t1, t2, t3, gap, payload @ ..] = record else {
            break;
        };
        let timestamp = u32::from_be_bytes([*t0, *t1, *t2, *t3]);
        let now = start + Duration::from_millis(u64::from(*gap) * index as u64);
        if receiver.on_packet(now, timestamp, payload).is_some() {
            reported.push((timestamp, now));
        }
    }
    let _ = reported;
});
