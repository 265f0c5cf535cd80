//! The story of DOMAIN.md step 8 over real sockets: the engine's CTI facts open exactly one
//! SR per call, and operators read it back over HTTP. Only the engine may send them.

mod common;

use common::{Crm, MARCH_2026};
use cti_proto::{
    CallAnswered, CallArrived, CallOffered, CallOutcome, CallRecord, CallStage, EndReason,
    IvrDatum, ServiceRequestState,
};
use serde_json::json;

fn offer(call_id: &str, agent_id: &str) -> CallOffered {
    CallOffered {
        call_id: call_id.into(),
        caller_number: "+390551234567".into(),
        dialled_number: "800123456".into(),
        channel: "phone".into(),
        ivr_data: vec![
            IvrDatum::new("service_area", "2"),
            IvrDatum::new("category", "technology"),
            IvrDatum::new("request_type", "technical"),
            IvrDatum::new("choice.1", "2"),
            IvrDatum::new("choice.2", "2"),
        ],
        queue: "technology".into(),
        waited_ms: 12_000,
        agent_id: agent_id.into(),
        offered_at_unix_ms: MARCH_2026,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_offered_twice_pops_one_request_that_operators_can_read() {
    let crm = Crm::start().await;
    let cti = crm.cti().await;

    let first = cti
        .report_call_offered(offer("call-1", "op-7"))
        .await
        .expect("first offer");
    // Operator 7 did not answer: the ACD offers the call to operator 9.
    let second = cti
        .report_call_offered(offer("call-1", "op-9"))
        .await
        .expect("second offer");
    assert!(first.created);
    assert!(!second.created);
    let sr = first.service_request.expect("the pop carries the SR");
    assert_eq!(second.service_request.as_ref(), Some(&sr));
    assert_eq!(sr.number, "SR-2026-000001");
    assert_eq!(sr.call_id, "call-1");
    assert_eq!(sr.state(), ServiceRequestState::Open);

    let (status, by_call) = crm.get("/api/v1/calls/call-1/service-request").await;
    assert_eq!(status, 200, "{by_call}");
    assert_eq!(by_call["number"], "SR-2026-000001");
    assert_eq!(by_call["state"], "open");
    assert_eq!(by_call["channel"], "phone");
    assert_eq!(
        by_call["call"]["caller_number"], "+390551234567",
        "operators see the caller in clear"
    );
    assert_eq!(by_call["call"]["dialled_number"], "800123456");
    assert_eq!(by_call["service_area"], "2");
    assert_eq!(by_call["category"], "technology");
    assert_eq!(by_call["request_type"], "technical");
    assert_eq!(by_call["call"]["queue"], "technology");
    assert_eq!(
        by_call["call"]["offered_agent_id"], "op-9",
        "the last offer"
    );
    assert_eq!(by_call["call"]["agent_id"], serde_json::Value::Null);
    assert_eq!(by_call["call"]["waited_ms"], 12_000);
    assert_eq!(by_call["call"]["outcome"], serde_json::Value::Null);
    assert_eq!(by_call["call"]["stage"], "offered");
    assert_eq!(
        by_call["call"]["ivr_data"],
        json!([
            {"key": "service_area", "value": "2"},
            {"key": "category", "value": "technology"},
            {"key": "request_type", "value": "technical"},
            {"key": "choice.1", "value": "2"},
            {"key": "choice.2", "value": "2"},
        ])
    );

    let (status, by_number) = crm.get("/api/v1/service-requests/SR-2026-000001").await;
    assert_eq!(status, 200);
    assert_eq!(by_number, by_call);

    let (status, list) = crm.get("/api/v1/service-requests?call_id=call-1").await;
    assert_eq!(status, 200);
    assert_eq!(list["service_requests"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["service_requests"][0], by_call);

    // The call ends answered: the same SR gets the outcome.
    let ack = cti
        .report_call_ended(CallRecord {
            call_id: "call-1".into(),
            caller_number: "+390551234567".into(),
            dialled_number: "800123456".into(),
            channel: "phone".into(),
            ivr_data: offer("call-1", "op-9").ivr_data,
            queue: Some("technology".into()),
            outcome: CallOutcome::Answered.into(),
            started_at_unix_ms: MARCH_2026 - 40_000,
            answered_at_unix_ms: Some(MARCH_2026 + 1_000),
            ended_at_unix_ms: MARCH_2026 + 121_000,
            waited_ms: Some(13_000),
            talk_ms: Some(120_000),
            agent_id: Some("op-9".into()),
            end_reason: EndReason::OperatorHungUp.into(),
            stage: CallStage::Talking.into(),
            sip_call_id: "a84b4c76e66710".into(),
            ..Default::default()
        })
        .await
        .expect("call record");
    assert!(!ack.created);
    assert_eq!(
        ack.service_request.as_ref().map(|sr| sr.number.as_str()),
        Some("SR-2026-000001")
    );
    let (_, ended) = crm.get("/api/v1/calls/call-1/service-request").await;
    assert_eq!(ended["call"]["outcome"], "answered");
    assert_eq!(ended["call"]["end_reason"], "operator_hung_up");
    assert_eq!(ended["call"]["agent_id"], "op-9");
    assert_eq!(ended["call"]["talk_ms"], 120_000);
    assert_eq!(ended["call"]["waited_ms"], 13_000);
    assert_eq!(ended["call"]["answered_at_unix_ms"], MARCH_2026 + 1_000);
    assert_eq!(
        ended["call"]["offered_at_unix_ms"], MARCH_2026,
        "stored from the offer"
    );
    assert_eq!(ended["call"]["sip_call_id"], "a84b4c76e66710");

    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_abandoned_in_queue_still_gets_its_request() {
    let crm = Crm::start().await;
    let cti = crm.cti().await;

    let ack = cti
        .report_call_ended(CallRecord {
            call_id: "call-abandoned".into(),
            caller_number: "+393331234567".into(),
            dialled_number: "800123456".into(),
            channel: String::new(),
            ivr_data: vec![IvrDatum::new("service_area", "1")],
            queue: Some("personnel".into()),
            outcome: CallOutcome::AbandonedInQueue.into(),
            started_at_unix_ms: MARCH_2026 - 95_000,
            answered_at_unix_ms: None,
            ended_at_unix_ms: MARCH_2026,
            waited_ms: Some(80_000),
            end_reason: EndReason::CallerHungUp.into(),
            stage: CallStage::Queued.into(),
            ..Default::default()
        })
        .await
        .expect("call record");
    assert!(
        ack.created,
        "the call was never offered: its record opens the SR"
    );
    let sr = ack.service_request.expect("the ack carries the SR");
    assert_eq!(sr.state(), ServiceRequestState::Open);

    let (status, body) = crm
        .get(&format!("/api/v1/service-requests/{}", sr.number))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["call_id"], "call-abandoned");
    assert_eq!(body["call"]["outcome"], "abandoned_in_queue");
    assert_eq!(body["channel"], "phone");
    assert_eq!(body["call"]["queue"], "personnel");
    assert_eq!(body["call"]["waited_ms"], 80_000);
    assert_eq!(
        body["call"]["talk_ms"],
        serde_json::Value::Null,
        "never talked: no zero"
    );
    assert_eq!(body["call"]["agent_id"], serde_json::Value::Null);

    // A retried call record changes nothing.
    let again = cti
        .report_call_ended(CallRecord {
            call_id: "call-abandoned".into(),
            outcome: CallOutcome::Answered.into(),
            end_reason: EndReason::OperatorHungUp.into(),
            stage: CallStage::Talking.into(),
            agent_id: Some("op-forged".into()),
            ..Default::default()
        })
        .await
        .expect("retried call record");
    assert!(!again.created);
    let (_, list) = crm.get("/api/v1/service-requests").await;
    assert_eq!(list["service_requests"].as_array().map(Vec::len), Some(1));
    let kept = &list["service_requests"][0]["call"];
    assert_eq!(
        kept["outcome"], "abandoned_in_queue",
        "the first record stays"
    );
    assert_eq!(kept["agent_id"], serde_json::Value::Null);

    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_offers_of_one_call_over_grpc_open_one_request() {
    let crm = Crm::start().await;
    let cti = crm.cti().await;
    let offers: Vec<_> = (0..10)
        .map(|i| {
            let cti = cti.clone();
            tokio::spawn(async move {
                cti.report_call_offered(offer("call-race", &format!("op-{i}")))
                    .await
            })
        })
        .collect();
    let mut created = 0;
    let mut numbers = std::collections::BTreeSet::new();
    for offer in offers {
        let pop = offer.await.expect("no panic").expect("offer accepted");
        created += usize::from(pop.created);
        numbers.insert(pop.service_request.expect("SR").number);
    }
    assert_eq!(created, 1);
    assert_eq!(numbers.len(), 1);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_cti_messages_are_invalid_arguments() {
    let crm = Crm::start().await;
    let cti = crm.cti().await;

    let no_call_id = cti
        .report_call_offered(offer("", "op-1"))
        .await
        .expect_err("refused");
    assert_eq!(
        no_call_id.code(),
        tonic::Code::InvalidArgument,
        "{no_call_id}"
    );
    let no_outcome = cti
        .report_call_ended(CallRecord {
            call_id: "call-x".into(),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert_eq!(
        no_outcome.code(),
        tonic::Code::InvalidArgument,
        "{no_outcome}"
    );

    let (_, list) = crm.get("/api/v1/service-requests").await;
    assert_eq!(list, serde_json::json!({"service_requests": []}));
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fact_of_a_call_builds_one_record_in_order() {
    let crm = Crm::start().await;
    let cti = crm.cti().await;
    let arrived = cti
        .report_call_arrived(CallArrived {
            call_id: "cn-1-000001".into(),
            sip_call_id: "reused@phone".into(),
            caller_number: "0551234567".into(),
            caller_number_e164: Some("+390551234567".into()),
            dialled_number: "800123456".into(),
            channel: String::new(),
            arrived_at_unix_ms: MARCH_2026 - 20_000,
        })
        .await
        .expect("arrived");
    assert!(
        arrived.created,
        "the SR exists from the moment the call arrives"
    );
    cti.report_call_offered(offer("cn-1-000001", "op-7"))
        .await
        .expect("offered");
    let answered = cti
        .report_call_answered(CallAnswered {
            call_id: "cn-1-000001".into(),
            agent_id: "op-7".into(),
            answered_at_unix_ms: MARCH_2026 + 2_000,
        })
        .await
        .expect("answered");
    assert!(!answered.created);
    let (_, sr) = crm
        .get("/api/v1/service-requests?sip_call_id=reused%40phone")
        .await;
    let sr = &sr["service_requests"][0];
    assert_eq!(sr["call_id"], "cn-1-000001");
    assert_eq!(sr["call"]["caller_number_e164"], "+390551234567");
    assert_eq!(sr["call"]["agent_id"], "op-7");
    assert_eq!(sr["call"]["stage"], "talking");
    assert_eq!(sr["call"]["started_at_unix_ms"], MARCH_2026 - 20_000);
    let (_, by_caller) = crm
        .get("/api/v1/service-requests?caller_number=%2B390551234567")
        .await;
    assert_eq!(
        by_caller["service_requests"].as_array().map(Vec::len),
        Some(1)
    );
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_engine_with_its_credential_may_report_facts() {
    let crm = Crm::start().await;
    for token in [None, Some("wrong-credential-0123456789"), Some("Bearer")] {
        let cti = crm.cti_with(token).await;
        let refused = cti
            .report_call_offered(offer("forged", "op-evil"))
            .await
            .expect_err("refused");
        assert_eq!(
            refused.code(),
            tonic::Code::Unauthenticated,
            "{token:?}: {refused}"
        );
        let refused = cti
            .report_call_ended(CallRecord {
                call_id: "forged".into(),
                outcome: CallOutcome::Answered.into(),
                ..Default::default()
            })
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    }
    let (_, list) = crm.get("/api/v1/service-requests").await;
    assert_eq!(
        list,
        serde_json::json!({"service_requests": []}),
        "nothing was stored"
    );
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_facts_are_refused_with_the_field_named() {
    let crm = Crm::start().await;
    let cti = crm.cti().await;
    let huge_caller = CallArrived {
        call_id: "big".into(),
        caller_number: "3".repeat(200),
        ..Default::default()
    };
    let refused = cti
        .report_call_arrived(huge_caller)
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().contains("caller_number"), "{refused}");
    // Past the message limit, tonic refuses before our code runs.
    let four_mb = CallArrived {
        call_id: "bigger".into(),
        caller_number: "3".repeat(4 * 1024 * 1024),
        ..Default::default()
    };
    let refused = cti.report_call_arrived(four_mb).await.expect_err("refused");
    assert_ne!(refused.code(), tonic::Code::Ok);
    let (_, list) = crm.get("/api/v1/service-requests").await;
    assert_eq!(list, serde_json::json!({"service_requests": []}));
    crm.stop().await.expect("clean shutdown");
}
