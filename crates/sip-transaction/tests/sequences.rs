//! Sequence fuzzing (quinn style): arbitrary datagrams, timeouts and TU commands never panic,
//! never leave a timer in the past, and never leave a transaction alive past its timers.

mod common;
use std::time::Duration;

use common::*;
use proptest::prelude::*;
use sip_message::{Method, NameAddr, Request, Uri};
use sip_transaction::{ClientTxId, Event, Output, ServerTxId};

#[derive(Debug, Clone)]
enum Op {
    Advance(u32),
    Invite(u8),
    NonInvite(u8, u8),
    AckNon2xx(u8),
    Ack2xx,
    Cancel(u8),
    Garbage(Vec<u8>),
    Mutated(u8, usize, u8),
    Respond(u8, u16),
    SendRequest(bool),
    Reply(u8, u16, u8),
    CancelClient(u8),
    SendAck(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let status = prop_oneof![
        Just(100u16),
        Just(180),
        Just(183),
        Just(200),
        Just(202),
        Just(302),
        Just(404),
        Just(486),
        Just(487),
        Just(503),
        Just(603),
        Just(99),
        Just(700),
    ];
    prop_oneof![
        (0u32..40_000).prop_map(Op::Advance),
        (0u8..4).prop_map(Op::Invite),
        (0u8..4, 0u8..3).prop_map(|(b, m)| Op::NonInvite(b, m)),
        (0u8..4).prop_map(Op::AckNon2xx),
        Just(Op::Ack2xx),
        (0u8..4).prop_map(Op::Cancel),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Op::Garbage),
        (0u8..4, any::<usize>(), any::<u8>()).prop_map(|(b, i, x)| Op::Mutated(b, i, x)),
        (any::<u8>(), status.clone()).prop_map(|(p, s)| Op::Respond(p, s)),
        any::<bool>().prop_map(Op::SendRequest),
        (any::<u8>(), status, 0u8..2).prop_map(|(p, s, t)| Op::Reply(p, s, t)),
        any::<u8>().prop_map(Op::CancelClient),
        any::<u8>().prop_map(Op::SendAck),
    ]
}

fn branch(b: u8) -> String {
    // Branch 3 is an RFC 2543 peer (no magic cookie).
    if b == 3 {
        "old2543".into()
    } else {
        format!("z9hG4bKseq{b}")
    }
}

struct World {
    h: Harness,
    server_txs: Vec<ServerTxId>,
    client_txs: Vec<(ClientTxId, Request)>,
    tags: Vec<String>,
}

impl World {
    fn absorb(&mut self, outs: Vec<Output>) {
        for o in outs {
            match o {
                Output::Event(Event::IncomingRequest { tx, .. }) => self.server_txs.push(tx),
                Output::Transmit { bytes, .. } => {
                    // Everything we send must parse, except the parser's own 400 replies,
                    // which echo the broken headers verbatim (RFC 3261 8.2.6.2 copies Via).
                    let parsed = sip_message::parse(&bytes);
                    assert!(
                        parsed.is_ok() || bytes.starts_with(b"SIP/2.0 400"),
                        "we sent unparsable bytes: {parsed:?}"
                    );
                }
                _ => {}
            }
        }
    }

    fn check_deadline(&self) {
        if let Some(deadline) = self.h.ep.poll_timeout() {
            assert!(deadline > self.h.now, "a timer is due but was not fired");
            // Timer C (180 s) is the longest timer.
            assert!(deadline - self.h.now <= Duration::from_secs(181));
        }
    }

    fn apply(&mut self, op: Op) {
        let peer = peer();
        let outs = match op {
            Op::Advance(ms_) => {
                let log = self.h.advance(ms(ms_.into()));
                log.into_iter().map(|(_, o)| o).collect()
            }
            Op::Invite(b) => self.h.receive(peer, &invite(&branch(b))),
            Op::NonInvite(b, m) => {
                let method = ["OPTIONS", "BYE", "INFO"][m as usize];
                self.h.receive(peer, &request(method, &branch(b), 1))
            }
            Op::AckNon2xx(b) => {
                let tag = self.tags.last().cloned().unwrap_or_default();
                self.h.receive(peer, &ack_non_2xx(&branch(b), &tag))
            }
            Op::Ack2xx => {
                let tag = self.tags.last().cloned().unwrap_or_default();
                self.h.receive(peer, &ack_2xx(&tag))
            }
            Op::Cancel(b) => {
                let text = invite(&branch(b))
                    .replace("INVITE sip:", "CANCEL sip:")
                    .replace("314159 INVITE", "314159 CANCEL");
                self.h.receive(peer, &text)
            }
            Op::Garbage(bytes) => {
                self.h.ep.handle_datagram(self.h.now, peer, &bytes);
                self.h.drain()
            }
            Op::Mutated(b, at, x) => {
                let mut bytes = invite(&branch(b)).replace('\n', "\r\n").into_bytes();
                let at = at % bytes.len();
                bytes[at] = x;
                self.h.ep.handle_datagram(self.h.now, peer, &bytes);
                self.h.drain()
            }
            Op::Respond(pick, status) => {
                if self.server_txs.is_empty() {
                    return;
                }
                let tx = self.server_txs[pick as usize % self.server_txs.len()];
                if let Ok(response) = self.h.ep.response(tx, status, "Any") {
                    if let Some(tag) = self.h.ep.local_tag(tx) {
                        self.tags.push(tag.to_owned());
                    }
                    let _ = self.h.ep.respond(self.h.now, tx, response);
                }
                self.h.drain()
            }
            Op::SendRequest(is_invite) => {
                let method = if is_invite {
                    Method::Invite
                } else {
                    Method::Options
                };
                let uri: Uri = "sip:op@192.0.2.10:5060".parse().unwrap();
                let from: NameAddr = "<sip:queue@127.0.0.1>".parse().unwrap();
                let to: NameAddr = "<sip:op@192.0.2.10>".parse().unwrap();
                let req = self.h.ep.new_request(method, uri, from, to);
                let tx = self.h.ep.send_request(self.h.now, req, peer).unwrap();
                let sent = self.h.ep.client_request(tx).unwrap().clone();
                self.client_txs.push((tx, sent));
                self.h.drain()
            }
            Op::Reply(pick, status, tag) => {
                if self.client_txs.is_empty() || !(100..=699).contains(&status) {
                    return;
                }
                let (_, req) = &self.client_txs[pick as usize % self.client_txs.len()];
                let tag = (status > 100).then(|| format!("t{tag}"));
                let text = reply_to(req, status, tag.as_deref());
                self.h.receive(peer, &text)
            }
            Op::CancelClient(pick) => {
                if self.client_txs.is_empty() {
                    return;
                }
                let (tx, _) = self.client_txs[pick as usize % self.client_txs.len()];
                let _ = self.h.ep.cancel(self.h.now, tx);
                self.h.drain()
            }
            Op::SendAck(pick) => {
                if self.client_txs.is_empty() {
                    return;
                }
                let (_, req) = &self.client_txs[pick as usize % self.client_txs.len()];
                let mut ack = req.clone();
                ack.method = Method::Ack;
                ack.headers
                    .0
                    .retain(|h| !h.name.eq_ignore_ascii_case("Via"));
                let seq = req
                    .headers
                    .get("CSeq")
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap()
                    .to_owned();
                ack.headers.set("CSeq", format!("{seq} ACK"));
                self.h.ep.send_ack_2xx(ack, peer);
                self.h.drain()
            }
        };
        self.absorb(outs);
        self.check_deadline();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn arbitrary_sequences_terminate(ops in proptest::collection::vec(op(), 1..60)) {
        let mut w = World {
            h: Harness::new(),
            server_txs: Vec::new(),
            client_txs: Vec::new(),
            tags: Vec::new(),
        };
        for op in ops {
            w.apply(op);
        }
        // The TU answers whatever it left open (it must answer every INVITE).
        for tx in w.server_txs.clone() {
            if let Ok(r) = w.h.ep.response(tx, 500, "Server Error") {
                let _ = w.h.ep.respond(w.h.now, tx, r);
            }
        }
        let outs = w.h.drain();
        w.absorb(outs);
        // Longest chain: Timer C (180 s) + CANCEL guard (64*T1) or Timer D/M.
        w.h.advance(Duration::from_secs(300));
        prop_assert_eq!(w.h.ep.server_transaction_count(), 0);
        prop_assert_eq!(w.h.ep.client_transaction_count(), 0);
        prop_assert_eq!(w.h.ep.poll_timeout(), None);
        prop_assert_eq!(w.h.ep.armed_deadlines(), 0, "no deadline entry outlives its transaction");
    }
}
