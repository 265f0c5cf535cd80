//! What the registrar remembers to resist attacks on digest authentication:
//!
//! - **Replay**: each nonce's highest nonce count (RFC 2617 3.2.2: "the server can detect
//!   request replays by maintaining its own copy of this count"); a nonce used without `qop`
//!   (no count) is single-use. A captured `Authorization` is therefore useless a second time,
//!   and since nonces are bound to the address they were issued to, useless from elsewhere.
//! - **Guessing**: failures per user and per source address in a sliding window; past the
//!   limit the user (or address) is locked out for a while, and every attempt meanwhile gets
//!   the same answer as a wrong password.
//!
//! Both tables are bounded: entries age out with the nonce lifetime and the failure window,
//! and when a table is full the oldest entries go first.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Most nonces whose counts are remembered at once.
pub(crate) const MAX_NONCES: usize = 65_536;
/// Most users and most addresses whose failures are remembered at once (each).
pub(crate) const MAX_FAILURE_KEYS: usize = 16_384;

/// Limits of the guessing guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures of one user within `window` before the user is locked out.
    pub max_failures_per_user: u32,
    /// Failures from one address within `window` before the address is locked out.
    pub max_failures_per_source: u32,
    pub window: Duration,
    /// How long a lockout lasts.
    pub lockout: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures_per_user: 5,
            max_failures_per_source: 20,
            window: Duration::from_secs(300),
            lockout: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    first_at: Instant,
    locked_until: Option<Instant>,
}

/// A bounded failure table keyed by user or by address.
#[derive(Debug)]
struct FailureTable<K> {
    entries: HashMap<K, Failures>,
}

impl<K: Eq + Hash + Clone> FailureTable<K> {
    fn new() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }

    fn locked(&self, key: &K, now: Instant) -> bool {
        self.entries
            .get(key)
            .and_then(|f| f.locked_until)
            .is_some_and(|until| now < until)
    }

    /// Counts a failure; returns whether this one started a lockout.
    fn fail(&mut self, key: K, now: Instant, max: u32, policy: &LockoutPolicy) -> bool {
        if self.entries.len() >= MAX_FAILURE_KEYS && !self.entries.contains_key(&key) {
            self.purge(now, policy);
            if self.entries.len() >= MAX_FAILURE_KEYS {
                // Still full: drop the entry whose window began longest ago.
                if let Some(oldest) = self
                    .entries
                    .iter()
                    .filter(|(_, f)| f.locked_until.is_none())
                    .min_by_key(|(_, f)| f.first_at)
                    .map(|(k, _)| k.clone())
                {
                    self.entries.remove(&oldest);
                }
            }
        }
        let entry = self.entries.entry(key).or_insert(Failures {
            count: 0,
            first_at: now,
            locked_until: None,
        });
        if now.saturating_duration_since(entry.first_at) > policy.window {
            *entry = Failures {
                count: 0,
                first_at: now,
                locked_until: None,
            };
        }
        entry.count += 1;
        if entry.count >= max && entry.locked_until.is_none_or(|u| now >= u) {
            entry.locked_until = Some(now + policy.lockout);
            return true;
        }
        false
    }

    fn clear(&mut self, key: &K) {
        self.entries.remove(key);
    }

    fn purge(&mut self, now: Instant, policy: &LockoutPolicy) {
        self.entries.retain(|_, f| {
            f.locked_until.is_some_and(|u| now < u)
                || now.saturating_duration_since(f.first_at) <= policy.window
        });
    }
}

#[derive(Debug)]
pub(crate) struct AuthGuard {
    policy: LockoutPolicy,
    users: FailureTable<String>,
    sources: FailureTable<IpAddr>,
    /// Nonce → (highest count seen, when first seen).
    nonces: HashMap<String, (u32, Instant)>,
    last_purge: Option<Instant>,
}

impl AuthGuard {
    pub(crate) fn new(policy: LockoutPolicy) -> Self {
        Self {
            policy,
            users: FailureTable::new(),
            sources: FailureTable::new(),
            nonces: HashMap::new(),
            last_purge: None,
        }
    }

    /// Whether the user or the address is locked out at `now`.
    pub(crate) fn locked(&self, user: &str, source: IpAddr, now: Instant) -> bool {
        self.users.locked(&user.to_owned(), now) || self.sources.locked(&source, now)
    }

    /// A wrong password: returns whether it started a lockout.
    pub(crate) fn failed(&mut self, user: &str, source: IpAddr, now: Instant) -> bool {
        let p = self.policy;
        let user_locked = self
            .users
            .fail(user.to_owned(), now, p.max_failures_per_user, &p);
        let source_locked = self
            .sources
            .fail(source, now, p.max_failures_per_source, &p);
        user_locked || source_locked
    }

    pub(crate) fn succeeded(&mut self, user: &str) {
        self.users.clear(&user.to_owned());
    }

    /// Whether `count` (`None`: no qop) is new for `nonce`; records it if so.
    pub(crate) fn fresh_use(&mut self, nonce: &str, count: Option<u32>, now: Instant) -> bool {
        let count = count.unwrap_or(0);
        match self.nonces.get_mut(nonce) {
            // Without qop there is no count: a nonce serves once.
            Some((highest, _)) if count == 0 || count <= *highest => false,
            Some((highest, _)) => {
                *highest = count;
                true
            }
            None => {
                if self.nonces.len() >= MAX_NONCES {
                    // Full (never expected: only successful authentications are kept):
                    // forget the oldest, whose nonce is the closest to going stale anyway.
                    if let Some(oldest) = self
                        .nonces
                        .iter()
                        .min_by_key(|(_, (_, at))| *at)
                        .map(|(n, _)| n.clone())
                    {
                        self.nonces.remove(&oldest);
                    }
                }
                self.nonces.insert(nonce.to_owned(), (count, now));
                true
            }
        }
    }

    /// Forgets what has aged out; cheap to call often (works at most every 10 s).
    pub(crate) fn purge(&mut self, now: Instant, nonce_lifetime: Duration) {
        if self
            .last_purge
            .is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(10))
        {
            return;
        }
        self.last_purge = Some(now);
        self.nonces
            .retain(|_, (_, at)| now.saturating_duration_since(*at) <= nonce_lifetime * 2);
        let p = self.policy;
        self.users.purge(now, &p);
        self.sources.purge(now, &p);
    }

    #[cfg(test)]
    pub(crate) fn sizes(&self) -> (usize, usize, usize) {
        (
            self.users.entries.len(),
            self.sources.entries.len(),
            self.nonces.len(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_user_for_the_lockout_period() {
        let t0 = Instant::now();
        let mut guard = AuthGuard::new(LockoutPolicy::default());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for n in 0..4 {
            assert!(!guard.failed("1001", ip, t0 + Duration::from_secs(n)));
        }
        assert!(!guard.locked("1001", ip, t0));
        assert!(guard.failed("1001", ip, t0 + Duration::from_secs(5)));
        assert!(guard.locked("1001", ip, t0 + Duration::from_secs(6)));
        assert!(
            !guard.locked("1002", ip, t0 + Duration::from_secs(6)),
            "other users go on"
        );
        assert!(!guard.locked("1001", ip, t0 + Duration::from_secs(306)));
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let t0 = Instant::now();
        let mut guard = AuthGuard::new(LockoutPolicy::default());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for n in 0..10u64 {
            guard.failed("1001", ip, t0 + Duration::from_secs(n * 100));
        }
        assert!(!guard.locked("1001", ip, t0 + Duration::from_secs(1000)));
    }

    #[test]
    fn an_address_guessing_many_users_is_locked_out() {
        let t0 = Instant::now();
        let mut guard = AuthGuard::new(LockoutPolicy::default());
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        for n in 0..20 {
            guard.failed(&format!("u{n}"), ip, t0);
        }
        assert!(guard.locked("anyone", ip, t0));
        assert!(!guard.locked("anyone", "192.0.2.8".parse().unwrap(), t0));
    }

    #[test]
    fn nonce_counts_must_grow_and_countless_nonces_serve_once() {
        let t0 = Instant::now();
        let mut guard = AuthGuard::new(LockoutPolicy::default());
        assert!(guard.fresh_use("n1", Some(1), t0));
        assert!(!guard.fresh_use("n1", Some(1), t0), "replay");
        assert!(guard.fresh_use("n1", Some(2), t0));
        assert!(guard.fresh_use("n2", None, t0));
        assert!(!guard.fresh_use("n2", None, t0));
        guard.purge(t0 + Duration::from_secs(3600), Duration::from_secs(300));
        assert_eq!(guard.sizes().2, 0, "old nonces are forgotten");
    }

    #[test]
    fn the_tables_stay_bounded_under_a_flood_of_names() {
        let t0 = Instant::now();
        let mut guard = AuthGuard::new(LockoutPolicy {
            max_failures_per_source: u32::MAX,
            ..LockoutPolicy::default()
        });
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        for n in 0..(MAX_FAILURE_KEYS + 500) {
            guard.failed(&format!("user{n}"), ip, t0);
        }
        assert!(guard.sizes().0 <= MAX_FAILURE_KEYS);
    }
}
