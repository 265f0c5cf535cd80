//! The finer rules of each step of the life cycle: communication attributes, contact back,
//! reports, links, moves, where cases open. The main stories are in `life_cycle.rs`.

mod common;

use common::*;
use service_request::{
    Actor, Channel, Command, Communication, ContactReason, Desk, NoteKind, Outcome, Rule, State,
    Status,
};

#[test]
fn a_switchboard_call_nobody_answers_is_resolved_communicated_with_a_note() {
    // Seed 004, section 8: the extension is busy, the caller gets the number, the operator
    // notes a summary and closes as resolved at first level / communicated.
    let mut world = World::demo();
    let anna = anna();
    let case = world.open(Channel::Phone, "personnel", &anna);
    world.ok(
        case,
        classify("switchboard", ContactReason::Information),
        &anna,
    );
    world.ok(
        case,
        note(
            NoteKind::InternalNote,
            "asked for the payroll office; extension busy, number given",
        ),
        &anna,
    );
    world.ok(case, resolve_first(Communication::Communicated), &anna);
    assert_eq!(world.case(case).status.outcome(), Some(Outcome::Success));
}

#[test]
fn an_email_answered_later_waits_not_communicated_then_is_communicated() {
    let mut world = World::demo();
    let anna = anna();
    let case = world.open(Channel::Email, "applications", &Actor::system());
    assert_eq!(
        world.case(case).owner,
        None,
        "the platform opened it: nobody owns it yet"
    );
    world.ok(case, Command::Lock, &anna);
    world.ok(
        case,
        classify("travel-expenses", ContactReason::Information),
        &anna,
    );
    let pending = world.ok(case, resolve_first(Communication::NotCommunicated), &anna);
    assert_eq!(pending.closed, None, "not communicated is still open");
    assert_eq!(world.case(case).status.desk(), Desk::FirstLevel);
    world.ok(case, note(NoteKind::CallMade, "no answer at 10:05"), &anna);
    let told = world.ok(
        case,
        Command::RecordCommunication {
            communication: Communication::Communicated,
        },
        &anna,
    );
    assert_eq!(told.closed, Some(Outcome::Success));
}

#[test]
fn a_report_is_forwarded_for_information_as_assigned_resolved() {
    let mut world = World::demo();
    let anna = anna();
    let case = world.open(Channel::Phone, "personnel", &anna);
    world.ok(
        case,
        classify("general-information", ContactReason::Report),
        &anna,
    );
    let resolved = world.refused(case, resolve_first(Communication::Communicated), &anna);
    assert_eq!(resolved.rule, Rule::ReportIsForwarded);
    let forwarded = world.ok(
        case,
        Command::ReportForInformation {
            group: "public-relations".into(),
        },
        &anna,
    );
    assert_eq!(forwarded.closed, Some(Outcome::Success));
    assert_eq!(world.case(case).status, Status::AssignedResolved);
}

#[test]
fn contact_back_returns_the_answer_to_the_first_level_to_call_the_citizen() {
    let mut world = World::demo();
    let (anna, bruno, mario) = (anna(), bruno(), payroll_mario());
    let case = world.open(Channel::Phone, "personnel-info", &anna);
    world.ok(
        case,
        classify("payslips", ContactReason::Information),
        &anna,
    );
    world.ok(case, assign("hr-payroll"), &anna);
    world.ok(case, Command::Lock, &mario);
    let back = world.ok(case, resolve_second(Communication::ToCommunicate), &mario);
    assert_eq!(back.closed, None);
    let waiting = world.case(case);
    assert_eq!(waiting.status.desk(), Desk::FirstLevel);
    assert_eq!(
        waiting.queue.as_str(),
        "personnel-info",
        "back where it was answered"
    );
    assert_eq!(waiting.lock, None);

    // Any first-level operator calls back; a failed call leaves it to communicate.
    world.ok(case, Command::Lock, &bruno);
    let failed = world.refused(
        case,
        Command::RecordCommunication {
            communication: Communication::NotCommunicated,
        },
        &bruno,
    );
    assert_eq!(failed.rule, Rule::CallBackStaysToCommunicate);
    world.ok(case, note(NoteKind::CallMade, "no answer"), &bruno);
    world.ok(
        case,
        Command::RecordCommunication {
            communication: Communication::Communicated,
        },
        &bruno,
    );
    assert_eq!(world.case(case).status.outcome(), Some(Outcome::Success));
}

#[test]
fn contact_back_is_refused_where_the_service_does_not_allow_it() {
    let mut world = World::demo();
    let anna = anna();
    let nino = network_nino();
    let case = world.open(Channel::Phone, "technology", &anna);
    world.ok(case, classify("network", ContactReason::Information), &anna);
    world.ok(case, assign("it-network"), &anna);
    let refused = world.refused(case, resolve_second(Communication::ToCommunicate), &nino);
    assert_eq!(
        refused.rule,
        Rule::ContactBackDisabled {
            service: "network".into()
        }
    );
    // The second level tries itself, fails, and finally cannot reach the citizen.
    world.ok(case, resolve_second(Communication::NotCommunicated), &nino);
    assert_eq!(world.case(case).status.desk(), Desk::SecondLevel);
    let end = world.ok(
        case,
        Command::RecordCommunication {
            communication: Communication::NotCommunicable,
        },
        &nino,
    );
    assert_eq!(end.closed, Some(Outcome::WithoutSuccess));
}

#[test]
fn children_attach_only_to_cases_at_the_second_level() {
    let mut world = World::demo();
    let anna = anna();
    let open_parent = world.open(Channel::Phone, "personnel-info", &anna);
    world.ok(
        open_parent,
        classify("payslips", ContactReason::Information),
        &anna,
    );
    let child = world.open(Channel::Phone, "personnel-info", &anna);
    world.ok(child, classify("payslips", ContactReason::Reminder), &anna);
    let refused = world
        .attach(child, open_parent, &anna)
        .expect_err("parent is open");
    assert_eq!(
        refused.rule,
        Rule::ParentNotAtSecondLevel {
            parent: open_parent,
            state: State::Open
        }
    );
    assert_names_rule(&refused);
    let own = world.attach(child, child, &anna).expect_err("own parent");
    assert_eq!(own.rule, Rule::OwnParent);

    world.ok(open_parent, assign("hr-payroll"), &anna);
    let other_service = world.open(Channel::Phone, "personnel-info", &anna);
    world.ok(
        other_service,
        classify("leave", ContactReason::Reminder),
        &anna,
    );
    let differs = world
        .attach(other_service, open_parent, &anna)
        .expect_err("another service");
    assert_eq!(
        differs.rule,
        Rule::ParentServiceDiffers {
            parent: open_parent
        }
    );

    let booking = world.open(Channel::Phone, "personnel-info", &anna);
    world.ok(booking, classify("payslips", ContactReason::Booking), &anna);
    let not_linkable = world
        .attach(booking, open_parent, &anna)
        .expect_err("booking");
    assert_eq!(
        not_linkable.rule,
        Rule::NotLinkable {
            reason: ContactReason::Booking
        }
    );
}

#[test]
fn moves_stay_on_their_level() {
    let mut world = World::demo();
    let (anna, nino, sara) = (anna(), network_nino(), supervisor_sara());
    let case = world.open(Channel::Phone, "technology", &anna);
    // Horizontal re-routing at first level (seed 000, section 6).
    let up = world.refused(
        case,
        Command::Move {
            queue: "it-network".into(),
        },
        &anna,
    );
    assert!(matches!(up.rule, Rule::MoveStaysOnLevel { .. }));
    world.ok(
        case,
        Command::Move {
            queue: "applications".into(),
        },
        &anna,
    );
    assert_eq!(world.case(case).first_level_queue.as_str(), "applications");

    let case = world.open(Channel::Phone, "technology", &anna);
    world.ok(case, classify("network", ContactReason::Information), &anna);
    world.ok(case, assign("it-network"), &anna);
    let by_member = world.refused(
        case,
        Command::Move {
            queue: "it-desktop".into(),
        },
        &nino,
    );
    assert_eq!(by_member.rule, Rule::SecondLevelMoveIsSupervisors);
    world.ok(
        case,
        Command::Move {
            queue: "it-desktop".into(),
        },
        &sara,
    );
    let not_serving = world.refused(
        case,
        Command::Move {
            queue: "hr-payroll".into(),
        },
        &sara,
    );
    assert!(matches!(not_serving.rule, Rule::GroupNotServing { .. }));
    assert_eq!(world.case(case).first_level_queue.as_str(), "technology");
}

#[test]
fn the_platform_routes_a_calls_case_until_someone_takes_it() {
    let mut world = World::demo();
    let system = Actor::system();
    let move_to = |queue: &str| Command::Move {
        queue: queue.into(),
    };
    // Opened at the call's first fact, before the IVR routed the call.
    let case = world.open(Channel::Phone, "intake", &system);
    let routed = world.ok(case, move_to("technology"), &system);
    assert_eq!(routed.history.len(), 1, "only the queue changes");
    assert_eq!(world.case(case).first_level_queue.as_str(), "technology");
    // Only to a first-level queue, like anyone's move.
    let up = world.refused(case, move_to("it-network"), &system);
    assert!(matches!(up.rule, Rule::MoveStaysOnLevel { .. }));

    // Once an operator has the case, the platform leaves it where it is.
    world.ok(case, Command::Lock, &anna());
    let locked = world.refused(case, move_to("applications"), &system);
    assert!(matches!(locked.rule, Rule::LockedBy { .. }));
    world.ok(case, Command::Release, &anna());
    let owned = world.refused(case, move_to("applications"), &system);
    assert_eq!(owned.rule, Rule::RoutedOnlyUntilTaken);
    assert_names_rule(&owned);

    // And never past the first level.
    let case = world.open(Channel::Phone, "technology", &system);
    world.ok(case, Command::Lock, &anna());
    world.ok(
        case,
        classify("network", ContactReason::Information),
        &anna(),
    );
    world.ok(case, assign("it-network"), &anna());
    let assigned = world.refused(case, move_to("it-desktop"), &system);
    assert_eq!(assigned.rule, Rule::RoutedOnlyUntilTaken);
}

#[test]
fn cases_open_only_in_first_level_queues_by_the_first_level() {
    let mut world = World::demo();
    let second = world
        .try_open(Channel::Phone, "hr-payroll", &anna())
        .expect_err("second-level group");
    assert_eq!(
        second.rule,
        Rule::NotFirstLevelQueue {
            queue: "hr-payroll".into()
        }
    );
    let unknown = world
        .try_open(Channel::Phone, "nowhere", &anna())
        .expect_err("unknown queue");
    assert_eq!(
        unknown.to_string(),
        "open refused: group nowhere is not in the catalogue"
    );
    let by_back_office = world
        .try_open(Channel::Phone, "technology", &payroll_mario())
        .expect_err("second-level member");
    assert_eq!(by_back_office.rule, Rule::OpenedAtFirstLevel);
    for refusal in [second, unknown, by_back_office] {
        assert_names_rule(&refusal);
    }
}

#[test]
fn a_case_and_its_history_survive_serialization() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Row {
        case: service_request::Case,
        history: Vec<service_request::HistoryEntry>,
    }
    let mut world = World::demo();
    let (anna, mario) = (anna(), payroll_mario());
    let case = world.open(Channel::Phone, "personnel-info", &anna);
    world.ok(case, classify("payslips", ContactReason::Complaint), &anna);
    world.ok(
        case,
        note(NoteKind::CallReceived, "the citizen is upset"),
        &anna,
    );
    world.ok(case, assign("hr-payroll"), &anna);
    world.ok(
        case,
        Command::Suspend {
            reason: Pii::new("asked the tax office".into()),
            until_unix_ms: None,
        },
        &mario,
    );
    world.ok(case, Command::Resume, &mario);
    world.ok(
        case,
        Command::Reject {
            reason: service_request::RejectReason::AmbiguousCompetence,
            detail: Pii::new("a pension matter".into()),
        },
        &mario,
    );
    let row = Row {
        case: world.case(case).clone(),
        history: world.history(case).to_vec(),
    };
    let text = toml::to_string(&row).expect("serializes");
    assert!(text.contains("state = \"rejected\""), "{text}");
    assert!(text.contains("change = \"note_added\""), "{text}");
    let back: Row = toml::from_str(&text).expect("parses back");
    assert_eq!(back, row);
}
