//! The ACD live, for supervisors and the operators' desks: the driver takes a snapshot of the
//! ACD whenever it changed (at most every [`MIN_INTERVAL`]) and at least every
//! [`MAX_INTERVAL`], and [`publish`] sends the latest one to the CRM. Not durable, and not
//! meant to be: a view lost while the CRM is away is replaced by the next one; the journal
//! is the record.

use std::time::Duration;

use call_control::acd::{self, OperatorState, Snapshot};
use cti_proto::CtiClient;
use tokio::sync::watch;
use tracing::debug;

/// A changed ACD is published at most this often.
pub const MIN_INTERVAL: Duration = Duration::from_millis(250);
/// An unchanged ACD is published this often all the same (waits grow; supervisors see the
/// engine is alive).
pub const MAX_INTERVAL: Duration = Duration::from_secs(1);

/// Waiting callers listed per queue (all are counted).
pub const MAX_WAITING_LISTED: usize = 100;

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn strategy(s: acd::Strategy) -> &'static str {
    match s {
        acd::Strategy::LongestIdle => "longest_idle",
        acd::Strategy::RingAll => "ring_all",
        acd::Strategy::RoundRobin => "round_robin",
        acd::Strategy::FewestCalls => "fewest_calls",
        acd::Strategy::Skills => "skills",
    }
}

/// The wire form of `snapshot`, taken at `at_unix_ms` by engine `node`.
pub fn live_view(node: &str, at_unix_ms: i64, snapshot: &Snapshot) -> cti_proto::LiveView {
    let queues = snapshot
        .queues
        .iter()
        .map(|q| {
            let answered = q.today.answered;
            cti_proto::QueueLive {
                name: q.queue.0.clone(),
                open: q.open,
                strategy: strategy(q.strategy).into(),
                waiting_count: u32::try_from(q.waiting.len()).unwrap_or(u32::MAX),
                waiting: q
                    .waiting
                    .iter()
                    .take(MAX_WAITING_LISTED)
                    .map(|w| cti_proto::WaitingCaller {
                        position: u32::try_from(w.position).unwrap_or(u32::MAX),
                        waited_ms: ms(w.waited),
                        callback: w.callback,
                        priority: u32::from(w.priority),
                    })
                    .collect(),
                offering: q.offering,
                connected: q.connected,
                oldest_wait_ms: q.oldest_wait.map(ms),
                operators: Some(cti_proto::OperatorCounts {
                    ready: q.operators.ready,
                    held_off: q.operators.held_off,
                    not_ready: q.operators.not_ready,
                    reserved: q.operators.reserved,
                    on_call: q.operators.on_call,
                    wrap_up: q.operators.wrap_up,
                }),
                logged_in: q.logged_in,
                staffed: q.staffed,
                warning: q.warning,
                estimate_ms: q.estimate_now.map(ms),
                today: Some(cti_proto::DayFigures {
                    joined: q.today.joined,
                    answered,
                    answered_on_time: q.today.answered_on_time,
                    answered_late: q.today.answered_late,
                    abandoned: q.today.abandoned,
                    left: q.today.left,
                    refused: q.today.refused,
                    callbacks_requested: q.today.callbacks_requested,
                    longest_answer_wait_ms: ms(q.today.longest_answer_wait),
                    mean_answer_wait_ms: q.service_level.mean_answer_wait.map(ms),
                }),
                service_level: Some(cti_proto::ServiceLevel {
                    on_time_share: q.service_level.on_time_share,
                    abandoned_share: q.service_level.abandoned_share,
                    meets_targets: q.service_level.meets_targets,
                }),
            }
        })
        .collect();
    let operators = snapshot
        .operators
        .iter()
        .map(|o| {
            let (state, reason) = match &o.state {
                OperatorState::LoggedOut => ("logged_out", None),
                OperatorState::Ready { .. } => ("ready", None),
                OperatorState::NotReady { reason } => {
                    ("not_ready", Some(reason.as_str().to_owned()))
                }
                OperatorState::Reserved { .. } => ("reserved", None),
                OperatorState::OnCall { .. } => ("on_call", None),
                OperatorState::WrapUp { .. } => ("wrap_up", None),
            };
            cti_proto::OperatorLive {
                operator: o.operator.0.clone(),
                state: state.into(),
                reason,
                in_state_ms: ms(o.in_state),
                idle_ms: o.idle.map(ms),
                queues: o.queues.iter().map(|(q, _)| q.0.clone()).collect(),
                answered_today: o.answered_today,
            }
        })
        .collect();
    cti_proto::LiveView {
        node: node.to_owned(),
        at_unix_ms,
        queues,
        operators,
    }
}

/// Sends each new view to the CRM until `views` closes (the engine stopped). A view that
/// cannot be sent is dropped: the next one replaces it.
pub async fn publish(client: CtiClient, mut views: watch::Receiver<Option<cti_proto::LiveView>>) {
    while views.changed().await.is_ok() {
        // Cloned out first: a watch guard must not live across an await.
        let view = views.borrow_and_update().clone();
        if let Some(view) = view
            && let Err(status) = client.publish_live_view(view).await
        {
            debug!(code = ?status.code(), "live view not delivered (the next one replaces it)");
        }
    }
}
