//! Sequence fuzzing of the sans-IO SIP endpoint with a small transaction user on top, in
//! simulated time (quinn's `fuzz/fuzz_targets/streams.rs` style: `Arbitrary` operations
//! replayed against the machine).
//!
//! The peer sends requests built from fuzzed fields (methods, branches, tags, CSeq, Contact,
//! Expires, an extra header with a fuzzed value, digest credentials that are right, wrong or
//! fuzzed), the same requests with one byte changed, raw datagrams, requests in the TU's own
//! dialogs (their Call-ID and tags, a CSeq just below, at or above the dialog's last one), and
//! responses to what we sent. Credentials answer the last challenge we sent, or a fresh one
//! from the registrar when none was sent yet. The TU answers server transactions, registers
//! through the `Registrar`, keeps `Dialog`s on both sides (UAS from its 2xx, UAC from the
//! peer's responses), sends in-dialog requests, ACKs and CANCELs, and answers an in-dialog
//! request whose CSeq is not above the dialog's last one with 500 (RFC 3261 12.2.2).
//!
//! Checks: never a panic; everything the endpoint transmits parses (but for the parser's own
//! 400 replies, which echo broken headers as RFC 3261 8.2.6.2 asks); our own challenges parse;
//! a request built by a dialog is always accepted by `send_request`; a CANCEL the endpoint
//! reports can be answered with 487; no timer is left in the past; and once the TU has
//! answered everything, every transaction and deadline is gone after the longest timer chain.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sip_message::{Message, Method, NameAddr, Request, SipHeaders, Uri};
use sip_transaction::digest::{self, Algorithm, Challenge};
use sip_transaction::{
    ClientTxId, Dialog, DialogError, Endpoint, EndpointConfig, Event, Output, Registrar,
    RegistrarConfig, ServerTxId,
};

const METHODS: [&str; 14] = [
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "OPTIONS",
    "REGISTER",
    "INFO",
    "UPDATE",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "REFER",
    "MESSAGE",
    "FOO",
];
const STATUSES: [u16; 16] = [
    100, 180, 183, 200, 202, 301, 401, 404, 407, 481, 486, 487, 500, 503, 603, 699,
];
const EXTRA_HEADERS: [&str; 8] = [
    "Route",
    "Record-Route",
    "Contact",
    "Authorization",
    "Expires",
    "Via",
    "Require",
    "Content-Type",
];
const USERS: [&str; 3] = ["1001", "1002", "stranger"];

fn password(user: &str) -> Option<String> {
    match user {
        "1001" => Some("demo1001".into()),
        "1002" => Some("demo1002".into()),
        _ => None,
    }
}

#[derive(Arbitrary, Debug)]
enum ToTag {
    None,
    /// One of the tags we put in our responses.
    Ours(u8),
    Other(u8),
}

#[derive(Arbitrary, Debug)]
enum Auth {
    /// Credentials for the last challenge we sent, with the right or a wrong password.
    Answer { right: bool, nc: u8 },
    /// A fuzzed header value.
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct PeerRequest {
    method: u8,
    /// The CSeq method differs from the request's.
    cseq_mismatch: bool,
    branch: u8,
    peer: bool,
    call: u8,
    cseq: u8,
    from_tag: u8,
    to_tag: ToTag,
    user: u8,
    contact: Option<u8>,
    expires: Option<u16>,
    auth: Option<Auth>,
    extra: Option<(u8, String)>,
    body: bool,
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// Time passes, in units of 8 ms (up to about 9 minutes).
    Advance(u16),
    Request(PeerRequest),
    Mutated {
        request: PeerRequest,
        at: u16,
        byte: u8,
    },
    Raw {
        peer: bool,
        bytes: Vec<u8>,
    },
    /// The TU answers one of its server transactions.
    Respond {
        pick: u8,
        status: u8,
        contact: bool,
    },
    /// The TU sends an out-of-dialog request (INVITE, OPTIONS, MESSAGE).
    Send {
        method: u8,
    },
    /// The TU sends a request in one of its dialogs.
    InDialog {
        pick: u8,
        method: u8,
    },
    /// The peer answers one of our client transactions.
    Reply {
        pick: u8,
        status: u8,
        tag: u8,
        contact: bool,
        record_route: bool,
    },
    Cancel {
        pick: u8,
    },
    /// The peer sends a request in one of the TU's dialogs (its tags, its Call-ID), with a
    /// CSeq around the dialog's last remote one.
    PeerInDialog {
        pick: u8,
        method: u8,
        cseq_step: i8,
        contact: bool,
    },
}

struct World {
    ep: Endpoint,
    registrar: Registrar,
    now: Instant,
    /// Server transactions not yet answered with a final response.
    open: Vec<ServerTxId>,
    /// Client transactions with the request as sent and where it went.
    clients: Vec<(ClientTxId, Request, SocketAddr)>,
    dialogs: Vec<(Dialog, SocketAddr)>,
    tags: Vec<String>,
    challenge: Option<Challenge>,
}

fn peer_addr(second: bool) -> SocketAddr {
    if second {
        SocketAddr::from(([198, 51, 100, 7], 5070))
    } else {
        SocketAddr::from(([192, 0, 2, 10], 5060))
    }
}

impl World {
    fn new() -> Self {
        let start = Instant::now();
        let local = SocketAddr::from(([192, 0, 2, 1], 5060));
        let mut config = RegistrarConfig::new("centralino.local");
        config.algorithms = vec![Algorithm::Md5, Algorithm::Sha256];
        Self {
            ep: Endpoint::new(EndpointConfig::new(local, "centralino-fuzz"), 1),
            registrar: Registrar::new(config, start, 2),
            now: start,
            open: Vec::new(),
            clients: Vec::new(),
            dialogs: Vec::new(),
            tags: Vec::new(),
            challenge: None,
        }
    }

    fn request_text(&self, r: &PeerRequest) -> String {
        let method = METHODS[usize::from(r.method) % METHODS.len()];
        let cseq_method = if r.cseq_mismatch {
            METHODS[usize::from(r.method.wrapping_add(1)) % METHODS.len()]
        } else {
            method
        };
        let peer = peer_addr(r.peer);
        let branch = match r.branch % 8 {
            6 => format!(";branch=old2543-{}", r.branch / 8),
            7 => String::new(),
            n => format!(";branch=z9hG4bK{n}x{}", r.branch / 8 % 4),
        };
        let user = USERS[usize::from(r.user) % USERS.len()];
        let to_tag = match r.to_tag {
            ToTag::None => String::new(),
            ToTag::Ours(i) if !self.tags.is_empty() => {
                format!(";tag={}", self.tags[usize::from(i) % self.tags.len()])
            }
            ToTag::Ours(i) | ToTag::Other(i) => format!(";tag=t{}", i % 4),
        };
        let mut text = format!(
            "{method} sip:{user}@192.0.2.1:5060 SIP/2.0\r\n\
             Via: SIP/2.0/UDP {ip}:{port}{branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:{user}@centralino.local>;tag=f{from_tag}\r\n\
             To: <sip:{user}@centralino.local>{to_tag}\r\n\
             Call-ID: c{call}@{ip}\r\n\
             CSeq: {cseq} {cseq_method}\r\n",
            ip = peer.ip(),
            port = peer.port(),
            from_tag = r.from_tag % 4,
            call = r.call % 4,
            cseq = r.cseq,
        );
        match r.contact {
            Some(255) => text.push_str("Contact: *\r\n"),
            Some(c) => text.push_str(&format!(
                "Contact: <sip:{user}@{}:{}>{}\r\n",
                peer.ip(),
                5060 + u16::from(c % 4),
                if c & 0x80 != 0 {
                    format!(";expires={}", c % 100)
                } else {
                    String::new()
                }
            )),
            None => {}
        }
        if let Some(expires) = r.expires {
            text.push_str(&format!("Expires: {expires}\r\n"));
        }
        match &r.auth {
            Some(Auth::Answer { right, nc }) => {
                // The last challenge we sent, or a fresh one as the registrar would send it.
                let challenge = self.challenge.clone().unwrap_or_else(|| {
                    self.registrar
                        .challenge(self.now, false, peer.ip(), Algorithm::Md5)
                });
                let pass = password(user)
                    .filter(|_| *right)
                    .unwrap_or_else(|| "wrong".into());
                let credentials = digest::authorize(
                    &challenge,
                    user,
                    &pass,
                    method,
                    "sip:centralino.local",
                    "0a4f113b",
                    u32::from(*nc),
                );
                text.push_str(&format!(
                    "Authorization: {}\r\n",
                    credentials.to_header_value()
                ));
            }
            Some(Auth::Raw(value)) => text.push_str(&format!("Authorization: {value}\r\n")),
            None => {}
        }
        if let Some((name, value)) = &r.extra {
            let name = EXTRA_HEADERS[usize::from(*name) % EXTRA_HEADERS.len()];
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        if r.body {
            let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
            text.push_str(&format!(
                "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
                sdp.len()
            ));
        } else {
            text.push_str("Content-Length: 0\r\n\r\n");
        }
        text
    }

    fn receive(&mut self, from: SocketAddr, bytes: &[u8]) {
        self.ep.handle_datagram(self.now, from, bytes);
        self.drain();
    }

    /// Handles every output like a small TU would.
    fn drain(&mut self) {
        while let Some(output) = self.ep.poll_output() {
            match output {
                Output::Transmit { bytes, .. } => self.check_sent(&bytes),
                Output::Event(event) => self.on_event(event),
            }
        }
    }

    fn check_sent(&mut self, bytes: &[u8]) {
        match sip_message::parse(bytes) {
            Ok(Message::Response(response)) => {
                if let Ok(to) = response.to_hdr()
                    && let Some(Some(tag)) = to
                        .params
                        .iter()
                        .find(|p| p.name == "tag")
                        .map(|p| p.value.clone())
                    && !self.tags.contains(&tag)
                    && self.tags.len() < 16
                {
                    self.tags.push(tag);
                }
                for value in response.headers.get_all("WWW-Authenticate") {
                    let challenge = Challenge::parse(value).expect("our own challenge parses");
                    self.challenge = Some(challenge);
                }
            }
            Ok(Message::Request(_)) => {}
            Err(error) => assert!(
                bytes.starts_with(b"SIP/2.0 400 "),
                "we sent bytes that do not parse ({error}): {:?}",
                String::from_utf8_lossy(bytes)
            ),
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::IncomingRequest {
                tx,
                request,
                source,
            } => {
                if request.method == Method::Register {
                    let outcome = self.registrar.handle_register(
                        self.now,
                        &request,
                        source,
                        &|user: &str| password(user),
                    );
                    self.ep
                        .respond(self.now, tx, outcome.response)
                        .expect("a fresh REGISTER transaction takes a final response");
                    return;
                }
                let mut out_of_order = false;
                for (dialog, _) in &mut self.dialogs {
                    if dialog.matches_request(&request)
                        && let Err(DialogError::CSeqOutOfOrder { .. }) =
                            dialog.handle_request(&request)
                    {
                        out_of_order = true;
                    }
                }
                if out_of_order {
                    // RFC 3261 12.2.2: a lower CSeq in a dialog gets 500.
                    let response = self
                        .ep
                        .response(tx, 500, "Server Internal Error")
                        .expect("a live transaction");
                    self.ep
                        .respond(self.now, tx, response)
                        .expect("a fresh transaction takes a final response");
                    return;
                }
                if self.open.len() < 32 {
                    self.open.push(tx);
                } else {
                    let response = self
                        .ep
                        .response(tx, 503, "Busy")
                        .expect("a live transaction");
                    self.ep
                        .respond(self.now, tx, response)
                        .expect("a fresh transaction");
                }
            }
            Event::CancelReceived { invite_tx, .. } => {
                let response = self
                    .ep
                    .response(invite_tx, 487, "Request Terminated")
                    .expect("the cancelled INVITE is alive");
                self.ep
                    .respond(self.now, invite_tx, response)
                    .expect("a cancelled INVITE has no final response yet");
                self.open.retain(|t| *t != invite_tx);
            }
            Event::Response { tx, response, .. } => {
                let Some((_, request, dest)) =
                    self.clients.iter().find(|(id, ..)| *id == tx).cloned()
                else {
                    return;
                };
                let mut known = false;
                for (dialog, _) in &mut self.dialogs {
                    if dialog.matches_response(&response) {
                        known = true;
                        let _ = dialog.handle_response(&response);
                    }
                }
                if request.method == Method::Invite {
                    if !known
                        && self.dialogs.len() < 8
                        && let Ok(dialog) = Dialog::uac(&request, &response)
                    {
                        self.dialogs.push((dialog, dest));
                    }
                    if (200..300).contains(&response.status)
                        && let Some((dialog, _)) = self
                            .dialogs
                            .iter()
                            .find(|(d, _)| d.matches_response(&response))
                        && let Ok(ack) = dialog.ack_for_2xx(&request)
                    {
                        self.ep.send_ack_2xx(ack, dest);
                    }
                }
            }
            Event::IncomingAck { .. }
            | Event::TransactionTimeout { .. }
            | Event::AckTimeout { .. } => {}
            _ => {}
        }
    }

    fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        loop {
            self.drain();
            match self.ep.poll_timeout() {
                Some(deadline) if deadline <= end => {
                    self.now = self.now.max(deadline);
                    self.ep.handle_timeout(self.now);
                }
                _ => break,
            }
        }
        self.now = end;
        let _ = self.registrar.handle_timeout(self.now);
        self.drain();
    }

    fn check_deadline(&self) {
        if let Some(deadline) = self.ep.poll_timeout() {
            assert!(deadline > self.now, "a timer is due but was not fired");
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Advance(units) => self.advance(Duration::from_millis(u64::from(units) * 8)),
            Op::Request(r) => {
                let text = self.request_text(&r);
                self.receive(peer_addr(r.peer), text.as_bytes());
            }
            Op::Mutated { request, at, byte } => {
                let mut bytes = self.request_text(&request).into_bytes();
                let at = usize::from(at) % bytes.len();
                bytes[at] = byte;
                self.receive(peer_addr(request.peer), &bytes);
            }
            Op::Raw { peer, bytes } => self.receive(peer_addr(peer), &bytes),
            Op::Respond {
                pick,
                status,
                contact,
            } => {
                if self.open.is_empty() {
                    return;
                }
                let index = usize::from(pick) % self.open.len();
                let tx = self.open[index];
                let status = STATUSES[usize::from(status) % STATUSES.len()];
                let Ok(mut response) = self.ep.response(tx, status, "Fuzz") else {
                    self.open.remove(index);
                    return;
                };
                if contact {
                    response
                        .headers
                        .push("Contact", "<sip:service@192.0.2.1:5060>");
                }
                if let Some(request) = self.ep.server_request(tx).cloned()
                    && request.method == Method::Invite
                    && self.dialogs.len() < 8
                    && let Ok(dialog) = Dialog::uas(&request, &response)
                    && let Some(source) = self.source_of(&request)
                {
                    self.dialogs.push((dialog, source));
                }
                if self.ep.respond(self.now, tx, response).is_err() || status >= 200 {
                    self.open.remove(index);
                }
                self.drain();
            }
            Op::Send { method } => {
                let method = [Method::Invite, Method::Options, Method::Message]
                    [usize::from(method) % 3]
                    .clone();
                let uri: Uri = "sip:op@192.0.2.10:5060".parse().expect("a valid uri");
                let from: NameAddr = "<sip:queue@192.0.2.1>".parse().expect("a valid name-addr");
                let to: NameAddr = "<sip:op@192.0.2.10>".parse().expect("a valid name-addr");
                let request = self.ep.new_request(method, uri, from, to);
                self.send(request, peer_addr(false));
            }
            Op::InDialog { pick, method } => {
                if self.dialogs.is_empty() {
                    return;
                }
                let index = usize::from(pick) % self.dialogs.len();
                let method = [Method::Bye, Method::Invite, Method::Info, Method::Update]
                    [usize::from(method) % 4]
                    .clone();
                let (dialog, dest) = &mut self.dialogs[index];
                let dest = *dest;
                let request = dialog.new_request(method);
                self.send(request, dest);
            }
            Op::Reply {
                pick,
                status,
                tag,
                contact,
                record_route,
            } => {
                if self.clients.is_empty() {
                    return;
                }
                let (_, request, dest) = &self.clients[usize::from(pick) % self.clients.len()];
                let dest = *dest;
                let status = STATUSES[usize::from(status) % STATUSES.len()];
                let mut response = sip_message::Response::for_request(request, status, "Peer");
                if status > 100 {
                    let to = response.headers.get("To").unwrap_or_default().to_owned();
                    response.headers.set("To", format!("{to};tag=p{}", tag % 3));
                }
                if contact {
                    response.headers.push("Contact", "<sip:op@192.0.2.10:5062>");
                }
                if record_route {
                    response
                        .headers
                        .push("Record-Route", "<sip:proxy.example.com;lr>");
                }
                self.receive(dest, &response.to_bytes());
            }
            Op::PeerInDialog {
                pick,
                method,
                cseq_step,
                contact,
            } => {
                if self.dialogs.is_empty() {
                    return;
                }
                let (dialog, dest) = &self.dialogs[usize::from(pick) % self.dialogs.len()];
                let dest = *dest;
                let method = ["BYE", "INVITE", "INFO", "UPDATE", "ACK", "CANCEL", "NOTIFY"]
                    [usize::from(method) % 7];
                let id = dialog.id();
                let cseq = dialog
                    .remote_seq()
                    .unwrap_or(1)
                    .wrapping_add_signed(i32::from(cseq_step));
                let mut text = format!(
                    "{method} sip:service@192.0.2.1:5060 SIP/2.0\r\n\
                     Via: SIP/2.0/UDP {ip}:{port};branch=z9hG4bKd{cseq}{method}\r\n\
                     Max-Forwards: 70\r\n\
                     From: <sip:peer@{ip}>;tag={remote}\r\n\
                     To: <sip:service@192.0.2.1>;tag={local}\r\n\
                     Call-ID: {call_id}\r\n\
                     CSeq: {cseq} {method}\r\n",
                    ip = dest.ip(),
                    port = dest.port(),
                    remote = id.remote_tag,
                    local = id.local_tag,
                    call_id = id.call_id,
                );
                if contact {
                    text.push_str(&format!("Contact: <sip:peer@{}:5064>\r\n", dest.ip()));
                }
                text.push_str("Content-Length: 0\r\n\r\n");
                self.receive(dest, text.as_bytes());
            }
            Op::Cancel { pick } => {
                if self.clients.is_empty() {
                    return;
                }
                let (tx, ..) = self.clients[usize::from(pick) % self.clients.len()];
                let _ = self.ep.cancel(self.now, tx);
                self.drain();
            }
        }
        self.check_deadline();
    }

    fn source_of(&self, request: &Request) -> Option<SocketAddr> {
        let via = request.top_via().ok()?;
        let ip = via.host.parse().ok()?;
        Some(SocketAddr::new(ip, via.port.unwrap_or(5060)))
    }

    fn send(&mut self, request: Request, dest: SocketAddr) {
        if self.clients.len() >= 32 {
            return;
        }
        let tx = self
            .ep
            .send_request(self.now, request, dest)
            .expect("a request built by new_request or a dialog is valid");
        let sent = self.ep.client_request(tx).expect("just sent").clone();
        self.clients.push((tx, sent, dest));
        self.drain();
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut world = World::new();
    for op in ops.into_iter().take(256) {
        world.apply(op);
    }
    // The TU answers whatever it left open, as it must answer every INVITE.
    for tx in std::mem::take(&mut world.open) {
        if let Ok(response) = world.ep.response(tx, 500, "Server Error") {
            let _ = world.ep.respond(world.now, tx, response);
        }
    }
    world.drain();
    // Longest chain: Timer C (180 s), then the CANCEL guard (64*T1), or Timer D/L/M.
    world.advance(Duration::from_secs(300));
    assert_eq!(
        world.ep.server_transaction_count(),
        0,
        "a server transaction outlived its timers"
    );
    assert_eq!(
        world.ep.client_transaction_count(),
        0,
        "a client transaction outlived its timers"
    );
    assert_eq!(world.ep.poll_timeout(), None);
    assert_eq!(
        world.ep.armed_deadlines(),
        0,
        "no deadline entry outlives its transaction"
    );
});
