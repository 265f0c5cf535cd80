//! INVITE server transactions (RFC 3261 17.2.1, RFC 6026 7.1) and the 2xx-until-ACK loop
//! (RFC 3261 13.3.1.4), in simulated time.

mod common;
use common::*;
use sip_message::SipHeaders;
use sip_transaction::Event;

#[test]
fn retransmitted_invite_is_absorbed_and_100_trying_after_200ms() {
    let mut h = Harness::new();
    let outs = h.receive(peer(), &invite("z9hG4bK1"));
    let (tx, request) = incoming(&outs);
    assert!(transmits(&outs).is_empty(), "no 100 before 200 ms");
    // received/rport stamped into the top Via (RFC 3261 18.2.1, RFC 3581).
    let via = request.top_via().unwrap();
    assert_eq!(via.param("rport"), Some(Some("5060")));
    assert_eq!(via.param("received"), Some(Some("192.0.2.10")));

    let log = h.run_until(ms(200));
    let sent = timed_transmits(&log);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, ms(200));
    assert_eq!(status_of(&sent[0].1), Some(100));

    // Retransmission: no new event, the last provisional is sent again.
    h.run_until(ms(500));
    let outs = h.receive(peer(), &invite("z9hG4bK1"));
    assert!(events(&outs).is_empty());
    assert_eq!(transmits(&outs).len(), 1);
    let r180 = h.ep.response(tx, 180, "Ringing").unwrap();
    h.ep.respond(h.now, tx, r180).unwrap();
    let outs = h.drain();
    let sent = transmits(&outs);
    assert_eq!(sent[0].0, peer());
    assert!(as_response(&sent[0].1).to_hdr().unwrap().tag().is_some());
    let outs = h.receive(peer(), &invite("z9hG4bK1"));
    assert_eq!(status_of(&transmits(&outs)[0].1), Some(180));
    assert_eq!(h.ep.stats().retransmissions_absorbed, 2);
    assert_eq!(h.ep.server_transaction_count(), 1);
}

#[test]
fn non_2xx_timer_g_doubles_to_t2_then_timer_h() {
    let mut h = Harness::new();
    let (tx, _) = incoming(&h.receive(peer(), &invite("z9hG4bK2")));
    let busy = h.ep.response(tx, 486, "Busy Here").unwrap();
    h.ep.respond(h.now, tx, busy).unwrap();
    let first = h.drain();
    assert_eq!(status_of(&transmits(&first)[0].1), Some(486));

    let log = h.run_until(ms(64 * 500));
    let times: Vec<u64> = timed_transmits(&log)
        .iter()
        .map(|(t, m)| {
            assert_eq!(status_of(m), Some(486));
            t.as_millis() as u64
        })
        .collect();
    // Timer G: T1, 2T1, 4T1, then T2 steps (RFC 3261 17.2.1).
    assert_eq!(
        times,
        vec![
            500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    // Timer H at 64*T1: no ACK, the TU hears of it.
    let evs = timed_events(&log);
    assert_eq!(
        evs,
        vec![(ms(32000), Event::AckTimeout { tx, status: 486 })]
    );
    assert_eq!(h.ep.server_transaction_count(), 0);
    assert_eq!(h.ep.poll_timeout(), None);
}

#[test]
fn ack_for_non_2xx_is_absorbed_then_timer_i() {
    let mut h = Harness::new();
    let (tx, _) = incoming(&h.receive(peer(), &invite("z9hG4bK3")));
    let busy = h.ep.response(tx, 486, "Busy Here").unwrap();
    h.ep.respond(h.now, tx, busy).unwrap();
    h.drain();
    let tag = h.ep.local_tag(tx).unwrap().to_owned();
    h.run_until(ms(600)); // one Timer G retransmission
    let outs = h.receive(peer(), &ack_non_2xx("z9hG4bK3", &tag));
    assert!(
        outs.is_empty(),
        "ACK for a non-2xx never reaches the TU: {outs:?}"
    );
    // Confirmed: retransmitted ACKs and INVITEs are absorbed, no more Timer G.
    assert!(h.receive(peer(), &ack_non_2xx("z9hG4bK3", &tag)).is_empty());
    assert!(h.receive(peer(), &invite("z9hG4bK3")).is_empty());
    let log = h.run_until(ms(600) + T4 - ms(1));
    assert!(log.is_empty());
    assert_eq!(h.ep.server_transaction_count(), 1);
    let log = h.run_until(ms(600) + T4);
    assert!(log.is_empty());
    // Timer I fired silently.
    assert_eq!(h.ep.server_transaction_count(), 0);
}

#[test]
fn two_xx_is_retransmitted_until_ack() {
    let mut h = Harness::new();
    let (tx, _) = incoming(&h.receive(peer(), &invite("z9hG4bK4")));
    let ok = h.ep.response(tx, 200, "OK").unwrap();
    let tag = ok.to_hdr().unwrap().tag().unwrap().to_owned();
    h.ep.respond(h.now, tx, ok).unwrap();
    assert_eq!(status_of(&transmits(&h.drain())[0].1), Some(200));

    let log = h.run_until(ms(7600));
    let times: Vec<u64> = timed_transmits(&log)
        .iter()
        .map(|(t, _)| t.as_millis() as u64)
        .collect();
    // T1 doubling up to T2 (RFC 3261 13.3.1.4).
    assert_eq!(times, vec![500, 1500, 3500, 7500]);

    // An INVITE retransmission in Accepted is absorbed (RFC 6026 7.1).
    assert!(h.receive(peer(), &invite("z9hG4bK4")).is_empty());

    let outs = h.receive(peer(), &ack_2xx(&tag));
    match &events(&outs)[..] {
        [
            Event::IncomingAck {
                tx: Some(acked),
                source,
                ..
            },
        ] => {
            assert_eq!(*acked, tx);
            assert_eq!(*source, peer());
        }
        other => panic!("expected IncomingAck, got {other:?}"),
    }
    // A duplicate ACK is absorbed; no more 2xx; Timer L ends it without AckTimeout.
    assert!(h.receive(peer(), &ack_2xx(&tag)).is_empty());
    let log = h.run_until(ms(64 * 500));
    assert!(log.is_empty(), "{log:?}");
    assert_eq!(h.ep.server_transaction_count(), 0);
}

#[test]
fn two_xx_without_ack_times_out_at_64_t1() {
    let mut h = Harness::new();
    let (tx, _) = incoming(&h.receive(peer(), &invite("z9hG4bK5")));
    let ok = h.ep.response(tx, 200, "OK").unwrap();
    h.ep.respond(h.now, tx, ok).unwrap();
    h.drain();
    let log = h.run_until(ms(64 * 500));
    assert_eq!(timed_transmits(&log).len(), 10);
    assert_eq!(
        timed_events(&log),
        vec![(ms(32000), Event::AckTimeout { tx, status: 200 })]
    );
    assert_eq!(h.ep.server_transaction_count(), 0);
    // A late ACK goes to the TU unmatched.
    let outs = h.receive(peer(), &ack_2xx("whatever"));
    assert!(matches!(
        &events(&outs)[..],
        [Event::IncomingAck { tx: None, .. }]
    ));
}

#[test]
fn respond_after_final_is_an_error() {
    let mut h = Harness::new();
    let (tx, _) = incoming(&h.receive(peer(), &invite("z9hG4bK6")));
    let ok = h.ep.response(tx, 200, "OK").unwrap();
    h.ep.respond(h.now, tx, ok.clone()).unwrap();
    assert_eq!(
        h.ep.respond(h.now, tx, ok.clone()),
        Err(sip_transaction::Error::FinalAlreadySent)
    );
    let mut bad = ok;
    bad.status = 700;
    assert_eq!(
        h.ep.respond(h.now, tx, bad),
        Err(sip_transaction::Error::InvalidStatus(700))
    );
}

#[test]
fn rfc2543_invite_without_magic_cookie_matches_retransmission_and_ack() {
    let mut h = Harness::new();
    let old = invite("").replace(";branch=;rport", "");
    let (tx, _) = incoming(&h.receive(peer(), &old));
    assert!(events(&h.receive(peer(), &old)).is_empty());
    let busy = h.ep.response(tx, 486, "Busy Here").unwrap();
    h.ep.respond(h.now, tx, busy).unwrap();
    h.drain();
    let tag = h.ep.local_tag(tx).unwrap().to_owned();
    let ack = ack_non_2xx("", &tag).replace(";branch=", "");
    assert!(h.receive(peer(), &ack).is_empty());
    h.run_until(T4);
    assert_eq!(h.ep.server_transaction_count(), 0);
}
