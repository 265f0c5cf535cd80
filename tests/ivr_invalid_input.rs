//! Story: a caller presses keys the menus do not offer.
//! - At the top menu, the second failure closes the call politely: "invalid choice", the menu
//!   again, then "goodbye" in full, and only then the engine hangs up (BYE). The CRM records
//!   the call as released by the IVR.
//! - In the personnel sub-menu, the second failure does not drop the call: it goes to the
//!   area's default group (queue `personnel`), where an operator answers.
//!
//! Run: `cargo test --test ivr_invalid_input` (about 90 s; needs `sipp`).

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn second_invalid_choice_at_the_top_menu_says_goodbye_and_hangs_up() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();

    let plan = CallPlan::waits_for_bye(['9', '9'], ivr.first_key(), ivr.retry_top());
    let caller = Caller::dial(engine.sip_addr, "caller", &plan, &logs);

    // Exit 0 = the caller's phone received a BYE and answered it.
    let caller_phone = caller.phone.expect_success(SIPP_TIMEOUT).await;
    let heard = caller.ear.stop();

    assert_heard_prompt_first(&heard, "welcome");
    assert_heard_prompt(&heard, "main_menu");
    assert_heard_prompt(&heard, "invalid_choice");

    // Polite: the whole goodbye prompt reached the caller before the BYE did.
    let byes = caller_phone.received_requests("BYE");
    assert_eq!(
        byes.len(),
        1,
        "one BYE from the engine (retransmissions aside): {byes:#?}"
    );
    let last_goodbye = last_packet_of_prompt(&heard, "goodbye").unwrap_or_else(|| {
        panic!(
            "the caller did not hear the whole goodbye prompt ({} RTP packets)",
            heard.len()
        )
    });
    assert!(
        heard[last_goodbye].at <= byes[0].at,
        "the end of the goodbye prompt arrived after the BYE ({:?} > {:?})",
        heard[last_goodbye].at,
        byes[0].at
    );

    let sr =
        wait_for_service_request(engine.http_addr, &caller.call_id, Duration::from_secs(10)).await;
    assert_field(&sr, "call.sip_call_id", &caller.call_id);
    assert_field(&sr, "call.caller_number", CALLER_NUMBER);
    assert_outcome(&sr, "released_by_ivr");

    engine.shutdown().await;
    keep_logs_if_asked(data);
}

#[tokio::test(flavor = "multi_thread")]
async fn second_invalid_choice_in_the_personnel_menu_goes_to_the_personnel_group() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();

    let operator = OperatorPhone::register(
        engine.sip_addr,
        "1001",
        OperatorBehaviour::AnswersAndWaitsForBye,
        1,
        &logs,
    )
    .await;

    // 1 (personnel), then 9 and 9 in the sub-menu. One pause serves both gaps: after the first
    // 9 the caller hears "invalid choice" and the sub-menu again, so the pause covers both
    // prompts; the first gap (sub-menu only) stays inside its 5 s no-input timeout.
    let between = ivr.retry_personnel();
    assert!(
        between < ivr.personnel_menu + Duration::from_secs(5),
        "the first 9 lands before the no-input timeout"
    );
    let plan = CallPlan::hangs_up_after(
        &['1', '9', '9'],
        ivr.first_key(),
        between,
        ivr.please_hold + Duration::from_secs(4),
        Duration::from_secs(6),
    );
    let caller = Caller::dial(engine.sip_addr, "caller", &plan, &logs);

    caller.phone.expect_success(SIPP_TIMEOUT).await;
    operator.phone.expect_success(Duration::from_secs(30)).await;
    let heard_by_caller = caller.ear.stop();
    let heard_by_operator = operator.ear.stop();

    assert_heard_prompt(&heard_by_caller, "personnel_menu");
    assert_heard_prompt(&heard_by_caller, "invalid_choice");
    assert_heard_prompt(&heard_by_caller, "please_hold");
    assert_heard_speech(&heard_by_caller, &speech_pcap(), 50, "the caller");
    assert_heard_speech(&heard_by_operator, &speech_pcap(), 50, "operator 1001");

    let sr =
        wait_for_service_request(engine.http_addr, &caller.call_id, Duration::from_secs(10)).await;
    assert_field(&sr, "service_area", "personnel");
    assert_field(&sr, "call.queue", "personnel");
    assert_outcome(&sr, "answered");

    engine.shutdown().await;
    keep_logs_if_asked(data);
}
