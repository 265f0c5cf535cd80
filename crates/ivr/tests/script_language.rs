//! The script language: every construct parses and runs, every error names its line.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Call, context, office_hours, play};
use ivr::{
    Customer, HangupReason, HoursOverride, IdentifyMethod, Input, Output, PathStep, Problem,
    Script, ScriptErrors, Severity, Weekday,
};

fn parse(text: &str) -> Script {
    Script::parse("test.ivr", text).unwrap_or_else(|e| panic!("{e}"))
}

fn errors(text: &str) -> ScriptErrors {
    match Script::parse("test.ivr", text) {
        Ok(_) => panic!("the script was accepted"),
        Err(e) => e,
    }
}

/// (line, message) of every error.
fn error_lines(text: &str) -> Vec<(usize, String)> {
    errors(text)
        .errors()
        .iter()
        .map(|d| (d.line, d.problem.to_string()))
        .collect()
}

fn warning_lines(text: &str) -> Vec<(usize, String)> {
    parse(text)
        .warnings()
        .iter()
        .map(|d| (d.line, d.problem.to_string()))
        .collect()
}

const EVERYTHING: &str = r#"
# Every construct of the language.
hours office
  mon-fri 08:30-12:30, 14:00-17:30
  sat 09:00 - 12:00      # spaces around the dash are fine
end

step start
  if closed office -> goto closed
  play welcome privacy_notice
  set channel = phone
  set category = "Buste paga"
  identify ani
  if guest -> identify pin prompt ask_pin invalid pin_unknown failures 3 timeout 4s digits 5
  if identified -> set caller = known
  goto main
end

menu main
  prompt main_menu
  invalid sorry
  timeout 8s
  failures 3
  1 "Personnel" -> set service_area = personnel; queue personnel
  2 Technology support -> queue technology
  star -> goto main
  hash -> voicemail general beep tone max 60s
  0 -> hangup
  failure -> play goodbye; hangup
end

step closed
  play out_of_hours
  voicemail after-hours
end
"#;

#[test]
fn every_construct_parses() {
    let script = parse(EVERYTHING);
    assert!(script.warnings().is_empty(), "{:?}", script.warnings());
    let prompts: Vec<_> = script.prompts_used().into_iter().collect();
    assert_eq!(
        prompts,
        [
            "ask_pin",
            "goodbye",
            "invalid_choice",
            "main_menu",
            "out_of_hours",
            "pin_unknown",
            "privacy_notice",
            "sorry",
            "tone",
            "voicemail_beep",
            "welcome"
        ]
    );
    let queues: Vec<_> = script.queues_used().into_iter().collect();
    assert_eq!(queues, ["personnel", "technology"]);
    let boxes: Vec<_> = script.mailboxes_used().into_iter().collect();
    assert_eq!(boxes, ["after-hours", "general"]);
    let office = script.schedule("office").unwrap();
    assert_eq!(office.ranges(Weekday::Wed), &[(510, 750), (840, 1050)]);
    assert_eq!(office.ranges(Weekday::Sat), &[(540, 720)]);
    assert_eq!(office.ranges(Weekday::Sun), &[]);
    assert_eq!(
        script.block_names().collect::<Vec<_>>(),
        ["start", "main", "closed"]
    );
}

fn everything() -> Arc<Script> {
    Arc::new(parse(EVERYTHING))
}

#[test]
fn identification_by_ani_then_pin_with_retries() {
    let mut call = Call::new(everything(), office_hours());
    assert_eq!(
        call.start(),
        vec![play(&["welcome", "privacy_notice"], false)]
    );
    let out = call.played(5);
    assert_eq!(out.len(), 1);
    let Output::IdentifyCaller { method, input } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(*method, IdentifyMethod::Ani);
    assert_eq!(input.expose(), "+390551234567");
    assert_eq!(format!("{input:?}"), "<redacted>");
    // Not found by number: ask for the PIN.
    assert_eq!(
        call.input(Input::IdentifyResult(None)),
        vec![play(&["ask_pin"], true)]
    );
    // Barge in with a PIN of five digits: the fifth ends the entry.
    assert_eq!(call.press('1'), vec![Output::StopPlayback]);
    assert_eq!(call.deadline, Some(call.now + Duration::from_secs(4)));
    for k in ['2', '3', '4'] {
        assert_eq!(call.press(k), vec![]);
    }
    let out = call.press('5');
    assert!(
        matches!(&out[..], [Output::IdentifyCaller { method: IdentifyMethod::Pin, input }] if input.expose() == "12345"),
        "{out:?}"
    );
    // Wrong PIN: sorry, ask again.
    assert_eq!(
        call.input(Input::IdentifyResult(None)),
        vec![play(&["pin_unknown", "ask_pin"], true)]
    );
    call.played(2);
    call.press('9');
    let out = call.press('#');
    assert!(matches!(&out[..], [Output::IdentifyCaller { input, .. }] if input.expose() == "9"));
    let customer = Customer {
        id: "C-42".into(),
        display_name: "Maria Rossi".to_string().into(),
    };
    assert_eq!(
        call.input(Input::IdentifyResult(Some(customer.clone()))),
        vec![play(&["main_menu"], true)]
    );
    assert_eq!(call.session.data().customer, Some(customer));
    assert_eq!(call.session.data().get("caller"), Some("known"));
    assert_eq!(call.session.data().get("category"), Some("Buste paga"));
    assert_eq!(
        call.session.data().path_text(),
        "start > office:open > guest > identified > main"
    );
}

#[test]
fn pin_failures_end_as_guest() {
    let mut call = Call::new(everything(), office_hours());
    call.start();
    call.played(5);
    call.input(Input::IdentifyResult(None));
    call.played(2);
    // Silence: a failure without a lookup, three times (failures 3).
    assert_eq!(
        call.wait_for_timeout(),
        vec![play(&["pin_unknown", "ask_pin"], true)]
    );
    call.played(2);
    assert_eq!(
        call.wait_for_timeout(),
        vec![play(&["pin_unknown", "ask_pin"], true)]
    );
    call.played(2);
    call.press('7');
    let out = call.wait_for_timeout();
    assert!(matches!(&out[..], [Output::IdentifyCaller { input, .. }] if input.expose() == "7"));
    // Third failure: continue as guest, `if identified` does not fire.
    assert_eq!(
        call.input(Input::IdentifyResult(None)),
        vec![play(&["main_menu"], true)]
    );
    assert_eq!(call.session.data().customer, None);
    assert_eq!(call.session.data().get("caller"), None);
    assert_eq!(
        call.session.data().path.last(),
        Some(&PathStep::Enter("main".into()))
    );
}

#[test]
fn ani_match_skips_the_pin() {
    let mut call = Call::new(everything(), office_hours());
    call.start();
    call.played(5);
    let customer = Customer {
        id: "C-1".into(),
        display_name: "x".to_string().into(),
    };
    assert_eq!(
        call.input(Input::IdentifyResult(Some(customer))),
        vec![play(&["main_menu"], true)]
    );
}

fn to_main_menu() -> Call {
    let mut call = Call::new(everything(), office_hours());
    call.start();
    call.played(5);
    call.input(Input::IdentifyResult(Some(Customer {
        id: "C-1".into(),
        display_name: "x".to_string().into(),
    })));
    call.played(3);
    call
}

#[test]
fn menu_settings_apply() {
    let mut call = to_main_menu();
    assert_eq!(call.deadline, Some(call.now + Duration::from_secs(8)));
    // failures 3: two replays with the `invalid` prompt, the third failure runs `failure`.
    assert_eq!(call.press('5'), vec![play(&["sorry", "main_menu"], true)]);
    call.played(3);
    assert_eq!(
        call.wait_for_timeout(),
        vec![play(&["sorry", "main_menu"], true)]
    );
    call.played(3);
    assert_eq!(call.press('6'), vec![play(&["goodbye"], false)]);
    assert_eq!(
        call.played(1),
        vec![Output::Hangup {
            reason: HangupReason::TooManyInvalidInputs
        }]
    );
}

#[test]
fn star_repeats_the_menu_and_resets_failures() {
    let mut call = to_main_menu();
    call.press('5');
    call.played(3);
    assert_eq!(call.press('*'), vec![play(&["main_menu"], true)]);
    call.played(3);
    call.press('5');
    call.played(3);
    // Only two failures since the menu was entered again: still replaying.
    assert_eq!(call.press('5'), vec![play(&["sorry", "main_menu"], true)]);
}

#[test]
fn voicemail_is_terminal_with_the_data() {
    let mut call = to_main_menu();
    let out = call.press('#');
    match &out[..] {
        [
            Output::RecordVoicemail {
                mailbox,
                beep,
                max,
                data,
            },
        ] => {
            assert_eq!(mailbox, "general");
            assert_eq!(beep, "tone");
            assert_eq!(*max, Duration::from_secs(60));
            assert_eq!(data.choices[0].label, "#", "no label: the key");
        }
        other => panic!("{other:?}"),
    }
    assert!(call.session.is_finished());
}

#[test]
fn labels_may_be_unquoted_or_missing() {
    let mut call = to_main_menu();
    call.press('2');
    assert_eq!(call.session.data().choices[0].label, "Technology support");
    let mut call = to_main_menu();
    let out = call.press('0');
    assert_eq!(
        out,
        vec![Output::Hangup {
            reason: HangupReason::ScriptEnd
        }]
    );
    assert_eq!(call.session.data().choices[0].label, "0");
}

#[test]
fn closed_hours_go_to_the_voicemail_step() {
    let mut call = Call::new(
        everything(),
        context(Weekday::Sat, 13, 0, HoursOverride::FollowSchedule),
    );
    assert_eq!(call.start(), vec![play(&["out_of_hours"], false)]);
    let out = call.played(9);
    assert!(
        matches!(&out[..], [Output::RecordVoicemail { mailbox, .. }] if mailbox == "after-hours")
    );
    // Saturday morning is open.
    let mut call = Call::new(
        everything(),
        context(Weekday::Sat, 11, 59, HoursOverride::FollowSchedule),
    );
    assert_eq!(
        call.start(),
        vec![play(&["welcome", "privacy_notice"], false)]
    );
}

#[test]
fn if_open_without_leaving_continues() {
    let script = Arc::new(parse(
        "hours h\n daily 00:00-24:00\nend\nstep start\n if open h -> set open = yes\n play x\n hangup\nend\n",
    ));
    let mut call = Call::new(script, office_hours());
    assert_eq!(call.start(), vec![play(&["x"], false)]);
    assert_eq!(call.session.data().get("open"), Some("yes"));
}

#[test]
fn set_replaces_in_place() {
    let script = Arc::new(parse(
        "step start\n set a = 1\n set b = 2\n set a = 3\n queue q\nend\n",
    ));
    let mut call = Call::new(script, office_hours());
    let out = call.start();
    let [Output::Enqueue { data, .. }] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(
        data.fields,
        vec![("a".into(), "3".into()), ("b".into(), "2".into())]
    );
}

// ------------------------------------------------------------------ errors

#[test]
fn error_display_is_file_line_reason() {
    let e = errors("step start\n  jump main\nend\n");
    assert_eq!(
        e.to_string(),
        "test.ivr:2: unknown keyword `jump` (expected play, set, identify, if, goto, queue, voicemail or hangup)"
    );
    assert_eq!(e.file(), "test.ivr");
    assert_eq!(e.errors()[0].severity, Severity::Error);
}

#[test]
fn all_errors_are_reported_in_line_order() {
    let text = "\
hours office
  mon-fri 08:30-25:00
end
step start
  if closed offce -> hangup
  play welcome
  goto mian
end
menu main
  prompt main_menu
  1 -> queue a
  1 -> queue b
  frobnicate
end
";
    let lines = error_lines(text);
    assert_eq!(
        lines,
        vec![
            (
                2,
                "`08:30-25:00` is not a time range: write `08:30-17:30` (hh:mm-hh:mm, 00:00 to 24:00)"
                    .to_string()
            ),
            (5, "no hours named `offce`".to_string()),
            (7, "goto `mian`: no step or menu is named `mian`".to_string()),
            (9, "menu `main` has no failure action: add `failure -> ...` for wrong or missing keys".to_string()),
            (12, "key 1 is already used at line 11".to_string()),
            (
                13,
                "unknown keyword `frobnicate` (in a menu: prompt, invalid, timeout, failures, failure or a key 0-9, star, hash)"
                    .to_string()
            ),
        ]
    );
    let e = errors(text);
    assert_eq!(e.to_string().lines().count(), 6);
    assert!(e.to_string().lines().all(|l| l.starts_with("test.ivr:")));
}

#[test]
fn block_structure_errors() {
    assert_eq!(
        error_lines("step start\n  hangup\n"),
        vec![(1, "block `start` opened at line 1 has no `end`".into())]
    );
    assert_eq!(
        error_lines("step start\n  hangup\nstep other\n hangup\nend\nend\n"),
        vec![
            (1, "block `start` opened at line 1 has no `end`".into()),
            (6, "`end` without an open block".into())
        ]
    );
    assert_eq!(
        error_lines("play welcome\nstep start\n hangup\nend\n"),
        vec![(1, "`play` must be inside a step or menu block".into())]
    );
    assert_eq!(
        error_lines("welcome\nstep start\n hangup\nend\n"),
        vec![(
            1,
            "unknown keyword `welcome` (expected hours, step or menu)".into()
        )]
    );
    assert_eq!(
        error_lines("step main\n hangup\nend\n"),
        vec![(
            1,
            "no block named `start`: calls begin at `step start` or `menu start`".into()
        )]
    );
    assert_eq!(
        error_lines(
            "step start\n goto a\nend\nstep a\n hangup\nend\nmenu a\n prompt p\n 1 -> hangup\n failure -> hangup\nend\n"
        ),
        vec![(7, "`a` is already defined at line 4".into())]
    );
    assert_eq!(
        error_lines("step start bad\n hangup\nend\n"),
        vec![(1, "expected the end of the line, found `bad`".into())]
    );
    assert_eq!(
        error_lines("step st@rt\n hangup\nend\nstep start\n hangup\nend\n"),
        vec![(
            1,
            "`st@rt` is not a valid name: use letters, digits, `_` and `-`".into()
        )]
    );
    assert_eq!(
        error_lines("step start\n hangup\nend extra\n"),
        vec![(3, "expected the end of the line, found `extra`".into())]
    );
}

#[test]
fn step_must_leave() {
    assert_eq!(
        error_lines("step start\n  play welcome\nend\n"),
        vec![(
            1,
            "step `start` can run past its last line: end it with goto, queue, voicemail or hangup"
                .into()
        )]
    );
    // An `if` that leaves does not count: the condition may be false.
    assert_eq!(
        error_lines("hours h\n daily 08:00-09:00\nend\nstep start\n  if open h -> hangup\nend\n")
            .len(),
        1
    );
    assert_eq!(
        error_lines("menu start\n prompt p\n 1 -> play x\n failure -> hangup\nend\n"),
        vec![(
            3,
            "the actions after `->` must end with goto, queue, voicemail or hangup".into()
        )]
    );
}

#[test]
fn menu_completeness() {
    assert_eq!(
        error_lines("menu start\nend\n"),
        vec![
            (1, "menu `start` has no prompt: add `prompt NAME`".into()),
            (1, "menu `start` has no choices: add lines like `1 \"Label\" -> queue NAME`".into()),
            (1, "menu `start` has no failure action: add `failure -> ...` for wrong or missing keys".into()),
        ]
    );
    assert_eq!(
        error_lines("menu start\n prompt a\n prompt b\n 1 -> hangup\n failure -> hangup\nend\n"),
        vec![(3, "`prompt` is set twice in this menu".into())]
    );
    assert_eq!(
        error_lines(
            "menu start\n prompt a\n 12 -> hangup\n failure -> hangup\n 3 -> hangup\nend\n"
        ),
        vec![(
            3,
            "`12` is not a key: use 0-9, `*` (or `star`) and `hash` (or `\"#\"`)".into()
        )]
    );
    assert_eq!(
        error_lines(
            "menu start\n prompt a\n 1 -> hangup\n failure -> hangup\n star -> hangup\n * -> hangup\nend\n"
        ),
        vec![(6, "key * is already used at line 5".into())]
    );
    assert_eq!(
        error_lines("menu start\n prompt a\n 1 hangup\n failure -> hangup\nend\n"),
        vec![(3, "expected `->` at the end of the line".into())]
    );
}

#[test]
fn bad_values() {
    let menu = |setting: &str| {
        error_lines(&format!(
            "menu start\n prompt a\n {setting}\n 1 -> hangup\n failure -> hangup\nend\n"
        ))
    };
    assert_eq!(
        menu("timeout 5"),
        vec![(
            3,
            "`5` is not a duration: write e.g. `5s`, `1500ms` or `2m` (1s to 60s)".into()
        )]
    );
    assert_eq!(
        menu("timeout 2m"),
        vec![(
            3,
            "`2m` is not a duration: write e.g. `5s`, `1500ms` or `2m` (1s to 60s)".into()
        )]
    );
    assert_eq!(
        menu("failures 0"),
        vec![(3, "`0` is not a number from 1 to 9".into())]
    );
    assert_eq!(
        menu("invalid"),
        vec![(3, "expected a prompt name at the end of the line".into())]
    );
    let step = |line: &str| error_lines(&format!("step start\n {line}\n hangup\nend\n"));
    assert_eq!(step("set a b"), vec![(2, "expected `=`, found `b`".into())]);
    assert_eq!(
        step("set a ="),
        vec![(2, "expected a value at the end of the line".into())]
    );
    assert_eq!(
        step("play \"welcome"),
        vec![(2, "unterminated quoted text: add the closing `\"`".into())]
    );
    assert_eq!(
        step("identify face"),
        vec![(2, "expected `ani` or `pin`, found `face`".into())]
    );
    assert_eq!(
        step("identify pin"),
        vec![(
            2,
            "`identify pin` needs `prompt NAME` to ask for the PIN".into()
        )]
    );
    assert_eq!(
        step("identify ani prompt x"),
        vec![(2, "expected the end of the line, found `prompt`".into())]
    );
    assert_eq!(
        step("if sunny -> hangup"),
        vec![(
            2,
            "expected `open NAME`, `closed NAME`, `identified` or `guest`, found `sunny`".into()
        )]
    );
    assert_eq!(
        step("if guest hangup"),
        vec![(2, "expected `->`, found `hangup`".into())]
    );
    assert_eq!(
        step("if guest -> if identified -> hangup"),
        vec![(
            2,
            "`if` cannot follow `->`: use a step and `goto` for it".into()
        )]
    );
    assert_eq!(
        step("voicemail general max 1h"),
        vec![(
            2,
            "`1h` is not a duration: write e.g. `5s`, `1500ms` or `2m` (5s to 10m)".into()
        )]
    );
}

#[test]
fn closed_days_and_public_holidays_close_the_whole_day() {
    let script = Arc::new(parse(
        "hours office\n mon-fri 08:30-17:30\n closed 12-24, 2026-08-14\n holidays it\nend\n\
         step start\n if closed office -> play shut; hangup\n play open\n hangup\nend\n",
    ));
    let schedule = script.schedule("office").unwrap();
    assert_eq!(schedule.public_holidays(), Some(ivr::PublicHolidays::Italy));
    assert_eq!(schedule.closed_days().len(), 2);
    let at = |y, m, d| {
        let mut ctx = office_hours();
        ctx.local_time = ctx.local_time.on(ivr::Date::new(y, m, d).unwrap());
        ctx
    };
    let first_prompt = |ctx| {
        let mut call = Call::new(script.clone(), ctx);
        call.start()
            .into_iter()
            .find_map(|o| match o {
                Output::Play { prompts, .. } => Some(prompts.join(" ")),
                _ => None,
            })
            .unwrap()
    };
    // Tuesday 10:00 on ordinary days, Christmas Eve, a one-off closure, Easter Monday
    // (the ctx takes the date's own weekday: all of these are weekdays).
    assert_eq!(first_prompt(at(2026, 12, 22)), "open");
    assert_eq!(first_prompt(at(2026, 12, 24)), "shut");
    assert_eq!(first_prompt(at(2026, 8, 14)), "shut");
    assert_eq!(first_prompt(at(2027, 8, 13)), "open");
    assert_eq!(first_prompt(at(2026, 4, 6)), "shut");
    assert_eq!(first_prompt(at(2026, 4, 7)), "open");
}

#[test]
fn bad_hours() {
    let hours = |line: &str| {
        error_lines(&format!(
            "hours h\n {line}\nend\nstep start\n if open h -> hangup\n hangup\nend\n"
        ))
    };
    assert_eq!(
        hours("mon-fry 08:00-12:00"),
        vec![(2, "`mon-fry` is not a day or day range: use mon, tue, wed, thu, fri, sat, sun, e.g. `mon-fri` or `mon,wed`".into())]
    );
    assert_eq!(
        hours("mon 17:30-08:30"),
        vec![(
            2,
            "opening time 17:30 is not before closing time 08:30: split ranges that cross midnight"
                .into()
        )]
    );
    assert_eq!(
        hours("mon 8-12"),
        vec![(
            2,
            "`8-12` is not a time range: write `08:30-17:30` (hh:mm-hh:mm, 00:00 to 24:00)".into()
        )]
    );
    assert_eq!(
        hours("mon"),
        vec![(
            2,
            "expected opening times like `08:30-17:30` at the end of the line".into()
        )]
    );
    assert_eq!(
        hours("mon-fri 08:00-13:00 12:00-18:00"),
        vec![(
            2,
            "time ranges 08:00-13:00 and 12:00-18:00 overlap on mon".into()
        )]
    );
    assert_eq!(
        hours("closed 12-32"),
        vec![(
            2,
            "`12-32` is not a date: write `MM-DD` for every year or `YYYY-MM-DD` for one day"
                .into()
        )]
    );
    assert_eq!(
        hours("closed 2026-02-29"),
        vec![(
            2,
            "`2026-02-29` is not a date: write `MM-DD` for every year or `YYYY-MM-DD` for one day"
                .into()
        )]
    );
    assert_eq!(
        hours("closed"),
        vec![(
            2,
            "expected dates like `12-25` (every year) or `2026-12-24` (that day) at the end of the line"
                .into()
        )]
    );
    assert_eq!(
        hours("holidays fr"),
        vec![(2, "no public holidays known for `fr` (known: `it`)".into())]
    );
    assert_eq!(
        hours("weekdays 08:00-13:00"),
        vec![(2, "unknown keyword `weekdays` (in hours: days like `mon-fri` followed by times like `08:30-17:30`)".into())]
    );
    assert_eq!(
        error_lines("hours h\nend\nhours h\nend\nstep start\n if open h -> hangup\n hangup\nend\n"),
        vec![(3, "`h` is already defined at line 1".into())]
    );
}

#[test]
fn silent_loops_are_refused() {
    assert_eq!(
        error_lines(
            "step start\n goto a\nend\nstep a\n play x\n goto b\nend\nstep b\n goto a\nend\n"
        ),
        vec![(
            4,
            "the call can loop forever without the caller pressing a key: a -> b -> a".into()
        )]
    );
    // A menu whose failure goes back to itself never ends for a silent caller.
    assert_eq!(
        error_lines("menu start\n prompt p\n 1 -> hangup\n failure -> goto start\nend\n"),
        vec![(
            1,
            "the call can loop forever without the caller pressing a key: start -> start".into()
        )]
    );
    // Going back on a key is fine: the caller chose it.
    parse("menu start\n prompt p\n 1 -> goto start\n failure -> hangup\nend\n");
}

#[test]
fn warnings_do_not_refuse_the_script() {
    assert_eq!(
        warning_lines(
            "step start\n hangup\n play x\nend\nstep lost\n hangup\nend\nhours h\n mon 08:00-09:00\nend\n"
        ),
        vec![
            (
                3,
                "this line is never reached: the line before always leaves".into()
            ),
            (5, "block `lost` is never reached from `start`".into()),
            (8, "hours `h` are never used".into()),
        ]
    );
    assert_eq!(
        warning_lines(
            "menu start\n prompt p\n 1 -> goto sub\n failure -> hangup\nend\nmenu sub\n prompt q\n 1 -> queue a\n failure -> play bye; hangup\nend\n"
        ),
        vec![(
            6,
            "sub-menu `sub` hangs up on failure: route it to the area's default queue instead"
                .into()
        )]
    );
    let script = parse("step start\n hangup\n play x\nend\n");
    let w = &script.warnings()[0];
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!(
        w.to_string(),
        "test.ivr:3: warning: this line is never reached: the line before always leaves"
    );
    // Warnings travel with the errors too.
    let e = errors("step start\n hangup\n play x\n bogus\nend\n");
    assert_eq!(e.errors().len(), 1);
    assert_eq!(e.warnings().len(), 1);
}

#[test]
fn problems_are_matchable() {
    let e = errors("step start\n goto nowhere\nend\n");
    assert!(matches!(
        &e.errors()[0].problem,
        Problem::UndefinedTarget { target } if target == "nowhere"
    ));
}

#[test]
fn windows_line_endings_bom_and_tabs() {
    let script = parse("\u{feff}step start\r\n\tplay welcome\r\n\tqueue q # done\r\nend\r\n");
    assert_eq!(script.queues_used().len(), 1);
}
