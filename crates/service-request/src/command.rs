//! What people (and the platform) ask of a case.

use common::Pii;
use serde::{Deserialize, Serialize};

use crate::ids::{ActorId, CaseId, GroupCode, ServiceCode};
use crate::states::Status;
use crate::vocab::{CancelReason, Channel, Communication, ContactReason, NoteKind, RejectReason};

/// A new case, as the CTI or an off-line channel knows it. `Debug` redacts personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCase {
    /// Given by the store (the SR number shown to the caller is the store's too).
    pub id: CaseId,
    pub channel: Channel,
    /// The first-level queue it opens in: for a call, the ACD queue it was answered from.
    pub queue: GroupCode,
    /// Caller number (ANI/CLI), if known.
    pub caller_number: Option<Pii<String>>,
    /// The identified customer's name, if any.
    pub customer: Option<Pii<String>>,
}

/// A change asked of an existing case. Each variant's rules are on [`crate::Case::apply`]
/// and in `docs/service-requests.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Command {
    /// Classify on the catalogue: service and contact reason. Open cases only; may be redone
    /// until the case leaves the first level.
    Classify {
        service: ServiceCode,
        reason: ContactReason,
    },
    /// Resolved at first level [risolto I livello]. On the phone the answer is given there and
    /// then: only `communicated`.
    ResolveFirstLevel { communication: Communication },
    /// Live transfer to a second-level group, call and case together \[trasferito\].
    TransferLive { group: GroupCode },
    /// Assignment to a second-level group, off line \[assegnato\].
    Assign { group: GroupCode },
    /// A report collected at first level and forwarded to the group for information
    /// [assegnato risolto].
    ReportForInformation { group: GroupCode },
    /// No answer in the knowledge base and no second level (basic profile): closed as not
    /// resolvable, and shown to the `report_to` group for information.
    RecordNotResolvable { report_to: GroupCode },
    /// Resolved by the second level, with the communication attribute.
    ResolveSecondLevel { communication: Communication },
    /// The outcome of a later attempt to tell the citizen, on a resolved case still waiting
    /// for it.
    RecordCommunication { communication: Communication },
    /// The second level waits \[sospeso\].
    Suspend {
        reason: Pii<String>,
        until_unix_ms: Option<i64>,
    },
    /// Back to assigned after a suspension.
    Resume,
    /// Wrong assignment: to the rejections group \[rigettato\].
    Reject {
        reason: RejectReason,
        detail: Pii<String>,
    },
    /// The rejections group sends a rejected case to the competent group, reclassifying its
    /// service if that was the mistake.
    Reassign {
        group: GroupCode,
        service: Option<ServiceCode>,
    },
    /// Closed without work \[annullato\].
    Cancel { reason: CancelReason },
    /// Take the case in hand; others are refused until it is released \[blocca\].
    Lock,
    /// Let others work it \[rilascia\]. A supervisor may release anyone's lock.
    Release,
    /// Who is in charge of resolving it \[proprietario\].
    SetOwner { owner: Option<ActorId> },
    /// Who oversees it \[responsabile\]. Supervisors only.
    SetResponsible { responsible: Option<ActorId> },
    /// To another queue of the same level \[sposta\]. The platform also routes a call's case
    /// this way, to the queue the call reached, until someone takes the case.
    Move { queue: GroupCode },
    /// One of the four kinds of note.
    AddNote { kind: NoteKind, text: Pii<String> },
    /// A follower child closes because its parent closed with `status`. The system applies
    /// it, from [`crate::ChildClosure::command`].
    CloseWithParent { parent: CaseId, status: Status },
    /// Customer satisfaction, 1 (poor) to 5 (excellent), once, after closure.
    RecordSatisfaction { score: u8 },
}

/// The name of a command (or of the two operations that are not [`Command`]s: opening a case
/// and attaching it to a parent), for refusals and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CommandKind {
    Open,
    AttachToParent,
    Classify,
    ResolveFirstLevel,
    TransferLive,
    Assign,
    ReportForInformation,
    RecordNotResolvable,
    ResolveSecondLevel,
    RecordCommunication,
    Suspend,
    Resume,
    Reject,
    Reassign,
    Cancel,
    Lock,
    Release,
    SetOwner,
    SetResponsible,
    Move,
    AddNote,
    CloseWithParent,
    RecordSatisfaction,
}

named!(CommandKind {
    Open => "open",
    AttachToParent => "attach_to_parent",
    Classify => "classify",
    ResolveFirstLevel => "resolve_first_level",
    TransferLive => "transfer_live",
    Assign => "assign",
    ReportForInformation => "report_for_information",
    RecordNotResolvable => "record_not_resolvable",
    ResolveSecondLevel => "resolve_second_level",
    RecordCommunication => "record_communication",
    Suspend => "suspend",
    Resume => "resume",
    Reject => "reject",
    Reassign => "reassign",
    Cancel => "cancel",
    Lock => "lock",
    Release => "release",
    SetOwner => "set_owner",
    SetResponsible => "set_responsible",
    Move => "move",
    AddNote => "add_note",
    CloseWithParent => "close_with_parent",
    RecordSatisfaction => "record_satisfaction",
});

impl Command {
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::Classify { .. } => CommandKind::Classify,
            Command::ResolveFirstLevel { .. } => CommandKind::ResolveFirstLevel,
            Command::TransferLive { .. } => CommandKind::TransferLive,
            Command::Assign { .. } => CommandKind::Assign,
            Command::ReportForInformation { .. } => CommandKind::ReportForInformation,
            Command::RecordNotResolvable { .. } => CommandKind::RecordNotResolvable,
            Command::ResolveSecondLevel { .. } => CommandKind::ResolveSecondLevel,
            Command::RecordCommunication { .. } => CommandKind::RecordCommunication,
            Command::Suspend { .. } => CommandKind::Suspend,
            Command::Resume => CommandKind::Resume,
            Command::Reject { .. } => CommandKind::Reject,
            Command::Reassign { .. } => CommandKind::Reassign,
            Command::Cancel { .. } => CommandKind::Cancel,
            Command::Lock => CommandKind::Lock,
            Command::Release => CommandKind::Release,
            Command::SetOwner { .. } => CommandKind::SetOwner,
            Command::SetResponsible { .. } => CommandKind::SetResponsible,
            Command::Move { .. } => CommandKind::Move,
            Command::AddNote { .. } => CommandKind::AddNote,
            Command::CloseWithParent { .. } => CommandKind::CloseWithParent,
            Command::RecordSatisfaction { .. } => CommandKind::RecordSatisfaction,
        }
    }

    /// Commands that change the state of the case (as opposed to its handling: lock, owner,
    /// queue, notes). A follower child refuses them: it follows its parent.
    pub fn changes_state(&self) -> bool {
        matches!(
            self.kind(),
            CommandKind::Classify
                | CommandKind::ResolveFirstLevel
                | CommandKind::TransferLive
                | CommandKind::Assign
                | CommandKind::ReportForInformation
                | CommandKind::RecordNotResolvable
                | CommandKind::ResolveSecondLevel
                | CommandKind::RecordCommunication
                | CommandKind::Suspend
                | CommandKind::Resume
                | CommandKind::Reject
                | CommandKind::Reassign
                | CommandKind::Cancel
                | CommandKind::Move
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names_round_trip() {
        for kind in CommandKind::ALL {
            assert_eq!(CommandKind::from_name(kind.as_str()), Some(*kind));
        }
        assert_eq!(Command::Lock.kind().as_str(), "lock");
        assert!(Command::Resume.changes_state());
        assert!(!Command::Release.changes_state());
    }
}
