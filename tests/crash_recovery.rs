//! Story: "not one call without its SR, even across a crash". The real binary runs with the
//! embedded CRM; SIPp callers fill the IVR and the queue and one talks to an operator; the
//! engine is killed with SIGKILL (no shutdown, no flush) and started again on the same data
//! directory. Every call then has exactly one SR, whose record says truthfully how far the
//! call got: `interrupted` in the IVR or in the queue, `answered` for the call an operator
//! had taken, all with the end reason `engine_restarted`.
//!
//! Run: `cargo test --test crash_recovery` (about a minute; needs `sipp`).

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;

const IN_IVR: u32 = 20;
const QUEUED: u32 = 30;

fn engine_args(
    sip: SocketAddr,
    grpc: SocketAddr,
    http: SocketAddr,
    data: &std::path::Path,
) -> Vec<String> {
    vec![
        "run".into(),
        "--assets-dir".into(),
        repo_root().display().to_string(),
        "--sip-listen".into(),
        sip.to_string(),
        "--grpc-listen".into(),
        grpc.to_string(),
        "--http-listen".into(),
        http.to_string(),
        "--data-dir".into(),
        data.display().to_string(),
    ]
}

/// Every SR of the calls whose SIP Call-ID starts with `prefix`, by SIP Call-ID.
fn srs_of(http: SocketAddr, prefix: &str) -> BTreeMap<String, Vec<serde_json::Value>> {
    let mut by_call: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    let mut offset = 0;
    loop {
        let (status, body) = http_get_json(
            http,
            &format!("/api/v1/service-requests?limit=200&offset={offset}"),
        );
        assert_eq!(status, 200, "{body}");
        let page = body["service_requests"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if page.is_empty() {
            break;
        }
        offset += page.len();
        for sr in page {
            if let Some(sip) = field(&sr, "call.sip_call_id").filter(|s| s.starts_with(prefix)) {
                by_call.entry(sip).or_default().push(sr);
            }
        }
    }
    by_call
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_kill_9_every_call_has_one_truthful_service_request() {
    let _serial = one_story_at_a_time().await;
    let data = tempfile::tempdir().unwrap();
    let logs = data.path().join("sipp");
    std::fs::create_dir_all(&logs).unwrap();
    let sip: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
    let grpc: SocketAddr = format!("127.0.0.1:{}", free_tcp_port()).parse().unwrap();
    let http: SocketAddr = format!("127.0.0.1:{}", free_tcp_port()).parse().unwrap();
    let store = data.path().join("store");

    let engine = Process::spawn(&engine_args(sip, grpc, http, &store));
    wait_for_http(http, "centralino").await;

    // One operator, who answers one call and stays on it.
    let operator = OperatorPhone::register(
        sip,
        "1001",
        OperatorBehaviour::AnswersAndWaitsForBye,
        1,
        &logs,
    )
    .await;

    let ivr = IvrTiming::from_prompts();
    // Callers who press nothing: still in the menus when the engine dies.
    let _in_ivr = SippCommand::new("in-ivr", scenario("caller_no_digit.xml"), &logs)
        .remote(sip)
        .service(TOLL_FREE)
        .call_id_prefix("crash-ivr")
        .calls(IN_IVR)
        .concurrent(IN_IVR, 20)
        .key("caller", CALLER_NUMBER)
        .key("sink_port", RtpSink::bind().port())
        .key("queue_wait_ms", 120_000)
        .key("talk_ms", 0)
        .key("speech_pcap", speech_pcap().display())
        .spawn();
    // Callers who press 2 (technology) and wait in its queue; the first reaches the operator.
    let _queued = SippCommand::new("queued", scenario("caller_one_digit.xml"), &logs)
        .remote(sip)
        .service(TOLL_FREE)
        .call_id_prefix("crash-queue")
        .calls(QUEUED)
        .concurrent(QUEUED, 20)
        .key("caller", CALLER_NUMBER)
        .key("sink_port", RtpSink::bind().port())
        .key("pre_digits_ms", ms(ivr.first_key()))
        .key("digit1_pcap", dtmf_pcap('2').display())
        .key("queue_wait_ms", 120_000)
        .key("talk_ms", 0)
        .key("speech_pcap", speech_pcap().display())
        .spawn();

    // Wait until the queue holds the callers (they heard "please hold") and the operator
    // talks: the SR list shows them as they arrive.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let ivr_calls = srs_of(http, "crash-ivr").len() as u32;
        let queue_calls = srs_of(http, "crash-queue");
        let talking = queue_calls
            .values()
            .flatten()
            .any(|sr| field(sr, "call.stage").as_deref() == Some("talking"));
        if ivr_calls == IN_IVR && queue_calls.len() as u32 == QUEUED && talking {
            // The queue's callers are through the menu once the key was pressed and the
            // please-hold prompt had time to play.
            tokio::time::sleep(ivr.submenu_key() + Duration::from_secs(2)).await;
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the calls did not all arrive: {ivr_calls} in the IVR, {} queued, talking: {talking}",
            queue_calls.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // kill -9: no grace, no flush.
    engine.kill_hard();
    let restart = Instant::now();
    let engine = Process::spawn(&engine_args(sip, grpc, http, &store));
    wait_for_http(http, "centralino after the crash").await;

    // Every call gets its record, once.
    let deadline = restart + Duration::from_secs(60);
    let (ivr_srs, queue_srs) = loop {
        let ivr_srs = srs_of(http, "crash-ivr");
        let queue_srs = srs_of(http, "crash-queue");
        let all_ended = ivr_srs
            .values()
            .chain(queue_srs.values())
            .flatten()
            .all(|sr| field(sr, "call.outcome").is_some());
        if all_ended {
            break (ivr_srs, queue_srs);
        }
        assert!(
            Instant::now() < deadline,
            "calls without a record 60 s after the restart"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(ivr_srs.len() as u32, IN_IVR, "every IVR caller has an SR");
    assert_eq!(
        queue_srs.len() as u32,
        QUEUED,
        "every queued caller has an SR"
    );
    for (sip_call_id, srs) in ivr_srs.iter().chain(&queue_srs) {
        assert_eq!(srs.len(), 1, "exactly one SR for {sip_call_id}: {srs:#?}");
    }
    for sr in ivr_srs.values().flatten() {
        assert_field(sr, "call.outcome", "interrupted");
        assert_field(sr, "call.end_reason", "engine_restarted");
        assert_field(sr, "call.stage", "ivr");
    }
    let mut answered = 0;
    for sr in queue_srs.values().flatten() {
        assert_field(sr, "call.end_reason", "engine_restarted");
        match field(sr, "call.outcome").as_deref() {
            Some("answered") => {
                answered += 1;
                assert_field(sr, "call.agent_id", "1001");
                assert_field(sr, "call.stage", "talking");
                assert!(field(sr, "call.talk_ms").is_some(), "{sr:#}");
            }
            Some("interrupted") => {
                let stage = field(sr, "call.stage").unwrap_or_default();
                assert!(
                    stage == "queued" || stage == "offered" || stage == "ivr",
                    "a queued caller's stage: {sr:#}"
                );
                if stage != "ivr" {
                    assert_field(sr, "call.queue", "technology");
                    assert!(field(sr, "call.waited_ms").is_some(), "{sr:#}");
                    assert_eq!(
                        ivr_value(sr, "service_area").as_deref(),
                        Some("technology"),
                        "what the IVR learned survives the crash: {sr:#}"
                    );
                }
            }
            other => panic!("unexpected outcome {other:?}: {sr:#}"),
        }
    }
    assert_eq!(answered, 1, "the one call the operator took stays answered");

    drop(operator);
    assert!(
        engine.terminate().success(),
        "the restarted engine stops cleanly"
    );
    keep_logs_if_asked(data);
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_kill_9_a_registered_operator_takes_calls_without_registering_again() {
    let _serial = one_story_at_a_time().await;
    let data = tempfile::tempdir().unwrap();
    let logs = data.path().join("sipp");
    std::fs::create_dir_all(&logs).unwrap();
    let sip: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
    let grpc: SocketAddr = format!("127.0.0.1:{}", free_tcp_port()).parse().unwrap();
    let http: SocketAddr = format!("127.0.0.1:{}", free_tcp_port()).parse().unwrap();
    let store = data.path().join("store");

    let engine = Process::spawn(&engine_args(sip, grpc, http, &store));
    wait_for_http(http, "centralino").await;
    // Operator 1002 registers once (for an hour) and then only answers calls.
    let operator = OperatorPhone::register(
        sip,
        "1002",
        OperatorBehaviour::AnswersAndHangsUp {
            talk: Duration::from_secs(1),
        },
        1,
        &logs,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    engine.kill_hard();
    let engine = Process::spawn(&engine_args(sip, grpc, http, &store));
    wait_for_http(http, "centralino after the crash").await;

    // A caller for technology: the phone registered before the crash rings and answers.
    let ivr = IvrTiming::from_prompts();
    // The operator hangs up after a second; the caller waits for that BYE (a second key
    // while queued is ignored).
    let plan = CallPlan::waits_for_bye(['2', '2'], ivr.first_key(), Duration::from_millis(500));
    let caller = Caller::dial(sip, "after-restart", &plan, &logs);
    let mut operator_phone = operator.phone;
    operator_phone
        .wait_blocking(Duration::from_secs(60))
        .expect("the operator's phone answered a call after the restart, unregistered since");
    let _ = caller.phone.expect_success(SIPP_TIMEOUT).await;
    let sr = wait_for_service_request(http, &caller.call_id, Duration::from_secs(15)).await;
    assert_outcome(&sr, "answered");
    assert_field(&sr, "call.agent_id", "1002");
    assert!(engine.terminate().success());
    keep_logs_if_asked(data);
}
