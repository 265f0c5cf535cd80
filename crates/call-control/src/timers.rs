//! Deadlines of every call in one binary heap, so that finding the next one costs O(1) and
//! arming one O(log n), whatever the number of calls (a scan over every call would grow with
//! the square of the load).
//!
//! Entries are never removed in place: a call that re-arms or disarms a timer leaves its old
//! entry behind, and the owner checks, when an entry pops, that the deadline is still the
//! call's current one ("lazy deletion"). Stale entries cost at most one early wake-up each and
//! are gone once their instant passes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

#[derive(Debug)]
pub(crate) struct Deadlines<K: Ord> {
    heap: BinaryHeap<Reverse<(Instant, u64, K)>>,
    /// Insertion order, so that equal instants pop first-armed first.
    seq: u64,
}

impl<K: Ord + Copy> Deadlines<K> {
    pub(crate) fn new() -> Self {
        Self {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }

    pub(crate) fn arm(&mut self, at: Instant, key: K) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, key)));
    }

    /// The earliest armed instant (possibly of a stale entry).
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Removes and returns the entries due at `now`, earliest first.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Vec<(Instant, K)> {
        let mut due = Vec::new();
        while let Some(Reverse((at, _, key))) = self.heap.peek().copied() {
            if at > now {
                break;
            }
            self.heap.pop();
            due.push((at, key));
        }
        due
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn pops_due_entries_in_order_and_keeps_later_ones() {
        let t0 = Instant::now();
        let mut d = Deadlines::new();
        d.arm(t0 + Duration::from_secs(3), 3u32);
        d.arm(t0 + Duration::from_secs(1), 1);
        d.arm(t0 + Duration::from_secs(2), 2);
        d.arm(t0 + Duration::from_secs(1), 11);
        assert_eq!(d.next(), Some(t0 + Duration::from_secs(1)));
        let due: Vec<u32> = d
            .pop_due(t0 + Duration::from_secs(2))
            .into_iter()
            .map(|(_, k)| k)
            .collect();
        assert_eq!(due, vec![1, 11, 2]);
        assert_eq!(d.next(), Some(t0 + Duration::from_secs(3)));
        assert_eq!(d.len(), 1);
        assert!(d.pop_due(t0).is_empty());
    }
}
