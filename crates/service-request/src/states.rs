//! Where a case stands: [`State`] is the stored name, [`Status`] the state with the data that
//! belongs to it (the communication attribute, the reasons, the end of a suspension).

use common::Pii;
use serde::{Deserialize, Serialize};

use crate::vocab::{CancelReason, Communication, Outcome, RejectReason};

/// The state of a case (seed 004, section 6), by its stored name. The names are the ones the
/// `crm-store` migrations store in the `state` column of `cases`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum State {
    /// Opened from a call or an off-line message; the first level works it [nuovo, aperto].
    Open,
    /// Resolved by the first level while in contact [risolto I livello].
    ResolvedFirstLevel,
    /// Resolved by the second level [risolto II livello], told to the citizen by the second
    /// level or, on contact back, by the first.
    ResolvedSecondLevel,
    /// With a second-level group, not live \[assegnato\].
    Assigned,
    /// Handed to a second-level group live, call and case together \[trasferito\].
    Transferred,
    /// Closed at first level and shown to the second level for information only
    /// [assegnato risolto].
    AssignedResolved,
    /// Closed without being worked: not our competence, abandoned, an error \[annullato\].
    Cancelled,
    /// Closed because the knowledge base has no answer and the service has no second level
    /// [non risolvibile per informazione carente].
    NotResolvable,
    /// Refused by the second level as a wrong assignment; the rejections group reassigns it
    /// \[rigettato\].
    Rejected,
    /// The second level waits for a specialist answer or for the citizen \[sospeso\].
    Suspended,
}

named!(State {
    Open => "open",
    ResolvedFirstLevel => "resolved_first_level",
    ResolvedSecondLevel => "resolved_second_level",
    Assigned => "assigned",
    Transferred => "transferred",
    AssignedResolved => "assigned_resolved",
    Cancelled => "cancelled",
    NotResolvable => "not_resolvable",
    Rejected => "rejected",
    Suspended => "suspended",
});

/// Why and until when the second level suspended a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    /// Free text: may name the citizen, hence personal data.
    pub reason: Pii<String>,
    /// When the second level expects to resume, if it knows (Unix ms). Informative: a driver
    /// may remind the group, the case never resumes by itself.
    pub until_unix_ms: Option<i64>,
}

/// Why the second level refused an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub reason: RejectReason,
    /// What the rejecting group explains to the rejections group.
    pub detail: Pii<String>,
}

/// A state with its data. Only the valid combinations exist: the attribute belongs to the
/// resolved states, the reasons to cancellation, rejection and suspension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    Open,
    ResolvedFirstLevel { communication: Communication },
    ResolvedSecondLevel { communication: Communication },
    Assigned,
    Transferred,
    AssignedResolved,
    Cancelled { reason: CancelReason },
    NotResolvable,
    Rejected(Rejection),
    Suspended(Suspension),
}

/// Who works a case in its current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Desk {
    /// First-level operators: open cases, answers still to be told, call-backs.
    FirstLevel,
    /// The second-level group that holds the case (its queue).
    SecondLevel,
    /// The rejections group.
    Rejections,
    /// Nobody: the case is closed.
    Closed,
}

impl Status {
    pub fn state(&self) -> State {
        match self {
            Status::Open => State::Open,
            Status::ResolvedFirstLevel { .. } => State::ResolvedFirstLevel,
            Status::ResolvedSecondLevel { .. } => State::ResolvedSecondLevel,
            Status::Assigned => State::Assigned,
            Status::Transferred => State::Transferred,
            Status::AssignedResolved => State::AssignedResolved,
            Status::Cancelled { .. } => State::Cancelled,
            Status::NotResolvable => State::NotResolvable,
            Status::Rejected(_) => State::Rejected,
            Status::Suspended(_) => State::Suspended,
        }
    }

    /// The attribute of a resolved state.
    pub fn communication(&self) -> Option<Communication> {
        match self {
            Status::ResolvedFirstLevel { communication }
            | Status::ResolvedSecondLevel { communication } => Some(*communication),
            _ => None,
        }
    }

    /// Terminal states take no more work, ever: there is no reopening. A resolved case is
    /// terminal once the answer is communicated or found not communicable; assigned-resolved,
    /// cancelled and not resolvable are terminal at once.
    pub fn is_terminal(&self) -> bool {
        match self {
            Status::ResolvedFirstLevel { communication }
            | Status::ResolvedSecondLevel { communication } => communication.is_final(),
            Status::AssignedResolved | Status::Cancelled { .. } | Status::NotResolvable => true,
            Status::Open
            | Status::Assigned
            | Status::Transferred
            | Status::Rejected(_)
            | Status::Suspended(_) => false,
        }
    }

    /// How a terminal status ended the case; `None` while it is open.
    ///
    /// Success: resolved and communicated, or a report forwarded for information. Without
    /// success: the citizen could not be told, the request could not be answered, or the case
    /// was cancelled.
    pub fn outcome(&self) -> Option<Outcome> {
        if !self.is_terminal() {
            return None;
        }
        Some(match self {
            Status::ResolvedFirstLevel {
                communication: Communication::Communicated,
            }
            | Status::ResolvedSecondLevel {
                communication: Communication::Communicated,
            }
            | Status::AssignedResolved => Outcome::Success,
            _ => Outcome::WithoutSuccess,
        })
    }

    /// Who works the case now.
    pub fn desk(&self) -> Desk {
        if self.is_terminal() {
            return Desk::Closed;
        }
        match self {
            Status::Rejected(_) => Desk::Rejections,
            Status::Assigned | Status::Transferred | Status::Suspended(_) => Desk::SecondLevel,
            // The second level keeps trying to reach the citizen itself.
            Status::ResolvedSecondLevel {
                communication: Communication::NotCommunicated,
            } => Desk::SecondLevel,
            // Open, an off-line answer still to be told, a call-back asked by the second level.
            _ => Desk::FirstLevel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_status() -> Vec<Status> {
        let mut all = vec![
            Status::Open,
            Status::Assigned,
            Status::Transferred,
            Status::AssignedResolved,
            Status::NotResolvable,
            Status::Rejected(Rejection {
                reason: RejectReason::OperatorError,
                detail: Pii::new("wrong office".into()),
            }),
            Status::Suspended(Suspension {
                reason: Pii::new("waiting".into()),
                until_unix_ms: None,
            }),
        ];
        for communication in Communication::ALL {
            all.push(Status::ResolvedFirstLevel {
                communication: *communication,
            });
            all.push(Status::ResolvedSecondLevel {
                communication: *communication,
            });
        }
        for reason in CancelReason::ALL {
            all.push(Status::Cancelled { reason: *reason });
        }
        all
    }

    #[test]
    fn state_names_round_trip_and_match_the_store() {
        for state in State::ALL {
            assert_eq!(State::from_name(state.as_str()), Some(*state));
        }
        // The names crm-store's migrations store in `cases.state`.
        let store_names = [
            "open",
            "resolved_first_level",
            "resolved_second_level",
            "assigned",
            "transferred",
            "assigned_resolved",
            "cancelled",
            "not_resolvable",
            "rejected",
            "suspended",
        ];
        let ours: Vec<_> = State::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(ours, store_names);
    }

    #[test]
    fn terminal_states_have_an_outcome_and_no_desk() {
        for status in every_status() {
            assert_eq!(
                status.is_terminal(),
                status.outcome().is_some(),
                "{status:?}"
            );
            assert_eq!(
                status.is_terminal(),
                status.desk() == Desk::Closed,
                "{status:?}"
            );
        }
    }

    #[test]
    fn resolved_is_terminal_only_once_communicated_or_not_communicable() {
        let pending = Status::ResolvedSecondLevel {
            communication: Communication::ToCommunicate,
        };
        assert!(!pending.is_terminal());
        assert_eq!(pending.desk(), Desk::FirstLevel);
        let trying = Status::ResolvedSecondLevel {
            communication: Communication::NotCommunicated,
        };
        assert_eq!(trying.desk(), Desk::SecondLevel);
        let unreachable = Status::ResolvedFirstLevel {
            communication: Communication::NotCommunicable,
        };
        assert_eq!(unreachable.outcome(), Some(Outcome::WithoutSuccess));
        assert_eq!(Status::AssignedResolved.outcome(), Some(Outcome::Success));
    }

    #[test]
    fn every_status_has_its_state_name() {
        for status in every_status() {
            assert!(State::ALL.contains(&status.state()));
        }
    }
}
