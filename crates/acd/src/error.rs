//! Typed errors. An input the ACD refuses changes nothing.

use crate::{CallId, OperatorId, QueueId, StatusKind};

/// A refused input: the driver's mistake, or a request that makes no sense in the current
/// state. The state is left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AcdError {
    #[error("no {0}")]
    UnknownQueue(QueueId),
    #[error("{0} is not in the acd")]
    UnknownCall(CallId),
    #[error("{0} is already in the acd")]
    DuplicateCall(CallId),
    #[error("{0} has no profile")]
    UnknownOperator(OperatorId),
    #[error("{operator} is not a member of {queue}")]
    NotAMember {
        operator: OperatorId,
        queue: QueueId,
    },
    #[error("{operator} is {state}: cannot {action}")]
    InvalidState {
        operator: OperatorId,
        state: StatusKind,
        action: &'static str,
    },
    #[error("{call} is not offered to {operator}")]
    NoSuchOffer { call: CallId, operator: OperatorId },
    #[error("{0} is not waiting")]
    NotWaiting(CallId),
    #[error("{0} is not connected to an operator")]
    NotConnected(CallId),
    #[error("{0} is connected: end it with complete")]
    AlreadyConnected(CallId),
    #[error("{0} does not take callbacks")]
    NoCallbacks(QueueId),
    #[error("a reason code has 1 to {max} bytes of a-z, 0-9, `_`, `-`, `.` (got {len} bytes)")]
    InvalidReason { len: usize, max: usize },
    #[error("invalid operator profile: {0}")]
    Profile(#[from] ConfigError),
}

/// A configuration the ACD cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{0} is configured twice")]
    DuplicateQueue(QueueId),
    #[error("{0} is configured twice")]
    DuplicateOperator(OperatorId),
    #[error("{operator} names unknown {queue}")]
    UnknownQueue {
        operator: OperatorId,
        queue: QueueId,
    },
    #[error("{operator} lists {queue} twice")]
    DuplicateMembership {
        operator: OperatorId,
        queue: QueueId,
    },
    #[error("{queue} sends calls to unknown {to}")]
    UnknownDestination { queue: QueueId, to: QueueId },
    #[error("{0} has weight {1}: weights go from 1 to 1000")]
    Weight(QueueId, u32),
    #[error("{0} has skill {1}: skills go from 0 to 100")]
    Skill(OperatorId, u8),
    #[error("{0} has a zero ring timeout")]
    ZeroRingTimeout(QueueId),
    #[error("{0} announces every zero seconds")]
    ZeroAnnounceInterval(QueueId),
}

/// A journal that cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("journal gap: expected entry {expected}, found {found}")]
    Gap { expected: u64, found: u64 },
    #[error("journal entry {seq} goes back in time")]
    TimeReversed { seq: u64 },
    #[error("journal entry {seq} does not fit the state: {why}")]
    Inconsistent { seq: u64, why: &'static str },
}
