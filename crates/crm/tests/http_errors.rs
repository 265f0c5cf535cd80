//! Every HTTP error is a JSON body with a code and a message, and a status that says what
//! went wrong.

mod common;

use common::Crm;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_json_with_the_right_status() {
    let crm = Crm::start().await;
    let cases = [
        ("/api/v1/service-requests/SR-2026-999999", 404, "not_found"),
        (
            "/api/v1/calls/no-such-call/service-request",
            404,
            "not_found",
        ),
        ("/api/v1/no-such-thing", 404, "not_found"),
        (
            "/api/v1/service-requests?state=bogus",
            400,
            "invalid_argument",
        ),
        (
            "/api/v1/service-requests?limit=many",
            400,
            "invalid_argument",
        ),
        (
            "/api/v1/service-requests?offset=-1",
            400,
            "invalid_argument",
        ),
        (
            "/api/v1/service-requests?limit=100000",
            400,
            "invalid_argument",
        ),
        (
            "/api/v1/service-requests?colour=blue",
            400,
            "invalid_argument",
        ),
    ];
    for (path, status, code) in cases {
        let (got, body) = crm.get(path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{path}: {body}"
        );
    }

    let (status, body) = crm
        .get("/api/v1/service-requests?state=open&limit=10&offset=0")
        .await;
    assert_eq!(
        (status, body),
        (200, serde_json::json!({"service_requests": []}))
    );
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_method_gets_405_with_the_json_error_body() {
    let crm = Crm::start().await;
    for (method, path, allow) in [
        ("POST", "/api/v1/service-requests", "get,head"),
        (
            "DELETE",
            "/api/v1/service-requests/SR-2026-000001",
            "get,head",
        ),
        ("GET", "/api/v1/login", "post"),
        ("DELETE", "/api/v1/users/anna", "get,head,put"),
    ] {
        let answer = crm.request(method, path, None, None).await;
        assert_eq!(answer.status, 405, "{method} {path}: {answer:?}");
        assert_eq!(answer.code(), "method_not_allowed");
        assert_eq!(answer.header("allow"), Some(allow), "{method} {path}");
    }
    let unknown = crm.get_as(None, "/api/v1/no-such-thing").await;
    assert_eq!((unknown.status, unknown.code()), (404, "not_found"));
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_64_kib_are_refused_on_every_route() {
    let crm = Crm::start().await;
    let admin = crm.token(common::ADMIN).await;
    let padding = "x".repeat(70 * 1024);
    let login = format!(r#"{{"login":"anna","password":"{padding}"}}"#);
    let answer = crm
        .request("POST", "/api/v1/login", None, Some(&login))
        .await;
    assert_eq!((answer.status, answer.code()), (413, "payload_too_large"));
    let user = format!(
        r#"{{"login":"big","name":"{padding}","roles":["operator"],"password":"12345678"}}"#
    );
    let answer = crm
        .request("POST", "/api/v1/users", Some(&admin), Some(&user))
        .await;
    assert_eq!((answer.status, answer.code()), (413, "payload_too_large"));
    // Within the limit, each field still has its own.
    let name = "x".repeat(300);
    let user =
        format!(r#"{{"login":"big","name":"{name}","roles":["operator"],"password":"12345678"}}"#);
    let answer = crm
        .request("POST", "/api/v1/users", Some(&admin), Some(&user))
        .await;
    assert_eq!((answer.status, answer.code()), (400, "invalid_argument"));
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("200 bytes")),
        "{answer:?}"
    );
    crm.stop().await.expect("clean shutdown");
}
