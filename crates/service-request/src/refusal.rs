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

impl Rule {
    /// A stable machine name for the rule, in snake_case (e.g. `basic_has_no_second_level`),
    /// for clients that react to a refusal without parsing its text: the HTTP API sends it as
    /// `rule` beside the message. Codes never change once published and are never reused;
    /// a new rule gets a new code.
    pub fn code(&self) -> &'static str {
        match self {
            Rule::Closed => "closed",
            Rule::LockedBy { .. } => "locked_by",
            Rule::AlreadyLockedByYou => "already_locked_by_you",
            Rule::NotLocked => "not_locked",
            Rule::WrongDesk { .. } => "wrong_desk",
            Rule::NotYourGroup { .. } => "not_your_group",
            Rule::NotForSystem => "not_for_system",
            Rule::RoutedOnlyUntilTaken => "routed_only_until_taken",
            Rule::OpenedAtFirstLevel => "opened_at_first_level",
            Rule::NotYoursToHandOver => "not_yours_to_hand_over",
            Rule::ResponsibleIsNamedBySupervisor => "responsible_is_named_by_supervisor",
            Rule::SecondLevelMoveIsSupervisors => "second_level_move_is_supervisors",
            Rule::WrongState { .. } => "wrong_state",
            Rule::NoChange => "no_change",
            Rule::NotFirstLevelQueue { .. } => "not_first_level_queue",
            Rule::UnknownGroup { .. } => "unknown_group",
            Rule::UnknownService { .. } => "unknown_service",
            Rule::Unclassified => "unclassified",
            Rule::ReasonNotInProfile { .. } => "reason_not_in_profile",
            Rule::ClassificationFixedByLink => "classification_fixed_by_link",
            Rule::GroupNotServing { .. } => "group_not_serving",
            Rule::NoRejectionsGroup => "no_rejections_group",
            Rule::MoveStaysOnLevel { .. } => "move_stays_on_level",
            Rule::BasicHasNoSecondLevel => "basic_has_no_second_level",
            Rule::AdvancedEscalates => "advanced_escalates",
            Rule::NotResolvableIsForInformation => "not_resolvable_is_for_information",
            Rule::ComplaintGoesToSecondLevel => "complaint_goes_to_second_level",
            Rule::ReportIsForwarded => "report_is_forwarded",
            Rule::OnlyReportsAreForwarded => "only_reports_are_forwarded",
            Rule::FollowerNeedsParent { .. } => "follower_needs_parent",
            Rule::InformationAboutNeedsParent => "information_about_needs_parent",
            Rule::NotAssignable { .. } => "not_assignable",
            Rule::TransferIsForInformation => "transfer_is_for_information",
            Rule::LiveTransferNeedsCall => "live_transfer_needs_call",
            Rule::CallIsCommunicated => "call_is_communicated",
            Rule::ToCommunicateIsSecondLevels => "to_communicate_is_second_levels",
            Rule::CallBackStaysToCommunicate => "call_back_stays_to_communicate",
            Rule::ContactBackDisabled { .. } => "contact_back_disabled",
            Rule::EmptyText { .. } => "empty_text",
            Rule::TextTooLong { .. } => "text_too_long",
            Rule::SuspensionEndsInThePast => "suspension_ends_in_the_past",
            Rule::NotLinkable { .. } => "not_linkable",
            Rule::AlreadyAttached { .. } => "already_attached",
            Rule::OwnParent => "own_parent",
            Rule::ParentIsAChild { .. } => "parent_is_a_child",
            Rule::ParentNotAtSecondLevel { .. } => "parent_not_at_second_level",
            Rule::ParentServiceDiffers { .. } => "parent_service_differs",
            Rule::FollowsParent { .. } => "follows_parent",
            Rule::ChildClosureIsSystems => "child_closure_is_systems",
            Rule::NotChildOf { .. } => "not_child_of",
            Rule::ParentNotClosed => "parent_not_closed",
            Rule::SurveyBeforeClosure => "survey_before_closure",
            Rule::SatisfactionAlreadyRecorded => "satisfaction_already_recorded",
            Rule::ScoreOutOfRange { .. } => "score_out_of_range",
        }
    }
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

    /// One rule of each kind, in declaration order. The match in `position` has no wildcard:
    /// a new rule does not compile until it is listed here, with its code pinned below.
    fn every_rule() -> Vec<Rule> {
        let group = || GroupCode::from("office");
        let service = || ServiceCode::from("payslips");
        let rules = vec![
            Rule::Closed,
            Rule::LockedBy {
                holder: "mario".into(),
            },
            Rule::AlreadyLockedByYou,
            Rule::NotLocked,
            Rule::WrongDesk {
                desk: DeskName(Desk::FirstLevel),
            },
            Rule::NotYourGroup { group: group() },
            Rule::NotForSystem,
            Rule::RoutedOnlyUntilTaken,
            Rule::OpenedAtFirstLevel,
            Rule::NotYoursToHandOver,
            Rule::ResponsibleIsNamedBySupervisor,
            Rule::SecondLevelMoveIsSupervisors,
            Rule::WrongState {
                command: CommandKind::Assign,
            },
            Rule::NoChange,
            Rule::NotFirstLevelQueue { queue: group() },
            Rule::UnknownGroup { group: group() },
            Rule::UnknownService { service: service() },
            Rule::Unclassified,
            Rule::ReasonNotInProfile {
                reason: ContactReason::Complaint,
                profile: Profile::Basic,
            },
            Rule::ClassificationFixedByLink,
            Rule::GroupNotServing {
                group: group(),
                service: service(),
            },
            Rule::NoRejectionsGroup,
            Rule::MoveStaysOnLevel {
                queue: group(),
                level: GroupLevel::Second,
            },
            Rule::BasicHasNoSecondLevel,
            Rule::AdvancedEscalates,
            Rule::NotResolvableIsForInformation,
            Rule::ComplaintGoesToSecondLevel,
            Rule::ReportIsForwarded,
            Rule::OnlyReportsAreForwarded,
            Rule::FollowerNeedsParent {
                reason: ContactReason::Reminder,
            },
            Rule::InformationAboutNeedsParent,
            Rule::NotAssignable {
                reason: ContactReason::Grievance,
            },
            Rule::TransferIsForInformation,
            Rule::LiveTransferNeedsCall,
            Rule::CallIsCommunicated,
            Rule::ToCommunicateIsSecondLevels,
            Rule::CallBackStaysToCommunicate,
            Rule::ContactBackDisabled { service: service() },
            Rule::EmptyText { what: "note" },
            Rule::TextTooLong {
                what: "note",
                max: 8192,
            },
            Rule::SuspensionEndsInThePast,
            Rule::NotLinkable {
                reason: ContactReason::Booking,
            },
            Rule::AlreadyAttached { parent: CaseId(1) },
            Rule::OwnParent,
            Rule::ParentIsAChild { parent: CaseId(1) },
            Rule::ParentNotAtSecondLevel {
                parent: CaseId(1),
                state: State::Open,
            },
            Rule::ParentServiceDiffers { parent: CaseId(1) },
            Rule::FollowsParent { parent: CaseId(1) },
            Rule::ChildClosureIsSystems,
            Rule::NotChildOf { parent: CaseId(1) },
            Rule::ParentNotClosed,
            Rule::SurveyBeforeClosure,
            Rule::SatisfactionAlreadyRecorded,
            Rule::ScoreOutOfRange { score: 9 },
        ];
        for (index, rule) in rules.iter().enumerate() {
            assert_eq!(position(rule), index, "{rule:?} is listed out of order");
        }
        rules
    }

    fn position(rule: &Rule) -> usize {
        match rule {
            Rule::Closed => 0,
            Rule::LockedBy { .. } => 1,
            Rule::AlreadyLockedByYou => 2,
            Rule::NotLocked => 3,
            Rule::WrongDesk { .. } => 4,
            Rule::NotYourGroup { .. } => 5,
            Rule::NotForSystem => 6,
            Rule::RoutedOnlyUntilTaken => 7,
            Rule::OpenedAtFirstLevel => 8,
            Rule::NotYoursToHandOver => 9,
            Rule::ResponsibleIsNamedBySupervisor => 10,
            Rule::SecondLevelMoveIsSupervisors => 11,
            Rule::WrongState { .. } => 12,
            Rule::NoChange => 13,
            Rule::NotFirstLevelQueue { .. } => 14,
            Rule::UnknownGroup { .. } => 15,
            Rule::UnknownService { .. } => 16,
            Rule::Unclassified => 17,
            Rule::ReasonNotInProfile { .. } => 18,
            Rule::ClassificationFixedByLink => 19,
            Rule::GroupNotServing { .. } => 20,
            Rule::NoRejectionsGroup => 21,
            Rule::MoveStaysOnLevel { .. } => 22,
            Rule::BasicHasNoSecondLevel => 23,
            Rule::AdvancedEscalates => 24,
            Rule::NotResolvableIsForInformation => 25,
            Rule::ComplaintGoesToSecondLevel => 26,
            Rule::ReportIsForwarded => 27,
            Rule::OnlyReportsAreForwarded => 28,
            Rule::FollowerNeedsParent { .. } => 29,
            Rule::InformationAboutNeedsParent => 30,
            Rule::NotAssignable { .. } => 31,
            Rule::TransferIsForInformation => 32,
            Rule::LiveTransferNeedsCall => 33,
            Rule::CallIsCommunicated => 34,
            Rule::ToCommunicateIsSecondLevels => 35,
            Rule::CallBackStaysToCommunicate => 36,
            Rule::ContactBackDisabled { .. } => 37,
            Rule::EmptyText { .. } => 38,
            Rule::TextTooLong { .. } => 39,
            Rule::SuspensionEndsInThePast => 40,
            Rule::NotLinkable { .. } => 41,
            Rule::AlreadyAttached { .. } => 42,
            Rule::OwnParent => 43,
            Rule::ParentIsAChild { .. } => 44,
            Rule::ParentNotAtSecondLevel { .. } => 45,
            Rule::ParentServiceDiffers { .. } => 46,
            Rule::FollowsParent { .. } => 47,
            Rule::ChildClosureIsSystems => 48,
            Rule::NotChildOf { .. } => 49,
            Rule::ParentNotClosed => 50,
            Rule::SurveyBeforeClosure => 51,
            Rule::SatisfactionAlreadyRecorded => 52,
            Rule::ScoreOutOfRange { .. } => 53,
        }
    }

    /// The published codes. Clients match on them: a code is never renamed or reused, so
    /// this list only grows.
    const PUBLISHED_CODES: [&str; 54] = [
        "closed",
        "locked_by",
        "already_locked_by_you",
        "not_locked",
        "wrong_desk",
        "not_your_group",
        "not_for_system",
        "routed_only_until_taken",
        "opened_at_first_level",
        "not_yours_to_hand_over",
        "responsible_is_named_by_supervisor",
        "second_level_move_is_supervisors",
        "wrong_state",
        "no_change",
        "not_first_level_queue",
        "unknown_group",
        "unknown_service",
        "unclassified",
        "reason_not_in_profile",
        "classification_fixed_by_link",
        "group_not_serving",
        "no_rejections_group",
        "move_stays_on_level",
        "basic_has_no_second_level",
        "advanced_escalates",
        "not_resolvable_is_for_information",
        "complaint_goes_to_second_level",
        "report_is_forwarded",
        "only_reports_are_forwarded",
        "follower_needs_parent",
        "information_about_needs_parent",
        "not_assignable",
        "transfer_is_for_information",
        "live_transfer_needs_call",
        "call_is_communicated",
        "to_communicate_is_second_levels",
        "call_back_stays_to_communicate",
        "contact_back_disabled",
        "empty_text",
        "text_too_long",
        "suspension_ends_in_the_past",
        "not_linkable",
        "already_attached",
        "own_parent",
        "parent_is_a_child",
        "parent_not_at_second_level",
        "parent_service_differs",
        "follows_parent",
        "child_closure_is_systems",
        "not_child_of",
        "parent_not_closed",
        "survey_before_closure",
        "satisfaction_already_recorded",
        "score_out_of_range",
    ];

    #[test]
    fn rule_codes_are_stable_unique_snake_case_names() {
        let codes: Vec<&str> = every_rule().iter().map(Rule::code).collect();
        assert_eq!(codes, PUBLISHED_CODES);
        let unique: std::collections::BTreeSet<&str> = codes.iter().copied().collect();
        assert_eq!(unique.len(), codes.len(), "two rules share a code");
        for code in codes {
            assert!(
                !code.is_empty()
                    && code.starts_with(|c: char| c.is_ascii_lowercase())
                    && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code}"
            );
        }
        // A rule's data never changes its code.
        assert_eq!(
            Rule::LockedBy {
                holder: "anna".into()
            }
            .code(),
            Rule::LockedBy {
                holder: "mario".into()
            }
            .code()
        );
    }
}
