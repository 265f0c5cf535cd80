//! The life cycle of a case through the store, on both backends: every transition of the
//! table in `docs/service-requests.md`, the history rows each one leaves (who, when, what),
//! and every refusal coming back with its rule while the stored case stays as it was.

mod common;

use common::*;
use crm_store::ListFilter;
use service_request::{
    Actor, CancelReason, Change, Command, Communication, ContactReason, Outcome, RejectReason,
    Rejection, Rule, State, Status, Suspension,
};

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

async fn reports_handovers_and_second_level_communication<S: Store>(f: Fixture<S>) {
    // A report is forwarded to the competent office for information: closed at once.
    let report = f.call_in("h-1", "personnel").await;
    ok(&f, &report, Command::Lock, &anna()).await;
    ok(
        &f,
        &report,
        classify("general-information", ContactReason::Report),
        &anna(),
    )
    .await;
    let resolve = Command::ResolveFirstLevel {
        communication: Communication::Communicated,
    };
    assert_eq!(
        refused(&f, &report, resolve, &anna()).await,
        Rule::ReportIsForwarded
    );
    let forward = Command::ReportForInformation {
        group: "public-relations".into(),
    };
    let forwarded = ok(&f, &report, forward, &anna()).await;
    assert_eq!(forwarded.case.case.status, Status::AssignedResolved);
    assert_eq!(forwarded.closed, Some(Outcome::Success));

    // The owner hands the case on; only a supervisor names the responsible.
    let case = f.call_in("h-2", "technology").await;
    ok(&f, &case, Command::Lock, &anna()).await;
    ok(&f, &case, Command::Release, &anna()).await;
    let to_bruno = || Command::SetOwner {
        owner: Some("bruno".into()),
    };
    assert_eq!(
        refused(&f, &case, to_bruno(), &bruno()).await,
        Rule::NotYoursToHandOver
    );
    let handed = ok(&f, &case, to_bruno(), &anna()).await;
    assert_eq!(handed.case.case.owner, Some("bruno".into()));
    assert_eq!(
        handed.appended[0].change,
        Change::OwnerChanged {
            from: Some("anna".into()),
            to: Some("bruno".into())
        }
    );
    let responsible = || Command::SetResponsible {
        responsible: Some("sara".into()),
    };
    assert_eq!(
        refused(&f, &case, responsible(), &anna()).await,
        Rule::ResponsibleIsNamedBySupervisor
    );
    let named = ok(&f, &case, responsible(), &sara()).await;
    assert_eq!(named.case.case.responsible, Some("sara".into()));
    assert_eq!(named.appended[0].actor, sara());

    // The second level keeps trying to tell the citizen, then gives up.
    let mail = f.call_in("h-3", "technology").await;
    ok(&f, &mail, Command::Lock, &anna()).await;
    ok(
        &f,
        &mail,
        classify("accounts-mail", ContactReason::Information),
        &anna(),
    )
    .await;
    ok(&f, &mail, assign("it-identity"), &anna()).await;
    let ida = Actor::second_level("ida", "it-identity");
    let trying = Command::ResolveSecondLevel {
        communication: Communication::NotCommunicated,
    };
    let pending = ok(&f, &mail, trying, &ida).await;
    assert!(!pending.case.closed, "not communicated is still open");
    let gave_up = Command::RecordCommunication {
        communication: Communication::NotCommunicable,
    };
    let closed = ok(&f, &mail, gave_up, &ida).await;
    assert_eq!(closed.closed, Some(Outcome::WithoutSuccess));
}

suite!(
    an_information_call_is_resolved_at_first_level_and_surveyed,
    a_basic_service_records_what_it_cannot_answer_as_not_resolvable,
    assigned_cases_are_resolved_at_second_level_or_sent_back_for_contact_back,
    a_wrong_assignment_is_rejected_and_reassigned,
    a_live_transfer_takes_call_and_case_together,
    a_suspended_case_resumes,
    a_cancelled_case_stays_closed,
    reports_handovers_and_second_level_communication,
);
