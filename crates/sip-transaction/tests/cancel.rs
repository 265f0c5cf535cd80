//! CANCEL in both directions (RFC 3261 9.1, 9.2).

mod common;
use common::*;
use sip_message::{Method, NameAddr, SipHeaders, Uri};
use sip_transaction::Event;

fn cancel(branch: &str) -> String {
    invite(branch)
        .replace("INVITE sip:", "CANCEL sip:")
        .replace("314159 INVITE", "314159 CANCEL")
        .replace("Contact: <sip:alice@192.0.2.10:5060>\n", "")
}

#[test]
fn cancel_matching_an_invite_gets_200_and_an_event() {
    let mut h = Harness::new();
    let (invite_tx, _) = incoming(&h.receive(peer(), &invite("z9hG4bKc1")));
    let ringing = h.ep.response(invite_tx, 180, "Ringing").unwrap();
    h.ep.respond(h.now, invite_tx, ringing).unwrap();
    h.drain();

    let outs = h.receive(peer(), &cancel("z9hG4bKc1"));
    let sent = transmits(&outs);
    assert_eq!(sent.len(), 1);
    let ok = as_response(&sent[0].1);
    assert_eq!(
        (ok.status, ok.cseq().unwrap().method),
        (200, Method::Cancel)
    );
    // Same To tag as the INVITE's responses (RFC 3261 9.2).
    assert_eq!(ok.to_hdr().unwrap().tag(), h.ep.local_tag(invite_tx));
    match &events(&outs)[..] {
        [
            Event::CancelReceived {
                invite_tx: t,
                cancel,
                source,
            },
        ] => {
            assert_eq!(*t, invite_tx);
            assert_eq!(cancel.method, Method::Cancel);
            assert_eq!(*source, peer());
        }
        other => panic!("expected CancelReceived, got {other:?}"),
    }
    // Retransmitted CANCEL: 200 again, no second event.
    let outs = h.receive(peer(), &cancel("z9hG4bKc1"));
    assert!(events(&outs).is_empty());
    assert_eq!(status_of(&transmits(&outs)[0].1), Some(200));

    // The TU answers the INVITE 487; the caller ACKs.
    let terminated = h.ep.response(invite_tx, 487, "Request Terminated").unwrap();
    h.ep.respond(h.now, invite_tx, terminated).unwrap();
    assert_eq!(status_of(&transmits(&h.drain())[0].1), Some(487));
    let tag = h.ep.local_tag(invite_tx).unwrap().to_owned();
    assert!(
        h.receive(peer(), &ack_non_2xx("z9hG4bKc1", &tag))
            .is_empty()
    );
    h.run_until(ms(64 * 500));
    assert_eq!(h.ep.server_transaction_count(), 0);
}

#[test]
fn cancel_without_invite_gets_481() {
    let mut h = Harness::new();
    let outs = h.receive(peer(), &cancel("z9hG4bKnone"));
    assert!(events(&outs).is_empty());
    assert_eq!(status_of(&transmits(&outs)[0].1), Some(481));
}

#[test]
fn cancel_after_final_gets_200_without_event() {
    let mut h = Harness::new();
    let (invite_tx, _) = incoming(&h.receive(peer(), &invite("z9hG4bKc2")));
    let ok = h.ep.response(invite_tx, 200, "OK").unwrap();
    h.ep.respond(h.now, invite_tx, ok).unwrap();
    h.drain();
    let outs = h.receive(peer(), &cancel("z9hG4bKc2"));
    assert!(events(&outs).is_empty());
    assert_eq!(status_of(&transmits(&outs)[0].1), Some(200));
}

fn operator() -> std::net::SocketAddr {
    "192.0.2.20:5070".parse().unwrap()
}

fn send_invite(h: &mut Harness) -> (sip_transaction::ClientTxId, sip_message::Request) {
    let uri: Uri = "sip:op@192.0.2.20:5070".parse().unwrap();
    let from: NameAddr = "<sip:queue@127.0.0.1>".parse().unwrap();
    let to: NameAddr = "<sip:op@192.0.2.20>".parse().unwrap();
    let mut req = h.ep.new_request(Method::Invite, uri, from, to);
    req.headers.push("Route", "<sip:proxy.example;lr>");
    let tx = h.ep.send_request(h.now, req, operator()).unwrap();
    h.drain();
    let sent = h.ep.client_request(tx).unwrap().clone();
    (tx, sent)
}

#[test]
fn client_cancel_waits_for_a_provisional_then_follows_rfc_9_1() {
    let mut h = Harness::new();
    let (tx, invite) = send_invite(&mut h);
    let cancel_tx = h.ep.cancel(h.now, tx).expect("INVITE is pending");
    assert!(h.drain().is_empty(), "no CANCEL before a provisional");
    assert_eq!(h.ep.cancel(h.now, tx), Some(cancel_tx), "idempotent");

    let outs = h.receive(operator(), &reply_to(&invite, 180, Some("op")));
    let sent = transmits(&outs);
    assert_eq!(sent.len(), 1);
    let c = as_request(&sent[0].1);
    assert_eq!(c.method, Method::Cancel);
    assert_eq!(c.uri, invite.uri);
    assert_eq!(c.vias().unwrap(), vec![invite.top_via().unwrap()]);
    assert_eq!(c.call_id().unwrap(), invite.call_id().unwrap());
    assert_eq!(c.from_hdr().unwrap(), invite.from_hdr().unwrap());
    assert_eq!(c.to_hdr().unwrap(), invite.to_hdr().unwrap());
    assert_eq!(c.cseq().unwrap().seq, invite.cseq().unwrap().seq);
    assert_eq!(c.headers.get("Route"), Some("<sip:proxy.example;lr>"));

    // 200 for the CANCEL surfaces on the CANCEL's transaction, 487 on the INVITE's.
    let outs = h.receive(operator(), &reply_to(c, 200, Some("op")));
    assert!(matches!(&events(&outs)[..], [Event::Response { tx: t, .. }] if *t == cancel_tx));
    let outs = h.receive(operator(), &reply_to(&invite, 487, Some("op")));
    assert!(
        matches!(&events(&outs)[..], [Event::Response { tx: t, response, .. }] if *t == tx && response.status == 487)
    );
    assert_eq!(as_request(&transmits(&outs)[0].1).method, Method::Ack);
}

#[test]
fn cancelled_invite_without_final_gives_up_after_64_t1() {
    let mut h = Harness::new();
    let (tx, invite) = send_invite(&mut h);
    h.receive(operator(), &reply_to(&invite, 183, Some("op")));
    let cancel_tx = h.ep.cancel(h.now, tx).unwrap();
    h.drain();
    let log = h.run_until(ms(64 * 500));
    let evs: Vec<Event> = timed_events(&log).into_iter().map(|(_, e)| e).collect();
    assert!(evs.contains(&Event::TransactionTimeout { tx }));
    assert!(evs.contains(&Event::TransactionTimeout { tx: cancel_tx }));
    assert_eq!(h.ep.client_transaction_count(), 0);
}

#[test]
fn timer_c_cancels_a_ringing_invite() {
    let mut h = Harness::new();
    let (tx, invite) = send_invite(&mut h);
    h.receive(operator(), &reply_to(&invite, 180, Some("op")));
    let log = h.run_until(ms(180_000));
    let sent = timed_transmits(&log);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, ms(180_000));
    assert_eq!(as_request(&sent[0].1).method, Method::Cancel);
    assert!(h.ep.cancel(h.now, tx).is_some());
}

#[test]
fn cancel_of_answered_invite_is_none() {
    let mut h = Harness::new();
    let (tx, invite) = send_invite(&mut h);
    h.receive(operator(), &reply_to(&invite, 200, Some("op")));
    assert_eq!(h.ep.cancel(h.now, tx), None);
}
