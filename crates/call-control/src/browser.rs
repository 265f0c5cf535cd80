//! The operator's browser softphone as an endpoint of the core: an operator whose desk page
//! opened a WebRTC session ([`CallControl::attach_browser`]) is offered calls there instead of
//! on a SIP phone. The page rings with the screen pop, and answers, rejects or hangs up with
//! [`OperatorCommand`](crate::OperatorCommand)s. The WebRTC leg is one media leg per operator
//! that outlives the calls: a call bridges the caller's RTP leg to it and the end of the call
//! only ends the bridge. The leg reports [`MediaEvent::Connected`] once ICE and DTLS are up
//! (no offer before that: no media to an unproven browser) and [`MediaEvent::Closed`] when the
//! page hung up or the session timed out.

use std::time::Instant;

use common::call::{CallStage, EndReason};
use tracing::{debug, info};

use crate::CallControl;
use crate::call::{Offer, OfferState, OperatorLeg, Phase, Side};
use crate::commands::CommandError;
use crate::events::{CallFact, LegId, MediaCommand, MediaEvent};

/// An operator's browser softphone session.
#[derive(Debug)]
pub(crate) struct BrowserPhone {
    pub leg: LegId,
    /// ICE and DTLS are up: calls may be offered.
    pub connected: bool,
    /// The call ringing on it or bridged to it.
    pub call: Option<acd::CallId>,
}

impl CallControl {
    /// The operator's desk page sent a WebRTC offer: the leg for its session, which the driver
    /// opens (a WebRTC leg answering that offer). One session per operator: a new one replaces
    /// the old (closed), except during a call on it. Refused for an unknown operator.
    pub fn attach_browser(&mut self, now: Instant, operator: &str) -> Result<LegId, CommandError> {
        let Some(agent) = self.agents.get(operator) else {
            return Err(CommandError::UnknownOperator(operator.to_owned()));
        };
        if agent.browser.as_ref().is_some_and(|b| b.call.is_some()) {
            return Err(CommandError::Refused(
                "a call is on the softphone: hang it up first".into(),
            ));
        }
        self.detach_browser(now, operator);
        let leg = self.new_leg();
        self.browser_legs.insert(leg, operator.to_owned());
        if let Some(agent) = self.agents.get_mut(operator) {
            agent.browser = Some(BrowserPhone {
                leg,
                connected: false,
                call: None,
            });
        }
        info!(agent = %operator, %leg, "browser softphone attached");
        Ok(leg)
    }

    /// The operator's softphone session ends (the page turned it off, the leg could not be
    /// opened): its leg is closed; a call ringing on it goes back to the queue, a call
    /// bridged to it ends as hung up by the operator.
    pub fn detach_browser(&mut self, now: Instant, operator: &str) {
        let Some(phone) = self.agents.get_mut(operator).and_then(|a| a.browser.take()) else {
            return;
        };
        self.browser_legs.remove(&phone.leg);
        self.media(phone.leg, MediaCommand::Close);
        info!(agent = %operator, leg = %phone.leg, "browser softphone detached");
        if let Some(id) = phone.call {
            self.by_leg.remove(&phone.leg);
            let bridged = self
                .calls
                .get(&id)
                .is_some_and(|c| matches!(c.phase, Phase::Bridged { .. }));
            if bridged {
                self.end_call(now, id, EndReason::OperatorHungUp, Some(Side::Operator));
            } else if self.drop_operator_leg(
                now,
                id,
                None,
                "the softphone went away",
                Some(acd::RejectReason::Unreachable),
            ) {
                self.pump_acd(now);
            }
        }
    }

    /// The leg of `operator`'s softphone session, if one is attached.
    pub fn browser_leg(&self, operator: &str) -> Option<LegId> {
        self.agents
            .get(operator)
            .and_then(|a| a.browser.as_ref())
            .map(|b| b.leg)
    }

    /// A media event of a browser softphone's leg. Returns `false` when `leg` is not one.
    pub(crate) fn browser_media_event(
        &mut self,
        now: Instant,
        leg: LegId,
        event: &MediaEvent,
    ) -> bool {
        let Some(operator) = self.browser_legs.get(&leg).cloned() else {
            return false;
        };
        match event {
            MediaEvent::Connected => {
                if let Some(phone) = self
                    .agents
                    .get_mut(&operator)
                    .and_then(|a| a.browser.as_mut())
                    .filter(|b| b.leg == leg)
                {
                    phone.connected = true;
                }
                info!(agent = %operator, "browser softphone connected");
                if self.config.registration_means_ready {
                    let operator = acd::OperatorId(operator);
                    self.acd_input(
                        now,
                        acd::Input::Login {
                            operator: operator.clone(),
                            queues: None,
                        },
                    );
                    self.acd_input(now, acd::Input::Ready { operator });
                }
                self.pump_acd(now);
            }
            MediaEvent::Closed => self.detach_browser(now, &operator),
            // Keys pressed on the page are the operator's, not the IVR's: carried, not used.
            MediaEvent::Digit(d) => debug!(agent = %operator, digit = %d, "softphone key"),
            MediaEvent::PlaybackFinished { .. } | MediaEvent::Inactive => {}
        }
        true
    }

    /// An operator with a connected softphone that is free: the leg to ring.
    pub(crate) fn free_browser(&self, agent: &str) -> Option<LegId> {
        self.agents
            .get(agent)
            .and_then(|a| a.browser.as_ref())
            .filter(|b| b.connected && b.call.is_none())
            .map(|b| b.leg)
    }

    /// The ACD offers call `id` to `agent`, whose softphone is free: it rings now (the screen
    /// pop is the ring on the page).
    pub(crate) fn offer_to_browser(
        &mut self,
        now: Instant,
        id: acd::CallId,
        agent: String,
        leg: LegId,
        waited: std::time::Duration,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Phase::Queued { offer, .. } = &mut call.phase {
            *offer = Some(Offer {
                agent: agent.clone(),
                leg,
                waited,
                state: OfferState::Browser,
            });
        }
        self.by_leg.insert(leg, id);
        if let Some(phone) = self.agents.get_mut(&agent).and_then(|a| a.browser.as_mut()) {
            phone.call = Some(id);
        }
        self.offer_made(now, id, agent, waited);
    }

    /// The call on `agent`'s softphone ended, or its offer was withdrawn.
    pub(crate) fn browser_call_ended(&mut self, agent: &str) {
        if let Some(phone) = self.agents.get_mut(agent).and_then(|a| a.browser.as_mut()) {
            phone.call = None;
        }
    }

    /// The call ringing on `operator`'s softphone, if any.
    fn browser_ringing(&self, operator: &str) -> Option<acd::CallId> {
        let id = self.agents.get(operator)?.browser.as_ref()?.call?;
        let call = self.calls.get(&id)?;
        matches!(
            &call.phase,
            Phase::Queued { offer: Some(o), .. } if matches!(o.state, OfferState::Browser)
        )
        .then_some(id)
    }

    /// The operator pressed Answer on the page: bridge the caller to the softphone.
    pub(crate) fn answer_browser(
        &mut self,
        now: Instant,
        operator: &str,
    ) -> Result<(), CommandError> {
        let id = self
            .browser_ringing(operator)
            .ok_or_else(|| CommandError::Refused("no call rings on the softphone".into()))?;
        let answered_at = self.clock.now_unix_ms();
        let call = self.calls.get_mut(&id).expect("browser_ringing found it");
        let Phase::Queued {
            since,
            offer: Some(offer),
        } = &call.phase
        else {
            unreachable!("browser_ringing checked the phase");
        };
        let (agent, leg) = (offer.agent.clone(), offer.leg);
        call.phase = Phase::Bridged {
            waited: now.saturating_duration_since(*since),
            operator: Box::new(OperatorLeg {
                agent: agent.clone(),
                leg,
                sip: None,
            }),
            since: now,
        };
        call.answered_unix_ms = Some(answered_at);
        call.stage = CallStage::Talking;
        info!(call = %call.call_ref, agent = %agent, "answered on the softphone: bridged");
        let (call_ref, caller_leg) = (call.call_ref.clone(), call.leg);
        self.fact(CallFact::Answered {
            call: call_ref,
            agent_id: agent.clone(),
            at_unix_ms: answered_at,
        });
        self.media(caller_leg, MediaCommand::StopPlayback);
        self.media(caller_leg, MediaCommand::Bridge { peer: leg });
        self.media(leg, MediaCommand::Bridge { peer: caller_leg });
        self.acd_input(
            now,
            acd::Input::Accept {
                call: id,
                operator: acd::OperatorId(agent),
            },
        );
        self.pump_acd(now);
        Ok(())
    }

    /// The operator pressed Reject: the call goes back to the queue (declined).
    pub(crate) fn reject_browser(
        &mut self,
        now: Instant,
        operator: &str,
    ) -> Result<(), CommandError> {
        let id = self
            .browser_ringing(operator)
            .ok_or_else(|| CommandError::Refused("no call rings on the softphone".into()))?;
        self.drop_operator_leg(
            now,
            id,
            None,
            "declined on the softphone",
            Some(acd::RejectReason::Declined),
        );
        self.pump_acd(now);
        Ok(())
    }

    /// The operator pressed Hang up: the call on the softphone ends (a ringing one is
    /// rejected).
    pub(crate) fn hang_up_browser(
        &mut self,
        now: Instant,
        operator: &str,
    ) -> Result<(), CommandError> {
        if self.browser_ringing(operator).is_some() {
            return self.reject_browser(now, operator);
        }
        let id = self
            .agents
            .get(operator)
            .and_then(|a| a.browser.as_ref())
            .and_then(|b| b.call)
            .filter(|id| {
                self.calls
                    .get(id)
                    .is_some_and(|c| matches!(c.phase, Phase::Bridged { .. }))
            })
            .ok_or_else(|| CommandError::Refused("no call is on the softphone".into()))?;
        self.end_call(now, id, EndReason::OperatorHungUp, Some(Side::Operator));
        Ok(())
    }
}
