//! The endpoint: routes datagrams to transaction machines (RFC 3261 17) and owns their timers.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sip_message::{
    Headers, Message, Method, NameAddr, Param, ParseError, Request, Response, SipHeaders, SipUri,
    Uri, Via,
};

use crate::Error;
use crate::deadlines::{DeadlineHeap, Tracked, TxRef};
use crate::util::{
    MAGIC_COOKIE, has_header, header_is, host_of, push_top_via, random_hex, replace_header,
    replace_vias, sent_by, stamp_received, tag_of,
};

/// Endpoint settings. Build with [`EndpointConfig::new`] and adjust the public fields.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Our socket address: the Via sent-by of requests we send and the host of our Contact.
    pub local_addr: SocketAddr,
    /// `User-Agent` added to requests that have none; empty for none.
    pub user_agent: String,
    /// RTT estimate, 500 ms by default (RFC 3261 17.1.1.1).
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses, 4 s by default.
    pub t2: Duration,
    /// Maximum time a message stays in the network, 5 s by default (Timers I and K).
    pub t4: Duration,
    /// Timer D: how long a client INVITE transaction absorbs final-response retransmissions,
    /// at least 32 s for UDP (RFC 3261 17.1.1.2).
    pub timer_d: Duration,
    /// Timer C (RFC 3261 16.6 step 11, here for our UAC): an INVITE that has rung this long
    /// without a final response is cancelled. `None` waits forever (the TU cancels).
    pub timer_c: Option<Duration>,
    /// How long an INVITE server transaction waits for a provisional from the TU before it
    /// sends `100 Trying` itself (RFC 3261 17.2.1: 200 ms).
    pub trying_delay: Duration,
}

impl EndpointConfig {
    /// RFC 3261 default timers for an endpoint listening on `local_addr`.
    pub fn new(local_addr: SocketAddr, user_agent: impl Into<String>) -> Self {
        Self {
            local_addr,
            user_agent: user_agent.into(),
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_d: Duration::from_secs(32),
            timer_c: Some(Duration::from_secs(180)),
            trying_delay: Duration::from_millis(200),
        }
    }
}

/// A server transaction (a request we received and answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerTxId(u64);

/// A client transaction (a request we sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientTxId(u64);

impl fmt::Display for ServerTxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stx-{}", self.0)
    }
}

impl fmt::Display for ClientTxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ctx-{}", self.0)
    }
}

/// What the endpoint asks of its driver, drained with [`Endpoint::poll_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes in one UDP datagram.
    Transmit { to: SocketAddr, bytes: Vec<u8> },
    /// Tell the transaction user (the call logic) something happened.
    Event(Event),
}

/// Something the transaction user has to know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A new request, not a retransmission (RFC 3261 17.2.3 matching, RFC 2543 fallback).
    /// Answer it with [`Endpoint::respond`]; the top Via already carries `received`/`rport`.
    IncomingRequest {
        tx: ServerTxId,
        request: Request,
        source: SocketAddr,
    },
    /// An ACK that no server transaction absorbed: the ACK for a 2xx (RFC 3261 13.3.1.4).
    /// `tx` is the INVITE transaction whose 2xx it acknowledges (its retransmission stopped);
    /// `None` when it matches nothing we know (stray or late).
    IncomingAck {
        request: Request,
        source: SocketAddr,
        tx: Option<ServerTxId>,
    },
    /// A CANCEL matched an INVITE server transaction without a final response. The CANCEL is
    /// already answered with 200 (RFC 3261 9.2); the TU should answer the INVITE with 487.
    CancelReceived {
        invite_tx: ServerTxId,
        cancel: Request,
        source: SocketAddr,
    },
    /// A response for a client transaction. `retransmission` is set for a repeated 2xx to an
    /// INVITE (same To tag) that the TU has to ACK again (RFC 3261 13.2.2.4).
    Response {
        tx: ClientTxId,
        response: Response,
        retransmission: bool,
    },
    /// Timer B or F fired, or a cancelled INVITE got no final response within 64*T1
    /// (RFC 3261 9.1): treat as a 408.
    TransactionTimeout { tx: ClientTxId },
    /// No ACK arrived for our final response to an INVITE within 64*T1. For a 2xx
    /// (RFC 3261 13.3.1.4) the dialog is confirmed but the session should be ended with BYE;
    /// for other statuses (Timer H, RFC 3261 17.2.1) it is informational.
    AckTimeout { tx: ServerTxId, status: u16 },
}

/// Counters for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointStats {
    /// Datagrams that were not SIP, or responses/requests too broken to answer.
    pub malformed_dropped: u64,
    /// `400 Bad Request` replies sent for malformed requests.
    pub bad_request_sent: u64,
    /// Requests and responses we sent again on a timer or on a peer's retransmission.
    pub retransmissions_sent: u64,
    /// Retransmitted requests and responses received and absorbed.
    pub retransmissions_absorbed: u64,
    /// Responses matching no client transaction.
    pub stray_responses: u64,
    /// Client transactions ended by Timer B/F or the CANCEL guard.
    pub transaction_timeouts: u64,
    /// Non-INVITE server transactions the TU never answered, reaped after 64*T1.
    pub unanswered_requests: u64,
}

#[derive(Debug, Clone, Copy)]
struct Timers {
    t1: Duration,
    t2: Duration,
    t4: Duration,
    timer_d: Duration,
    timer_c: Option<Duration>,
    trying_delay: Duration,
}

impl Timers {
    /// 64*T1: Timers B, F, H, J, L, M.
    fn t1x64(&self) -> Duration {
        self.t1.saturating_mul(64)
    }
}

/// Key of a server transaction (RFC 3261 17.2.3). ACK is keyed as INVITE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ServerKey {
    Rfc3261 {
        branch: String,
        sent_by: String,
        method: Method,
    },
    /// RFC 2543 clients: no magic cookie, so match on the request's identity. The To tag is
    /// left out so that an ACK or CANCEL (which carry our tag, or none) matches the INVITE.
    Rfc2543 {
        request_uri: String,
        from_tag: Option<String>,
        call_id: String,
        cseq: u32,
        top_via: String,
        method: Method,
    },
}

/// Identifies the 2xx an ACK acknowledges (RFC 3261 13.3.1.4, matched like a dialog 12.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct AckKey {
    call_id: String,
    from_tag: Option<String>,
    to_tag: Option<String>,
    cseq: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invite,
    NonInvite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServerState {
    /// Non-INVITE, nothing sent yet.
    Trying,
    Proceeding,
    Completed,
    /// INVITE after ACK for a non-2xx (Timer I).
    Confirmed,
    /// INVITE after a 2xx (RFC 6026 7.1, Timer L); we retransmit the 2xx until ACK.
    Accepted,
}

#[derive(Debug)]
struct ServerTx {
    kind: Kind,
    state: ServerState,
    key: ServerKey,
    request: Request,
    reply_to: SocketAddr,
    local_tag: String,
    last_response: Option<Vec<u8>>,
    final_status: Option<u16>,
    ack_key: Option<AckKey>,
    acked: bool,
    retransmit_interval: Duration,
    /// 100 Trying after `trying_delay` (INVITE only).
    trying_at: Option<Instant>,
    /// Timer G, or the 2xx retransmission of RFC 3261 13.3.1.4.
    retransmit_at: Option<Instant>,
    /// Timer H, Timer L, or the unanswered non-INVITE guard.
    timeout_at: Option<Instant>,
    /// Timer I or J.
    linger_until: Option<Instant>,
}

impl ServerTx {
    fn next_deadline(&self) -> Option<Instant> {
        [
            self.trying_at,
            self.retransmit_at,
            self.timeout_at,
            self.linger_until,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientState {
    /// INVITE Calling or non-INVITE Trying.
    Calling,
    Proceeding,
    Completed,
    /// INVITE after a 2xx (RFC 6026 7.2, Timer M).
    Accepted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CancelState {
    None,
    /// Asked for before any provisional: sent on the first one (RFC 3261 9.1).
    Requested(ClientTxId),
    Sent,
}

#[derive(Debug)]
struct ClientTx {
    kind: Kind,
    state: ClientState,
    branch: String,
    request: Request,
    bytes: Vec<u8>,
    dest: SocketAddr,
    retransmit_interval: Duration,
    /// Timer A or E.
    retransmit_at: Option<Instant>,
    /// Timer B or F.
    timeout_at: Option<Instant>,
    /// Timer D, K or M.
    linger_until: Option<Instant>,
    /// Timer C.
    ringing_until: Option<Instant>,
    /// 64*T1 after our CANCEL (RFC 3261 9.1).
    cancel_deadline: Option<Instant>,
    cancel: CancelState,
    /// ACK for a non-2xx final, resent on its retransmissions (RFC 3261 17.1.1.3).
    ack_bytes: Option<Vec<u8>>,
    /// To tags of the 2xx seen in Accepted, to flag retransmissions.
    accepted_tags: Vec<Option<String>>,
}

impl ClientTx {
    fn next_deadline(&self) -> Option<Instant> {
        [
            self.retransmit_at,
            self.timeout_at,
            self.linger_until,
            self.ringing_until,
            self.cancel_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// Output queue and counters, a field of its own so that it can be borrowed next to a
/// transaction.
#[derive(Debug, Default)]
struct Io {
    pending: VecDeque<Output>,
    stats: EndpointStats,
}

impl Io {
    fn transmit(&mut self, to: SocketAddr, bytes: Vec<u8>) {
        self.pending.push_back(Output::Transmit { to, bytes });
    }
    fn retransmit(&mut self, to: SocketAddr, bytes: &[u8]) {
        self.stats.retransmissions_sent += 1;
        self.transmit(to, bytes.to_vec());
    }
    fn emit(&mut self, event: Event) {
        self.pending.push_back(Output::Event(event));
    }
}

/// The sans-IO SIP endpoint: server and client transactions over UDP.
///
/// Feed it with [`handle_datagram`](Self::handle_datagram), [`handle_timeout`](Self::handle_timeout)
/// and the commands ([`respond`](Self::respond), [`send_request`](Self::send_request), ...), then
/// drain [`poll_output`](Self::poll_output) until it returns `None`; call
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout).
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    timers: Timers,
    rng: ChaCha8Rng,
    next_id: u64,
    servers: Tracked<ServerTxId, ServerTx>,
    server_index: HashMap<ServerKey, ServerTxId>,
    ack_index: HashMap<AckKey, ServerTxId>,
    clients: Tracked<ClientTxId, ClientTx>,
    client_index: HashMap<(String, Method), ClientTxId>,
    io: Io,
    deadlines: DeadlineHeap,
}

const MIN_TIMER: Duration = Duration::from_millis(1);

impl Endpoint {
    /// A new endpoint. All tags, Call-IDs and branches come from an RNG seeded with
    /// `rng_seed`, so a run is reproducible.
    pub fn new(config: EndpointConfig, rng_seed: u64) -> Self {
        // Zero durations would make retransmission timers fire forever at the same instant.
        let timers = Timers {
            t1: config.t1.max(MIN_TIMER),
            t2: config.t2.max(config.t1).max(MIN_TIMER),
            t4: config.t4.max(MIN_TIMER),
            timer_d: config.timer_d,
            timer_c: config.timer_c.map(|c| c.max(MIN_TIMER)),
            trying_delay: config.trying_delay,
        };
        Self {
            config,
            timers,
            rng: ChaCha8Rng::seed_from_u64(rng_seed),
            next_id: 0,
            servers: Tracked::default(),
            server_index: HashMap::new(),
            ack_index: HashMap::new(),
            clients: Tracked::default(),
            client_index: HashMap::new(),
            io: Io::default(),
            deadlines: DeadlineHeap::default(),
        }
    }

    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    pub fn stats(&self) -> EndpointStats {
        self.io.stats
    }

    /// Live server transactions.
    pub fn server_transaction_count(&self) -> usize {
        self.servers.len()
    }

    /// Live client transactions.
    pub fn client_transaction_count(&self) -> usize {
        self.clients.len()
    }

    /// The next output; `None` when there is nothing to do until the next input or
    /// [`Endpoint::poll_timeout`].
    pub fn poll_output(&mut self) -> Option<Output> {
        self.io.pending.pop_front()
    }

    /// The earliest armed timer, if any (an instant at which nothing is due is possible: a
    /// transaction's earlier deadline that moved; `handle_timeout` then does nothing).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.next()
    }

    /// Entries in the deadline heap, live and stale: for tests and monitoring.
    pub fn armed_deadlines(&self) -> usize {
        self.deadlines.len()
    }

    /// Arms the current deadline of every transaction touched since the last call.
    fn rearm(&mut self) {
        for id in self.servers.take_touched() {
            if let Some(at) = self.servers.get(&id).and_then(ServerTx::next_deadline) {
                self.deadlines.arm(at, TxRef::Server(id));
            }
        }
        for id in self.clients.take_touched() {
            if let Some(at) = self.clients.get(&id).and_then(ClientTx::next_deadline) {
                self.deadlines.arm(at, TxRef::Client(id));
            }
        }
    }

    // ----- identifiers -------------------------------------------------------------------

    /// A fresh tag for From/To (RFC 3261 19.3: at least 32 bits of randomness; we use 64).
    pub fn new_tag(&mut self) -> String {
        random_hex(&mut self.rng, 8)
    }

    /// A fresh Call-ID (RFC 3261 8.1.1.4).
    pub fn new_call_id(&mut self) -> String {
        format!(
            "{}@{}",
            random_hex(&mut self.rng, 12),
            host_of(self.config.local_addr)
        )
    }

    /// A fresh RFC 3261 branch (8.1.1.7: magic cookie then unique token).
    pub fn new_branch(&mut self) -> String {
        format!("{MAGIC_COOKIE}{}", random_hex(&mut self.rng, 10))
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// `<sip:user@local_addr>` for Contact headers.
    pub fn local_contact(&self, user: Option<&str>) -> NameAddr {
        NameAddr {
            display_name: None,
            uri: Uri::Sip(SipUri {
                secure: false,
                user: user.map(str::to_owned),
                password: None,
                host: host_of(self.config.local_addr),
                port: Some(self.config.local_addr.port()),
                params: Vec::new(),
                headers: Vec::new(),
            }),
            params: Vec::new(),
        }
    }

    /// An out-of-dialog request (RFC 3261 8.1.1): From gets a fresh tag unless it has one,
    /// a fresh Call-ID, CSeq 1, Max-Forwards 70, our Contact for INVITE/REGISTER/SUBSCRIBE.
    pub fn new_request(
        &mut self,
        method: Method,
        request_uri: Uri,
        mut from: NameAddr,
        to: NameAddr,
    ) -> Request {
        if tag_of(&from).is_none() {
            from.params.push(Param {
                name: "tag".into(),
                value: Some(self.new_tag()),
            });
        }
        let mut headers = Headers::default();
        headers.push("Max-Forwards", "70");
        headers.push("From", from.to_string());
        headers.push("To", to.to_string());
        headers.push("Call-ID", self.new_call_id());
        headers.push("CSeq", format!("1 {method}"));
        if matches!(
            method,
            Method::Invite | Method::Register | Method::Subscribe | Method::Refer
        ) {
            headers.push("Contact", self.local_contact(None).to_string());
        }
        Request {
            method,
            uri: request_uri,
            headers,
            body: Vec::new(),
        }
    }

    // ----- input -------------------------------------------------------------------------

    /// A UDP datagram arrived from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        self.handle_datagram_inner(now, from, bytes);
        self.rearm();
    }

    fn handle_datagram_inner(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        match sip_message::parse(bytes) {
            Ok(Message::Request(request)) => self.handle_request(now, from, request),
            Ok(Message::Response(response)) => self.handle_response(now, response),
            Err(ParseError {
                reply: Some(reply), ..
            }) => {
                // RFC 3261 21.4.1; sent to the source since the Via may be what is broken.
                self.io.stats.bad_request_sent += 1;
                self.io.transmit(from, reply.to_bytes());
            }
            Err(_) => self.io.stats.malformed_dropped += 1,
        }
    }

    fn handle_request(&mut self, now: Instant, source: SocketAddr, mut request: Request) {
        let mut vias = match request.vias() {
            Ok(v) if !v.is_empty() => v,
            _ => {
                self.io.stats.malformed_dropped += 1;
                return;
            }
        };
        let reply_to = stamp_received(&mut vias[0], source);
        replace_vias(&mut request.headers, &vias);
        let top_via = &vias[0];

        let (Ok(call_id), Ok(cseq), Ok(from), Ok(to)) = (
            request.call_id(),
            request.cseq(),
            request.from_hdr(),
            request.to_hdr(),
        ) else {
            self.io.stats.malformed_dropped += 1;
            return;
        };
        if cseq.method != request.method {
            // RFC 3261 8.1.1.5: CSeq method must match the request method.
            if request.method != Method::Ack {
                self.io.stats.bad_request_sent += 1;
                let reply = Response::for_request(&request, 400, "CSeq Method Mismatch");
                self.io.transmit(reply_to, reply.to_bytes());
            } else {
                self.io.stats.malformed_dropped += 1;
            }
            return;
        }
        let call_id = call_id.to_owned();
        let key_for =
            |method: Method| server_key(&request, top_via, &call_id, cseq.seq, &from, method);

        match request.method {
            Method::Ack => {
                let key = key_for(Method::Invite);
                let ack_key = AckKey {
                    call_id: call_id.clone(),
                    from_tag: tag_of(&from).map(str::to_owned),
                    to_tag: tag_of(&to).map(str::to_owned),
                    cseq: cseq.seq,
                };
                self.handle_ack(now, source, request, key, ack_key);
            }
            Method::Cancel => {
                let key = key_for(Method::Cancel);
                let invite_key = key_for(Method::Invite);
                self.handle_cancel(now, source, reply_to, request, key, invite_key);
            }
            _ => {
                let key = key_for(request.method.clone());
                if let Some(&id) = self.server_index.get(&key) {
                    self.server_retransmission(id);
                } else {
                    let kind = if request.method == Method::Invite {
                        Kind::Invite
                    } else {
                        Kind::NonInvite
                    };
                    let id = self.create_server_tx(now, kind, key, request.clone(), reply_to);
                    self.io.emit(Event::IncomingRequest {
                        tx: id,
                        request,
                        source,
                    });
                }
            }
        }
    }

    fn create_server_tx(
        &mut self,
        now: Instant,
        kind: Kind,
        key: ServerKey,
        request: Request,
        reply_to: SocketAddr,
    ) -> ServerTxId {
        let id = ServerTxId(self.next_id());
        // In-dialog requests already carry our tag; keep it (RFC 3261 12.2.2).
        let local_tag = match request.to_hdr().ok().as_ref().and_then(tag_of) {
            Some(tag) => tag.to_owned(),
            None => self.new_tag(),
        };
        let t = self.timers;
        let (state, trying_at, timeout_at) = match kind {
            Kind::Invite => (ServerState::Proceeding, Some(now + t.trying_delay), None),
            // Nobody retransmits after the client's Timer F (64*T1): reap unanswered requests.
            Kind::NonInvite => (ServerState::Trying, None, Some(now + t.t1x64())),
        };
        self.server_index.insert(key.clone(), id);
        self.servers.insert(
            id,
            ServerTx {
                kind,
                state,
                key,
                request,
                reply_to,
                local_tag,
                last_response: None,
                final_status: None,
                ack_key: None,
                acked: false,
                retransmit_interval: t.t1,
                trying_at,
                retransmit_at: None,
                timeout_at,
                linger_until: None,
            },
        );
        id
    }

    /// A request matching a live server transaction (RFC 3261 17.2.1, 17.2.2).
    fn server_retransmission(&mut self, id: ServerTxId) {
        self.io.stats.retransmissions_absorbed += 1;
        let Some(tx) = self.servers.get_mut(&id) else {
            return;
        };
        match tx.state {
            ServerState::Proceeding | ServerState::Completed => {
                if let Some(bytes) = &tx.last_response {
                    self.io.retransmit(tx.reply_to, bytes);
                } else if tx.kind == Kind::Invite {
                    // The client is already retransmitting: quench it now.
                    let trying = Response::for_request(&tx.request, 100, "Trying").to_bytes();
                    tx.trying_at = None;
                    tx.last_response = Some(trying.clone());
                    self.io.transmit(tx.reply_to, trying);
                }
            }
            // Trying: discard (17.2.2). Confirmed, Accepted: absorb (17.2.1, RFC 6026 7.1).
            ServerState::Trying | ServerState::Confirmed | ServerState::Accepted => {}
        }
    }

    fn handle_ack(
        &mut self,
        now: Instant,
        source: SocketAddr,
        request: Request,
        key: ServerKey,
        ack_key: AckKey,
    ) {
        let mut target = None;
        if let Some(&id) = self.server_index.get(&key)
            && let Some(tx) = self.servers.get_mut(&id)
        {
            match tx.state {
                ServerState::Completed => {
                    // RFC 3261 17.2.1: ACK for our non-2xx, Timer I starts.
                    tx.state = ServerState::Confirmed;
                    tx.acked = true;
                    tx.retransmit_at = None;
                    tx.timeout_at = None;
                    tx.linger_until = Some(now + self.timers.t4);
                    return;
                }
                // An RFC 2543 ACK for our 2xx can match the INVITE transaction itself.
                ServerState::Accepted => target = Some(id),
                _ => {
                    self.io.stats.retransmissions_absorbed += 1;
                    return;
                }
            }
        }
        let target = target.or_else(|| self.ack_index.get(&ack_key).copied());
        if let Some(id) = target
            && let Some(tx) = self.servers.get_mut(&id)
        {
            if tx.acked {
                self.io.stats.retransmissions_absorbed += 1;
                return;
            }
            // RFC 3261 13.3.1.4: the ACK stops the 2xx retransmissions. The transaction
            // stays until Timer L to absorb INVITE retransmissions (RFC 6026 7.1).
            tx.acked = true;
            tx.retransmit_at = None;
            self.io.emit(Event::IncomingAck {
                request,
                source,
                tx: Some(id),
            });
            return;
        }
        self.io.emit(Event::IncomingAck {
            request,
            source,
            tx: None,
        });
    }

    fn handle_cancel(
        &mut self,
        now: Instant,
        source: SocketAddr,
        reply_to: SocketAddr,
        request: Request,
        key: ServerKey,
        invite_key: ServerKey,
    ) {
        if let Some(&id) = self.server_index.get(&key) {
            self.server_retransmission(id);
            return;
        }
        let invite = self
            .server_index
            .get(&invite_key)
            .and_then(|id| self.servers.get(id).map(|tx| (*id, tx)));
        let (status, reason, tag, cancelled) = match invite {
            // RFC 3261 9.2: a matching CANCEL is answered 200, the same To tag as the INVITE's.
            Some((invite_id, tx)) => (
                200,
                "OK",
                Some(tx.local_tag.clone()),
                (tx.state == ServerState::Proceeding).then_some(invite_id),
            ),
            None => (481, "Call/Transaction Does Not Exist", None, None),
        };
        let id = self.create_server_tx(now, Kind::NonInvite, key, request.clone(), reply_to);
        if let Some(tag) = tag
            && let Some(tx) = self.servers.get_mut(&id)
        {
            tx.local_tag = tag;
        }
        let response = Response::for_request(&request, status, reason);
        // Infallible by construction: a fresh non-INVITE transaction in Trying takes a final.
        let _ = self.respond(now, id, response);
        if let Some(invite_tx) = cancelled {
            self.io.emit(Event::CancelReceived {
                invite_tx,
                cancel: request,
                source,
            });
        }
    }

    fn handle_response(&mut self, now: Instant, response: Response) {
        let (Ok(via), Ok(cseq)) = (response.top_via(), response.cseq()) else {
            self.io.stats.malformed_dropped += 1;
            return;
        };
        // RFC 3261 17.1.3: branch of the top Via and the CSeq method.
        let Some(branch) = via.branch() else {
            self.io.stats.stray_responses += 1;
            return;
        };
        let Some(&id) = self.client_index.get(&(branch.to_owned(), cseq.method)) else {
            self.io.stats.stray_responses += 1;
            return;
        };
        if !(100..=699).contains(&response.status) {
            self.io.stats.malformed_dropped += 1;
            return;
        }
        let kind = match self.clients.get(&id) {
            Some(tx) => tx.kind,
            None => return,
        };
        match kind {
            Kind::Invite => self.invite_client_response(now, id, response),
            Kind::NonInvite => self.non_invite_client_response(now, id, response),
        }
    }

    /// RFC 3261 17.1.1.2 with RFC 6026 7.2.
    fn invite_client_response(&mut self, now: Instant, id: ClientTxId, response: Response) {
        let t = self.timers;
        let Some(tx) = self.clients.get_mut(&id) else {
            return;
        };
        let status = response.status;
        let mut send_cancel = None;
        match (tx.state, status) {
            (ClientState::Calling | ClientState::Proceeding, 100..=199) => {
                tx.state = ClientState::Proceeding;
                tx.retransmit_at = None;
                tx.timeout_at = None;
                if tx.cancel == CancelState::None {
                    tx.ringing_until = t.timer_c.map(|c| now + c);
                }
                if let CancelState::Requested(cancel_id) = tx.cancel {
                    send_cancel = Some(cancel_id);
                }
                self.io.emit(Event::Response {
                    tx: id,
                    response,
                    retransmission: false,
                });
            }
            (ClientState::Calling | ClientState::Proceeding, 200..=299) => {
                tx.state = ClientState::Accepted;
                tx.retransmit_at = None;
                tx.timeout_at = None;
                tx.ringing_until = None;
                tx.cancel_deadline = None;
                tx.linger_until = Some(now + t.t1x64()); // Timer M
                tx.accepted_tags.push(to_tag(&response));
                self.io.emit(Event::Response {
                    tx: id,
                    response,
                    retransmission: false,
                });
            }
            (ClientState::Accepted, 200..=299) => {
                // RFC 6026 7.2: every 2xx goes up; the TU ACKs each (13.2.2.4).
                let tag = to_tag(&response);
                let retransmission = tx.accepted_tags.contains(&tag);
                if retransmission {
                    self.io.stats.retransmissions_absorbed += 1;
                } else {
                    tx.accepted_tags.push(tag);
                }
                self.io.emit(Event::Response {
                    tx: id,
                    response,
                    retransmission,
                });
            }
            (ClientState::Calling | ClientState::Proceeding, _) => {
                // 300-699: ACK it ourselves (17.1.1.3), Timer D.
                tx.state = ClientState::Completed;
                tx.retransmit_at = None;
                tx.timeout_at = None;
                tx.ringing_until = None;
                tx.cancel_deadline = None;
                tx.linger_until = Some(now + t.timer_d);
                let ack = build_non_2xx_ack(&tx.request, &response).to_bytes();
                self.io.transmit(tx.dest, ack.clone());
                tx.ack_bytes = Some(ack);
                self.io.emit(Event::Response {
                    tx: id,
                    response,
                    retransmission: false,
                });
            }
            (ClientState::Completed, 300..=699) => {
                self.io.stats.retransmissions_absorbed += 1;
                if let Some(ack) = &tx.ack_bytes {
                    self.io.retransmit(tx.dest, ack);
                }
            }
            // Late provisionals, or a 2xx after a non-2xx / a non-2xx after a 2xx.
            _ => self.io.stats.retransmissions_absorbed += 1,
        }
        if let Some(cancel_id) = send_cancel {
            self.send_cancel(now, id, cancel_id);
        }
    }

    /// RFC 3261 17.1.2.2.
    fn non_invite_client_response(&mut self, now: Instant, id: ClientTxId, response: Response) {
        let t = self.timers;
        let Some(tx) = self.clients.get_mut(&id) else {
            return;
        };
        match (tx.state, response.status) {
            (ClientState::Calling | ClientState::Proceeding, 100..=199) => {
                tx.state = ClientState::Proceeding;
                self.io.emit(Event::Response {
                    tx: id,
                    response,
                    retransmission: false,
                });
            }
            (ClientState::Calling | ClientState::Proceeding, _) => {
                tx.state = ClientState::Completed;
                tx.retransmit_at = None;
                tx.timeout_at = None;
                tx.linger_until = Some(now + t.t4); // Timer K
                self.io.emit(Event::Response {
                    tx: id,
                    response,
                    retransmission: false,
                });
            }
            _ => self.io.stats.retransmissions_absorbed += 1,
        }
    }

    // ----- commands ----------------------------------------------------------------------

    /// A response built from the request as received (RFC 3261 8.2.6.2), with the
    /// transaction's To tag (except on 100) and, for 101-299, the request's Record-Route
    /// (12.1.1). Add Contact and body, then pass it to [`respond`](Self::respond).
    pub fn response(&self, tx: ServerTxId, status: u16, reason: &str) -> Result<Response, Error> {
        let stx = self.servers.get(&tx).ok_or(Error::UnknownTransaction)?;
        let mut response = Response::for_request(&stx.request, status, reason);
        if status > 100 {
            add_to_tag(&mut response, &stx.local_tag)?;
        }
        if (101..=299).contains(&status) {
            // RFC 3261 12.1.1: dialog-creating responses echo the Record-Route.
            copy_headers(
                &stx.request.headers,
                &mut response.headers,
                "Record-Route",
                None,
            );
        }
        Ok(response)
    }

    /// The To tag this endpoint uses in responses of `tx`.
    pub fn local_tag(&self, tx: ServerTxId) -> Option<&str> {
        self.servers.get(&tx).map(|s| s.local_tag.as_str())
    }

    /// The request of a server transaction as received (top Via stamped).
    pub fn server_request(&self, tx: ServerTxId) -> Option<&Request> {
        self.servers.get(&tx).map(|s| &s.request)
    }

    /// The request of a client transaction as sent (with our Via).
    pub fn client_request(&self, tx: ClientTxId) -> Option<&Request> {
        self.clients.get(&tx).map(|c| &c.request)
    }

    /// Answer server transaction `tx`. A To tag is added when missing (status > 100).
    ///
    /// INVITE: non-2xx finals are retransmitted on Timer G until the ACK (Timer H, then I);
    /// a 2xx is retransmitted from T1 doubling to T2 until the ACK or 64*T1
    /// (RFC 3261 13.3.1.4, RFC 6026 Accepted state). Non-INVITE: Timer J.
    pub fn respond(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        response: Response,
    ) -> Result<(), Error> {
        let result = self.respond_inner(now, tx, response);
        self.rearm();
        result
    }

    fn respond_inner(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        mut response: Response,
    ) -> Result<(), Error> {
        let t = self.timers;
        let status = response.status;
        if !(100..=699).contains(&status) {
            return Err(Error::InvalidStatus(status));
        }
        let stx = self.servers.get_mut(&tx).ok_or(Error::UnknownTransaction)?;
        if !matches!(stx.state, ServerState::Trying | ServerState::Proceeding) {
            return Err(Error::FinalAlreadySent);
        }
        if status > 100 {
            add_to_tag(&mut response, &stx.local_tag)?;
        }
        let bytes = response.to_bytes();
        self.io.transmit(stx.reply_to, bytes.clone());
        stx.last_response = Some(bytes);
        stx.trying_at = None;
        match (stx.kind, status) {
            (_, 100..=199) => stx.state = ServerState::Proceeding,
            (Kind::Invite, 200..=299) => {
                stx.state = ServerState::Accepted;
                stx.final_status = Some(status);
                stx.retransmit_interval = t.t1;
                stx.retransmit_at = Some(now + t.t1);
                stx.timeout_at = Some(now + t.t1x64()); // Timer L
                let ack_key = AckKey {
                    call_id: response.call_id()?.to_owned(),
                    from_tag: tag_of(&response.from_hdr()?).map(str::to_owned),
                    to_tag: to_tag(&response),
                    cseq: response.cseq()?.seq,
                };
                self.ack_index.insert(ack_key.clone(), tx);
                stx.ack_key = Some(ack_key);
            }
            (Kind::Invite, _) => {
                stx.state = ServerState::Completed;
                stx.final_status = Some(status);
                stx.retransmit_interval = t.t1;
                stx.retransmit_at = Some(now + t.t1); // Timer G
                stx.timeout_at = Some(now + t.t1x64()); // Timer H
            }
            (Kind::NonInvite, _) => {
                stx.state = ServerState::Completed;
                stx.final_status = Some(status);
                stx.timeout_at = None;
                stx.linger_until = Some(now + t.t1x64()); // Timer J
            }
        }
        Ok(())
    }

    /// Send `request` in a new client transaction to `dest`. A top Via with a fresh branch
    /// (and `rport`, RFC 3581) is added, and Max-Forwards/User-Agent when missing.
    /// INVITE: Timers A, B, D (RFC 3261 17.1.1); others: E, F, K (17.1.2).
    pub fn send_request(
        &mut self,
        now: Instant,
        request: Request,
        dest: SocketAddr,
    ) -> Result<ClientTxId, Error> {
        let result = self.send_request_inner(now, request, dest);
        self.rearm();
        result
    }

    fn send_request_inner(
        &mut self,
        now: Instant,
        mut request: Request,
        dest: SocketAddr,
    ) -> Result<ClientTxId, Error> {
        match request.method {
            Method::Ack => return Err(Error::AckIsNotATransaction),
            Method::Cancel => return Err(Error::UseCancel),
            _ => {}
        }
        let cseq = request.cseq()?;
        request.call_id()?;
        if cseq.method != request.method {
            return Err(Error::CSeqMethodMismatch);
        }
        let branch = self.new_branch();
        let via = self.local_via(&branch);
        push_top_via(&mut request.headers, &via);
        if !has_header(&request.headers, "Max-Forwards", None) {
            request.headers.push("Max-Forwards", "70");
        }
        if !self.config.user_agent.is_empty() && !has_header(&request.headers, "User-Agent", None) {
            request
                .headers
                .push("User-Agent", self.config.user_agent.clone());
        }
        let id = ClientTxId(self.next_id());
        self.start_client_tx(now, id, request, branch, dest);
        Ok(id)
    }

    fn local_via(&self, branch: &str) -> Via {
        Via {
            transport: "UDP".into(),
            host: host_of(self.config.local_addr),
            port: Some(self.config.local_addr.port()),
            params: vec![
                Param {
                    name: "branch".into(),
                    value: Some(branch.to_owned()),
                },
                Param {
                    name: "rport".into(),
                    value: None,
                },
            ],
        }
    }

    fn start_client_tx(
        &mut self,
        now: Instant,
        id: ClientTxId,
        request: Request,
        branch: String,
        dest: SocketAddr,
    ) {
        let t = self.timers;
        let kind = if request.method == Method::Invite {
            Kind::Invite
        } else {
            Kind::NonInvite
        };
        let bytes = request.to_bytes();
        self.io.transmit(dest, bytes.clone());
        self.client_index
            .insert((branch.clone(), request.method.clone()), id);
        self.clients.insert(
            id,
            ClientTx {
                kind,
                state: ClientState::Calling,
                branch,
                request,
                bytes,
                dest,
                retransmit_interval: t.t1,
                retransmit_at: Some(now + t.t1),   // Timer A / E
                timeout_at: Some(now + t.t1x64()), // Timer B / F
                linger_until: None,
                ringing_until: None,
                cancel_deadline: None,
                cancel: CancelState::None,
                ack_bytes: None,
                accepted_tags: Vec::new(),
            },
        );
    }

    /// Send an ACK for a 2xx (RFC 3261 13.2.2.4): outside any transaction, no retransmission.
    /// A Via with a fresh branch is added when the ACK has none. Returns the ACK as sent, so
    /// the TU can send it again when the 2xx is retransmitted.
    pub fn send_ack_2xx(&mut self, mut ack: Request, dest: SocketAddr) -> Request {
        if !has_header(&ack.headers, "Via", Some("v")) {
            let branch = self.new_branch();
            let via = self.local_via(&branch);
            push_top_via(&mut ack.headers, &via);
        }
        if !has_header(&ack.headers, "Max-Forwards", None) {
            ack.headers.push("Max-Forwards", "70");
        }
        self.io.transmit(dest, ack.to_bytes());
        ack
    }

    /// Cancel an INVITE client transaction (RFC 3261 9.1). The CANCEL goes out now if a
    /// provisional was received, else on the first provisional. Returns the CANCEL's own
    /// transaction (its 200 arrives as [`Event::Response`]); `None` if `tx` is not a pending
    /// INVITE. If the INVITE gets a final response first, the CANCEL is never sent.
    pub fn cancel(&mut self, now: Instant, tx: ClientTxId) -> Option<ClientTxId> {
        let result = self.cancel_inner(now, tx);
        self.rearm();
        result
    }

    fn cancel_inner(&mut self, now: Instant, tx: ClientTxId) -> Option<ClientTxId> {
        let invite = self.clients.get(&tx)?;
        if invite.kind != Kind::Invite {
            return None;
        }
        match (invite.cancel, invite.state) {
            (CancelState::Requested(id), _) => Some(id),
            (CancelState::Sent, _) => self
                .client_index
                .get(&(invite.branch.clone(), Method::Cancel))
                .copied(),
            (CancelState::None, ClientState::Calling) => {
                let id = ClientTxId(self.next_id());
                if let Some(invite) = self.clients.get_mut(&tx) {
                    invite.cancel = CancelState::Requested(id);
                }
                Some(id)
            }
            (CancelState::None, ClientState::Proceeding) => {
                let id = ClientTxId(self.next_id());
                self.send_cancel(now, tx, id);
                Some(id)
            }
            (CancelState::None, _) => None,
        }
    }

    fn send_cancel(&mut self, now: Instant, invite_id: ClientTxId, cancel_id: ClientTxId) {
        let t = self.timers;
        let Some(invite) = self.clients.get_mut(&invite_id) else {
            return;
        };
        let Ok(cancel) = build_cancel(&invite.request) else {
            // The INVITE was validated in send_request; nothing to cancel otherwise.
            return;
        };
        invite.cancel = CancelState::Sent;
        invite.ringing_until = None;
        // RFC 3261 9.1: give up on the INVITE 64*T1 after the CANCEL if no final arrives.
        invite.cancel_deadline = Some(now + t.t1x64());
        let branch = invite.branch.clone();
        let dest = invite.dest;
        self.start_client_tx(now, cancel_id, cancel, branch, dest);
    }

    // ----- timers ------------------------------------------------------------------------

    /// Fire every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        for tx in self.deadlines.pop_due(now) {
            match tx {
                TxRef::Server(id) => {
                    while let Some(deadline) =
                        self.servers.get(&id).and_then(ServerTx::next_deadline)
                    {
                        if deadline > now {
                            break;
                        }
                        self.fire_server(now, id);
                    }
                }
                TxRef::Client(id) => {
                    while let Some(deadline) =
                        self.clients.get(&id).and_then(ClientTx::next_deadline)
                    {
                        if deadline > now {
                            break;
                        }
                        self.fire_client(now, id);
                    }
                }
            }
        }
        self.rearm();
    }

    /// Fire the earliest due timer of server transaction `id`.
    fn fire_server(&mut self, now: Instant, id: ServerTxId) {
        let t = self.timers;
        let Some(tx) = self.servers.get_mut(&id) else {
            return;
        };
        let due = |at: Option<Instant>| at.is_some_and(|d| d <= now);
        if due(tx.trying_at) {
            tx.trying_at = None;
            if tx.state == ServerState::Proceeding && tx.last_response.is_none() {
                // RFC 3261 17.2.1: the TU was silent for 200 ms.
                let trying = Response::for_request(&tx.request, 100, "Trying").to_bytes();
                self.io.transmit(tx.reply_to, trying.clone());
                tx.last_response = Some(trying);
            }
        } else if due(tx.retransmit_at) {
            // Timer G (17.2.1) or the 2xx retransmission (13.3.1.4): double up to T2.
            if let Some(bytes) = &tx.last_response {
                self.io.retransmit(tx.reply_to, bytes);
            }
            tx.retransmit_interval = (tx.retransmit_interval * 2).min(t.t2);
            tx.retransmit_at = Some(now + tx.retransmit_interval);
        } else if due(tx.timeout_at) {
            match tx.state {
                // Timer H, or Timer L without ACK.
                ServerState::Completed | ServerState::Accepted => {
                    if !tx.acked {
                        let status = tx.final_status.unwrap_or(500);
                        self.io.emit(Event::AckTimeout { tx: id, status });
                    }
                }
                _ => self.io.stats.unanswered_requests += 1,
            }
            self.remove_server(id);
        } else if due(tx.linger_until) {
            // Timer I or J.
            self.remove_server(id);
        }
    }

    fn fire_client(&mut self, now: Instant, id: ClientTxId) {
        let t = self.timers;
        let Some(tx) = self.clients.get_mut(&id) else {
            return;
        };
        let due = |at: Option<Instant>| at.is_some_and(|d| d <= now);
        if due(tx.timeout_at) || due(tx.cancel_deadline) {
            // Timer B/F (17.1.1.2, 17.1.2.2), or the CANCEL guard (9.1).
            self.io.stats.transaction_timeouts += 1;
            self.io.emit(Event::TransactionTimeout { tx: id });
            self.remove_client(id);
        } else if due(tx.retransmit_at) {
            self.io.retransmit(tx.dest, &tx.bytes);
            tx.retransmit_interval = match (tx.kind, tx.state) {
                // Timer A doubles without a cap (17.1.1.2).
                (Kind::Invite, _) => tx.retransmit_interval.saturating_mul(2),
                // Timer E doubles up to T2, and is T2 once a provisional came (17.1.2.2).
                (Kind::NonInvite, ClientState::Calling) => (tx.retransmit_interval * 2).min(t.t2),
                (Kind::NonInvite, _) => t.t2,
            };
            tx.retransmit_at = Some(now + tx.retransmit_interval);
        } else if due(tx.ringing_until) {
            // Timer C: give up ringing.
            tx.ringing_until = None;
            if tx.state == ClientState::Proceeding && tx.cancel == CancelState::None {
                let cancel_id = ClientTxId(self.next_id());
                self.send_cancel(now, id, cancel_id);
            }
        } else if due(tx.linger_until) {
            // Timer D, K or M.
            self.remove_client(id);
        }
    }

    fn remove_server(&mut self, id: ServerTxId) {
        if let Some(tx) = self.servers.remove(&id) {
            if self.server_index.get(&tx.key) == Some(&id) {
                self.server_index.remove(&tx.key);
            }
            if let Some(ack_key) = tx.ack_key
                && self.ack_index.get(&ack_key) == Some(&id)
            {
                self.ack_index.remove(&ack_key);
            }
        }
    }

    fn remove_client(&mut self, id: ClientTxId) {
        if let Some(tx) = self.clients.remove(&id) {
            let key = (tx.branch, tx.request.method);
            if self.client_index.get(&key) == Some(&id) {
                self.client_index.remove(&key);
            }
        }
    }
}

fn to_tag(response: &Response) -> Option<String> {
    response
        .to_hdr()
        .ok()
        .as_ref()
        .and_then(tag_of)
        .map(str::to_owned)
}

fn server_key(
    request: &Request,
    top_via: &Via,
    call_id: &str,
    cseq: u32,
    from: &NameAddr,
    method: Method,
) -> ServerKey {
    match top_via.branch() {
        // RFC 3261 17.2.3: branch, sent-by and method.
        Some(branch) if branch.starts_with(MAGIC_COOKIE) => ServerKey::Rfc3261 {
            branch: branch.to_owned(),
            sent_by: sent_by(top_via),
            method,
        },
        _ => ServerKey::Rfc2543 {
            request_uri: request.uri.to_string(),
            from_tag: tag_of(from).map(str::to_owned),
            call_id: call_id.to_owned(),
            cseq,
            top_via: format!(
                "{};{}",
                sent_by(top_via),
                top_via.branch().unwrap_or_default()
            ),
            method,
        },
    }
}

fn add_to_tag(response: &mut Response, tag: &str) -> Result<(), ParseError> {
    let mut to = response.to_hdr()?;
    if tag_of(&to).is_none() {
        to.params.push(Param {
            name: "tag".into(),
            value: Some(tag.to_owned()),
        });
        replace_header(&mut response.headers, "To", Some("t"), to.to_string());
    }
    Ok(())
}

fn copy_headers(from: &Headers, to: &mut Headers, long: &str, compact: Option<&str>) {
    for h in from.0.iter().filter(|h| header_is(h, long, compact)) {
        to.push(long, h.value.clone());
    }
}

/// RFC 3261 9.1: same Request-URI, Call-ID, To, From, CSeq number and Route as the INVITE,
/// and only its top Via (same branch).
fn build_cancel(invite: &Request) -> Result<Request, ParseError> {
    let via = invite.top_via()?;
    let cseq = invite.cseq()?;
    let mut headers = Headers::default();
    headers.push("Via", via.to_string());
    headers.push("Max-Forwards", "70");
    copy_headers(&invite.headers, &mut headers, "From", Some("f"));
    copy_headers(&invite.headers, &mut headers, "To", Some("t"));
    copy_headers(&invite.headers, &mut headers, "Call-ID", Some("i"));
    headers.push("CSeq", format!("{} CANCEL", cseq.seq));
    copy_headers(&invite.headers, &mut headers, "Route", None);
    Ok(Request {
        method: Method::Cancel,
        uri: invite.uri.clone(),
        headers,
        body: Vec::new(),
    })
}

/// RFC 3261 17.1.1.3: the ACK for a non-2xx final, built by the transaction.
fn build_non_2xx_ack(invite: &Request, response: &Response) -> Request {
    let mut headers = Headers::default();
    if let Ok(via) = invite.top_via() {
        headers.push("Via", via.to_string());
    }
    headers.push("Max-Forwards", "70");
    copy_headers(&invite.headers, &mut headers, "From", Some("f"));
    copy_headers(&response.headers, &mut headers, "To", Some("t"));
    copy_headers(&invite.headers, &mut headers, "Call-ID", Some("i"));
    let seq = invite.cseq().map(|c| c.seq).unwrap_or_default();
    headers.push("CSeq", format!("{seq} ACK"));
    copy_headers(&invite.headers, &mut headers, "Route", None);
    Request {
        method: Method::Ack,
        uri: invite.uri.clone(),
        headers,
        body: Vec::new(),
    }
}
