//! Why a command is refused. Every [`Rule`] says the rule in its message, so that an operator
//! reading the refusal knows what to do instead.

use std::fmt;

use crate::command::CommandKind;
use crate::ids::{ActorId, CaseId, GroupCode, ServiceCode};
use crate::states::{Desk, State};
use crate::vocab::{ContactReason, GroupLevel, Profile};

/// A refused command: which command, in which state (none when opening), and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{command} refused{}: {rule}", in_state(.state))]
pub struct Refusal {
    pub command: CommandKind,
    /// The state of the case the command was for; `None` for [`CommandKind::Open`].
    pub state: Option<State>,
    pub rule: Rule,
}

fn in_state(state: &Option<State>) -> String {
    state.map(|s| format!(" in state {s}")).unwrap_or_default()
}

/// The rules of the life cycle, one variant each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rule {
    // Closed cases and locks.
    #[error("the case is closed: a closed case takes no more work, open a new one")]
    Closed,
    #[error(
        "the case is locked by {holder}: wait for the release, or ask a supervisor to release it"
    )]
    LockedBy { holder: ActorId },
    #[error("the case is already locked by you")]
    AlreadyLockedByYou,
    #[error("the case is not locked: there is nothing to release")]
    NotLocked,

    // Who works what.
    #[error("the case is with {desk}: only they or a supervisor work it")]
    WrongDesk { desk: DeskName },
    #[error("the case is with group {group}: only its members or a supervisor work it")]
    NotYourGroup { group: GroupCode },
    #[error(
        "the system opens and routes cases, closes children with their parent, adds notes and records surveys, nothing else"
    )]
    NotForSystem,
    #[error(
        "the system routes a case to the queue its call reached only while it is open and nobody has taken it"
    )]
    RoutedOnlyUntilTaken,
    #[error("cases are opened by the platform, a first-level operator or a supervisor")]
    OpenedAtFirstLevel,
    #[error("only the owner, the responsible or a supervisor hands the case to another operator")]
    NotYoursToHandOver,
    #[error("only a supervisor names the responsible")]
    ResponsibleIsNamedBySupervisor,
    #[error(
        "a second-level group that got the wrong case rejects it; only a supervisor moves it to another group"
    )]
    SecondLevelMoveIsSupervisors,

    // The state machine.
    #[error("{}", requirement(*.command))]
    WrongState { command: CommandKind },
    #[error("nothing changes: the case is already so")]
    NoChange,

    // The catalogue and classification.
    #[error(
        "queue {queue} is not a first-level queue: cases open in the queue that took the contact"
    )]
    NotFirstLevelQueue { queue: GroupCode },
    #[error("group {group} is not in the catalogue")]
    UnknownGroup { group: GroupCode },
    #[error("service {service} is not in the catalogue")]
    UnknownService { service: ServiceCode },
    #[error("the case is not classified: classify it on the service catalogue first")]
    Unclassified,
    #[error("contact reason {reason} is not available on a {profile}-profile service")]
    ReasonNotInProfile {
        reason: ContactReason,
        profile: Profile,
    },
    #[error("a case attached to a parent keeps the classification it was attached with")]
    ClassificationFixedByLink,
    #[error("group {group} does not serve service {service}")]
    GroupNotServing {
        group: GroupCode,
        service: ServiceCode,
    },
    #[error("the catalogue has no rejections group")]
    NoRejectionsGroup,
    #[error("a move stays on the case's level: {queue} is not a {level}-level group")]
    MoveStaysOnLevel { queue: GroupCode, level: GroupLevel },

    // Profiles and contact reasons.
    #[error(
        "a basic-profile service has no second level: record it as not resolvable and report it for information"
    )]
    BasicHasNoSecondLevel,
    #[error(
        "an advanced-profile service escalates what the first level cannot answer: assign or transfer it instead"
    )]
    AdvancedEscalates,
    #[error(
        "only an information request goes unanswered for lack of information; grievances and reports are always taken"
    )]
    NotResolvableIsForInformation,
    #[error("a complaint must be answered by the competent office: assign it to the second level")]
    ComplaintGoesToSecondLevel,
    #[error(
        "a report is forwarded to the competent office for information: record it as assigned-resolved"
    )]
    ReportIsForwarded,
    #[error("only a report is forwarded for information")]
    OnlyReportsAreForwarded,
    #[error("a {reason} follows the case it refers to: attach it to its parent")]
    FollowerNeedsParent { reason: ContactReason },
    #[error("information about a service request is answered from that request: attach it first")]
    InformationAboutNeedsParent,
    #[error(
        "contact reason {reason} is handled at first level: only information requests and complaints are assigned"
    )]
    NotAssignable { reason: ContactReason },
    #[error("only an information request is transferred live; a complaint is assigned")]
    TransferIsForInformation,
    #[error(
        "a live transfer moves the call with the case: this case did not come from a phone call"
    )]
    LiveTransferNeedsCall,

    // Communication attributes.
    #[error("the caller is on the line: a first-level resolution of a call is communicated")]
    CallIsCommunicated,
    #[error(
        "to communicate is how the second level asks the first for a call-back: the first level does not set it"
    )]
    ToCommunicateIsSecondLevels,
    #[error(
        "a failed call-back leaves the answer to communicate: note the call made and try again"
    )]
    CallBackStaysToCommunicate,
    #[error(
        "service {service} does not allow contact back: the second level tells the citizen itself"
    )]
    ContactBackDisabled { service: ServiceCode },

    // Free text.
    #[error("the {what} is empty")]
    EmptyText { what: &'static str },
    #[error("the {what} is longer than {max} bytes")]
    TextTooLong { what: &'static str, max: usize },
    #[error("a suspension ends after it starts: until must be later than now")]
    SuspensionEndsInThePast,

    // Parents and children.
    #[error(
        "contact reason {reason} does not attach to a parent: only reminders, notifications, duplicate reports and information about a request do"
    )]
    NotLinkable { reason: ContactReason },
    #[error("the case is already attached to {parent}")]
    AlreadyAttached { parent: CaseId },
    #[error("a case cannot be its own parent")]
    OwnParent,
    #[error("{parent} is itself a child: attach to its parent instead")]
    ParentIsAChild { parent: CaseId },
    #[error(
        "a child attaches to a case being worked at the second level (assigned, transferred or suspended); {parent} is {state}"
    )]
    ParentNotAtSecondLevel { parent: CaseId, state: State },
    #[error("a child is about its parent's service: {parent} is classified on another service")]
    ParentServiceDiffers { parent: CaseId },
    #[error("the case follows its parent {parent}: work the parent, the child closes with it")]
    FollowsParent { parent: CaseId },
    #[error("only the system closes a child with its parent")]
    ChildClosureIsSystems,
    #[error("the case does not follow {parent}")]
    NotChildOf { parent: CaseId },
    #[error("a child closes with its parent only when the parent closes")]
    ParentNotClosed,

    // Customer satisfaction.
    #[error("satisfaction is surveyed after closure")]
    SurveyBeforeClosure,
    #[error("satisfaction is recorded once per case")]
    SatisfactionAlreadyRecorded,
    #[error("a satisfaction score is from 1 to 5, not {score}")]
    ScoreOutOfRange { score: u8 },
}

/// Who a desk is, in words, for [`Rule::WrongDesk`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeskName(pub Desk);

impl fmt::Display for DeskName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Desk::FirstLevel => "the first level",
            Desk::SecondLevel => "the second level",
            Desk::Rejections => "the rejections group",
            Desk::Closed => "nobody",
        })
    }
}

/// The state a command needs, in words, for [`Rule::WrongState`].
fn requirement(command: CommandKind) -> &'static str {
    use CommandKind as K;
    match command {
        K::Classify => {
            "a case is classified while open at first level; the rejections group reclassifies it when reassigning"
        }
        K::ResolveFirstLevel
        | K::TransferLive
        | K::Assign
        | K::ReportForInformation
        | K::RecordNotResolvable => "only an open case takes a first-level outcome",
        K::ResolveSecondLevel => {
            "the second level resolves a case assigned, transferred or suspended"
        }
        K::RecordCommunication => {
            "only a resolved case still waiting to tell the citizen takes a communication"
        }
        K::Suspend => "only a case assigned or transferred to the second level can be suspended",
        K::Resume => "only a suspended case resumes",
        K::Reject => {
            "only a case assigned or transferred to the second level is rejected as a wrong assignment"
        }
        K::Reassign => {
            "only a rejected case is reassigned; a supervisor moves other cases between groups"
        }
        K::Cancel => {
            "a resolved case waiting to tell the citizen is not cancelled: record the communication"
        }
        K::Move => "a rejected case is reassigned by the rejections group, not moved",
        K::AttachToParent => "a case attaches to a parent while open at first level",
        _ => "the case is not in a state that allows this",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_command_state_and_rule() {
        let refusal = Refusal {
            command: CommandKind::Assign,
            state: Some(State::Open),
            rule: Rule::BasicHasNoSecondLevel,
        };
        assert_eq!(
            refusal.to_string(),
            "assign refused in state open: a basic-profile service has no second level: \
             record it as not resolvable and report it for information"
        );
        let opening = Refusal {
            command: CommandKind::Open,
            state: None,
            rule: Rule::UnknownGroup {
                group: "nowhere".into(),
            },
        };
        assert_eq!(
            opening.to_string(),
            "open refused: group nowhere is not in the catalogue"
        );
    }

    #[test]
    fn every_requirement_is_a_lowercase_sentence_without_full_stop() {
        for kind in CommandKind::ALL {
            let text = Rule::WrongState { command: *kind }.to_string();
            assert!(text.starts_with(|c: char| c.is_ascii_lowercase()), "{text}");
            assert!(!text.ends_with('.'), "{text}");
        }
    }
}
