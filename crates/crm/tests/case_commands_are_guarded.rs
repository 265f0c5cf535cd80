//! What stands between a request and a case: a session (401 before anything is looked
//! up), a case role (403), a body that is a command and names no actor (400), the revision
//! the change was decided on (428 without it, 412 when stale), and the life cycle's rules
//! (422 with the rule's stable code). Nothing refused is stored.

mod common;

use common::{ADMIN, Crm, NETWORK, OPERATOR, SECOND_LEVEL, SUPERVISOR};
use serde_json::json;

const MISSING: &str = "SR-2026-999999";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_requests_and_administrators_are_refused_before_any_lookup() {
    let crm = Crm::start_with_case_staff().await;
    let number = crm.offer_call("call-1", "technology", "0551234567").await;
    let admin = crm.token(ADMIN).await;
    let lock = json!({"command": "lock"}).to_string();
    let parent = json!({"parent": number}).to_string();
    for case in [number.as_str(), MISSING] {
        for (method, path, body) in [
            ("GET", format!("/api/v1/cases/{case}"), None),
            ("GET", format!("/api/v1/cases/{case}/history"), None),
            (
                "POST",
                format!("/api/v1/cases/{case}/commands"),
                Some(&lock),
            ),
            (
                "POST",
                format!("/api/v1/cases/{case}/parent"),
                Some(&parent),
            ),
            ("GET", "/api/v1/cases".to_owned(), None),
            ("GET", "/api/v1/cases?state=bogus".to_owned(), None),
            ("GET", "/api/v1/catalogue".to_owned(), None),
        ] {
            let answer = crm
                .request_with(
                    method,
                    &path,
                    None,
                    &[("If-Match", "\"1\"")],
                    body.map(|b| b.as_str()),
                )
                .await;
            assert_eq!(
                (answer.status, answer.code()),
                (401, "unauthenticated"),
                "{method} {path}"
            );
        }
        // Administration is not case work: 403 whether or not the case exists.
        let answer = crm
            .request(
                "POST",
                &format!("/api/v1/cases/{case}/commands"),
                Some(&admin),
                Some(&lock),
            )
            .await;
        assert_eq!((answer.status, answer.code()), (403, "forbidden"), "{case}");
    }
    // Reading is for any staff, like service requests.
    let read = crm.case(&admin, &number).await;
    assert_eq!(read.status, 200, "{read:?}");
    assert!(read.json["case"]["lock"].is_null(), "nothing was stored");
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_revision_is_refused_with_the_current_one() {
    let crm = Crm::start_with_case_staff().await;
    let anna = crm.token(OPERATOR).await;
    let sara = crm.token(SUPERVISOR).await;
    let number = crm.offer_call("call-1", "technology", "0551234567").await;
    let seen = crm.revision(&anna, &number).await;
    // Sara moves the case meanwhile.
    crm.work(
        &sara,
        &number,
        json!({"command": "move", "queue": "personnel"}),
    )
    .await;
    let current = crm.revision(&anna, &number).await;
    assert!(current > seen);

    let classify =
        json!({"command": "classify", "service": "workstation", "reason": "information"});
    let stale = crm
        .command(&anna, &number, Some(seen), classify.clone())
        .await;
    assert_eq!(stale.status, 412, "{stale:?}");
    assert_eq!(stale.code(), "precondition_failed");
    assert_eq!(stale.json["error"]["current_revision"], current);
    assert_eq!(
        stale.header("etag"),
        Some(format!("\"{current}\"").as_str())
    );
    assert!(
        stale.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("reload")),
        "{stale:?}"
    );
    assert_eq!(
        crm.revision(&anna, &number).await,
        current,
        "nothing stored"
    );
    // Decided again on what is there now, it goes through.
    let again = crm.command(&anna, &number, Some(current), classify).await;
    assert_eq!(again.status, 200, "{again:?}");

    for tag in ["W/\"3\"", "*", "3", "\"3\", \"4\""] {
        let answer = crm
            .request_with(
                "POST",
                &format!("/api/v1/cases/{number}/commands"),
                Some(&anna),
                &[("If-Match", tag)],
                Some(&json!({"command": "lock"}).to_string()),
            )
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "invalid_argument"),
            "{tag}"
        );
    }
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_name_their_rule() {
    let crm = Crm::start_with_case_staff().await;
    let anna = crm.token(OPERATOR).await;
    let gino = crm.token(SECOND_LEVEL).await;
    let nino = crm.token(NETWORK).await;
    let sara = crm.token(SUPERVISOR).await;

    // A basic service has no second level.
    let basic = crm.offer_call("call-1", "personnel", "0551234567").await;
    crm.work(
        &anna,
        &basic,
        json!({"command": "classify", "service": "general-information", "reason": "information"}),
    )
    .await;
    let revision = crm.revision(&anna, &basic).await;
    let refused = crm
        .command(
            &anna,
            &basic,
            Some(revision),
            json!({"command": "assign", "group": "hr-payroll"}),
        )
        .await;
    assert_eq!(refused.status, 422, "{refused:?}");
    assert_eq!(refused.code(), "refused");
    assert_eq!(refused.json["error"]["rule"], "basic_has_no_second_level");
    assert_eq!(
        refused.json["error"]["message"],
        "assign refused in state open: a basic-profile service has no second level: \
         record it as not resolvable and report it for information"
    );
    assert_eq!(
        crm.revision(&anna, &basic).await,
        revision,
        "nothing stored"
    );

    // A case at it-desk: other desks are refused by the rules, naming whose it is.
    let number = crm.offer_call("call-2", "technology", "0551234567").await;
    crm.work(
        &anna,
        &number,
        json!({"command": "classify", "service": "workstation", "reason": "information"}),
    )
    .await;
    let resolve = json!({"command": "resolve_second_level", "communication": "communicated"});
    let at_first = crm.revision(&anna, &number).await;
    let second_on_open = crm
        .command(&gino, &number, None, json!({"command": "lock"}))
        .await;
    assert_eq!(second_on_open.status, 422, "{second_on_open:?}");
    assert_eq!(second_on_open.json["error"]["rule"], "wrong_desk");
    crm.work(
        &anna,
        &number,
        json!({"command": "assign", "group": "it-desk"}),
    )
    .await;
    let at_it_desk = crm.revision(&anna, &number).await;
    assert!(at_it_desk > at_first);
    for (token, rule) in [(&nino, "not_your_group"), (&anna, "wrong_desk")] {
        let answer = crm
            .command(token, &number, Some(at_it_desk), resolve.clone())
            .await;
        assert_eq!(answer.status, 422, "{answer:?}");
        assert_eq!(answer.json["error"]["rule"], rule, "{answer:?}");
    }

    // A lock keeps others out, supervisors included, until a supervisor breaks it.
    crm.work(&gino, &number, json!({"command": "lock"})).await;
    let revision = crm.revision(&sara, &number).await;
    let locked = crm
        .command(&sara, &number, Some(revision), resolve.clone())
        .await;
    assert_eq!(locked.json["error"]["rule"], "locked_by", "{locked:?}");
    let released = crm
        .command(&sara, &number, None, json!({"command": "release"}))
        .await;
    assert_eq!(released.status, 200, "{released:?}");
    assert_eq!(
        released.json["appended"][0]["actor"],
        json!({"id": "sara", "role": {"role": "supervisor"}})
    );
    let again = crm
        .command(&gino, &number, None, json!({"command": "release"}))
        .await;
    assert_eq!(again.json["error"]["rule"], "not_locked", "{again:?}");
    let not_found = crm
        .command(&anna, MISSING, Some(1), json!({"command": "lock"}))
        .await;
    assert_eq!((not_found.status, not_found.code()), (404, "not_found"));
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_is_one_command_without_an_actor() {
    let crm = Crm::start_with_case_staff().await;
    let anna = crm.token(OPERATOR).await;
    let number = crm.offer_call("call-1", "technology", "0551234567").await;
    let revision = crm.revision(&anna, &number).await;
    for (body, expected) in [
        (
            json!({"command": "lock", "actor": {"id": "sara", "role": {"role": "supervisor"}}}),
            "never names who acts",
        ),
        (
            json!({"command": "release", "role": "supervisor"}),
            "never names who acts",
        ),
        (
            json!({"command": "lock", "force": true}),
            "lock takes no field \"force\"",
        ),
        (json!({"command": "reopen"}), "unknown command"),
        (
            json!({"command": "open", "queue": "technology"}),
            "unknown command",
        ),
        (json!({"command": "move"}), "the fields of move"),
        (
            json!({"command": "move", "queue": "Personnel Desk"}),
            "queue is not a catalogue code",
        ),
        (
            json!({"command": "set_owner", "owner": "nobody"}),
            "owner names no user",
        ),
        (json!([{"command": "lock"}]), "the body is a command"),
    ] {
        let answer = crm
            .command(&anna, &number, Some(revision), body.clone())
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "invalid_argument"),
            "{body}"
        );
        let message = answer.json["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(expected), "{body}: {message}");
    }
    assert_eq!(
        crm.revision(&anna, &number).await,
        revision,
        "nothing stored"
    );
    // The rules speak for text fields.
    let empty = crm
        .command(
            &anna,
            &number,
            None,
            json!({"command": "add_note", "kind": "call_made", "text": "  "}),
        )
        .await;
    assert_eq!(empty.json["error"]["rule"], "empty_text", "{empty:?}");
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_take_only_their_parameters_and_the_catalogue_offers_the_choices() {
    let crm = Crm::start_with_case_staff().await;
    let anna = crm.token(OPERATOR).await;
    for call in ["call-1", "call-2", "call-3"] {
        crm.offer_call(call, "technology", "0551234567").await;
    }
    let page = crm
        .get_as(
            Some(&anna),
            "/api/v1/cases?queue=technology&limit=2&offset=1",
        )
        .await;
    let numbers: Vec<&str> = page.json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(
        numbers,
        ["SR-2026-000002", "SR-2026-000001"],
        "newest first"
    );
    for path in [
        "/api/v1/cases?colour=blue",
        "/api/v1/cases?state=bogus",
        "/api/v1/cases?queue=Not%20A%20Code",
        "/api/v1/cases?closed=maybe",
        "/api/v1/cases?limit=0",
        "/api/v1/cases?limit=201",
        "/api/v1/cases?offset=100001",
        "/api/v1/cases?owner=Anna%20Rossi",
        "/api/v1/cases/SR-2026-000001/history?limit=501",
        "/api/v1/cases/SR-2026-000001/history?before=3",
    ] {
        let answer = crm.get_as(Some(&anna), path).await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "invalid_argument"),
            "{path}"
        );
    }
    let missing = crm
        .get_as(Some(&anna), &format!("/api/v1/cases/{MISSING}/history"))
        .await;
    assert_eq!(missing.status, 404);

    let catalogue = crm.get_as(Some(&anna), "/api/v1/catalogue").await;
    assert_eq!(catalogue.status, 200, "{catalogue:?}");
    let codes = |list: &str| -> Vec<String> {
        catalogue.json[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        codes("services"),
        ["workstation", "accounts", "general-information"]
    );
    assert!(codes("groups").contains(&"it-desk".to_owned()));
    assert_eq!(
        catalogue.json["profiles"][0],
        json!({"profile": "basic", "contact_reasons": ["information", "grievance", "report"]})
    );
    assert_eq!(catalogue.json["note_kinds"].as_array().unwrap().len(), 4);
    crm.stop().await.expect("clean shutdown");
}
