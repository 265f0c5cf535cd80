//! How a case is worked through the store, on both backends: a call's case opens at its
//! first fact and follows the call until someone takes it; followers attach and close with
//! their parent; locks, stale revisions and concurrent commands; operators' inboxes.

mod common;

use common::*;
use crm_store::{CaseError, CaseFilter, CaseKey, CaseView, HistoryPage, StoreError};
use service_request::{
    Actor, CaseId, Command, Communication, ContactReason, LinkKind, Role, Rule, State, Status,
};

async fn a_call_opens_its_case_and_the_case_follows_the_call<S: Store>(f: Fixture<S>) {
    assert!(
        std::sync::Arc::ptr_eq(&f.store.catalogue(), &f.catalogue),
        "the store hands out the catalogue it routes by, for commands to be applied with"
    );
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
    // An inbox shows the links too, both ways.
    let payroll = CaseFilter {
        queue: Some("hr-payroll".into()),
        ..Default::default()
    };
    let inbox = f.store.list_cases(payroll).await.expect("list");
    let listed: Vec<_> = inbox.iter().map(|v| v.case.clone()).collect();
    assert_eq!(
        listed,
        [linked.child.case.clone(), asked.parent.case.clone()]
    );

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
    followers_close_with_their_parent,
    locks_keep_others_out_until_released,
    a_stale_revision_is_refused_and_concurrent_commands_take_turns,
    unknown_cases_are_not_found,
    inboxes_list_cases_newest_first_in_bounded_pages,
    personal_data_stays_out_of_debug,
);
