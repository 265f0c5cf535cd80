//! Story: the operator idle longest is away from her desk. A caller picks 2 (technology);
//! 1001's phone rings for the queue's ring timeout and is cancelled; she is set not ready
//! with reason `no_answer` (so the queue does not keep ringing an empty desk) and the call is
//! offered to 1002, who answers. When the call ends 1002 does the queue's after-call work
//! (wrap-up) and then is ready again, by himself. The supervisor's board shows each step;
//! the SR names 1002.
//!
//! Real peers: SIPp as the caller and as both operators' phones.
//! Run: `cargo test --test ring_no_answer` (about 40 s; needs `sipp`).

mod common;

use std::time::Duration;

use common::*;

const RING_TIMEOUT: Duration = Duration::from_secs(3);
const WRAP_UP: Duration = Duration::from_secs(4);

fn operator<'a>(live: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    live["view"]["operators"]
        .as_array()?
        .iter()
        .find(|o| o["operator"] == id)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unanswered_offer_goes_to_the_next_operator_who_then_wraps_up() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|config| {
        let tech = config
            .engine
            .queues
            .iter_mut()
            .find(|q| q.name.0 == "technology")
            .expect("the demo configures technology");
        tech.ring_timeout = RING_TIMEOUT;
        tech.wrap_up = WRAP_UP;
    })
    .await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();
    let board = DeskWatcher::open_path(engine.http_addr, SUPERVISOR, "/api/v1/supervisor/live");

    // 1001 registers first (idle longest), then 1002.
    let away = OperatorPhone::register(
        engine.sip_addr,
        "1001",
        OperatorBehaviour::RingsUntilCancelled,
        1,
        &logs,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let present = OperatorPhone::register(
        engine.sip_addr,
        "1002",
        OperatorBehaviour::AnswersAndWaitsForBye,
        1,
        &logs,
    )
    .await;

    let plan = CallPlan::hangs_up_after(
        &['2'],
        ivr.first_key(),
        Duration::ZERO,
        ivr.please_hold + RING_TIMEOUT + Duration::from_secs(4),
        Duration::from_secs(3),
    );
    let caller = Caller::dial(engine.sip_addr, "caller", &plan, &logs);

    let unanswered = board
        .wait_until(
            "1001 paused for not answering",
            Duration::from_secs(60),
            |_, live| operator(live, "1001").is_some_and(|o| o["state"] == "not_ready"),
        )
        .await;
    assert_eq!(
        operator(&unanswered, "1001").unwrap()["reason"],
        "no_answer"
    );
    board
        .wait_until("1002 on the call", Duration::from_secs(20), |_, live| {
            operator(live, "1002").is_some_and(|o| o["state"] == "on_call")
        })
        .await;

    caller.phone.expect_success(SIPP_TIMEOUT).await;
    let away_phone = away.phone.expect_success(Duration::from_secs(30)).await;
    assert_eq!(
        away_phone.received_requests("CANCEL").len(),
        1,
        "1001's phone was cancelled"
    );
    present.phone.expect_success(Duration::from_secs(30)).await;

    board
        .wait_until("1002 in wrap-up", Duration::from_secs(10), |_, live| {
            operator(live, "1002").is_some_and(|o| o["state"] == "wrap_up")
        })
        .await;
    board
        .wait_until(
            "1002 ready after wrap-up",
            WRAP_UP + Duration::from_secs(10),
            |_, live| operator(live, "1002").is_some_and(|o| o["state"] == "ready"),
        )
        .await;

    let sr =
        wait_for_service_request(engine.http_addr, &caller.call_id, Duration::from_secs(10)).await;
    assert_outcome(&sr, "answered");
    assert_eq!(answering_agent(&sr).as_deref(), Some("1002"));

    engine.shutdown().await;
    keep_logs_if_asked(data);
}
