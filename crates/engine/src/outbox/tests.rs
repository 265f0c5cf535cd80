//! The outbox against a real SQLite file: order, crash records, dead letters, boot epochs.

use common::ManualClock;

use super::*;

fn arrived(call: &str) -> CallFact {
    CallFact::Arrived(call_control::CallArrived {
        call: CallRef(call.into()),
        sip_call_id: format!("sip-{call}"),
        caller: CallerNumber::normalise("0551234567", &common::phone::NumberingPlan::italy()),
        dialled: "800123456".into(),
        at_unix_ms: 1_000,
    })
}

fn progress(call: &str, stage: CallStage, at: i64) -> CallFact {
    CallFact::Progress {
        call: CallRef(call.into()),
        stage,
        ivr_data: vec![("service_area".into(), "technology".into())],
        queue: (stage >= CallStage::Queued).then(|| "technology".to_string()),
        at_unix_ms: at,
    }
}

async fn open() -> (Outbox, Arc<ManualClock>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(10_000));
    let outbox = Outbox::open(&dir.path().join(OUTBOX_FILE), clock.clone())
        .await
        .unwrap();
    (outbox, clock, dir)
}

#[tokio::test]
async fn facts_come_out_in_order_and_progress_stays_local() {
    let (outbox, _, _dir) = open().await;
    outbox
        .append(&[
            arrived("a"),
            progress("a", CallStage::Ivr, 2_000),
            arrived("b"),
        ])
        .await
        .unwrap();
    let batch = outbox.next_batch(10).await.unwrap();
    let calls: Vec<&str> = batch.iter().map(|p| p.fact.call().0.as_str()).collect();
    assert_eq!(calls, ["a", "b"], "progress facts are not for the CRM");
    outbox.delivered(batch[0].seq).await.unwrap();
    let status = outbox.status().await.unwrap();
    assert_eq!(status.pending, 1);
    assert_eq!(status.live_calls, 2);
    assert_eq!(status.oldest_pending_age_ms, Some(0));
}

#[tokio::test]
async fn a_crash_leaves_records_that_say_how_far_each_call_got() {
    let (outbox, clock, dir) = open().await;
    let answered = CallFact::Answered {
        call: CallRef("talking".into()),
        agent_id: "1001".into(),
        at_unix_ms: 5_000,
    };
    outbox
        .append(&[
            arrived("in-ivr"),
            progress("in-ivr", CallStage::Ivr, 1_500),
            arrived("queued"),
            progress("queued", CallStage::Queued, 3_000),
            arrived("talking"),
            progress("talking", CallStage::Queued, 2_000),
            answered,
            arrived("done"),
        ])
        .await
        .unwrap();
    clock.set(19_000);
    outbox.heartbeat().await.unwrap();
    outbox.close().await;

    // The process died. The next start:
    clock.set(60_000);
    let outbox = Outbox::open(&dir.path().join(OUTBOX_FILE), clock.clone())
        .await
        .unwrap();
    let mut closed = outbox.recover_interrupted().await.unwrap();
    closed.sort();
    assert_eq!(closed.len(), 4);
    let records: Vec<CallRecord> = outbox
        .next_batch(100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|p| match p.fact {
            CallFact::Ended(r) => Some(r),
            _ => None,
        })
        .collect();
    let get = |id: &str| records.iter().find(|r| r.call.0 == id).unwrap();
    let ivr = get("in-ivr");
    assert_eq!(ivr.outcome, CallOutcome::Interrupted);
    assert_eq!(ivr.end_reason, EndReason::EngineRestarted);
    assert_eq!(ivr.stage, CallStage::Ivr);
    assert_eq!(
        ivr.ended_at_unix_ms, 19_000,
        "the last moment the engine was alive"
    );
    assert!(
        ivr.ivr_data
            .contains(&("service_area".into(), "technology".into()))
    );
    assert_eq!(ivr.waited_ms, None);
    let queued = get("queued");
    assert_eq!(queued.stage, CallStage::Queued);
    assert_eq!(queued.waited_ms, Some(16_000));
    assert_eq!(queued.queue.as_deref(), Some("technology"));
    let talking = get("talking");
    assert_eq!(
        talking.outcome,
        CallOutcome::Answered,
        "answered stays answered"
    );
    assert_eq!(talking.agent_id.as_deref(), Some("1001"));
    assert_eq!(talking.waited_ms, Some(3_000));
    assert_eq!(talking.talk_ms, Some(14_000));
    assert_eq!(get("done").stage, CallStage::Arrived);
    assert!(
        outbox.recover_interrupted().await.unwrap().is_empty(),
        "closed once"
    );
    assert_eq!(outbox.status().await.unwrap().live_calls, 0);
}

#[tokio::test]
async fn a_refused_fact_becomes_a_dead_letter_and_can_be_retried() {
    let (outbox, _, _dir) = open().await;
    outbox
        .append(&[arrived("bad"), arrived("good")])
        .await
        .unwrap();
    let batch = outbox.next_batch(10).await.unwrap();
    outbox
        .refused(batch[0].seq, "invalid argument: caller_number")
        .await
        .unwrap();
    let next = outbox.next_batch(10).await.unwrap();
    assert_eq!(
        next[0].fact.call().0,
        "good",
        "the refusal blocks nothing after it"
    );
    let dead = outbox.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].call_id, "bad");
    assert_eq!(dead[0].reason, "invalid argument: caller_number");
    assert_eq!(outbox.retry_dead_letters().await.unwrap(), 1);
    let again = outbox.next_batch(10).await.unwrap();
    assert_eq!(again.len(), 2);
    assert_eq!(again[1].fact.call().0, "bad", "back at the end");
    assert_eq!(outbox.status().await.unwrap().dead_letters, 0);
}

#[tokio::test]
async fn boot_epochs_only_grow_even_when_the_clock_goes_back() {
    let (outbox, clock, _dir) = open().await;
    let first = outbox.next_boot_epoch().await.unwrap();
    assert_eq!(first, 10_000);
    clock.set(5_000);
    let second = outbox.next_boot_epoch().await.unwrap();
    assert_eq!(second, 10_001);
}
