//! Malformed datagrams: a 400 when the request can be answered, else dropped; both counted.

mod common;
use common::*;

#[test]
fn garbage_is_dropped_and_counted() {
    let mut h = Harness::new();
    assert!(h.receive(peer(), "\u{0}\u{1}garbage").is_empty());
    assert!(
        h.receive(peer(), "SIP/2.0 200 OK\nVia: broken\n\n")
            .is_empty()
    );
    assert_eq!(h.ep.stats().malformed_dropped, 2);
    assert_eq!(h.ep.stats().bad_request_sent, 0);
}

#[test]
fn answerable_bad_request_gets_400_at_the_source() {
    let mut h = Harness::new();
    let text =
        request("OPTIONS", "z9hG4bKbad", 1).replace("Max-Forwards: 70", "Max-Forwards: lots");
    let outs = h.receive(peer(), &text);
    let sent = transmits(&outs);
    assert_eq!(sent.len(), 1, "{outs:?}");
    assert_eq!(sent[0].0, peer());
    assert_eq!(status_of(&sent[0].1), Some(400));
    assert!(events(&outs).is_empty());
    assert_eq!(h.ep.stats().bad_request_sent, 1);
    assert_eq!(h.ep.server_transaction_count(), 0);
}

#[test]
fn cseq_method_mismatch_is_rejected() {
    let mut h = Harness::new();
    let text = request("OPTIONS", "z9hG4bKmm", 1).replace("1 OPTIONS", "1 INFO");
    let outs = h.receive(peer(), &text);
    assert_eq!(status_of(&transmits(&outs)[0].1), Some(400));
    assert_eq!(h.ep.server_transaction_count(), 0);
}
