//! The desks work the case of a call over HTTP, each person in the role that works it:
//! an operator resolves at first level; an operator assigns and the second-level group
//! resolves; a wrong assignment is rejected and the rejections group reassigns it; a
//! reminder follows its parent and closes with it. Every step is in the case's history,
//! with its author.

mod common;

use common::{Crm, NETWORK, OPERATOR, REJECTIONS, SECOND_LEVEL};
use serde_json::{Value, json};

/// The history entries of one kind of change.
fn changes<'a>(history: &'a [Value], kind: &str) -> Vec<&'a Value> {
    history
        .iter()
        .filter(|e| e["change"]["change"] == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_resolves_a_call_at_first_level() {
    let crm = Crm::start_with_case_staff().await;
    let anna = crm.token(OPERATOR).await;
    let number = crm
        .offer_call("call-1", "technology", "+390551234567")
        .await;

    let opened = crm.case(&anna, &number).await;
    assert_eq!(opened.status, 200, "{opened:?}");
    let case = &opened.json;
    assert_eq!(case["number"], number);
    assert_eq!(case["case"]["status"]["state"], "open");
    assert_eq!(
        case["case"]["queue"], "technology",
        "the case followed the call"
    );
    assert_eq!(case["closed"], false);
    assert_eq!(case["call"]["caller_number"], "+390551234567");

    // Taking the case needs no If-Match: it applies to the case as it is now.
    let locked = crm
        .command(&anna, &number, None, json!({"command": "lock"}))
        .await;
    assert_eq!(locked.status, 200, "{locked:?}");
    assert_eq!(locked.json["case"]["case"]["lock"]["holder"], "anna");
    assert_eq!(locked.json["case"]["case"]["owner"], "anna");
    let revision = locked.json["case"]["case"]["revision"].as_u64().unwrap();
    assert_eq!(
        locked.header("etag"),
        Some(format!("\"{revision}\"").as_str())
    );

    // A state change does.
    let classify =
        json!({"command": "classify", "service": "workstation", "reason": "information"});
    let unconditional = crm.command(&anna, &number, None, classify.clone()).await;
    assert_eq!(unconditional.status, 428, "{unconditional:?}");
    assert_eq!(unconditional.code(), "precondition_required");
    assert_eq!(
        crm.revision(&anna, &number).await,
        revision,
        "nothing stored"
    );
    crm.work(&anna, &number, classify).await;

    let note = json!({"command": "add_note", "kind": "internal_note", "text": "the PC boots again after a reset"});
    let noted = crm.command(&anna, &number, None, note).await;
    assert_eq!(noted.status, 200, "{noted:?}");

    let resolved = crm
        .work(
            &anna,
            &number,
            json!({"command": "resolve_first_level", "communication": "communicated"}),
        )
        .await;
    assert_eq!(resolved["closed"], "success", "time for a survey");
    assert_eq!(resolved["case"]["closed"], true);
    assert_eq!(
        resolved["case"]["case"]["status"],
        json!({"state": "resolved_first_level", "communication": "communicated"})
    );
    assert!(
        resolved["case"]["case"]["lock"].is_null(),
        "closing releases the lock"
    );
    crm.work(
        &anna,
        &number,
        json!({"command": "record_satisfaction", "score": 5}),
    )
    .await;

    let history = crm.history(&anna, &number).await;
    let notes = changes(&history, "note_added");
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0]["actor"],
        json!({"id": "anna", "role": {"role": "first_level"}})
    );
    assert_eq!(notes[0]["change"]["kind"], "internal_note");
    assert_eq!(
        notes[0]["change"]["text"],
        "the PC boots again after a reset"
    );
    let statuses = changes(&history, "status_changed");
    assert_eq!(statuses[0]["change"]["to"]["state"], "resolved_first_level");
    assert_eq!(
        history[0]["actor"]["id"], "system",
        "the platform opened it"
    );
    let seqs: Vec<u64> = history.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (0..history.len() as u64).collect::<Vec<_>>());
    let page = crm
        .get_as(
            Some(&anna),
            &format!("/api/v1/cases/{number}/history?after_seq=2&limit=2"),
        )
        .await;
    assert_eq!(page.json["entries"][0]["seq"], 3, "{page:?}");
    assert_eq!(page.json["entries"].as_array().unwrap().len(), 2);

    // The SR shows its case's state; the closed list of the queue has it.
    let (_, sr) = crm.get(&format!("/api/v1/service-requests/{number}")).await;
    assert_eq!(sr["state"], "resolved_first_level");
    let closed = crm
        .get_as(Some(&anna), "/api/v1/cases?queue=technology&closed=true")
        .await;
    assert_eq!(closed.json["cases"][0]["number"], number, "{closed:?}");
    let open = crm
        .get_as(Some(&anna), "/api/v1/cases?queue=technology&closed=false")
        .await;
    assert_eq!(open.json["cases"], json!([]));
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_assigns_and_the_second_level_resolves() {
    let crm = Crm::start_with_case_staff().await;
    let anna = crm.token(OPERATOR).await;
    let gino = crm.token(SECOND_LEVEL).await;
    let number = crm.offer_call("call-2", "technology", "0551234567").await;
    crm.work(
        &anna,
        &number,
        json!({"command": "classify", "service": "workstation", "reason": "information"}),
    )
    .await;
    let assigned = crm
        .work(
            &anna,
            &number,
            json!({"command": "assign", "group": "it-desk"}),
        )
        .await;
    assert_eq!(assigned["case"]["case"]["status"]["state"], "assigned");
    assert_eq!(assigned["case"]["case"]["queue"], "it-desk");

    // Gino's inbox: the open cases of his group.
    let inbox = crm
        .get_as(Some(&gino), "/api/v1/cases?queue=it-desk&closed=false")
        .await;
    assert_eq!(inbox.json["cases"][0]["number"], number, "{inbox:?}");
    crm.work(&gino, &number, json!({"command": "lock"})).await;
    let resolved = crm
        .work(
            &gino,
            &number,
            json!({"command": "resolve_second_level", "communication": "communicated"}),
        )
        .await;
    assert_eq!(resolved["closed"], "success");
    let appended = resolved["appended"].as_array().unwrap();
    assert_eq!(
        appended[0]["actor"],
        json!({"id": "gino", "role": {"role": "second_level", "group": "it-desk"}}),
        "gino acted as a member of the group holding the case"
    );

    let history = crm.history(&anna, &number).await;
    let statuses: Vec<(&Value, &Value)> = changes(&history, "status_changed")
        .into_iter()
        .map(|e| (&e["actor"]["id"], &e["change"]["to"]["state"]))
        .collect();
    assert_eq!(
        statuses,
        [
            (&json!("anna"), &json!("assigned")),
            (&json!("gino"), &json!("resolved_second_level"))
        ]
    );
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_assignment_is_rejected_and_reassigned() {
    let crm = Crm::start_with_case_staff().await;
    let anna = crm.token(OPERATOR).await;
    let gino = crm.token(SECOND_LEVEL).await;
    let rita = crm.token(REJECTIONS).await;
    let nino = crm.token(NETWORK).await;
    let number = crm.offer_call("call-3", "technology", "0551234567").await;
    crm.work(
        &anna,
        &number,
        json!({"command": "classify", "service": "workstation", "reason": "complaint"}),
    )
    .await;
    crm.work(
        &anna,
        &number,
        json!({"command": "assign", "group": "it-desk"}),
    )
    .await;

    let rejected = crm
        .work(
            &gino,
            &number,
            json!({"command": "reject", "reason": "operator_error", "detail": "a VPN fault: the network group's"}),
        )
        .await;
    assert_eq!(rejected["case"]["case"]["status"]["state"], "rejected");
    assert_eq!(rejected["case"]["case"]["queue"], "rejections");
    let waiting = crm
        .get_as(Some(&rita), "/api/v1/cases?state=rejected")
        .await;
    assert_eq!(waiting.json["cases"][0]["number"], number, "{waiting:?}");

    let reassigned = crm
        .work(
            &rita,
            &number,
            json!({"command": "reassign", "group": "it-network"}),
        )
        .await;
    assert_eq!(reassigned["case"]["case"]["status"]["state"], "assigned");
    assert_eq!(reassigned["case"]["case"]["queue"], "it-network");
    assert_eq!(
        reassigned["appended"][0]["actor"]["role"],
        json!({"role": "rejections"})
    );
    let resolved = crm
        .work(
            &nino,
            &number,
            json!({"command": "resolve_second_level", "communication": "communicated"}),
        )
        .await;
    assert_eq!(resolved["case"]["closed"], true);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_follows_its_parent_and_closes_with_it() {
    let crm = Crm::start_with_case_staff().await;
    let anna = crm.token(OPERATOR).await;
    let gino = crm.token(SECOND_LEVEL).await;
    let parent = crm.offer_call("call-4", "technology", "0551234567").await;
    crm.work(
        &anna,
        &parent,
        json!({"command": "classify", "service": "workstation", "reason": "information"}),
    )
    .await;
    crm.work(
        &anna,
        &parent,
        json!({"command": "assign", "group": "it-desk"}),
    )
    .await;
    crm.work(&gino, &parent, json!({"command": "lock"})).await;

    // The citizen calls again to chase it.
    let child = crm.offer_call("call-5", "technology", "0551234567").await;
    crm.work(
        &anna,
        &child,
        json!({"command": "classify", "service": "workstation", "reason": "reminder"}),
    )
    .await;
    let path = format!("/api/v1/cases/{child}/parent");
    let body = json!({"parent": parent}).to_string();
    let unconditional = crm.request("POST", &path, Some(&anna), Some(&body)).await;
    assert_eq!(unconditional.status, 428, "{unconditional:?}");
    let nowhere = json!({"parent": "SR-2026-999999"}).to_string();
    let tag = format!("\"{}\"", crm.revision(&anna, &child).await);
    let missing = crm
        .request_with(
            "POST",
            &path,
            Some(&anna),
            &[("If-Match", &tag)],
            Some(&nowhere),
        )
        .await;
    assert_eq!((missing.status, missing.code()), (400, "invalid_argument"));
    let attached = crm
        .request_with(
            "POST",
            &path,
            Some(&anna),
            &[("If-Match", &tag)],
            Some(&body),
        )
        .await;
    assert_eq!(attached.status, 200, "{attached:?}");
    assert_eq!(
        attached.json["child"]["case"]["status"]["state"],
        "assigned"
    );
    assert_eq!(attached.json["child"]["case"]["queue"], "it-desk");
    assert_eq!(
        attached.json["parent"]["case"]["children"][0]["kind"],
        "reminder"
    );

    let closed = crm
        .work(
            &gino,
            &parent,
            json!({"command": "resolve_second_level", "communication": "communicated"}),
        )
        .await;
    let child_id = attached.json["child"]["case"]["id"].clone();
    assert_eq!(closed["closed_children"], json!([child_id]));
    let after = crm.case(&anna, &child).await;
    assert_eq!(after.json["closed"], true, "{after:?}");
    assert_eq!(after.json["outcome"], "success");
    crm.stop().await.expect("clean shutdown");
}
