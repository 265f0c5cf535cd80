//! Shared test harness: a virtual clock and message builders. No sockets, no sleeps.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sip_message::{Message, Request, Response};
use sip_transaction::{Endpoint, EndpointConfig, Event, Output};

pub const T1: Duration = Duration::from_millis(500);
pub const T2: Duration = Duration::from_secs(4);
pub const T4: Duration = Duration::from_secs(5);

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn local() -> SocketAddr {
    "127.0.0.1:5060".parse().unwrap()
}

pub fn peer() -> SocketAddr {
    "192.0.2.10:5060".parse().unwrap()
}

/// An endpoint on a virtual clock.
pub struct Harness {
    pub ep: Endpoint,
    pub start: Instant,
    pub now: Instant,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_config(EndpointConfig::new(local(), "centralino-test"))
    }

    pub fn with_config(config: EndpointConfig) -> Self {
        let start = Instant::now();
        Self {
            ep: Endpoint::new(config, 42),
            start,
            now: start,
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Drain every output.
    pub fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.ep.poll_output()).collect()
    }

    pub fn receive(&mut self, from: SocketAddr, text: &str) -> Vec<Output> {
        let bytes = text.replace('\n', "\r\n");
        self.ep.handle_datagram(self.now, from, bytes.as_bytes());
        self.drain()
    }

    /// Follow the endpoint's deadlines up to `start + until`, recording outputs with the
    /// elapsed time at which they happened.
    pub fn run_until(&mut self, until: Duration) -> Vec<(Duration, Output)> {
        let end = self.start + until;
        let mut log = Vec::new();
        loop {
            while let Some(o) = self.ep.poll_output() {
                log.push((self.elapsed(), o));
            }
            match self.ep.poll_timeout() {
                Some(d) if d <= end => {
                    self.now = self.now.max(d);
                    self.ep.handle_timeout(self.now);
                }
                _ => {
                    self.now = self.now.max(end);
                    return log;
                }
            }
        }
    }

    pub fn advance(&mut self, by: Duration) -> Vec<(Duration, Output)> {
        let until = self.elapsed() + by;
        self.run_until(until)
    }
}

pub fn transmits(outs: &[Output]) -> Vec<(SocketAddr, Message)> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Transmit { to, bytes } => Some((*to, sip_message::parse(bytes).unwrap())),
            _ => None,
        })
        .collect()
}

pub fn events(outs: &[Output]) -> Vec<Event> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

pub fn timed_transmits(log: &[(Duration, Output)]) -> Vec<(Duration, Message)> {
    log.iter()
        .filter_map(|(t, o)| match o {
            Output::Transmit { bytes, .. } => Some((*t, sip_message::parse(bytes).unwrap())),
            _ => None,
        })
        .collect()
}

pub fn timed_events(log: &[(Duration, Output)]) -> Vec<(Duration, Event)> {
    log.iter()
        .filter_map(|(t, o)| match o {
            Output::Event(e) => Some((*t, e.clone())),
            _ => None,
        })
        .collect()
}

pub fn as_response(m: &Message) -> &Response {
    match m {
        Message::Response(r) => r,
        Message::Request(r) => panic!("expected a response, got {}", r.method),
    }
}

pub fn as_request(m: &Message) -> &Request {
    match m {
        Message::Request(r) => r,
        Message::Response(r) => panic!("expected a request, got {}", r.status),
    }
}

pub fn status_of(m: &Message) -> Option<u16> {
    match m {
        Message::Response(r) => Some(r.status),
        Message::Request(_) => None,
    }
}

/// An INVITE from the peer, RFC 3261 style.
pub fn invite(branch: &str) -> String {
    format!(
        "INVITE sip:service@127.0.0.1:5060 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5060;branch={branch};rport
Max-Forwards: 70
To: <sip:service@127.0.0.1>
From: \"Alice\" <sip:alice@192.0.2.10>;tag=1928301774
Call-ID: a84b4c76e66710@192.0.2.10
CSeq: 314159 INVITE
Contact: <sip:alice@192.0.2.10:5060>
Content-Length: 0

"
    )
}

/// A non-INVITE request from the peer.
pub fn request(method: &str, branch: &str, cseq: u32) -> String {
    format!(
        "{method} sip:service@127.0.0.1:5060 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5060;branch={branch}
Max-Forwards: 70
To: <sip:service@127.0.0.1>
From: <sip:alice@192.0.2.10>;tag=77
Call-ID: opt-1@192.0.2.10
CSeq: {cseq} {method}
Content-Length: 0

"
    )
}

/// The ACK for a non-2xx final, same branch as the INVITE (RFC 3261 17.1.1.3).
pub fn ack_non_2xx(branch: &str, to_tag: &str) -> String {
    format!(
        "ACK sip:service@127.0.0.1:5060 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5060;branch={branch}
Max-Forwards: 70
To: <sip:service@127.0.0.1>;tag={to_tag}
From: \"Alice\" <sip:alice@192.0.2.10>;tag=1928301774
Call-ID: a84b4c76e66710@192.0.2.10
CSeq: 314159 ACK
Content-Length: 0

"
    )
}

/// The ACK for a 2xx: a new branch (RFC 3261 13.2.2.4).
pub fn ack_2xx(to_tag: &str) -> String {
    format!(
        "ACK sip:alice@192.0.2.10:5060 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKack2xx
Max-Forwards: 70
To: <sip:service@127.0.0.1>;tag={to_tag}
From: \"Alice\" <sip:alice@192.0.2.10>;tag=1928301774
Call-ID: a84b4c76e66710@192.0.2.10
CSeq: 314159 ACK
Content-Length: 0

"
    )
}

/// Build the peer's response to a request we sent.
pub fn reply_to(request: &Request, status: u16, to_tag: Option<&str>) -> String {
    let mut r = Response::for_request(request, status, "Reason");
    if let Some(tag) = to_tag {
        let to = r.headers.get("To").unwrap().to_owned();
        r.headers.set("To", format!("{to};tag={tag}"));
        r.headers.push("Contact", "<sip:op@192.0.2.20:5070>");
    }
    String::from_utf8(r.to_bytes())
        .unwrap()
        .replace("\r\n", "\n")
}

/// Take the single server transaction id from an IncomingRequest.
pub fn incoming(outs: &[Output]) -> (sip_transaction::ServerTxId, Request) {
    for e in events(outs) {
        if let Event::IncomingRequest { tx, request, .. } = e {
            return (tx, request);
        }
    }
    panic!("no IncomingRequest in {outs:?}");
}
