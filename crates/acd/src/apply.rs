//! [`State::apply`]: the one place the state changes. The live ACD applies each event it
//! emits; [`crate::Acd::replay`] applies a stored journal. Both therefore reach the same state,
//! including the ready indexes and the armed deadlines (every deadline is `event instant +
//! configured duration`).
//!
//! `apply` checks that an event fits the state and refuses it otherwise (a corrupted or
//! foreign journal), never panicking. The live ACD only emits events it has checked.

use std::cmp::Reverse;
use std::time::Instant;

use crate::state::{Call, Member, OpState, Phase, State};
use crate::timers::TimerKind;
use crate::{CallId, Destination, Event, JoinedVia, OperatorId, QueueId, Status};

pub(crate) type ApplyResult = Result<(), &'static str>;

impl State {
    pub(crate) fn apply(&mut self, at: Instant, event: &Event) -> ApplyResult {
        self.apply_inner(at, event)?;
        self.last_at = Some(at);
        let queue = match event {
            Event::Joined { queue, .. }
            | Event::Refused { queue, .. }
            | Event::Left { queue, .. }
            | Event::CallbackRequested { queue, .. }
            | Event::Connected { queue, .. }
            | Event::Transferred { queue, .. }
            | Event::Completed { queue, .. }
            | Event::Abandoned { queue, .. } => Some(queue),
            _ => None,
        };
        if let Some(qi) = queue.and_then(|q| self.queue_index(q)) {
            let targets = self.targets;
            self.queues[qi].today.record(event, &targets);
        }
        Ok(())
    }

    fn q(&self, q: &QueueId) -> Result<usize, &'static str> {
        self.queue_index(q).ok_or("unknown queue")
    }

    fn o(&self, o: &OperatorId) -> Result<usize, &'static str> {
        self.op_index(o).ok_or("unknown operator")
    }

    fn apply_inner(&mut self, at: Instant, event: &Event) -> ApplyResult {
        match event {
            Event::Joined {
                call,
                queue,
                priority,
                via,
                ..
            } => self.joined(at, *call, self.q(queue)?, *priority, via),
            Event::Refused {
                call, destination, ..
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    if c.phase != Phase::Moving {
                        return Err("refused a call already in a queue");
                    }
                    if matches!(destination, Destination::Queue { .. }) {
                        c.hops = c.hops.saturating_add(1);
                    } else {
                        self.calls.remove(call);
                    }
                }
                Ok(())
            }
            Event::Left {
                call,
                queue,
                destination,
                ..
            } => {
                let qi = self.q(queue)?;
                let c = self.waiting_call(*call, qi)?;
                let place = c.place;
                c.ring_timer = None;
                c.max_wait_timer = None;
                c.announce = None;
                if matches!(destination, Destination::Queue { .. }) {
                    c.phase = Phase::Moving;
                    c.hops = c.hops.saturating_add(1);
                } else {
                    self.calls.remove(call);
                }
                self.queues[qi].waiting.remove(&place);
                Ok(())
            }
            Event::CallbackRequested { call, queue } => {
                let qi = self.q(queue)?;
                let c = self.waiting_call(*call, qi)?;
                c.callback = true;
                c.max_wait_timer = None;
                c.announce = None;
                Ok(())
            }
            Event::Offered {
                call,
                queue,
                operator,
                kind,
                ..
            } => {
                let (qi, o) = (self.q(queue)?, self.o(operator)?);
                let seat = self.ops[o].member.get(&qi).map(|m| m.seat);
                let ring_at = at.checked_add(self.queues[qi].cfg.ring_timeout);
                let c = self.calls.get_mut(call).ok_or("unknown call")?;
                if c.queue != qi {
                    return Err("offered from another queue");
                }
                match &mut c.phase {
                    Phase::Waiting => {
                        let place = c.place;
                        c.phase = Phase::Offering {
                            operators: vec![o],
                            kind: *kind,
                        };
                        c.ring_timer = ring_at.map(|t| self.timers.arm(t, TimerKind::Ring(*call)));
                        let queue = &mut self.queues[qi];
                        queue.waiting.remove(&place);
                        queue.offering += 1;
                    }
                    Phase::Offering { operators, .. } if !operators.contains(&o) => {
                        operators.push(o);
                    }
                    _ => return Err("offered a call that is not waiting"),
                }
                if seat.is_some() {
                    self.queues[qi].rr_last = seat;
                }
                Ok(())
            }
            Event::OfferCancelled { call, operator, .. } => {
                let o = self.o(operator)?;
                self.release_offer(*call, o, false)
            }
            Event::RingNoAnswer { call, operator }
            | Event::OfferRejected { call, operator, .. } => {
                let o = self.o(operator)?;
                self.release_offer(*call, o, true)
            }
            Event::Connected {
                call,
                queue,
                operator,
                kind,
                ..
            } => {
                let (qi, o) = (self.q(queue)?, self.o(operator)?);
                let c = self.calls.get_mut(call).ok_or("unknown call")?;
                match &c.phase {
                    Phase::Offering { operators, .. } if operators.contains(&o) => {}
                    _ => return Err("connected a call not offered to the operator"),
                }
                c.phase = Phase::Connected {
                    operator: o,
                    since: at,
                    kind: *kind,
                };
                c.ring_timer = None;
                c.max_wait_timer = None;
                c.announce = None;
                let queue = &mut self.queues[qi];
                queue.offering = queue.offering.saturating_sub(1);
                queue.connected += 1;
                let saturated = !queue.waiting.is_empty();
                queue.estimator.record_answer(at, saturated);
                let op = &mut self.ops[o];
                if let Some(m) = op.member.get_mut(&qi) {
                    m.answered += 1;
                }
                op.answered_today += 1;
                op.last_queue = Some(qi);
                Ok(())
            }
            Event::Transferred {
                call, queue, talk, ..
            }
            | Event::Completed {
                call, queue, talk, ..
            } => {
                let qi = self.q(queue)?;
                let c = self.calls.get_mut(call).ok_or("unknown call")?;
                if !matches!(c.phase, Phase::Connected { .. }) || c.queue != qi {
                    return Err("ended a call that is not connected");
                }
                let queue = &mut self.queues[qi];
                queue.connected = queue.connected.saturating_sub(1);
                let handle = talk.saturating_add(queue.cfg.wrap_up);
                queue.estimator.record_handle(handle);
                if matches!(event, Event::Transferred { .. }) {
                    c.phase = Phase::Moving;
                } else {
                    self.calls.remove(call);
                }
                Ok(())
            }
            Event::Abandoned { call, queue, .. } => {
                let qi = self.q(queue)?;
                let place = self.waiting_call(*call, qi)?.place;
                self.queues[qi].waiting.remove(&place);
                self.calls.remove(call);
                Ok(())
            }
            Event::Announced { call, queue, .. } => {
                let qi = self.q(queue)?;
                let every = self.queues[qi].cfg.announce.as_ref().map(|a| a.every);
                let next = every.and_then(|e| at.checked_add(e));
                let c = self.calls.get_mut(call).ok_or("unknown call")?;
                c.announce = next.map(|t| (self.timers.arm(t, TimerKind::Announce(*call)), t));
                Ok(())
            }
            Event::LoggedIn {
                operator,
                queue,
                skill,
            } => {
                let (qi, o) = (self.q(queue)?, self.o(operator)?);
                let queue = &mut self.queues[qi];
                let op = &mut self.ops[o];
                if op.member.contains_key(&qi) {
                    return Err("logged in twice");
                }
                op.member.insert(
                    qi,
                    Member {
                        skill: *skill,
                        answered: 0,
                        seat: queue.next_seat,
                        key: None,
                    },
                );
                queue.next_seat += 1;
                queue.logged_in += 1;
                if op.state.staffed() {
                    queue.staffed += 1;
                }
                self.index(o);
                Ok(())
            }
            Event::LoggedOut { operator, queue } => {
                let (qi, o) = (self.q(queue)?, self.o(operator)?);
                let op = &mut self.ops[o];
                let m = op
                    .member
                    .remove(&qi)
                    .ok_or("logged out of a queue not logged in")?;
                let queue = &mut self.queues[qi];
                if let Some(key) = m.key {
                    queue.ready.remove(&key);
                }
                queue.logged_in = queue.logged_in.saturating_sub(1);
                if op.state.staffed() {
                    queue.staffed = queue.staffed.saturating_sub(1);
                }
                Ok(())
            }
            Event::StateChanged {
                operator, status, ..
            } => {
                let o = self.o(operator)?;
                self.change_state(at, o, status)
            }
            Event::PendingSet { operator, pending } => {
                let o = self.o(operator)?;
                self.ops[o].pending = pending.clone();
                Ok(())
            }
            Event::WrapUpExtended { operator, by } => {
                let o = self.o(operator)?;
                let OpState::WrapUp { until } = self.ops[o].state else {
                    return Err("extended a wrap-up that is not running");
                };
                let until = until.checked_add(*by).ok_or("wrap-up beyond the clock")?;
                self.ops[o].state = OpState::WrapUp { until };
                self.ops[o].timer = Some(self.timers.arm(until, TimerKind::Operator(o)));
                Ok(())
            }
            Event::ProfileSet { profile } => {
                if let Some(o) = self.op_index(&profile.id) {
                    let keeps = |q: &usize| {
                        profile
                            .queues
                            .iter()
                            .any(|m| self.queue_index(&m.queue) == Some(*q))
                    };
                    if !self.ops[o].member.keys().all(keeps) {
                        return Err("profile drops a queue the operator is logged in to");
                    }
                }
                if profile
                    .queues
                    .iter()
                    .any(|m| self.queue_index(&m.queue).is_none())
                {
                    return Err("profile names an unknown queue");
                }
                self.set_profile(profile, at);
                Ok(())
            }
            Event::QueueSwitched { queue, open, .. } => {
                let qi = self.q(queue)?;
                self.queues[qi].open = *open;
                Ok(())
            }
            Event::Warning { queue, raised, .. } => {
                let qi = self.q(queue)?;
                self.queues[qi].warning = *raised;
                Ok(())
            }
            Event::DayStarted => {
                self.day_started = Some(at);
                for q in &mut self.queues {
                    q.today = Default::default();
                }
                for o in 0..self.ops.len() {
                    self.unindex(o);
                    let op = &mut self.ops[o];
                    op.answered_today = 0;
                    for m in op.member.values_mut() {
                        m.answered = 0;
                    }
                    self.index(o);
                }
                Ok(())
            }
        }
    }

    fn waiting_call(&mut self, call: CallId, qi: usize) -> Result<&mut Call, &'static str> {
        match self.calls.get_mut(&call) {
            Some(c) if c.queue == qi && c.phase == Phase::Waiting => Ok(c),
            Some(_) => Err("call is not waiting in that queue"),
            None => Err("unknown call"),
        }
    }

    fn joined(
        &mut self,
        at: Instant,
        call: CallId,
        qi: usize,
        priority: u8,
        via: &JoinedVia,
    ) -> ApplyResult {
        match (via, self.calls.get_mut(&call)) {
            (JoinedVia::Arrival, Some(_)) => return Err("call already in the acd"),
            (JoinedVia::Overflow { .. }, Some(c)) if c.phase == Phase::Moving => {
                c.queue = qi;
                c.place.0 = Reverse(priority);
                c.joined = at;
                c.phase = Phase::Waiting;
            }
            (JoinedVia::Transfer { .. }, Some(c)) if c.phase == Phase::Moving => {
                self.next_place += 1;
                c.queue = qi;
                c.place = (Reverse(priority), self.next_place);
                c.first_joined = at;
                c.joined = at;
                c.hops = 0;
                c.callback = false;
                c.phase = Phase::Waiting;
            }
            (JoinedVia::Arrival | JoinedVia::Overflow { .. }, None) => {
                self.next_place += 1;
                let hops = u8::from(matches!(via, JoinedVia::Overflow { .. }));
                self.calls.insert(
                    call,
                    Call {
                        queue: qi,
                        place: (Reverse(priority), self.next_place),
                        first_joined: at,
                        joined: at,
                        hops,
                        callback: false,
                        phase: Phase::Waiting,
                        ring_timer: None,
                        max_wait_timer: None,
                        announce: None,
                    },
                );
            }
            _ => return Err("joined a call that is not between queues"),
        }
        let cfg = &self.queues[qi].cfg;
        let max_wait_at = cfg.max_wait.and_then(|d| at.checked_add(d));
        let announce_at = cfg.announce.as_ref().and_then(|a| at.checked_add(a.every));
        let max_wait_timer = max_wait_at.map(|t| self.timers.arm(t, TimerKind::MaxWait(call)));
        let announce = announce_at.map(|t| (self.timers.arm(t, TimerKind::Announce(call)), t));
        let Some(c) = self.calls.get_mut(&call) else {
            return Err("unknown call");
        };
        c.max_wait_timer = max_wait_timer;
        c.announce = announce;
        c.ring_timer = None;
        let place = c.place;
        self.queues[qi].waiting.insert(place, call);
        Ok(())
    }

    /// An operator's offer of `call` ended without an answer from them. When nobody rings for
    /// it any more, the call goes back to its place in the queue.
    fn release_offer(&mut self, call: CallId, o: usize, must_ring: bool) -> ApplyResult {
        let Some(c) = self.calls.get_mut(&call) else {
            return if must_ring {
                Err("unknown call")
            } else {
                Ok(())
            };
        };
        match &mut c.phase {
            Phase::Offering { operators, .. } if operators.contains(&o) => {
                operators.retain(|&x| x != o);
                if operators.is_empty() {
                    c.phase = Phase::Waiting;
                    c.ring_timer = None;
                    let queue = &mut self.queues[c.queue];
                    queue.offering = queue.offering.saturating_sub(1);
                    queue.waiting.insert(c.place, call);
                }
                Ok(())
            }
            _ if must_ring => Err("no such offer"),
            _ => Ok(()),
        }
    }

    fn change_state(&mut self, at: Instant, o: usize, status: &Status) -> ApplyResult {
        let in_queues = !self.ops[o].member.is_empty();
        match status {
            Status::LoggedOut if in_queues => return Err("logged out while still in queues"),
            Status::Ready { .. } if !in_queues => return Err("ready without a queue"),
            Status::WrapUp { duration } if at.checked_add(*duration).is_none() => {
                return Err("wrap-up beyond the clock");
            }
            _ => {}
        }
        self.unindex(o);
        let op = &mut self.ops[o];
        let was_staffed = op.state.staffed();
        op.timer = None;
        let state = match status {
            Status::LoggedOut => {
                op.ready_since = None;
                OpState::LoggedOut
            }
            Status::Ready {
                hold_off,
                kept_place,
            } => {
                if !(*kept_place && op.ready_since.is_some()) {
                    op.ready_since = Some(at);
                }
                let until = hold_off.and_then(|d| at.checked_add(d));
                if let Some(until) = until {
                    op.timer = Some(self.timers.arm(until, TimerKind::Operator(o)));
                }
                OpState::Ready {
                    hold_off_until: until,
                }
            }
            Status::NotReady { reason } => {
                op.ready_since = None;
                OpState::NotReady {
                    reason: reason.clone(),
                }
            }
            Status::Reserved { call } => OpState::Reserved { call: *call },
            Status::OnCall { call } => {
                op.ready_since = None;
                OpState::OnCall { call: *call }
            }
            Status::WrapUp { duration } => {
                op.ready_since = None;
                let until = at.checked_add(*duration).unwrap_or(at);
                op.timer = Some(self.timers.arm(until, TimerKind::Operator(o)));
                OpState::WrapUp { until }
            }
        };
        let op = &mut self.ops[o];
        let now_staffed = state.staffed();
        op.state = state;
        op.since = at;
        if was_staffed != now_staffed {
            for q in op.member.keys() {
                let queue = &mut self.queues[*q];
                if now_staffed {
                    queue.staffed += 1;
                } else {
                    queue.staffed = queue.staffed.saturating_sub(1);
                }
            }
        }
        self.index(o);
        Ok(())
    }
}
