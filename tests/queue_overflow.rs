//! Story: nobody serves technology support tonight; its queue sends callers who waited 4 s on
//! to the applications queue, where operator 1001 (who serves only applications) answers. The
//! caller keeps waiting without a new IVR; the SR names 1001 and the queue that answered.
//!
//! Real peers: SIPp as the caller and as 1001's phone.
//! Run: `cargo test --test queue_overflow` (about 25 s; needs `sipp`).

mod common;

use std::time::Duration;

use common::*;

const MAX_WAIT: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_who_waited_too_long_moves_to_the_overflow_queue() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|config| {
        let tech = config
            .engine
            .queues
            .iter_mut()
            .find(|q| q.name.0 == "technology")
            .expect("the demo configures technology");
        tech.max_wait = Some(MAX_WAIT);
        tech.on_max_wait = engine::acd::Destination::Queue {
            queue: "applications".into(),
        };
        for agent in &mut config.engine.agents {
            agent.queues = vec!["applications".into()];
        }
    })
    .await;
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

    let plan = CallPlan::hangs_up_after(
        &['2'],
        ivr.first_key(),
        Duration::ZERO,
        ivr.please_hold + MAX_WAIT + Duration::from_secs(4),
        Duration::from_secs(3),
    );
    let caller = Caller::dial(engine.sip_addr, "caller", &plan, &logs);
    caller.phone.expect_success(SIPP_TIMEOUT).await;
    let phone = operator.phone.expect_success(Duration::from_secs(30)).await;
    assert_eq!(
        phone.received_requests("INVITE").len(),
        1,
        "1001 was offered the call"
    );
    let heard = caller.ear.stop();
    assert_heard_prompt(&heard, "please_hold");
    assert_heard_speech(&heard, &speech_pcap(), 20, "the caller");

    let sr =
        wait_for_service_request(engine.http_addr, &caller.call_id, Duration::from_secs(10)).await;
    assert_outcome(&sr, "answered");
    assert_eq!(answering_agent(&sr).as_deref(), Some("1001"));
    assert_field(&sr, "call.queue", "applications");
    engine.shutdown().await;
    keep_logs_if_asked(data);
}
