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
