//! Random sequences of commands, from random people, on a handful of cases of the demo
//! catalogue. Whatever the sequence:
//! - nothing panics, and every refusal names its command, state and rule;
//! - a terminal case never leaves its state (there is no reopening); it only takes one
//!   satisfaction score;
//! - an accepted command appends at least one history entry, numbered on from the case's
//!   revision, stamped with the actor and the time, and the case is exactly the replay of
//!   its whole history;
//! - a case locked by someone refuses everyone else, except a supervisor's release, the
//!   system closing a child with its parent, and a child being attached to it;
//! - closing a parent closes its followers, with the parent's status, and those closures
//!   are always accepted; links are consistent both ways and one level deep.

mod common;

use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;
use service_request::{
    Actor, CancelReason, Case, CaseId, Channel, Command, CommandKind, Communication, ContactReason,
    Desk, GroupCode, NoteKind, RejectReason, Role, Status,
};

const SERVICES: &[&str] = &[
    "payslips",
    "payslips",
    "network",
    "competitions",
    "network",
    "accounts-mail",
    "general-information",
    "no-such-service",
];
/// `@competent` stands for the first group of the case's service, resolved when the command
/// runs, so that random sequences reach the second level often enough.
const COMPETENT: &str = "@competent";
const GROUPS: &[&str] = &[
    COMPETENT,
    COMPETENT,
    COMPETENT,
    "hr-payroll",
    "it-network",
    "it-identity",
    "it-desktop",
    "hr-recruitment",
    "public-relations",
    "rejections",
    "technology",
    "personnel-info",
    "no-such-group",
];
const FIRST_LEVEL_QUEUES: &[&str] = &["technology", "personnel-info", "applications", "hr-payroll"];
const PEOPLE: &[&str] = &["anna", "bruno", "mario"];
const MAX_CASES: usize = 5;

fn actors() -> Vec<Actor> {
    vec![
        anna(),
        bruno(),
        payroll_mario(),
        network_nino(),
        identity_ida(),
        rejections_rita(),
        supervisor_sara(),
        Actor::system(),
    ]
}

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    prop::sample::select(items)
}

fn text() -> impl Strategy<Value = common::Pii<String>> {
    prop_oneof![
        Just(""),
        Just("  "),
        Just("waiting for the office"),
        Just("called back")
    ]
    .prop_map(|t| common::Pii::new(t.to_string()))
}

/// Every reason, the ones that escalate or attach more often.
fn reason() -> impl Strategy<Value = ContactReason> {
    prop_oneof![
        3 => Just(ContactReason::Information),
        2 => Just(ContactReason::Complaint),
        2 => Just(ContactReason::Reminder),
        3 => pick(ContactReason::ALL),
    ]
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        pick(Communication::ALL)
            .prop_map(|communication| Status::ResolvedSecondLevel { communication }),
        pick(CancelReason::ALL).prop_map(|reason| Status::Cancelled { reason }),
        Just(Status::Assigned),
        Just(Status::Open),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    let group = || pick(GROUPS).prop_map(|g| g.into());
    prop_oneof![
        4 => (pick(SERVICES), reason())
            .prop_map(|(s, reason)| Command::Classify { service: s.into(), reason }),
        2 => pick(Communication::ALL).prop_map(|communication| Command::ResolveFirstLevel { communication }),
        2 => group().prop_map(|group| Command::TransferLive { group }),
        4 => group().prop_map(|group| Command::Assign { group }),
        1 => group().prop_map(|group| Command::ReportForInformation { group }),
        1 => group().prop_map(|report_to| Command::RecordNotResolvable { report_to }),
        3 => pick(Communication::ALL).prop_map(|communication| Command::ResolveSecondLevel { communication }),
        2 => pick(Communication::ALL).prop_map(|communication| Command::RecordCommunication { communication }),
        2 => (text(), prop::option::of(-5_000i64..5_000_000))
            .prop_map(|(reason, until)| Command::Suspend { reason, until_unix_ms: until.map(|d| BASE_MS + d) }),
        1 => Just(Command::Resume),
        2 => (pick(RejectReason::ALL), text()).prop_map(|(reason, detail)| Command::Reject { reason, detail }),
        2 => (group(), prop::option::of(pick(SERVICES)))
            .prop_map(|(group, service)| Command::Reassign { group, service: service.map(Into::into) }),
        1 => pick(CancelReason::ALL).prop_map(|reason| Command::Cancel { reason }),
        3 => Just(Command::Lock),
        3 => Just(Command::Release),
        1 => prop::option::of(pick(PEOPLE)).prop_map(|o| Command::SetOwner { owner: o.map(Into::into) }),
        1 => prop::option::of(pick(PEOPLE)).prop_map(|r| Command::SetResponsible { responsible: r.map(Into::into) }),
        1 => group().prop_map(|queue| Command::Move { queue }),
        2 => (pick(NoteKind::ALL), text()).prop_map(|(kind, text)| Command::AddNote { kind, text }),
        1 => (0..MAX_CASES as i64, status())
            .prop_map(|(p, status)| Command::CloseWithParent { parent: CaseId(p + 1), status }),
        1 => (0u8..8).prop_map(|score| Command::RecordSatisfaction { score }),
    ]
}

/// The virtual clock starts here and moves one second per operation.
const BASE_MS: i64 = 1_767_258_000_000;

/// Who acts: one of the cast, or someone who works the case's desk (the lock holder if
/// there is one), resolved when the command runs.
#[derive(Debug, Clone, Copy)]
enum Who {
    Cast(usize),
    Fitting,
}

#[derive(Debug, Clone)]
enum Op {
    Open {
        channel: Channel,
        queue: &'static str,
        actor: usize,
    },
    Apply {
        case: usize,
        who: Who,
        command: Command,
    },
    Attach {
        child: usize,
        parent: usize,
        who: Who,
    },
    /// Classify and assign in one go (two ordinary, checked commands): reaches the second
    /// level often enough for the random commands that follow to work there.
    Escalate {
        case: usize,
        service: &'static str,
        reason: ContactReason,
    },
    /// Classify `child` on its parent's service with a linking reason, and attach it.
    Follow {
        child: usize,
        parent: usize,
        reason: ContactReason,
    },
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        1 => (0..actors().len()).prop_map(Who::Cast),
        3 => Just(Who::Fitting),
    ]
}

/// The actor `who` stands for, on `case`.
fn resolve_who(who: Who, case: &Case, people: &[Actor]) -> Actor {
    let fallback = || people[0].clone();
    match who {
        Who::Cast(i) => people.get(i).cloned().unwrap_or_else(fallback),
        Who::Fitting => {
            if let Some(lock) = &case.lock {
                return people
                    .iter()
                    .find(|a| a.id == lock.holder)
                    .cloned()
                    .unwrap_or_else(|| {
                        Actor::second_level(lock.holder.as_str(), case.queue.clone())
                    });
            }
            match case.status.desk() {
                Desk::FirstLevel => people[(case.id.0 as usize) % 2].clone(),
                Desk::SecondLevel => {
                    Actor::second_level(format!("member-of-{}", case.queue), case.queue.clone())
                }
                Desk::Rejections => rejections_rita(),
                _ => Actor::system(),
            }
        }
    }
}

/// Replaces `@competent` by the first group of the case's service.
fn resolve_groups(command: Command, case: &Case, world: &World) -> Command {
    let competent: GroupCode = case
        .service
        .as_ref()
        .and_then(|s| world.catalogue.service(s))
        .and_then(|s| s.groups.first().cloned())
        .unwrap_or_else(|| COMPETENT.into());
    let fix = |g: GroupCode| {
        if g.as_str() == COMPETENT {
            competent.clone()
        } else {
            g
        }
    };
    match command {
        Command::TransferLive { group } => Command::TransferLive { group: fix(group) },
        Command::Assign { group } => Command::Assign { group: fix(group) },
        Command::ReportForInformation { group } => {
            Command::ReportForInformation { group: fix(group) }
        }
        Command::RecordNotResolvable { report_to } => Command::RecordNotResolvable {
            report_to: fix(report_to),
        },
        Command::Reassign { group, service } => Command::Reassign {
            group: fix(group),
            service,
        },
        Command::Move { queue } => Command::Move { queue: fix(queue) },
        other => other,
    }
}

fn op() -> impl Strategy<Value = Op> {
    let actor = 0..actors().len();
    prop_oneof![
        2 => (pick(Channel::ALL), pick(FIRST_LEVEL_QUEUES), actor)
            .prop_map(|(channel, queue, actor)| Op::Open { channel, queue, actor }),
        12 => (0..MAX_CASES, who(), command())
            .prop_map(|(case, who, command)| Op::Apply { case, who, command }),
        2 => (0..MAX_CASES, 0..MAX_CASES, who())
            .prop_map(|(child, parent, who)| Op::Attach { child, parent, who }),
        2 => (0..MAX_CASES, pick(&["payslips", "network", "accounts-mail", "competitions"]),
              pick(&[ContactReason::Information, ContactReason::Complaint]))
            .prop_map(|(case, service, reason)| Op::Escalate { case, service, reason }),
        2 => (0..MAX_CASES, 0..MAX_CASES, pick(&[
                ContactReason::Reminder,
                ContactReason::Notification,
                ContactReason::Report,
                ContactReason::InformationAboutRequest,
            ]))
            .prop_map(|(child, parent, reason)| Op::Follow { child, parent, reason }),
    ]
}

/// What an accepted change must look like, whatever the command.
fn check_accepted(before: &Case, applied: &service_request::Applied, actor: &Actor, now: i64) {
    assert!(
        !applied.history.is_empty(),
        "an accepted command leaves a trace"
    );
    assert_eq!(
        applied.case.revision,
        before.revision + applied.history.len() as u64
    );
    for (i, entry) in applied.history.iter().enumerate() {
        assert_eq!(entry.seq, before.revision + i as u64);
        assert_eq!(entry.case, before.id);
        assert_eq!(entry.at_unix_ms, now);
        assert_eq!(&entry.actor, actor);
    }
    let closed_now = !before.status.is_terminal() && applied.case.status.is_terminal();
    assert_eq!(applied.closed.is_some(), closed_now);
    if applied.case.status.is_terminal() {
        assert_eq!(applied.case.lock, None, "a closed case is not locked");
    }
    let expected: Vec<CaseId> = if closed_now {
        applied.case.followers().collect()
    } else {
        Vec::new()
    };
    let closing: Vec<CaseId> = applied.child_closures.iter().map(|c| c.child).collect();
    assert_eq!(closing, expected);
}

fn check_world(world: &World, closed: &mut BTreeMap<CaseId, Status>) {
    for (id, case) in &world.cases {
        // Terminal for ever, in the same state.
        if let Some(status) = closed.get(id) {
            assert_eq!(&case.status, status, "{id} left its terminal state");
        } else if case.status.is_terminal() {
            closed.insert(*id, case.status.clone());
        }
        // Links agree both ways, one level deep.
        if let Some(link) = case.parent {
            assert!(case.children.is_empty(), "{id} is a child and a parent");
            let parent = &world.cases[&link.parent];
            assert!(
                parent
                    .children
                    .iter()
                    .any(|c| c.child == *id && c.kind == link.kind)
            );
        }
        for child in &case.children {
            let linked = world.cases[&child.child].parent;
            assert_eq!(linked.map(|l| l.parent), Some(*id));
        }
        // Children of a closed parent are closed, as the parent is.
        if case.status.is_terminal() {
            for follower in case.followers() {
                assert_eq!(
                    world.cases[&follower].status, case.status,
                    "{follower} of {id}"
                );
            }
        }
    }
}

/// Applies one command through the test world, checking every invariant of the change.
fn apply_checked(world: &mut World, people: &[Actor], case: usize, who: Who, command: Command) {
    let id = CaseId(case as i64 + 1);
    let Some(before) = world.cases.get(&id).cloned() else {
        return;
    };
    let actor = &resolve_who(who, &before, people);
    let command = resolve_groups(command, &before, world);
    let kind = command.kind();
    let now = world.now + 1_000; // what World::apply will read
    match world.apply(id, command, actor) {
        Ok(applied) => {
            check_accepted(&before, &applied, actor, now);
            if before.status.is_terminal() {
                assert_eq!(kind, CommandKind::RecordSatisfaction);
            }
            if let Some(lock) = &before.lock
                && lock.holder != actor.id
            {
                assert!(
                    matches!(
                        (kind, &actor.role),
                        (CommandKind::Release, Role::Supervisor)
                            | (CommandKind::CloseWithParent, Role::System)
                    ),
                    "{kind} by {actor} on a case locked by {}",
                    lock.holder
                );
            }
        }
        Err(refusal) => {
            assert_names_rule(&refusal);
            assert_eq!(refusal.command, kind);
            // A refusal leaves the case as it was. (Were a child closure refused, World::apply
            // would have stored the parent already: caught here.)
            assert_eq!(world.cases[&id], before, "{refusal}");
        }
    }
}

fn attach_checked(world: &mut World, people: &[Actor], child: usize, parent: usize, who: Who) {
    let (child, parent) = (CaseId(child as i64 + 1), CaseId(parent as i64 + 1));
    let (Some(before), Some(parent_before)) = (
        world.cases.get(&child).cloned(),
        world.cases.get(&parent).cloned(),
    ) else {
        return;
    };
    let actor = &resolve_who(who, &before, people);
    match world.attach(child, parent, actor) {
        Ok(()) => {
            assert_eq!(before.status, Status::Open);
            assert!(!parent_before.status.is_terminal());
            if let Some(lock) = &before.lock {
                assert_eq!(lock.holder, actor.id, "attached a case locked by another");
            }
        }
        Err(refusal) => {
            assert_names_rule(&refusal);
            assert_eq!(refusal.command, CommandKind::AttachToParent);
            assert_eq!(world.cases[&child], before);
            assert_eq!(world.cases[&parent], parent_before);
        }
    }
}

fn run(ops: Vec<Op>) {
    let people = actors();
    let mut world = World::demo();
    let mut closed = BTreeMap::new();
    world.open(Channel::Phone, "technology", &people[0]);
    world.open(Channel::Phone, "personnel-info", &people[1]);
    world.open(Channel::Email, "personnel-info", &Actor::system());
    world.open(Channel::Phone, "personnel-info", &Actor::system());
    for op in ops {
        match op {
            Op::Open {
                channel,
                queue,
                actor,
            } => {
                if world.cases.len() < MAX_CASES
                    && let Err(refusal) = world.try_open(channel, queue, &people[actor])
                {
                    assert_names_rule(&refusal);
                    assert_eq!(refusal.command, CommandKind::Open);
                }
            }
            Op::Apply { case, who, command } => {
                apply_checked(&mut world, &people, case, who, command);
            }
            Op::Attach { child, parent, who } => {
                attach_checked(&mut world, &people, child, parent, who);
            }
            Op::Escalate {
                case,
                service,
                reason,
            } => {
                let classify = Command::Classify {
                    service: service.into(),
                    reason,
                };
                apply_checked(&mut world, &people, case, Who::Fitting, classify);
                let assign = Command::Assign {
                    group: COMPETENT.into(),
                };
                apply_checked(&mut world, &people, case, Who::Fitting, assign);
            }
            Op::Follow {
                child,
                parent,
                reason,
            } => {
                let service = world
                    .cases
                    .get(&CaseId(parent as i64 + 1))
                    .and_then(|p| p.service.clone())
                    .unwrap_or_else(|| "payslips".into());
                let classify = Command::Classify { service, reason };
                apply_checked(&mut world, &people, child, Who::Fitting, classify);
                attach_checked(&mut world, &people, child, parent, Who::Fitting);
            }
        }
        check_world(&world, &mut closed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_command_sequences_keep_every_invariant(ops in prop::collection::vec(op(), 1..120)) {
        run(ops);
    }
}
