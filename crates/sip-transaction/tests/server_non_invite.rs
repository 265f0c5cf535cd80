//! Non-INVITE server transactions (RFC 3261 17.2.2), responses honouring received/rport
//! (RFC 3261 18.2.2, RFC 3581), OPTIONS.

mod common;
use common::*;
use sip_message::{Method, SipHeaders};
use sip_transaction::options::{DEFAULT_ACCEPT, DEFAULT_ALLOW, options_response};

#[test]
fn trying_discards_completed_resends_then_timer_j() {
    let mut h = Harness::new();
    let (tx, req) = incoming(&h.receive(peer(), &request("OPTIONS", "z9hG4bKo1", 1)));
    // Trying: a retransmission is discarded (nothing to resend).
    assert!(
        h.receive(peer(), &request("OPTIONS", "z9hG4bKo1", 1))
            .is_empty()
    );

    let resp = options_response(&req, DEFAULT_ALLOW, DEFAULT_ACCEPT, &["replaces"]);
    h.ep.respond(h.now, tx, resp).unwrap();
    let sent = transmits(&h.drain());
    let ok = as_response(&sent[0].1);
    assert_eq!(ok.status, 200);
    assert!(ok.headers.get("Allow").unwrap().contains("INVITE"));
    assert_eq!(ok.headers.get("Accept"), Some("application/sdp"));
    assert_eq!(ok.headers.get("Supported"), Some("replaces"));
    assert!(ok.to_hdr().unwrap().tag().is_some());

    let outs = h.receive(peer(), &request("OPTIONS", "z9hG4bKo1", 1));
    assert_eq!(status_of(&transmits(&outs)[0].1), Some(200));
    assert!(events(&outs).is_empty());
    // Timer J = 64*T1 for UDP.
    assert!(h.run_until(ms(64 * 500) - ms(1)).is_empty());
    assert_eq!(h.ep.server_transaction_count(), 1);
    h.run_until(ms(64 * 500));
    assert_eq!(h.ep.server_transaction_count(), 0);
    // Same branch after Timer J: a new transaction.
    let outs = h.receive(peer(), &request("OPTIONS", "z9hG4bKo1", 1));
    incoming(&outs);
}

#[test]
fn provisional_is_resent_on_retransmission() {
    let mut h = Harness::new();
    let (tx, _) = incoming(&h.receive(peer(), &request("MESSAGE", "z9hG4bKm1", 5)));
    let trying = h.ep.response(tx, 100, "Trying").unwrap();
    assert!(
        trying.to_hdr().unwrap().tag().is_none(),
        "no tag needed on 100"
    );
    h.ep.respond(h.now, tx, trying).unwrap();
    h.drain();
    let outs = h.receive(peer(), &request("MESSAGE", "z9hG4bKm1", 5));
    assert_eq!(status_of(&transmits(&outs)[0].1), Some(100));
}

#[test]
fn unanswered_request_is_reaped_after_64_t1() {
    let mut h = Harness::new();
    incoming(&h.receive(peer(), &request("INFO", "z9hG4bKi1", 9)));
    h.run_until(ms(64 * 500));
    assert_eq!(h.ep.server_transaction_count(), 0);
    assert_eq!(h.ep.stats().unanswered_requests, 1);
}

#[test]
fn responses_go_to_received_and_rport() {
    let mut h = Harness::new();
    // Behind a NAT: Via says 10.0.0.5:5060, the datagram came from 203.0.113.9:40123.
    let nat: std::net::SocketAddr = "203.0.113.9:40123".parse().unwrap();
    let text = request("OPTIONS", "z9hG4bKn1", 1).replace(
        "192.0.2.10:5060;branch=z9hG4bKn1",
        "10.0.0.5:5060;branch=z9hG4bKn1;rport",
    );
    let (tx, req) = incoming(&h.receive(nat, &text));
    let ok = h.ep.response(tx, 200, "OK").unwrap();
    let via = ok.top_via().unwrap();
    assert_eq!(via.param("received"), Some(Some("203.0.113.9")));
    assert_eq!(via.param("rport"), Some(Some("40123")));
    h.ep.respond(h.now, tx, ok).unwrap();
    assert_eq!(transmits(&h.drain())[0].0, nat);
    assert_eq!(req.method, Method::Options);

    // Without rport: the received address at the Via port (RFC 3261 18.2.2).
    let text = request("OPTIONS", "z9hG4bKn2", 2).replace("192.0.2.10:5060", "10.0.0.5:5062");
    let (tx, _) = incoming(&h.receive(nat, &text));
    let ok = h.ep.response(tx, 200, "OK").unwrap();
    h.ep.respond(h.now, tx, ok).unwrap();
    assert_eq!(
        transmits(&h.drain())[0].0,
        "203.0.113.9:5062".parse().unwrap()
    );
}

#[test]
fn same_branch_different_method_is_a_different_transaction() {
    let mut h = Harness::new();
    incoming(&h.receive(peer(), &request("OPTIONS", "z9hG4bKs", 1)));
    incoming(&h.receive(peer(), &request("INFO", "z9hG4bKs", 2)));
    assert_eq!(h.ep.server_transaction_count(), 2);
}
