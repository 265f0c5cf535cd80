//! Story: the engine goes away under a supervisor's eyes. The CRM (`centralino crm`) and the
//! engine (`centralino run --crm-url`) run as two processes of the real binary; in headless
//! Chromium the supervisor's wallboard shows the board the engine publishes. The engine is
//! killed: within seconds the wallboard says, in a red banner, that its figures may be out of
//! date, and greys them.
//!
//! Real peers: the real binary twice; Chromium (Debian) driven by playwright-core
//! (`tests/browser/wallboard-stale.mjs`), which writes `docs/screenshots/wallboard-stale.png`.
//! Run: `cargo test --test wallboard_stale` (about 20 s; needs `chromium` and
//! `tests/browser/node_modules`: `scripts/test-deps.sh` installs them).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_wallboard_says_when_the_engine_stopped_reporting() {
    let _serial = one_story_at_a_time().await;
    let data = tempfile::tempdir().expect("temporary directory");
    let root = repo_root().display().to_string();
    let grpc: SocketAddr = format!("127.0.0.1:{}", free_tcp_port()).parse().unwrap();
    let http: SocketAddr = format!("127.0.0.1:{}", free_tcp_port()).parse().unwrap();
    let sip: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();

    let crm = Process::spawn(&[
        "crm".into(),
        "--assets-dir".into(),
        root.clone(),
        "--grpc-listen".into(),
        grpc.to_string(),
        "--http-listen".into(),
        http.to_string(),
        "--data-dir".into(),
        data.path().join("crm").display().to_string(),
    ]);
    wait_for_http(http, "the CRM").await;
    // The engine's own CRM listeners are unused in remote mode: ports nobody needs.
    let engine = Process::spawn(&[
        "run".into(),
        "--assets-dir".into(),
        root,
        "--sip-listen".into(),
        sip.to_string(),
        "--crm-url".into(),
        format!("http://{grpc}"),
        "--grpc-listen".into(),
        "127.0.0.1:0".into(),
        "--http-listen".into(),
        "127.0.0.1:0".into(),
        "--data-dir".into(),
        data.path().join("engine").display().to_string(),
    ]);

    let mut page = PageScript::start("wallboard-stale.mjs", http, SUPERVISOR, &[]);
    page.step("fresh", Duration::from_secs(60)).await;
    engine.kill_hard();
    let stale = page.step("stale", Duration::from_secs(40)).await;
    assert!(
        stale["banner"]
            .as_str()
            .is_some_and(|b| b.contains("out of date")),
        "{stale:#}"
    );
    page.finish(Duration::from_secs(20)).await;
    assert!(crm.terminate().success(), "the CRM exits 0 on SIGTERM");
}
