//! Story: operator 1001 changes her state from her SIP phone, with feature codes. She dials
//! *22: the engine challenges the INVITE, takes her credentials, pauses her (reason `phone`),
//! says "You are not ready." and hangs up; the supervisor's board shows it. *21 makes her
//! ready again, with its own confirmation. Neither call leaves an SR.
//!
//! Real peers: SIPp as 1001's registered phone and as the phone that dials the codes.
//! Run: `cargo test --test feature_codes` (about 15 s; needs `sipp`).

mod common;

use std::time::Duration;

use common::*;

fn operator<'a>(live: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    live["view"]["operators"]
        .as_array()?
        .iter()
        .find(|o| o["operator"] == id)
}

/// Dials `code` from 1001's phone and returns what its ear heard.
async fn dial(engine: &centralino::Running, code: &str, logs: &std::path::Path) -> Vec<RtpPacket> {
    let ear = RtpSink::bind();
    SippCommand::new(
        &format!("feature{}", &code[1..]),
        scenario("feature_code.xml"),
        logs,
    )
    .remote(engine.sip_addr)
    .service(code)
    .call_id(&unique_call_id("feature"))
    .key("agent", "1001")
    .key("sink_port", ear.port())
    .spawn()
    .expect_success(SIPP_TIMEOUT)
    .await;
    ear.stop()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_pauses_and_resumes_from_her_phone() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let board = DeskWatcher::open_path(engine.http_addr, SUPERVISOR, "/api/v1/supervisor/live");
    register_agent(engine.sip_addr, "1001", free_udp_port(), &logs).await;
    board
        .wait_until(
            "1001 ready once registered",
            Duration::from_secs(10),
            |_, live| operator(live, "1001").is_some_and(|o| o["state"] == "ready"),
        )
        .await;

    let heard = dial(&engine, "*22", &logs).await;
    assert_heard_prompt_first(&heard, "feature_not_ready");
    board
        .wait_until(
            "1001 not ready from her phone",
            Duration::from_secs(5),
            |_, live| {
                operator(live, "1001")
                    .is_some_and(|o| o["state"] == "not_ready" && o["reason"] == "phone")
            },
        )
        .await;

    let heard = dial(&engine, "*21", &logs).await;
    assert_heard_prompt_first(&heard, "feature_ready");
    board
        .wait_until("1001 ready again", Duration::from_secs(5), |_, live| {
            operator(live, "1001").is_some_and(|o| o["state"] == "ready")
        })
        .await;

    // Feature calls are not citizens' calls: no SR.
    let (status, all) = http_get_json(engine.http_addr, "/api/v1/service-requests");
    assert_eq!(status, 200);
    let count = match &all {
        serde_json::Value::Array(items) => items.len(),
        serde_json::Value::Object(map) => map
            .values()
            .find_map(|v| v.as_array().map(Vec::len))
            .unwrap_or(0),
        _ => panic!("{all}"),
    };
    assert_eq!(count, 0, "no SR for feature calls: {all}");

    engine.shutdown().await;
    keep_logs_if_asked(data);
}
