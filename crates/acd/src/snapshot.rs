//! The supervisor's view: per queue the callers waiting and their waits, the operators by
//! state, today's figures and service level; per operator the state and time in it.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::state::{OpState, Phase};
use crate::{
    Acd, CallId, DayStats, OperatorId, Pending, QueueId, ReasonCode, ServiceLevel, StatusKind,
    Strategy,
};

/// A consistent picture of the ACD at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    #[serde(skip)]
    pub at: Instant,
    pub queues: Vec<QueueView>,
    pub operators: Vec<OperatorView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueView {
    pub queue: QueueId,
    pub open: bool,
    pub strategy: Strategy,
    /// Waiting callers in service order (callbacks included).
    pub waiting: Vec<WaitingView>,
    /// Calls ringing an operator.
    pub offering: u32,
    /// Calls connected to an operator.
    pub connected: u32,
    /// The longest wait among waiting and ringing calls.
    pub oldest_wait: Option<Duration>,
    /// Operators logged in to the queue, by state.
    pub operators: StateCounts,
    pub logged_in: u32,
    pub staffed: u32,
    /// The "callers without operators" warning is raised.
    pub warning: bool,
    /// What a caller joining now would be told (`None`: unknown).
    pub estimate_now: Option<Duration>,
    pub mean_handle: Option<Duration>,
    pub today: DayStats,
    pub service_level: ServiceLevel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitingView {
    pub call: CallId,
    pub position: usize,
    /// Since the call first joined the ACD.
    pub waited: Duration,
    /// Since it joined this queue.
    pub in_queue: Duration,
    pub priority: u8,
    pub callback: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StateCounts {
    pub ready: u32,
    /// Ready but held off after a refused offer.
    pub held_off: u32,
    pub not_ready: u32,
    pub reserved: u32,
    pub on_call: u32,
    pub wrap_up: u32,
}

/// An operator's state with its instants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OperatorState {
    LoggedOut,
    Ready {
        #[serde(skip)]
        hold_off_until: Option<Instant>,
    },
    NotReady {
        reason: ReasonCode,
    },
    Reserved {
        call: CallId,
    },
    OnCall {
        call: CallId,
    },
    WrapUp {
        #[serde(skip)]
        until: Option<Instant>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperatorView {
    pub operator: OperatorId,
    pub state: OperatorState,
    pub kind: StatusKind,
    pub in_state: Duration,
    /// How long the operator has been idle (the longest-idle clock), when ready or reserved.
    pub idle: Option<Duration>,
    /// Logged-in queues with the skill in each.
    pub queues: Vec<(QueueId, u8)>,
    pub pending: Option<Pending>,
    pub answered_today: u64,
}

impl Acd {
    /// The supervisor's view at `now`. O(calls + operators × their queues).
    pub fn snapshot(&self, now: Instant) -> Snapshot {
        let st = &self.state;
        let mut queues: Vec<QueueView> = st
            .queues
            .iter()
            .map(|q| {
                let waiting: Vec<WaitingView> = q
                    .waiting
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (place, call))| {
                        let c = st.calls.get(call)?;
                        Some(WaitingView {
                            call: *call,
                            position: i + 1,
                            waited: now.saturating_duration_since(c.first_joined),
                            in_queue: now.saturating_duration_since(c.joined),
                            priority: place.0.0,
                            callback: c.callback,
                        })
                    })
                    .collect();
                let estimate_now = if q.ready.is_empty() {
                    q.estimator.estimate(q.waiting.len() + 1, q.staffed, now)
                } else {
                    Some(Duration::ZERO)
                };
                QueueView {
                    queue: q.id.clone(),
                    open: q.open,
                    strategy: q.cfg.strategy,
                    oldest_wait: waiting.iter().map(|w| w.waited).max(),
                    waiting,
                    offering: q.offering,
                    connected: q.connected,
                    operators: StateCounts::default(),
                    logged_in: q.logged_in,
                    staffed: q.staffed,
                    warning: q.warning,
                    estimate_now,
                    mean_handle: q.estimator.mean_handle(),
                    today: q.today,
                    service_level: q.today.service_level(&st.targets),
                }
            })
            .collect();
        for c in st.calls.values() {
            if matches!(c.phase, Phase::Offering { .. })
                && let Some(view) = queues.get_mut(c.queue)
            {
                let waited = now.saturating_duration_since(c.first_joined);
                view.oldest_wait = Some(view.oldest_wait.map_or(waited, |w| w.max(waited)));
            }
        }
        let operators = st
            .ops
            .iter()
            .map(|op| {
                for q in op.member.keys() {
                    let Some(view) = queues.get_mut(*q) else {
                        continue;
                    };
                    let counts = &mut view.operators;
                    match op.state {
                        OpState::Ready {
                            hold_off_until: None,
                        } => counts.ready += 1,
                        OpState::Ready { .. } => counts.held_off += 1,
                        OpState::NotReady { .. } => counts.not_ready += 1,
                        OpState::Reserved { .. } => counts.reserved += 1,
                        OpState::OnCall { .. } => counts.on_call += 1,
                        OpState::WrapUp { .. } => counts.wrap_up += 1,
                        OpState::LoggedOut => {}
                    }
                }
                self.operator_view(op, now)
            })
            .collect();
        Snapshot {
            at: now,
            queues,
            operators,
        }
    }

    /// One operator's view at `now`. O(their queues).
    pub fn operator(&self, operator: &OperatorId, now: Instant) -> Option<OperatorView> {
        let o = self.state.op_index(operator)?;
        Some(self.operator_view(&self.state.ops[o], now))
    }

    fn operator_view(&self, op: &crate::state::Operator, now: Instant) -> OperatorView {
        let st = &self.state;
        let state = match &op.state {
            OpState::LoggedOut => OperatorState::LoggedOut,
            OpState::Ready { hold_off_until } => OperatorState::Ready {
                hold_off_until: *hold_off_until,
            },
            OpState::NotReady { reason } => OperatorState::NotReady {
                reason: reason.clone(),
            },
            OpState::Reserved { call } => OperatorState::Reserved { call: *call },
            OpState::OnCall { call } => OperatorState::OnCall { call: *call },
            OpState::WrapUp { until } => OperatorState::WrapUp {
                until: Some(*until),
            },
        };
        OperatorView {
            operator: op.id.clone(),
            state,
            kind: op.state.kind(),
            in_state: now.saturating_duration_since(op.since),
            idle: op.ready_since.map(|r| now.saturating_duration_since(r)),
            queues: op
                .member
                .iter()
                .map(|(q, m)| (st.queues[*q].id.clone(), m.skill))
                .collect(),
            pending: op.pending.clone(),
            answered_today: op.answered_today,
        }
    }
}
