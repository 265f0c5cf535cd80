//! The operator's desk, live: when the engine offers a call to Anna, her desk stream (gRPC
//! `WatchDesk`, or SSE over HTTP) pops the call's SR with the identified customer and their
//! latest SRs, or the customers at the caller's number when nobody was identified; then the
//! call connected and ended. Nobody else's calls reach her desk, she may not watch a
//! colleague's (a supervisor may), and the stream ends with her session and with the CRM.

mod common;

use std::time::Duration;

use common::grpc::refused;
use common::{Crm, MARCH_2026, OPERATOR, SUPERVISOR};
use cti_proto::crm::{self as wire, desk_event::Event, pin_change};
use cti_proto::{CallAnswered, CallOffered, CallOutcome, CallRecord, CallStage, EndReason};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tonic::Code;

const MARIO: &str = "+390551234567";

fn mario() -> wire::CustomerDraft {
    wire::CustomerDraft {
        kind: wire::CustomerKind::Person.into(),
        display_name: "Mario Rossi".into(),
        family_name: Some("Rossi".into()),
        phones: vec![wire::CustomerPhone {
            label: "home".into(),
            number: "055 1234567".into(),
            e164: None,
        }],
        pin: Some(wire::PinChange {
            change: Some(pin_change::Change::Set("2468".into())),
        }),
        ..Default::default()
    }
}

fn offer(call_id: &str, agent: &str, customer: Option<i64>) -> CallOffered {
    CallOffered {
        call_id: call_id.into(),
        caller_number: MARIO.into(),
        caller_number_e164: Some(MARIO.into()),
        dialled_number: "800123456".into(),
        channel: "phone".into(),
        queue: "technology".into(),
        waited_ms: 12_000,
        agent_id: agent.into(),
        offered_at_unix_ms: MARCH_2026,
        customer_id: customer.map(|id| id.to_string()),
        ivr_data: vec![cti_proto::IvrDatum::new("service_area", "technology")],
    }
}

fn ended(call_id: &str, agent: &str) -> CallRecord {
    CallRecord {
        call_id: call_id.into(),
        caller_number: MARIO.into(),
        dialled_number: "800123456".into(),
        channel: "phone".into(),
        queue: Some("technology".into()),
        outcome: CallOutcome::Answered.into(),
        started_at_unix_ms: MARCH_2026 - 30_000,
        answered_at_unix_ms: Some(MARCH_2026 + 2_000),
        ended_at_unix_ms: MARCH_2026 + 62_000,
        waited_ms: Some(12_000),
        talk_ms: Some(60_000),
        agent_id: Some(agent.into()),
        end_reason: EndReason::CallerHungUp.into(),
        stage: CallStage::Talking.into(),
        sip_call_id: format!("sip-{call_id}"),
        ..Default::default()
    }
}

/// The next event of a desk stream, within a few seconds.
async fn next(stream: &mut tonic::Streaming<wire::DeskEvent>) -> Event {
    tokio::time::timeout(Duration::from_secs(5), stream.message())
        .await
        .expect("an event within 5 s")
        .expect("the stream is healthy")
        .expect("the stream goes on")
        .event
        .expect("an event")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_sees_the_pop_then_the_call_connected_and_ended() {
    let crm = Crm::start().await;
    let mut anna = crm.staff_client(OPERATOR).await;
    let cti = crm.cti().await;
    let mario = anna
        .create_customer(wire::CreateCustomerRequest {
            customer: Some(mario()),
        })
        .await
        .expect("a customer")
        .into_inner();
    // Mario called last week: that SR is in his history.
    let earlier = cti
        .report_call_offered(offer("c-0", "anna", Some(mario.id)))
        .await
        .expect("an earlier call")
        .service_request
        .expect("its SR")
        .number;

    let mut desk = anna
        .watch_desk(wire::WatchDeskRequest::default())
        .await
        .expect("anna watches her desk")
        .into_inner();

    // A call for Bruno (from Mario's number, unidentified): not Anna's business.
    let brunos = cti
        .report_call_offered(offer("c-bruno", "bruno", None))
        .await
        .expect("offered to bruno")
        .service_request
        .expect("its SR")
        .number;

    // Mario calls, identified by the IVR, and Anna's phone rings.
    let sr = cti
        .report_call_offered(offer("c-1", "anna", Some(mario.id)))
        .await
        .expect("offered to anna")
        .service_request
        .expect("its SR")
        .number;
    let Event::Offered(pop) = next(&mut desk).await else {
        panic!("the pop comes first");
    };
    assert_eq!(pop.call_id, "c-1", "Bruno's call never reached Anna's desk");
    let pop_sr = pop.service_request.expect("the SR");
    assert_eq!(pop_sr.number, sr);
    assert_eq!(pop_sr.service_area.as_deref(), Some("technology"));
    assert_eq!(pop.waited_ms, Some(12_000));
    let customer = pop.customer.expect("the identified customer");
    assert_eq!(customer.customer.expect("who").display_name, "Mario Rossi");
    let history: Vec<&str> = customer
        .recent_requests
        .iter()
        .map(|r| r.number.as_str())
        .collect();
    // Newest first: this call, the unidentified one from his number, last week's.
    assert_eq!(history, [sr.as_str(), brunos.as_str(), earlier.as_str()]);
    let matched: Vec<i32> = customer
        .recent_requests
        .iter()
        .map(|r| r.matched_by)
        .collect();
    assert_eq!(
        matched,
        [
            wire::RecentMatch::Customer as i32,
            wire::RecentMatch::CallerNumber as i32,
            wire::RecentMatch::Customer as i32
        ]
    );
    assert!(pop.candidates.is_empty());

    cti.report_call_answered(CallAnswered {
        call_id: "c-1".into(),
        agent_id: "anna".into(),
        answered_at_unix_ms: MARCH_2026 + 2_000,
    })
    .await
    .expect("answered");
    let Event::Connected(connected) = next(&mut desk).await else {
        panic!("then connected");
    };
    assert_eq!(connected.call_id, "c-1");
    cti.report_call_ended(ended("c-1", "anna"))
        .await
        .expect("ended");
    let Event::Ended(done) = next(&mut desk).await else {
        panic!("then ended");
    };
    assert_eq!(done.service_request.expect("the SR").number, sr);

    // A caller nobody identified: the pop offers the customers at the number.
    cti.report_call_offered(offer("c-2", "anna", None))
        .await
        .expect("offered");
    let Event::Offered(pop) = next(&mut desk).await else {
        panic!("a pop");
    };
    assert!(pop.customer.is_none());
    let candidates: Vec<i64> = pop.candidates.iter().map(|c| c.id).collect();
    assert_eq!(candidates, [mario.id]);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_operator_and_supervisors_watch_a_desk_and_it_ends_with_the_session() {
    let crm = Crm::start().await;
    let anna_login = crm.grpc_login(OPERATOR).await;
    let mut anna = crm.crm_client(Some(&anna_login.token)).await;
    let colleague = refused(
        anna.watch_desk(wire::WatchDeskRequest {
            operator: "bruno".into(),
        })
        .await,
    );
    assert_eq!(colleague.code(), Code::PermissionDenied);
    let mut stranger = crm.crm_client(None).await;
    let anonymous = refused(stranger.watch_desk(wire::WatchDeskRequest::default()).await);
    assert_eq!(anonymous.code(), Code::Unauthenticated);

    // The supervisor follows Anna's desk.
    let mut sara = crm.staff_client(SUPERVISOR).await;
    let mut followed = sara
        .watch_desk(wire::WatchDeskRequest {
            operator: "anna".into(),
        })
        .await
        .expect("a supervisor watches any desk")
        .into_inner();
    let mut own = anna
        .watch_desk(wire::WatchDeskRequest::default())
        .await
        .expect("her own")
        .into_inner();
    crm.cti()
        .await
        .report_call_offered(offer("c-9", "anna", None))
        .await
        .expect("offered");
    for stream in [&mut followed, &mut own] {
        let Event::Offered(pop) = next(stream).await else {
            panic!("the pop");
        };
        assert_eq!(pop.call_id, "c-9");
    }

    // Anna logs out: her stream ends (the session is checked every 200 ms in these tests).
    anna.logout(wire::LogoutRequest {}).await.expect("logout");
    let end = tokio::time::timeout(Duration::from_secs(5), own.message())
        .await
        .expect("the stream ends soon after the logout");
    assert!(matches!(end, Ok(None)), "ended cleanly: {end:?}");

    // The CRM stops with a stream still open: it ends, and the shutdown does not hang.
    tokio::time::timeout(Duration::from_secs(10), crm.stop())
        .await
        .expect("shutdown does not wait for desk streams")
        .expect("clean shutdown");
    let end = tokio::time::timeout(Duration::from_secs(5), followed.message())
        .await
        .expect("the supervisor's stream ends with the CRM");
    assert!(!matches!(end, Ok(Some(_))), "no more events: {end:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_get_the_same_pop_as_server_sent_events() {
    let crm = Crm::start().await;
    let token = crm.token(OPERATOR).await;
    let mut tcp = tokio::net::TcpStream::connect(crm.http_addr)
        .await
        .expect("connect");
    tcp.write_all(
        format!(
            "GET /api/v1/desk/events HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Accept: text/event-stream\r\n\r\n",
            crm.http_addr
        )
        .as_bytes(),
    )
    .await
    .expect("request sent");
    let mut lines = BufReader::new(tcp).lines();
    let status = lines
        .next_line()
        .await
        .expect("read")
        .expect("a status line");
    assert!(status.contains(" 200 "), "{status}");
    // Headers, then the stream is open: offer a call.
    while let Some(line) = lines.next_line().await.expect("read") {
        if line.is_empty() {
            break;
        }
        assert!(
            !line.to_ascii_lowercase().starts_with("content-type")
                || line.contains("text/event-stream"),
            "{line}"
        );
    }
    let sr = crm
        .cti()
        .await
        .report_call_offered(offer("c-sse", "anna", None))
        .await
        .expect("offered")
        .service_request
        .expect("an SR")
        .number;
    let read = async {
        let mut event = None;
        while let Some(line) = lines.next_line().await.expect("read") {
            // Chunked framing puts sizes on lines of their own: skip them.
            if let Some(name) = line.strip_prefix("event: ") {
                event = Some(name.to_owned());
            } else if let Some(data) = line.strip_prefix("data: ") {
                return (event.take(), data.to_owned());
            }
        }
        panic!("the stream ended before the pop");
    };
    let (event, data) = tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("the pop within 5 s");
    assert_eq!(event.as_deref(), Some("offered"));
    let pop: serde_json::Value = serde_json::from_str(&data).expect("JSON");
    assert_eq!(pop["call_id"], "c-sse");
    assert_eq!(pop["service_request"]["number"], sr.as_str());
    assert_eq!(pop["service_request"]["call"]["caller_number"], MARIO);
    assert_eq!(pop["waited_ms"], 12_000);

    // Without a session: 401, like every route.
    let anonymous = crm.get_as(None, "/api/v1/desk/events").await;
    assert_eq!(anonymous.status, 401);
    tokio::time::timeout(Duration::from_secs(10), crm.stop())
        .await
        .expect("shutdown does not wait for the SSE stream")
        .expect("clean shutdown");
}
