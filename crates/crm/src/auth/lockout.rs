//! Failed logins, counted per login and per source address, lock further attempts for a
//! while. Sans-IO: the time (Unix ms from the CRM's clock) is a parameter.
//!
//! Each attempt is bracketed: [`Lockout::begin`] before the password is checked, then
//! [`Lockout::finish`] with what happened. Attempts in flight count against the limit, so that
//! parallel guesses cannot slip past it while the slow hashes run. Unknown logins are counted
//! and locked exactly like real ones: a lockout says nothing about whether a login exists.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

/// How many failures lock what, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures of one login before it is locked (0: never).
    pub max_failures_per_login: u32,
    /// Failures from one source address, whatever the login, before it is locked (0: never;
    /// behind a reverse proxy every client has the proxy's address).
    pub max_failures_per_address: u32,
    /// How long a lock lasts.
    pub lockout: Duration,
    /// Failures older than this are forgotten.
    pub window: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures_per_login: 5,
            max_failures_per_address: 20,
            lockout: Duration::from_secs(5 * 60),
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Most logins and addresses remembered at once: a flood of made-up logins cannot make the
/// table grow without bound.
const MAX_ENTRIES: usize = 100_000;

/// How long to wait when the limit is taken by attempts still being checked.
const IN_FLIGHT_RETRY_MS: i64 = 1_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Login(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Default)]
struct Entry {
    failures: u32,
    first_failure_at: i64,
    locked_until: Option<i64>,
    in_flight: u32,
}

impl Entry {
    /// Forgets an expired lock and failures outside the window.
    fn refresh(&mut self, now: i64, window_ms: i64) {
        if self.locked_until.is_some_and(|until| until <= now) {
            self.locked_until = None;
            self.failures = 0;
        }
        if self.failures > 0 && self.first_failure_at + window_ms <= now {
            self.failures = 0;
        }
    }

    fn is_idle(&self) -> bool {
        self.failures == 0 && self.locked_until.is_none() && self.in_flight == 0
    }
}

/// Why an attempt may not go ahead, and when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    pub retry_after_ms: i64,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
    /// Not checked after all (the store failed, the client went away).
    Abandoned,
}

/// What [`Lockout::finish`] locked because of a failure, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NewLocks {
    pub login: bool,
    pub address: bool,
}

/// The failure counts.
#[derive(Debug)]
pub struct Lockout {
    policy: LockoutPolicy,
    entries: HashMap<Key, Entry>,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Lockout {
    pub fn new(policy: LockoutPolicy) -> Self {
        Self {
            policy,
            entries: HashMap::new(),
        }
    }

    fn keys(&self, login: &str, address: IpAddr) -> Vec<(Key, u32)> {
        let mut keys = Vec::with_capacity(2);
        if self.policy.max_failures_per_login > 0 {
            keys.push((
                Key::Login(login.to_owned()),
                self.policy.max_failures_per_login,
            ));
        }
        if self.policy.max_failures_per_address > 0 {
            keys.push((Key::Address(address), self.policy.max_failures_per_address));
        }
        keys
    }

    /// Starts an attempt, unless the login or the address is locked (or its remaining
    /// attempts are all being checked right now).
    pub fn begin(&mut self, login: &str, address: IpAddr, now: i64) -> Result<(), Locked> {
        let window = millis(self.policy.window);
        let keys = self.keys(login, address);
        let mut wait = None::<i64>;
        for (key, max) in &keys {
            let Some(entry) = self.entries.get_mut(key) else {
                continue;
            };
            entry.refresh(now, window);
            let retry = match entry.locked_until {
                Some(until) => Some(until - now),
                None if entry.failures + entry.in_flight >= *max => Some(IN_FLIGHT_RETRY_MS),
                None => None,
            };
            if let Some(retry) = retry {
                wait = Some(wait.map_or(retry, |w| w.max(retry)));
            }
        }
        if let Some(retry_after_ms) = wait {
            return Err(Locked { retry_after_ms });
        }
        for (key, _) in keys {
            if !self.entries.contains_key(&key) {
                self.make_room(now);
            }
            self.entries.entry(key).or_default().in_flight += 1;
        }
        Ok(())
    }

    /// Ends an attempt that [`Lockout::begin`] started.
    pub fn finish(&mut self, login: &str, address: IpAddr, now: i64, outcome: Outcome) -> NewLocks {
        let window = millis(self.policy.window);
        let lockout = millis(self.policy.lockout);
        let mut locks = NewLocks::default();
        for (key, max) in self.keys(login, address) {
            let is_login = matches!(key, Key::Login(_));
            let Some(entry) = self.entries.get_mut(&key) else {
                continue;
            };
            entry.in_flight = entry.in_flight.saturating_sub(1);
            entry.refresh(now, window);
            match outcome {
                Outcome::Failed if entry.locked_until.is_none() => {
                    if entry.failures == 0 {
                        entry.first_failure_at = now;
                    }
                    entry.failures += 1;
                    if entry.failures >= max {
                        entry.locked_until = Some(now.saturating_add(lockout));
                        if is_login {
                            locks.login = true;
                        } else {
                            locks.address = true;
                        }
                    }
                }
                // The right password clears the login's failures, not the address's: one
                // good account must not reset the count of guesses at others.
                Outcome::Succeeded if is_login => entry.failures = 0,
                _ => {}
            }
            if entry.is_idle() {
                self.entries.remove(&key);
            }
        }
        locks
    }

    /// Keeps the table within [`MAX_ENTRIES`]: forgets what has expired, then, if needed, the
    /// unlocked entry whose failures are oldest.
    fn make_room(&mut self, now: i64) {
        if self.entries.len() < MAX_ENTRIES {
            return;
        }
        let window = millis(self.policy.window);
        self.entries.retain(|_, entry| {
            entry.refresh(now, window);
            !entry.is_idle()
        });
        if self.entries.len() < MAX_ENTRIES {
            return;
        }
        let oldest = self
            .entries
            .iter()
            .filter(|(_, e)| e.locked_until.is_none() && e.in_flight == 0)
            .min_by_key(|(_, e)| e.first_failure_at)
            .map(|(key, _)| key.clone());
        if let Some(key) = oldest {
            self.entries.remove(&key);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_772_445_600_000;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    fn fail(lockout: &mut Lockout, login: &str, address: IpAddr, now: i64) -> NewLocks {
        lockout.begin(login, address, now).expect("not locked");
        lockout.finish(login, address, now, Outcome::Failed)
    }

    #[test]
    fn five_failures_lock_a_login_for_five_minutes() {
        let mut lockout = Lockout::new(LockoutPolicy::default());
        for n in 0..4 {
            assert_eq!(
                fail(&mut lockout, "anna", ip(1), T0 + n),
                NewLocks::default()
            );
        }
        let locks = fail(&mut lockout, "anna", ip(2), T0 + 10);
        assert!(locks.login && !locks.address);
        assert_eq!(
            lockout.begin("anna", ip(3), T0 + 1_000),
            Err(Locked {
                retry_after_ms: 300_000 - 990
            }),
            "from any address"
        );
        assert!(
            lockout.begin("bruno", ip(1), T0 + 1_000).is_ok(),
            "others are not locked"
        );
        lockout.finish("bruno", ip(1), T0 + 1_000, Outcome::Abandoned);
        assert!(lockout.begin("anna", ip(3), T0 + 10 + 300_000).is_ok());
    }

    #[test]
    fn one_address_guessing_many_logins_is_locked() {
        let mut lockout = Lockout::new(LockoutPolicy::default());
        for n in 0..19 {
            let locks = fail(&mut lockout, &format!("user{n}"), ip(9), T0);
            assert!(!locks.address);
        }
        assert!(fail(&mut lockout, "user19", ip(9), T0).address);
        assert!(lockout.begin("anyone", ip(9), T0 + 1).is_err());
        assert!(lockout.begin("anyone", ip(8), T0 + 1).is_ok());
    }

    #[test]
    fn failures_outside_the_window_are_forgotten_and_success_clears_the_login() {
        let mut lockout = Lockout::new(LockoutPolicy::default());
        for _ in 0..4 {
            fail(&mut lockout, "anna", ip(1), T0);
        }
        let later = T0 + 15 * 60_000;
        for _ in 0..4 {
            assert!(!fail(&mut lockout, "anna", ip(1), later).login);
        }
        lockout.begin("anna", ip(1), later).unwrap();
        lockout.finish("anna", ip(1), later, Outcome::Succeeded);
        for _ in 0..4 {
            assert!(!fail(&mut lockout, "anna", ip(1), later).login);
        }
        assert!(fail(&mut lockout, "anna", ip(1), later).login);
    }

    #[test]
    fn parallel_attempts_cannot_pass_the_limit() {
        let mut lockout = Lockout::new(LockoutPolicy::default());
        for _ in 0..5 {
            lockout.begin("anna", ip(1), T0).unwrap();
        }
        assert_eq!(
            lockout.begin("anna", ip(2), T0),
            Err(Locked {
                retry_after_ms: IN_FLIGHT_RETRY_MS
            })
        );
        for _ in 0..5 {
            lockout.finish("anna", ip(1), T0, Outcome::Abandoned);
        }
        assert_eq!(lockout.len(), 0, "nothing left to remember");
        assert!(lockout.begin("anna", ip(2), T0).is_ok());
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let mut lockout = Lockout::new(LockoutPolicy {
            max_failures_per_address: 0,
            ..LockoutPolicy::default()
        });
        for n in 0..100 {
            fail(&mut lockout, &format!("u{n}"), ip(1), T0);
        }
        assert!(lockout.begin("new", ip(1), T0).is_ok());
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut lockout = Lockout::new(LockoutPolicy {
            max_failures_per_address: 0,
            ..LockoutPolicy::default()
        });
        for n in 0..MAX_ENTRIES + 10 {
            fail(&mut lockout, &format!("made-up-{n}"), ip(1), T0 + n as i64);
        }
        assert!(lockout.len() <= MAX_ENTRIES);
    }
}
