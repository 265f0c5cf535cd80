//! Any text given to the IVR script parser is parsed or refused with line-numbered errors,
//! never a panic; every diagnostic points inside the file.
//!
//! A script that parses is then run: the bytes after the first NUL drive one call through it
//! (keys, playback ends, timeouts at the session's own deadline, look-up results, time). The
//! validator refuses scripts that could loop without the caller (silent loops) or reach a
//! missing block, so a call on a valid script never ends with `HangupReason::ScriptError`, and
//! nothing comes out after the call's terminal output.
#![no_main]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ivr::{
    CallContext, Customer, HangupReason, HoursOverride, Input, LocalTime, Output, Script, Session,
    Weekday,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (text, events) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let lines = text.lines().count().max(1);
    let script = match Script::parse("fuzz.ivr", text) {
        Ok(script) => {
            let _ = script.prompts_used();
            let _ = script.queues_used();
            let _ = script.mailboxes_used();
            assert!(
                script
                    .warnings()
                    .iter()
                    .all(|w| w.line >= 1 && w.line <= lines)
            );
            script
        }
        Err(e) => {
            assert!(!e.errors().is_empty());
            assert!(e.errors().iter().all(|d| d.line >= 1 && d.line <= lines));
            let _ = e.to_string();
            return;
        }
    };
    run_call(Arc::new(script), events);
});

fn run_call(script: Arc<Script>, events: &[u8]) {
    let (first, rest) = events.split_first().unwrap_or((&0, &[]));
    let hours = match first % 3 {
        0 => HoursOverride::FollowSchedule,
        1 => HoursOverride::AlwaysOpen,
        _ => HoursOverride::AlwaysClosed,
    };
    let mut session = Session::new(
        script,
        CallContext {
            caller: "+390551234567".to_string().into(),
            dialled: "800123456".into(),
            local_time: LocalTime {
                weekday: Weekday::ALL[usize::from(*first % 7)],
                minute_of_day: u16::from(*first) * 6 % 1440,
            },
            hours,
        },
    );
    let mut now = Instant::now();
    session
        .handle_input(Input::Start(now))
        .expect("a new session starts");
    let mut done = drain(&mut session, false);
    for &b in rest.iter().take(512) {
        if done {
            break;
        }
        now += Duration::from_millis(u64::from(b >> 4) * 100);
        let input = match b % 8 {
            0..=2 => Input::Digit(
                ['0', '1', '2', '3', '9', '*', '#', 'A'][usize::from(b / 8 % 8)],
                now,
            ),
            3 | 4 => Input::PlaybackFinished(now),
            5 => {
                now = now.max(session.poll_timeout().unwrap_or(now));
                Input::Timeout(now)
            }
            6 => Input::IdentifyResult(None),
            _ => Input::IdentifyResult(Some(Customer {
                id: "c1".into(),
                display_name: "Ada".to_string().into(),
            })),
        };
        // Inputs the state does not expect are refused with an error, never a panic.
        let _ = session.handle_input(input);
        done = drain(&mut session, done);
    }
}

fn drain(session: &mut Session, mut done: bool) -> bool {
    while let Some(output) = session.poll_output() {
        assert!(!done, "output after the end: {output:?}");
        if let Output::Hangup { reason } = &output {
            assert_ne!(
                *reason,
                HangupReason::ScriptError,
                "a valid script ran into an error"
            );
        }
        done |= matches!(
            output,
            Output::Enqueue { .. } | Output::Hangup { .. } | Output::RecordVoicemail { .. }
        );
    }
    done
}
