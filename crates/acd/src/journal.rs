//! The journal: every fact of the ACD as an [`Event`] with a gap-free sequence number and the
//! instant it happened. The state is a function of the journal: [`crate::Acd::replay`] rebuilds
//! it, and [`crate::Report`] computes the day's figures from it.
//!
//! Events hold no [`Instant`] inside (only the entry does), so that they serialise: a driver
//! stores each entry as `(seq, wall-clock time, event)` and, after a restart, maps the stored
//! wall-clock times back to instants of the new process before replaying.

use std::fmt;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::{CallId, Destination, OperatorId, OperatorProfile, QueueId, ReasonCode};

/// One fact, numbered. `seq` starts at 0 and grows by one with every entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub seq: u64,
    pub at: Instant,
    pub event: Event,
}

/// How a call came into a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum JoinedVia {
    /// A new call (from the IVR).
    Arrival,
    /// Moved by the ACD from a queue it waited too long in, or that emptied or closed; it keeps
    /// its arrival time and place.
    Overflow { from: QueueId },
    /// Transferred live by an operator: a new wait, behind the callers already there.
    Transfer { from: QueueId },
}

/// Why a call left a queue without an operator, or was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// Waited the queue's maximum.
    MaxWait,
    /// The queue was at its maximum length.
    Full,
    /// No operator logged in to the queue.
    Empty,
    /// The queue is closed (a special-event queue switched off).
    Closed,
    /// Overflowed through too many queues ([`crate::MAX_OVERFLOW_HOPS`]).
    TooManyHops,
}

/// Whether an offer rings an operator for a caller on the line or for a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    Call,
    /// The caller asked to be called back: once the operator accepts, the driver dials them.
    Callback,
}

/// Why an offer stopped ringing without being answered or refused by the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// Ring-all: another operator answered first.
    AnsweredElsewhere,
    /// The caller hung up.
    CallerGone,
    /// The operator went not ready, logged out, or was forced out by a supervisor.
    OperatorLeft,
    /// The call left the queue (maximum wait, queue emptied).
    CallLeft,
}

/// Why the operator's side refused an offer (as the driver reports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The phone answered busy.
    Busy,
    /// The operator declined.
    Declined,
    /// The phone could not be reached (not registered, an error answer).
    Unreachable,
}

/// Who changed an operator's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The operator's own request.
    Operator,
    /// A supervisor forced it.
    Supervisor,
    /// The ACD: an offer, a timeout, the end of wrap-up.
    Acd,
}

/// Who switched a queue on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Schedule,
    Supervisor,
}

/// An operator's state as the journal records it (durations, not instants).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    LoggedOut,
    /// Ready for calls. `hold_off`: offered nothing for that long (after a refused offer).
    /// `kept_place`: back from an offer that failed through no fault of theirs, with their
    /// longest-idle place kept.
    Ready {
        hold_off: Option<Duration>,
        kept_place: bool,
    },
    NotReady {
        reason: ReasonCode,
    },
    /// An offer rings their phone.
    Reserved {
        call: CallId,
    },
    OnCall {
        call: CallId,
    },
    /// After-call work, for `duration` unless extended or ended early.
    WrapUp {
        duration: Duration,
    },
}

/// The kind of an operator's state, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusKind {
    LoggedOut,
    Ready,
    NotReady,
    Reserved,
    OnCall,
    WrapUp,
}

impl Status {
    pub fn kind(&self) -> StatusKind {
        match self {
            Status::LoggedOut => StatusKind::LoggedOut,
            Status::Ready { .. } => StatusKind::Ready,
            Status::NotReady { .. } => StatusKind::NotReady,
            Status::Reserved { .. } => StatusKind::Reserved,
            Status::OnCall { .. } => StatusKind::OnCall,
            Status::WrapUp { .. } => StatusKind::WrapUp,
        }
    }
}

impl fmt::Display for StatusKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StatusKind::LoggedOut => "logged out",
            StatusKind::Ready => "ready",
            StatusKind::NotReady => "not ready",
            StatusKind::Reserved => "reserved",
            StatusKind::OnCall => "on a call",
            StatusKind::WrapUp => "in wrap-up",
        })
    }
}

/// A state change asked for during a call, applied when the operator would next be ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "then", rename_all = "snake_case")]
pub enum Pending {
    NotReady { reason: ReasonCode },
    LogOut,
}

/// A warning a supervisor should see until it clears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Callers wait and no operator is logged in to the queue.
    CallersWithoutOperators,
}

/// Every fact of the ACD. A call's life ends with exactly one of [`Event::Completed`],
/// [`Event::Abandoned`], or [`Event::Refused`] or [`Event::Left`] to a destination that is not
/// a queue ([`Event::is_outcome`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A call joined a queue. `estimate`: the wait the ACD predicted then.
    Joined {
        call: CallId,
        queue: QueueId,
        priority: u8,
        via: JoinedVia,
        estimate: Option<Duration>,
    },
    /// A call was not let into `queue`: to another queue (a [`Event::Joined`] follows) or to
    /// the driver's destination (the call never entered the ACD).
    Refused {
        call: CallId,
        queue: QueueId,
        reason: ExitReason,
        destination: Destination,
    },
    /// A waiting call left `queue`: to another queue (a [`Event::Joined`] follows) or to the
    /// driver's destination (the call leaves the ACD).
    Left {
        call: CallId,
        queue: QueueId,
        reason: ExitReason,
        destination: Destination,
        waited: Duration,
    },
    /// The caller asked to be called back and hung up, keeping their place.
    CallbackRequested {
        call: CallId,
        queue: QueueId,
    },
    Offered {
        call: CallId,
        queue: QueueId,
        operator: OperatorId,
        kind: OfferKind,
        waited: Duration,
    },
    OfferCancelled {
        call: CallId,
        operator: OperatorId,
        reason: CancelReason,
    },
    /// The operator's phone rang the whole ring timeout: the call goes back to its place.
    RingNoAnswer {
        call: CallId,
        operator: OperatorId,
    },
    OfferRejected {
        call: CallId,
        operator: OperatorId,
        reason: RejectReason,
    },
    /// The operator answered. `waited`: since the call first joined the ACD.
    Connected {
        call: CallId,
        queue: QueueId,
        operator: OperatorId,
        kind: OfferKind,
        waited: Duration,
    },
    /// The operator passed the call to another queue; a [`Event::Joined`] follows.
    Transferred {
        call: CallId,
        queue: QueueId,
        operator: OperatorId,
        to: QueueId,
        talk: Duration,
    },
    Completed {
        call: CallId,
        queue: QueueId,
        operator: OperatorId,
        talk: Duration,
    },
    /// The caller hung up before an operator answered (or cancelled their callback).
    Abandoned {
        call: CallId,
        queue: QueueId,
        waited: Duration,
        callback: bool,
    },
    /// What a waiting caller was told.
    Announced {
        call: CallId,
        queue: QueueId,
        position: usize,
        estimate: Duration,
    },
    LoggedIn {
        operator: OperatorId,
        queue: QueueId,
        skill: u8,
    },
    LoggedOut {
        operator: OperatorId,
        queue: QueueId,
    },
    StateChanged {
        operator: OperatorId,
        status: Status,
        cause: Cause,
    },
    /// A change asked for during a call, to apply after it (`None`: withdrawn or applied).
    PendingSet {
        operator: OperatorId,
        pending: Option<Pending>,
    },
    WrapUpExtended {
        operator: OperatorId,
        by: Duration,
    },
    /// An operator's profile was created or replaced.
    ProfileSet {
        profile: OperatorProfile,
    },
    QueueSwitched {
        queue: QueueId,
        open: bool,
        by: Trigger,
    },
    Warning {
        queue: QueueId,
        kind: WarningKind,
        raised: bool,
    },
    /// A new service day: the "today" figures start again.
    DayStarted,
}

impl Event {
    /// The call a call event is about.
    pub fn call(&self) -> Option<CallId> {
        match self {
            Event::Joined { call, .. }
            | Event::Refused { call, .. }
            | Event::Left { call, .. }
            | Event::CallbackRequested { call, .. }
            | Event::Offered { call, .. }
            | Event::OfferCancelled { call, .. }
            | Event::RingNoAnswer { call, .. }
            | Event::OfferRejected { call, .. }
            | Event::Connected { call, .. }
            | Event::Transferred { call, .. }
            | Event::Completed { call, .. }
            | Event::Abandoned { call, .. }
            | Event::Announced { call, .. } => Some(*call),
            _ => None,
        }
    }

    /// Whether this event ends a call's life in the ACD.
    pub fn is_outcome(&self) -> bool {
        match self {
            Event::Completed { .. } | Event::Abandoned { .. } => true,
            Event::Refused { destination, .. } | Event::Left { destination, .. } => {
                !matches!(destination, Destination::Queue { .. })
            }
            _ => false,
        }
    }
}
