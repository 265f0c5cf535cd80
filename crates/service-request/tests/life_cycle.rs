//! The life of a service request, story by story, on the demo catalogue of `deploy/`: what
//! an operator, a back-office member, the rejections desk and a supervisor see happen.
//! The finer rules of each step are in `case_rules.rs`.

mod common;

use common::*;
use service_request::{
    Actor, CancelReason, Change, Channel, Command, Communication, ContactReason, LinkKind,
    NoteKind, Outcome, Profile, RejectReason, Role, Rule, State, Status,
};

#[test]
fn an_information_call_is_resolved_at_first_level_and_surveyed() {
    let mut world = World::demo();
    let anna = anna();
    let case = world.open(Channel::Phone, "personnel-info", &anna);
    // The screen pop is Anna's: she owns and holds the case.
    let opened = world.case(case);
    assert_eq!(opened.status, Status::Open);
    assert_eq!(opened.owner, Some("anna".into()));
    assert_eq!(
        opened.lock.as_ref().map(|l| l.holder.as_str()),
        Some("anna")
    );

    world.ok(case, classify("leave", ContactReason::Information), &anna);
    // On the phone the answer is given there and then.
    let offline_attribute =
        world.refused(case, resolve_first(Communication::NotCommunicated), &anna);
    assert_eq!(offline_attribute.rule, Rule::CallIsCommunicated);
    let resolved = world.ok(case, resolve_first(Communication::Communicated), &anna);
    assert_eq!(resolved.closed, Some(Outcome::Success));
    let case_now = world.case(case);
    assert_eq!(case_now.status.state(), State::ResolvedFirstLevel);
    assert_eq!(case_now.lock, None, "closing releases the lock");
    assert_eq!(
        case_now.owner,
        Some("anna".into()),
        "the owner stays on record"
    );

    // The history says who did what, when, from what to what.
    let history = world.history(case);
    let names: Vec<_> = history.iter().map(|e| e.change.name()).collect();
    assert_eq!(
        names,
        [
            "opened",
            "owner_changed",
            "lock_changed",
            "service_changed",
            "contact_reason_changed",
            "status_changed",
            "lock_changed"
        ]
    );
    assert!(history.iter().all(|e| e.actor == anna));
    assert!(
        history
            .windows(2)
            .all(|w| w[0].at_unix_ms <= w[1].at_unix_ms)
    );
    assert_eq!(
        history[5].change,
        Change::StatusChanged {
            from: Status::Open,
            to: Status::ResolvedFirstLevel {
                communication: Communication::Communicated
            }
        }
    );

    // A closed case takes no more work, only one satisfaction score.
    let closed = world.refused(case, note(NoteKind::InternalNote, "one more thing"), &anna);
    assert_eq!(closed.rule, Rule::Closed);
    let zero = world.refused(
        case,
        Command::RecordSatisfaction { score: 0 },
        &Actor::system(),
    );
    assert_eq!(zero.rule, Rule::ScoreOutOfRange { score: 0 });
    world.ok(
        case,
        Command::RecordSatisfaction { score: 5 },
        &Actor::system(),
    );
    assert_eq!(world.case(case).satisfaction, Some(5));
    let again = world.refused(case, Command::RecordSatisfaction { score: 4 }, &anna);
    assert_eq!(again.rule, Rule::SatisfactionAlreadyRecorded);
}

#[test]
fn a_basic_service_records_what_it_cannot_answer_as_not_resolvable_for_information() {
    let mut world = World::demo();
    let anna = anna();
    let case = world.open(Channel::Phone, "personnel-info", &anna);
    let competitions = world
        .catalogue
        .service(&"competitions".into())
        .expect("in the demo catalogue");
    assert_eq!(competitions.profile, Profile::Basic);

    // A complaint is not a basic-profile contact reason.
    let complaint = world.refused(
        case,
        classify("competitions", ContactReason::Complaint),
        &anna,
    );
    assert_eq!(
        complaint.rule,
        Rule::ReasonNotInProfile {
            reason: ContactReason::Complaint,
            profile: Profile::Basic
        }
    );
    world.ok(
        case,
        classify("competitions", ContactReason::Information),
        &anna,
    );

    // No second level to escalate to.
    let assigned = world.refused(case, assign("hr-recruitment"), &anna);
    assert_eq!(assigned.rule, Rule::BasicHasNoSecondLevel);
    assert_eq!(
        assigned.to_string(),
        "assign refused in state open: a basic-profile service has no second level: \
         record it as not resolvable and report it for information"
    );
    let transferred = world.refused(
        case,
        Command::TransferLive {
            group: "hr-recruitment".into(),
        },
        &anna,
    );
    assert_eq!(transferred.rule, Rule::BasicHasNoSecondLevel);

    // Reported to a group that is not the service's: refused.
    let elsewhere = world.refused(
        case,
        Command::RecordNotResolvable {
            report_to: "hr-payroll".into(),
        },
        &anna,
    );
    assert!(matches!(elsewhere.rule, Rule::GroupNotServing { .. }));

    let closed = world.ok(
        case,
        Command::RecordNotResolvable {
            report_to: "hr-recruitment".into(),
        },
        &anna,
    );
    assert_eq!(closed.closed, Some(Outcome::WithoutSuccess));
    let case_now = world.case(case);
    assert_eq!(case_now.status, Status::NotResolvable);
    assert_eq!(
        case_now.queue.as_str(),
        "hr-recruitment",
        "shown to the office"
    );
}

#[test]
fn an_advanced_complaint_is_assigned_and_resolved_by_the_competent_group() {
    let mut world = World::demo();
    let (anna, mario) = (anna(), payroll_mario());
    let case = world.open(Channel::Phone, "personnel-info", &anna);
    world.ok(case, classify("payslips", ContactReason::Complaint), &anna);
    let at_first = world.refused(case, resolve_first(Communication::Communicated), &anna);
    assert_eq!(at_first.rule, Rule::ComplaintGoesToSecondLevel);
    let live = world.refused(
        case,
        Command::TransferLive {
            group: "hr-payroll".into(),
        },
        &anna,
    );
    assert_eq!(live.rule, Rule::TransferIsForInformation);
    let wrong_office = world.refused(case, assign("hr-attendance"), &anna);
    assert_eq!(
        wrong_office.rule,
        Rule::GroupNotServing {
            group: "hr-attendance".into(),
            service: "payslips".into()
        }
    );

    world.ok(case, assign("hr-payroll"), &anna);
    let assigned = world.case(case);
    assert_eq!(assigned.status, Status::Assigned);
    assert_eq!(assigned.queue.as_str(), "hr-payroll");
    assert_eq!(
        (&assigned.owner, &assigned.lock),
        (&None, &None),
        "in the group's inbox"
    );

    // Only the holding group works it now.
    let first_level = world.refused(case, note(NoteKind::InternalNote, "any news?"), &anna);
    assert!(matches!(first_level.rule, Rule::WrongDesk { .. }));
    let other_group = world.refused(case, Command::Lock, &attendance_alba());
    assert_eq!(
        other_group.rule,
        Rule::NotYourGroup {
            group: "hr-payroll".into()
        }
    );
    world.ok(case, Command::Lock, &mario);
    world.ok(
        case,
        note(NoteKind::CallMade, "called the citizen back"),
        &mario,
    );
    let done = world.ok(case, resolve_second(Communication::Communicated), &mario);
    assert_eq!(done.closed, Some(Outcome::Success));
    let closed = world.case(case);
    assert_eq!(closed.status.state(), State::ResolvedSecondLevel);
    assert_eq!(closed.owner, Some("mario".into()));
}

#[test]
fn a_wrong_assignment_is_rejected_and_the_rejections_desk_reassigns_it() {
    let mut world = World::demo();
    let (anna, nino, rita, ida) = (anna(), network_nino(), rejections_rita(), identity_ida());
    let case = world.open(Channel::Phone, "technology", &anna);
    // The operator took a mailbox problem for a network one.
    world.ok(case, classify("network", ContactReason::Information), &anna);
    world.ok(case, assign("it-network"), &anna);

    let blank = world.refused(
        case,
        Command::Reject {
            reason: RejectReason::OperatorError,
            detail: Pii::new("  ".into()),
        },
        &nino,
    );
    assert_eq!(
        blank.rule,
        Rule::EmptyText {
            what: "rejection detail"
        }
    );
    world.ok(
        case,
        Command::Reject {
            reason: RejectReason::OperatorError,
            detail: Pii::new("the mailbox is full: an e-mail matter".into()),
        },
        &nino,
    );
    let rejected = world.case(case);
    assert_eq!(rejected.status.state(), State::Rejected);
    assert_eq!(rejected.queue.as_str(), "rejections");

    // Only the rejections desk (or a supervisor) reassigns, and to a competent group.
    let by_operator = world.refused(
        case,
        Command::Reassign {
            group: "it-identity".into(),
            service: Some("accounts-mail".into()),
        },
        &anna,
    );
    assert!(matches!(by_operator.rule, Rule::WrongDesk { .. }));
    let not_competent = world.refused(
        case,
        Command::Reassign {
            group: "it-identity".into(),
            service: None,
        },
        &rita,
    );
    assert!(matches!(not_competent.rule, Rule::GroupNotServing { .. }));
    let moved = world.refused(
        case,
        Command::Move {
            queue: "it-identity".into(),
        },
        &rita,
    );
    assert_eq!(
        moved.rule,
        Rule::WrongState {
            command: service_request::CommandKind::Move
        }
    );
    world.ok(
        case,
        Command::Reassign {
            group: "it-identity".into(),
            service: Some("accounts-mail".into()),
        },
        &rita,
    );
    let reassigned = world.case(case);
    assert_eq!(reassigned.status, Status::Assigned);
    assert_eq!(reassigned.service, Some("accounts-mail".into()));
    assert_eq!(reassigned.queue.as_str(), "it-identity");

    world.ok(case, resolve_second(Communication::Communicated), &ida);
    let actors: Vec<_> = world
        .history(case)
        .iter()
        .map(|e| e.actor.role.as_str())
        .collect();
    assert!(actors.contains(&"rejections") && actors.contains(&"second_level"));
}

#[test]
fn a_live_transfer_moves_call_and_case_together() {
    let mut world = World::demo();
    let (anna, nino) = (anna(), network_nino());
    let email = world.open(Channel::Email, "technology", &anna);
    world.ok(
        email,
        classify("network", ContactReason::Information),
        &anna,
    );
    let offline = world.refused(
        email,
        Command::TransferLive {
            group: "it-network".into(),
        },
        &anna,
    );
    assert_eq!(offline.rule, Rule::LiveTransferNeedsCall);

    let call = world.open(Channel::Phone, "technology", &anna);
    world.ok(call, classify("network", ContactReason::Information), &anna);
    world.ok(
        call,
        Command::TransferLive {
            group: "it-network".into(),
        },
        &anna,
    );
    assert_eq!(world.case(call).status, Status::Transferred);
    world.ok(call, Command::Lock, &nino);
    world.ok(call, resolve_second(Communication::Communicated), &nino);
    assert_eq!(world.case(call).status.outcome(), Some(Outcome::Success));
}

#[test]
fn a_suspended_case_resumes_and_is_resolved() {
    let mut world = World::demo();
    let (anna, mario) = (anna(), payroll_mario());
    let case = world.open(Channel::Phone, "personnel-info", &anna);
    world.ok(
        case,
        classify("payslips", ContactReason::Information),
        &anna,
    );
    world.ok(case, assign("hr-payroll"), &anna);
    let now = world.now;
    let past = world.refused(
        case,
        Command::Suspend {
            reason: Pii::new("waiting for the tax office".into()),
            until_unix_ms: Some(now - 1),
        },
        &mario,
    );
    assert_eq!(past.rule, Rule::SuspensionEndsInThePast);
    let no_reason = world.refused(
        case,
        Command::Suspend {
            reason: Pii::new(String::new()),
            until_unix_ms: None,
        },
        &mario,
    );
    assert_eq!(
        no_reason.rule,
        Rule::EmptyText {
            what: "suspension reason"
        }
    );
    world.ok(
        case,
        Command::Suspend {
            reason: Pii::new("waiting for the tax office".into()),
            until_unix_ms: Some(now + 7 * 86_400_000),
        },
        &mario,
    );
    assert_eq!(world.case(case).status.state(), State::Suspended);
    let twice = world.refused(
        case,
        Command::Suspend {
            reason: Pii::new("still waiting".into()),
            until_unix_ms: None,
        },
        &mario,
    );
    assert!(matches!(twice.rule, Rule::WrongState { .. }));
    let reject = world.refused(
        case,
        Command::Reject {
            reason: RejectReason::OperatorError,
            detail: Pii::new("not ours after all".into()),
        },
        &mario,
    );
    assert!(matches!(reject.rule, Rule::WrongState { .. }));
    world.ok(case, Command::Resume, &mario);
    assert_eq!(world.case(case).status, Status::Assigned);
    world.ok(case, resolve_second(Communication::Communicated), &mario);
}

#[test]
fn cancellation_needs_a_reason_and_an_unresolved_case() {
    let mut world = World::demo();
    let anna = anna();
    let abandoned = world.open(Channel::Phone, "technology", &anna);
    let cancelled = world.ok(
        abandoned,
        Command::Cancel {
            reason: CancelReason::ContactAbandoned,
        },
        &anna,
    );
    assert_eq!(cancelled.closed, Some(Outcome::WithoutSuccess));
    assert_eq!(
        world.case(abandoned).status,
        Status::Cancelled {
            reason: CancelReason::ContactAbandoned
        }
    );

    let answered = world.open(Channel::Fax, "applications", &anna);
    world.ok(
        answered,
        classify("accounting", ContactReason::Information),
        &anna,
    );
    world.ok(
        answered,
        resolve_first(Communication::NotCommunicated),
        &anna,
    );
    let too_late = world.refused(
        answered,
        Command::Cancel {
            reason: CancelReason::OpenedInError,
        },
        &anna,
    );
    assert!(matches!(too_late.rule, Rule::WrongState { .. }));
}

#[test]
fn a_reminder_follows_its_parent_and_closes_with_it() {
    let mut world = World::demo();
    let (anna, bruno, mario) = (anna(), bruno(), payroll_mario());
    let parent = world.open(Channel::Phone, "personnel-info", &anna);
    world.ok(
        parent,
        classify("payslips", ContactReason::Complaint),
        &anna,
    );
    world.ok(parent, assign("hr-payroll"), &anna);
    world.ok(parent, Command::Lock, &mario);

    // A week later the citizen calls again: a reminder [sollecito].
    let reminder = world.open(Channel::Phone, "personnel-info", &bruno);
    world.ok(
        reminder,
        classify("payslips", ContactReason::Reminder),
        &bruno,
    );
    let alone = world.refused(reminder, resolve_first(Communication::Communicated), &bruno);
    assert_eq!(
        alone.rule,
        Rule::FollowerNeedsParent {
            reason: ContactReason::Reminder
        }
    );
    // Mario holds the parent's lock; the reminder attaches anyway.
    world
        .attach(reminder, parent, &bruno)
        .expect("the reminder attaches");
    let child = world.case(reminder);
    assert_eq!(child.status, Status::Assigned);
    assert_eq!(child.queue.as_str(), "hr-payroll");
    assert_eq!(
        child.parent.map(|l| (l.parent, l.kind)),
        Some((parent, LinkKind::Reminder))
    );
    assert_eq!(
        world.case(parent).followers().collect::<Vec<_>>(),
        [reminder]
    );

    // The same fault reported again by someone else: a duplicate of an already open case.
    let duplicate = world.open(Channel::Phone, "personnel-info", &anna);
    world.ok(
        duplicate,
        classify("payslips", ContactReason::Report),
        &anna,
    );
    world
        .attach(duplicate, parent, &anna)
        .expect("the duplicate attaches");

    // Information about the request: attached, answered at once, does not follow.
    let asking = world.open(Channel::Phone, "personnel-info", &anna);
    world.ok(
        asking,
        classify("payslips", ContactReason::InformationAboutRequest),
        &anna,
    );
    world
        .attach(asking, parent, &anna)
        .expect("the question attaches");
    world.ok(asking, resolve_first(Communication::Communicated), &anna);

    // A follower is worked through its parent.
    let direct = world.refused(
        reminder,
        resolve_second(Communication::Communicated),
        &mario,
    );
    assert_eq!(direct.rule, Rule::FollowsParent { parent });
    let by_hand = world.refused(
        reminder,
        Command::CloseWithParent {
            parent,
            status: Status::ResolvedSecondLevel {
                communication: Communication::Communicated,
            },
        },
        &mario,
    );
    assert_eq!(by_hand.rule, Rule::ChildClosureIsSystems);

    let closed = world.ok(parent, resolve_second(Communication::Communicated), &mario);
    let closing: Vec<_> = closed.child_closures.iter().map(|c| c.child).collect();
    assert_eq!(closing, [reminder, duplicate]);
    for child in [reminder, duplicate] {
        assert_eq!(world.case(child).status, world.case(parent).status);
        let last = world.history(child).last().expect("history");
        assert_eq!(last.actor.role, Role::System);
    }
}

#[test]
fn a_locked_case_refuses_everyone_but_its_holder_until_released() {
    let mut world = World::demo();
    let (anna, bruno, sara) = (anna(), bruno(), supervisor_sara());
    let case = world.open(Channel::Phone, "technology", &anna);
    for command in [
        Command::Lock,
        note(NoteKind::InternalNote, "let me help"),
        classify("workstation", ContactReason::Information),
        Command::Release,
        Command::Cancel {
            reason: CancelReason::OpenedInError,
        },
    ] {
        let refused = world.refused(case, command, &bruno);
        assert_eq!(
            refused.rule,
            Rule::LockedBy {
                holder: "anna".into()
            }
        );
        assert_names_rule(&refused);
    }
    // A supervisor cannot work a locked case either, but may break the lock.
    let set = world.refused(
        case,
        Command::SetResponsible {
            responsible: Some("sara".into()),
        },
        &sara,
    );
    assert!(matches!(set.rule, Rule::LockedBy { .. }));
    let mine = world.refused(case, Command::Lock, &anna);
    assert_eq!(mine.rule, Rule::AlreadyLockedByYou);
    world.ok(case, Command::Release, &sara);
    let unlocked = world.refused(case, Command::Release, &anna);
    assert_eq!(unlocked.rule, Rule::NotLocked);

    world.ok(
        case,
        Command::SetResponsible {
            responsible: Some("sara".into()),
        },
        &sara,
    );
    let not_supervisor = world.refused(
        case,
        Command::SetResponsible {
            responsible: Some("bruno".into()),
        },
        &bruno,
    );
    assert_eq!(not_supervisor.rule, Rule::ResponsibleIsNamedBySupervisor);

    // Bruno takes it in hand and becomes its owner; Anna can no longer work it.
    world.ok(case, Command::Lock, &bruno);
    assert_eq!(world.case(case).owner, Some("bruno".into()));
    let anna_again = world.refused(case, note(NoteKind::InternalNote, "mine?"), &anna);
    assert!(matches!(anna_again.rule, Rule::LockedBy { .. }));
    // The owner hands it to Anna: his lock goes with it.
    world.ok(
        case,
        Command::SetOwner {
            owner: Some("anna".into()),
        },
        &bruno,
    );
    let handed = world.case(case);
    assert_eq!(
        (handed.owner.clone(), handed.lock.clone()),
        (Some("anna".into()), None)
    );
}

#[test]
fn every_refusal_names_its_rule() {
    // One refusal per rule the stories above reach, read as an operator would.
    let mut world = World::demo();
    let (anna, mario) = (anna(), payroll_mario());
    let case = world.open(Channel::Phone, "personnel-info", &anna);
    let mut refusals = vec![
        world.refused(case, resolve_first(Communication::Communicated), &anna),
        world.refused(
            case,
            classify("no-such-service", ContactReason::Information),
            &anna,
        ),
        world.refused(case, Command::Resume, &anna),
        world.refused(case, Command::RecordSatisfaction { score: 3 }, &anna),
        world.refused(case, note(NoteKind::OutgoingMail, ""), &anna),
        world.refused(
            case,
            note(
                NoteKind::OutgoingMail,
                &"x".repeat(service_request::MAX_TEXT_LEN + 1),
            ),
            &anna,
        ),
        world.refused(
            case,
            Command::SetOwner {
                owner: Some("anna".into()),
            },
            &anna,
        ),
        world.refused(
            case,
            Command::CloseWithParent {
                parent: case,
                status: Status::Cancelled {
                    reason: CancelReason::OpenedInError,
                },
            },
            &Actor::system(),
        ),
        world.refused(case, resolve_second(Communication::Communicated), &mario),
    ];
    world.ok(
        case,
        classify("payslips", ContactReason::Information),
        &anna,
    );
    refusals.push(world.refused(
        case,
        Command::RecordNotResolvable {
            report_to: "hr-payroll".into(),
        },
        &anna,
    ));
    refusals.push(world.refused(
        case,
        Command::ReportForInformation {
            group: "hr-payroll".into(),
        },
        &anna,
    ));
    refusals.push(world.refused(case, resolve_first(Communication::ToCommunicate), &anna));
    refusals.push(world.refused(case, assign("rejections"), &anna));

    let expected = [
        "the case is not classified",
        "service no-such-service is not in the catalogue",
        "only a suspended case resumes",
        "satisfaction is surveyed after closure",
        "the note is empty",
        "the note is longer than 8192 bytes",
        "nothing changes",
        "the case does not follow case",
        "the case is locked by anna",
        "an advanced-profile service escalates what the first level cannot answer",
        "only a report is forwarded for information",
        "to communicate is how the second level asks the first for a call-back",
        "group rejections does not serve service payslips",
    ];
    assert_eq!(refusals.len(), expected.len());
    for (refusal, text) in refusals.iter().zip(expected) {
        assert_names_rule(refusal);
        assert!(
            refusal.to_string().contains(text),
            "{refusal} lacks {text:?}"
        );
    }
}
