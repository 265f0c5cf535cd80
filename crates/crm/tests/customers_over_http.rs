//! Operators keep the customer directory over HTTP: they create a customer, find them by
//! the caller's number in whatever form it comes, by name, tax code or e-mail, change them
//! under the revision they read, flag and clear discrepancies, and see the customer's recent
//! service requests and screen pop. Case workers read; administrators alone do not.

mod common;

use common::{ADMIN, Crm, OPERATOR, SECOND_LEVEL, SUPERVISOR, offered};
use serde_json::{Value, json};

fn mario() -> Value {
    json!({
        "kind": "person",
        "display_name": "Mario Rossi",
        "given_name": "Mario",
        "family_name": "Rossi",
        "tax_code": "rssmra80a01h501u",
        "phones": [
            {"label": "home", "number": "055 1234567"},
            {"label": "desk", "number": "1001"}
        ],
        "emails": [{"label": "personal", "address": "mario.rossi@example.it"}],
        "pin": {"set": "2468"}
    })
}

/// Creates a customer as `token`; returns its id.
async fn create(crm: &Crm, token: &str, body: &Value) -> i64 {
    let answer = crm
        .request(
            "POST",
            "/api/v1/customers",
            Some(token),
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(answer.status, 201, "{answer:?}");
    answer.json["id"].as_i64().expect("an id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_create_find_and_change_customers() {
    let crm = Crm::start().await;
    let anna = crm.token(OPERATOR).await;
    let gino = crm.token(SECOND_LEVEL).await;

    let created = crm
        .request(
            "POST",
            "/api/v1/customers",
            Some(&anna),
            Some(&mario().to_string()),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.json["id"].as_i64().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/customers/{id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    let customer = &created.json;
    assert_eq!(customer["tax_code"], "RSSMRA80A01H501U");
    assert_eq!(customer["phones"][0]["e164"], "+390551234567");
    assert_eq!(customer["phones"][1]["e164"], Value::Null, "an extension");
    assert_eq!(customer["has_pin"], true);
    assert!(customer.get("pin").is_none(), "the PIN never comes back");

    // The caller's number in every form a trunk, a phone or an operator writes it.
    for number in [
        "%2B390551234567",
        "0551234567",
        "055%201234567",
        "0039%20055%201234567",
        "tel:%2B39-055-1234567",
    ] {
        let found = crm
            .get_as(
                Some(&gino),
                &format!("/api/v1/customers?caller_number={number}"),
            )
            .await;
        assert_eq!(found.status, 200, "{number}: {found:?}");
        assert_eq!(found.json["customers"][0]["id"], id, "{number}");
        assert_eq!(found.json["more"], false);
    }
    let nobody = crm
        .get_as(Some(&anna), "/api/v1/customers?caller_number=anonymous")
        .await;
    assert_eq!(nobody.json, json!({"customers": [], "more": false}));
    for query in ["name=ross", "name=Mario", "tax_code=rssm", "email=MARIO.R"] {
        let found = crm
            .get_as(Some(&anna), &format!("/api/v1/customers?{query}"))
            .await;
        assert_eq!(found.json["customers"][0]["id"], id, "{query}: {found:?}");
        assert!(found.json.get("more").is_none());
    }

    // Changes name the revision they were decided on.
    let path = format!("/api/v1/customers/{id}");
    let read = crm.get_as(Some(&gino), &path).await;
    assert_eq!(read.header("etag"), Some("\"1\""));
    let mut changed = mario();
    changed["display_name"] = json!("Mario Rossi (Firenze)");
    changed.as_object_mut().unwrap().remove("pin");
    let body = changed.to_string();
    let unconditional = crm.request("PUT", &path, Some(&anna), Some(&body)).await;
    assert_eq!(unconditional.status, 428, "{unconditional:?}");
    let put = |tag: &'static str| {
        let crm = &crm;
        let (anna, path, body) = (anna.clone(), path.clone(), body.clone());
        async move {
            crm.request_with("PUT", &path, Some(&anna), &[("If-Match", tag)], Some(&body))
                .await
        }
    };
    let updated = put("\"1\"").await;
    assert_eq!(updated.status, 200, "{updated:?}");
    assert_eq!(updated.json["revision"], 2);
    assert_eq!(updated.header("etag"), Some("\"2\""));
    assert_eq!(updated.json["has_pin"], true, "a PUT without pin keeps it");
    let stale = put("\"1\"").await;
    assert_eq!((stale.status, stale.code()), (412, "precondition_failed"));
    assert_eq!(stale.json["error"]["current_revision"], 2);
    assert_eq!(stale.header("etag"), Some("\"2\""));

    // Anyone working cases flags a discrepancy; an editor clears it once checked.
    let flag = json!({"note": "the caller says the tax code is wrong"}).to_string();
    let discrepancy = format!("{path}/discrepancy");
    let flagged = crm
        .request("POST", &discrepancy, Some(&gino), Some(&flag))
        .await;
    assert_eq!(flagged.status, 200, "{flagged:?}");
    assert_eq!(
        flagged.json["discrepancy"]["note"],
        "the caller says the tax code is wrong"
    );
    let by_gino = crm.request("DELETE", &discrepancy, Some(&gino), None).await;
    assert_eq!(by_gino.status, 403);
    let cleared = crm.request("DELETE", &discrepancy, Some(&anna), None).await;
    assert_eq!(cleared.status, 200, "{cleared:?}");
    assert_eq!(cleared.json["discrepancy"], Value::Null);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mistakes_in_a_customer_are_named_by_field() {
    let crm = Crm::start().await;
    let anna = crm.token(OPERATOR).await;
    let mut long_name = mario();
    long_name["display_name"] = json!("x".repeat(201));
    let mut bad_phone = mario();
    bad_phone["phones"][1]["number"] = json!("not a number");
    let mut organisation = mario();
    organisation["kind"] = json!("organisation");
    let mut unknown = mario();
    unknown["nickname"] = json!("Supermario");
    let mut bad_pin = mario();
    bad_pin["pin"] = json!({"set": "12"});
    for (body, expected) in [
        (long_name, "display_name is longer than 200 bytes"),
        (bad_phone, "phones[1].number"),
        (organisation, "given_name"),
        (unknown, "the body is"),
        (bad_pin, "pin"),
        (
            json!({"kind": "robot", "display_name": "R2"}),
            "the body is",
        ),
    ] {
        let answer = crm
            .request(
                "POST",
                "/api/v1/customers",
                Some(&anna),
                Some(&body.to_string()),
            )
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "invalid_argument"),
            "{body}"
        );
        let message = answer.json["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(expected), "{expected}: {message}");
        assert!(!message.contains("Supermario") && !message.contains("not a number"));
    }
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pop_shows_the_customers_recent_requests() {
    let crm = Crm::start().await;
    let anna = crm.token(OPERATOR).await;
    let id = create(&crm, &anna, &mario()).await;
    let other = create(
        &crm,
        &anna,
        &json!({"kind": "organisation", "display_name": "Comune di Prova", "vat_number": "IT 12345678903"}),
    )
    .await;

    // An unidentified call from Mario's number, then a call identified as Mario, then one
    // from his number identified as someone else.
    let mut unidentified = offered("call-1", "technology", "0551234567");
    unidentified.caller_number_e164 = Some("+390551234567".into());
    let first = crm.offer(unidentified).await;
    let mut identified = offered("call-2", "technology", "3331234567");
    identified.caller_number_e164 = Some("+393331234567".into());
    identified.customer_id = Some(id.to_string());
    let second = crm.offer(identified).await;
    let mut someone_else = offered("call-3", "technology", "0551234567");
    someone_else.caller_number_e164 = Some("+390551234567".into());
    someone_else.customer_id = Some(other.to_string());
    crm.offer(someone_else).await;

    let recent = crm
        .get_as(
            Some(&anna),
            &format!("/api/v1/customers/{id}/service-requests"),
        )
        .await;
    assert_eq!(recent.status, 200, "{recent:?}");
    let listed: Vec<(&str, &str)> = recent.json["service_requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sr| {
            (
                sr["number"].as_str().unwrap(),
                sr["matched_by"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (second.as_str(), "customer"),
            (first.as_str(), "caller_number")
        ]
    );
    let pop = crm
        .get_as(Some(&anna), &format!("/api/v1/customers/{id}/pop?limit=1"))
        .await;
    assert_eq!(pop.status, 200, "{pop:?}");
    assert_eq!(pop.json["customer"]["display_name"], "Mario Rossi");
    assert_eq!(pop.json["recent_requests"].as_array().unwrap().len(), 1);
    assert_eq!(pop.json["recent_requests"][0]["number"], second);
    assert_eq!(pop.json["recent_requests"][0]["state"], "open");
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_for_case_workers_and_edited_at_first_level() {
    let crm = Crm::start().await;
    let anna = crm.token(OPERATOR).await;
    let sara = crm.token(SUPERVISOR).await;
    let gino = crm.token(SECOND_LEVEL).await;
    let admin = crm.token(ADMIN).await;
    let id = create(&crm, &sara, &mario()).await;
    let body = mario().to_string();
    let note = json!({"note": "x"}).to_string();
    for customer in [id.to_string(), "999999".to_owned()] {
        let base = format!("/api/v1/customers/{customer}");
        let routes = [
            ("GET", "/api/v1/customers?name=ro".to_owned(), None),
            (
                "GET",
                "/api/v1/customers?caller_number=0551234567".to_owned(),
                None,
            ),
            ("POST", "/api/v1/customers".to_owned(), Some(&body)),
            ("GET", base.clone(), None),
            ("PUT", base.clone(), Some(&body)),
            ("POST", format!("{base}/discrepancy"), Some(&note)),
            ("DELETE", format!("{base}/discrepancy"), None),
            ("GET", format!("{base}/service-requests"), None),
            ("GET", format!("{base}/pop"), None),
        ];
        for (method, path, body) in &routes {
            let body = body.map(String::as_str);
            let anonymous = crm
                .request_with(method, path, None, &[("If-Match", "\"1\"")], body)
                .await;
            assert_eq!(anonymous.status, 401, "{method} {path}");
            let administrator = crm
                .request_with(method, path, Some(&admin), &[("If-Match", "\"1\"")], body)
                .await;
            assert_eq!(administrator.status, 403, "{method} {path}");
        }
        // The second level reads and flags, and does not edit.
        for (method, path, body) in &routes[2..5] {
            let answer = crm
                .request_with(
                    method,
                    path,
                    Some(&gino),
                    &[("If-Match", "\"1\"")],
                    body.map(String::as_str),
                )
                .await;
            let expected = if *method == "GET" { 200 } else { 403 };
            let expected = if *method == "GET" && customer != id.to_string() {
                404
            } else {
                expected
            };
            assert_eq!(answer.status, expected, "{method} {path}: {answer:?}");
        }
    }
    for path in [
        "/api/v1/customers/999999",
        "/api/v1/customers/0",
        "/api/v1/customers/mario",
        "/api/v1/customers/999999/service-requests",
        "/api/v1/customers/999999/pop",
    ] {
        let answer = crm.get_as(Some(&anna), path).await;
        assert_eq!((answer.status, answer.code()), (404, "not_found"), "{path}");
    }
    for path in [
        "/api/v1/customers",
        "/api/v1/customers?name=ro&email=ro",
        "/api/v1/customers?name=r",
        "/api/v1/customers?name=ro&colour=blue",
        "/api/v1/customers?name=ro&limit=101",
        "/api/v1/customers?name=ro&offset=10001",
        "/api/v1/customers?caller_number=0551234567&offset=1",
        "/api/v1/customers?caller_number=0551234567&limit=51",
        "/api/v1/customers/1/pop?limit=0",
        "/api/v1/customers/1/service-requests?since=1",
    ] {
        let answer = crm.get_as(Some(&anna), path).await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "invalid_argument"),
            "{path}: {answer:?}"
        );
    }
    crm.stop().await.expect("clean shutdown");
}
