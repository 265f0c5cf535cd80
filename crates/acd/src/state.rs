//! The ACD's state: queues, operators and calls, with the indexes that keep every routing
//! decision logarithmic. Only [`State::apply`] (in `apply.rs`) changes it, one journal entry at
//! a time, which is what makes the journal replayable.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use crate::estimate::Estimator;
use crate::report::DayStats;
use crate::timers::{TimerId, TimerKind, Timers};
use crate::{
    AcdConfig, CallId, OfferKind, OperatorId, OperatorProfile, Pending, QueueConfig, QueueId,
    ReasonCode, ServiceTargets, StatusKind, Strategy,
};

/// A waiting call's place in its queue: priority class first (higher is served first), then
/// arrival order in the ACD (kept through ring-no-answer and overflow).
pub(crate) type Place = (Reverse<u8>, u64);

/// An available operator in a queue's ready index, best first: the strategy's rank (0 for
/// longest idle; 100 − skill; calls answered today; round-robin seat), then ready since, then
/// login order, then the operator's index. `since` is an `Option` only so that a range can
/// start below every instant (`None` sorts first); stored keys always hold `Some`.
pub(crate) type ReadyKey = (u64, Option<Instant>, u64, usize);

#[derive(Debug)]
pub(crate) struct Queue {
    pub id: QueueId,
    pub cfg: QueueConfig,
    pub open: bool,
    /// Calls waiting (callbacks included), in service order. A call being offered is not here.
    pub waiting: BTreeMap<Place, CallId>,
    /// Logged-in operators who are ready and not held off.
    pub ready: BTreeSet<ReadyKey>,
    pub logged_in: u32,
    /// Logged in and not "not ready": ready, reserved, on a call or in wrap-up.
    pub staffed: u32,
    pub offering: u32,
    pub connected: u32,
    /// Round robin: the seat last offered a call.
    pub rr_last: Option<u64>,
    pub next_seat: u64,
    pub warning: bool,
    pub estimator: Estimator,
    pub today: DayStats,
}

#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub skill: u8,
    /// Calls of this queue answered today (the `fewest_calls` rank).
    pub answered: u64,
    /// Round-robin order: when the operator logged in to the queue.
    pub seat: u64,
    /// The key under which the operator sits in the queue's ready index, if it does.
    pub key: Option<ReadyKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpState {
    LoggedOut,
    Ready { hold_off_until: Option<Instant> },
    NotReady { reason: ReasonCode },
    Reserved { call: CallId },
    OnCall { call: CallId },
    WrapUp { until: Instant },
}

impl OpState {
    pub(crate) fn kind(&self) -> StatusKind {
        match self {
            OpState::LoggedOut => StatusKind::LoggedOut,
            OpState::Ready { .. } => StatusKind::Ready,
            OpState::NotReady { .. } => StatusKind::NotReady,
            OpState::Reserved { .. } => StatusKind::Reserved,
            OpState::OnCall { .. } => StatusKind::OnCall,
            OpState::WrapUp { .. } => StatusKind::WrapUp,
        }
    }

    /// Counts toward the staffed operators of its queues (the wait estimate's divisor).
    pub(crate) fn staffed(&self) -> bool {
        !matches!(self, OpState::LoggedOut | OpState::NotReady { .. })
    }
}

#[derive(Debug)]
pub(crate) struct Operator {
    pub id: OperatorId,
    /// Queues the operator may log in to, with the skill for each.
    pub profile: BTreeMap<usize, u8>,
    /// Queues the operator is logged in to.
    pub member: BTreeMap<usize, Member>,
    pub state: OpState,
    /// When the current state began.
    pub since: Instant,
    /// Longest-idle clock: set on becoming ready, kept while reserved.
    pub ready_since: Option<Instant>,
    /// Tie-break between equal instants: profile creation order.
    pub order: u64,
    pub pending: Option<Pending>,
    /// Wrap-up end or hold-off end.
    pub timer: Option<TimerId>,
    /// The queue of the last call connected (its wrap-up settings apply).
    pub last_queue: Option<usize>,
    pub answered_today: u64,
}

impl Operator {
    pub(crate) fn available(&self) -> bool {
        matches!(
            self.state,
            OpState::Ready {
                hold_off_until: None
            }
        ) && !self.member.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    Waiting,
    Offering {
        operators: Vec<usize>,
        kind: OfferKind,
    },
    Connected {
        operator: usize,
        since: Instant,
        kind: OfferKind,
    },
    /// Between leaving one queue and joining the next (within one input).
    Moving,
}

#[derive(Debug)]
pub(crate) struct Call {
    pub queue: usize,
    pub place: Place,
    /// When the call first joined the ACD (reports measure waits from here).
    pub first_joined: Instant,
    /// When it joined its current queue (maximum wait and announcements count from here).
    pub joined: Instant,
    pub hops: u8,
    pub callback: bool,
    pub phase: Phase,
    pub ring_timer: Option<TimerId>,
    pub max_wait_timer: Option<TimerId>,
    /// The next announcement: its timer and instant.
    pub announce: Option<(TimerId, Instant)>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub ageing_bound: Duration,
    pub targets: ServiceTargets,
    pub queues: Vec<Queue>,
    pub queue_ix: HashMap<QueueId, usize>,
    pub ops: Vec<Operator>,
    pub op_ix: HashMap<OperatorId, usize>,
    pub calls: HashMap<CallId, Call>,
    pub timers: Timers,
    pub next_place: u64,
    pub next_order: u64,
    pub last_at: Option<Instant>,
    pub day_started: Option<Instant>,
}

impl State {
    /// The state of a config, before any event. `origin`: the instant operators of the config
    /// count as logged out since.
    pub(crate) fn new(config: &AcdConfig, origin: Instant) -> State {
        let queue_ix: HashMap<QueueId, usize> = config
            .queues
            .iter()
            .enumerate()
            .map(|(i, q)| (q.name.clone(), i))
            .collect();
        let queues = config
            .queues
            .iter()
            .map(|q| Queue {
                id: q.name.clone(),
                cfg: q.clone(),
                open: q.open,
                waiting: BTreeMap::new(),
                ready: BTreeSet::new(),
                logged_in: 0,
                staffed: 0,
                offering: 0,
                connected: 0,
                rr_last: None,
                next_seat: 0,
                warning: false,
                estimator: Estimator::default(),
                today: DayStats::default(),
            })
            .collect();
        let mut state = State {
            ageing_bound: config.ageing_bound,
            targets: config.targets,
            queues,
            queue_ix,
            ops: Vec::new(),
            op_ix: HashMap::new(),
            calls: HashMap::new(),
            timers: Timers::default(),
            next_place: 0,
            next_order: 0,
            last_at: None,
            day_started: None,
        };
        for p in &config.operators {
            state.set_profile(p, origin);
        }
        state
    }

    pub(crate) fn queue_index(&self, q: &QueueId) -> Option<usize> {
        self.queue_ix.get(q).copied()
    }

    pub(crate) fn op_index(&self, o: &OperatorId) -> Option<usize> {
        self.op_ix.get(o).copied()
    }

    /// Creates or replaces a profile. Queues the operator is logged in to but that the new
    /// profile lacks must have been logged out first (the caller's job).
    pub(crate) fn set_profile(&mut self, p: &OperatorProfile, at: Instant) {
        let profile: BTreeMap<usize, u8> = p
            .queues
            .iter()
            .filter_map(|m| self.queue_index(&m.queue).map(|q| (q, m.skill)))
            .collect();
        let o = match self.op_index(&p.id) {
            Some(o) => o,
            None => {
                self.next_order += 1;
                self.ops.push(Operator {
                    id: p.id.clone(),
                    profile: BTreeMap::new(),
                    member: BTreeMap::new(),
                    state: OpState::LoggedOut,
                    since: at,
                    ready_since: None,
                    order: self.next_order,
                    pending: None,
                    timer: None,
                    last_queue: None,
                    answered_today: 0,
                });
                self.op_ix.insert(p.id.clone(), self.ops.len() - 1);
                self.ops.len() - 1
            }
        };
        self.unindex(o);
        let op = &mut self.ops[o];
        for (q, m) in op.member.iter_mut() {
            if let Some(skill) = profile.get(q) {
                m.skill = *skill;
            }
        }
        op.profile = profile;
        self.index(o);
    }

    /// Takes the operator out of every ready index.
    pub(crate) fn unindex(&mut self, o: usize) {
        let Some(op) = self.ops.get_mut(o) else {
            return;
        };
        for (q, m) in op.member.iter_mut() {
            if let Some(key) = m.key.take()
                && let Some(queue) = self.queues.get_mut(*q)
            {
                queue.ready.remove(&key);
            }
        }
    }

    /// Puts an available operator in the ready index of each of its queues.
    pub(crate) fn index(&mut self, o: usize) {
        let Some(op) = self.ops.get_mut(o) else {
            return;
        };
        if !op.available() {
            return;
        }
        let since = op.ready_since.unwrap_or(op.since);
        for (q, m) in op.member.iter_mut() {
            let Some(queue) = self.queues.get_mut(*q) else {
                continue;
            };
            let rank = match queue.cfg.strategy {
                Strategy::LongestIdle | Strategy::RingAll => 0,
                Strategy::Skills => 100u64.saturating_sub(u64::from(m.skill)),
                Strategy::FewestCalls => m.answered,
                Strategy::RoundRobin => m.seat,
            };
            let key = (rank, Some(since), op.order, o);
            if let Some(old) = m.key.replace(key) {
                queue.ready.remove(&old);
            }
            queue.ready.insert(key);
        }
    }

    /// Whether a popped timer entry is still its owner's current one.
    pub(crate) fn timer_current(&self, id: TimerId, kind: TimerKind) -> bool {
        match kind {
            TimerKind::Ring(c) => self.calls.get(&c).is_some_and(|c| c.ring_timer == Some(id)),
            TimerKind::MaxWait(c) => self
                .calls
                .get(&c)
                .is_some_and(|c| c.max_wait_timer == Some(id)),
            TimerKind::Announce(c) => self
                .calls
                .get(&c)
                .is_some_and(|c| c.announce.is_some_and(|(t, _)| t == id)),
            TimerKind::Operator(o) => self.ops.get(o).is_some_and(|o| o.timer == Some(id)),
        }
    }

    /// Drops stale entries from the top of the heap, so that its top is a live deadline.
    pub(crate) fn prune_timers(&mut self) {
        while let Some((_, id, kind)) = self.timers.peek() {
            if self.timer_current(id, kind) {
                break;
            }
            self.timers.pop();
        }
    }

    /// 1-based position of a waiting call in its queue: O(position).
    pub(crate) fn position(&self, call: CallId) -> Option<usize> {
        let c = self.calls.get(&call)?;
        if c.phase != Phase::Waiting {
            return None;
        }
        let q = self.queues.get(c.queue)?;
        Some(q.waiting.range(..c.place).count() + 1)
    }

    /// After a replay: announcements whose instant has passed move to the next point of their
    /// grid (`joined + k × interval`) after `last`, where the live ACD had put them.
    pub(crate) fn regrid_announcements(&mut self, last: Instant) {
        let mut ids: Vec<CallId> = self.calls.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let Some(c) = self.calls.get(&id) else {
                continue;
            };
            let Some((_, next)) = c.announce else {
                continue;
            };
            let Some(every) = self.queues[c.queue].cfg.announce.as_ref().map(|a| a.every) else {
                continue;
            };
            if next > last || every.is_zero() {
                continue;
            }
            let since = last.saturating_duration_since(c.joined).as_nanos();
            let k = since / every.as_nanos() + 1;
            let Ok(k) = u32::try_from(k) else {
                continue;
            };
            let Some(at) = every.checked_mul(k).and_then(|d| c.joined.checked_add(d)) else {
                continue;
            };
            let timer = self.timers.arm(at, TimerKind::Announce(id));
            if let Some(c) = self.calls.get_mut(&id) {
                c.announce = Some((timer, at));
            }
        }
    }
}
