//! The outbox against a real CRM over gRPC: facts wait on disk while the CRM is down and all
//! arrive, once, when it comes up; a fact the CRM refuses for good becomes a dead letter and
//! blocks nothing after it.

use std::sync::Arc;
use std::time::Duration;

use call_control::events::{CallArrived, CallFact, CallRecord, CallRef};
use common::SystemClock;
use common::call::{CallOutcome, CallStage, EndReason};
use common::phone::{CallerNumber, NumberingPlan};
use crm_store::{ListFilter, ServiceRequestStore, SqliteStore};
use engine::Outbox;
use tokio::sync::watch;

const TOKEN: &str = "outbox-test-credential-0123456789";

fn caller() -> CallerNumber {
    CallerNumber::normalise("0551234567", &NumberingPlan::italy())
}

fn arrived(call: &str) -> CallFact {
    CallFact::Arrived(CallArrived {
        call: CallRef(call.into()),
        sip_call_id: format!("sip-{call}"),
        caller: caller(),
        dialled: "800123456".into(),
        at_unix_ms: 1_795_000_000_000,
    })
}

fn ended(call: &str, ivr_entries: usize) -> CallFact {
    CallFact::Ended(CallRecord {
        call: CallRef(call.into()),
        sip_call_id: format!("sip-{call}"),
        caller: caller(),
        dialled: "800123456".into(),
        ivr_data: vec![("k".into(), "v".into()); ivr_entries],
        queue: None,
        outcome: CallOutcome::AbandonedInIvr,
        end_reason: EndReason::CallerHungUp,
        stage: CallStage::Ivr,
        started_at_unix_ms: 1_795_000_000_000,
        offered_at_unix_ms: None,
        answered_at_unix_ms: None,
        ended_at_unix_ms: 1_795_000_010_000,
        waited_ms: None,
        talk_ms: None,
        agent_id: None,
    })
}

async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facts_wait_for_a_crm_that_is_down_and_arrive_once_it_is_up() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox.db"), Arc::new(SystemClock))
        .await
        .unwrap();
    outbox
        .append(&[
            arrived("first"),
            ended("refused", 1000),
            ended("first", 1),
            arrived("second"),
        ])
        .await
        .unwrap();

    // A port nobody listens on yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let client = engine::cti::client(&url, Some(TOKEN.into())).unwrap();
    let (stop, stopped) = watch::channel(false);
    let delivery = tokio::spawn(engine::cti::deliver(outbox.clone(), client, stopped, None));

    wait_until("a failed attempt is noted", async || {
        outbox.status().await.unwrap().last_error.is_some()
    })
    .await;
    let status = outbox.status().await.unwrap();
    assert_eq!(status.pending, 4, "nothing is lost while the CRM is down");
    assert_eq!(status.dead_letters, 0, "unreachable is not refused");

    // The CRM comes up on that port.
    let store = SqliteStore::open(dir.path().join("crm.db"), Arc::new(SystemClock))
        .await
        .unwrap();
    let store = Arc::new(store);
    let grpc = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (crm_stop, crm_stopped) = tokio::sync::oneshot::channel::<()>();
    let crm = tokio::spawn(crm::serve(
        store.clone(),
        crm::CrmConfig::new(crm::ServiceCredential::new(TOKEN).unwrap()),
        grpc,
        http,
        async {
            let _ = crm_stopped.await;
        },
    ));

    wait_until("the outbox drains", async || {
        outbox.status().await.unwrap().pending == 0
    })
    .await;
    let status = outbox.status().await.unwrap();
    assert_eq!(status.dead_letters, 1);
    let dead = outbox.dead_letters(10).await.unwrap();
    assert_eq!(dead[0].call_id, "refused");
    assert!(dead[0].reason.contains("ivr_data"), "{}", dead[0].reason);

    let srs = store.list(ListFilter::default()).await.unwrap();
    let mut calls: Vec<&str> = srs.iter().map(|sr| sr.call_id.as_str()).collect();
    calls.sort();
    assert_eq!(calls, ["first", "second"], "one SR each, nothing doubled");
    let first = store.get_by_call_id("first").await.unwrap().unwrap();
    assert_eq!(first.call.outcome, Some(CallOutcome::AbandonedInIvr));
    assert_eq!(
        first
            .call
            .caller_number_e164
            .as_ref()
            .map(|e| e.expose().as_str()),
        Some("+390551234567")
    );

    let _ = stop.send(true);
    delivery.await.unwrap();
    let _ = crm_stop.send(());
    crm.await.unwrap().unwrap();
}
