//! Reports computed from the journal by a pure reducer: answered and abandoned calls per queue
//! and day, the service level against DOMAIN.md's thresholds, and how good the announced wait
//! estimates were. The supervisor snapshot's "today" figures come from the same
//! [`DayStats::record`], so the two cannot disagree.
//!
//! Definitions (SLA.C.2 and SLA.C.3): a call's wait runs from its first joining the ACD to the
//! answer (or the hang-up); it is *on time* when answered within
//! [`ServiceTargets::answer_within`]; the *on-time share* is on-time answers over all answers;
//! *late* answers waited longer than [`ServiceTargets::never_over`]; the *abandoned share* is
//! abandoned over answered plus abandoned. A call is counted in the queue it was answered or
//! abandoned in. Cancelled callbacks are not abandoned calls (the caller was not on the line).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::{CallId, Event, JournalEntry, QueueId, ServiceTargets};

/// One queue's figures over one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DayStats {
    /// Calls that joined (new, overflowed in, transferred in).
    pub joined: u64,
    pub answered: u64,
    pub answered_on_time: u64,
    /// Answered after waiting longer than `never_over`.
    pub answered_late: u64,
    pub abandoned: u64,
    pub callbacks_requested: u64,
    pub callbacks_cancelled: u64,
    /// Sent away after waiting (maximum wait, queue emptied).
    pub left: u64,
    /// Not let in (full, closed, empty).
    pub refused: u64,
    pub transferred_out: u64,
    pub completed: u64,
    pub total_answer_wait: Duration,
    pub longest_answer_wait: Duration,
    pub longest_abandoned_wait: Duration,
    pub total_talk: Duration,
}

/// The service level of one [`DayStats`], against [`ServiceTargets`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ServiceLevel {
    /// On-time answers over answers; `None` before the first answer.
    pub on_time_share: Option<f64>,
    pub answered_late: u64,
    /// Abandoned over answered plus abandoned; `None` before either.
    pub abandoned_share: Option<f64>,
    pub mean_answer_wait: Option<Duration>,
    /// All three thresholds kept; `None` while there is nothing to measure.
    pub meets_targets: Option<bool>,
}

impl DayStats {
    /// Counts one event of this queue.
    pub fn record(&mut self, event: &Event, targets: &ServiceTargets) {
        match event {
            Event::Joined { .. } => self.joined += 1,
            Event::Connected { waited, .. } => {
                self.answered += 1;
                if *waited <= targets.answer_within {
                    self.answered_on_time += 1;
                }
                if *waited > targets.never_over {
                    self.answered_late += 1;
                }
                self.total_answer_wait = self.total_answer_wait.saturating_add(*waited);
                self.longest_answer_wait = self.longest_answer_wait.max(*waited);
            }
            Event::Abandoned {
                waited, callback, ..
            } => {
                if *callback {
                    self.callbacks_cancelled += 1;
                } else {
                    self.abandoned += 1;
                    self.longest_abandoned_wait = self.longest_abandoned_wait.max(*waited);
                }
            }
            Event::CallbackRequested { .. } => self.callbacks_requested += 1,
            Event::Left { .. } => self.left += 1,
            Event::Refused { .. } => self.refused += 1,
            Event::Transferred { talk, .. } => {
                self.transferred_out += 1;
                self.total_talk = self.total_talk.saturating_add(*talk);
            }
            Event::Completed { talk, .. } => {
                self.completed += 1;
                self.total_talk = self.total_talk.saturating_add(*talk);
            }
            _ => {}
        }
    }

    pub fn service_level(&self, targets: &ServiceTargets) -> ServiceLevel {
        let share = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64);
        let on_time_share = share(self.answered_on_time, self.answered);
        let abandoned_share = share(self.abandoned, self.answered + self.abandoned);
        let meets_targets = (self.answered + self.abandoned > 0).then(|| {
            on_time_share.is_none_or(|s| s >= targets.on_time_share)
                && self.answered_late == 0
                && abandoned_share.is_none_or(|s| s <= targets.max_abandoned_share)
        });
        ServiceLevel {
            on_time_share,
            answered_late: self.answered_late,
            abandoned_share,
            mean_answer_wait: u32::try_from(self.answered)
                .ok()
                .filter(|&n| n > 0)
                .map(|n| self.total_answer_wait / n),
            meets_targets,
        }
    }
}

/// Predicted waits against real ones: each prediction (at joining, or announced) of a call
/// that was then answered gives one error sample, `predicted − actual remaining wait`.
#[derive(Debug, Clone, Default)]
pub struct EstimateAccuracy {
    pending: HashMap<CallId, Vec<(Instant, Duration, bool)>>,
    /// Errors in seconds of the estimates given when calls joined.
    pub at_join: Vec<f64>,
    /// Errors in seconds of the announced estimates.
    pub announced: Vec<f64>,
}

/// Median, 90th percentile and mean of absolute errors, and the mean signed error (positive:
/// the estimates were too long), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErrorSummary {
    pub samples: usize,
    pub median_abs: f64,
    pub p90_abs: f64,
    pub mean_signed: f64,
}

impl EstimateAccuracy {
    pub fn record(&mut self, entry: &JournalEntry) {
        match &entry.event {
            Event::Joined {
                call,
                estimate: Some(e),
                ..
            } => self
                .pending
                .entry(*call)
                .or_default()
                .push((entry.at, *e, true)),
            Event::Announced { call, estimate, .. } => self
                .pending
                .entry(*call)
                .or_default()
                .push((entry.at, *estimate, false)),
            Event::Connected { call, .. } => {
                for (at, predicted, at_join) in self.pending.remove(call).unwrap_or_default() {
                    let actual = entry.at.saturating_duration_since(at).as_secs_f64();
                    let error = predicted.as_secs_f64() - actual;
                    if at_join {
                        self.at_join.push(error);
                    } else {
                        self.announced.push(error);
                    }
                }
            }
            // A callback's wait or a moved call's new queue makes earlier predictions moot.
            Event::CallbackRequested { call, .. }
            | Event::Abandoned { call, .. }
            | Event::Left { call, .. }
            | Event::Refused { call, .. } => {
                self.pending.remove(call);
            }
            _ => {}
        }
    }

    pub fn summary(samples: &[f64]) -> Option<ErrorSummary> {
        if samples.is_empty() {
            return None;
        }
        let mut abs: Vec<f64> = samples.iter().map(|e| e.abs()).collect();
        abs.sort_by(f64::total_cmp);
        let at = |q: f64| abs[((abs.len() - 1) as f64 * q).round() as usize];
        Some(ErrorSummary {
            samples: samples.len(),
            median_abs: at(0.5),
            p90_abs: at(0.9),
            mean_signed: samples.iter().sum::<f64>() / samples.len() as f64,
        })
    }
}

/// One service day of the journal.
#[derive(Debug, Clone, Default)]
pub struct DayReport {
    /// The instant of the `DayStarted` entry; `None` for the part before the first.
    pub started: Option<Instant>,
    pub queues: BTreeMap<QueueId, DayStats>,
}

/// The reducer: feed it journal entries in order.
#[derive(Debug, Clone)]
pub struct Report {
    pub targets: ServiceTargets,
    pub days: Vec<DayReport>,
    pub estimates: EstimateAccuracy,
}

impl Report {
    pub fn new(targets: ServiceTargets) -> Self {
        Report {
            targets,
            days: vec![DayReport::default()],
            estimates: EstimateAccuracy::default(),
        }
    }

    pub fn from_journal<'a>(
        targets: ServiceTargets,
        entries: impl IntoIterator<Item = &'a JournalEntry>,
    ) -> Self {
        let mut report = Report::new(targets);
        for e in entries {
            report.record(e);
        }
        report
    }

    pub fn record(&mut self, entry: &JournalEntry) {
        self.estimates.record(entry);
        if entry.event == Event::DayStarted {
            self.days.push(DayReport {
                started: Some(entry.at),
                queues: BTreeMap::new(),
            });
            return;
        }
        let queue = match &entry.event {
            Event::Joined { queue, .. }
            | Event::Refused { queue, .. }
            | Event::Left { queue, .. }
            | Event::CallbackRequested { queue, .. }
            | Event::Connected { queue, .. }
            | Event::Transferred { queue, .. }
            | Event::Completed { queue, .. }
            | Event::Abandoned { queue, .. } => queue,
            _ => return,
        };
        let targets = self.targets;
        if let Some(day) = self.days.last_mut() {
            day.queues
                .entry(queue.clone())
                .or_default()
                .record(&entry.event, &targets);
        }
    }

    /// The current (last) day.
    pub fn today(&self) -> Option<&DayReport> {
        self.days.last()
    }

    /// Every queue of a day added up.
    pub fn total(day: &DayReport) -> DayStats {
        let mut t = DayStats::default();
        for s in day.queues.values() {
            t.joined += s.joined;
            t.answered += s.answered;
            t.answered_on_time += s.answered_on_time;
            t.answered_late += s.answered_late;
            t.abandoned += s.abandoned;
            t.callbacks_requested += s.callbacks_requested;
            t.callbacks_cancelled += s.callbacks_cancelled;
            t.left += s.left;
            t.refused += s.refused;
            t.transferred_out += s.transferred_out;
            t.completed += s.completed;
            t.total_answer_wait = t.total_answer_wait.saturating_add(s.total_answer_wait);
            t.longest_answer_wait = t.longest_answer_wait.max(s.longest_answer_wait);
            t.longest_abandoned_wait = t.longest_abandoned_wait.max(s.longest_abandoned_wait);
            t.total_talk = t.total_talk.saturating_add(s.total_talk);
        }
        t
    }
}
