//! Story: operators set their own state from the desktop and a supervisor steps in. Operator
//! 1001's phone registers (the demo's registration makes her ready); from her desktop she
//! takes a break, and the supervisor's board and her own desk show it at once; the
//! supervisor puts her back to ready and closes a queue for the night. Operator 1002, whose
//! phone is not registered, cannot go ready: the ACD says why.
//!
//! Real peers: SIPp as 1001's phone; the desktop and the board over HTTP (JSON and SSE).
//! Run: `cargo test --test operator_states` (about 10 s; needs `sipp`).

mod common;

use std::time::Duration;

use common::*;

fn operator<'a>(live: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    live["view"]["operators"]
        .as_array()?
        .iter()
        .find(|o| o["operator"] == id)
}

fn post(
    http: std::net::SocketAddr,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, String) {
    http_request(http, "POST", path, Some(token), Some(&body.to_string())).expect("the CRM answers")
}

#[tokio::test(flavor = "multi_thread")]
async fn operators_set_their_state_and_the_supervisor_steps_in() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let http = engine.http_addr;
    let board = DeskWatcher::open_path(http, SUPERVISOR, "/api/v1/supervisor/live");
    let desk = DeskWatcher::open(http, ("1001", "demo1001"));
    register_agent(engine.sip_addr, "1001", free_udp_port(), &logs).await;
    board
        .wait_until(
            "1001 ready once registered",
            Duration::from_secs(10),
            |_, live| operator(live, "1001").is_some_and(|o| o["state"] == "ready"),
        )
        .await;

    // A break, from her desktop.
    let anna = http_login(http, ("1001", "demo1001")).expect("1001 logs in");
    let (status, body) = post(
        http,
        &anna,
        "/api/v1/desk/state",
        serde_json::json!({"action": "not_ready", "reason": "break"}),
    );
    assert_eq!(status, 204, "{body}");
    board
        .wait_until("1001 on a break", Duration::from_secs(5), |_, live| {
            operator(live, "1001")
                .is_some_and(|o| o["state"] == "not_ready" && o["reason"] == "break")
        })
        .await;
    desk.wait_until(
        "her desk shows the break",
        Duration::from_secs(5),
        |name, event| {
            name == "state" && event["state"] == "not_ready" && event["reason"] == "break"
        },
    )
    .await;

    // She may not set a colleague's state; the supervisor may.
    let (status, _) = post(
        http,
        &anna,
        "/api/v1/supervisor/operators/1002/state",
        serde_json::json!({"action": "ready"}),
    );
    assert_eq!(status, 403);
    let sara = http_login(http, SUPERVISOR).expect("the supervisor logs in");
    let (status, body) = post(
        http,
        &sara,
        "/api/v1/supervisor/operators/1001/state",
        serde_json::json!({"action": "ready"}),
    );
    assert_eq!(status, 204, "{body}");
    board
        .wait_until("1001 ready again", Duration::from_secs(5), |_, live| {
            operator(live, "1001").is_some_and(|o| o["state"] == "ready")
        })
        .await;

    // 1002's phone is not registered: logged out, she cannot be ready. The ACD says why.
    let bruno = http_login(http, ("1002", "demo1002")).expect("1002 logs in");
    let (status, body) = post(
        http,
        &bruno,
        "/api/v1/desk/state",
        serde_json::json!({"action": "ready"}),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("logged_out") || body.contains("logged out"),
        "{body}"
    );

    // The supervisor closes the applications queue for the night.
    let (status, body) = post(
        http,
        &sara,
        "/api/v1/supervisor/queues/applications/open",
        serde_json::json!({"open": false}),
    );
    assert_eq!(status, 204, "{body}");
    board
        .wait_until("applications closed", Duration::from_secs(5), |_, live| {
            live["view"]["queues"].as_array().is_some_and(|qs| {
                qs.iter()
                    .any(|q| q["name"] == "applications" && q["open"] == false)
            })
        })
        .await;
    let (status, body) = post(
        http,
        &sara,
        "/api/v1/supervisor/queues/nowhere/open",
        serde_json::json!({"open": true}),
    );
    assert_eq!(status, 422, "an unknown queue: {body}");

    engine.shutdown().await;
    keep_logs_if_asked(data);
}
