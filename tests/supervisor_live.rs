//! Story: a supervisor watches the board while no operator is logged in to technology support.
//! Two citizens call and pick 2: the board (SSE, pushed by the engine through the CRM) shows
//! them waiting, with the "callers without operators" warning; they give up and hang up, and
//! the board shows the queue empty again and both calls abandoned today. `centralino top`
//! shows the same board in a terminal.
//!
//! Real peers: SIPp callers; the supervisor's stream is read as a browser would.
//! Run: `cargo test --test supervisor_live` (about 30 s; needs `sipp`).

mod common;

use std::time::Duration;

use common::*;

fn technology(live: &serde_json::Value) -> Option<&serde_json::Value> {
    live["view"]["queues"]
        .as_array()?
        .iter()
        .find(|q| q["name"] == "technology")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_board_shows_callers_waiting_then_abandoned() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();
    let board = DeskWatcher::open_path(engine.http_addr, SUPERVISOR, "/api/v1/supervisor/live");
    let quiet = board
        .wait_until("the first view", Duration::from_secs(5), |name, live| {
            name == "live" && technology(live).is_some()
        })
        .await;
    assert_eq!(technology(&quiet).expect("technology")["waiting_count"], 0);
    let operators: Vec<(String, String)> = quiet["view"]["operators"]
        .as_array()
        .expect("operators")
        .iter()
        .map(|o| {
            (
                o["operator"].as_str().unwrap_or_default().to_owned(),
                o["state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        operators.contains(&("1001".to_owned(), "logged_out".to_owned())),
        "the configured operators, none logged in: {operators:?}"
    );

    let plan = CallPlan::hangs_up_after(
        &['2'],
        ivr.first_key(),
        Duration::ZERO,
        ivr.please_hold + Duration::from_secs(6),
        Duration::from_millis(500),
    );
    let first = Caller::dial(engine.sip_addr, "waiting-1", &plan, &logs);
    let second = Caller::dial(engine.sip_addr, "waiting-2", &plan, &logs);

    let busy = board
        .wait_until("two callers waiting", Duration::from_secs(40), |_, live| {
            technology(live).is_some_and(|q| q["waiting_count"] == 2)
        })
        .await;
    let queue = technology(&busy).expect("technology");
    assert_eq!(
        queue["warning"], true,
        "callers without operators: {queue:#}"
    );
    assert_eq!(queue["waiting"].as_array().map(Vec::len), Some(2));
    assert_eq!(busy["stale"], false);

    // The same board in a terminal: `centralino top`.
    let top = tokio::process::Command::new(env!("CARGO_BIN_EXE_centralino"))
        .args(["top", "--once", "--login", SUPERVISOR.0, "--url"])
        .arg(format!("http://{}", engine.http_addr))
        .env("CENTRALINO_PASSWORD", SUPERVISOR.1)
        .output()
        .await
        .expect("centralino top runs");
    let screen = String::from_utf8_lossy(&top.stdout);
    assert!(
        top.status.success(),
        "{screen}{}",
        String::from_utf8_lossy(&top.stderr)
    );
    let row: Vec<&str> = screen
        .lines()
        .find(|l| l.starts_with("technology "))
        .unwrap_or_else(|| panic!("a technology row: {screen}"))
        .split_whitespace()
        .collect();
    assert_eq!(row[2], "2", "two callers waiting: {screen}");
    assert!(
        screen.contains("callers wait, nobody logged in"),
        "the warning: {screen}"
    );
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with("1001 ") && l.contains("logged_out")),
        "{screen}"
    );

    first.phone.expect_success(SIPP_TIMEOUT).await;
    second.phone.expect_success(SIPP_TIMEOUT).await;
    let after = board
        .wait_until(
            "the queue empty again",
            Duration::from_secs(10),
            |_, live| {
                technology(live)
                    .is_some_and(|q| q["waiting_count"] == 0 && q["today"]["abandoned"] == 2)
            },
        )
        .await;
    let queue = technology(&after).expect("technology");
    assert_eq!(queue["warning"], false, "{queue:#}");
    assert_eq!(queue["today"]["joined"], 2);

    engine.shutdown().await;
    keep_logs_if_asked(data);
}
