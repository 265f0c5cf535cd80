//! Story: the ACD's two rules (DOMAIN, "ACD rules").
//! - With several free operators the call goes to the one idle the longest. Registration means
//!   ready in the demo, so 1002 registers first and 1001 a little later: the call must go to
//!   1002 (an ACD that simply takes the lowest agent number would pick 1001).
//! - Calls are served in arrival order: two callers wait with no operator free, then one
//!   operator registers; the caller who queued first is the one connected.
//!
//! Run: `cargo test --test acd_order` (about 2 minutes; needs `sipp`).

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_idle_the_longest_gets_the_call() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();

    let longest_idle = OperatorPhone::register(
        engine.sip_addr,
        "1002",
        OperatorBehaviour::AnswersAndWaitsForBye,
        1,
        &logs,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut recently_ready = OperatorPhone::register(
        engine.sip_addr,
        "1001",
        OperatorBehaviour::AnswersAndWaitsForBye,
        1,
        &logs,
    )
    .await;

    // 2: technology support, no sub-menu.
    let plan = CallPlan::hangs_up_after(
        &['2'],
        ivr.first_key(),
        Duration::ZERO,
        ivr.please_hold + Duration::from_secs(4),
        Duration::from_secs(6),
    );
    let caller = Caller::dial(engine.sip_addr, "caller", &plan, &logs);

    caller.phone.expect_success(SIPP_TIMEOUT).await;
    longest_idle
        .phone
        .expect_success(Duration::from_secs(30))
        .await;
    let heard_by_caller = caller.ear.stop();
    assert_heard_speech(&heard_by_caller, &speech_pcap(), 50, "the caller");
    assert_heard_speech(
        &longest_idle.ear.stop(),
        &speech_pcap(),
        50,
        "operator 1002",
    );

    assert!(
        recently_ready.phone.is_running(),
        "operator 1001's phone is still waiting for a call"
    );
    let offered = recently_ready.phone.received_requests("INVITE");
    assert!(
        offered.is_empty(),
        "operator 1001 was offered a call: {offered:#?}"
    );
    recently_ready.phone.kill();

    let sr =
        wait_for_service_request(engine.http_addr, &caller.call_id, Duration::from_secs(10)).await;
    assert_field(&sr, "call.queue", "technology");
    assert_field(&sr, "service_area", "technology");
    assert_outcome(&sr, "answered");
    if let Some(agent) = answering_agent(&sr) {
        assert_eq!(agent, "1002", "the SR names the operator who answered");
    }

    engine.shutdown().await;
    keep_logs_if_asked(data);
}

#[tokio::test(flavor = "multi_thread")]
async fn queued_callers_are_served_in_arrival_order() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();
    let queue_wait = Duration::from_secs(35);

    // First caller: personnel / information, then on the line until the operator hangs up.
    let first = Caller::dial(
        engine.sip_addr,
        "first-caller",
        &CallPlan::waits_for_bye(['1', '1'], ivr.first_key(), ivr.submenu_key()),
        &logs,
    );
    // The second caller dials once the first hears "please hold": the first joins the queue
    // a whole IVR walk (more than 15 s) before the second can.
    assert!(
        first
            .ear
            .wait_for_prompt(&prompt("please_hold"), Duration::from_secs(60))
            .await,
        "the first caller reaches 'please hold'"
    );
    let second = Caller::dial(
        engine.sip_addr,
        "second-caller",
        &CallPlan::hangs_up_after(
            &['1', '1'],
            ivr.first_key(),
            ivr.submenu_key(),
            queue_wait,
            Duration::from_secs(1),
        ),
        &logs,
    );
    // Both are queued once they have heard the whole "please hold" (the script queues right
    // after it); no operator is ready yet.
    assert!(
        second
            .ear
            .wait_until(Duration::from_secs(60), |heard| last_packet_of_prompt(
                heard,
                "please_hold"
            )
            .is_some())
            .await,
        "the second caller hears the whole 'please hold': {}",
        describe_audio(&second.ear.snapshot())
    );
    tokio::time::sleep(Duration::from_secs(1)).await;

    // One operator becomes ready, takes one call, talks 4 s and hangs up.
    let operator = OperatorPhone::register(
        engine.sip_addr,
        "1001",
        OperatorBehaviour::AnswersAndHangsUp {
            talk: Duration::from_secs(4),
        },
        1,
        &logs,
    )
    .await;

    // The first caller's call ends by the engine's BYE after the operator hung up.
    first.phone.expect_success(SIPP_TIMEOUT).await;
    operator.phone.expect_success(Duration::from_secs(30)).await;
    let heard_by_first = first.ear.stop();
    let heard_by_second_meanwhile = second.ear.snapshot();
    assert_heard_speech(&heard_by_first, &speech_pcap(), 50, "the first caller");
    assert!(
        packets_with_pt(&heard_by_second_meanwhile, 8).is_empty(),
        "the second caller was connected to the operator before the first"
    );

    // The second caller gives up, still waiting.
    second.phone.expect_success(SIPP_TIMEOUT).await;
    drop(second.ear);

    let served =
        wait_for_service_request(engine.http_addr, &first.call_id, Duration::from_secs(10)).await;
    assert_field(&served, "call.queue", "personnel-info");
    assert_outcome(&served, "answered");
    if let Some(agent) = answering_agent(&served) {
        assert_eq!(agent, "1001");
    }
    let waited =
        wait_for_service_request(engine.http_addr, &second.call_id, Duration::from_secs(10)).await;
    assert_field(&waited, "call.queue", "personnel-info");
    assert_outcome(&waited, "abandoned");

    engine.shutdown().await;
    keep_logs_if_asked(data);
}
