//! Story: the CRM service runs on its own (`centralino crm`) and the engine points at it by
//! address (`centralino run --crm-url`), as two processes of the real binary. A call released
//! by the IVR still leaves its service request in that CRM; both processes stop cleanly on
//! SIGTERM.
//!
//! Run: `cargo test --test crm_standalone` (about 30 s; needs `sipp`).

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn a_separate_crm_refuses_to_start_without_the_engine_credential() {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_centralino"))
        .args(["crm", "--assets-dir"])
        .arg(repo_root())
        .args([
            "--grpc-listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data.path())
        .env_remove(centralino::CTI_TOKEN_ENV)
        .current_dir(repo_root())
        .output()
        .expect("the centralino binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CENTRALINO_CTI_TOKEN"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn engine_sends_call_records_to_a_separate_crm_process() {
    let _serial = one_story_at_a_time().await;
    let data = tempfile::tempdir().unwrap();
    let logs = data.path().join("sipp");
    std::fs::create_dir_all(&logs).unwrap();
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
    let deadline = Instant::now() + Duration::from_secs(30);
    while http_get(http, "/api/v1/service-requests").is_err() {
        assert!(Instant::now() < deadline, "the CRM did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The engine's own CRM listeners are unused in remote mode: give it ports nobody needs.
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
    // Give the engine a moment to bind its SIP socket (SIPp would retransmit anyway).
    tokio::time::sleep(Duration::from_secs(1)).await;

    let ivr = IvrTiming::from_prompts();
    let plan = CallPlan::waits_for_bye(['9', '9'], ivr.first_key(), ivr.retry_top());
    let caller = Caller::dial(sip, "caller", &plan, &logs);
    caller.phone.expect_success(SIPP_TIMEOUT).await;
    let heard = caller.ear.stop();
    assert_heard_prompt_first(&heard, "welcome");

    let sr = wait_for_service_request(http, &caller.call_id, Duration::from_secs(10)).await;
    assert_field(&sr, "call.sip_call_id", &caller.call_id);
    assert_field(&sr, "call.caller_number", CALLER_NUMBER);
    assert_outcome(&sr, "released_by_ivr");

    assert!(
        engine.terminate().success(),
        "the engine exits 0 on SIGTERM"
    );
    assert!(crm.terminate().success(), "the CRM exits 0 on SIGTERM");
}
