//! Failed logins say nothing about which logins exist, and repeated failures lock the login
//! (and the source address) for a while, whatever the password tried next.

mod common;

use std::time::Duration;

use common::{ADMIN, Crm, OPERATOR, SUPERVISOR};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_logins_wrong_passwords_and_disabled_users_get_the_same_answer() {
    let crm = Crm::start().await;
    let wrong_password = crm.login(OPERATOR.0, "not-the-password").await;
    let unknown_login = crm.login("nobody.here", "not-the-password").await;
    assert_eq!(wrong_password.status, 401);
    assert_eq!(wrong_password.code(), "unauthenticated");
    assert_eq!(
        (unknown_login.status, &unknown_login.json),
        (wrong_password.status, &wrong_password.json)
    );

    let admin = crm.token(ADMIN).await;
    let body = r#"{"login":"temp","name":"Temp","roles":["operator"],"password":"temp-password"}"#;
    let created = crm
        .request("POST", "/api/v1/users", Some(&admin), Some(body))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let disabled = crm
        .request("POST", "/api/v1/users/temp/disable", Some(&admin), None)
        .await;
    assert_eq!(disabled.status, 200, "{disabled:?}");
    let disabled_user = crm.login("temp", "temp-password").await;
    assert_eq!(
        (disabled_user.status, &disabled_user.json),
        (wrong_password.status, &wrong_password.json),
        "the right password of a disabled user gets the same answer too"
    );
    assert_eq!(
        crm.login("Anna", OPERATOR.1).await.status,
        200,
        "logins are lowercase"
    );
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_lock_a_login_for_five_minutes() {
    let crm = Crm::start().await;
    for _ in 0..5 {
        assert_eq!(crm.login(OPERATOR.0, "guess").await.status, 401);
    }
    let locked = crm.login(OPERATOR.0, OPERATOR.1).await;
    assert_eq!(locked.status, 429, "even the right password: {locked:?}");
    assert_eq!(locked.code(), "too_many_requests");
    assert_eq!(locked.header("retry-after"), Some("300"));

    // A login nobody has is locked just the same: the lock reveals nothing.
    for _ in 0..5 {
        assert_eq!(crm.login("made.up", "guess").await.status, 401);
    }
    let made_up = crm.login("made.up", "guess").await;
    assert_eq!(
        (made_up.status, made_up.code()),
        (locked.status, locked.code())
    );

    assert_eq!(
        crm.login(SUPERVISOR.0, SUPERVISOR.1).await.status,
        200,
        "other logins are not locked"
    );
    crm.clock.advance(Duration::from_secs(4 * 60));
    let still = crm.login(OPERATOR.0, OPERATOR.1).await;
    assert_eq!(still.status, 429);
    assert_eq!(still.header("retry-after"), Some("60"));
    crm.clock.advance(Duration::from_secs(60));
    assert_eq!(crm.login(OPERATOR.0, OPERATOR.1).await.status, 200);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_guessing_many_logins_is_locked() {
    let crm = Crm::start_with(|auth| auth.lockout.max_failures_per_address = 3).await;
    for login in ["a1", "a2", "a3"] {
        assert_eq!(crm.login(login, "guess").await.status, 401);
    }
    let locked = crm.login(SUPERVISOR.0, SUPERVISOR.1).await;
    assert_eq!(locked.status, 429, "{locked:?}");
    crm.clock.advance(Duration::from_secs(5 * 60));
    assert_eq!(crm.login(SUPERVISOR.0, SUPERVISOR.1).await.status, 200);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_logins_are_refused_with_what_to_send() {
    let crm = Crm::start().await;
    let long = "x".repeat(65);
    for (body, status, code) in [
        (r#"{"login":"anna"}"#.to_owned(), 400, "invalid_argument"),
        ("[1,2]".to_owned(), 400, "invalid_argument"),
        ("{".to_owned(), 400, "invalid_argument"),
        (
            r#"{"login":"anna","password":"x","remember":true}"#.to_owned(),
            400,
            "invalid_argument",
        ),
        (
            format!(r#"{{"login":"{long}","password":"x"}}"#),
            400,
            "invalid_argument",
        ),
        (
            r#"{"login":"anna","password":""}"#.to_owned(),
            400,
            "invalid_argument",
        ),
    ] {
        let answer = crm
            .request("POST", "/api/v1/login", None, Some(&body))
            .await;
        assert_eq!((answer.status, answer.code()), (status, code), "{body}");
    }
    let shape = crm
        .request("POST", "/api/v1/login", None, Some(r#"{"login":"anna"}"#))
        .await;
    assert!(
        shape.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(r#""password": text"#)),
        "{shape:?}"
    );
    let form = crm
        .raw(
            "POST /api/v1/login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 27\r\n",
            b"login=anna&password=secrets",
        )
        .await;
    assert_eq!((form.status, form.code()), (415, "unsupported_media_type"));
    assert_eq!(
        crm.login(OPERATOR.0, OPERATOR.1).await.status,
        200,
        "malformed requests are not failed logins"
    );
    crm.stop().await.expect("clean shutdown");
}
