//! The operator's side: phone registrations (which make operators reachable and, in skeleton
//! mode, ready), offering a call to an operator's phone, and what the phone answers.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::call::CallStage;
use rand::Rng;
use sdp::SessionDescription;
use sip_message::{Method, NameAddr, Request, Response, SipHeaders, SipUri, Uri};
use sip_transaction::{AuthVerdict, BindingChange, ClientTxId, Dialog, ServerTxId};
use tracing::{debug, info, warn};

use crate::CallControl;
use crate::call::{Offer, OfferState, OperatorLeg, Phase, SipOperatorLeg};
use crate::caller::uri_socket_addr;
use crate::events::{CallFact, CallOffered, LegId, LegOpened, MediaCommand};

impl CallControl {
    pub(crate) fn handle_register(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: &Request,
        source: SocketAddr,
    ) {
        let agents = &self.agents;
        let passwords = |user: &str| agents.get(user).map(|a| a.password.clone());
        let outcome = self
            .registrar
            .handle_register(now, request, source, &passwords);
        log_verdict(&outcome.verdict, source);
        self.respond_with(now, tx, outcome.response);
        for change in outcome.changes {
            self.apply_binding_change(now, change);
        }
        self.pump_acd(now);
    }

    /// Emits what to keep of `aor_user`'s registrations now.
    pub(crate) fn persist_bindings(&mut self, now: Instant, aor_user: &str) {
        let wall = self.clock.now_unix_ms();
        let bindings = self
            .registrar
            .bindings(aor_user)
            .iter()
            .map(|b| crate::events::StoredBinding {
                contact: b.contact.to_string(),
                source: b.source,
                expires_at_unix_ms: wall
                    + i64::try_from(b.expires_at.saturating_duration_since(now).as_millis())
                        .unwrap_or(i64::MAX),
                call_id: b.call_id.clone(),
                cseq: b.cseq,
            })
            .collect();
        self.outputs.push_back(crate::Output::Registrations {
            aor: aor_user.to_owned(),
            bindings,
        });
    }

    pub(crate) fn apply_binding_change(&mut self, now: Instant, change: BindingChange) {
        let aor = match &change {
            BindingChange::Registered { aor_user, .. }
            | BindingChange::Unregistered { aor_user, .. } => aor_user.clone(),
        };
        if self.agents.contains_key(&aor) {
            self.persist_bindings(now, &aor);
        }
        match change {
            BindingChange::Registered {
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
                    let operator = acd::OperatorId(aor_user);
                    // Logged in to every queue of their profile (a no-op when already), then
                    // ready: which also lifts a "no answer" pause after a missed offer.
                    self.acd_input(
                        now,
                        acd::Input::Login {
                            operator: operator.clone(),
                            queues: None,
                        },
                    );
                    self.acd_input(now, acd::Input::Ready { operator });
                }
            }
            BindingChange::Unregistered { aor_user, .. } => {
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
                    self.acd_input(
                        now,
                        acd::Input::Logout {
                            operator: acd::OperatorId(aor_user),
                            queues: None,
                        },
                    );
                }
            }
        }
    }

    /// The ACD offers call `id` to `agent`: ask for the operator leg's RTP socket first; the
    /// INVITE goes out once it is bound.
    pub(crate) fn offer(&mut self, now: Instant, id: acd::CallId, agent: String, waited: Duration) {
        let browser = self.free_browser(&agent);
        let reachable =
            browser.is_some() || self.agents.get(&agent).is_some_and(|a| a.contact.is_some());
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if !reachable || !matches!(call.phase, Phase::Queued { offer: None, .. }) {
            self.reject_offer(now, id, agent, acd::RejectReason::Unreachable);
            return;
        }
        if let Some(leg) = browser {
            self.offer_to_browser(now, id, agent, leg, waited);
            return;
        }
        let leg = self.new_leg();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Phase::Queued { offer, .. } = &mut call.phase {
            *offer = Some(Offer {
                agent,
                leg,
                waited,
                state: OfferState::OpeningLeg,
            });
        }
        self.by_leg.insert(leg, id);
        self.outputs.push_back(crate::Output::OpenLeg { leg });
    }

    /// The operator leg's socket is bound: send the INVITE and the screen pop.
    pub(crate) fn operator_leg_opened(
        &mut self,
        now: Instant,
        id: acd::CallId,
        leg: LegId,
        result: LegOpened,
    ) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let Phase::Queued {
            offer: Some(offer), ..
        } = &call.phase
        else {
            self.by_leg.remove(&leg);
            self.media(leg, MediaCommand::Close);
            return;
        };
        if offer.leg != leg || !matches!(offer.state, OfferState::OpeningLeg) {
            return;
        }
        let agent_id = offer.agent.clone();
        let waited = offer.waited;
        let local = match result {
            LegOpened::Bound(local) => local,
            LegOpened::Failed(why) => {
                warn!(error = %why, "no RTP port for the operator leg");
                self.clear_offer(id);
                // Our failure, not the operator's: held off briefly, not paused.
                self.reject_offer(now, id, agent_id, acd::RejectReason::Busy);
                return;
            }
        };
        let contact = self.agents.get(&agent_id).and_then(|a| a.contact.clone());
        let Some((target, dest)) = contact else {
            self.clear_offer(id);
            self.media(leg, MediaCommand::Close);
            self.reject_offer(now, id, agent_id, acd::RejectReason::Unreachable);
            return;
        };
        let domain = self.config.domain.clone();
        // The operator's phone shows what the call is (the SR and the service area, see
        // `pop`), the caller's number (From) and who it is for (To).
        let from = NameAddr {
            display_name: Some(crate::pop::display_name(call)),
            uri: sip_uri(
                Some(call.caller.best().to_owned()).filter(|u| !u.is_empty()),
                &domain,
            ),
            params: Vec::new(),
        };
        let to = NameAddr {
            display_name: None,
            uri: sip_uri(Some(agent_id.clone()), &domain),
            params: Vec::new(),
        };
        let mut invite = self.endpoint.new_request(Method::Invite, target, from, to);
        let session_id = u64::from(self.rng.random::<u32>());
        let offer = sdp::offer(
            local.ip(),
            local.port(),
            &[call.codec],
            call.telephone_event_pt.unwrap_or(101),
            session_id,
            1,
        );
        if let Some(link) = crate::pop::call_info(self.config.desk_url.as_deref(), call) {
            invite.headers.push("Call-Info", link);
        }
        invite.headers.push("Content-Type", "application/sdp");
        invite.body = offer.to_string().into_bytes();
        let Ok(tx) = self.endpoint.send_request(now, invite.clone(), dest) else {
            self.clear_offer(id);
            self.media(leg, MediaCommand::Close);
            self.reject_offer(now, id, agent_id, acd::RejectReason::Unreachable);
            return;
        };
        let invite = self.endpoint.client_request(tx).cloned().unwrap_or(invite);
        let agent_sip_call_id = invite.call_id().map(str::to_owned).unwrap_or_default();
        self.by_sip_call_id
            .insert(agent_sip_call_id, (id, crate::call::Side::Operator));
        self.by_client_tx.insert(tx, id);
        let call = self.calls.get_mut(&id).expect("looked up at the top");
        if let Phase::Queued {
            offer: Some(offer), ..
        } = &mut call.phase
        {
            offer.state = OfferState::Ringing {
                tx,
                invite: Box::new(invite),
                dest,
            };
        }
        self.offer_made(now, id, agent_id, waited);
    }

    /// The operator's phone or softphone rings with call `id`: the screen pop.
    pub(crate) fn offer_made(
        &mut self,
        _now: Instant,
        id: acd::CallId,
        agent_id: String,
        waited: Duration,
    ) {
        let offered_at = self.clock.now_unix_ms();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.offered_unix_ms.get_or_insert(offered_at);
        let queue = call.queue.clone().unwrap_or_default();
        info!(call = %call.call_ref, agent = %agent_id, queue = %queue, "offering call");
        let pop = CallOffered {
            call: call.call_ref.clone(),
            caller: call.caller.clone(),
            dialled: call.dialled.clone(),
            ivr_data: call.ivr_data.clone(),
            queue,
            waited_ms: waited.as_millis() as u64,
            agent_id,
            offered_at_unix_ms: offered_at,
        };
        call.stage = call.stage.max(CallStage::Offered);
        self.fact(CallFact::Offered(pop));
    }

    pub(crate) fn handle_response(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        response: Response,
        retransmission: bool,
    ) {
        let status = response.status;
        let is_invite = response.cseq().is_ok_and(|c| c.method == Method::Invite);
        let id = self.by_client_tx.get(&tx).copied();
        let ours = id
            .and_then(|id| self.calls.get(&id))
            .and_then(|c| c.phase.operator_leg())
            .is_some_and(|o| o.tx == Some(tx));
        if !is_invite || status < 200 {
            return;
        }
        let ringing = id
            .and_then(|id| self.calls.get(&id))
            .is_some_and(|c| matches!(c.phase, Phase::Queued { .. }));
        if !ours || retransmission || !ringing {
            if (200..300).contains(&status) {
                // A retransmitted 2xx (our ACK was lost) only needs the ACK again; a first
                // 2xx for an offer we already dropped (the CANCEL crossed it) is hung up.
                self.ack_and_maybe_bye(now, tx, &response, !ours && !retransmission);
            }
            return;
        }
        let id = id.expect("ours implies a call id");
        if !(200..300).contains(&status) {
            self.by_client_tx.remove(&tx);
            // RFC 3261 21.4.24, 21.6.1-2: busy here or everywhere; 603 is the operator's no.
            let reason = match status {
                486 | 600 => acd::RejectReason::Busy,
                603 => acd::RejectReason::Declined,
                _ => acd::RejectReason::Unreachable,
            };
            self.operator_failed(now, id, tx, "operator phone declined", reason);
            return;
        }
        self.operator_answered(now, id, tx, response);
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
    ) {
        let answered_at = self.clock.now_unix_ms();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Phase::Queued {
            since,
            offer: Some(offer),
        } = &call.phase
        else {
            return;
        };
        let since = *since;
        let OfferState::Ringing { invite, dest, .. } = &offer.state else {
            return;
        };
        let Ok(dialog) = Dialog::uac(invite, &response) else {
            warn!("operator's 2xx does not make a dialog");
            return;
        };
        let dest = *dest;
        if let Ok(ack) = dialog.ack_for_2xx(invite) {
            self.endpoint.send_ack_2xx(ack, dest);
        }
        let answer = std::str::from_utf8(&response.body)
            .ok()
            .and_then(|s| SessionDescription::parse(s).ok());
        let our_offer = std::str::from_utf8(&invite.body)
            .ok()
            .and_then(|s| SessionDescription::parse(s).ok());
        let negotiated = match (our_offer, answer) {
            (Some(o), Some(a)) => sdp::negotiate_answer(&o, &a).ok(),
            _ => None,
        };
        let agent = offer.agent.clone();
        let operator_media = offer.leg;
        let Some(negotiated) = negotiated else {
            warn!(agent = %agent, "operator answered without usable SDP");
            // Answered and ACKed: the leg is hung up with BYE, the call goes back to the queue.
            self.by_client_tx.remove(&tx);
            self.drop_operator_leg(
                now,
                id,
                Some(dialog),
                "unusable SDP answer",
                Some(acd::RejectReason::Unreachable),
            );
            self.pump_acd(now);
            return;
        };
        let caller_media = call.leg;
        call.phase = Phase::Bridged {
            waited: now.saturating_duration_since(since),
            operator: Box::new(OperatorLeg {
                agent: agent.clone(),
                leg: operator_media,
                sip: Some(SipOperatorLeg { tx, dest, dialog }),
            }),
            since: now,
        };
        call.answered_unix_ms = Some(answered_at);
        call.stage = CallStage::Talking;
        info!(call = %call.call_ref, agent = %agent, "operator answered: bridged");
        let call_ref = call.call_ref.clone();
        self.fact(CallFact::Answered {
            call: call_ref,
            agent_id: agent.clone(),
            at_unix_ms: answered_at,
        });
        self.media(
            operator_media,
            MediaCommand::Configure {
                remote: negotiated.remote,
                codec: negotiated.codec,
                payload_type: negotiated.payload_type,
                telephone_event_pt: negotiated.telephone_event_pt,
                symmetric: negotiated.remote.ip() != dest.ip(),
            },
        );
        self.media(caller_media, MediaCommand::StopPlayback);
        self.media(
            caller_media,
            MediaCommand::Bridge {
                peer: operator_media,
            },
        );
        self.media(operator_media, MediaCommand::Bridge { peer: caller_media });
        self.acd_input(
            now,
            acd::Input::Accept {
                call: id,
                operator: acd::OperatorId(agent),
            },
        );
        self.pump_acd(now);
    }

    /// The offer to an operator failed: drop the operator leg, return the call to the ACD.
    pub(crate) fn operator_failed(
        &mut self,
        now: Instant,
        id: acd::CallId,
        tx: ClientTxId,
        why: &str,
        reason: acd::RejectReason,
    ) {
        let is_this_offer = self
            .calls
            .get(&id)
            .and_then(|c| c.phase.operator_leg())
            .is_some_and(|o| o.tx == Some(tx))
            && self
                .calls
                .get(&id)
                .is_some_and(|c| matches!(c.phase, Phase::Queued { .. }));
        if is_this_offer && self.drop_operator_leg(now, id, None, why, Some(reason)) {
            self.pump_acd(now);
        }
    }

    /// Take the pending offer off a queued call, forgetting its indexes. Returns it.
    pub(crate) fn clear_offer(&mut self, id: acd::CallId) -> Option<Offer> {
        let call = self.calls.get_mut(&id)?;
        let Phase::Queued { offer, .. } = &mut call.phase else {
            return None;
        };
        let offer = offer.take()?;
        self.by_leg.remove(&offer.leg);
        if let OfferState::Ringing { tx, invite, .. } = &offer.state {
            self.by_client_tx.remove(tx);
            if let Ok(cid) = invite.call_id() {
                self.by_sip_call_id.remove(cid);
            }
        }
        Some(offer)
    }

    /// Tear down the pending offer of queued call `id`: close its media, hang up its phone
    /// (BYE on `answered`, the dialog of an answer we could not use; else CANCEL while it
    /// rings). With a `rejected` reason, report the failed offer to the ACD (which holds the
    /// operator off or pauses them, by the reason and the queue's policy). Returns whether
    /// there was an offer.
    pub(crate) fn drop_operator_leg(
        &mut self,
        now: Instant,
        id: acd::CallId,
        answered: Option<Dialog>,
        why: &str,
        rejected: Option<acd::RejectReason>,
    ) -> bool {
        let Some(offer) = self.clear_offer(id) else {
            return false;
        };
        if let Some(call) = self.calls.get(&id) {
            info!(call = %call.call_ref, agent = %offer.agent, why, "offer failed");
        }
        if matches!(offer.state, OfferState::Browser) {
            // The browser's leg outlives the offer: the page stops ringing.
            self.browser_call_ended(&offer.agent);
        } else {
            self.media(offer.leg, MediaCommand::Close);
        }
        if let OfferState::Ringing { tx, dest, .. } = offer.state {
            match answered {
                Some(mut dialog) => {
                    let bye = dialog.new_request(Method::Bye);
                    let dest = self.dialog_destination(&dialog, Some(dest));
                    let _ = self.endpoint.send_request(now, bye, dest);
                }
                // Still ringing: CANCEL (sent once a provisional arrived, RFC 3261 9.1).
                None => {
                    let _ = self.endpoint.cancel(now, tx);
                }
            }
        }
        if let Some(reason) = rejected {
            self.reject_offer(now, id, offer.agent, reason);
        }
        true
    }

    /// The offer could not be made or failed: the call goes back to its queue.
    pub(crate) fn reject_offer(
        &mut self,
        now: Instant,
        id: acd::CallId,
        agent: String,
        reason: acd::RejectReason,
    ) {
        self.acd_input(
            now,
            acd::Input::Reject {
                call: id,
                operator: acd::OperatorId(agent),
                reason,
            },
        );
    }
}

/// Registrations and failed logins at info (the operator's login and the phone's address; no
/// password, no caller data). A name someone tried is cut short: it is remote input.
fn log_verdict(verdict: &AuthVerdict, source: SocketAddr) {
    let short = |user: &str| user.chars().take(32).collect::<String>();
    match verdict {
        AuthVerdict::Accepted(user) => {
            info!(agent = %short(user), %source, "registration accepted")
        }
        AuthVerdict::Refused { user } => {
            info!(agent = %short(user), %source, "registration refused: wrong credentials");
        }
        AuthVerdict::LockedOut {
            user,
            started: true,
        } => warn!(
            agent = %short(user),
            %source,
            "registration failures: login or address locked out for a while"
        ),
        AuthVerdict::LockedOut { user, .. } => {
            info!(agent = %short(user), %source, "registration refused: locked out");
        }
        AuthVerdict::Replayed { user } => {
            warn!(agent = %short(user), %source, "registration refused: replayed credentials");
        }
        _ => {}
    }
}

fn sip_uri(user: Option<String>, domain: &str) -> Uri {
    Uri::Sip(SipUri {
        secure: false,
        user,
        password: None,
        host: domain.to_string(),
        port: None,
        params: Vec::new(),
        headers: Vec::new(),
    })
}

/// The address to send requests to for a registered Contact: its numeric host and port, or
/// the REGISTER's source address when the Contact is not a numeric address (no DNS here).
fn contact_destination(contact: &Uri, source: SocketAddr) -> SocketAddr {
    uri_socket_addr(contact).unwrap_or(source)
}
