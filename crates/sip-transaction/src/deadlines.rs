//! Deadlines of every transaction in one heap, so that finding the next costs O(1) and the
//! endpoint never scans all its transactions (which grows with the square of the load).
//!
//! The transaction tables note which transactions were touched ([`Tracked`]); after each
//! input the endpoint re-arms those ([`Endpoint::rearm`](crate::Endpoint)). Old entries are
//! not removed: when one pops, the endpoint fires only what is due by the transaction's own
//! deadlines ("lazy deletion"), so a stale entry costs at most one early wake-up.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::Instant;

use crate::endpoint::{ClientTxId, ServerTxId};

/// A transaction, as the heap knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TxRef {
    Server(ServerTxId),
    Client(ClientTxId),
}

#[derive(Debug, Default)]
pub(crate) struct DeadlineHeap {
    heap: BinaryHeap<Reverse<(Instant, TxRef)>>,
}

impl DeadlineHeap {
    pub(crate) fn arm(&mut self, at: Instant, tx: TxRef) {
        self.heap.push(Reverse((at, tx)));
    }

    /// The earliest armed instant (possibly of a stale entry).
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// The transactions with an entry due at `now`, each once, in deadline order.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Vec<TxRef> {
        let mut due: Vec<TxRef> = Vec::new();
        while let Some(Reverse((at, tx))) = self.heap.peek().copied() {
            if at > now {
                break;
            }
            self.heap.pop();
            if !due.contains(&tx) {
                due.push(tx);
            }
        }
        due
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

/// A transaction table that remembers which entries were handed out for change.
#[derive(Debug)]
pub(crate) struct Tracked<K: Ord + Copy, V> {
    map: BTreeMap<K, V>,
    touched: Vec<K>,
}

impl<K: Ord + Copy, V> Default for Tracked<K, V> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            touched: Vec::new(),
        }
    }
}

impl<K: Ord + Copy, V> Tracked<K, V> {
    pub(crate) fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k)
    }

    pub(crate) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.touched.push(*k);
        self.map.get_mut(k)
    }

    pub(crate) fn insert(&mut self, k: K, v: V) {
        self.touched.push(k);
        self.map.insert(k, v);
    }

    pub(crate) fn remove(&mut self, k: &K) -> Option<V> {
        self.map.remove(k)
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// The keys touched since the last call, each once.
    pub(crate) fn take_touched(&mut self) -> Vec<K> {
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort();
        touched.dedup();
        touched
    }
}
