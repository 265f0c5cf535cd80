//! Administrators create users, change their roles, disable them and reset their passwords
//! over the API; users from the configuration file stay the file's to change.

mod common;

use common::{ADMIN, Crm, OPERATOR};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_runs_a_users_whole_life() {
    let crm = Crm::start().await;
    let admin = crm.token(ADMIN).await;
    let call = |method: &'static str, path: &'static str, body: Option<serde_json::Value>| {
        let body = body.map(|b| b.to_string());
        let crm = &crm;
        let admin = admin.clone();
        async move {
            crm.request(method, path, Some(&admin), body.as_deref())
                .await
        }
    };

    let listed = call("GET", "/api/v1/users", None).await;
    assert_eq!(listed.status, 200);
    let logins: Vec<&str> = listed.json["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["admin", "anna", "gino", "sara"]);
    assert_eq!(listed.json["users"][2]["groups"], json!(["it-desk"]));

    let created = call(
        "POST",
        "/api/v1/users",
        Some(json!({
            "login": "mario",
            "name": "Mario Bianchi",
            "roles": ["second_level", "operator"],
            "groups": ["hr-payroll"],
            "password": "mario-password-1",
        })),
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.json["roles"], json!(["operator", "second_level"]));
    assert_eq!(created.json["managed_by"], "api");
    assert!(created.json.get("password_hash").is_none());
    let mario = crm.token(("mario", "mario-password-1")).await;
    assert_eq!(
        crm.get_as(Some(&mario), "/api/v1/service-requests")
            .await
            .status,
        200
    );

    let again = call(
        "POST",
        "/api/v1/users",
        Some(json!({"login": "mario", "name": "M", "roles": ["operator"], "password": "12345678"})),
    )
    .await;
    assert_eq!((again.status, again.code()), (409, "conflict"));

    for (body, why) in [
        (
            json!({"login": "x", "name": "X", "roles": ["boss"], "password": "12345678"}),
            "unknown role",
        ),
        (
            json!({"login": "x", "name": "X", "roles": ["second_level"], "password": "12345678"}),
            "second level without a group",
        ),
        (
            json!({"login": "x", "name": "X", "roles": ["operator"], "password": "short"}),
            "short password",
        ),
        (
            json!({"login": "X Y", "name": "X", "roles": ["operator"], "password": "12345678"}),
            "bad login",
        ),
        (
            json!({"login": "system", "name": "X", "roles": ["operator"], "password": "12345678"}),
            "reserved login",
        ),
        (
            json!({"login": "x", "name": "", "roles": ["operator"], "password": "12345678"}),
            "empty name",
        ),
    ] {
        let answer = call("POST", "/api/v1/users", Some(body)).await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "invalid_argument"),
            "{why}"
        );
    }

    // New roles apply to the live session at once.
    let changed = call(
        "PUT",
        "/api/v1/users/mario",
        Some(json!({"name": "Mario Bianchi", "roles": ["administrator"]})),
    )
    .await;
    assert_eq!(changed.status, 200, "{changed:?}");
    assert_eq!(changed.json["groups"], json!([]));
    assert_eq!(
        crm.get_as(Some(&mario), "/api/v1/users").await.status,
        200,
        "mario administers now"
    );

    let reset = call(
        "POST",
        "/api/v1/users/mario/password",
        Some(json!({"password": "a-new-password"})),
    )
    .await;
    assert_eq!(reset.status, 200, "{reset:?}");
    assert_eq!(
        crm.get_as(Some(&mario), "/api/v1/me").await.status,
        401,
        "a reset ends the sessions"
    );
    assert_eq!(crm.login("mario", "mario-password-1").await.status, 401);
    let mario = crm.token(("mario", "a-new-password")).await;

    let disabled = call("POST", "/api/v1/users/mario/disable", None).await;
    assert_eq!(disabled.json["enabled"], false);
    assert_eq!(crm.get_as(Some(&mario), "/api/v1/me").await.status, 401);
    assert_eq!(crm.login("mario", "a-new-password").await.status, 401);
    let enabled = call("POST", "/api/v1/users/mario/enable", None).await;
    assert_eq!(enabled.json["enabled"], true);
    assert_eq!(crm.login("mario", "a-new-password").await.status, 200);

    let one = call("GET", "/api/v1/users/mario", None).await;
    assert_eq!(one.json["name"], "Mario Bianchi");
    for path in ["/api/v1/users/nobody", "/api/v1/users/NOT%20A%20LOGIN"] {
        let missing = crm.get_as(Some(&admin), path).await;
        assert_eq!(
            (missing.status, missing.code()),
            (404, "not_found"),
            "{path}"
        );
    }
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_users_and_the_administrator_themselves_are_protected() {
    let crm = Crm::start().await;
    let admin = crm.token(ADMIN).await;
    let configured = [
        (
            "PUT",
            "/api/v1/users/anna",
            Some(r#"{"name":"A","roles":["supervisor"]}"#),
        ),
        ("POST", "/api/v1/users/anna/disable", None),
        (
            "POST",
            "/api/v1/users/anna/password",
            Some(r#"{"password":"12345678"}"#),
        ),
    ];
    for (method, path, body) in configured {
        let answer = crm.request(method, path, Some(&admin), body).await;
        assert_eq!((answer.status, answer.code()), (409, "conflict"), "{path}");
        assert!(
            answer.json["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("configuration")),
            "{answer:?}"
        );
    }
    assert_eq!(crm.login(OPERATOR.0, OPERATOR.1).await.status, 200);

    let body =
        r#"{"login":"boss","name":"Boss","roles":["administrator"],"password":"boss-password"}"#;
    let created = crm
        .request("POST", "/api/v1/users", Some(&admin), Some(body))
        .await;
    assert_eq!(created.status, 201);
    let boss = crm.token(("boss", "boss-password")).await;
    for (method, path, body) in [
        ("POST", "/api/v1/users/boss/disable", None),
        (
            "PUT",
            "/api/v1/users/boss",
            Some(r#"{"name":"Boss","roles":["operator"]}"#),
        ),
    ] {
        let answer = crm.request(method, path, Some(&boss), body).await;
        assert_eq!((answer.status, answer.code()), (409, "conflict"), "{path}");
    }
    crm.stop().await.expect("clean shutdown");
}
