//! The facts of a call that both halves of centralino speak of: how a call ended, why, and how
//! far it got. Defined once here; the engine's call record, the CTI contract and the CRM store
//! map to and from these names at their edges.
//!
//! Every enum has a stable snake_case name (`as_str` / `from_name`, and the same in serde): it
//! is what the outbox, the databases and the HTTP API store and show.

use serde::{Deserialize, Serialize};

/// Generates `ALL`, `as_str` and `from_name` for a fieldless enum with snake_case names.
macro_rules! named_enum {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stored and displayed name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// How a call ended, for the call record [cartellino telefonico].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallOutcome {
    /// An operator answered. The call stays `answered` however it ended afterwards (the
    /// [`EndReason`] says how).
    Answered,
    /// The caller hung up while waiting in a queue (or while an operator's phone rang).
    AbandonedInQueue,
    /// The caller hung up in the IVR.
    AbandonedInIvr,
    /// The IVR closed the call (second invalid input at the top menu, out of hours, end of
    /// the script).
    ReleasedByIvr,
    /// The queue sent the call away by its rules (waited its maximum, full, closed, nobody
    /// logged in) to a message, voicemail or a polite hang-up.
    ReleasedByQueue,
    /// The caller cancelled before the call was answered.
    Cancelled,
    /// A technical failure before an operator answered (no ACK, no media port, the queue
    /// refused the call, an orderly shutdown cut the call before it was answered).
    Failed,
    /// The engine stopped abruptly (crash, `kill -9`, power loss) while the call was in
    /// progress and an operator had not answered; found and closed at the next start.
    /// [`CallStage`] says how far it got.
    Interrupted,
}

named_enum!(CallOutcome {
    Answered => "answered",
    AbandonedInQueue => "abandoned_in_queue",
    AbandonedInIvr => "abandoned_in_ivr",
    ReleasedByIvr => "released_by_ivr",
    ReleasedByQueue => "released_by_queue",
    Cancelled => "cancelled",
    Failed => "failed",
    Interrupted => "interrupted",
});

/// Why a call ended: who hung up, or what cut it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EndReason {
    /// The caller sent BYE.
    CallerHungUp,
    /// The caller sent CANCEL (or BYE on the early dialog) before the answer.
    CallerCancelled,
    /// The operator sent BYE.
    OperatorHungUp,
    /// The IVR script ended the call.
    IvrReleased,
    /// An orderly shutdown's grace period ran out.
    Shutdown,
    /// The caller never acknowledged our answer (RFC 3261 13.3.1.4).
    NoAck,
    /// No RTP port could be opened for the call.
    NoMediaPort,
    /// The IVR sent the call to a queue that refused it.
    QueueRefused,
    /// The queue's rules sent the call away (see [`CallOutcome::ReleasedByQueue`]).
    QueueExit,
    /// Our answer to the caller could not be sent (the transaction was already gone).
    SipFailure,
    /// The engine stopped abruptly; the call was closed at the next start.
    EngineRestarted,
    /// The call reached the longest duration the engine allows.
    MaxDuration,
    /// A phone stopped sending RTP: it or its network died.
    MediaTimeout,
}

named_enum!(EndReason {
    CallerHungUp => "caller_hung_up",
    CallerCancelled => "caller_cancelled",
    OperatorHungUp => "operator_hung_up",
    IvrReleased => "ivr_released",
    Shutdown => "shutdown",
    NoAck => "no_ack",
    NoMediaPort => "no_media_port",
    QueueRefused => "queue_refused",
    QueueExit => "queue_exit",
    SipFailure => "sip_failure",
    EngineRestarted => "engine_restarted",
    MaxDuration => "max_duration",
    MediaTimeout => "media_timeout",
});

/// How far a call got: the last stage it reached, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallStage {
    /// The INVITE was accepted; the caller hears ringing.
    Arrived,
    /// Answered by the IVR.
    Ivr,
    /// Waiting in an ACD queue.
    Queued,
    /// Offered to an operator (their phone rang).
    Offered,
    /// Talking to an operator.
    Talking,
}

named_enum!(CallStage {
    Arrived => "arrived",
    Ivr => "ivr",
    Queued => "queued",
    Offered => "offered",
    Talking => "talking",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for o in CallOutcome::ALL {
            assert_eq!(CallOutcome::from_name(o.as_str()), Some(*o));
            let json = serde_json::to_string(o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
        }
        for r in EndReason::ALL {
            assert_eq!(EndReason::from_name(r.as_str()), Some(*r));
        }
        for s in CallStage::ALL {
            assert_eq!(CallStage::from_name(s.as_str()), Some(*s));
        }
        assert_eq!(CallOutcome::from_name("bogus"), None);
    }

    #[test]
    fn stages_are_ordered_by_progress() {
        assert!(CallStage::Arrived < CallStage::Ivr);
        assert!(CallStage::Queued < CallStage::Offered);
        assert!(CallStage::Offered < CallStage::Talking);
    }
}
