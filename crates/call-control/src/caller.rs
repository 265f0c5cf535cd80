//! The caller's side: SIP events from the endpoint, the INVITE that starts a call, our answer,
//! the caller's ACK, re-INVITE, BYE and CANCEL, and the checks a UAS makes before it acts.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use common::Pii;
use common::call::{CallStage, EndReason};
use common::phone::CallerNumber;
use ivr::{CallContext, HoursOverride, Session};
use media::Codec;
use rand::Rng;
use sdp::SessionDescription;
use sip_message::{Method, Request, Response, SipHeaders, Uri};
use sip_transaction::{Dialog, Event, ServerTxId};
use tracing::{debug, info, warn};

use crate::call::{Call, CallTimer, Phase, Side};
use crate::events::{CallArrived, CallFact, LegOpened, MediaCommand};
use crate::{CallControl, MAX_CALL_ID_LEN, MAX_CALLER_LEN, Output};

impl CallControl {
    /// Hand every event the endpoint produced to the call logic, in order; transmits stay
    /// queued in front of whatever the events cause.
    pub(crate) fn pump_endpoint(&mut self, now: Instant) {
        let mut pending = Vec::new();
        while let Some(output) = self.endpoint.poll_output() {
            match output {
                sip_transaction::Output::Transmit { to, bytes } => {
                    pending.push(Output::Transmit { to, bytes });
                }
                sip_transaction::Output::Event(event) => {
                    self.outputs.extend(pending.drain(..));
                    self.handle_sip_event(now, event);
                }
            }
        }
        self.outputs.extend(pending);
    }

    fn handle_sip_event(&mut self, now: Instant, event: Event) {
        match event {
            Event::IncomingRequest {
                tx,
                request,
                source,
            } => self.handle_request(now, tx, request, source),
            Event::IncomingAck { tx: Some(tx), .. } => {
                if let Some(&id) = self.by_invite_tx.get(&tx) {
                    self.caller_acked(now, id);
                }
            }
            Event::CancelReceived { invite_tx, .. } => {
                let unanswered = self
                    .by_invite_tx
                    .get(&invite_tx)
                    .copied()
                    .filter(|id| self.calls.get(id).is_some_and(|c| c.phase.is_unanswered()));
                if let Some(id) = unanswered {
                    self.respond(now, invite_tx, 487, "Request Terminated");
                    // `None`: the INVITE has its final response already.
                    self.end_call(now, id, EndReason::CallerCancelled, None);
                }
            }
            Event::Response {
                tx,
                response,
                retransmission,
            } => self.handle_response(now, tx, response, retransmission),
            Event::TransactionTimeout { tx } => {
                if let Some(id) = self.by_client_tx.remove(&tx) {
                    self.operator_failed(
                        now,
                        id,
                        tx,
                        "no answer from the phone",
                        acd::RejectReason::Unreachable,
                    );
                }
            }
            Event::AckTimeout { tx, status } if (200..300).contains(&status) => {
                if let Some(&id) = self.by_invite_tx.get(&tx) {
                    warn!("no ACK for our 200 OK: ending the call");
                    self.end_call(now, id, EndReason::NoAck, None);
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
            Method::Register => self.handle_register(now, tx, &request, source),
            Method::Options => {
                let response = sip_transaction::options::options_response(
                    &request,
                    sip_transaction::options::DEFAULT_ALLOW,
                    sip_transaction::options::DEFAULT_ACCEPT,
                    &[],
                );
                self.respond_with(now, tx, response);
            }
            Method::Invite if !in_dialog => self.handle_invite(now, tx, request, source),
            Method::Invite => self.handle_reinvite(now, tx, &request),
            Method::Bye => self.handle_bye(now, tx, &request),
            Method::Cancel | Method::Ack => {}
            _ if in_dialog && self.lookup(&request).is_none() => {
                self.respond(now, tx, 481, "Call/Transaction Does Not Exist");
            }
            Method::Info => self.handle_info(now, tx, &request),
            Method::Update | Method::Message | Method::Notify => {
                // Accepted and ignored for now.
                self.respond(now, tx, 200, "OK");
            }
            _ => {
                if let Ok(mut r) = self.endpoint.response(tx, 405, "Method Not Allowed") {
                    r.headers.push("Allow", allow_header());
                    self.respond_with(now, tx, r);
                }
            }
        }
    }

    /// The call and side an in-dialog request belongs to: by Call-ID, and by tags once the
    /// dialog exists (RFC 3261 12.2.2), so that a stray BYE with the right Call-ID and wrong
    /// tags ends nothing.
    pub(crate) fn lookup(&self, request: &Request) -> Option<(acd::CallId, Side)> {
        let call_id = request.call_id().ok()?;
        let (id, side) = self.by_sip_call_id.get(call_id).copied()?;
        let call = self.calls.get(&id)?;
        let dialog = match side {
            Side::Caller => call.dialog.as_ref(),
            Side::Operator => call.phase.operator_leg().and_then(|o| o.dialog),
        };
        match dialog {
            Some(d) if !d.matches_request(request) => None,
            _ => Some((id, side)),
        }
    }

    fn handle_invite(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: Request,
        source: SocketAddr,
    ) {
        if self.draining {
            self.stats.calls_rejected += 1;
            self.respond(now, tx, 503, "Service Unavailable");
            return;
        }
        let Ok(sip_call_id) = request.call_id().map(str::to_owned) else {
            return;
        };
        // Limits at the edge (the call record stores these): refused with the reason, never
        // accepted and then silently dropped further on.
        if sip_call_id.len() > MAX_CALL_ID_LEN {
            self.stats.calls_rejected += 1;
            self.respond(now, tx, 400, "Call-ID Too Long");
            return;
        }
        // The caller's identity: a sip: URI's user part, or a whole tel: URI (RFC 3966), whose
        // parameters (phone-context, ext) must not stay in the number.
        let caller = request
            .from_hdr()
            .ok()
            .and_then(|f| match f.uri {
                Uri::Sip(u) => u.user,
                Uri::Other { scheme, rest } => Some(format!("{scheme}:{rest}")),
            })
            .unwrap_or_default();
        let dialled = match &request.uri {
            Uri::Sip(u) => u.user.clone().unwrap_or_default(),
            Uri::Other { rest, .. } => rest.clone(),
        };
        if caller.len() > MAX_CALLER_LEN || dialled.len() > MAX_CALLER_LEN {
            self.stats.calls_rejected += 1;
            self.respond(now, tx, 400, "Caller Or Dialled Number Too Long");
            return;
        }
        if self.by_sip_call_id.contains_key(&sip_call_id) {
            // A second INVITE with the same Call-ID but no To tag: a loop or a merged request
            // (RFC 3261 8.2.2.2).
            self.respond(now, tx, 482, "Loop Detected");
            return;
        }
        // The offer (RFC 3264). No SDP (offer in the ACK) is not supported yet. A usable codec
        // is checked now, before a port is spent on the call.
        let offer = std::str::from_utf8(&request.body)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .and_then(|s| SessionDescription::parse(s).ok());
        let negotiated = offer
            .as_ref()
            .and_then(|o| sdp::answer(o, self.config.media_ip, 9, &Codec::ALL, 0).ok());
        let (Some(offer), Some((_, negotiated))) = (offer, negotiated) else {
            debug!("offer without a usable codec");
            self.stats.calls_rejected += 1;
            self.respond(now, tx, 488, "Not Acceptable Here");
            return;
        };
        // A feature code from an operator's phone: authenticated, applied, then a call of its
        // own that confirms it and leaves no record.
        let feature = if crate::features::is_feature_code(&dialled) {
            match self.feature_call(now, tx, &request, source, &dialled) {
                Some(script) => Some(script),
                None => return,
            }
        } else {
            None
        };
        if feature.is_none()
            && let Err(why) = self.admit(now)
        {
            self.refuse_overload(now, tx, why);
            return;
        }
        let id = acd::CallId(self.next_call);
        self.next_call += 1;
        self.stats.calls_started += 1;
        let call_ref = self.new_call_ref();
        let leg = self.new_leg();
        let answer_at = now + self.config.answer_delay;
        info!(call = %call_ref, "incoming call");
        let started_unix_ms = self.clock.now_unix_ms();
        let caller = CallerNumber::normalise(&caller, &self.config.numbering_plan);
        if feature.is_some() {
            self.unrecorded.insert(call_ref.clone());
        }
        self.fact(CallFact::Arrived(CallArrived {
            call: call_ref.clone(),
            sip_call_id: sip_call_id.clone(),
            caller: caller.clone(),
            dialled: dialled.clone(),
            at_unix_ms: started_unix_ms,
        }));
        let call = Call {
            id,
            call_ref,
            sip_call_id: sip_call_id.clone(),
            caller,
            dialled,
            invite_tx: tx,
            invite: Box::new(request),
            source,
            dialog: None,
            leg,
            answer_sdp: Vec::new(),
            codec: negotiated.codec,
            telephone_event_pt: negotiated.telephone_event_pt,
            phase: Phase::OpeningLeg {
                offer: Box::new(offer),
                answer_at,
            },
            play_token: 0,
            ivr_data: Vec::new(),
            stage: CallStage::Arrived,
            queue: None,
            started_unix_ms,
            offered_unix_ms: None,
            answered_unix_ms: None,
            service_request: None,
            script: feature,
            ends_by: now,
        };
        self.by_ref.insert(call.call_ref.clone(), id);
        self.calls.insert(id, call);
        self.by_sip_call_id.insert(sip_call_id, (id, Side::Caller));
        self.by_invite_tx.insert(tx, id);
        self.by_leg.insert(leg, id);
        self.arm_max_duration(now, id);
        self.outputs.push_back(Output::OpenLeg { leg });
        self.respond(now, tx, 180, "Ringing");
    }

    /// The caller's RTP socket is bound (or could not be): prepare the SDP answer, and answer
    /// now if the answer delay is over.
    pub(crate) fn caller_leg_opened(&mut self, now: Instant, id: acd::CallId, result: LegOpened) {
        let local = match result {
            LegOpened::Bound(local) => local,
            LegOpened::Failed(why) => {
                warn!(error = %why, "no RTP port for a new call");
                self.end_call(now, id, EndReason::NoMediaPort, None);
                return;
            }
        };
        let session_id = u64::from(self.rng.random::<u32>());
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Phase::OpeningLeg { offer, answer_at } = &call.phase else {
            return;
        };
        let answer_at = *answer_at;
        let Ok((answer, negotiated)) =
            sdp::answer(offer, local.ip(), local.port(), &Codec::ALL, session_id)
        else {
            // Checked at the INVITE with the same offer: cannot fail here.
            warn!("offer became unusable");
            self.end_call(now, id, EndReason::NoMediaPort, None);
            return;
        };
        call.answer_sdp = answer.to_string().into_bytes();
        call.phase = Phase::Ringing { answer_at };
        let leg = call.leg;
        let behind_nat = negotiated.remote.ip() != call.source.ip();
        self.media(
            leg,
            MediaCommand::Configure {
                remote: negotiated.remote,
                codec: negotiated.codec,
                payload_type: negotiated.payload_type,
                telephone_event_pt: negotiated.telephone_event_pt,
                symmetric: behind_nat,
            },
        );
        if answer_at <= now {
            self.answer_caller(now, id);
        } else {
            self.arm(answer_at, id, CallTimer::Answer);
        }
    }

    /// Send the 200 OK with our SDP answer. The IVR starts when the caller's ACK arrives.
    pub(crate) fn answer_caller(&mut self, now: Instant, id: acd::CallId) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if !matches!(call.phase, Phase::Ringing { .. }) {
            return;
        }
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
            self.end_call(now, id, EndReason::SipFailure, None);
            return;
        }
        if let Some(call) = self.calls.get_mut(&id) {
            call.dialog = dialog;
            call.phase = Phase::AwaitingAck;
        }
    }

    /// The caller's ACK proves their address: media may flow, the IVR starts.
    fn caller_acked(&mut self, now: Instant, id: acd::CallId) {
        let now_unix_ms = self.clock.now_unix_ms();
        let offset = self
            .config
            .daylight_saving
            .offset_minutes(now_unix_ms, self.config.utc_offset_minutes);
        let local_time = ivr::LocalTime::from_unix_ms(now_unix_ms, offset);
        let hours = match self.config.hours_override {
            Some(true) => HoursOverride::AlwaysOpen,
            Some(false) => HoursOverride::AlwaysClosed,
            None => HoursOverride::FollowSchedule,
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if !matches!(call.phase, Phase::AwaitingAck) {
            return;
        }
        let session = Session::new(
            call.script.clone().unwrap_or_else(|| self.script.clone()),
            CallContext {
                caller: Pii::new(call.caller.best().to_owned()),
                dialled: call.dialled.clone(),
                local_time,
                hours,
            },
        );
        call.phase = Phase::Ivr {
            session: Box::new(session),
            deadline: None,
            lookup: None,
        };
        self.progress(id, CallStage::Ivr);
        self.ivr_input(now, id, ivr::Input::Start(now));
    }

    fn handle_reinvite(&mut self, now: Instant, tx: ServerTxId, request: &Request) {
        // A session refresh or hold: answer with the session we already have. Changing media
        // mid-call (hold, codec change) is not supported yet.
        let Some((id, side)) = self.lookup(request) else {
            self.respond(now, tx, 481, "Call/Transaction Does Not Exist");
            return;
        };
        if side == Side::Operator {
            self.respond(now, tx, 488, "Not Acceptable Here");
            return;
        }
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.phase.is_unanswered() {
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

    fn handle_bye(&mut self, now: Instant, tx: ServerTxId, request: &Request) {
        let Some((id, side)) = self.lookup(request) else {
            self.respond(now, tx, 481, "Call/Transaction Does Not Exist");
            return;
        };
        self.respond(now, tx, 200, "OK");
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        match (side, &call.phase) {
            (Side::Operator, Phase::Bridged { .. }) => {
                self.end_call(now, id, EndReason::OperatorHungUp, Some(Side::Operator));
            }
            (Side::Operator, _) => {
                // The operator hung up before being bridged: a failed offer.
                if let Some(agent_tx) = call.phase.operator_leg().and_then(|o| o.tx) {
                    self.operator_failed(
                        now,
                        id,
                        agent_tx,
                        "operator hung up",
                        acd::RejectReason::Declined,
                    );
                }
            }
            (Side::Caller, phase) if phase.is_unanswered() => {
                // A BYE on the early dialog (RFC 3261 15.1.2): the INVITE gets 487.
                self.end_call(now, id, EndReason::CallerCancelled, Some(Side::Caller));
            }
            (Side::Caller, _) => {
                self.end_call(now, id, EndReason::CallerHungUp, Some(Side::Caller));
            }
        }
    }

    pub(crate) fn respond(&mut self, now: Instant, tx: ServerTxId, status: u16, reason: &str) {
        if let Ok(r) = self.endpoint.response(tx, status, reason) {
            self.respond_with(now, tx, r);
        }
    }

    pub(crate) fn respond_with(&mut self, now: Instant, tx: ServerTxId, response: Response) {
        if let Err(e) = self.endpoint.respond(now, tx, response) {
            debug!(error = %e, "response not sent");
        }
    }

    /// Where in-dialog requests go: the remote target (RFC 3261 12.2.1.1) resolved to an
    /// address; without a usable numeric host, the address the dialog's request came from.
    pub(crate) fn dialog_destination(
        &self,
        dialog: &Dialog,
        fallback: Option<SocketAddr>,
    ) -> SocketAddr {
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

pub(crate) fn uri_socket_addr(uri: &Uri) -> Option<SocketAddr> {
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
/// Whether the request's `Accept` (all of its values) allows `application/sdp`; no `Accept`
/// means SDP (RFC 3261 20.1).
fn accepts_sdp(request: &Request) -> bool {
    let mut any = false;
    for range in request
        .headers
        .get_all("Accept")
        .flat_map(|v| v.split(','))
        .map(|r| {
            r.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|r| !r.is_empty())
    {
        any = true;
        if matches!(range.as_str(), "application/sdp" | "application/*" | "*/*") {
            return true;
        }
    }
    !any
}

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
    // 8.2.2.2 / RFC 4475 3.3.15 (sdp01): an INVITE whose Accept excludes SDP cannot take our
    // answer.
    if request.method == Method::Invite && !accepts_sdp(request) {
        return Some((
            406,
            "Not Acceptable",
            vec![("Accept", "application/sdp".to_string())],
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
