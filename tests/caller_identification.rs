//! Story: the IVR knows who is calling. Mario Rossi calls from his mobile, the only number
//! of his in the directory: the number identifies him, and his SR names him. His wife Lucia
//! calls from the home phone they share and asks for her own employment record (1, then 3):
//! the number cannot say which of them it is, so the IVR asks for a PIN; she types hers and
//! her SR names her. Mario's screen pop lists his call.
//!
//! Real peers: SIPp callers (RFC 4733 keys), the demo's embedded CRM, customers created over
//! its HTTP API. Run: `cargo test --test caller_identification` (about 40 s; needs `sipp`).

mod common;

use std::time::Duration;

use common::*;

const MARIO_MOBILE: &str = "3471234567";
const HOME_PHONE: &str = "0551234567";

/// Creates a customer over HTTP as the demo supervisor: the new id.
fn create_customer(http: std::net::SocketAddr, body: serde_json::Value) -> i64 {
    let token = http_login(http, SUPERVISOR).expect("the supervisor logs in");
    let (status, answer) = http_request(
        http,
        "POST",
        "/api/v1/customers",
        Some(&token),
        Some(&body.to_string()),
    )
    .expect("the CRM answers");
    assert_eq!(status, 201, "customer created: {answer}");
    let created: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
    created["id"].as_i64().expect("an id")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_number_or_a_pin_identifies_the_caller_and_the_sr_names_them() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();
    let http = engine.http_addr;

    let mario = create_customer(
        http,
        serde_json::json!({
            "kind": "person", "display_name": "Mario Rossi", "family_name": "Rossi",
            "phones": [{"label": "mobile", "number": MARIO_MOBILE},
                       {"label": "home", "number": "055 1234567"}],
            "pin": {"set": "2468"}
        }),
    );
    let lucia = create_customer(
        http,
        serde_json::json!({
            "kind": "person", "display_name": "Lucia Rossi", "family_name": "Rossi",
            "phones": [{"label": "home", "number": "055 1234567"}],
            "pin": {"set": "9753"}
        }),
    );

    // Mario: 2 (technology), waits in the queue a little, hangs up (no operator is in).
    let mario_calls = CallPlan::hangs_up_after(
        &['2'],
        ivr.first_key(),
        Duration::ZERO,
        ivr.please_hold + Duration::from_secs(2),
        Duration::from_secs(1),
    )
    .from(MARIO_MOBILE);
    // Lucia: 1 (personnel), 3 (own record), then her PIN while the PIN prompt plays.
    let enter_pin = prompt("enter_pin").duration;
    let lucia_calls = CallPlan::hangs_up_after(
        &['1', '3'],
        ivr.first_key(),
        ivr.submenu_key(),
        ivr.please_hold + Duration::from_secs(3),
        Duration::from_secs(1),
    )
    .from(HOME_PHONE)
    .then_pin(
        "9753",
        enter_pin + Duration::from_millis(500),
        Duration::from_millis(700),
    );
    let mario_call = Caller::dial(engine.sip_addr, "mario", &mario_calls, &logs);
    let lucia_call = Caller::dial(engine.sip_addr, "lucia", &lucia_calls, &logs);
    mario_call.phone.expect_success(SIPP_TIMEOUT).await;
    lucia_call.phone.expect_success(SIPP_TIMEOUT).await;
    let lucia_heard = lucia_call.ear.stop();
    let _ = mario_call.ear.stop();

    let mario_sr =
        wait_for_service_request(http, &mario_call.call_id, Duration::from_secs(10)).await;
    assert_field(&mario_sr, "call.caller_number", MARIO_MOBILE);
    assert_field(&mario_sr, "call.customer", &mario.to_string());
    assert_field(&mario_sr, "call.queue", "technology");

    // Lucia was asked for her PIN (the number is shared), and never told she was unknown.
    assert_heard_prompt(&lucia_heard, "personnel_menu");
    assert_heard_prompt(&lucia_heard, "enter_pin");
    assert!(
        last_packet_of_prompt(&lucia_heard, "identify_failed").is_none(),
        "Lucia's PIN was accepted at once"
    );
    let lucia_sr =
        wait_for_service_request(http, &lucia_call.call_id, Duration::from_secs(10)).await;
    assert_field(&lucia_sr, "call.customer", &lucia.to_string());
    assert_field(&lucia_sr, "request_type", "own_record");
    assert_field(&lucia_sr, "call.queue", "personnel-info");
    assert!(
        !lucia_sr.to_string().contains("9753"),
        "the PIN is nowhere in the SR: {lucia_sr:#}"
    );

    // Mario's screen pop lists the call he just made.
    let (status, pop) = http_get_json(http, &format!("/api/v1/customers/{mario}/pop"));
    assert_eq!(status, 200, "{pop:#}");
    assert_eq!(pop["customer"]["display_name"], "Mario Rossi");
    let recent: Vec<String> = pop["recent_requests"]
        .as_array()
        .expect("recent SRs")
        .iter()
        .filter_map(|sr| field(sr, "number"))
        .collect();
    assert_eq!(
        recent.first(),
        field(&mario_sr, "number").as_ref(),
        "the pop's newest SR is the call's: {pop:#}"
    );

    engine.shutdown().await;
    keep_logs_if_asked(data);
}
