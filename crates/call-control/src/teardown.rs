//! Ending a call: hang up what is still up, close media, tell the ACD, and write the call
//! record with an outcome that follows from why the call ended and how far it got.

use std::time::{Duration, Instant};

use common::call::{CallOutcome, EndReason};
use sip_message::{Method, SipHeaders};
use tracing::info;

use crate::CallControl;
use crate::call::{OfferState, Phase, Side};
use crate::events::{CallFact, CallRecord, MediaCommand};

impl CallControl {
    /// End every call (after the shutdown grace period). Calls not yet with an operator go
    /// first, so that an operator freed by a later hang-up is not offered one of them. An
    /// answered call stays `answered`, with the end reason `shutdown`.
    pub fn hang_up_all(&mut self, now: Instant) {
        self.draining = true;
        self.hanging_up = true;
        let mut ids: Vec<(bool, acd::CallId)> = self
            .calls
            .values()
            .map(|c| (matches!(c.phase, Phase::Bridged { .. }), c.id))
            .collect();
        ids.sort();
        for (_, id) in ids {
            self.end_call(now, id, EndReason::Shutdown, None);
        }
    }

    /// End a call: hang up what is still up (except `hung_up_by`, who already did), close
    /// media, tell the ACD, and emit the call record.
    pub(crate) fn end_call(
        &mut self,
        now: Instant,
        id: acd::CallId,
        reason: EndReason,
        hung_up_by: Option<Side>,
    ) {
        let Some(mut call) = self.calls.remove(&id) else {
            return;
        };
        let outcome = outcome_of(reason, &call.phase);
        self.by_sip_call_id.remove(&call.sip_call_id);
        self.by_ref.remove(&call.call_ref);
        self.by_invite_tx.remove(&call.invite_tx);
        self.by_leg.remove(&call.leg);
        // Caller leg.
        if call.phase.is_unanswered() {
            // Not answered yet: the INVITE still needs its final response, unless a CANCEL
            // already got its 487 (then `hung_up_by` is `None`). A BYE on the early dialog is
            // answered 487 too (RFC 3261 15.1.2).
            let cancelled = reason == EndReason::CallerCancelled && hung_up_by.is_none();
            if !cancelled {
                let (status, text) = match reason {
                    EndReason::CallerCancelled => (487, "Request Terminated"),
                    EndReason::NoMediaPort => (503, "Service Unavailable"),
                    _ => (480, "Temporarily Unavailable"),
                };
                self.respond(now, call.invite_tx, status, text);
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
        self.media(call.leg, MediaCommand::Close);
        // Operator leg, and what the ACD must hear.
        let mut talk = None;
        let mut waited = None;
        let mut answered_by = None;
        match std::mem::replace(&mut call.phase, Phase::AwaitingAck) {
            Phase::Queued { since, offer } => {
                waited = Some(now.saturating_duration_since(since));
                if let Some(offer) = offer {
                    self.by_leg.remove(&offer.leg);
                    if matches!(offer.state, OfferState::Browser) {
                        self.browser_call_ended(&offer.agent);
                    } else {
                        self.media(offer.leg, MediaCommand::Close);
                    }
                    if let OfferState::Ringing { tx, invite, .. } = offer.state {
                        self.by_client_tx.remove(&tx);
                        if let Ok(cid) = invite.call_id() {
                            self.by_sip_call_id.remove(cid);
                        }
                        // Still ringing: CANCEL (sent once a provisional arrived, RFC 3261 9.1).
                        let _ = self.endpoint.cancel(now, tx);
                    }
                }
                self.acd_input(now, acd::Input::Abandon { call: id });
            }
            Phase::Bridged {
                waited: w,
                mut operator,
                since,
            } => {
                waited = Some(w);
                talk = Some(now.saturating_duration_since(since));
                self.by_leg.remove(&operator.leg);
                match operator.sip.as_mut() {
                    Some(sip) => {
                        self.by_client_tx.remove(&sip.tx);
                        self.by_sip_call_id.remove(&sip.dialog.id().call_id);
                        self.media(operator.leg, MediaCommand::Close);
                        // The operator hung up: nothing left to end on that side.
                        if hung_up_by != Some(Side::Operator) {
                            let bye = sip.dialog.new_request(Method::Bye);
                            let dest = self.dialog_destination(&sip.dialog, Some(sip.dest));
                            let _ = self.endpoint.send_request(now, bye, dest);
                        }
                    }
                    // The browser's leg stays for the next call: only the bridge ends.
                    None => self.browser_call_ended(&operator.agent),
                }
                self.acd_input(now, acd::Input::Complete { call: id });
                answered_by = Some(operator.agent);
            }
            _ => {}
        }
        info!(call = %call.call_ref, %outcome, %reason, "call ended");
        let record = CallRecord {
            call: call.call_ref,
            sip_call_id: call.sip_call_id,
            caller: call.caller,
            dialled: call.dialled,
            ivr_data: call.ivr_data,
            queue: call.queue,
            outcome,
            end_reason: reason,
            stage: call.stage,
            started_at_unix_ms: call.started_unix_ms,
            offered_at_unix_ms: call.offered_unix_ms,
            answered_at_unix_ms: call.answered_unix_ms,
            ended_at_unix_ms: self.clock.now_unix_ms(),
            waited_ms: waited.map(millis),
            talk_ms: talk.map(millis),
            agent_id: answered_by,
        };
        self.fact(CallFact::Ended(record));
        self.pump_acd(now);
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The outcome of a call that ends for `reason` in `phase`.
fn outcome_of(reason: EndReason, phase: &Phase) -> CallOutcome {
    match (reason, phase) {
        // Once an operator answered, the call stays answered however it ends.
        (_, Phase::Bridged { .. }) => CallOutcome::Answered,
        (EndReason::CallerCancelled, _) => CallOutcome::Cancelled,
        (EndReason::CallerHungUp, Phase::Queued { .. }) => CallOutcome::AbandonedInQueue,
        (EndReason::CallerHungUp, _) => CallOutcome::AbandonedInIvr,
        (EndReason::IvrReleased, _) => CallOutcome::ReleasedByIvr,
        (EndReason::QueueExit, _) => CallOutcome::ReleasedByQueue,
        (EndReason::EngineRestarted, _) => CallOutcome::Interrupted,
        _ => CallOutcome::Failed,
    }
}
