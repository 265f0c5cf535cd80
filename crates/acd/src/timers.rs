//! Deadlines of every call and operator in one binary heap: the next one is a peek, arming one
//! is O(log n), whatever the number of calls and operators (never a scan).
//!
//! Entries are not removed in place. Each owner (a call's ring timeout, maximum wait and next
//! announcement, an operator's wrap-up or hold-off end) remembers the id of its current entry;
//! an entry whose id is no longer its owner's is stale and dropped when it reaches the top
//! ("lazy deletion"). The ACD prunes stale tops after every input, so that
//! [`crate::Acd::poll_timeout`] is an exact O(1) peek.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::CallId;

/// Identifies one armed entry; unique for the life of the ACD.
pub(crate) type TimerId = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKind {
    Ring(CallId),
    MaxWait(CallId),
    Announce(CallId),
    /// Wrap-up end or hold-off end, by operator index.
    Operator(usize),
}

#[derive(Debug, Default)]
pub(crate) struct Timers {
    /// Ordered by instant, then kind and owner (so that equal instants fire in the same order
    /// live and after a replay), then id.
    heap: BinaryHeap<Reverse<(Instant, TimerKind, TimerId)>>,
    next_id: TimerId,
}

impl Timers {
    pub(crate) fn arm(&mut self, at: Instant, kind: TimerKind) -> TimerId {
        self.next_id += 1;
        self.heap.push(Reverse((at, kind, self.next_id)));
        self.next_id
    }

    pub(crate) fn peek(&self) -> Option<(Instant, TimerId, TimerKind)> {
        self.heap
            .peek()
            .map(|Reverse((at, kind, id))| (*at, *id, *kind))
    }

    pub(crate) fn pop(&mut self) -> Option<(Instant, TimerId, TimerKind)> {
        self.heap
            .pop()
            .map(|Reverse((at, kind, id))| (at, id, kind))
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn earliest_first_then_by_owner() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        let late = timers.arm(t0 + Duration::from_secs(5), TimerKind::Operator(1));
        let b = timers.arm(t0, TimerKind::Ring(CallId(2)));
        let a = timers.arm(t0, TimerKind::Ring(CallId(1)));
        assert_eq!(timers.pop().map(|e| e.1), Some(a));
        assert_eq!(timers.pop().map(|e| e.1), Some(b));
        assert_eq!(timers.peek().map(|e| e.1), Some(late));
        assert_eq!(timers.len(), 1);
    }
}
