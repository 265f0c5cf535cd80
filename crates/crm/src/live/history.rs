//! The board's last hours: one sample per queue and minute, the last [`SAMPLES`] minutes
//! (12 h), in a ring buffer, for the wallboard's chart (`GET /api/v1/supervisor/history`).
//!
//! Sans-IO: the time of a sample is the view's own (`LiveView.at_unix_ms`, the engine's wall
//! clock), never a clock read here. A minute's sample merges every view of that minute: the
//! most callers waiting and the longest wait seen in it, the day's figures as the last view
//! had them. Minutes in which the engine published nothing have no sample (the chart shows
//! the gap).

use std::collections::VecDeque;

use cti_proto::LiveView;
use serde::{Deserialize, Serialize};

/// One sample a minute.
pub const SAMPLE_EVERY_MS: i64 = 60_000;
/// Twelve hours of minutes.
pub const SAMPLES: usize = 12 * 60;
/// Queues kept per sample (in the view's order): bounds the history at about 720 × 64 small
/// records whatever the engine publishes.
pub const QUEUES_KEPT: usize = 64;

/// A queue in one minute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueSample {
    pub name: String,
    /// The most callers waiting at once in the minute.
    pub waiting_max: u32,
    /// The longest wait seen in the minute.
    pub oldest_wait_max_ms: u64,
    /// Today's figures at the minute's last view.
    pub answered: u64,
    pub abandoned: u64,
    pub on_time_share: Option<f64>,
    pub abandoned_share: Option<f64>,
    pub logged_in: u32,
}

/// The queues in one minute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The minute's start.
    pub at_unix_ms: i64,
    pub queues: Vec<QueueSample>,
}

/// The ring buffer of samples, oldest first.
#[derive(Debug, Default)]
pub struct History {
    samples: VecDeque<Sample>,
}

impl History {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes a view into its minute's sample.
    pub fn record(&mut self, view: &LiveView) {
        let minute = view.at_unix_ms.div_euclid(SAMPLE_EVERY_MS) * SAMPLE_EVERY_MS;
        let queues = view.queues.iter().take(QUEUES_KEPT).map(|q| QueueSample {
            name: q.name.clone(),
            waiting_max: q.waiting_count,
            oldest_wait_max_ms: q.oldest_wait_ms.unwrap_or(0),
            answered: q.today.as_ref().map_or(0, |t| t.answered),
            abandoned: q.today.as_ref().map_or(0, |t| t.abandoned),
            on_time_share: q.service_level.as_ref().and_then(|s| s.on_time_share),
            abandoned_share: q.service_level.as_ref().and_then(|s| s.abandoned_share),
            logged_in: q.logged_in,
        });
        match self.samples.back_mut() {
            Some(last) if last.at_unix_ms == minute => {
                let merged = queues
                    .map(|mut q| {
                        if let Some(before) = last.queues.iter().find(|b| b.name == q.name) {
                            q.waiting_max = q.waiting_max.max(before.waiting_max);
                            q.oldest_wait_max_ms =
                                q.oldest_wait_max_ms.max(before.oldest_wait_max_ms);
                        }
                        q
                    })
                    .collect();
                last.queues = merged;
            }
            // A view older than the last sample (a clock step back on the engine) starts
            // nothing new: the chart stays in time order.
            Some(last) if last.at_unix_ms > minute => {}
            _ => {
                if self.samples.len() == SAMPLES {
                    self.samples.pop_front();
                }
                self.samples.push_back(Sample {
                    at_unix_ms: minute,
                    queues: queues.collect(),
                });
            }
        }
    }

    /// The samples of the last `minutes` minutes before the newest, oldest first.
    pub fn last(&self, minutes: usize) -> Vec<Sample> {
        let Some(newest) = self.samples.back() else {
            return Vec::new();
        };
        let minutes = i64::try_from(minutes).unwrap_or(i64::MAX);
        let from = newest
            .at_unix_ms
            .saturating_sub(minutes.saturating_sub(1).saturating_mul(SAMPLE_EVERY_MS));
        self.samples
            .iter()
            .filter(|s| s.at_unix_ms >= from)
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cti_proto::QueueLive;

    fn view(at_unix_ms: i64, waiting: u32) -> LiveView {
        LiveView {
            at_unix_ms,
            queues: vec![QueueLive {
                name: "technology".into(),
                waiting_count: waiting,
                oldest_wait_ms: Some(u64::from(waiting) * 1000),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    const T0: i64 = 1_772_445_600_000; // a whole minute

    #[test]
    fn a_minute_keeps_its_peak_and_its_last_figures() {
        let mut history = History::new();
        history.record(&view(T0 + 1_000, 1));
        history.record(&view(T0 + 20_000, 3));
        history.record(&view(T0 + 59_999, 0));
        assert_eq!(history.len(), 1);
        let sample = &history.last(10)[0];
        assert_eq!(sample.at_unix_ms, T0);
        assert_eq!(sample.queues[0].waiting_max, 3);
        assert_eq!(sample.queues[0].oldest_wait_max_ms, 3000);
        history.record(&view(T0 + 60_000, 0));
        assert_eq!(history.len(), 2);
        assert_eq!(history.last(10)[1].queues[0].waiting_max, 0, "a new minute");
    }

    #[test]
    fn twelve_hours_are_kept_and_no_more() {
        let mut history = History::new();
        for minute in 0..(SAMPLES as i64 + 30) {
            history.record(&view(T0 + minute * SAMPLE_EVERY_MS, 1));
        }
        assert_eq!(history.len(), SAMPLES);
        let all = history.last(SAMPLES);
        assert_eq!(all.len(), SAMPLES);
        assert_eq!(
            all[0].at_unix_ms,
            T0 + 30 * SAMPLE_EVERY_MS,
            "the oldest went first"
        );
        assert_eq!(history.last(60).len(), 60);
        assert_eq!(history.last(60)[59].at_unix_ms, all[SAMPLES - 1].at_unix_ms);
    }

    #[test]
    fn a_view_from_the_past_is_not_a_new_minute() {
        let mut history = History::new();
        history.record(&view(T0 + 5 * SAMPLE_EVERY_MS, 1));
        history.record(&view(T0, 7));
        assert_eq!(history.len(), 1);
        assert_eq!(history.last(10)[0].queues[0].waiting_max, 1);
    }
}
