//! Whatever the caller and the network do, a session never panics and always ends: random
//! inputs, then a silent caller, reach a terminal output within a bounded number of steps.
//! Also: the parser never panics, and its line numbers stay inside the file.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ivr::{Customer, HoursOverride, Input, LocalTime, Output, Script, Session, Weekday};
use proptest::prelude::*;

const IDENTIFYING: &str = "
hours office
  mon-fri 08:30-17:30
end
step start
  if closed office -> play out_of_hours; voicemail general
  identify ani
  if guest -> identify pin prompt ask_pin failures 2 digits 4
  goto main
end
menu main
  prompt main_menu
  1 -> goto sub
  2 -> queue two
  star -> goto main
  failure -> play goodbye; hangup
end
menu sub
  prompt sub_menu
  1 -> queue one
  0 -> goto main
  failure -> queue default
end
";

#[derive(Debug, Clone)]
enum Act {
    Digit(char),
    PlaybackFinished,
    TimeoutAtDeadline,
    EarlyTimeout,
    Identify(bool),
    Wait(u16),
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => prop::sample::select(vec!['0', '1', '2', '3', '5', '9', '*', '#', 'A']).prop_map(Act::Digit),
        3 => Just(Act::PlaybackFinished),
        2 => Just(Act::TimeoutAtDeadline),
        1 => Just(Act::EarlyTimeout),
        1 => any::<bool>().prop_map(Act::Identify),
        1 => (0u16..20_000).prop_map(Act::Wait),
    ]
}

fn is_terminal(o: &Output) -> bool {
    matches!(
        o,
        Output::Enqueue { .. } | Output::Hangup { .. } | Output::RecordVoicemail { .. }
    )
}

/// Runs `acts`, then a silent caller; returns the number of silent steps needed to end.
fn run(script: Arc<Script>, local: LocalTime, hours: HoursOverride, acts: &[Act]) -> usize {
    let mut s = Session::new(
        script,
        ivr::CallContext {
            caller: "+39055".to_string().into(),
            dialled: "800".into(),
            local_time: local,
            hours,
        },
    );
    let mut now = Instant::now();
    let mut deadline = None;
    let mut finished = false;
    let drain = |s: &mut Session, deadline: &mut Option<Instant>, finished: &mut bool| {
        while let Some(o) = s.poll_output() {
            assert!(!*finished, "output after a terminal one: {o:?}");
            *finished |= is_terminal(&o);
        }
        *deadline = s.poll_timeout();
    };
    s.handle_input(Input::Start(now)).unwrap();
    drain(&mut s, &mut deadline, &mut finished);
    for a in acts {
        if finished {
            break;
        }
        now += Duration::from_millis(100);
        let input = match a {
            Act::Digit(c) => Input::Digit(*c, now),
            Act::PlaybackFinished => Input::PlaybackFinished(now),
            Act::TimeoutAtDeadline => {
                now = deadline.unwrap_or(now).max(now);
                Input::Timeout(now)
            }
            Act::EarlyTimeout => Input::Timeout(now),
            Act::Identify(found) => Input::IdentifyResult(found.then(|| Customer {
                id: "c".into(),
                display_name: "n".to_string().into(),
            })),
            Act::Wait(ms) => {
                now += Duration::from_millis(u64::from(*ms));
                continue;
            }
        };
        // Misuse (an unrequested lookup result) is an error, never a panic.
        let _ = s.handle_input(input);
        drain(&mut s, &mut deadline, &mut finished);
    }
    // The caller goes silent: playbacks end, deadlines fire, lookups find nobody.
    let mut steps = 0;
    while !finished {
        steps += 1;
        assert!(steps <= 64, "session did not end: {:?}", s.path());
        now += Duration::from_secs(1);
        let input = match deadline {
            Some(d) => {
                now = now.max(d);
                Input::Timeout(now)
            }
            None => Input::PlaybackFinished(now),
        };
        s.handle_input(input).unwrap();
        drain(&mut s, &mut deadline, &mut finished);
        if !finished && deadline.is_none() {
            // Maybe a lookup is pending.
            if s.handle_input(Input::IdentifyResult(None)).is_ok() {
                drain(&mut s, &mut deadline, &mut finished);
            }
        }
    }
    assert!(s.is_finished());
    steps
}

fn weekday() -> impl Strategy<Value = Weekday> {
    prop::sample::select(Weekday::ALL.to_vec())
}

fn hours_override() -> impl Strategy<Value = HoursOverride> {
    prop::sample::select(vec![
        HoursOverride::FollowSchedule,
        HoursOverride::AlwaysOpen,
        HoursOverride::AlwaysClosed,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn toll_free_sessions_always_end(
        acts in prop::collection::vec(act(), 0..60),
        day in weekday(),
        minute in 0u16..1440,
        hours in hours_override(),
    ) {
        let local = LocalTime { weekday: day, minute_of_day: minute, date: None };
        run(common::toll_free(), local, hours, &acts);
    }

    #[test]
    fn identifying_sessions_always_end(
        acts in prop::collection::vec(act(), 0..80),
        day in weekday(),
        minute in 0u16..1500,
        hours in hours_override(),
    ) {
        let script = Arc::new(Script::parse("identify.ivr", IDENTIFYING).unwrap());
        let local = LocalTime { weekday: day, minute_of_day: minute, date: None };
        run(script, local, hours, &acts);
    }

    /// Deleting, duplicating or garbling lines of a valid script never panics the parser, and
    /// every diagnostic points inside the file.
    #[test]
    fn mutated_scripts_never_panic(
        edits in prop::collection::vec((0usize..64, 0u8..4, "[ -~]{0,12}"), 0..6),
    ) {
        let text = std::fs::read_to_string(common::TOLL_FREE).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (at, op, junk) in edits {
            let i = at % lines.len().max(1);
            match op {
                0 if !lines.is_empty() => { lines.remove(i); }
                1 if !lines.is_empty() => { let l = lines[i].clone(); lines.insert(i, l); }
                2 => lines.insert(i.min(lines.len()), junk),
                _ if !lines.is_empty() => lines[i].push_str(&junk),
                _ => {}
            }
        }
        let text = lines.join("\n");
        let n = lines.len().max(1);
        match Script::parse("m.ivr", &text) {
            Ok(script) => {
                for w in script.warnings() { prop_assert!(w.line >= 1 && w.line <= n); }
            }
            Err(e) => {
                prop_assert!(!e.errors().is_empty());
                for d in e.errors().iter().chain(e.warnings()) {
                    prop_assert!(d.line >= 1 && d.line <= n, "{d}");
                    let prefix = format!("m.ivr:{}: ", d.line);
                    prop_assert!(d.to_string().starts_with(&prefix));
                }
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(([a-z0-9_\\-:>;=\"#* ]{0,30})\n){0,20}") {
        let _ = Script::parse("a.ivr", &text);
    }
}
