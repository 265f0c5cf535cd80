//! Distribution: which operator gets which call, and where calls go when a queue will not keep
//! them. Every decision reads the state and emits events; none changes the state directly.
//!
//! The invariant it keeps after every input: no queue has both a waiting call and an available
//! operator (work conservation). So a call that joins only has to look at its own queue's
//! ready index, and an operator who becomes available only at the heads of their queues.
//!
//! Multi-queue rule: an operator who becomes available looks at the head call of each of their
//! queues and takes the one with the largest *effective wait*: `wait × weight` of its queue,
//! except that a call that has waited [`crate::AcdConfig::ageing_bound`] or more outranks all
//! that have not (among those, the longest wait wins). Weights favour a queue without starving
//! the others: no head call is passed over because of weights once it has waited the bound.
//! Ties go to the earlier arrival.

use std::time::{Duration, Instant};

use crate::state::Phase;
use crate::{
    Acd, CallId, Cause, Destination, Event, ExitReason, JoinedVia, MAX_OVERFLOW_HOPS,
    NoAnswerPolicy, OfferKind, ReasonCode, Status, Strategy,
};

impl Acd {
    /// Puts a call into queue `qi`, or sends it where the queue's policies say: closed, empty
    /// (`join_when_empty = false`), full. A destination that is a queue is tried in turn, up to
    /// [`MAX_OVERFLOW_HOPS`].
    pub(crate) fn join(
        &mut self,
        now: Instant,
        call: CallId,
        mut qi: usize,
        priority: u8,
        mut via: JoinedVia,
    ) {
        let mut hops = self.state.calls.get(&call).map_or(0, |c| c.hops);
        loop {
            let queue = &self.state.queues[qi];
            let cfg = &queue.cfg;
            let refusal = if !queue.open {
                Some((ExitReason::Closed, &cfg.on_closed))
            } else if !cfg.join_when_empty && queue.logged_in == 0 {
                Some((ExitReason::Empty, &cfg.on_empty))
            } else if cfg.max_len.is_some_and(|max| queue.waiting.len() >= max) {
                Some((ExitReason::Full, &cfg.on_full))
            } else {
                None
            };
            let Some((reason, destination)) = refusal else {
                let position = if priority == 0 {
                    queue.waiting.len() + 1
                } else {
                    let ahead = (std::cmp::Reverse(priority), u64::MAX);
                    queue.waiting.range(..=ahead).count() + 1
                };
                let estimate = if queue.ready.is_empty() {
                    queue.estimator.estimate(position, queue.staffed, now)
                } else {
                    Some(Duration::ZERO)
                };
                let queue = queue.id.clone();
                self.emit(
                    now,
                    Event::Joined {
                        call,
                        queue,
                        priority,
                        via,
                        estimate,
                    },
                );
                self.place_call(now, qi);
                return;
            };
            let (reason, destination) = self.bounded(hops, reason, destination.clone());
            let from = queue.id.clone();
            self.emit(
                now,
                Event::Refused {
                    call,
                    queue: from.clone(),
                    reason,
                    destination: destination.clone(),
                },
            );
            match destination {
                Destination::Queue { queue } => match self.state.queue_index(&queue) {
                    Some(next) => {
                        hops = hops.saturating_add(1);
                        qi = next;
                        via = JoinedVia::Overflow { from };
                    }
                    None => return,
                },
                _ => return,
            }
        }
    }

    fn bounded(
        &self,
        hops: u8,
        reason: ExitReason,
        destination: Destination,
    ) -> (ExitReason, Destination) {
        match destination {
            Destination::Queue { .. } if hops >= MAX_OVERFLOW_HOPS => {
                (ExitReason::TooManyHops, Destination::Hangup)
            }
            d => (reason, d),
        }
    }

    /// A waiting call leaves its queue for `destination`.
    pub(crate) fn leave(&mut self, now: Instant, call: CallId, reason: ExitReason) {
        let Some(c) = self.state.calls.get(&call) else {
            return;
        };
        if c.phase != Phase::Waiting {
            return;
        }
        let queue = &self.state.queues[c.queue];
        let destination = match reason {
            ExitReason::MaxWait => queue.cfg.on_max_wait.clone(),
            ExitReason::Empty => queue.cfg.on_empty.clone(),
            _ => Destination::Hangup,
        };
        let (reason, destination) = self.bounded(c.hops, reason, destination);
        let (priority, from) = (c.place.0.0, queue.id.clone());
        let waited = now.saturating_duration_since(c.first_joined);
        self.emit(
            now,
            Event::Left {
                call,
                queue: from.clone(),
                reason,
                destination: destination.clone(),
                waited,
            },
        );
        if let Destination::Queue { queue } = destination
            && let Some(next) = self.state.queue_index(&queue)
        {
            self.join(now, call, next, priority, JoinedVia::Overflow { from });
        }
    }

    /// Offers the head calls of queue `qi` to its available operators, by its strategy.
    pub(crate) fn place_call(&mut self, now: Instant, qi: usize) {
        loop {
            let queue = &self.state.queues[qi];
            let Some((_, &call)) = queue.waiting.first_key_value() else {
                return;
            };
            let chosen: Vec<usize> = match queue.cfg.strategy {
                Strategy::RingAll => queue.ready.iter().map(|k| k.3).collect(),
                Strategy::RoundRobin => {
                    let after = queue
                        .rr_last
                        .and_then(|last| queue.ready.range((last + 1, None, 0, 0)..).next());
                    after
                        .or(queue.ready.first())
                        .map(|k| k.3)
                        .into_iter()
                        .collect()
                }
                Strategy::LongestIdle | Strategy::FewestCalls | Strategy::Skills => {
                    queue.ready.first().map(|k| k.3).into_iter().collect()
                }
            };
            if chosen.is_empty() {
                return;
            }
            for o in chosen {
                self.offer(now, call, qi, o);
            }
        }
    }

    /// An operator who may have become available takes the best head call of their queues.
    pub(crate) fn place_operator(&mut self, now: Instant, o: usize) {
        let Some(op) = self.state.ops.get(o) else {
            return;
        };
        if !op.available() {
            return;
        }
        let ageing = self.state.ageing_bound;
        let mut best: Option<((bool, u128), u64, CallId, usize)> = None;
        for &qi in op.member.keys() {
            let queue = &self.state.queues[qi];
            let Some((place, &call)) = queue.waiting.first_key_value() else {
                continue;
            };
            let Some(c) = self.state.calls.get(&call) else {
                continue;
            };
            let wait = now.saturating_duration_since(c.first_joined);
            let score = if wait >= ageing {
                (true, wait.as_nanos())
            } else {
                (false, wait.as_nanos() * u128::from(queue.cfg.weight))
            };
            let better = best
                .as_ref()
                .is_none_or(|(s, seq, _, _)| score > *s || (score == *s && place.1 < *seq));
            if better {
                best = Some((score, place.1, call, qi));
            }
        }
        if let Some((_, _, call, qi)) = best {
            self.offer(now, call, qi, o);
        }
    }

    fn offer(&mut self, now: Instant, call: CallId, qi: usize, o: usize) {
        let Some(c) = self.state.calls.get(&call) else {
            return;
        };
        let kind = if c.callback {
            OfferKind::Callback
        } else {
            OfferKind::Call
        };
        let waited = now.saturating_duration_since(c.first_joined);
        let queue = self.state.queues[qi].id.clone();
        let operator = self.state.ops[o].id.clone();
        self.emit(
            now,
            Event::Offered {
                call,
                queue,
                operator: operator.clone(),
                kind,
                waited,
            },
        );
        self.emit(
            now,
            Event::StateChanged {
                operator,
                status: Status::Reserved { call },
                cause: Cause::Acd,
            },
        );
    }

    /// A call whose offer failed is back in its place: it leaves if it has waited the queue's
    /// maximum meanwhile, else it is offered again.
    pub(crate) fn requeued(&mut self, now: Instant, call: CallId) {
        let Some(c) = self.state.calls.get(&call) else {
            return;
        };
        if c.phase != Phase::Waiting {
            return;
        }
        let qi = c.queue;
        let overdue = !c.callback
            && self.state.queues[qi]
                .cfg
                .max_wait
                .is_some_and(|max| now.saturating_duration_since(c.joined) >= max);
        if overdue {
            self.leave(now, call, ExitReason::MaxWait);
        } else {
            self.place_call(now, qi);
        }
    }

    /// The offer rang the whole ring timeout: the call goes back to its place, each ringing
    /// operator goes not ready (`no_answer`) or stays ready after the retry delay.
    pub(crate) fn ring_no_answer(&mut self, now: Instant, call: CallId) {
        let Some(c) = self.state.calls.get(&call) else {
            return;
        };
        let Phase::Offering { operators, .. } = &c.phase else {
            return;
        };
        let operators = operators.clone();
        let cfg = &self.state.queues[c.queue].cfg;
        let status = match cfg.no_answer {
            NoAnswerPolicy::NotReady => Status::NotReady {
                reason: ReasonCode::no_answer(),
            },
            NoAnswerPolicy::StayReady => Status::Ready {
                hold_off: Some(cfg.retry_delay).filter(|d| !d.is_zero()),
                kept_place: false,
            },
        };
        for &o in &operators {
            let operator = self.state.ops[o].id.clone();
            self.emit(now, Event::RingNoAnswer { call, operator });
        }
        for &o in &operators {
            let operator = self.state.ops[o].id.clone();
            let status = status.clone();
            let cause = Cause::Acd;
            self.emit(
                now,
                Event::StateChanged {
                    operator,
                    status,
                    cause,
                },
            );
        }
        self.requeued(now, call);
        for o in operators {
            self.place_operator(now, o);
        }
    }

    /// A due announcement: told only when meaningful (the caller waits on the line, the
    /// estimate is known and not below the queue's `skip_below`); otherwise the next one is
    /// simply scheduled.
    pub(crate) fn announce(&mut self, due: Instant, call: CallId) {
        let Some(c) = self.state.calls.get(&call) else {
            return;
        };
        let queue = &self.state.queues[c.queue];
        let Some(cfg) = queue.cfg.announce.as_ref() else {
            return;
        };
        let told = if c.phase == Phase::Waiting && !c.callback {
            self.state.position(call).and_then(|position| {
                queue
                    .estimator
                    .estimate(position, queue.staffed, due)
                    .filter(|e| *e >= cfg.skip_below)
                    .map(|estimate| (position, estimate))
            })
        } else {
            None
        };
        match told {
            Some((position, estimate)) => {
                let queue = queue.id.clone();
                self.emit(
                    due,
                    Event::Announced {
                        call,
                        queue,
                        position,
                        estimate,
                    },
                );
            }
            None => {
                // Not journalled: a skipped announcement changes nothing but this deadline,
                // which a replay recomputes on the same grid (see `Acd::replay`).
                let next = due.checked_add(cfg.every);
                let announce = next.map(|t| {
                    let id = self
                        .state
                        .timers
                        .arm(t, crate::timers::TimerKind::Announce(call));
                    (id, t)
                });
                if let Some(c) = self.state.calls.get_mut(&call) {
                    c.announce = announce;
                }
            }
        }
    }

    /// After the inputs of one step: callers leave queues whose last operator logged out
    /// (`leave_when_empty`), and the "callers without operators" warnings follow the state.
    pub(crate) fn settle(&mut self, now: Instant) {
        // Each round handles the queues touched by the last; overflow hops bound the rounds.
        for _ in 0..=usize::from(MAX_OVERFLOW_HOPS) + 1 {
            let mut dirty = std::mem::take(&mut self.dirty);
            if dirty.is_empty() {
                return;
            }
            dirty.sort_unstable();
            dirty.dedup();
            for qi in dirty {
                let queue = &self.state.queues[qi];
                if queue.logged_in == 0 && queue.cfg.leave_when_empty {
                    let leaving: Vec<CallId> = queue
                        .waiting
                        .values()
                        .copied()
                        .filter(|c| self.state.calls.get(c).is_some_and(|c| !c.callback))
                        .collect();
                    for call in leaving {
                        self.leave(now, call, ExitReason::Empty);
                    }
                }
                let queue = &self.state.queues[qi];
                let raise = queue.logged_in == 0 && !queue.waiting.is_empty();
                if raise != queue.warning {
                    let queue = queue.id.clone();
                    self.emit(
                        now,
                        Event::Warning {
                            queue,
                            kind: crate::WarningKind::CallersWithoutOperators,
                            raised: raise,
                        },
                    );
                }
            }
        }
        self.dirty.clear();
    }
}
