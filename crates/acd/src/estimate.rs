//! The estimated wait told to callers, and the figures it is made of.
//!
//! For the caller at position `p` (1 = next) of a queue whose `n` staffed operators (ready,
//! ringing, talking or in wrap-up) take on average `h` per call (talk plus the queue's wrap-up,
//! over the last [`HANDLE_WINDOW`] calls), the queue serves at the capacity rate `n / h`. In a
//! queue with callers waiting every operator is busy, so `p` operators must finish first:
//! the expected wait is `p / rate`, which for exponential handle times is the exact conditional
//! mean of the M/M/n queue (Erlang C).
//!
//! Operators shared with other queues do not give this queue all their time, so the capacity
//! rate is smoothed with the rate the queue was actually served at while it had callers
//! waiting (the mean interval between consecutive answers of a saturated queue, over the last
//! [`ANSWER_WINDOW`] intervals within [`RATE_HORIZON`]):
//!
//! ```text
//! rate = (1 − α) · n / h + α · observed      (α = OBSERVED_WEIGHT once 10 intervals are known)
//! estimate = p / rate
//! ```
//!
//! No staffed operator, or neither a handle time nor an observed rate yet: the estimate is
//! unknown, and nothing is announced.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Handle times the mean is taken over.
pub const HANDLE_WINDOW: usize = 200;
/// Answer intervals the observed rate is taken over.
pub const ANSWER_WINDOW: usize = 64;
/// Intervals older than this are forgotten.
pub const RATE_HORIZON: Duration = Duration::from_secs(30 * 60);
/// Weight of the observed answer rate against the staffed capacity.
pub const OBSERVED_WEIGHT: f64 = 0.5;
const MIN_INTERVALS: usize = 10;
/// Estimates are capped here: beyond, a number means nothing to a caller.
const MAX_ESTIMATE: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Default)]
pub(crate) struct Estimator {
    handles: VecDeque<Duration>,
    handle_sum: Duration,
    /// (when, interval since the previous answer), for answers of a saturated queue.
    intervals: VecDeque<(Instant, Duration)>,
    interval_sum: Duration,
    last_answer: Option<(Instant, bool)>,
}

impl Estimator {
    pub(crate) fn record_handle(&mut self, handle: Duration) {
        if self.handles.len() == HANDLE_WINDOW
            && let Some(old) = self.handles.pop_front()
        {
            self.handle_sum = self.handle_sum.saturating_sub(old);
        }
        self.handles.push_back(handle);
        self.handle_sum = self.handle_sum.saturating_add(handle);
    }

    /// An answer at `at`; `saturated`: callers were still waiting after it.
    pub(crate) fn record_answer(&mut self, at: Instant, saturated: bool) {
        if let Some((prev, prev_saturated)) = self.last_answer
            && prev_saturated
            && saturated
        {
            if self.intervals.len() == ANSWER_WINDOW
                && let Some((_, old)) = self.intervals.pop_front()
            {
                self.interval_sum = self.interval_sum.saturating_sub(old);
            }
            let gap = at.saturating_duration_since(prev);
            self.intervals.push_back((at, gap));
            self.interval_sum = self.interval_sum.saturating_add(gap);
        }
        self.last_answer = Some((at, saturated));
    }

    pub(crate) fn mean_handle(&self) -> Option<Duration> {
        let n = u32::try_from(self.handles.len()).ok().filter(|&n| n > 0)?;
        Some(self.handle_sum / n)
    }

    /// Answers per second while the queue had callers waiting, if enough recent ones.
    pub(crate) fn observed_rate(&self, at: Instant) -> Option<f64> {
        let recent = self
            .intervals
            .iter()
            .rev()
            .take_while(|(when, _)| at.saturating_duration_since(*when) <= RATE_HORIZON);
        let (n, total) = recent.fold((0usize, Duration::ZERO), |(n, t), (_, gap)| {
            (n + 1, t.saturating_add(*gap))
        });
        if n < MIN_INTERVALS || total.is_zero() {
            return None;
        }
        Some(n as f64 / total.as_secs_f64())
    }

    /// The expected wait of the caller at `position`, with `staffed` operators.
    pub(crate) fn estimate(&self, position: usize, staffed: u32, at: Instant) -> Option<Duration> {
        if staffed == 0 || position == 0 {
            return None;
        }
        let capacity = self
            .mean_handle()
            .filter(|h| !h.is_zero())
            .map(|h| f64::from(staffed) / h.as_secs_f64());
        let observed = self.observed_rate(at);
        let rate = match (capacity, observed) {
            (Some(c), Some(o)) => (1.0 - OBSERVED_WEIGHT) * c + OBSERVED_WEIGHT * o,
            (Some(c), None) => c,
            (None, Some(o)) => o,
            (None, None) => return None,
        };
        let secs = position as f64 / rate;
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        Some(Duration::from_secs_f64(
            secs.min(MAX_ESTIMATE.as_secs_f64()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_times_handle_time_over_staffed() {
        let t0 = Instant::now();
        let mut e = Estimator::default();
        assert_eq!(e.estimate(3, 2, t0), None, "no handle time yet");
        e.record_handle(Duration::from_secs(100));
        e.record_handle(Duration::from_secs(140));
        assert_eq!(e.estimate(3, 2, t0), Some(Duration::from_secs(180)));
        assert_eq!(e.estimate(3, 0, t0), None, "nobody staffed");
    }

    #[test]
    fn observed_rate_smooths_the_capacity() {
        let t0 = Instant::now();
        let mut e = Estimator::default();
        e.record_handle(Duration::from_secs(120));
        // Saturated answers every 120 s with 2 staffed: the operators give half their time.
        for i in 0..=12 {
            e.record_answer(t0 + Duration::from_secs(120 * i), true);
        }
        let at = t0 + Duration::from_secs(1440);
        let rate = e.observed_rate(at).expect("12 intervals");
        assert!((rate - 1.0 / 120.0).abs() < 1e-9);
        // capacity 2/120, observed 1/120: rate 1.5/120, one caller ahead waits 80 s.
        assert_eq!(e.estimate(1, 2, at), Some(Duration::from_secs(80)));
        // An unsaturated answer breaks the chain of intervals.
        e.record_answer(at + Duration::from_secs(5), false);
        e.record_answer(at + Duration::from_secs(900), true);
        assert_eq!(e.intervals.len(), 12);
    }
}
