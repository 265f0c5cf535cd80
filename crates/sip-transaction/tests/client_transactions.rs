//! Client transactions (RFC 3261 17.1.1 INVITE with RFC 6026 7.2, 17.1.2 non-INVITE):
//! Timers A, B, D, E, F, K, M in simulated time.

mod common;
use common::*;
use sip_message::{Method, NameAddr, SipHeaders, Uri};
use sip_transaction::{EndpointConfig, Event};

fn operator() -> std::net::SocketAddr {
    "192.0.2.20:5070".parse().unwrap()
}

fn new_request(h: &mut Harness, method: Method) -> sip_message::Request {
    let uri: Uri = "sip:op@192.0.2.20:5070".parse().unwrap();
    let from: NameAddr = "<sip:queue@127.0.0.1>".parse().unwrap();
    let to: NameAddr = "<sip:op@192.0.2.20>".parse().unwrap();
    h.ep.new_request(method, uri, from, to)
}

#[test]
fn timer_a_doubles_until_timer_b() {
    let mut h = Harness::new();
    let req = new_request(&mut h, Method::Invite);
    let tx = h.ep.send_request(h.now, req, operator()).unwrap();
    let first = h.drain();
    let sent = transmits(&first);
    assert_eq!(sent[0].0, operator());
    let invite = as_request(&sent[0].1);
    let via = invite.top_via().unwrap();
    assert!(via.branch().unwrap().starts_with("z9hG4bK"));
    assert_eq!(via.param("rport"), Some(None));
    assert_eq!(invite.max_forwards().unwrap(), Some(70));
    assert_eq!(invite.headers.get("User-Agent"), Some("centralino-test"));

    let log = h.run_until(ms(64 * 500));
    let times: Vec<u64> = timed_transmits(&log)
        .iter()
        .map(|(t, m)| {
            assert_eq!(as_request(m), invite, "retransmissions are identical");
            t.as_millis() as u64
        })
        .collect();
    // Timer A: T1, doubling, no cap (RFC 3261 17.1.1.2).
    assert_eq!(times, vec![500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(
        timed_events(&log),
        vec![(ms(32000), Event::TransactionTimeout { tx })]
    );
    assert_eq!(h.ep.client_transaction_count(), 0);
    assert_eq!(h.ep.stats().transaction_timeouts, 1);
}

#[test]
fn provisional_stops_timer_a_and_non_2xx_is_acked_with_timer_d() {
    let mut h = Harness::new();
    let req = new_request(&mut h, Method::Invite);
    let tx = h.ep.send_request(h.now, req, operator()).unwrap();
    h.drain();
    let sent = h.ep.client_request(tx).unwrap().clone();
    let outs = h.receive(operator(), &reply_to(&sent, 180, Some("op1")));
    assert!(
        matches!(&events(&outs)[..], [Event::Response { response, .. }] if response.status == 180)
    );
    // Proceeding: no Timer A, no Timer B; Timer C is 3 minutes away.
    assert!(h.run_until(ms(64 * 500 + 1000)).is_empty());

    let outs = h.receive(operator(), &reply_to(&sent, 486, Some("op1")));
    let acks = transmits(&outs);
    let ack = as_request(&acks[0].1);
    // RFC 3261 17.1.1.3: same branch, To from the response, CSeq number with ACK.
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(
        ack.top_via().unwrap().branch(),
        sent.top_via().unwrap().branch()
    );
    assert_eq!(ack.to_hdr().unwrap().tag(), Some("op1"));
    assert_eq!(ack.cseq().unwrap().seq, sent.cseq().unwrap().seq);
    assert_eq!(ack.uri, sent.uri);
    assert!(
        matches!(&events(&outs)[..], [Event::Response { response, .. }] if response.status == 486)
    );

    // Completed: a retransmitted 486 is ACKed again and not passed up.
    let outs = h.receive(operator(), &reply_to(&sent, 486, Some("op1")));
    assert!(events(&outs).is_empty());
    assert_eq!(transmits(&outs).len(), 1);
    // Timer D = 32 s.
    let t = h.elapsed();
    h.run_until(t + ms(32000) - ms(1));
    assert_eq!(h.ep.client_transaction_count(), 1);
    h.run_until(t + ms(32000));
    assert_eq!(h.ep.client_transaction_count(), 0);
}

#[test]
fn two_xx_retransmissions_are_flagged_until_timer_m() {
    let mut h = Harness::new();
    let req = new_request(&mut h, Method::Invite);
    let tx = h.ep.send_request(h.now, req, operator()).unwrap();
    h.drain();
    let sent = h.ep.client_request(tx).unwrap().clone();
    let ok = reply_to(&sent, 200, Some("op1"));
    let outs = h.receive(operator(), &ok);
    assert!(
        transmits(&outs).is_empty(),
        "the TU ACKs a 2xx, not the transaction"
    );
    assert!(matches!(
        &events(&outs)[..],
        [Event::Response {
            retransmission: false,
            ..
        }]
    ));
    let outs = h.receive(operator(), &ok);
    assert!(matches!(
        &events(&outs)[..],
        [Event::Response {
            retransmission: true,
            ..
        }]
    ));
    // A 2xx from another fork is new.
    let outs = h.receive(operator(), &reply_to(&sent, 200, Some("op2")));
    assert!(matches!(
        &events(&outs)[..],
        [Event::Response {
            retransmission: false,
            ..
        }]
    ));
    // No retransmission of the INVITE after the 2xx; Timer M at 64*T1.
    assert!(h.run_until(ms(64 * 500) - ms(1)).is_empty());
    assert_eq!(h.ep.client_transaction_count(), 1);
    h.run_until(ms(64 * 500));
    assert_eq!(h.ep.client_transaction_count(), 0);
    // After Timer M, a stray 2xx is dropped and counted.
    assert!(h.receive(operator(), &ok).is_empty());
    assert_eq!(h.ep.stats().stray_responses, 1);
}

#[test]
fn timer_e_caps_at_t2_until_timer_f() {
    let mut h = Harness::new();
    let req = new_request(&mut h, Method::Options);
    let tx = h.ep.send_request(h.now, req, operator()).unwrap();
    h.drain();
    let log = h.run_until(ms(64 * 500));
    let times: Vec<u64> = timed_transmits(&log)
        .iter()
        .map(|(t, _)| t.as_millis() as u64)
        .collect();
    // Timer E: T1, 2T1, 4T1, then T2 (RFC 3261 17.1.2.2).
    assert_eq!(
        times,
        vec![
            500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert_eq!(
        timed_events(&log),
        vec![(ms(32000), Event::TransactionTimeout { tx })]
    );
    assert_eq!(h.ep.client_transaction_count(), 0);
}

#[test]
fn provisional_puts_timer_e_at_t2_and_final_starts_timer_k() {
    let mut h = Harness::new();
    let req = new_request(&mut h, Method::Bye);
    let tx = h.ep.send_request(h.now, req, operator()).unwrap();
    h.drain();
    let sent = h.ep.client_request(tx).unwrap().clone();
    h.run_until(ms(500)); // first retransmission; next would be at 1500
    h.receive(operator(), &reply_to(&sent, 100, None));
    let log = h.run_until(ms(10_000));
    let times: Vec<u64> = timed_transmits(&log)
        .iter()
        .map(|(t, _)| t.as_millis() as u64)
        .collect();
    // Already scheduled at 1500, then T2 apart.
    assert_eq!(times, vec![1500, 5500, 9500]);
    let outs = h.receive(operator(), &reply_to(&sent, 200, Some("x")));
    assert!(
        matches!(&events(&outs)[..], [Event::Response { response, .. }] if response.status == 200)
    );
    // Completed: retransmitted finals absorbed; Timer K = T4.
    assert!(
        h.receive(operator(), &reply_to(&sent, 200, Some("x")))
            .is_empty()
    );
    assert!(h.run_until(ms(10_000) + T4 - ms(1)).is_empty());
    assert_eq!(h.ep.client_transaction_count(), 1);
    h.run_until(ms(10_000) + T4);
    assert_eq!(h.ep.client_transaction_count(), 0);
}

#[test]
fn custom_timers_scale() {
    let mut config = EndpointConfig::new(local(), "");
    config.t1 = ms(100);
    config.t2 = ms(400);
    let mut h = Harness::with_config(config);
    let req = new_request(&mut h, Method::Options);
    let tx = h.ep.send_request(h.now, req, operator()).unwrap();
    let first = h.drain();
    assert!(
        as_request(&transmits(&first)[0].1)
            .headers
            .get("User-Agent")
            .is_none()
    );
    let log = h.run_until(ms(6400));
    assert_eq!(
        timed_events(&log),
        vec![(ms(6400), Event::TransactionTimeout { tx })]
    );
}

#[test]
fn misuse_is_an_error() {
    let mut h = Harness::new();
    let ack = new_request(&mut h, Method::Ack);
    assert_eq!(
        h.ep.send_request(h.now, ack, operator()),
        Err(sip_transaction::Error::AckIsNotATransaction)
    );
    let mut bad = new_request(&mut h, Method::Options);
    bad.method = Method::Info;
    assert_eq!(
        h.ep.send_request(h.now, bad, operator()),
        Err(sip_transaction::Error::CSeqMethodMismatch)
    );
}
