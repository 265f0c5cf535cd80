//! Shared vocabulary for every centralino crate.
//!
//! * [`Clock`]: wall-clock time comes in through this trait, so that cores that need
//!   calendar time (business hours, call records) can be driven by a fixed clock in tests.
//!   Monotonic time is never read here: cores take `std::time::Instant` as a parameter.
//! * [`Pii`]: personal data (caller numbers, CRM fields) wrapped so that it cannot leak into
//!   logs through `Debug` or `Display`.
//! * [`phone`]: the caller's number from an INVITE, normalised to ITU-T E.164 where possible.

pub mod phone;

pub mod call;

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Source of wall-clock time, as milliseconds since the Unix epoch (UTC).
pub trait Clock: Send + Sync + 'static {
    fn now_unix_ms(&self) -> i64;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix_ms(&self) -> i64 {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A clock that only moves when told to: for tests and simulations.
#[derive(Debug)]
pub struct ManualClock(Mutex<i64>);

impl ManualClock {
    pub fn new(unix_ms: i64) -> Self {
        Self(Mutex::new(unix_ms))
    }
    pub fn set(&self, unix_ms: i64) {
        *self
            .0
            .lock()
            .expect("manual clock mutex is never poisoned: no code panics holding it") = unix_ms;
    }
    pub fn advance(&self, by: Duration) {
        let mut t = self
            .0
            .lock()
            .expect("manual clock mutex is never poisoned: no code panics holding it");
        *t += i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
    }
}

impl Clock for ManualClock {
    fn now_unix_ms(&self) -> i64 {
        *self
            .0
            .lock()
            .expect("manual clock mutex is never poisoned: no code panics holding it")
    }
}

/// Personal data: shown as `<redacted>` by `Debug` and `Display`.
///
/// Use [`Pii::expose`] where the value is really needed (the SIP wire, the CRM record).
#[derive(Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Pii<T>(T);

impl<T> Pii<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    /// The real value. Every call site is a place where personal data leaves the wrapper.
    pub fn expose(&self) -> &T {
        &self.0
    }
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Pii<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pii_never_prints_its_value() {
        let number = Pii::new("+390551234567".to_string());
        assert_eq!(format!("{number:?} {number}"), "<redacted> <redacted>");
        assert_eq!(number.expose(), "+390551234567");
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(1_000);
        assert_eq!(clock.now_unix_ms(), 1_000);
        clock.advance(Duration::from_secs(2));
        assert_eq!(clock.now_unix_ms(), 3_000);
        clock.set(5);
        assert_eq!(clock.now_unix_ms(), 5);
    }
}
