//! Story: the supervisor's wallboard in a browser. No operator is logged in to technology
//! support; in headless Chromium the supervisor opens the wallboard and logs in. Two citizens
//! call and pick 2: the wallboard's waiting count for technology goes from 0 to 2, flagged
//! "callers waiting and no operator logged in"; they give up and hang up, and it goes back to
//! 0 with both counted as abandoned today and the service level shown as breached.
//!
//! Real peers: SIPp callers; Chromium (Debian) driven by playwright-core
//! (`tests/browser/wallboard.mjs`), which writes `docs/screenshots/{wallboard,
//! wallboard-after,wallboard-laptop}.png`.
//! Run: `cargo test --test wallboard_page` (about 40 s; needs `sipp`, `chromium` and
//! `tests/browser/node_modules`: `scripts/test-deps.sh` installs them).

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_wallboard_counts_callers_waiting_up_and_down() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();

    let mut page = PageScript::start(
        "wallboard.mjs",
        engine.http_addr,
        SUPERVISOR,
        &[("EXPECT_QUEUE", "technology")],
    );
    let quiet = page.step("quiet", Duration::from_secs(60)).await;
    assert_eq!(quiet["waiting"], 0);

    let plan = CallPlan::hangs_up_after(
        &['2'],
        ivr.first_key(),
        Duration::ZERO,
        ivr.please_hold + Duration::from_secs(8),
        Duration::from_millis(500),
    );
    let first = Caller::dial(engine.sip_addr, "waiting-1", &plan, &logs);
    let second = Caller::dial(engine.sip_addr, "waiting-2", &plan, &logs);

    let busy = page.step("busy", Duration::from_secs(60)).await;
    assert_eq!(busy["waiting"], 2, "{busy:#}");
    first.phone.expect_success(SIPP_TIMEOUT).await;
    second.phone.expect_success(SIPP_TIMEOUT).await;
    let done = page.step("done", Duration::from_secs(60)).await;
    assert_eq!(done["waiting"], 0, "{done:#}");
    assert_eq!(done["abandoned"], 2, "{done:#}");
    page.finish(Duration::from_secs(20)).await;

    // The page's figures are the board's.
    let (status, history) =
        http_get_json(engine.http_addr, "/api/v1/supervisor/history?minutes=60");
    assert_eq!(status, 200, "{history}");
    let peak = history["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .flat_map(|s| s["queues"].as_array().cloned().unwrap_or_default())
        .filter(|q| q["name"] == "technology")
        .map(|q| q["waiting_max"].as_u64().unwrap_or(0))
        .max();
    assert_eq!(
        peak,
        Some(2),
        "the history saw both callers waiting: {history:#}"
    );

    engine.shutdown().await;
    keep_logs_if_asked(data);
}
