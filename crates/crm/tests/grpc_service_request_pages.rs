//! Service requests over the CRM's gRPC API: one by number, id or call ID; lists in bounded
//! pages whose opaque tokens walk every SR exactly once, even while new calls open SRs; a
//! search box that takes an SR number, a call ID or a caller's number in any form.

mod common;

use std::time::Duration;

use common::grpc::refused;
use common::{Crm, SUPERVISOR};
use cti_proto::crm as wire;
use tonic::Code;

const CALLER: &str = "+390551234567";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_paged_with_bounded_sizes_and_stable_tokens() {
    let crm = Crm::start().await;
    for i in 0..7 {
        let caller = if i % 2 == 0 { CALLER } else { "+390287654321" };
        crm.offered_call(&format!("c-{i}"), caller, "technology", None)
            .await;
    }
    let mut sara = crm.staff_client(SUPERVISOR).await;

    // Pages of 3: 3, 3, 1, newest first, each SR once.
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = sara
            .list_service_requests(wire::ListServiceRequestsRequest {
                page_size: 3,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("a page")
            .into_inner();
        pages += 1;
        assert!(page.service_requests.len() <= 3);
        seen.extend(page.service_requests.iter().map(|sr| sr.id));
        if pages == 1 {
            // A call that comes in while someone pages does not shift the later pages.
            crm.clock.advance(Duration::from_secs(60));
            crm.offered_call("c-late", CALLER, "technology", None).await;
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, [7, 6, 5, 4, 3, 2, 1], "newest first, each once");

    // A fresh list sees the new SR.
    let first = sara
        .list_service_requests(wire::ListServiceRequestsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("a page")
        .into_inner();
    assert_eq!(first.service_requests[0].call_id.as_deref(), Some("c-late"));

    // Filters narrow, and a filtered list pages too.
    let filtered = sara
        .list_service_requests(wire::ListServiceRequestsRequest {
            caller_number: Some(CALLER.into()),
            page_size: 2,
            ..Default::default()
        })
        .await
        .expect("a filtered page")
        .into_inner();
    assert_eq!(filtered.service_requests.len(), 2);
    assert!(
        filtered
            .service_requests
            .iter()
            .all(|sr| { sr.call.as_ref().map(|c| c.caller_number.as_str()) == Some(CALLER) })
    );

    // The bounds: no page above 100, no token for other filters, no made-up token.
    let too_big = refused(
        sara.list_service_requests(wire::ListServiceRequestsRequest {
            page_size: 101,
            ..Default::default()
        })
        .await,
    );
    assert_eq!(too_big.code(), Code::InvalidArgument);
    let other_filter = refused(
        sara.list_service_requests(wire::ListServiceRequestsRequest {
            queue: Some("technology".into()),
            page_token: filtered.next_page_token.clone(),
            ..Default::default()
        })
        .await,
    );
    assert_eq!(other_filter.code(), Code::InvalidArgument);
    let made_up = refused(
        sara.list_service_requests(wire::ListServiceRequestsRequest {
            page_token: "not a token".into(),
            ..Default::default()
        })
        .await,
    );
    assert_eq!(made_up.code(), Code::InvalidArgument);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sr_by_number_id_call_id_or_search() {
    let crm = Crm::start().await;
    let number = crm.offered_call("c-1", CALLER, "technology", None).await;
    crm.offered_call("c-2", "+390287654321", "technology", None)
        .await;
    let mut sara = crm.staff_client(SUPERVISOR).await;

    use wire::get_service_request_request::Key;
    for key in [
        Key::Number(number.clone()),
        Key::Id(1),
        Key::CallId("c-1".into()),
    ] {
        let sr = sara
            .get_service_request(wire::GetServiceRequestRequest {
                key: Some(key.clone()),
            })
            .await
            .unwrap_or_else(|e| panic!("{key:?}: {e}"))
            .into_inner();
        assert_eq!(sr.number, number);
        assert_eq!(sr.state(), cti_proto::ServiceRequestState::Open);
        let call = sr.call.expect("a call record");
        assert_eq!(call.caller_number, CALLER);
        assert_eq!(call.queue.as_deref(), Some("technology"));
        assert_eq!(
            call.outcome(),
            cti_proto::CallOutcome::Unspecified,
            "not ended yet"
        );
    }
    let missing = refused(
        sara.get_service_request(wire::GetServiceRequestRequest {
            key: Some(Key::Number("SR-2026-999999".into())),
        })
        .await,
    );
    assert_eq!(missing.code(), Code::NotFound);

    // The search box: an SR number, a call ID, or the caller's number as people write it.
    for query in [number.as_str(), "c-1", "055 1234567", "0039 055 1234567"] {
        let found = sara
            .search_service_requests(wire::SearchServiceRequestsRequest {
                query: query.into(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
            .into_inner();
        let numbers: Vec<&str> = found
            .service_requests
            .iter()
            .map(|sr| sr.number.as_str())
            .collect();
        assert_eq!(numbers, [number.as_str()], "{query}");
    }
    let nobody = sara
        .search_service_requests(wire::SearchServiceRequestsRequest {
            query: "anonymous".into(),
            ..Default::default()
        })
        .await
        .expect("a search that finds nothing")
        .into_inner();
    assert!(nobody.service_requests.is_empty());
    crm.stop().await.expect("clean shutdown");
}
