//! Sans-IO automatic call distribution (ACD) for a public-administration service desk.
//!
//! The ACD keeps operators' states (logged out, ready, not ready with a reason, reserved by an
//! offer, on a call, in wrap-up), the queues' waiting callers, and decides who gets which call.
//! It never reads a clock, never sleeps and never does I/O: the driver passes the instant with
//! every input, acts on the [`Output`]s, and wakes it at [`Acd::poll_timeout`].
//!
//! ```
//! use std::time::{Duration, Instant};
//! use acd::{Acd, AcdConfig, CallId, Input, Membership, OperatorProfile, Output, QueueConfig};
//!
//! let mut config = AcdConfig::new(vec![QueueConfig::new("technology")]);
//! config.operators.push(OperatorProfile {
//!     id: "anna".into(),
//!     queues: vec![Membership { queue: "technology".into(), skill: 50 }],
//! });
//! let t0 = Instant::now(); // a driver's clock; tests use a fixed base instant
//! let mut acd = Acd::new(config, t0).expect("a valid config");
//!
//! let mut now = t0;
//! let mut inputs = vec![
//!     Input::Login { operator: "anna".into(), queues: None },
//!     Input::Join { call: CallId(7), queue: "technology".into(), priority: 0 },
//! ];
//! let mut journal = Vec::new();
//! let mut answered = None;
//! loop {
//!     for input in inputs.drain(..) {
//!         acd.handle_input(now, input).expect("a valid input");
//!     }
//!     while let Some(output) = acd.poll_output() {
//!         match output {
//!             // Ring the operator's phone; here she answers at once.
//!             Output::Offer { call, operator, .. } => {
//!                 answered = Some((call, operator.clone()));
//!                 inputs.push(Input::Accept { call, operator });
//!             }
//!             // Persist every fact: the journal rebuilds the ACD after a restart.
//!             Output::Journal(entry) => journal.push(entry),
//!             _ => {}
//!         }
//!     }
//!     if !inputs.is_empty() {
//!         continue;
//!     }
//!     // A real driver sleeps until the next input or this deadline.
//!     match acd.poll_timeout() {
//!         Some(deadline) if deadline < t0 + Duration::from_secs(60) => {
//!             now = deadline;
//!             acd.handle_timeout(now);
//!         }
//!         _ => break,
//!     }
//! }
//! assert_eq!(answered, Some((CallId(7), "anna".into())));
//! assert!(journal.windows(2).all(|w| w[1].seq == w[0].seq + 1), "gap-free");
//! assert_eq!(acd.snapshot(now).queues[0].today.answered, 1);
//! ```
//!
//! Rules (seed 001, section 5.4, in DOMAIN.md, and `docs/acd.md`): callers are served in
//! arrival order within a priority class; a call goes to an available operator of its queue
//! chosen by the queue's [`Strategy`] (longest idle by default); no operator ever holds two
//! offers; a call rung unanswered goes back to its place at the head of its queue. The
//! multi-queue rule is in the `route` module, the wait estimate's formula in `estimate`.
//!
//! Everything the ACD does is a journal entry ([`Output::Journal`]): gap-free sequence
//! numbers, the instant, the [`Event`]. [`Acd::replay`] rebuilds the state from the journal,
//! and [`Report`] computes the day's figures and service levels from it.
#![forbid(unsafe_code)]

mod apply;
mod config;
mod error;
mod estimate;
mod ids;
mod inputs;
mod journal;
mod report;
mod route;
mod snapshot;
mod state;
mod timers;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub use config::{
    AcdConfig, AnnounceConfig, Destination, MAX_OVERFLOW_HOPS, Membership, NoAnswerPolicy,
    OperatorProfile, QueueConfig, ServiceTargets, Strategy,
};
pub use error::{AcdError, ConfigError, ReplayError};
pub use estimate::{ANSWER_WINDOW, HANDLE_WINDOW, OBSERVED_WEIGHT, RATE_HORIZON};
pub use ids::{CallId, OperatorId, QueueId, ReasonCode};
pub use journal::{
    CancelReason, Cause, Event, ExitReason, JoinedVia, JournalEntry, OfferKind, Pending,
    RejectReason, Status, StatusKind, Trigger, WarningKind,
};
pub use report::{DayReport, DayStats, ErrorSummary, EstimateAccuracy, Report, ServiceLevel};
pub use snapshot::{OperatorState, OperatorView, QueueView, Snapshot, StateCounts, WaitingView};

use state::State;
use timers::TimerKind;

/// What happened, as the driver tells it. Each is applied with [`Acd::handle_input`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// A caller enters `queue` (usually from the IVR). Higher `priority` classes are served
    /// first; 0 is the normal class.
    Join {
        call: CallId,
        queue: QueueId,
        priority: u8,
    },
    /// The caller hung up before an operator answered (or cancels a callback request).
    Abandon {
        call: CallId,
    },
    /// A waiting caller asks to be called back: they hang up and keep their place; when their
    /// turn comes an operator is offered the callback ([`OfferKind::Callback`]).
    RequestCallback {
        call: CallId,
    },
    /// The operator answered the offer.
    Accept {
        call: CallId,
        operator: OperatorId,
    },
    /// The operator's phone refused the offer: busy, declined, unreachable.
    Reject {
        call: CallId,
        operator: OperatorId,
        reason: RejectReason,
    },
    /// The operator transfers a connected call to another queue (a live transfer to the
    /// second level); they go to wrap-up.
    Transfer {
        call: CallId,
        to: QueueId,
        priority: u8,
    },
    /// The conversation ended (either side hung up, or a blind transfer out of the ACD).
    Complete {
        call: CallId,
    },
    /// Log in to these queues of the operator's profile (`None`: all of them). A logged-out
    /// operator becomes ready.
    Login {
        operator: OperatorId,
        queues: Option<Vec<QueueId>>,
    },
    /// Log out of these queues (`None`: all). A full logout during a call takes effect when it
    /// ends.
    Logout {
        operator: OperatorId,
        queues: Option<Vec<QueueId>>,
    },
    Ready {
        operator: OperatorId,
    },
    /// Pause with a reason. During a call it takes effect when the call (and wrap-up) ends.
    NotReady {
        operator: OperatorId,
        reason: ReasonCode,
    },
    EndWrapUp {
        operator: OperatorId,
    },
    /// Extends the running wrap-up, up to the queue's `max_wrap_up` in all.
    ExtendWrapUp {
        operator: OperatorId,
        by: Duration,
    },
    /// A supervisor sets an operator's state. A conversation is never cut: on a call, the
    /// state applies when it ends.
    Force {
        operator: OperatorId,
        state: Forced,
    },
    /// Creates or replaces an operator's profile (queues and skills), without a restart.
    SetProfile(OperatorProfile),
    /// Opens or closes a queue (special-event queues), by schedule or by a supervisor.
    SetQueueOpen {
        queue: QueueId,
        open: bool,
        by: Trigger,
    },
    /// A new service day begins (the driver's wall clock passed midnight): "today" restarts.
    StartDay,
}

/// A state a supervisor can force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forced {
    /// Ready, lifting any hold-off.
    Ready,
    NotReady {
        reason: ReasonCode,
    },
    LoggedOut,
}

/// What the driver must do, and the journal of what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Ring `operator`'s phone with `call` (the screen pop shows `queue` and `waited`). For a
    /// [`OfferKind::Callback`] the caller is not on the line: see [`Output::DialCallback`].
    Offer {
        call: CallId,
        queue: QueueId,
        operator: OperatorId,
        kind: OfferKind,
        waited: Duration,
    },
    /// Stop ringing: the offer is void (no answer in time, answered elsewhere, caller gone,
    /// operator left). The journal entry before it says why.
    CancelOffer { call: CallId, operator: OperatorId },
    /// The operator accepted a callback: dial the caller and bridge them to the operator.
    DialCallback { call: CallId, operator: OperatorId },
    /// Tell the waiting caller their position (1 = next) and estimated wait.
    Announce {
        call: CallId,
        position: usize,
        estimate: Duration,
    },
    /// The call leaves the ACD: play the message, take it to voicemail, or hang up.
    Exit {
        call: CallId,
        queue: QueueId,
        reason: ExitReason,
        destination: Destination,
    },
    /// Raise or clear a warning on the supervisors' screens.
    Warning {
        queue: QueueId,
        kind: WarningKind,
        raised: bool,
    },
    /// A fact for the journal: persist it, in order.
    Journal(JournalEntry),
}

/// The automatic call distributor. See the crate docs for the run loop.
#[derive(Debug)]
pub struct Acd {
    state: State,
    out: VecDeque<Output>,
    next_seq: u64,
    now: Option<Instant>,
    /// Queues whose callers or operators changed in this step (warnings, leave-when-empty).
    dirty: Vec<usize>,
}

impl Acd {
    /// An ACD with no call and every configured operator logged out since `now`.
    pub fn new(config: AcdConfig, now: Instant) -> Result<Acd, ConfigError> {
        config.validate()?;
        Ok(Acd {
            state: State::new(&config, now),
            out: VecDeque::new(),
            next_seq: 0,
            now: Some(now),
            dirty: Vec::new(),
        })
    }

    /// Rebuilds the ACD from its whole journal, as [`Acd::new`] with the same `config` and
    /// `origin` followed by the inputs that wrote it. Sequence numbers must start at 0 and have
    /// no gap; instants must not go back.
    ///
    /// Deadlines come back with the state: each is an event's instant plus a configured
    /// duration. The one thing not journalled is an announcement skipped as not meaningful,
    /// so a replayed call's next announcement is put on its grid (`joined + k × interval`)
    /// after the last entry: the same grid the live ACD follows.
    pub fn replay(
        config: AcdConfig,
        origin: Instant,
        entries: impl IntoIterator<Item = JournalEntry>,
    ) -> Result<Acd, ReplayError> {
        let mut acd = Acd::new(config, origin)?;
        for entry in entries {
            if entry.seq != acd.next_seq {
                return Err(ReplayError::Gap {
                    expected: acd.next_seq,
                    found: entry.seq,
                });
            }
            if acd.now.is_some_and(|n| entry.at < n) {
                return Err(ReplayError::TimeReversed { seq: entry.seq });
            }
            acd.state
                .apply(entry.at, &entry.event)
                .map_err(|why| ReplayError::Inconsistent {
                    seq: entry.seq,
                    why,
                })?;
            acd.next_seq += 1;
            acd.now = Some(entry.at);
        }
        if let Some(last) = acd.state.last_at {
            acd.state.regrid_announcements(last);
        }
        acd.state.prune_timers();
        Ok(acd)
    }

    /// Applies one input at `now` (deadlines due by then fire first). On error the input
    /// changed nothing (the deadlines that fired stay fired: time did pass).
    pub fn handle_input(&mut self, now: Instant, input: Input) -> Result<(), AcdError> {
        let now = self.advance(now);
        let result = self.input(now, input);
        self.settle(now);
        self.state.prune_timers();
        result
    }

    /// Fires the deadlines due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.advance(now);
        self.settle(now);
        self.state.prune_timers();
    }

    /// The next output; `None` when there is nothing to do until an input or
    /// [`Acd::poll_timeout`].
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Acd::handle_timeout`] is next due. O(1).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.state.timers.peek().map(|(at, _, _)| at)
    }

    /// The sequence number the next journal entry will have.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The waiting calls of `queue` in the order they will be served (callbacks included).
    pub fn waiting(&self, queue: &QueueId) -> Option<Vec<CallId>> {
        let q = self.state.queue_index(queue)?;
        Some(self.state.queues[q].waiting.values().copied().collect())
    }

    /// Time never goes back: an earlier `now` than the last one counts as the last one.
    fn advance(&mut self, now: Instant) -> Instant {
        let now = match self.now {
            Some(last) if now < last => last,
            _ => now,
        };
        self.now = Some(now);
        while let Some((due, id, kind)) = self.state.timers.peek() {
            if due > now {
                break;
            }
            self.state.timers.pop();
            if !self.state.timer_current(id, kind) {
                continue;
            }
            self.fire(due, kind);
            self.settle(due);
        }
        now
    }

    fn fire(&mut self, due: Instant, kind: TimerKind) {
        match kind {
            TimerKind::Ring(call) => self.ring_no_answer(due, call),
            TimerKind::MaxWait(call) => {
                // While ringing, the check is made if the offer fails (`requeued`).
                if let Some(c) = self.state.calls.get(&call)
                    && c.phase == state::Phase::Waiting
                    && !c.callback
                {
                    self.leave(due, call, ExitReason::MaxWait);
                }
            }
            TimerKind::Announce(call) => self.announce(due, call),
            TimerKind::Operator(o) => match self.state.ops[o].state {
                state::OpState::WrapUp { .. } => self.finish_work(due, o, Cause::Acd),
                state::OpState::Ready { .. } => {
                    let operator = self.op_id(o);
                    let status = Status::Ready {
                        hold_off: None,
                        kept_place: true,
                    };
                    let cause = Cause::Acd;
                    self.emit(
                        due,
                        Event::StateChanged {
                            operator,
                            status,
                            cause,
                        },
                    );
                    self.place_operator(due, o);
                }
                _ => {}
            },
        }
    }

    /// Numbers the event, applies it, and queues the journal entry and the driver's action.
    pub(crate) fn emit(&mut self, at: Instant, event: Event) {
        if let Err(why) = self.state.apply(at, &event) {
            // A broken invariant of the ACD itself: every event is checked before it is
            // emitted. Loud in tests, and in production the event is still journalled.
            debug_assert!(false, "{why}: {event:?}");
        }
        let queue = match &event {
            Event::Joined { queue, .. }
            | Event::Left { queue, .. }
            | Event::Abandoned { queue, .. }
            | Event::LoggedIn { queue, .. }
            | Event::LoggedOut { queue, .. } => self.state.queue_index(queue),
            _ => None,
        };
        self.dirty.extend(queue);
        let action = match &event {
            Event::Offered {
                call,
                queue,
                operator,
                kind,
                waited,
            } => Some(Output::Offer {
                call: *call,
                queue: queue.clone(),
                operator: operator.clone(),
                kind: *kind,
                waited: *waited,
            }),
            Event::OfferCancelled { call, operator, .. }
            | Event::RingNoAnswer { call, operator } => Some(Output::CancelOffer {
                call: *call,
                operator: operator.clone(),
            }),
            Event::Connected {
                call,
                operator,
                kind: OfferKind::Callback,
                ..
            } => Some(Output::DialCallback {
                call: *call,
                operator: operator.clone(),
            }),
            Event::Announced {
                call,
                position,
                estimate,
                ..
            } => Some(Output::Announce {
                call: *call,
                position: *position,
                estimate: *estimate,
            }),
            Event::Refused {
                call,
                queue,
                reason,
                destination,
            }
            | Event::Left {
                call,
                queue,
                reason,
                destination,
                ..
            } if !matches!(destination, Destination::Queue { .. }) => Some(Output::Exit {
                call: *call,
                queue: queue.clone(),
                reason: *reason,
                destination: destination.clone(),
            }),
            Event::Warning {
                queue,
                kind,
                raised,
            } => Some(Output::Warning {
                queue: queue.clone(),
                kind: *kind,
                raised: *raised,
            }),
            _ => None,
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.out
            .push_back(Output::Journal(JournalEntry { seq, at, event }));
        self.out.extend(action);
    }
}
