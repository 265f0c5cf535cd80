//! Sequence fuzzing of an IVR session on the shipped toll-free script: each byte is one input
//! (key, playback end, timeout, lookup result, time passing). Never a panic, no output after a
//! terminal one.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ivr::{
    CallContext, Customer, HoursOverride, Input, LocalTime, Output, Script, Session, Weekday,
};
use libfuzzer_sys::fuzz_target;

static SCRIPT: OnceLock<Arc<Script>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let script = SCRIPT.get_or_init(|| {
        let text = include_str!("../../ivr-scripts/toll-free.ivr");
        Arc::new(Script::parse("toll-free.ivr", text).expect("the shipped script is valid"))
    });
    let (first, rest) = data.split_first().unwrap_or((&0, &[]));
    let local = LocalTime {
        weekday: Weekday::ALL[usize::from(*first % 7)],
        minute_of_day: u16::from(*first) * 6,
    };
    let hours = match first % 3 {
        0 => HoursOverride::FollowSchedule,
        1 => HoursOverride::AlwaysOpen,
        _ => HoursOverride::AlwaysClosed,
    };
    let mut s = Session::new(
        Arc::clone(script),
        CallContext {
            caller: "+39".to_string().into(),
            dialled: "800".into(),
            local_time: local,
            hours,
        },
    );
    let mut now = Instant::now();
    let _ = s.handle_input(Input::Start(now));
    let mut done = false;
    for &b in rest {
        now += Duration::from_millis(u64::from(b) * 50);
        let input = match b % 6 {
            0 => Input::Digit(
                ['0', '1', '2', '3', '9', '*', '#', 'x'][usize::from(b / 6 % 8)],
                now,
            ),
            1 => Input::PlaybackFinished(now),
            2 | 3 => Input::Timeout(now),
            4 => Input::IdentifyResult(None),
            _ => Input::IdentifyResult(Some(Customer {
                id: "c".into(),
                display_name: "n".to_string().into(),
            })),
        };
        let _ = s.handle_input(input);
        while let Some(o) = s.poll_output() {
            assert!(!done, "output after the end: {o:?}");
            done |= matches!(
                o,
                Output::Enqueue { .. } | Output::Hangup { .. } | Output::RecordVoicemail { .. }
            );
        }
    }
});
