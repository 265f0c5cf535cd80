//! Agent selection: a pure function over a snapshot of waiting calls and free agents.

use std::collections::HashSet;
use std::time::Instant;

use crate::{AgentId, CallId};

/// A call waiting in a queue, as seen by [`assign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingCall {
    pub call: CallId,
    /// Index of the queue in [`crate::AcdConfig::queues`].
    pub queue: usize,
    /// When the call entered the queue (kept when an offer fails and the call goes back).
    pub arrived: Instant,
}

/// An agent ready for a call, as seen by [`assign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeAgent {
    pub agent: AgentId,
    /// Indexes of the queues the agent serves.
    pub queues: Vec<usize>,
    /// Since when the agent has been idle.
    pub idle_since: Instant,
}

/// Pairs waiting calls with free agents (seed 001, section 5.4):
///
/// * calls are taken in arrival order across all queues (FIFO within each queue, and an agent
///   who serves several queues takes the call that has waited longest among them);
/// * each call goes to the eligible agent (one serving its queue) idle the longest;
/// * an agent gets at most one call, a call at most one agent;
/// * work-conserving: no call is left waiting while a free agent serves its queue.
///
/// Ties (same `arrived`, same `idle_since`) keep slice order. Duplicate ids in the input are
/// ignored after their first pairing. Returns the pairs in the order the calls were served.
pub fn assign(waiting: &[WaitingCall], free: &[FreeAgent]) -> Vec<(CallId, AgentId)> {
    if waiting.is_empty() || free.is_empty() {
        return Vec::new();
    }
    let mut calls: Vec<&WaitingCall> = waiting.iter().collect();
    calls.sort_by_key(|c| c.arrived); // stable: ties keep slice order
    let mut agents: Vec<&FreeAgent> = free.iter().collect();
    agents.sort_by_key(|a| a.idle_since);

    let mut taken = vec![false; agents.len()];
    let mut busy_agents: HashSet<&AgentId> = HashSet::new();
    let mut served_calls: HashSet<CallId> = HashSet::new();
    // Queues with no eligible free agent left: later calls of theirs are skipped quickly.
    let mut exhausted: HashSet<usize> = HashSet::new();
    let mut left = agents.len();
    let mut pairs = Vec::new();
    for call in calls {
        if left == 0 {
            break;
        }
        if exhausted.contains(&call.queue) || served_calls.contains(&call.call) {
            continue;
        }
        let longest_idle_eligible = agents.iter().enumerate().position(|(i, a)| {
            !taken[i] && a.queues.contains(&call.queue) && !busy_agents.contains(&a.agent)
        });
        match longest_idle_eligible {
            Some(i) => {
                taken[i] = true;
                left -= 1;
                busy_agents.insert(&agents[i].agent);
                served_calls.insert(call.call);
                pairs.push((call.call, agents[i].agent.clone()));
            }
            None => {
                exhausted.insert(call.queue);
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn longest_idle_agent_gets_the_oldest_call() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let waiting = [
            WaitingCall {
                call: CallId(2),
                queue: 0,
                arrived: t0 + s(5),
            },
            WaitingCall {
                call: CallId(1),
                queue: 1,
                arrived: t0 + s(1),
            },
        ];
        let free = [
            FreeAgent {
                agent: AgentId::from("anna"),
                queues: vec![0, 1],
                idle_since: t0 + s(3),
            },
            FreeAgent {
                agent: AgentId::from("bruno"),
                queues: vec![0, 1],
                idle_since: t0,
            },
        ];
        assert_eq!(
            assign(&waiting, &free),
            vec![
                (CallId(1), AgentId::from("bruno")),
                (CallId(2), AgentId::from("anna"))
            ]
        );
        assert_eq!(assign(&waiting, &[]), vec![]);
    }
}
