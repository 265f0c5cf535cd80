//! Inputs: each is checked in full against the state before its first event, so that a refused
//! input changes nothing.

use std::time::{Duration, Instant};

use crate::config::validate_profile;
use crate::state::{OpState, Phase};
use crate::{
    Acd, AcdError, CallId, CancelReason, Cause, Event, Forced, Input, JoinedVia, NoAnswerPolicy,
    OperatorId, OperatorProfile, Pending, QueueId, ReasonCode, RejectReason, Status,
};

impl Acd {
    pub(crate) fn input(&mut self, now: Instant, input: Input) -> Result<(), AcdError> {
        match input {
            Input::Join {
                call,
                queue,
                priority,
            } => {
                let qi = self.queue_ix(&queue)?;
                if self.state.calls.contains_key(&call) {
                    return Err(AcdError::DuplicateCall(call));
                }
                self.join(now, call, qi, priority, JoinedVia::Arrival);
            }
            Input::Abandon { call } => self.abandon(now, call)?,
            Input::RequestCallback { call } => {
                let c = self
                    .state
                    .calls
                    .get(&call)
                    .ok_or(AcdError::UnknownCall(call))?;
                let queue = &self.state.queues[c.queue];
                if c.phase != Phase::Waiting {
                    return Err(AcdError::NotWaiting(call));
                }
                if !queue.cfg.callback {
                    return Err(AcdError::NoCallbacks(queue.id.clone()));
                }
                if !c.callback {
                    let queue = queue.id.clone();
                    self.emit(now, Event::CallbackRequested { call, queue });
                }
            }
            Input::Accept { call, operator } => self.accept(now, call, &operator)?,
            Input::Reject {
                call,
                operator,
                reason,
            } => self.reject(now, call, &operator, reason)?,
            Input::Transfer { call, to, priority } => {
                let to_ix = self.queue_ix(&to)?;
                let (o, qi, talk) = self.connected(now, call)?;
                let (queue, operator) = (self.state.queues[qi].id.clone(), self.op_id(o));
                let from = queue.clone();
                self.emit(
                    now,
                    Event::Transferred {
                        call,
                        queue,
                        operator,
                        to,
                        talk,
                    },
                );
                self.join(now, call, to_ix, priority, JoinedVia::Transfer { from });
                self.after_call(now, o, qi);
            }
            Input::Complete { call } => {
                let (o, qi, talk) = self.connected(now, call)?;
                let (queue, operator) = (self.state.queues[qi].id.clone(), self.op_id(o));
                self.emit(
                    now,
                    Event::Completed {
                        call,
                        queue,
                        operator,
                        talk,
                    },
                );
                self.after_call(now, o, qi);
            }
            Input::Login { operator, queues } => {
                let o = self.op_ix(&operator)?;
                self.login(now, o, queues)?;
            }
            Input::Logout { operator, queues } => {
                let o = self.op_ix(&operator)?;
                self.logout(now, o, queues, Cause::Operator)?;
            }
            Input::Ready { operator } => {
                let o = self.op_ix(&operator)?;
                self.become_ready(now, o, Cause::Operator)?;
            }
            Input::NotReady { operator, reason } => {
                let o = self.op_ix(&operator)?;
                self.go_not_ready(now, o, reason, Cause::Operator)?;
            }
            Input::EndWrapUp { operator } => {
                let o = self.op_ix(&operator)?;
                self.require_wrap_up(o, "end wrap-up")?;
                self.finish_work(now, o, Cause::Operator);
            }
            Input::ExtendWrapUp { operator, by } => {
                let o = self.op_ix(&operator)?;
                let until = self.require_wrap_up(o, "extend wrap-up")?;
                let op = &self.state.ops[o];
                let max = op
                    .last_queue
                    .map_or(Duration::ZERO, |q| self.state.queues[q].cfg.max_wrap_up);
                let so_far = until.saturating_duration_since(op.since);
                let by = by.min(max.saturating_sub(so_far));
                if !by.is_zero() {
                    self.emit(now, Event::WrapUpExtended { operator, by });
                }
            }
            Input::Force { operator, state } => {
                let o = self.op_ix(&operator)?;
                match state {
                    Forced::Ready => self.become_ready(now, o, Cause::Supervisor)?,
                    Forced::NotReady { reason } => {
                        self.go_not_ready(now, o, reason, Cause::Supervisor)?
                    }
                    Forced::LoggedOut => self.logout(now, o, None, Cause::Supervisor)?,
                }
            }
            Input::SetProfile(profile) => self.set_profile(now, profile)?,
            Input::SetQueueOpen { queue, open, by } => {
                let qi = self.queue_ix(&queue)?;
                if self.state.queues[qi].open != open {
                    self.emit(now, Event::QueueSwitched { queue, open, by });
                }
            }
            Input::StartDay => self.emit(now, Event::DayStarted),
        }
        Ok(())
    }

    fn queue_ix(&self, q: &QueueId) -> Result<usize, AcdError> {
        self.state
            .queue_index(q)
            .ok_or_else(|| AcdError::UnknownQueue(q.clone()))
    }

    fn op_ix(&self, o: &OperatorId) -> Result<usize, AcdError> {
        self.state
            .op_index(o)
            .ok_or_else(|| AcdError::UnknownOperator(o.clone()))
    }

    pub(crate) fn op_id(&self, o: usize) -> OperatorId {
        self.state.ops[o].id.clone()
    }

    fn invalid(&self, o: usize, action: &'static str) -> AcdError {
        let op = &self.state.ops[o];
        AcdError::InvalidState {
            operator: op.id.clone(),
            state: op.state.kind(),
            action,
        }
    }

    fn require_wrap_up(&self, o: usize, action: &'static str) -> Result<Instant, AcdError> {
        match self.state.ops[o].state {
            OpState::WrapUp { until } => Ok(until),
            _ => Err(self.invalid(o, action)),
        }
    }

    fn state_changed(&mut self, now: Instant, o: usize, status: Status, cause: Cause) {
        let operator = self.op_id(o);
        self.emit(
            now,
            Event::StateChanged {
                operator,
                status,
                cause,
            },
        );
    }

    fn set_pending(&mut self, now: Instant, o: usize, pending: Option<Pending>) {
        if self.state.ops[o].pending != pending {
            let operator = self.op_id(o);
            self.emit(now, Event::PendingSet { operator, pending });
        }
    }

    /// The operator, queue and talk time of a connected call.
    fn connected(&self, now: Instant, call: CallId) -> Result<(usize, usize, Duration), AcdError> {
        let c = self
            .state
            .calls
            .get(&call)
            .ok_or(AcdError::UnknownCall(call))?;
        match c.phase {
            Phase::Connected {
                operator, since, ..
            } => Ok((operator, c.queue, now.saturating_duration_since(since))),
            _ => Err(AcdError::NotConnected(call)),
        }
    }

    /// Checks that `call` rings `operator`; returns the operator's index and the ringing set.
    fn offer_of(
        &self,
        call: CallId,
        operator: &OperatorId,
    ) -> Result<(usize, Vec<usize>), AcdError> {
        let o = self.op_ix(operator)?;
        let c = self
            .state
            .calls
            .get(&call)
            .ok_or(AcdError::UnknownCall(call))?;
        match &c.phase {
            Phase::Offering { operators, .. } if operators.contains(&o) => {
                Ok((o, operators.clone()))
            }
            _ => Err(AcdError::NoSuchOffer {
                call,
                operator: operator.clone(),
            }),
        }
    }

    fn abandon(&mut self, now: Instant, call: CallId) -> Result<(), AcdError> {
        let c = self
            .state
            .calls
            .get(&call)
            .ok_or(AcdError::UnknownCall(call))?;
        let ringing = match &c.phase {
            Phase::Connected { .. } => return Err(AcdError::AlreadyConnected(call)),
            Phase::Offering { operators, .. } => operators.clone(),
            Phase::Waiting | Phase::Moving => Vec::new(),
        };
        let (queue, callback) = (self.state.queues[c.queue].id.clone(), c.callback);
        let waited = now.saturating_duration_since(c.first_joined);
        self.cancel_offers(now, call, &ringing, CancelReason::CallerGone);
        self.emit(
            now,
            Event::Abandoned {
                call,
                queue,
                waited,
                callback,
            },
        );
        for o in ringing {
            self.place_operator(now, o);
        }
        Ok(())
    }

    /// Stops `operators` ringing for `call` through no fault of theirs: ready again, in their
    /// longest-idle place. The caller places them afterwards.
    fn cancel_offers(
        &mut self,
        now: Instant,
        call: CallId,
        operators: &[usize],
        why: CancelReason,
    ) {
        for &o in operators {
            let operator = self.op_id(o);
            self.emit(
                now,
                Event::OfferCancelled {
                    call,
                    operator,
                    reason: why,
                },
            );
            let back = Status::Ready {
                hold_off: None,
                kept_place: true,
            };
            self.state_changed(now, o, back, Cause::Acd);
        }
    }

    fn accept(
        &mut self,
        now: Instant,
        call: CallId,
        operator: &OperatorId,
    ) -> Result<(), AcdError> {
        let (o, ringing) = self.offer_of(call, operator)?;
        let c = &self.state.calls[&call];
        let kind = match c.phase {
            Phase::Offering { kind, .. } => kind,
            _ => crate::OfferKind::Call,
        };
        let queue = self.state.queues[c.queue].id.clone();
        let waited = now.saturating_duration_since(c.first_joined);
        self.emit(
            now,
            Event::Connected {
                call,
                queue,
                operator: operator.clone(),
                kind,
                waited,
            },
        );
        self.state_changed(now, o, Status::OnCall { call }, Cause::Acd);
        let others: Vec<usize> = ringing.into_iter().filter(|&x| x != o).collect();
        self.cancel_offers(now, call, &others, CancelReason::AnsweredElsewhere);
        for x in others {
            self.place_operator(now, x);
        }
        Ok(())
    }

    fn reject(
        &mut self,
        now: Instant,
        call: CallId,
        operator: &OperatorId,
        reason: RejectReason,
    ) -> Result<(), AcdError> {
        let (o, _) = self.offer_of(call, operator)?;
        let cfg = &self.state.queues[self.state.calls[&call].queue].cfg;
        // An unreachable phone is treated like one that rang unanswered; busy or declined
        // leaves the operator ready after the retry delay.
        let status = match (reason, cfg.no_answer) {
            (RejectReason::Unreachable, NoAnswerPolicy::NotReady) => Status::NotReady {
                reason: ReasonCode::no_answer(),
            },
            _ => Status::Ready {
                hold_off: Some(cfg.retry_delay).filter(|d| !d.is_zero()),
                kept_place: false,
            },
        };
        self.emit(
            now,
            Event::OfferRejected {
                call,
                operator: operator.clone(),
                reason,
            },
        );
        self.state_changed(now, o, status, Cause::Acd);
        self.requeued(now, call);
        self.place_operator(now, o);
        Ok(())
    }

    /// The call of queue `qi` ended for operator `o`: wrap-up, or straight to the next state.
    fn after_call(&mut self, now: Instant, o: usize, qi: usize) {
        let wrap = self.state.queues[qi].cfg.wrap_up;
        if wrap.is_zero() {
            self.finish_work(now, o, Cause::Acd);
        } else {
            self.state_changed(now, o, Status::WrapUp { duration: wrap }, Cause::Acd);
        }
    }

    /// Wrap-up over (or none): the pending change if any, else ready.
    pub(crate) fn finish_work(&mut self, now: Instant, o: usize, cause: Cause) {
        let pending = self.state.ops[o].pending.clone();
        self.set_pending(now, o, None);
        if self.state.ops[o].member.is_empty() {
            self.state_changed(now, o, Status::LoggedOut, cause);
            return;
        }
        match pending {
            Some(Pending::NotReady { reason }) => {
                self.state_changed(now, o, Status::NotReady { reason }, cause);
            }
            Some(Pending::LogOut) => {
                let queues: Vec<usize> = self.state.ops[o].member.keys().copied().collect();
                for qi in queues {
                    let (operator, queue) = (self.op_id(o), self.state.queues[qi].id.clone());
                    self.emit(now, Event::LoggedOut { operator, queue });
                }
                self.state_changed(now, o, Status::LoggedOut, cause);
            }
            None => {
                let ready = Status::Ready {
                    hold_off: None,
                    kept_place: false,
                };
                self.state_changed(now, o, ready, cause);
                self.place_operator(now, o);
            }
        }
    }

    fn become_ready(&mut self, now: Instant, o: usize, cause: Cause) -> Result<(), AcdError> {
        let op = &self.state.ops[o];
        match op.state {
            OpState::LoggedOut | OpState::Reserved { .. } => {
                return Err(self.invalid(o, "become ready"));
            }
            OpState::OnCall { .. } => {
                if op.pending.is_none() {
                    return Err(self.invalid(o, "become ready"));
                }
                self.set_pending(now, o, None);
                return Ok(());
            }
            // Ready already: only a supervisor lifts a hold-off.
            OpState::Ready { hold_off_until } => {
                if hold_off_until.is_none() || cause != Cause::Supervisor {
                    return Ok(());
                }
            }
            OpState::NotReady { .. } | OpState::WrapUp { .. } => {}
        }
        let kept_place = matches!(op.state, OpState::Ready { .. });
        self.set_pending(now, o, None);
        let ready = Status::Ready {
            hold_off: None,
            kept_place,
        };
        self.state_changed(now, o, ready, cause);
        self.place_operator(now, o);
        Ok(())
    }

    fn go_not_ready(
        &mut self,
        now: Instant,
        o: usize,
        reason: ReasonCode,
        cause: Cause,
    ) -> Result<(), AcdError> {
        match &self.state.ops[o].state {
            OpState::LoggedOut => return Err(self.invalid(o, "go not ready")),
            OpState::OnCall { .. } => {
                self.set_pending(now, o, Some(Pending::NotReady { reason }));
                return Ok(());
            }
            OpState::NotReady { reason: r } if *r == reason => return Ok(()),
            OpState::Reserved { call } => {
                let call = *call;
                let operator = self.op_id(o);
                self.emit(
                    now,
                    Event::OfferCancelled {
                        call,
                        operator,
                        reason: CancelReason::OperatorLeft,
                    },
                );
                self.state_changed(now, o, Status::NotReady { reason }, cause);
                self.requeued(now, call);
                return Ok(());
            }
            _ => {}
        }
        self.set_pending(now, o, None);
        self.state_changed(now, o, Status::NotReady { reason }, cause);
        Ok(())
    }

    /// Logs in to `queues` of the profile (all of them when `None`); a logged-out operator
    /// becomes ready.
    fn login(
        &mut self,
        now: Instant,
        o: usize,
        queues: Option<Vec<QueueId>>,
    ) -> Result<(), AcdError> {
        let op = &self.state.ops[o];
        let wanted: Vec<(usize, u8)> = match queues {
            None => op.profile.iter().map(|(q, s)| (*q, *s)).collect(),
            Some(list) => {
                let mut v = Vec::with_capacity(list.len());
                for q in list {
                    let qi = self.queue_ix(&q)?;
                    let skill = op.profile.get(&qi).ok_or_else(|| AcdError::NotAMember {
                        operator: op.id.clone(),
                        queue: q.clone(),
                    })?;
                    if !v.iter().any(|(x, _)| *x == qi) {
                        v.push((qi, *skill));
                    }
                }
                v
            }
        };
        let new: Vec<(usize, u8)> = wanted
            .into_iter()
            .filter(|(q, _)| !op.member.contains_key(q))
            .collect();
        let was_logged_out = op.state == OpState::LoggedOut;
        if op.pending == Some(Pending::LogOut) {
            self.set_pending(now, o, None);
        }
        for (qi, skill) in &new {
            let (operator, queue) = (self.op_id(o), self.state.queues[*qi].id.clone());
            self.emit(
                now,
                Event::LoggedIn {
                    operator,
                    queue,
                    skill: *skill,
                },
            );
        }
        if was_logged_out && !new.is_empty() {
            let ready = Status::Ready {
                hold_off: None,
                kept_place: false,
            };
            self.state_changed(now, o, ready, Cause::Operator);
        }
        self.place_operator(now, o);
        Ok(())
    }

    /// Logs out of `queues` (all when `None`). A full logout during a call waits for its end.
    fn logout(
        &mut self,
        now: Instant,
        o: usize,
        queues: Option<Vec<QueueId>>,
        cause: Cause,
    ) -> Result<(), AcdError> {
        let op = &self.state.ops[o];
        if op.state == OpState::LoggedOut {
            return Err(self.invalid(o, "log out"));
        }
        let list = match queues {
            None => None,
            Some(list) => {
                let mut v = Vec::with_capacity(list.len());
                for q in list {
                    let qi = self.queue_ix(&q)?;
                    if !op.member.contains_key(&qi) {
                        return Err(AcdError::NotAMember {
                            operator: op.id.clone(),
                            queue: q,
                        });
                    }
                    v.push(qi);
                }
                Some(v)
            }
        };
        let full = list
            .as_ref()
            .is_none_or(|l| op.member.keys().all(|q| l.contains(q)));
        if full && matches!(op.state, OpState::OnCall { .. }) {
            self.set_pending(now, o, Some(Pending::LogOut));
            return Ok(());
        }
        self.drop_queues(now, o, list, cause);
        Ok(())
    }

    /// Logs the operator out of `queues` (all when `None`), withdrawing an offer of a call of
    /// those queues; logged out altogether when no queue is left, unless on a call.
    fn drop_queues(&mut self, now: Instant, o: usize, queues: Option<Vec<usize>>, cause: Cause) {
        let op = &self.state.ops[o];
        let list: Vec<usize> = match queues {
            None => op.member.keys().copied().collect(),
            Some(l) => l
                .into_iter()
                .filter(|q| op.member.contains_key(q))
                .collect(),
        };
        let full = op.member.keys().all(|q| list.contains(q));
        let mut requeue = None;
        if let OpState::Reserved { call } = op.state
            && let Some(c) = self.state.calls.get(&call)
            && (full || list.contains(&c.queue))
        {
            let operator = self.op_id(o);
            self.emit(
                now,
                Event::OfferCancelled {
                    call,
                    operator,
                    reason: CancelReason::OperatorLeft,
                },
            );
            if !full {
                let back = Status::Ready {
                    hold_off: None,
                    kept_place: true,
                };
                self.state_changed(now, o, back, Cause::Acd);
            }
            requeue = Some(call);
        }
        if full && !matches!(self.state.ops[o].state, OpState::OnCall { .. }) {
            self.set_pending(now, o, None);
        }
        for qi in &list {
            let (operator, queue) = (self.op_id(o), self.state.queues[*qi].id.clone());
            self.emit(now, Event::LoggedOut { operator, queue });
        }
        if full && !matches!(self.state.ops[o].state, OpState::OnCall { .. }) {
            self.state_changed(now, o, Status::LoggedOut, cause);
        }
        if let Some(call) = requeue {
            self.requeued(now, call);
        }
        self.place_operator(now, o);
    }

    /// Creates or replaces a profile; the operator is logged out of the queues it drops.
    fn set_profile(&mut self, now: Instant, profile: OperatorProfile) -> Result<(), AcdError> {
        validate_profile(&profile, |q| self.state.queue_index(q).is_some())?;
        if let Some(o) = self.state.op_index(&profile.id) {
            let keep: Vec<usize> = profile
                .queues
                .iter()
                .filter_map(|m| self.state.queue_index(&m.queue))
                .collect();
            let dropped: Vec<usize> = self.state.ops[o]
                .member
                .keys()
                .copied()
                .filter(|q| !keep.contains(q))
                .collect();
            if !dropped.is_empty() {
                self.drop_queues(now, o, Some(dropped), Cause::Supervisor);
            }
        }
        let id = profile.id.clone();
        self.emit(now, Event::ProfileSet { profile });
        if let Some(o) = self.state.op_index(&id) {
            self.place_operator(now, o);
        }
        Ok(())
    }
}
