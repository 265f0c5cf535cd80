//! Golden test of the shipped `ivr-scripts/toll-free.ivr`: every path of the DOMAIN.md tree,
//! in simulated time.

mod common;

use std::time::Duration;

use common::{Call, context, office_hours, play, toll_free};
use ivr::{HangupReason, HoursOverride, MenuChoice, Output, PathStep, Weekday};

fn enqueued(out: &[Output]) -> (&str, &ivr::CallData) {
    match out.last() {
        Some(Output::Enqueue { queue, data }) => (queue, data),
        other => panic!("expected an enqueue, got {other:?}"),
    }
}

/// Start a call in office hours and get to the main menu prompt.
fn at_main_menu() -> Call {
    let mut call = Call::guest(toll_free(), office_hours());
    assert_eq!(call.start(), vec![play(&["welcome"], false)]);
    assert_eq!(call.played(4), vec![play(&["main_menu"], true)]);
    assert_eq!(
        call.deadline, None,
        "no digit timeout while the menu prompt plays"
    );
    call
}

#[test]
fn shipped_script_uses_the_agreed_prompts_and_queues() {
    let script = toll_free();
    assert!(script.warnings().is_empty(), "{:?}", script.warnings());
    let prompts: Vec<String> = script.prompts_used().into_iter().collect();
    assert_eq!(
        prompts,
        [
            "enter_pin",
            "goodbye",
            "identify_failed",
            "invalid_choice",
            "main_menu",
            "out_of_hours",
            "personnel_menu",
            "please_hold",
            "welcome"
        ]
    );
    let queues: Vec<String> = script.queues_used().into_iter().collect();
    assert_eq!(
        queues,
        [
            "applications",
            "personnel",
            "personnel-info",
            "personnel-tech",
            "technology"
        ]
    );
    let office = script.schedule("office").expect("office hours declared");
    assert_eq!(office.ranges(Weekday::Mon), &[(510, 1050)]);
    assert_eq!(office.ranges(Weekday::Sat), &[]);
}

#[test]
fn personnel_then_information_reaches_personnel_info_with_the_choices() {
    let mut call = at_main_menu();
    assert_eq!(call.played(6), vec![]);
    assert_eq!(call.deadline, Some(call.now + Duration::from_secs(5)));
    assert_eq!(call.press('1'), vec![play(&["personnel_menu"], true)]);
    assert_eq!(call.played(5), vec![]);
    assert_eq!(call.press('1'), vec![play(&["please_hold"], false)]);
    let out = call.played(2);
    let (queue, data) = enqueued(&out);
    assert_eq!(queue, "personnel-info");
    assert_eq!(
        data.fields,
        vec![
            ("service_area".to_string(), "personnel".to_string()),
            ("request_type".to_string(), "information".to_string())
        ]
    );
    assert_eq!(
        data.choices,
        vec![
            MenuChoice {
                menu: "main".into(),
                key: '1',
                label: "Personnel services".into()
            },
            MenuChoice {
                menu: "personnel".into(),
                key: '1',
                label: "Administrative information".into()
            },
        ]
    );
    assert_eq!(data.customer, None);
    assert_eq!(
        data.path_text(),
        "start > office:open > guest > main > main:1 > personnel > personnel:1"
    );
    assert!(call.session.is_finished());
}

#[test]
fn personnel_then_technical_reaches_personnel_tech() {
    let mut call = at_main_menu();
    call.played(6);
    call.press('1');
    call.played(5);
    call.press('2');
    let out = call.played(2);
    let (queue, data) = enqueued(&out);
    assert_eq!(queue, "personnel-tech");
    assert_eq!(data.get("request_type"), Some("technical"));
}

#[test]
fn technology_and_applications_have_their_queues() {
    for (key, queue, area) in [
        ('2', "technology", "technology"),
        ('3', "applications", "applications"),
    ] {
        let mut call = at_main_menu();
        call.played(6);
        assert_eq!(call.press(key), vec![play(&["please_hold"], false)]);
        let out = call.played(2);
        let (q, data) = enqueued(&out);
        assert_eq!(q, queue);
        assert_eq!(data.get("service_area"), Some(area));
        assert_eq!(data.get("request_type"), None);
    }
}

#[test]
fn two_invalid_keys_at_the_top_say_goodbye_and_hang_up() {
    let mut call = at_main_menu();
    call.played(6);
    assert_eq!(
        call.press('9'),
        vec![play(&["invalid_choice", "main_menu"], true)]
    );
    call.played(7);
    assert_eq!(call.press('7'), vec![play(&["goodbye"], false)]);
    assert_eq!(
        call.played(2),
        vec![Output::Hangup {
            reason: HangupReason::TooManyInvalidInputs
        }]
    );
    assert_eq!(
        call.session.data().path_text(),
        "start > office:open > guest > main > main:invalid(9) > main:invalid(7) > main:failure"
    );
}

#[test]
fn two_timeouts_at_the_top_hang_up() {
    let mut call = at_main_menu();
    call.played(6);
    assert_eq!(
        call.wait_for_timeout(),
        vec![play(&["invalid_choice", "main_menu"], true)]
    );
    assert_eq!(call.deadline, None);
    call.played(7);
    assert_eq!(call.wait_for_timeout(), vec![play(&["goodbye"], false)]);
    assert_eq!(
        call.played(2),
        vec![Output::Hangup {
            reason: HangupReason::TooManyInvalidInputs
        }]
    );
    assert!(call.session.data().path.contains(&PathStep::NoInput {
        menu: "main".into()
    }));
}

#[test]
fn an_early_timeout_input_changes_nothing() {
    let mut call = at_main_menu();
    call.played(6);
    let deadline = call.deadline.unwrap();
    call.now += Duration::from_secs(1);
    assert_eq!(call.input(ivr::Input::Timeout(call.now)), vec![]);
    assert_eq!(call.deadline, Some(deadline));
}

#[test]
fn one_invalid_key_then_a_valid_one_continues() {
    let mut call = at_main_menu();
    call.played(6);
    call.press('0');
    call.played(7);
    assert_eq!(call.press('2'), vec![play(&["please_hold"], false)]);
    let out = call.played(2);
    assert_eq!(enqueued(&out).0, "technology");
}

#[test]
fn personnel_submenu_failure_goes_to_the_default_group() {
    let mut call = at_main_menu();
    call.played(6);
    call.press('1');
    call.played(5);
    assert_eq!(
        call.press('5'),
        vec![play(&["invalid_choice", "personnel_menu"], true)]
    );
    call.played(6);
    assert_eq!(call.wait_for_timeout(), vec![play(&["please_hold"], false)]);
    let out = call.played(2);
    let (queue, data) = enqueued(&out);
    assert_eq!(queue, "personnel");
    assert_eq!(data.get("service_area"), Some("personnel"));
    assert_eq!(data.get("request_type"), None, "request type unknown");
    assert!(data.path.contains(&PathStep::GaveUp {
        menu: "personnel".into()
    }));
}

#[test]
fn failures_are_counted_per_menu_visit() {
    // One failure at the top does not count against the sub-menu.
    let mut call = at_main_menu();
    call.played(6);
    call.press('8');
    call.played(7);
    call.press('1');
    call.played(5);
    assert_eq!(
        call.press('8'),
        vec![play(&["invalid_choice", "personnel_menu"], true)]
    );
}

#[test]
fn a_key_during_the_menu_prompt_barges_in() {
    let mut call = at_main_menu();
    // The caller knows the menu: presses 1 while main_menu still plays.
    assert_eq!(
        call.press('1'),
        vec![Output::StopPlayback, play(&["personnel_menu"], true)]
    );
    assert_eq!(
        call.press('2'),
        vec![Output::StopPlayback, play(&["please_hold"], false)]
    );
    let out = call.played(2);
    assert_eq!(enqueued(&out).0, "personnel-tech");
}

#[test]
fn an_invalid_key_during_the_prompt_stops_it_and_replays() {
    let mut call = at_main_menu();
    assert_eq!(
        call.press('#'),
        vec![
            Output::StopPlayback,
            play(&["invalid_choice", "main_menu"], true)
        ]
    );
}

#[test]
fn keys_during_the_welcome_are_ignored() {
    let mut call = Call::guest(toll_free(), office_hours());
    call.start();
    assert_eq!(call.press('1'), vec![]);
    assert_eq!(call.played(4), vec![play(&["main_menu"], true)]);
}

#[test]
fn out_of_hours_plays_the_message_and_hangs_up() {
    for (day, h, m) in [
        (Weekday::Sat, 10, 0),
        (Weekday::Mon, 8, 29),
        (Weekday::Fri, 17, 30),
        (Weekday::Sun, 23, 59),
    ] {
        let mut call = Call::guest(
            toll_free(),
            context(day, h, m, HoursOverride::FollowSchedule),
        );
        assert_eq!(call.start(), vec![play(&["out_of_hours"], false)]);
        assert_eq!(
            call.played(10),
            vec![Output::Hangup {
                reason: HangupReason::OutOfHours
            }]
        );
        assert_eq!(call.session.data().path_text(), "start > office:closed");
    }
    // The edges of the opening hours are open.
    for (day, h, m) in [(Weekday::Mon, 8, 30), (Weekday::Fri, 17, 29)] {
        let mut call = Call::guest(
            toll_free(),
            context(day, h, m, HoursOverride::FollowSchedule),
        );
        assert_eq!(call.start(), vec![play(&["welcome"], false)]);
    }
}

#[test]
fn the_deployment_override_opens_or_closes_at_any_hour() {
    let mut call = Call::guest(
        toll_free(),
        context(Weekday::Sun, 3, 0, HoursOverride::AlwaysOpen),
    );
    assert_eq!(call.start(), vec![play(&["welcome"], false)]);
    let mut call = Call::guest(
        toll_free(),
        context(Weekday::Tue, 10, 0, HoursOverride::AlwaysClosed),
    );
    assert_eq!(call.start(), vec![play(&["out_of_hours"], false)]);
}

#[test]
fn driver_misuse_is_an_error_not_a_panic() {
    use ivr::{Input, SessionError};
    let mut call = Call::guest(toll_free(), office_hours());
    let now = call.now;
    assert_eq!(
        call.session.handle_input(Input::Digit('1', now)),
        Err(SessionError::NotStarted)
    );
    call.start();
    assert_eq!(
        call.session.handle_input(Input::Start(now)),
        Err(SessionError::AlreadyStarted)
    );
    assert_eq!(
        call.session.handle_input(Input::Digit('x', now)),
        Err(SessionError::InvalidDigit('x'))
    );
    assert_eq!(
        call.session.handle_input(Input::IdentifyResult(None)),
        Err(SessionError::UnexpectedIdentifyResult)
    );
    // Finish the call, then everything is refused.
    call.played(4);
    call.press('2');
    call.played(1);
    assert!(call.session.is_finished());
    assert_eq!(
        call.session.handle_input(Input::Timeout(now)),
        Err(SessionError::Finished)
    );
    assert_eq!(call.session.poll_output(), None);
    assert_eq!(call.session.poll_timeout(), None);
}
