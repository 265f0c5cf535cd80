//! The pages come from the CRM itself: the login form for everyone, the desk for people who
//! work cases, the wallboard for supervisors; a browser without a session is sent to the
//! login form (and back afterwards), one without the role is told so there. Every answer,
//! pages and API, carries a strict Content-Security-Policy and the other security headers;
//! the embedded files have their types and are revalidated by hash.

mod common;

use common::{ADMIN, Crm, OPERATOR, SUPERVISOR};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A GET whose answer may be anything: (status, lowercased head, body).
async fn fetch(crm: &Crm, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut stream = TcpStream::connect(crm.http_addr).await.expect("connect");
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        crm.http_addr
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").expect("a head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim())
    })
}

async fn cookie_of(crm: &Crm, (login, password): (&str, &str)) -> String {
    let body = json!({"login": login, "password": password, "cookie": true}).to_string();
    let answer = crm
        .request("POST", "/api/v1/login", None, Some(&body))
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    answer
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a cookie")
        .to_owned()
}

fn assert_secure_headers(head: &str, what: &str) {
    let csp = header(head, "content-security-policy").unwrap_or_default();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{what}: {directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(
        header(head, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header(head, "x-frame-options"), Some("deny"), "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_browsers_get_the_login_form_and_nothing_else() {
    let crm = Crm::start().await;
    let (status, head, body) = fetch(&crm, "/", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&head, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(header(&head, "cache-control"), Some("no-store"));
    assert_secure_headers(&head, "/");
    assert!(body.contains(r#"<form id="login-form""#), "{body}");
    assert!(
        !body.contains("<script>") && !body.contains("style="),
        "nothing inline"
    );

    for (path, next) in [
        ("/desk", "/?next=/desk"),
        ("/wallboard", "/?next=/wallboard"),
        ("/desk/sr/SR-2026-000001", "/?next=/desk/sr/SR-2026-000001"),
    ] {
        let (status, head, _) = fetch(&crm, path, &[]).await;
        assert_eq!(status, 303, "{path}");
        assert_eq!(
            header(&head, "location"),
            Some(next.to_ascii_lowercase().as_str()),
            "{path}"
        );
    }
    let (status, _, _) = fetch(&crm, "/desk/sr/a%20b", &[]).await;
    assert_eq!(status, 404, "an SR number is plain");

    // The API answers carry the same headers, and are not cached.
    let answer = crm.get_as(None, "/api/v1/service-requests").await;
    assert_eq!(answer.status, 401);
    assert_secure_headers(&answer.head, "the API");
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_lands_on_its_page_and_no_other() {
    let crm = Crm::start().await;
    let operator = cookie_of(&crm, OPERATOR).await;
    let supervisor = cookie_of(&crm, SUPERVISOR).await;
    let admin = cookie_of(&crm, ADMIN).await;
    let cookie = |value: &str| ("Cookie", value.to_owned());
    let cases = [
        (&operator, "/", 303, Some("/desk")),
        (&supervisor, "/", 303, Some("/wallboard")),
        (&admin, "/", 303, Some("/admin/prompts")),
        (&operator, "/desk", 200, None),
        (&operator, "/desk/sr/SR-2026-000001", 200, None),
        (&operator, "/wallboard", 303, Some("/?denied=/wallboard")),
        (&supervisor, "/wallboard", 200, None),
        (&supervisor, "/desk", 200, None),
        (&admin, "/desk", 303, Some("/?denied=/desk")),
        (&admin, "/wallboard", 303, Some("/?denied=/wallboard")),
        (&admin, "/admin/prompts", 200, None),
        (&admin, "/admin/ivr", 200, None),
        // The administration pages say no to everyone else.
        (&operator, "/admin/prompts", 403, None),
        (&supervisor, "/admin/ivr", 403, None),
    ];
    for (value, path, status, location) in cases {
        let (name, value) = cookie(value);
        let (got, head, body) = fetch(&crm, path, &[(name, &value)]).await;
        assert_eq!(got, status, "{value} {path}");
        assert_eq!(header(&head, "location"), location, "{path}");
        if status == 200 && path != "/" {
            assert!(body.contains("type=\"module\""), "{path} loads its module");
        }
        if status == 403 {
            assert!(body.contains("Administrators only"), "{path} says why");
        }
    }
    let (status, head, _) = fetch(&crm, "/admin/ivr", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(header(&head, "location"), Some("/?next=/admin/ivr"));
    // The page itself is no way around the API's roles: an operator's cookie still gets 403
    // from the board's stream.
    let (name, value) = cookie(&operator);
    let (status, _, _) = fetch(&crm, "/api/v1/supervisor/live", &[(name, &value)]).await;
    assert_eq!(status, 403);
    crm.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_files_have_their_types_and_are_revalidated_by_hash() {
    let crm = Crm::start().await;
    for (path, content_type) in [
        ("/assets/desk.js", "text/javascript; charset=utf-8"),
        ("/assets/style.css", "text/css; charset=utf-8"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ] {
        let (status, head, body) = fetch(&crm, path, &[]).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(header(&head, "content-type"), Some(content_type), "{path}");
        assert_eq!(header(&head, "cache-control"), Some("no-cache"), "{path}");
        assert!(!body.is_empty());
        let etag = header(&head, "etag").expect("an etag").to_owned();
        let (status, _, body) = fetch(&crm, path, &[("If-None-Match", &etag)]).await;
        assert_eq!(status, 304, "{path} unchanged");
        assert!(body.is_empty());
    }
    let (status, _, _) = fetch(&crm, "/assets/../Cargo.toml", &[]).await;
    assert_eq!(status, 404);
    let (status, _, _) = fetch(&crm, "/assets/nothing.js", &[]).await;
    assert_eq!(status, 404);
    crm.stop().await.expect("clean shutdown");
}
