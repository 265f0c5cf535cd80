//! Reading service requests (personal data) always needs a login: anonymous requests get 401
//! before anything is looked up, a session token opens the API until it expires or its user
//! logs out or is disabled, and only administrators manage users.

mod common;

use std::time::Duration;

use common::{ADMIN, Crm, MARCH_2026, OPERATOR, OPERATOR_NAME, SECOND_LEVEL, SUPERVISOR};
use serde_json::json;

const SR_ROUTES: [&str; 4] = [
    "/api/v1/service-requests",
    "/api/v1/service-requests?state=bogus",
    "/api/v1/service-requests/SR-2026-999999",
    "/api/v1/calls/no-such-call/service-request",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_requests_are_refused_before_any_lookup() {
    let crm = Crm::start().await;
    for path in SR_ROUTES
        .into_iter()
        .chain(["/api/v1/me", "/api/v1/users", "/api/v1/users/nobody"])
    {
        let answer = crm.get_as(None, path).await;
        assert_eq!(answer.status, 401, "{path}: {answer:?}");
        assert_eq!(answer.code(), "unauthenticated", "{path}");
        assert_eq!(answer.header("www-authenticate"), Some("bearer"), "{path}");
        assert!(
            answer.json["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("log in")),
            "{answer:?}"
        );
    }
    for token in [
        "",
        "Bearer",
        "Basic YW5uYTphbm5hLXBhc3N3b3Jk",
        "Bearer not-a-token",
    ] {
        let head = format!("GET /api/v1/service-requests HTTP/1.1\r\nAuthorization: {token}\r\n");
        let answer = crm.raw(&head, b"").await;
        assert_eq!(answer.status, 401, "{token:?}: {answer:?}");
    }
    let forged = crm.get_as(Some(&"ab".repeat(32)), SR_ROUTES[0]).await;
    assert_eq!(forged.status, 401);
    assert_eq!(
        forged.header("www-authenticate"),
        Some(r#"bearer error="invalid_token""#)
    );
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_opens_the_api_until_logout() {
    let crm = Crm::start().await;
    let answer = crm.login(OPERATOR.0, OPERATOR.1).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let token = answer.json["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64, "256 bits in hex");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        answer.json["expires_at_unix_ms"],
        MARCH_2026 + 8 * 3_600_000,
        "8 hours by default"
    );
    assert_eq!(
        answer.json["user"],
        json!({
            "login": "anna",
            "name": OPERATOR_NAME,
            "roles": ["operator"],
            "groups": [],
            "enabled": true,
            "managed_by": "config",
            "created_at_unix_ms": MARCH_2026,
            "updated_at_unix_ms": MARCH_2026,
        }),
        "and never the password hash"
    );
    assert_ne!(crm.token(OPERATOR).await, token, "each login a new session");

    for path in SR_ROUTES {
        let answer = crm.get_as(Some(&token), path).await;
        assert_ne!(answer.status, 401, "{path}: {answer:?}");
        assert_ne!(answer.status, 403, "{path}: {answer:?}");
    }
    let me = crm.get_as(Some(&token), "/api/v1/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json["user"]["login"], "anna");
    assert_eq!(me.json["expires_at_unix_ms"], MARCH_2026 + 8 * 3_600_000);

    let logout = crm
        .request("POST", "/api/v1/logout", Some(&token), None)
        .await;
    assert_eq!(logout.status, 204, "{logout:?}");
    assert_eq!(crm.get_as(Some(&token), SR_ROUTES[0]).await.status, 401);
    let again = crm
        .request("POST", "/api/v1/logout", Some(&token), None)
        .await;
    assert_eq!(again.status, 401, "a session ends once");
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_after_their_lifetime() {
    let crm = Crm::start_with(|auth| auth.session_lifetime = Duration::from_secs(3600)).await;
    let token = crm.token(SUPERVISOR).await;
    crm.clock.advance(Duration::from_secs(3599));
    assert_eq!(crm.get_as(Some(&token), SR_ROUTES[0]).await.status, 200);
    crm.clock.advance(Duration::from_secs(1));
    let expired = crm.get_as(Some(&token), SR_ROUTES[0]).await;
    assert_eq!(expired.status, 401);
    assert!(
        expired.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
        "{expired:?}"
    );
    assert_eq!(
        crm.get_as(Some(&crm.token(SUPERVISOR).await), SR_ROUTES[0])
            .await
            .status,
        200,
        "logging in again works"
    );
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_administrators_manage_users_and_refusals_reveal_nothing() {
    let crm = Crm::start().await;
    for staff in [OPERATOR, SUPERVISOR, SECOND_LEVEL] {
        let token = crm.token(staff).await;
        for (method, path, body) in [
            ("GET", "/api/v1/users", None),
            ("GET", "/api/v1/users/anna", None),
            ("GET", "/api/v1/users/nobody", None),
            ("POST", "/api/v1/users/nobody/disable", None),
            (
                "PUT",
                "/api/v1/users/anna",
                Some(r#"{"name":"x","roles":[]}"#),
            ),
            ("POST", "/api/v1/users", Some("not even json")),
        ] {
            let answer = crm.request(method, path, Some(&token), body).await;
            assert_eq!(
                answer.status, 403,
                "{} {method} {path}: {answer:?}",
                staff.0
            );
            assert_eq!(answer.code(), "forbidden");
        }
        assert_eq!(
            crm.get_as(Some(&token), SR_ROUTES[0]).await.status,
            200,
            "every staff role reads service requests"
        );
    }
    let admin = crm.token(ADMIN).await;
    assert_eq!(crm.get_as(Some(&admin), SR_ROUTES[0]).await.status, 200);
    assert_eq!(crm.get_as(Some(&admin), "/api/v1/users").await.status, 200);
    crm.stop().await.expect("clean shutdown");
}
