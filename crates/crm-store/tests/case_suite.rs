//! The life cycle of a case through the store, on both backends: every transition of the
//! table in `docs/service-requests.md`, the history rows each one leaves (who, when, what),
//! and every refusal coming back with its rule while the stored case stays as it was.

mod common;

use common::*;
use crm_store::{
    CaseError, CaseFilter, CaseKey, CaseUpdate, CaseView, HistoryPage, ListFilter, StoreError,
};
use service_request::{
    Actor, CancelReason, CaseId, Change, Command, Communication, ContactReason, LinkKind, NoteKind,
    Outcome, RejectReason, Rejection, Role, Rule, State, Status, Suspension,
};

fn anna() -> Actor {
    Actor::first_level("anna")
}
fn bruno() -> Actor {
    Actor::first_level("bruno")
}
fn mario() -> Actor {
    Actor::second_level("mario", "hr-payroll")
}
fn alba() -> Actor {
    Actor::second_level("alba", "hr-attendance")
}
fn nino() -> Actor {
    Actor::second_level("nino", "it-network")
}
fn dario() -> Actor {
    Actor::second_level("dario", "it-desktop")
}
fn rita() -> Actor {
    Actor::rejections("rita")
}
fn sara() -> Actor {
    Actor::supervisor("sara")
}

fn classify(service: &str, reason: ContactReason) -> Command {
    Command::Classify {
        service: service.into(),
        reason,
    }
}
fn assign(group: &str) -> Command {
    Command::Assign {
        group: group.into(),
    }
}
fn note(text: &str) -> Command {
    Command::AddNote {
        kind: NoteKind::InternalNote,
        text: Pii::new(text.into()),
    }
}

/// Applies a command the story expects to be accepted, one second after the last.
async fn ok<S: Store>(
    f: &Fixture<S>,
    case: &CaseView,
    command: Command,
    actor: &Actor,
) -> CaseUpdate {
    f.tick(1);
    let what = command.kind();
    f.store
        .apply(
            case.number.as_str().into(),
            command,
            actor,
            None,
            &f.catalogue,
        )
        .await
        .unwrap_or_else(|error| panic!("{what} by {actor} was refused: {error}"))
}

/// Applies a command the story expects to be refused: the rule comes back typed, the
/// message names command, state and rule, and neither the case nor its history changed.
async fn refused<S: Store>(
    f: &Fixture<S>,
    case: &CaseView,
    command: Command,
    actor: &Actor,
) -> Rule {
    let key = CaseKey::from(case.number.as_str());
    let (before, history) = (f.case(key.clone()).await, f.history(key.clone()).await);
    f.tick(1);
    let error = f
        .store
        .apply(key.clone(), command, actor, None, &f.catalogue)
        .await
        .expect_err("refused");
    let CaseError::Refused(refusal) = error else {
        panic!("not a refusal: {error}");
    };
    let message = refusal.to_string();
    assert!(message.ends_with(&refusal.rule.to_string()), "{message}");
    assert!(message.starts_with(&format!("{} refused in state ", refusal.command)));
    assert_eq!(
        f.case(key.clone()).await,
        before,
        "a refusal stores nothing"
    );
    assert_eq!(f.history(key).await, history, "a refusal appends nothing");
    refusal.rule
}

fn names(history: &[service_request::HistoryEntry]) -> Vec<&'static str> {
    history.iter().map(|e| e.change.name()).collect()
}

// ---------------------------------------------------------------------------------------------
// The stories

async fn a_call_opens_its_case_and_the_case_follows_the_call<S: Store>(f: Fixture<S>) {
    f.fact(arrived("c-1")).await;
    let case = f.case_of_call("c-1").await;
    assert_eq!(case.case.status, Status::Open);
    assert_eq!(case.case.queue.as_str(), "intake", "not routed yet");
    assert_eq!(case.case.revision, 1);
    assert_eq!(
        case.case.owner, None,
        "the platform opened it: nobody owns it"
    );
    assert_eq!(
        case.case
            .caller_number
            .as_ref()
            .map(|n| n.expose().as_str()),
        Some("+390551234567")
    );
    let call = case.call.as_ref().expect("a call's case");
    assert_eq!(call.call_id, "c-1");
    assert_eq!(call.dialled_number, "800123456");

    f.tick(5);
    f.fact(offered(
        "c-1",
        "technology",
        &[("service_area", "technology")],
    ))
    .await;
    f.fact(offered(
        "c-1",
        "technology",
        &[("service_area", "technology")],
    ))
    .await;
    f.fact(answered("c-1", "1001")).await;
    let case = f.case_of_call("c-1").await;
    assert_eq!(case.case.queue.as_str(), "technology");
    assert_eq!(case.case.first_level_queue.as_str(), "technology");
    let history = f.history(case.number.as_str()).await;
    assert_eq!(
        names(&history),
        ["opened", "queue_changed"],
        "repeated facts add nothing"
    );
    assert!(history.iter().all(|e| e.actor == Actor::system()));
    assert_eq!(history[0].at_unix_ms, MARCH_2026);
    assert_eq!(history[1].at_unix_ms, MARCH_2026 + 5_000);
    let sr = f.store.get_by_call_id("c-1").await.unwrap().unwrap();
    assert_eq!(sr.state, State::Open, "the SR shows its case's state");

    // An operator re-routes it: the call record at the end does not take it back.
    let moved = ok(
        &f,
        &case,
        Command::Move {
            queue: "applications".into(),
        },
        &anna(),
    )
    .await;
    f.fact(ended("c-1", Some("technology"), &[])).await;
    assert_eq!(f.case_of_call("c-1").await.case, moved.case.case);

    // A call that never reached a queue: the default group of the area chosen, else intake.
    f.fact(arrived("c-2")).await;
    f.fact(ended("c-2", None, &[("service_area", "personnel")]))
        .await;
    assert_eq!(f.case_of_call("c-2").await.case.queue.as_str(), "personnel");
    f.fact(offered("c-3", "no-such-queue", &[])).await;
    assert_eq!(f.case_of_call("c-3").await.case.queue.as_str(), "intake");
    // A call record alone opens its case where the call went.
    f.fact(ended("c-4", Some("applications"), &[])).await;
    let alone = f.case_of_call("c-4").await;
    assert_eq!(alone.case.queue.as_str(), "applications");
    assert_eq!(names(&f.history(alone.number.as_str()).await), ["opened"]);
}

async fn an_information_call_is_resolved_at_first_level_and_surveyed<S: Store>(f: Fixture<S>) {
    let case = f.call_in("r-1", "personnel-info").await;
    let start = f.clock_now();
    ok(&f, &case, Command::Lock, &anna()).await;
    ok(
        &f,
        &case,
        classify("leave", ContactReason::Information),
        &anna(),
    )
    .await;
    let offline = Command::ResolveFirstLevel {
        communication: Communication::NotCommunicated,
    };
    assert_eq!(
        refused(&f, &case, offline, &anna()).await,
        Rule::CallIsCommunicated
    );
    let survey_early = Command::RecordSatisfaction { score: 5 };
    assert_eq!(
        refused(&f, &case, survey_early, &anna()).await,
        Rule::SurveyBeforeClosure
    );
    let resolve = Command::ResolveFirstLevel {
        communication: Communication::Communicated,
    };
    let resolved = ok(&f, &case, resolve, &anna()).await;
    assert_eq!(resolved.closed, Some(Outcome::Success));
    assert!(resolved.case.closed);
    assert_eq!(resolved.case.outcome, Some(Outcome::Success));
    assert_eq!(resolved.case.case.lock, None, "closing releases the lock");
    assert_eq!(
        resolved.case.case.owner,
        Some("anna".into()),
        "the owner stays"
    );
    assert_eq!(
        names(&resolved.appended),
        ["status_changed", "lock_changed"]
    );

    // Who, when, what.
    let history = f.history(case.number.as_str()).await;
    assert_eq!(
        names(&history),
        [
            "opened",
            "queue_changed",
            "lock_changed",
            "owner_changed",
            "service_changed",
            "contact_reason_changed",
            "status_changed",
            "lock_changed"
        ]
    );
    assert!(history[2..].iter().all(|e| e.actor == anna()));
    let at: Vec<i64> = history[2..].iter().map(|e| e.at_unix_ms - start).collect();
    assert_eq!(
        at,
        [1_000, 1_000, 2_000, 2_000, 5_000, 5_000],
        "the clock of each command"
    );
    assert_eq!(
        history[6].change,
        Change::StatusChanged {
            from: Status::Open,
            to: Status::ResolvedFirstLevel {
                communication: Communication::Communicated
            }
        }
    );
    assert!(history.iter().enumerate().all(|(i, e)| e.seq == i as u64));

    // Closed for ever; one satisfaction score.
    assert_eq!(
        refused(&f, &case, note("one more thing"), &anna()).await,
        Rule::Closed
    );
    let zero = Command::RecordSatisfaction { score: 0 };
    assert_eq!(
        refused(&f, &case, zero, &Actor::system()).await,
        Rule::ScoreOutOfRange { score: 0 }
    );
    let surveyed = ok(
        &f,
        &case,
        Command::RecordSatisfaction { score: 4 },
        &Actor::system(),
    )
    .await;
    assert_eq!(surveyed.case.case.satisfaction, Some(4));
    let again = Command::RecordSatisfaction { score: 5 };
    assert_eq!(
        refused(&f, &case, again, &anna()).await,
        Rule::SatisfactionAlreadyRecorded
    );
    let by_state = ListFilter {
        state: Some(State::ResolvedFirstLevel),
        ..Default::default()
    };
    let listed = f.store.list(by_state).await.unwrap();
    assert_eq!(listed.len(), 1, "the SR list filters on the case's state");
}

async fn a_basic_service_records_what_it_cannot_answer_as_not_resolvable<S: Store>(f: Fixture<S>) {
    let case = f.call_in("b-1", "personnel-info").await;
    ok(&f, &case, Command::Lock, &anna()).await;
    let complaint = classify("competitions", ContactReason::Complaint);
    assert!(matches!(
        refused(&f, &case, complaint, &anna()).await,
        Rule::ReasonNotInProfile { .. }
    ));
    ok(
        &f,
        &case,
        classify("competitions", ContactReason::Information),
        &anna(),
    )
    .await;
    assert_eq!(
        refused(&f, &case, assign("hr-recruitment"), &anna()).await,
        Rule::BasicHasNoSecondLevel
    );
    let error = f
        .store
        .apply(
            case.number.as_str().into(),
            assign("hr-recruitment"),
            &anna(),
            None,
            &f.catalogue,
        )
        .await
        .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "assign refused in state open: a basic-profile service has no second level: \
         record it as not resolvable and report it for information"
    );
    let report_to = |group: &str| Command::RecordNotResolvable {
        report_to: group.into(),
    };
    assert!(matches!(
        refused(&f, &case, report_to("hr-payroll"), &anna()).await,
        Rule::GroupNotServing { .. }
    ));
    let closed = ok(&f, &case, report_to("hr-recruitment"), &anna()).await;
    assert_eq!(closed.case.case.status, Status::NotResolvable);
    assert_eq!(closed.closed, Some(Outcome::WithoutSuccess));
    assert_eq!(
        closed.case.case.queue.as_str(),
        "hr-recruitment",
        "shown to the group"
    );
}

async fn assigned_cases_are_resolved_at_second_level_or_sent_back_for_contact_back<S: Store>(
    f: Fixture<S>,
) {
    let complaint = f.call_in("s-1", "personnel-info").await;
    ok(&f, &complaint, Command::Lock, &anna()).await;
    ok(
        &f,
        &complaint,
        classify("payslips", ContactReason::Complaint),
        &anna(),
    )
    .await;
    let assigned = ok(&f, &complaint, assign("hr-payroll"), &anna()).await;
    assert_eq!(assigned.case.case.status, Status::Assigned);
    assert_eq!(assigned.case.case.queue.as_str(), "hr-payroll");
    assert_eq!(
        (
            assigned.case.case.owner.clone(),
            assigned.case.case.lock.clone()
        ),
        (None, None)
    );
    let outsider = Actor::second_level("ida", "it-identity");
    assert_eq!(
        refused(&f, &complaint, Command::Lock, &outsider).await,
        Rule::NotYourGroup {
            group: "hr-payroll".into()
        }
    );
    ok(&f, &complaint, Command::Lock, &mario()).await;
    let resolve = |communication| Command::ResolveSecondLevel { communication };
    let done = ok(
        &f,
        &complaint,
        resolve(Communication::Communicated),
        &mario(),
    )
    .await;
    assert_eq!(done.closed, Some(Outcome::Success));

    // Contact back: the answer goes to the first level, which calls the citizen.
    let leave = f.call_in("s-2", "personnel-info").await;
    ok(&f, &leave, Command::Lock, &anna()).await;
    ok(
        &f,
        &leave,
        classify("leave", ContactReason::Information),
        &anna(),
    )
    .await;
    ok(&f, &leave, assign("hr-attendance"), &anna()).await;
    ok(&f, &leave, Command::Lock, &alba()).await;
    let back = ok(&f, &leave, resolve(Communication::ToCommunicate), &alba()).await;
    assert_eq!(
        back.case.case.status,
        Status::ResolvedSecondLevel {
            communication: Communication::ToCommunicate
        }
    );
    assert_eq!(
        back.case.case.queue.as_str(),
        "personnel-info",
        "back where it came from"
    );
    assert!(!back.case.closed);
    let failed_call = Command::RecordCommunication {
        communication: Communication::NotCommunicated,
    };
    assert_eq!(
        refused(&f, &leave, failed_call, &anna()).await,
        Rule::CallBackStaysToCommunicate
    );
    let told = Command::RecordCommunication {
        communication: Communication::Communicated,
    };
    assert_eq!(
        ok(&f, &leave, told, &anna()).await.closed,
        Some(Outcome::Success)
    );
}

async fn a_wrong_assignment_is_rejected_and_reassigned<S: Store>(f: Fixture<S>) {
    let case = f.call_in("j-1", "technology").await;
    ok(&f, &case, Command::Lock, &anna()).await;
    ok(
        &f,
        &case,
        classify("network", ContactReason::Information),
        &anna(),
    )
    .await;
    ok(&f, &case, assign("it-desktop"), &anna()).await;
    let reject = Command::Reject {
        reason: RejectReason::OperatorError,
        detail: Pii::new("a VPN fault: network office".into()),
    };
    let rejected = ok(&f, &case, reject, &dario()).await;
    assert_eq!(
        rejected.case.case.status,
        Status::Rejected(Rejection {
            reason: RejectReason::OperatorError,
            detail: Pii::new("a VPN fault: network office".into()),
        })
    );
    assert_eq!(rejected.case.case.queue.as_str(), "rejections");
    let moved = Command::Move {
        queue: "it-network".into(),
    };
    assert!(matches!(
        refused(&f, &case, moved, &sara()).await,
        Rule::WrongState { .. }
    ));
    let reassign = |group: &str| Command::Reassign {
        group: group.into(),
        service: None,
    };
    assert!(matches!(
        refused(&f, &case, reassign("hr-payroll"), &rita()).await,
        Rule::GroupNotServing { .. }
    ));
    assert!(matches!(
        refused(&f, &case, reassign("it-network"), &anna()).await,
        Rule::WrongDesk { .. }
    ));
    let reassigned = ok(&f, &case, reassign("it-network"), &rita()).await;
    assert_eq!(reassigned.case.case.status, Status::Assigned);
    assert_eq!(reassigned.case.case.queue.as_str(), "it-network");
}

async fn a_live_transfer_takes_call_and_case_together<S: Store>(f: Fixture<S>) {
    let complaint = f.call_in("t-1", "technology").await;
    ok(&f, &complaint, Command::Lock, &anna()).await;
    ok(
        &f,
        &complaint,
        classify("network", ContactReason::Complaint),
        &anna(),
    )
    .await;
    let transfer = || Command::TransferLive {
        group: "it-network".into(),
    };
    assert_eq!(
        refused(&f, &complaint, transfer(), &anna()).await,
        Rule::TransferIsForInformation
    );
    let question = f.call_in("t-2", "technology").await;
    ok(&f, &question, Command::Lock, &anna()).await;
    ok(
        &f,
        &question,
        classify("network", ContactReason::Information),
        &anna(),
    )
    .await;
    let transferred = ok(&f, &question, transfer(), &anna()).await;
    assert_eq!(transferred.case.case.status, Status::Transferred);
    assert_eq!(transferred.case.case.queue.as_str(), "it-network");
    assert_eq!(
        transferred.case.case.first_level_queue.as_str(),
        "technology"
    );
}

async fn a_suspended_case_resumes<S: Store>(f: Fixture<S>) {
    let case = f.call_in("p-1", "technology").await;
    ok(&f, &case, Command::Lock, &anna()).await;
    ok(
        &f,
        &case,
        classify("network", ContactReason::Information),
        &anna(),
    )
    .await;
    ok(&f, &case, assign("it-network"), &anna()).await;
    ok(&f, &case, Command::Lock, &nino()).await;
    let suspend = |until| Command::Suspend {
        reason: Pii::new("waiting for the provider".into()),
        until_unix_ms: Some(until),
    };
    assert_eq!(
        refused(&f, &case, suspend(MARCH_2026), &nino()).await,
        Rule::SuspensionEndsInThePast
    );
    let tomorrow = f.clock_now() + 86_400_000;
    let suspended = ok(&f, &case, suspend(tomorrow), &nino()).await;
    assert_eq!(
        suspended.case.case.status,
        Status::Suspended(Suspension {
            reason: Pii::new("waiting for the provider".into()),
            until_unix_ms: Some(tomorrow),
        })
    );
    assert_eq!(
        refused(&f, &case, Command::Resume, &anna()).await,
        Rule::LockedBy {
            holder: "nino".into()
        }
    );
    let resumed = ok(&f, &case, Command::Resume, &nino()).await;
    assert_eq!(resumed.case.case.status, Status::Assigned);
    assert_eq!(
        refused(&f, &case, Command::Resume, &nino()).await,
        Rule::WrongState {
            command: service_request::CommandKind::Resume
        }
    );
}

async fn a_cancelled_case_stays_closed<S: Store>(f: Fixture<S>) {
    let case = f.call_in("x-1", "applications").await;
    ok(&f, &case, Command::Lock, &anna()).await;
    let cancel = Command::Cancel {
        reason: CancelReason::ContactAbandoned,
    };
    let cancelled = ok(&f, &case, cancel, &anna()).await;
    assert_eq!(
        cancelled.case.case.status,
        Status::Cancelled {
            reason: CancelReason::ContactAbandoned
        }
    );
    assert_eq!(cancelled.closed, Some(Outcome::WithoutSuccess));
    assert_eq!(
        refused(&f, &case, Command::Lock, &anna()).await,
        Rule::Closed
    );
}

async fn followers_close_with_their_parent<S: Store>(f: Fixture<S>) {
    let parent = f.call_in("f-1", "personnel-info").await;
    ok(&f, &parent, Command::Lock, &anna()).await;
    ok(
        &f,
        &parent,
        classify("payslips", ContactReason::Complaint),
        &anna(),
    )
    .await;
    ok(&f, &parent, assign("hr-payroll"), &anna()).await;
    ok(&f, &parent, Command::Lock, &mario()).await;

    let attach = |child: &CaseView, actor: Actor| {
        let (store, catalogue) = (f.store.clone(), f.catalogue.clone());
        let (child, parent) = (child.number.clone(), parent.number.clone());
        async move {
            store
                .attach_to_parent(child.into(), parent.into(), &actor, None, &catalogue)
                .await
        }
    };
    // A reminder attaches although Mario holds the parent: a citizen's reminder must not wait.
    let reminder = f.call_in("f-2", "personnel-info").await;
    ok(&f, &reminder, Command::Lock, &bruno()).await;
    ok(
        &f,
        &reminder,
        classify("payslips", ContactReason::Reminder),
        &bruno(),
    )
    .await;
    let linked = attach(&reminder, bruno()).await.expect("attached");
    assert_eq!(linked.child.case.status, Status::Assigned);
    assert_eq!(linked.child.case.queue.as_str(), "hr-payroll");
    assert_eq!(
        linked.child.case.parent.map(|p| p.kind),
        Some(LinkKind::Reminder)
    );
    assert_eq!(
        linked
            .parent
            .case
            .children
            .iter()
            .map(|c| c.child)
            .collect::<Vec<_>>(),
        [linked.child.case.id]
    );
    assert_eq!(
        names(&f.history(parent.number.as_str()).await).last(),
        Some(&"child_linked")
    );

    // A question about the parent attaches too, and stays with the first level.
    let question = f.call_in("f-3", "personnel-info").await;
    ok(&f, &question, Command::Lock, &bruno()).await;
    ok(
        &f,
        &question,
        classify("payslips", ContactReason::InformationAboutRequest),
        &bruno(),
    )
    .await;
    let asked = attach(&question, bruno()).await.expect("attached");
    assert_eq!(asked.child.case.status, Status::Open);
    assert_eq!(asked.parent.case.children.len(), 2, "in the order attached");

    // What cannot attach changes nothing on either side.
    let unrelated = f.call_in("f-4", "personnel-info").await;
    ok(&f, &unrelated, Command::Lock, &bruno()).await;
    ok(
        &f,
        &unrelated,
        classify("payslips", ContactReason::Information),
        &bruno(),
    )
    .await;
    let (before_child, before_parent) = (
        f.case(unrelated.number.as_str()).await,
        f.case(parent.number.as_str()).await,
    );
    let error = attach(&unrelated, bruno()).await.expect_err("not linkable");
    assert!(
        matches!(
            error,
            CaseError::Refused(ref r) if matches!(r.rule, Rule::NotLinkable { .. })
        ),
        "{error}"
    );
    assert_eq!(f.case(unrelated.number.as_str()).await, before_child);
    assert_eq!(f.case(parent.number.as_str()).await, before_parent);

    // The follower does not move on its own; it closes with its parent.
    let resolve = Command::ResolveSecondLevel {
        communication: Communication::Communicated,
    };
    assert_eq!(
        refused(&f, &reminder, resolve.clone(), &mario()).await,
        Rule::FollowsParent {
            parent: parent.case.id
        }
    );
    let closed = ok(&f, &parent, resolve, &mario()).await;
    assert_eq!(closed.closed_children, [reminder.case.id]);
    let child = f.case(reminder.number.as_str()).await;
    assert_eq!(child.case.status, closed.case.case.status);
    let last = f
        .history(reminder.number.as_str())
        .await
        .pop()
        .expect("history");
    assert_eq!(
        (last.change.name(), last.actor),
        ("status_changed", Actor::system())
    );
    assert_eq!(
        f.case(question.number.as_str()).await.case.status,
        Status::Open
    );
}

async fn locks_keep_others_out_until_released<S: Store>(f: Fixture<S>) {
    let case = f.call_in("l-1", "technology").await;
    ok(&f, &case, Command::Lock, &anna()).await;
    let anna_holds = Rule::LockedBy {
        holder: "anna".into(),
    };
    let classify_it = classify("workstation", ContactReason::Information);
    assert_eq!(refused(&f, &case, classify_it, &bruno()).await, anna_holds);
    assert_eq!(
        refused(&f, &case, Command::Release, &bruno()).await,
        anna_holds
    );
    assert_eq!(
        refused(&f, &case, Command::Lock, &anna()).await,
        Rule::AlreadyLockedByYou
    );
    ok(&f, &case, Command::Release, &sara()).await;
    let taken = ok(&f, &case, Command::Lock, &bruno()).await;
    assert_eq!(taken.case.case.owner, Some("bruno".into()));
    let lock = taken.case.case.lock.expect("locked");
    assert_eq!(
        (lock.holder.as_str(), lock.since_unix_ms),
        ("bruno", f.clock_now())
    );
}

async fn a_stale_revision_is_refused_and_concurrent_commands_take_turns<S: Store>(f: Fixture<S>) {
    let case = f.call_in("v-1", "technology").await;
    let key = || CaseKey::from(case.number.as_str());
    let seen = case.case.revision;
    let apply = |command, actor: Actor, expected| {
        let (store, catalogue, key) = (f.store.clone(), f.catalogue.clone(), key());
        async move {
            store
                .apply(key, command, &actor, expected, &catalogue)
                .await
        }
    };
    let locked = apply(Command::Lock, anna(), Some(seen))
        .await
        .expect("up to date");
    let stale = apply(
        classify("workstation", ContactReason::Information),
        bruno(),
        Some(seen),
    )
    .await
    .expect_err("stale");
    assert!(
        matches!(
            stale,
            CaseError::StaleRevision { expected, current } if expected == seen && current == seen + 2
        ),
        "{stale}"
    );
    assert_eq!(f.case(key()).await, locked.case, "nothing stored");

    // Eight notes at once: each gets its own place in the history.
    let notes = (0..8).map(|n| tokio::spawn(apply(note(&format!("note {n}")), anna(), None)));
    for task in notes.collect::<Vec<_>>() {
        task.await.expect("task").expect("note stored");
    }
    // Eight commands decided on the same revision: one wins, the others must reload.
    let current = f.case(key()).await.case.revision;
    assert_eq!(current, seen + 2 + 8);
    let racing =
        (0..8).map(|n| tokio::spawn(apply(note(&format!("race {n}")), anna(), Some(current))));
    let mut won = 0;
    for task in racing.collect::<Vec<_>>() {
        match task.await.expect("task") {
            Ok(_) => won += 1,
            Err(CaseError::StaleRevision { .. }) => {}
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(won, 1);
    let history = f.history(key()).await;
    assert!(
        history.iter().enumerate().all(|(i, e)| e.seq == i as u64),
        "no gaps, no doubles"
    );
    assert_eq!(history.len() as u64, f.case(key()).await.case.revision);
}

async fn unknown_cases_are_not_found<S: Store>(f: Fixture<S>) {
    let missing = [CaseKey::Id(CaseId(4242)), CaseKey::from("SR-2026-999999")];
    for key in missing {
        assert_eq!(f.store.get_case(key.clone()).await.unwrap(), None);
        let applied = f
            .store
            .apply(key.clone(), Command::Lock, &anna(), None, &f.catalogue)
            .await;
        assert!(matches!(applied, Err(CaseError::NotFound)));
        let history = f.store.history(key, HistoryPage::default()).await;
        assert!(matches!(history, Err(CaseError::NotFound)));
    }
}

async fn inboxes_list_cases_newest_first_in_bounded_pages<S: Store>(f: Fixture<S>) {
    let mut numbers = Vec::new();
    for (n, queue) in ["technology", "applications", "technology", "technology"]
        .iter()
        .enumerate()
    {
        f.tick(60);
        numbers.push(f.call_in(&format!("i-{n}"), queue).await);
    }
    ok(&f, &numbers[2], Command::Lock, &anna()).await;
    ok(
        &f,
        &numbers[2],
        classify("workstation", ContactReason::Information),
        &anna(),
    )
    .await;
    let resolve = Command::ResolveFirstLevel {
        communication: Communication::Communicated,
    };
    ok(&f, &numbers[2], resolve, &anna()).await;
    ok(&f, &numbers[0], Command::Lock, &bruno()).await;

    let list = |filter: CaseFilter| {
        let store = f.store.clone();
        async move {
            let views = store.list_cases(filter).await.expect("list");
            views.into_iter().map(|v| v.number).collect::<Vec<_>>()
        }
    };
    let n = |i: usize| numbers[i].number.clone();
    let queue = |q: &str| Some(q.into());
    assert_eq!(
        list(CaseFilter {
            queue: queue("technology"),
            ..Default::default()
        })
        .await,
        [n(3), n(2), n(0)]
    );
    assert_eq!(
        list(CaseFilter {
            queue: queue("technology"),
            closed: Some(false),
            ..Default::default()
        })
        .await,
        [n(3), n(0)],
        "an inbox shows what is still to work"
    );
    assert_eq!(
        list(CaseFilter {
            closed: Some(true),
            ..Default::default()
        })
        .await,
        [n(2)]
    );
    assert_eq!(
        list(CaseFilter {
            owner: Some("bruno".into()),
            ..Default::default()
        })
        .await,
        [n(0)]
    );
    assert_eq!(
        list(CaseFilter {
            service: Some("workstation".into()),
            ..Default::default()
        })
        .await,
        [n(2)]
    );
    assert_eq!(
        list(CaseFilter {
            state: Some(State::Open),
            limit: 2,
            offset: 1,
            ..Default::default()
        })
        .await,
        [n(1), n(0)]
    );
    let huge = list(CaseFilter {
        limit: 1_000_000,
        ..Default::default()
    })
    .await;
    assert_eq!(huge.len(), 4);
    let deep = f
        .store
        .list_cases(CaseFilter {
            offset: CaseFilter::MAX_OFFSET + 1,
            ..Default::default()
        })
        .await;
    assert!(matches!(deep, Err(StoreError::InvalidInput(_))));
}

async fn personal_data_stays_out_of_debug<S: Store>(f: Fixture<S>) {
    let case = f.call_in("d-1", "technology").await;
    ok(&f, &case, Command::Lock, &anna()).await;
    let noted = ok(&f, &case, note("Mrs Rossi, born 1960"), &anna()).await;
    let text = format!("{noted:?} {:?}", f.history(case.number.as_str()).await);
    assert!(
        text.contains("internal_note") || text.contains("InternalNote"),
        "{text}"
    );
    for secret in ["1234567", "Rossi"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let role = &noted.appended[0].actor.role;
    assert_eq!(role, &Role::FirstLevel);
}

suite!(
    a_call_opens_its_case_and_the_case_follows_the_call,
    an_information_call_is_resolved_at_first_level_and_surveyed,
    a_basic_service_records_what_it_cannot_answer_as_not_resolvable,
    assigned_cases_are_resolved_at_second_level_or_sent_back_for_contact_back,
    a_wrong_assignment_is_rejected_and_reassigned,
    a_live_transfer_takes_call_and_case_together,
    a_suspended_case_resumes,
    a_cancelled_case_stays_closed,
    followers_close_with_their_parent,
    locks_keep_others_out_until_released,
    a_stale_revision_is_refused_and_concurrent_commands_take_turns,
    unknown_cases_are_not_found,
    inboxes_list_cases_newest_first_in_bounded_pages,
    personal_data_stays_out_of_debug,
);
