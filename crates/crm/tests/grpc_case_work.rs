//! A case worked over the CRM's gRPC API, the way an operator's desktop would: the operator
//! takes the call's case, classifies it, notes a call and assigns it to the second level; a
//! reminder from the citizen is attached to it; the second level resolves it and the reminder
//! closes with it. A command decided on an old revision is refused and changes nothing; a
//! command at the wrong desk is refused with the rule in words; the history pages through
//! every change in order.

mod common;

use common::grpc::{desk_catalogue, refused};
use common::{Crm, OPERATOR, SECOND_LEVEL, SUPERVISOR};
use cti_proto::ServiceRequestState as State;
use cti_proto::crm::{self as wire, Client, case_command::Command as C};
use tonic::Code;

fn key(number: &str) -> Option<wire::CaseKey> {
    Some(wire::CaseKey {
        key: Some(wire::case_key::Key::Number(number.into())),
    })
}

async fn case(client: &mut Client, number: &str) -> wire::Case {
    client
        .get_case(wire::GetCaseRequest { case: key(number) })
        .await
        .expect("the case")
        .into_inner()
}

async fn apply(
    client: &mut Client,
    number: &str,
    command: C,
    expected_revision: Option<u64>,
) -> Result<wire::CaseUpdate, tonic::Status> {
    client
        .apply_case_command(wire::ApplyCaseCommandRequest {
            case: key(number),
            command: Some(wire::CaseCommand {
                command: Some(command),
            }),
            expected_revision,
            act_as: None,
        })
        .await
        .map(tonic::Response::into_inner)
}

fn classify(reason: wire::ContactReason) -> C {
    C::Classify(wire::case_command::Classify {
        service: "email-account".into(),
        reason: reason.into(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_walks_from_the_call_to_the_second_level_and_closes() {
    let crm = Crm::start_with_catalogue(desk_catalogue()).await;
    let number = crm
        .offered_call("c-1", "+390551234567", "it-help", None)
        .await;
    let mut anna = crm.staff_client(OPERATOR).await;
    let mut gino = crm.staff_client(SECOND_LEVEL).await;

    // The call's case waits in the queue the call reached.
    let opened = case(&mut anna, &number).await;
    assert_eq!(opened.queue, "it-help");
    assert_eq!(opened.status.as_ref().map(|s| s.state()), Some(State::Open));
    assert_eq!(opened.caller_number.as_deref(), Some("+390551234567"));

    // Anna takes it, on the revision she saw.
    let locked = apply(
        &mut anna,
        &number,
        C::Lock(Default::default()),
        Some(opened.revision),
    )
    .await
    .expect("anna locks the case");
    let revision = locked.case.as_ref().expect("the case").revision;
    assert!(revision > opened.revision);
    assert_eq!(
        locked
            .case
            .as_ref()
            .and_then(|c| c.lock.as_ref())
            .map(|l| l.holder.as_str()),
        Some("anna")
    );

    // A command decided on the revision before is refused, and nothing changes.
    let stale = refused(
        anna.apply_case_command(wire::ApplyCaseCommandRequest {
            case: key(&number),
            command: Some(wire::CaseCommand {
                command: Some(classify(wire::ContactReason::Information)),
            }),
            expected_revision: Some(opened.revision),
            act_as: None,
        })
        .await,
    );
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");
    assert!(stale.message().contains("reload"), "{}", stale.message());
    assert_eq!(case(&mut anna, &number).await.revision, revision);

    let classified = apply(
        &mut anna,
        &number,
        classify(wire::ContactReason::Information),
        Some(revision),
    )
    .await
    .expect("classified");
    let revision = classified.case.as_ref().expect("case").revision;
    let noted = anna
        .add_note(wire::AddNoteRequest {
            case: key(&number),
            kind: wire::NoteKind::CallMade.into(),
            text: "called the citizen back about the mailbox".into(),
            expected_revision: Some(revision),
            act_as: None,
        })
        .await
        .expect("a note")
        .into_inner();
    assert_eq!(noted.appended.len(), 1);

    // The second level cannot resolve what it does not hold yet: the rule says why.
    let early = refused(
        gino.apply_case_command(wire::ApplyCaseCommandRequest {
            case: key(&number),
            command: Some(wire::CaseCommand {
                command: Some(C::ResolveSecondLevel(
                    wire::case_command::ResolveSecondLevel {
                        communication: wire::Communication::Communicated.into(),
                    },
                )),
            }),
            ..Default::default()
        })
        .await,
    );
    assert_eq!(early.code(), Code::FailedPrecondition, "{early:?}");
    assert!(early.message().contains("refused"), "{}", early.message());

    let assigned = apply(
        &mut anna,
        &number,
        C::Assign(wire::case_command::Assign {
            group: "it-desk".into(),
        }),
        None,
    )
    .await
    .expect("assigned to the second level");
    let assigned = assigned.case.expect("case");
    assert_eq!(
        assigned.status.as_ref().map(|s| s.state()),
        Some(State::Assigned)
    );
    assert_eq!(assigned.queue, "it-desk");

    // The citizen calls again to chase it: the new case is a reminder of the first.
    let reminder = crm
        .offered_call("c-2", "+390551234567", "it-help", None)
        .await;
    apply(
        &mut anna,
        &reminder,
        classify(wire::ContactReason::Reminder),
        None,
    )
    .await
    .expect("the reminder is classified");
    let attached = anna
        .attach_case(wire::AttachCaseRequest {
            child: key(&reminder),
            parent: key(&number),
            ..Default::default()
        })
        .await
        .expect("the reminder attaches to its case")
        .into_inner();
    let child = attached.child.expect("child");
    let parent = attached.parent.expect("parent");
    assert_eq!(child.parent.as_ref().map(|p| p.case_id), Some(parent.id));
    assert_eq!(
        child.parent.as_ref().map(|p| p.kind()),
        Some(wire::LinkKind::Reminder)
    );
    assert_eq!(parent.children.len(), 1);

    // Gino, at the group that holds it, resolves it: the reminder closes with it.
    let resolved = apply(
        &mut gino,
        &number,
        C::ResolveSecondLevel(wire::case_command::ResolveSecondLevel {
            communication: wire::Communication::Communicated.into(),
        }),
        Some(parent.revision),
    )
    .await
    .expect("the second level resolves it");
    assert_eq!(resolved.closed(), wire::Outcome::Success);
    assert_eq!(resolved.closed_children, [child.id]);
    let closed = resolved.case.expect("case");
    assert!(closed.closed);
    let actor = resolved.appended[0].actor.as_ref().expect("an actor");
    assert_eq!(
        (actor.login.as_str(), actor.role(), actor.group.as_deref()),
        ("gino", wire::CaseRole::SecondLevel, Some("it-desk"))
    );
    let reminder_now = case(&mut anna, &reminder).await;
    assert!(reminder_now.closed);

    // The history, in pages of two, is every change once and in order.
    let mut sara = crm.staff_client(SUPERVISOR).await;
    let mut entries = Vec::new();
    let mut token = String::new();
    loop {
        let page = sara
            .case_history(wire::CaseHistoryRequest {
                case: key(&number),
                page_size: 2,
                page_token: token,
            })
            .await
            .expect("a history page")
            .into_inner();
        assert!(page.entries.len() <= 2);
        entries.extend(page.entries);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (0..closed.revision).collect::<Vec<_>>());
    use wire::history_entry::Change;
    assert!(matches!(entries[0].change, Some(Change::Opened(_))));
    assert!(entries.iter().any(|e| matches!(
        &e.change,
        Some(Change::NoteAdded(note)) if note.text == "called the citizen back about the mailbox"
    )));
    assert!(
        entries
            .iter()
            .any(|e| matches!(e.change, Some(Change::ChildLinked(_))))
    );
    let too_big = refused(
        sara.case_history(wire::CaseHistoryRequest {
            case: key(&number),
            page_size: 201,
            page_token: String::new(),
        })
        .await,
    );
    assert_eq!(too_big.code(), Code::InvalidArgument);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_name_their_fields_and_unknown_cases() {
    let crm = Crm::start_with_catalogue(desk_catalogue()).await;
    let number = crm
        .offered_call("c-1", "+390551234567", "it-help", None)
        .await;
    let mut anna = crm.staff_client(OPERATOR).await;
    let unspecified = apply(
        &mut anna,
        &number,
        classify(wire::ContactReason::Unspecified),
        None,
    )
    .await
    .expect_err("an unspecified reason is no classification");
    assert_eq!(unspecified.code(), Code::InvalidArgument);
    assert!(unspecified.message().contains("contact reason"));
    let missing = apply(
        &mut anna,
        "SR-2026-999999",
        C::Lock(Default::default()),
        None,
    )
    .await
    .expect_err("no such case");
    assert_eq!(missing.code(), Code::NotFound);
    crm.stop().await.expect("clean shutdown");
}
