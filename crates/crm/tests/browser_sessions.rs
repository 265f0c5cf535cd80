//! Pages log in with a cookie: the session token stays in an `HttpOnly` cookie the page's
//! scripts never see; reads work with the cookie alone; a change authenticated by the cookie
//! needs the CSRF token derived from the session (and, when the browser says where the page
//! came from, this site's Origin); bearer tokens work as before, without CSRF; roles are
//! checked the same way whichever carried the session; logging out ends the session and
//! clears the cookie.

mod common;

use common::{ADMIN, Answer, Crm, OPERATOR, SUPERVISOR};
use serde_json::json;

/// A page's login: the cookie's value and the CSRF token.
async fn page_login(crm: &Crm, (login, password): (&str, &str)) -> (String, String, Answer) {
    let body = json!({"login": login, "password": password, "cookie": true}).to_string();
    let answer = crm
        .request("POST", "/api/v1/login", None, Some(&body))
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let set_cookie = answer.header("set-cookie").expect("a cookie is set");
    let value = set_cookie
        .strip_prefix("centralino_session=")
        .and_then(|rest| rest.split(';').next())
        .expect("the session cookie")
        .to_owned();
    let csrf = answer.json["csrf_token"]
        .as_str()
        .expect("the answer carries the CSRF token")
        .to_owned();
    (value, csrf, answer)
}

fn cookie(value: &str) -> (&'static str, String) {
    ("Cookie", format!("centralino_session={value}"))
}

/// A request with the session cookie and `extra` headers.
async fn with_cookie(
    crm: &Crm,
    method: &str,
    path: &str,
    value: &str,
    extra: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let (name, cookie) = cookie(value);
    let mut headers = vec![(name, cookie.as_str())];
    headers.extend_from_slice(extra);
    crm.request_with(method, path, None, &headers, body).await
}

fn customer(name: &str) -> String {
    json!({"kind": "person", "display_name": name, "family_name": name}).to_string()
}

async fn customers_named(crm: &Crm, name: &str) -> usize {
    let (status, body) = crm.get(&format!("/api/v1/customers?name={name}")).await;
    assert_eq!(status, 200, "{body}");
    body["customers"].as_array().expect("a list").len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_login_sets_an_http_only_cookie_and_hands_out_the_csrf_token() {
    let crm = Crm::start().await;
    let (value, csrf, answer) = page_login(&crm, OPERATOR).await;
    let set_cookie = answer.header("set-cookie").expect("set");
    for attribute in ["httponly", "samesite=strict", "path=/", "max-age=28800"] {
        assert!(set_cookie.contains(attribute), "{attribute}: {set_cookie}");
    }
    assert!(!set_cookie.contains("secure"), "plain http: {set_cookie}");
    assert_eq!(value.len(), 64, "the session token");
    assert!(
        answer.json.get("token").is_none(),
        "the page's scripts never see the token: {:?}",
        answer.json
    );
    assert_ne!(csrf, value, "the CSRF token is not the session token");
    assert_eq!(answer.json["user"]["login"], OPERATOR.0);

    // Reads need nothing but the cookie, and /me hands the page its CSRF token again.
    let me = with_cookie(&crm, "GET", "/api/v1/me", &value, &[], None).await;
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.json["csrf_token"], csrf.as_str());
    let list = with_cookie(&crm, "GET", "/api/v1/service-requests", &value, &[], None).await;
    assert_eq!(list.status, 200, "{list:?}");

    // A program's login is unchanged: a token in the answer, no cookie.
    let program = crm.login(SUPERVISOR.0, SUPERVISOR.1).await;
    assert_eq!(program.status, 200);
    assert!(program.json["token"].is_string());
    assert_eq!(program.header("set-cookie"), None);

    // Behind a proxy that says the browser came over https, the cookie is Secure.
    let body = json!({"login": OPERATOR.0, "password": OPERATOR.1, "cookie": true}).to_string();
    let https = crm
        .request_with(
            "POST",
            "/api/v1/login",
            None,
            &[("X-Forwarded-Proto", "https")],
            Some(&body),
        )
        .await;
    assert_eq!(https.status, 200);
    assert!(
        https
            .header("set-cookie")
            .is_some_and(|c| c.ends_with("; secure")),
        "{https:?}"
    );
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_by_cookie_needs_the_csrf_token_and_this_origin() {
    let crm = Crm::start().await;
    let (value, csrf, _) = page_login(&crm, OPERATOR).await;
    let body = customer("Cookiemonster");
    let path = "/api/v1/customers";

    let bare = with_cookie(&crm, "POST", path, &value, &[], Some(&body)).await;
    assert_eq!(bare.status, 403, "{bare:?}");
    assert_eq!(bare.code(), "csrf_refused");
    assert!(
        bare.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("X-CSRF-Token")),
        "the refusal says what is missing: {bare:?}"
    );
    let wrong_token = "0".repeat(64);
    let wrong = with_cookie(
        &crm,
        "POST",
        path,
        &value,
        &[("X-CSRF-Token", &wrong_token)],
        Some(&body),
    )
    .await;
    assert_eq!(wrong.status, 403, "{wrong:?}");
    assert_eq!(wrong.code(), "csrf_refused");
    let elsewhere = with_cookie(
        &crm,
        "POST",
        path,
        &value,
        &[("X-CSRF-Token", &csrf), ("Origin", "http://evil.example")],
        Some(&body),
    )
    .await;
    assert_eq!(elsewhere.status, 403, "{elsewhere:?}");
    assert!(
        elsewhere.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Origin")),
        "{elsewhere:?}"
    );
    assert_eq!(
        customers_named(&crm, "Cookiemonster").await,
        0,
        "nothing refused was stored"
    );

    let ours = format!("http://{}", crm.http_addr);
    let accepted = with_cookie(
        &crm,
        "POST",
        path,
        &value,
        &[("X-CSRF-Token", &csrf), ("Origin", &ours)],
        Some(&body),
    )
    .await;
    assert_eq!(accepted.status, 201, "{accepted:?}");
    let without_origin = with_cookie(
        &crm,
        "POST",
        path,
        &value,
        &[("X-CSRF-Token", &csrf)],
        Some(&customer("Cookiemonster")),
    )
    .await;
    assert_eq!(without_origin.status, 201, "{without_origin:?}");
    assert_eq!(customers_named(&crm, "Cookiemonster").await, 2);

    // A bearer token needs no CSRF token: no browser sends it by itself.
    let token = crm.token(OPERATOR).await;
    let bearer = crm
        .request("POST", path, Some(&token), Some(&customer("Cookiemonster")))
        .await;
    assert_eq!(bearer.status, 201, "{bearer:?}");

    // Another session's CSRF token is worth nothing with this cookie.
    let (_, other_csrf, _) = page_login(&crm, OPERATOR).await;
    let crossed = with_cookie(
        &crm,
        "POST",
        path,
        &value,
        &[("X-CSRF-Token", &other_csrf)],
        Some(&body),
    )
    .await;
    assert_eq!(crossed.status, 403, "{crossed:?}");

    // A page's login from another site is refused, and sets nothing.
    let login = json!({"login": OPERATOR.0, "password": OPERATOR.1, "cookie": true}).to_string();
    let forged = crm
        .request_with(
            "POST",
            "/api/v1/login",
            None,
            &[("Origin", "http://evil.example")],
            Some(&login),
        )
        .await;
    assert_eq!(forged.status, 403, "{forged:?}");
    assert_eq!(forged.header("set-cookie"), None);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_checked_alike_whichever_carries_the_session() {
    let crm = Crm::start().await;
    let (operator, operator_csrf, _) = page_login(&crm, OPERATOR).await;
    let (admin, admin_csrf, _) = page_login(&crm, ADMIN).await;
    let users = with_cookie(&crm, "GET", "/api/v1/users", &operator, &[], None).await;
    assert_eq!(users.status, 403, "operators manage no users: {users:?}");
    assert_eq!(users.code(), "forbidden");
    let admin_users = with_cookie(&crm, "GET", "/api/v1/users", &admin, &[], None).await;
    assert_eq!(admin_users.status, 200);
    let admin_customers =
        with_cookie(&crm, "GET", "/api/v1/customers?name=ro", &admin, &[], None).await;
    assert_eq!(
        admin_customers.status, 403,
        "administrators read no citizens"
    );
    let admin_creates = with_cookie(
        &crm,
        "POST",
        "/api/v1/customers",
        &admin,
        &[("X-CSRF-Token", &admin_csrf)],
        Some(&customer("Nobody")),
    )
    .await;
    assert_eq!(admin_creates.status, 403);
    assert_eq!(
        admin_creates.code(),
        "forbidden",
        "the role, not the CSRF check"
    );
    let board = with_cookie(
        &crm,
        "POST",
        "/api/v1/supervisor/queues/technology/open",
        &operator,
        &[("X-CSRF-Token", &operator_csrf)],
        Some(r#"{"open": false}"#),
    )
    .await;
    assert_eq!(board.status, 403, "operators open no queues: {board:?}");
    let forged = with_cookie(&crm, "GET", "/api/v1/me", &"ab".repeat(32), &[], None).await;
    assert_eq!(
        forged.status, 401,
        "a cookie that names no session: {forged:?}"
    );
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_ends_the_session_and_clears_the_cookie() {
    let crm = Crm::start().await;
    let (value, csrf, _) = page_login(&crm, SUPERVISOR).await;
    let forged = with_cookie(&crm, "POST", "/api/v1/logout", &value, &[], None).await;
    assert_eq!(
        forged.status, 403,
        "a forged logout is refused too: {forged:?}"
    );
    let still = with_cookie(&crm, "GET", "/api/v1/me", &value, &[], None).await;
    assert_eq!(still.status, 200, "and the session lives on");

    let out = with_cookie(
        &crm,
        "POST",
        "/api/v1/logout",
        &value,
        &[("X-CSRF-Token", &csrf)],
        None,
    )
    .await;
    assert_eq!(out.status, 204, "{out:?}");
    let cleared = out.header("set-cookie").expect("the cookie is cleared");
    assert!(
        cleared.starts_with("centralino_session=;") && cleared.contains("max-age=0"),
        "{cleared}"
    );
    let after = with_cookie(&crm, "GET", "/api/v1/me", &value, &[], None).await;
    assert_eq!(
        after.status, 401,
        "the session ended on the server: {after:?}"
    );
    crm.stop().await.expect("clean shutdown");
}
