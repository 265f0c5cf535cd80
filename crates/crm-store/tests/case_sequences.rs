//! Random sequences of commands, attachments and call facts, from random people, on a few
//! cases of the demo catalogue, applied through the store on both backends. Whatever the
//! sequence:
//! - every stored case is exactly `Case::replay` of its stored history;
//! - a refused command, and a command decided on a stale revision, leave the case as it was;
//! - nothing but a refusal or a stale revision comes back (no database error, no panic).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use crm_store::{CaseError, CaseKey, HistoryPage};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use service_request::{
    Actor, CancelReason, Case, Command, Communication, ContactReason, Desk, GroupCode,
    HistoryEntry, NoteKind, RejectReason,
};

const SERVICES: &[&str] = &[
    "payslips",
    "payslips",
    "network",
    "competitions",
    "accounts-mail",
    "general-information",
    "no-such-service",
];
/// Stands for the first group of the case's service, resolved when the command runs, so
/// that random sequences reach the second level often enough.
const COMPETENT: &str = "@competent";
const GROUPS: &[&str] = &[
    COMPETENT,
    COMPETENT,
    "hr-payroll",
    "it-network",
    "it-desktop",
    "public-relations",
    "rejections",
    "technology",
    "personnel-info",
    "no-such-group",
];
const CALL_QUEUES: &[&str] = &["technology", "personnel-info", "applications", "elsewhere"];
const CASES: usize = 4;

fn cast() -> Vec<Actor> {
    vec![
        Actor::first_level("anna"),
        Actor::first_level("bruno"),
        Actor::second_level("mario", "hr-payroll"),
        Actor::second_level("nino", "it-network"),
        Actor::rejections("rita"),
        Actor::supervisor("sara"),
        Actor::system(),
    ]
}

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    prop::sample::select(items)
}

fn text() -> impl Strategy<Value = Pii<String>> {
    prop_oneof![
        Just(""),
        Just("waiting for the office"),
        Just("called back")
    ]
    .prop_map(|t| Pii::new(t.to_string()))
}

fn command() -> impl Strategy<Value = Command> {
    let group = || pick(GROUPS).prop_map(GroupCode::from);
    prop_oneof![
        3 => (pick(SERVICES), pick(ContactReason::ALL))
            .prop_map(|(s, reason)| Command::Classify { service: s.into(), reason }),
        2 => pick(Communication::ALL).prop_map(|communication| Command::ResolveFirstLevel { communication }),
        1 => group().prop_map(|group| Command::TransferLive { group }),
        2 => group().prop_map(|group| Command::Assign { group }),
        1 => group().prop_map(|group| Command::ReportForInformation { group }),
        1 => group().prop_map(|report_to| Command::RecordNotResolvable { report_to }),
        3 => pick(Communication::ALL).prop_map(|communication| Command::ResolveSecondLevel { communication }),
        2 => pick(Communication::ALL).prop_map(|communication| Command::RecordCommunication { communication }),
        2 => (text(), prop::option::of(-5_000i64..5_000_000))
            .prop_map(|(reason, until)| Command::Suspend { reason, until_unix_ms: until.map(|d| MARCH_2026 + d) }),
        1 => Just(Command::Resume),
        2 => (pick(RejectReason::ALL), text()).prop_map(|(reason, detail)| Command::Reject { reason, detail }),
        2 => (group(), prop::option::of(pick(SERVICES)))
            .prop_map(|(group, service)| Command::Reassign { group, service: service.map(Into::into) }),
        1 => pick(CancelReason::ALL).prop_map(|reason| Command::Cancel { reason }),
        3 => Just(Command::Lock),
        2 => Just(Command::Release),
        1 => prop::option::of(pick(&["anna", "bruno", "mario"])).prop_map(|o| Command::SetOwner { owner: o.map(Into::into) }),
        1 => prop::option::of(pick(&["sara", "mario"])).prop_map(|r| Command::SetResponsible { responsible: r.map(Into::into) }),
        1 => group().prop_map(|queue| Command::Move { queue }),
        2 => (pick(NoteKind::ALL), text()).prop_map(|(kind, text)| Command::AddNote { kind, text }),
        1 => (1..=5u8).prop_map(|score| Command::RecordSatisfaction { score }),
    ]
}

/// Who acts: one of the cast, or someone who works the case's desk (the lock holder if
/// there is one), resolved when the command runs.
#[derive(Debug, Clone, Copy)]
enum Who {
    Cast(usize),
    Fitting,
}

/// The revision a command is decided on: none said, the current one, or an old one.
#[derive(Debug, Clone, Copy)]
enum Decided {
    Unsaid,
    OnCurrent,
    OnStale,
}

#[derive(Debug, Clone)]
enum Op {
    Apply {
        case: usize,
        who: Who,
        decided: Decided,
        command: Command,
    },
    Attach {
        child: usize,
        parent: usize,
        who: Who,
    },
    /// Classify and assign to the competent group: reaches the second level often enough.
    Escalate { case: usize, service: &'static str },
    /// Classify `child` on its parent's service with a linking reason, and attach it.
    Follow {
        child: usize,
        parent: usize,
        reason: ContactReason,
    },
    /// The second level closes a case: reaches the closure of parents (and their
    /// followers) often enough.
    Close { case: usize },
    /// The call of a case is offered in a queue: the platform may route the case.
    Offer { case: usize, queue: &'static str },
}

fn op() -> impl Strategy<Value = Op> {
    let who = prop_oneof![1 => (0..cast().len()).prop_map(Who::Cast), 3 => Just(Who::Fitting)];
    let decided = prop_oneof![
        4 => Just(Decided::Unsaid),
        1 => Just(Decided::OnCurrent),
        1 => Just(Decided::OnStale),
    ];
    prop_oneof![
        8 => (0..CASES, who.clone(), decided, command())
            .prop_map(|(case, who, decided, command)| Op::Apply { case, who, decided, command }),
        2 => (0..CASES, 0..CASES, who)
            .prop_map(|(child, parent, who)| Op::Attach { child, parent, who }),
        3 => (0..CASES, pick(&["payslips", "network", "accounts-mail", "competitions"]))
            .prop_map(|(case, service)| Op::Escalate { case, service }),
        3 => (0..CASES, 0..CASES, pick(&[
                ContactReason::Reminder,
                ContactReason::Notification,
                ContactReason::Report,
                ContactReason::InformationAboutRequest,
            ]))
            .prop_map(|(child, parent, reason)| Op::Follow { child, parent, reason }),
        2 => (0..CASES).prop_map(|case| Op::Close { case }),
        2 => (0..CASES, pick(CALL_QUEUES)).prop_map(|(case, queue)| Op::Offer { case, queue }),
    ]
}

fn resolve_who(who: Who, case: &Case) -> Actor {
    let people = cast();
    match who {
        Who::Cast(i) => people[i % people.len()].clone(),
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
                Desk::Rejections => Actor::rejections("rita"),
                _ => Actor::system(),
            }
        }
    }
}

fn resolve_groups(command: Command, case: &Case, f: &Fixture<impl Store>) -> Command {
    let competent: GroupCode = case
        .service
        .as_ref()
        .and_then(|s| f.catalogue.service(s))
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

async fn full_history<S: Store>(f: &Fixture<S>, key: &CaseKey) -> Vec<HistoryEntry> {
    let page = HistoryPage {
        after_seq: None,
        limit: HistoryPage::MAX_LIMIT,
    };
    f.store.history(key.clone(), page).await.expect("history")
}

async fn current<S: Store>(f: &Fixture<S>, key: &CaseKey) -> Case {
    f.case(key.clone()).await.case
}

/// Applies one command as the op says, checking that only a refusal or a stale revision
/// can come back, and that either leaves the case as it was.
async fn apply<S: Store>(
    f: &Fixture<S>,
    key: &CaseKey,
    who: Who,
    decided: Decided,
    command: Command,
) {
    let before = current(f, key).await;
    let actor = resolve_who(who, &before);
    let command = resolve_groups(command, &before, f);
    let expected = match decided {
        Decided::Unsaid => None,
        Decided::OnCurrent => Some(before.revision),
        Decided::OnStale => Some(before.revision - 1),
    };
    f.tick(1);
    let result = f
        .store
        .apply(key.clone(), command, &actor, expected, &f.catalogue)
        .await;
    match result {
        Ok(update) => {
            assert!(
                !matches!(decided, Decided::OnStale),
                "a stale command was stored"
            );
            assert_eq!(
                update.case.case.revision,
                before.revision + update.appended.len() as u64
            );
        }
        Err(CaseError::Refused(_)) => assert_eq!(current(f, key).await, before),
        Err(CaseError::StaleRevision { .. }) if matches!(decided, Decided::OnStale) => {
            assert_eq!(current(f, key).await, before)
        }
        Err(other) => panic!("{other}"),
    }
}

async fn attach<S: Store>(f: &Fixture<S>, child: &CaseKey, parent: &CaseKey, who: Who) {
    let (child_before, parent_before) = (current(f, child).await, current(f, parent).await);
    let actor = resolve_who(who, &child_before);
    f.tick(1);
    let result = f
        .store
        .attach_to_parent(child.clone(), parent.clone(), &actor, None, &f.catalogue)
        .await;
    match result {
        Ok(_) => {}
        Err(CaseError::Refused(_)) => {
            assert_eq!(current(f, child).await, child_before);
            assert_eq!(current(f, parent).await, parent_before);
        }
        Err(other) => panic!("{other}"),
    }
}

static RUN: AtomicU32 = AtomicU32::new(0);

async fn run<S: Store>(f: &Fixture<S>, ops: Vec<Op>) {
    let run = RUN.fetch_add(1, Ordering::Relaxed);
    let mut keys = Vec::new();
    for n in 0..CASES {
        let call_id = format!("seq-{run}-{n}");
        f.fact(arrived(&call_id)).await;
        keys.push(CaseKey::from(f.case_of_call(&call_id).await.number));
    }
    for op in ops {
        match op {
            Op::Apply {
                case,
                who,
                decided,
                command,
            } => {
                apply(f, &keys[case], who, decided, command).await;
            }
            Op::Attach { child, parent, who } => attach(f, &keys[child], &keys[parent], who).await,
            Op::Escalate { case, service } => {
                let classify = Command::Classify {
                    service: service.into(),
                    reason: ContactReason::Information,
                };
                apply(f, &keys[case], Who::Fitting, Decided::Unsaid, classify).await;
                let assign = Command::Assign {
                    group: COMPETENT.into(),
                };
                apply(f, &keys[case], Who::Fitting, Decided::Unsaid, assign).await;
            }
            Op::Follow {
                child,
                parent,
                reason,
            } => {
                let service = current(f, &keys[parent])
                    .await
                    .service
                    .unwrap_or_else(|| "payslips".into());
                let classify = Command::Classify { service, reason };
                apply(f, &keys[child], Who::Fitting, Decided::Unsaid, classify).await;
                attach(f, &keys[child], &keys[parent], Who::Fitting).await;
            }
            Op::Close { case } => {
                let resolve = Command::ResolveSecondLevel {
                    communication: Communication::Communicated,
                };
                apply(f, &keys[case], Who::Fitting, Decided::Unsaid, resolve).await;
            }
            Op::Offer { case, queue } => {
                f.tick(1);
                f.fact(offered(&format!("seq-{run}-{case}"), queue, &[]))
                    .await;
            }
        }
        for key in &keys {
            let case = current(f, key).await;
            let history = full_history(f, key).await;
            assert_eq!(
                Case::replay(&history).as_ref(),
                Ok(&case),
                "{key:?} is the replay of its history"
            );
            if case.status.is_terminal() {
                assert_eq!(case.lock, None);
            }
            for follower in case.followers() {
                if case.status.is_terminal() {
                    let child = current(f, &CaseKey::Id(follower)).await;
                    assert_eq!(
                        child.status, case.status,
                        "{follower} closed with its parent"
                    );
                }
            }
            if let Some(link) = case.parent {
                let parent = current(f, &CaseKey::Id(link.parent)).await;
                assert!(parent.children.iter().any(|c| c.child == case.id));
            }
        }
    }
}

async fn random_sequences_store_what_the_history_replays<S: Store>(f: Fixture<S>) {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let f = Arc::new(f);
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::spawn_blocking(move || {
        let config = Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        runner
            .run(&prop::collection::vec(op(), 1..60), |ops| {
                handle.block_on(run(&f, ops));
                Ok(())
            })
            .map_err(|failure| failure.to_string())
    })
    .await
    .expect("the property runs");
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

suite!(random_sequences_store_what_the_history_replays);
