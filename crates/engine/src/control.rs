//! The call-control core: a sans-IO back-to-back user agent that takes each call from the
//! SIP INVITE through the IVR and the ACD queue to an operator's phone.
//!
//! It owns the SIP [`Endpoint`] and [`Registrar`], the [`Acd`], one IVR [`Session`] per call
//! and the per-call state; it reads no clock (monotonic time is a parameter, wall-clock time
//! comes through [`Clock`]) and touches no socket: SIP datagrams, media commands and CTI
//! events come out of [`CallControl::poll_output`]. The only outside service it calls
//! synchronously is [`MediaLegs::open`], which hands it an RTP address for an SDP.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Clock, Pii};
use ivr::{CallContext, HoursOverride, Script, Session};
use media::Codec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sdp::SessionDescription;
use sip_message::{Method, NameAddr, Request, Response, SipHeaders, SipUri, Uri};
use sip_transaction::{
    ClientTxId, Dialog, Endpoint, EndpointConfig, Event, Registrar, RegistrarConfig, ServerTxId,
};
use tracing::{debug, info, warn};

use crate::config::EngineConfig;
use crate::events::{
    CallOffered, CallOutcome, CallRecord, CtiEvent, LegId, MediaCommand, MediaEvent,
};

/// What a queued caller hears between announcements.
pub const HOLD_MUSIC: &str = "hold_music";

/// Opens RTP sockets for the core. Implemented by the media driver; a test double in tests.
pub trait MediaLegs {
    /// Bind a socket for `leg` and start its driver; returns the local RTP address.
    fn open(&mut self, leg: LegId) -> Result<SocketAddr, String>;
}

/// What the core asks of its driver.
#[derive(Debug)]
pub enum Output {
    Transmit { to: SocketAddr, bytes: Vec<u8> },
    Media { leg: LegId, command: MediaCommand },
    Cti(CtiEvent),
}

/// Engine-wide counters, for logs and the supervisor view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ControlStats {
    pub calls_started: u64,
    pub calls_active: u64,
    pub calls_rejected: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// 180 sent, 200 due at `answer_at`.
    Ringing,
    /// In the IVR.
    Ivr,
    /// Waiting in an ACD queue (possibly being offered to an operator).
    Queued,
    /// Talking to an operator.
    Bridged,
}

/// The operator leg of a call while offered or bridged.
#[derive(Debug)]
struct AgentLeg {
    agent: String,
    leg: LegId,
    tx: ClientTxId,
    invite: Request,
    dest: SocketAddr,
    dialog: Option<Dialog>,
}

#[derive(Debug)]
struct Call {
    id: acd::CallId,
    sip_call_id: String,
    caller: Pii<String>,
    dialled: String,
    invite_tx: ServerTxId,
    invite: Request,
    source: SocketAddr,
    dialog: Option<Dialog>,
    leg: LegId,
    answer_sdp: Vec<u8>,
    /// The caller's negotiated codec and telephone-event payload type: the operator leg is
    /// offered exactly these, since RTP is relayed packet for packet (no transcoding yet).
    codec: Codec,
    telephone_event_pt: Option<u8>,
    phase: Phase,
    answer_at: Option<Instant>,
    ivr: Option<Session>,
    ivr_deadline: Option<Instant>,
    play_token: u64,
    ivr_data: Vec<(String, String)>,
    queue: Option<String>,
    queued_at: Option<Instant>,
    agent: Option<AgentLeg>,
    started_unix_ms: i64,
    answered_unix_ms: Option<i64>,
    bridged_at: Option<Instant>,
    waited: Duration,
}

#[derive(Debug)]
struct Agent {
    password: String,
    queues: Vec<String>,
    /// Where to send INVITEs: the registered Contact and the address to send to.
    contact: Option<(Uri, SocketAddr)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Caller,
    Operator,
}

pub struct CallControl {
    config: EngineConfig,
    clock: Arc<dyn Clock>,
    endpoint: Endpoint,
    registrar: Registrar,
    acd: acd::Acd,
    script: Arc<Script>,
    rng: ChaCha8Rng,
    calls: HashMap<acd::CallId, Call>,
    by_sip_call_id: HashMap<String, (acd::CallId, Side)>,
    by_invite_tx: HashMap<ServerTxId, acd::CallId>,
    by_client_tx: HashMap<ClientTxId, acd::CallId>,
    by_leg: HashMap<LegId, acd::CallId>,
    agents: HashMap<String, Agent>,
    outputs: VecDeque<Output>,
    /// The ACD's next deadline, as its last `poll_output` said.
    acd_deadline: Option<Instant>,
    next_call: u64,
    next_leg: u64,
    next_token: u64,
    draining: bool,
    /// Set by `hang_up_all`: no more offers to operators.
    hanging_up: bool,
    stats: ControlStats,
}

impl CallControl {
    pub fn new(
        config: EngineConfig,
        script: Arc<Script>,
        clock: Arc<dyn Clock>,
        now: Instant,
    ) -> Result<Self, crate::EngineError> {
        let seed = config.rng_seed.unwrap_or_else(|| rand::rng().random());
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let endpoint = Endpoint::new(
            EndpointConfig::new(
                config.sip_addr,
                concat!("centralino/", env!("CARGO_PKG_VERSION")),
            ),
            rng.random(),
        );
        let registrar = Registrar::new(
            RegistrarConfig::new(config.domain.clone()),
            now,
            rng.random(),
        );
        let mut queue_configs = Vec::new();
        for name in script.queues_used() {
            let settings = config.queues.get(&name).cloned().unwrap_or_default();
            queue_configs.push(acd::QueueConfig {
                name,
                announce_every: Some(settings.announce_every).filter(|d| !d.is_zero()),
                ring_timeout: settings.ring_timeout,
            });
        }
        let all_queues: Vec<String> = script.queues_used().into_iter().collect();
        let acd = acd::Acd::new(acd::AcdConfig {
            queues: queue_configs,
        })
        .map_err(|e| crate::EngineError::Config(e.to_string()))?;
        let mut agents = HashMap::new();
        for a in &config.agents {
            let queues = if a.queues.is_empty() {
                all_queues.clone()
            } else {
                a.queues.clone()
            };
            for q in &queues {
                if !all_queues.contains(q) {
                    return Err(crate::EngineError::Config(format!(
                        "agent {} serves queue {q}, which the IVR script never uses",
                        a.id
                    )));
                }
            }
            agents.insert(
                a.id.clone(),
                Agent {
                    password: a.password.clone(),
                    queues,
                    contact: None,
                },
            );
        }
        Ok(Self {
            config,
            clock,
            endpoint,
            registrar,
            acd,
            script,
            rng,
            calls: HashMap::new(),
            by_sip_call_id: HashMap::new(),
            by_invite_tx: HashMap::new(),
            by_client_tx: HashMap::new(),
            by_leg: HashMap::new(),
            agents,
            outputs: VecDeque::new(),
            acd_deadline: None,
            next_call: 1,
            next_leg: 1,
            next_token: 1,
            draining: false,
            hanging_up: false,
            stats: ControlStats::default(),
        })
    }

    pub fn stats(&self) -> ControlStats {
        ControlStats {
            calls_active: self.calls.len() as u64,
            ..self.stats
        }
    }

    pub fn sip_stats(&self) -> sip_transaction::EndpointStats {
        self.endpoint.stats()
    }

    pub fn acd_snapshot(&self, now: Instant) -> acd::AcdSnapshot {
        self.acd.snapshot(now)
    }

    /// Stop taking calls: new INVITEs get 503 from now on.
    pub fn begin_shutdown(&mut self) {
        self.draining = true;
    }

    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    /// End every call (after the shutdown grace period). Calls not yet with an operator go
    /// first, so that an operator freed by a later hang-up is not offered one of them.
    pub fn hang_up_all(&mut self, now: Instant, legs: &mut dyn MediaLegs) {
        self.draining = true;
        self.hanging_up = true;
        let mut ids: Vec<(bool, acd::CallId)> = self
            .calls
            .values()
            .map(|c| (c.phase == Phase::Bridged, c.id))
            .collect();
        ids.sort();
        for (_, id) in ids {
            self.end_call(now, id, CallOutcome::Failed, None, legs);
        }
    }

    /// Whether requests we sent (BYE, CANCEL, INVITE) still await their answers: at shutdown
    /// the driver keeps serving until they are done, so that a lost BYE is retransmitted.
    pub fn sip_busy(&self) -> bool {
        self.endpoint.client_transaction_count() > 0
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        loop {
            if let Some(out) = self.outputs.pop_front() {
                return Some(out);
            }
            match self.endpoint.poll_output() {
                sip_transaction::Output::Transmit { to, bytes } => {
                    return Some(Output::Transmit { to, bytes });
                }
                sip_transaction::Output::Event(_) => {
                    // Events are consumed inside `pump_endpoint`; one left here means an
                    // input path forgot to pump. Drop it rather than loop forever.
                    warn!("sip event left undrained");
                }
                sip_transaction::Output::Timeout(_) => return None,
            }
        }
    }

    /// The earliest instant at which [`CallControl::handle_timeout`] must run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next = self.endpoint.poll_timeout();
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n: Instant| n.min(t)));
            }
        };
        consider(self.acd_deadline);
        consider(self.registrar.poll_timeout());
        for call in self.calls.values() {
            consider(call.answer_at);
            consider(call.ivr_deadline);
        }
        next
    }

    // ----- inputs --------------------------------------------------------------------------

    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &[u8],
        legs: &mut dyn MediaLegs,
    ) {
        self.endpoint.handle_datagram(now, from, bytes);
        self.pump_endpoint(now, legs);
    }

    pub fn handle_timeout(&mut self, now: Instant, legs: &mut dyn MediaLegs) {
        self.endpoint.handle_timeout(now);
        self.pump_endpoint(now, legs);
        let expired = self.registrar.handle_timeout(now);
        let any_expired = !expired.is_empty();
        for change in expired {
            self.apply_binding_change(now, change);
        }
        if any_expired {
            self.pump_acd(now, legs);
        }
        let due: Vec<acd::CallId> = self
            .calls
            .values()
            .filter(|c| {
                c.answer_at.is_some_and(|t| t <= now) || c.ivr_deadline.is_some_and(|t| t <= now)
            })
            .map(|c| c.id)
            .collect();
        for id in due {
            let Some(call) = self.calls.get_mut(&id) else {
                continue;
            };
            if call.answer_at.is_some_and(|t| t <= now) {
                call.answer_at = None;
                self.answer_caller(now, id, legs);
            }
            let Some(call) = self.calls.get_mut(&id) else {
                continue;
            };
            if call.ivr_deadline.is_some_and(|t| t <= now) {
                call.ivr_deadline = None;
                self.ivr_input(now, id, ivr::Input::Timeout(now), legs);
            }
        }
        if self.acd_deadline.is_some_and(|t| t <= now) {
            self.acd_input(acd::Input::Timeout(now));
            self.pump_acd(now, legs);
        }
    }

    pub fn handle_media_event(
        &mut self,
        now: Instant,
        leg: LegId,
        event: MediaEvent,
        legs: &mut dyn MediaLegs,
    ) {
        let Some(&id) = self.by_leg.get(&leg) else {
            return;
        };
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.leg != leg {
            // Keys pressed on the operator's phone are not for the IVR.
            return;
        }
        match event {
            MediaEvent::Digit(d) => {
                if call.phase == Phase::Ivr {
                    debug!(call = %call.sip_call_id, digit = %d, "dtmf");
                    self.ivr_input(now, id, ivr::Input::Digit(d, now), legs);
                }
            }
            MediaEvent::PlaybackFinished { token } => {
                if call.phase == Phase::Ivr && token == call.play_token {
                    self.ivr_input(now, id, ivr::Input::PlaybackFinished(now), legs);
                }
            }
        }
    }

    // ----- SIP -----------------------------------------------------------------------------

    fn pump_endpoint(&mut self, now: Instant, legs: &mut dyn MediaLegs) {
        // Transmits are left for `poll_output`; events are handled here, in order.
        let mut pending = Vec::new();
        loop {
            match self.endpoint.poll_output() {
                sip_transaction::Output::Transmit { to, bytes } => {
                    pending.push(Output::Transmit { to, bytes });
                }
                sip_transaction::Output::Event(event) => {
                    self.outputs.extend(pending.drain(..));
                    self.handle_sip_event(now, event, legs);
                }
                sip_transaction::Output::Timeout(_) => break,
            }
        }
        self.outputs.extend(pending);
    }

    fn handle_sip_event(&mut self, now: Instant, event: Event, legs: &mut dyn MediaLegs) {
        match event {
            Event::IncomingRequest {
                tx,
                request,
                source,
            } => {
                self.handle_request(now, tx, request, source, legs);
            }
            Event::IncomingAck { .. } => {
                // The endpoint already stopped retransmitting our 2xx; nothing else to do.
            }
            Event::CancelReceived { invite_tx, .. } => {
                let ringing = self.by_invite_tx.get(&invite_tx).copied().filter(|id| {
                    self.calls
                        .get(id)
                        .is_some_and(|c| c.phase == Phase::Ringing)
                });
                if let Some(id) = ringing {
                    self.respond(now, invite_tx, 487, "Request Terminated", None);
                    self.end_call(now, id, CallOutcome::Cancelled, None, legs);
                }
            }
            Event::Response {
                tx,
                response,
                retransmission,
            } => {
                self.handle_response(now, tx, response, retransmission, legs);
            }
            Event::TransactionTimeout { tx } => {
                if let Some(id) = self.by_client_tx.remove(&tx) {
                    self.operator_failed(now, id, tx, "no answer from the phone", legs);
                }
            }
            Event::AckTimeout { tx, status } if (200..300).contains(&status) => {
                if let Some(&id) = self.by_invite_tx.get(&tx) {
                    warn!("no ACK for our 200 OK: ending the call");
                    self.end_call(now, id, CallOutcome::Failed, None, legs);
                }
            }
            _ => {}
        }
    }

    fn handle_request(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: Request,
        source: SocketAddr,
        legs: &mut dyn MediaLegs,
    ) {
        let in_dialog = request
            .to_hdr()
            .ok()
            .and_then(|to| to.tag().map(str::to_owned))
            .is_some();
        if let Some((status, reason, extra)) = precheck(&request) {
            if let Ok(mut r) = self.endpoint.response(tx, status, reason) {
                for (name, value) in extra {
                    r.headers.push(name, value);
                }
                self.respond_with(now, tx, r);
            }
            return;
        }
        match request.method {
            Method::Register => self.handle_register(now, tx, &request, source, legs),
            Method::Options => {
                let response = sip_transaction::options::options_response(
                    &request,
                    sip_transaction::options::DEFAULT_ALLOW,
                    sip_transaction::options::DEFAULT_ACCEPT,
                    &[],
                );
                self.respond_with(now, tx, response);
            }
            Method::Invite if !in_dialog => self.handle_invite(now, tx, request, source, legs),
            Method::Invite => self.handle_reinvite(now, tx, &request),
            Method::Bye => self.handle_bye(now, tx, &request, legs),
            Method::Cancel | Method::Ack => {}
            _ if in_dialog && self.lookup(&request).is_none() => {
                self.respond(now, tx, 481, "Call/Transaction Does Not Exist", None);
            }
            Method::Info | Method::Update | Method::Message | Method::Notify => {
                // INFO (SIP INFO DTMF) and the rest are accepted and ignored for now.
                self.respond(now, tx, 200, "OK", None);
            }
            _ => {
                let mut r = self.endpoint.response(tx, 405, "Method Not Allowed").ok();
                if let Some(r) = r.as_mut() {
                    r.headers.push("Allow", allow_header());
                }
                if let Some(r) = r {
                    self.respond_with(now, tx, r);
                }
            }
        }
    }

    /// The call and side an in-dialog request belongs to: by Call-ID, and by tags once the
    /// dialog exists (RFC 3261 12.2.2), so that a stray BYE with the right Call-ID and wrong
    /// tags ends nothing.
    fn lookup(&self, request: &Request) -> Option<(acd::CallId, Side)> {
        let call_id = request.call_id().ok()?;
        let (id, side) = self.by_sip_call_id.get(call_id).copied()?;
        let call = self.calls.get(&id)?;
        let dialog = match side {
            Side::Caller => call.dialog.as_ref(),
            Side::Operator => call.agent.as_ref().and_then(|a| a.dialog.as_ref()),
        };
        match dialog {
            Some(d) if !d.matches_request(request) => None,
            _ => Some((id, side)),
        }
    }

    fn handle_register(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: &Request,
        source: SocketAddr,
        legs: &mut dyn MediaLegs,
    ) {
        let agents = &self.agents;
        let passwords = |user: &str| agents.get(user).map(|a| a.password.clone());
        let outcome = self
            .registrar
            .handle_register(now, request, source, &passwords);
        self.respond_with(now, tx, outcome.response);
        for change in outcome.changes {
            self.apply_binding_change(now, change);
        }
        self.pump_acd(now, legs);
    }

    fn apply_binding_change(&mut self, now: Instant, change: sip_transaction::BindingChange) {
        match change {
            sip_transaction::BindingChange::Registered {
                aor_user,
                contact,
                source,
                ..
            } => {
                let Some(agent) = self.agents.get_mut(&aor_user) else {
                    return;
                };
                let dest = contact_destination(&contact.uri, source);
                agent.contact = Some((contact.uri, dest));
                // Every registration (and refresh) says "ready": the ACD keeps an agent that
                // is already ready in place, refuses one that is busy, and so puts back an
                // operator it took out of rotation after a ring-no-answer.
                if self.config.registration_means_ready {
                    debug!(agent = %aor_user, "operator registered: ready");
                    let queues = agent.queues.clone();
                    self.acd_input(acd::Input::AgentReady {
                        agent: acd::AgentId(aor_user),
                        queues,
                        now,
                    });
                }
            }
            sip_transaction::BindingChange::Unregistered { aor_user, .. } => {
                let remaining = self.registrar.bindings(&aor_user).first().map(|b| {
                    (
                        b.contact.uri.clone(),
                        contact_destination(&b.contact.uri, b.source),
                    )
                });
                let Some(agent) = self.agents.get_mut(&aor_user) else {
                    return;
                };
                // Another binding of the same operator (a new NAT port) keeps them reachable.
                agent.contact = remaining;
                if agent.contact.is_none() {
                    info!(agent = %aor_user, "operator unregistered");
                    self.acd_input(acd::Input::AgentNotReady {
                        agent: acd::AgentId(aor_user),
                        now,
                    });
                }
            }
        }
    }

    fn handle_invite(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: Request,
        source: SocketAddr,
        legs: &mut dyn MediaLegs,
    ) {
        if self.draining {
            self.stats.calls_rejected += 1;
            self.respond(now, tx, 503, "Service Unavailable", None);
            return;
        }
        let Ok(sip_call_id) = request.call_id().map(str::to_owned) else {
            return;
        };
        if self.by_sip_call_id.contains_key(&sip_call_id) {
            // A second INVITE with the same Call-ID but no To tag: a loop or a merged request
            // (RFC 3261 8.2.2.2).
            self.respond(now, tx, 482, "Loop Detected", None);
            return;
        }
        // The offer (RFC 3264). No SDP (offer in the ACK) is not supported yet.
        let offer = std::str::from_utf8(&request.body)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .and_then(|s| SessionDescription::parse(s).ok());
        let Some(offer) = offer else {
            self.stats.calls_rejected += 1;
            self.respond(now, tx, 488, "Not Acceptable Here", None);
            return;
        };
        let Some((leg, local)) = self.open_leg(legs, "a new call") else {
            self.stats.calls_rejected += 1;
            self.respond(now, tx, 503, "Service Unavailable", None);
            return;
        };
        let session_id = self.rng.random::<u32>() as u64;
        let (answer, negotiated) =
            match sdp::answer(&offer, local.ip(), local.port(), &Codec::ALL, session_id) {
                Ok(x) => x,
                Err(e) => {
                    debug!(error = %e, "offer without a usable codec");
                    self.outputs.push_back(Output::Media {
                        leg,
                        command: MediaCommand::Close,
                    });
                    self.stats.calls_rejected += 1;
                    self.respond(now, tx, 488, "Not Acceptable Here", None);
                    return;
                }
            };
        let caller = request
            .from_hdr()
            .ok()
            .and_then(|f| match f.uri {
                Uri::Sip(u) => u.user,
                Uri::Other { rest, .. } => Some(rest),
            })
            .unwrap_or_default();
        let dialled = match &request.uri {
            Uri::Sip(u) => u.user.clone().unwrap_or_default(),
            Uri::Other { rest, .. } => rest.clone(),
        };
        let id = acd::CallId(self.next_call);
        self.next_call += 1;
        self.stats.calls_started += 1;
        info!(call = %sip_call_id, "incoming call");
        self.outputs.push_back(Output::Media {
            leg,
            command: MediaCommand::Configure {
                remote: negotiated.remote,
                codec: negotiated.codec,
                payload_type: negotiated.payload_type,
                telephone_event_pt: negotiated.telephone_event_pt,
            },
        });
        let answer_at = now + self.config.answer_delay;
        let call = Call {
            id,
            sip_call_id: sip_call_id.clone(),
            caller: Pii::new(caller),
            dialled,
            invite_tx: tx,
            invite: request,
            source,
            dialog: None,
            leg,
            answer_sdp: answer.to_string().into_bytes(),
            codec: negotiated.codec,
            telephone_event_pt: negotiated.telephone_event_pt,
            phase: Phase::Ringing,
            answer_at: Some(answer_at),
            ivr: None,
            ivr_deadline: None,
            play_token: 0,
            ivr_data: Vec::new(),
            queue: None,
            queued_at: None,
            agent: None,
            started_unix_ms: self.clock.now_unix_ms(),
            answered_unix_ms: None,
            bridged_at: None,
            waited: Duration::ZERO,
        };
        self.calls.insert(id, call);
        self.by_sip_call_id.insert(sip_call_id, (id, Side::Caller));
        self.by_invite_tx.insert(tx, id);
        self.by_leg.insert(leg, id);
        self.respond(now, tx, 180, "Ringing", None);
        if self.config.answer_delay.is_zero() {
            if let Some(c) = self.calls.get_mut(&id) {
                c.answer_at = None;
            }
            self.answer_caller(now, id, legs);
        }
    }

    /// Send the 200 OK with our SDP answer and start the IVR.
    fn answer_caller(&mut self, now: Instant, id: acd::CallId, legs: &mut dyn MediaLegs) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let tx = call.invite_tx;
        let Ok(mut ok) = self.endpoint.response(tx, 200, "OK") else {
            return;
        };
        ok.headers
            .push("Contact", self.endpoint.local_contact(None).to_string());
        ok.headers.push("Content-Type", "application/sdp");
        ok.body = call.answer_sdp.clone();
        let dialog = Dialog::uas(&call.invite, &ok).ok();
        if let Err(e) = self.endpoint.respond(now, tx, ok) {
            warn!(error = %e, "cannot answer the call");
            self.end_call(now, id, CallOutcome::Failed, None, legs);
            return;
        }
        let local_time =
            ivr::LocalTime::from_unix_ms(self.clock.now_unix_ms(), self.config.utc_offset_minutes);
        let hours = match self.config.hours_override {
            Some(true) => HoursOverride::AlwaysOpen,
            Some(false) => HoursOverride::AlwaysClosed,
            None => HoursOverride::FollowSchedule,
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.dialog = dialog;
        call.phase = Phase::Ivr;
        let session = Session::new(
            self.script.clone(),
            CallContext {
                caller: call.caller.clone(),
                dialled: call.dialled.clone(),
                local_time,
                hours,
            },
        );
        call.ivr = Some(session);
        self.ivr_input(now, id, ivr::Input::Start(now), legs);
    }

    fn handle_reinvite(&mut self, now: Instant, tx: ServerTxId, request: &Request) {
        // A session refresh or hold: answer with the session we already have. Changing media
        // mid-call (hold, codec change) is not supported yet.
        let Some((id, side)) = self.lookup(request) else {
            self.respond(now, tx, 481, "Call/Transaction Does Not Exist", None);
            return;
        };
        if side == Side::Operator {
            self.respond(now, tx, 488, "Not Acceptable Here", None);
            return;
        }
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.phase == Phase::Ringing {
            // RFC 3261 14.2: a re-INVITE before our final response to the initial INVITE.
            if let Ok(mut r) = self.endpoint.response(tx, 500, "Server Internal Error") {
                r.headers.push("Retry-After", "2");
                self.respond_with(now, tx, r);
            }
            return;
        }
        let body = call.answer_sdp.clone();
        let Ok(mut ok) = self.endpoint.response(tx, 200, "OK") else {
            return;
        };
        ok.headers
            .push("Contact", self.endpoint.local_contact(None).to_string());
        ok.headers.push("Content-Type", "application/sdp");
        ok.body = body;
        self.respond_with(now, tx, ok);
    }

    fn handle_bye(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: &Request,
        legs: &mut dyn MediaLegs,
    ) {
        let Some((id, side)) = self.lookup(request) else {
            self.respond(now, tx, 481, "Call/Transaction Does Not Exist", None);
            return;
        };
        self.respond(now, tx, 200, "OK", None);
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let outcome = match (side, call.phase) {
            (_, Phase::Bridged) => CallOutcome::Answered,
            (Side::Caller, Phase::Queued) => CallOutcome::AbandonedInQueue,
            (Side::Caller, Phase::Ivr | Phase::Ringing) => CallOutcome::AbandonedInIvr,
            (Side::Operator, _) => {
                // The operator hung up before being bridged: treat as a failed offer.
                if let Some(agent_tx) = call.agent.as_ref().map(|a| a.tx) {
                    self.operator_failed(now, id, agent_tx, "operator hung up", legs);
                }
                return;
            }
        };
        self.end_call(now, id, outcome, Some(side), legs);
    }

    fn handle_response(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        response: Response,
        retransmission: bool,
        legs: &mut dyn MediaLegs,
    ) {
        let status = response.status;
        let is_invite = response.cseq().is_ok_and(|c| c.method == Method::Invite);
        let id = self.by_client_tx.get(&tx).copied();
        let ours = id
            .and_then(|id| self.calls.get(&id))
            .and_then(|c| c.agent.as_ref())
            .is_some_and(|a| a.tx == tx);
        if !is_invite || status < 200 {
            return;
        }
        if !ours || retransmission {
            if (200..300).contains(&status) {
                // A retransmitted 2xx (our ACK was lost) only needs the ACK again; a first
                // 2xx for an offer we already dropped (the CANCEL crossed it) is hung up.
                self.ack_and_maybe_bye(now, tx, &response, !ours && !retransmission);
            }
            return;
        }
        let id = id.expect("ours implies a call id");
        self.by_client_tx.remove(&tx);
        if !(200..300).contains(&status) {
            self.operator_failed(now, id, tx, "operator phone declined", legs);
            return;
        }
        self.operator_answered(now, id, tx, response, legs);
    }

    /// ACK a 2xx to an INVITE of ours; if the call it belonged to is gone (we cancelled, the
    /// caller left), hang the stray dialog up at once (RFC 3261 15, 9.1 race).
    fn ack_and_maybe_bye(&mut self, now: Instant, tx: ClientTxId, response: &Response, bye: bool) {
        let Some(invite) = self.endpoint.client_request(tx).cloned() else {
            return;
        };
        let Ok(mut dialog) = Dialog::uac(&invite, response) else {
            return;
        };
        let dest = self.dialog_destination(&dialog, uri_socket_addr(&invite.uri));
        if let Ok(ack) = dialog.ack_for_2xx(&invite) {
            self.endpoint.send_ack_2xx(ack, dest);
        }
        if bye {
            let bye = dialog.new_request(Method::Bye);
            let _ = self.endpoint.send_request(now, bye, dest);
        }
    }

    fn operator_answered(
        &mut self,
        now: Instant,
        id: acd::CallId,
        tx: ClientTxId,
        response: Response,
        legs: &mut dyn MediaLegs,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(agent_leg) = call.agent.as_mut() else {
            return;
        };
        let Ok(dialog) = Dialog::uac(&agent_leg.invite, &response) else {
            warn!("operator's 2xx does not make a dialog");
            return;
        };
        let dest = agent_leg.dest;
        if let Ok(ack) = dialog.ack_for_2xx(&agent_leg.invite) {
            self.endpoint.send_ack_2xx(ack, dest);
        }
        let answer = std::str::from_utf8(&response.body)
            .ok()
            .and_then(|s| SessionDescription::parse(s).ok());
        let offer = std::str::from_utf8(&agent_leg.invite.body)
            .ok()
            .and_then(|s| SessionDescription::parse(s).ok());
        let negotiated = match (offer, answer) {
            (Some(o), Some(a)) => sdp::negotiate_answer(&o, &a).ok(),
            _ => None,
        };
        agent_leg.dialog = Some(dialog);
        let agent_media = agent_leg.leg;
        let agent = agent_leg.agent.clone();
        let Some(negotiated) = negotiated else {
            warn!(agent = %agent, "operator answered without usable SDP");
            self.operator_failed(now, id, tx, "unusable SDP answer", legs);
            return;
        };
        call.phase = Phase::Bridged;
        call.bridged_at = Some(now);
        call.answered_unix_ms = Some(self.clock.now_unix_ms());
        let caller_media = call.leg;
        info!(call = %call.sip_call_id, agent = %agent, "operator answered: bridged");
        self.outputs.push_back(Output::Media {
            leg: agent_media,
            command: MediaCommand::Configure {
                remote: negotiated.remote,
                codec: negotiated.codec,
                payload_type: negotiated.payload_type,
                telephone_event_pt: negotiated.telephone_event_pt,
            },
        });
        self.outputs.push_back(Output::Media {
            leg: caller_media,
            command: MediaCommand::StopPlayback,
        });
        self.outputs.push_back(Output::Media {
            leg: caller_media,
            command: MediaCommand::Bridge { peer: agent_media },
        });
        self.outputs.push_back(Output::Media {
            leg: agent_media,
            command: MediaCommand::Bridge { peer: caller_media },
        });
        self.acd_input(acd::Input::OfferAccepted {
            call: id,
            agent: acd::AgentId(agent),
            now,
        });
        self.pump_acd(now, legs);
    }

    /// The offer to an operator failed: drop the operator leg, return the call to the ACD.
    fn operator_failed(
        &mut self,
        now: Instant,
        id: acd::CallId,
        tx: ClientTxId,
        why: &str,
        legs: &mut dyn MediaLegs,
    ) {
        if self.drop_operator_leg(now, id, tx, why, true) {
            self.pump_acd(now, legs);
        }
    }

    /// Tear down the operator leg `tx` of call `id` (CANCEL if still ringing, close media);
    /// with `tell_acd`, report the failed offer to the ACD (which then takes the operator out
    /// of rotation). Returns whether there was such a leg.
    fn drop_operator_leg(
        &mut self,
        now: Instant,
        id: acd::CallId,
        tx: ClientTxId,
        why: &str,
        tell_acd: bool,
    ) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        if call.agent.as_ref().is_none_or(|a| a.tx != tx) {
            return false;
        }
        let agent_leg = call.agent.take().expect("checked just above");
        info!(call = %call.sip_call_id, agent = %agent_leg.agent, why, "offer failed");
        if let Ok(cid) = agent_leg.invite.call_id() {
            self.by_sip_call_id.remove(cid);
        }
        self.by_leg.remove(&agent_leg.leg);
        self.by_client_tx.remove(&tx);
        self.outputs.push_back(Output::Media {
            leg: agent_leg.leg,
            command: MediaCommand::Close,
        });
        match agent_leg.dialog {
            // Already answered and ACKed (e.g. unusable SDP): hang up, CANCEL is too late.
            Some(mut dialog) => {
                let bye = dialog.new_request(Method::Bye);
                let dest = self.dialog_destination(&dialog, Some(agent_leg.dest));
                let _ = self.endpoint.send_request(now, bye, dest);
            }
            None => {
                let _ = self.endpoint.cancel(now, tx);
            }
        }
        if tell_acd {
            self.acd_input(acd::Input::OfferRejected {
                call: id,
                agent: acd::AgentId(agent_leg.agent.clone()),
                now,
            });
        }
        // Ring-no-answer puts the operator out of rotation (the ACD's rule); in skeleton mode
        // the next REGISTER refresh makes them ready again.
        true
    }

    fn acd_input(&mut self, input: acd::Input) {
        if let Err(e) = self.acd.handle_input(input) {
            debug!(error = %e, "acd input refused");
        }
    }

    // ----- IVR -----------------------------------------------------------------------------

    fn ivr_input(
        &mut self,
        now: Instant,
        id: acd::CallId,
        input: ivr::Input,
        legs: &mut dyn MediaLegs,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(session) = call.ivr.as_mut() else {
            return;
        };
        if let Err(e) = session.handle_input(input) {
            debug!(error = %e, "ivr input refused");
        }
        loop {
            let Some(call) = self.calls.get_mut(&id) else {
                return;
            };
            let Some(session) = call.ivr.as_mut() else {
                return;
            };
            match session.poll_output() {
                ivr::Output::Play { prompts, .. } => {
                    let token = self.next_token;
                    self.next_token += 1;
                    call.play_token = token;
                    self.outputs.push_back(Output::Media {
                        leg: call.leg,
                        command: MediaCommand::Play {
                            prompts,
                            then_loop: None,
                            token,
                        },
                    });
                }
                ivr::Output::StopPlayback => {
                    call.play_token = 0;
                    self.outputs.push_back(Output::Media {
                        leg: call.leg,
                        command: MediaCommand::StopPlayback,
                    });
                }
                ivr::Output::IdentifyCaller { .. } => {
                    // No customer directory yet: every caller is a guest.
                    let _ = session.handle_input(ivr::Input::IdentifyResult(None));
                }
                ivr::Output::Enqueue { queue, data } => {
                    call.ivr_data = flatten_call_data(&data);
                    call.ivr = None;
                    call.ivr_deadline = None;
                    self.enqueue(now, id, queue, legs);
                    return;
                }
                ivr::Output::RecordVoicemail { data, .. } => {
                    // Voicemail recording is not built yet: close the call politely.
                    let data = flatten_call_data(&data);
                    self.release_by_ivr(now, id, data, legs);
                    return;
                }
                ivr::Output::Hangup { reason } => {
                    let mut data = flatten_call_data(session.data());
                    data.push(("ivr_hangup_reason".into(), format!("{reason:?}")));
                    self.release_by_ivr(now, id, data, legs);
                    return;
                }
                ivr::Output::Timeout(deadline) => {
                    call.ivr_deadline = deadline;
                    return;
                }
                _ => {}
            }
        }
    }

    /// The IVR closed the call: keep what it learned for the call record, hang up the caller.
    fn release_by_ivr(
        &mut self,
        now: Instant,
        id: acd::CallId,
        data: Vec<(String, String)>,
        legs: &mut dyn MediaLegs,
    ) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.ivr_data = data;
            call.ivr = None;
            call.ivr_deadline = None;
        }
        self.end_call(now, id, CallOutcome::ReleasedByIvr, None, legs);
    }

    // ----- ACD -----------------------------------------------------------------------------

    fn enqueue(&mut self, now: Instant, id: acd::CallId, queue: String, legs: &mut dyn MediaLegs) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.phase = Phase::Queued;
        call.queue = Some(queue.clone());
        call.queued_at = Some(now);
        let token = self.next_token;
        self.next_token += 1;
        call.play_token = token;
        info!(call = %call.sip_call_id, queue = %queue, "queued");
        self.outputs.push_back(Output::Media {
            leg: call.leg,
            // The script says what the caller hears before queueing (`please_hold`); from
            // here on, hold music between announcements.
            command: MediaCommand::Play {
                prompts: Vec::new(),
                then_loop: Some(HOLD_MUSIC.into()),
                token,
            },
        });
        if let Err(e) = self.acd.handle_input(acd::Input::CallQueued {
            call: id,
            queue,
            now,
        }) {
            warn!(error = %e, "queue refused the call");
            self.end_call(now, id, CallOutcome::Failed, None, legs);
            return;
        }
        self.pump_acd(now, legs);
    }

    fn pump_acd(&mut self, now: Instant, legs: &mut dyn MediaLegs) {
        loop {
            match self.acd.poll_output() {
                acd::Output::Offer { .. } if self.hanging_up => {
                    // The grace period is over and every call is being ended: ring nobody.
                }
                acd::Output::Offer {
                    call,
                    agent,
                    queue,
                    waited,
                } => {
                    self.offer(now, call, agent.0, queue, waited, legs);
                }
                acd::Output::Announce {
                    call,
                    position,
                    average_wait,
                } => {
                    self.announce(call, position, average_wait);
                }
                // The ACD already put the call back in its queue (and, on a timeout, the
                // operator out of rotation): only the ringing phone is left to stop.
                acd::Output::OfferTimedOut { call, .. }
                | acd::Output::OfferCancelled { call, .. } => {
                    let tx = self
                        .calls
                        .get(&call)
                        .and_then(|c| c.agent.as_ref())
                        .map(|a| a.tx);
                    if let Some(tx) = tx {
                        self.drop_operator_leg(
                            now,
                            call,
                            tx,
                            "offer timed out or withdrawn",
                            false,
                        );
                    }
                }
                acd::Output::Timeout(deadline) => {
                    self.acd_deadline = deadline;
                    break;
                }
                _ => {}
            }
        }
    }

    fn announce(&mut self, id: acd::CallId, position: usize, average_wait: Option<Duration>) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.phase != Phase::Queued || call.agent.is_some() {
            return;
        }
        let mut prompts = vec!["queue_position".to_string()];
        prompts.extend(number_prompts(position as u64));
        if let Some(avg) = average_wait {
            prompts.push("average_wait".into());
            let minutes = avg.as_secs() / 60;
            if minutes == 0 {
                prompts.push("less_than_one_minute".into());
            } else {
                prompts.extend(number_prompts(minutes));
                prompts.push("minutes".into());
            }
        }
        let token = self.next_token;
        self.next_token += 1;
        call.play_token = token;
        self.outputs.push_back(Output::Media {
            leg: call.leg,
            command: MediaCommand::Play {
                prompts,
                then_loop: Some(HOLD_MUSIC.into()),
                token,
            },
        });
    }

    fn offer(
        &mut self,
        now: Instant,
        id: acd::CallId,
        agent_id: String,
        queue: String,
        waited: Duration,
        legs: &mut dyn MediaLegs,
    ) {
        let contact = self.agents.get(&agent_id).and_then(|a| a.contact.clone());
        let Some((target, dest)) = contact else {
            self.reject_offer(now, id, agent_id);
            return;
        };
        if !self.calls.contains_key(&id) {
            return;
        }
        let Some((leg, local)) = self.open_leg(legs, "the operator leg") else {
            self.reject_offer(now, id, agent_id);
            return;
        };
        let call = self.calls.get(&id).expect("checked above");
        let domain = self.config.domain.clone();
        // The operator's phone shows the caller's number (From) and who it is for (To).
        let from = NameAddr {
            display_name: Some(call.caller.expose().clone()),
            uri: Uri::Sip(SipUri {
                secure: false,
                user: Some(call.caller.expose().clone()).filter(|u| !u.is_empty()),
                password: None,
                host: domain.clone(),
                port: None,
                params: Vec::new(),
                headers: Vec::new(),
            }),
            params: Vec::new(),
        };
        let to = NameAddr {
            display_name: None,
            uri: Uri::Sip(SipUri {
                secure: false,
                user: Some(agent_id.clone()),
                password: None,
                host: domain,
                port: None,
                params: Vec::new(),
                headers: Vec::new(),
            }),
            params: Vec::new(),
        };
        let mut invite = self.endpoint.new_request(Method::Invite, target, from, to);
        let session_id = self.rng.random::<u32>() as u64;
        let offer = sdp::offer(
            local.ip(),
            local.port(),
            &[call.codec],
            call.telephone_event_pt.unwrap_or(101),
            session_id,
            1,
        );
        invite.headers.push("Content-Type", "application/sdp");
        invite.body = offer.to_string().into_bytes();
        let call_info = call.sip_call_id.clone();
        let Ok(tx) = self.endpoint.send_request(now, invite.clone(), dest) else {
            self.outputs.push_back(Output::Media {
                leg,
                command: MediaCommand::Close,
            });
            self.reject_offer(now, id, agent_id);
            return;
        };
        let invite = self.endpoint.client_request(tx).cloned().unwrap_or(invite);
        let agent_sip_call_id = invite.call_id().map(str::to_owned).unwrap_or_default();
        self.by_sip_call_id
            .insert(agent_sip_call_id, (id, Side::Operator));
        self.by_client_tx.insert(tx, id);
        self.by_leg.insert(leg, id);
        let call = self.calls.get_mut(&id).expect("checked above");
        call.waited = waited;
        call.agent = Some(AgentLeg {
            agent: agent_id.clone(),
            leg,
            tx,
            invite,
            dest,
            dialog: None,
        });
        info!(call = %call_info, agent = %agent_id, queue = %queue, "offering call");
        let pop = CallOffered {
            call_id: call.sip_call_id.clone(),
            caller: call.caller.clone(),
            dialled: call.dialled.clone(),
            ivr_data: call.ivr_data.clone(),
            queue,
            waited_ms: waited.as_millis() as u64,
            agent_id,
            offered_at_unix_ms: self.clock.now_unix_ms(),
        };
        self.outputs
            .push_back(Output::Cti(CtiEvent::CallOffered(pop)));
    }

    // ----- teardown ------------------------------------------------------------------------

    /// End a call: hang up what is still up (except `hung_up_by`, who already did), close
    /// media, tell the ACD, and emit the call record.
    fn end_call(
        &mut self,
        now: Instant,
        id: acd::CallId,
        outcome: CallOutcome,
        hung_up_by: Option<Side>,
        legs: &mut dyn MediaLegs,
    ) {
        let Some(mut call) = self.calls.remove(&id) else {
            return;
        };
        let answered_by = match call.phase {
            Phase::Bridged => call.agent.as_ref().map(|a| a.agent.clone()),
            _ => None,
        };
        self.by_sip_call_id.remove(&call.sip_call_id);
        self.by_invite_tx.remove(&call.invite_tx);
        self.by_leg.remove(&call.leg);
        // Caller leg.
        if call.phase == Phase::Ringing && call.dialog.is_none() {
            // Not answered yet: the INVITE still needs its final response (a CANCEL already
            // got its 487). A BYE on the early dialog is answered 487 (RFC 3261 15.1.2).
            if outcome != CallOutcome::Cancelled {
                let (status, reason) = match hung_up_by {
                    Some(Side::Caller) => (487, "Request Terminated"),
                    _ => (480, "Temporarily Unavailable"),
                };
                self.respond(now, call.invite_tx, status, reason, None);
            }
        } else if let Some(dialog) = call
            .dialog
            .as_mut()
            .filter(|_| hung_up_by != Some(Side::Caller))
        {
            let bye = dialog.new_request(Method::Bye);
            let dest = self.dialog_destination(dialog, Some(call.source));
            let _ = self.endpoint.send_request(now, bye, dest);
        }
        self.outputs.push_back(Output::Media {
            leg: call.leg,
            command: MediaCommand::Close,
        });
        // Operator leg.
        if let Some(mut agent_leg) = call.agent.take() {
            self.by_leg.remove(&agent_leg.leg);
            self.by_client_tx.remove(&agent_leg.tx);
            if let Ok(cid) = agent_leg.invite.call_id() {
                self.by_sip_call_id.remove(cid);
            }
            self.outputs.push_back(Output::Media {
                leg: agent_leg.leg,
                command: MediaCommand::Close,
            });
            match agent_leg.dialog.as_mut() {
                // The operator hung up: nothing left to end on that side.
                Some(_) if hung_up_by == Some(Side::Operator) => {}
                Some(dialog) => {
                    let bye = dialog.new_request(Method::Bye);
                    let dest = self.dialog_destination(dialog, Some(agent_leg.dest));
                    let _ = self.endpoint.send_request(now, bye, dest);
                }
                // Still ringing: CANCEL (sent once a provisional arrived, RFC 3261 9.1).
                None => {
                    let _ = self.endpoint.cancel(now, agent_leg.tx);
                }
            }
            let agent = acd::AgentId(agent_leg.agent.clone());
            if call.phase == Phase::Bridged {
                self.acd_input(acd::Input::CallEnded { agent, now });
            } else {
                self.acd_input(acd::Input::CallAbandoned { call: id, now });
            }
        } else if call.phase == Phase::Queued {
            self.acd_input(acd::Input::CallAbandoned { call: id, now });
        }
        let talk = call
            .bridged_at
            .map(|t| now.saturating_duration_since(t))
            .unwrap_or_default();
        let waited = match (call.queued_at, call.bridged_at) {
            (Some(q), Some(b)) => b.saturating_duration_since(q),
            (Some(q), None) => now.saturating_duration_since(q),
            _ => call.waited,
        };
        info!(call = %call.sip_call_id, ?outcome, "call ended");
        let record = CallRecord {
            call_id: call.sip_call_id,
            caller: call.caller,
            dialled: call.dialled,
            ivr_data: call.ivr_data,
            queue: call.queue,
            outcome,
            started_at_unix_ms: call.started_unix_ms,
            answered_at_unix_ms: call.answered_unix_ms,
            ended_at_unix_ms: self.clock.now_unix_ms(),
            waited_ms: waited.as_millis() as u64,
            talk_ms: talk.as_millis() as u64,
            agent_id: answered_by,
        };
        self.outputs
            .push_back(Output::Cti(CtiEvent::CallEnded(record)));
        self.pump_acd(now, legs);
    }

    // ----- helpers -------------------------------------------------------------------------

    /// A new media leg with its RTP address; `None` (logged) when no socket can be had.
    fn open_leg(&mut self, legs: &mut dyn MediaLegs, what: &str) -> Option<(LegId, SocketAddr)> {
        let leg = LegId(self.next_leg);
        self.next_leg += 1;
        match legs.open(leg) {
            Ok(local) => Some((leg, local)),
            Err(e) => {
                warn!(error = %e, "no RTP port for {what}");
                None
            }
        }
    }

    /// The offer could not even be made: the call goes back to its queue.
    fn reject_offer(&mut self, now: Instant, id: acd::CallId, agent_id: String) {
        self.acd_input(acd::Input::OfferRejected {
            call: id,
            agent: acd::AgentId(agent_id),
            now,
        });
    }

    fn respond(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        status: u16,
        reason: &str,
        body: Option<Vec<u8>>,
    ) {
        if let Ok(mut r) = self.endpoint.response(tx, status, reason) {
            if let Some(b) = body {
                r.body = b;
            }
            self.respond_with(now, tx, r);
        }
    }

    fn respond_with(&mut self, now: Instant, tx: ServerTxId, response: Response) {
        if let Err(e) = self.endpoint.respond(now, tx, response) {
            debug!(error = %e, "response not sent");
        }
    }

    /// Where in-dialog requests go: the remote target (RFC 3261 12.2.1.1) resolved to an
    /// address; without a usable numeric host, the address the dialog's request came from.
    fn dialog_destination(&self, dialog: &Dialog, fallback: Option<SocketAddr>) -> SocketAddr {
        // With a route set the request goes to its first entry (RFC 3261 12.2.1.1, 8.1.2).
        let next_hop = dialog
            .route_set()
            .first()
            .map_or(dialog.remote_target(), |r| &r.uri);
        uri_socket_addr(next_hop)
            .or(fallback)
            .unwrap_or(self.config.sip_addr)
    }
}

/// The address to send requests to for a registered Contact: its numeric host and port, or
/// the REGISTER's source address when the Contact is not a numeric address (no DNS here).
fn contact_destination(contact: &Uri, source: SocketAddr) -> SocketAddr {
    uri_socket_addr(contact).unwrap_or(source)
}

fn uri_socket_addr(uri: &Uri) -> Option<SocketAddr> {
    let Uri::Sip(u) = uri else { return None };
    let host = u.host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = host.parse().ok()?;
    Some(SocketAddr::new(ip, u.port.unwrap_or(5060)))
}

fn allow_header() -> String {
    let methods: Vec<&str> = sip_transaction::options::DEFAULT_ALLOW
        .iter()
        .map(Method::as_str)
        .collect();
    methods.join(", ")
}

/// A response to send instead of acting on a request: status, reason, extra headers.
type Refusal = (u16, &'static str, Vec<(&'static str, String)>);

/// Checks a UAS makes before it acts on a new request (RFC 3261 8.2.2 and 8.2.3); the
/// response to send if the request fails one.
fn precheck(request: &Request) -> Option<Refusal> {
    // 8.2.2.1: only sip: and sips: Request-URIs (RFC 4475 3.3.2 unkscm, 3.3.3 novelsc).
    if !matches!(request.uri, Uri::Sip(_)) {
        return Some((416, "Unsupported URI Scheme", Vec::new()));
    }
    // 8.2.2.3: we support no extension, so every option-tag in Require is unsupported.
    let required: Vec<String> = request
        .headers
        .get_all("Require")
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    if !required.is_empty() && request.method != Method::Cancel && request.method != Method::Ack {
        return Some((
            420,
            "Bad Extension",
            vec![("Unsupported", required.join(", "))],
        ));
    }
    // 8.2.3: a body we cannot read (RFC 4475 3.3.7 invut).
    if request.method == Method::Invite && !request.body.is_empty() {
        let content_type = request.content_type().unwrap_or("application/sdp");
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        if !media_type.eq_ignore_ascii_case("application/sdp") {
            return Some((
                415,
                "Unsupported Media Type",
                vec![("Accept", "application/sdp".to_string())],
            ));
        }
    }
    None
}

/// Prompts that say a number digit by digit ("1", "2" for 12): enough until number prompts
/// exist.
fn number_prompts(n: u64) -> Vec<String> {
    n.to_string()
        .chars()
        .map(|d| format!("digit_{d}"))
        .collect()
}

/// The IVR's findings as ordered key/values for the call record and the SR.
fn flatten_call_data(data: &ivr::CallData) -> Vec<(String, String)> {
    let mut out = data.fields.clone();
    for c in &data.choices {
        out.push((
            format!("choice.{}", c.menu),
            format!("{} {}", c.key, c.label),
        ));
    }
    if let Some(customer) = &data.customer {
        out.push(("customer_id".into(), customer.id.clone()));
    }
    out.push(("ivr_path".into(), data.path_text()));
    out
}
