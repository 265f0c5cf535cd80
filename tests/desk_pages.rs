//! Story: operator 1001 works from her browser. Her phone registers; in headless Chromium she
//! opens the desk, logs in, takes a break and goes ready again. A citizen calls and picks
//! "1 Personnel services", "1 Administrative information": as her phone rings, the desk pops
//! the SR the CRM opened for the call, with the caller's number, the queue, the IVR's choice
//! and the customer the IVR identified by the number, with her SRs; she adds a note, is told by the rules why an unclassified SR cannot be resolved
//! yet, finds the SR by the caller's number, and opens the SR link the engine gives phones. A
//! change sent with her cookie but without the CSRF token is refused; after she logs out the
//! SR link goes through the login form and back.
//!
//! Real peers: SIPp as the caller and as her phone; Chromium (Debian) driven by
//! playwright-core (`tests/browser/desk.mjs`), which writes `docs/screenshots/{login,
//! desk-ready,desk-pop,desk-case,desk-search,desk-sr}.png`.
//! Run: `cargo test --test desk_pages` (about 40 s; needs `sipp`, `chromium` and
//! `tests/browser/node_modules`: `scripts/test-deps.sh` installs them).

mod common;

use std::time::Duration;

use common::*;

/// The caller, as the customer directory knows her.
const CUSTOMER: &str = "Giulia Bianchi";

#[tokio::test(flavor = "multi_thread")]
async fn the_desk_pops_the_callers_service_request_in_the_browser() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();

    // The caller is in the customer directory: the IVR identifies her by her number.
    let supervisor = http_login(engine.http_addr, SUPERVISOR).expect("the supervisor logs in");
    let customer = serde_json::json!({
        "kind": "person", "display_name": CUSTOMER, "family_name": "Bianchi",
        "phones": [{"label": "mobile", "number": CALLER_NUMBER}]
    });
    let (status, body) = http_request(
        engine.http_addr,
        "POST",
        "/api/v1/customers",
        Some(&supervisor),
        Some(&customer.to_string()),
    )
    .expect("the CRM answers");
    assert_eq!(status, 201, "{body}");

    let operator = OperatorPhone::register(
        engine.sip_addr,
        "1001",
        OperatorBehaviour::AnswersAndWaitsForBye,
        1,
        &logs,
    )
    .await;
    let mut page = PageScript::start(
        "desk.mjs",
        engine.http_addr,
        ("1001", "demo1001"),
        &[
            ("EXPECT_CALLER", CALLER_NUMBER),
            ("EXPECT_QUEUE", "personnel-info"),
            ("EXPECT_IVR", "service_area=personnel"),
            ("EXPECT_CUSTOMER", CUSTOMER),
        ],
    );
    page.step("ready", Duration::from_secs(60)).await;

    let plan = CallPlan::hangs_up_after(
        &['1', '1'],
        ivr.first_key(),
        ivr.submenu_key(),
        ivr.please_hold + Duration::from_secs(4),
        Duration::from_secs(6),
    );
    let caller = Caller::dial(engine.sip_addr, "caller", &plan, &logs);
    let pop = page.step("pop", Duration::from_secs(120)).await;
    let worked = page.step("worked", Duration::from_secs(30)).await;
    let done = page.step("done", Duration::from_secs(60)).await;
    page.finish(Duration::from_secs(20)).await;

    caller.phone.expect_success(SIPP_TIMEOUT).await;
    operator.phone.expect_success(Duration::from_secs(30)).await;

    // What the page showed is the SR the CRM opened for this call.
    let sr =
        wait_for_service_request(engine.http_addr, &caller.call_id, Duration::from_secs(10)).await;
    assert_eq!(
        pop["sr"].as_str(),
        field(&sr, "number").as_deref(),
        "the pop shows the call's SR: {pop:#} vs {sr:#}"
    );
    assert_eq!(pop["caller"], CALLER_NUMBER);
    assert_eq!(pop["queue"], "personnel-info");
    assert_eq!(pop["ivr"]["service_area"], "personnel");
    assert_eq!(
        pop["case_state"], "open",
        "the SR was already open: {pop:#}"
    );
    // The note typed in the page is in the SR's history, by her.
    let number = field(&sr, "number").expect("a number");
    let (status, history) =
        http_get_json(engine.http_addr, &format!("/api/v1/cases/{number}/history"));
    assert_eq!(status, 200, "{history}");
    let note = worked["note"].as_str().expect("the note typed");
    let entries = history["entries"].as_array().expect("entries");
    assert!(
        entries
            .iter()
            .any(|e| e["change"]["text"] == note && e["actor"]["id"] == "1001"),
        "the note is in the history, by 1001: {history:#}"
    );
    assert!(
        worked["refusal"]
            .as_str()
            .is_some_and(|r| r.contains("refused")),
        "{worked:#}"
    );

    assert_eq!(done["sr"], pop["sr"]);
    assert_eq!(
        done["forged_status"], 403,
        "the cookie alone changes nothing: {done:#}"
    );
    assert_eq!(done["status_after_logout"], 401, "{done:#}");

    engine.shutdown().await;
    keep_logs_if_asked(data);
}
