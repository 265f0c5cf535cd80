//! Story: a citizen calls the toll-free number, picks "1 Personnel services" then
//! "1 Administrative information", waits, and talks with operator 1001; when the caller hangs
//! up, the CRM holds one service request for the call with the IVR's choices.
//!
//! Real peers: SIPp as the caller and as the operator's phone (two instances: register +
//! answer). Run: `cargo test --test call_reaches_operator` (about 40 s; needs `sipp`).

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn caller_picks_personnel_information_and_talks_with_the_operator() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();

    // Operator 1001's desk is open in her browser.
    let desk = DeskWatcher::open(engine.http_addr, ("1001", "demo1001"));
    let operator = OperatorPhone::register(
        engine.sip_addr,
        "1001",
        OperatorBehaviour::AnswersAndWaitsForBye,
        1,
        &logs,
    )
    .await;

    // 1 at the top menu, 1 in the personnel menu; then "please hold", the operator's phone
    // rings for a second and is answered; the caller talks for a while and hangs up.
    let plan = CallPlan::hangs_up_after(
        &['1', '1'],
        ivr.first_key(),
        ivr.submenu_key(),
        ivr.please_hold + Duration::from_secs(4),
        Duration::from_secs(6),
    );
    let caller = Caller::dial(engine.sip_addr, "caller", &plan, &logs);

    let caller_phone = caller.phone.expect_success(SIPP_TIMEOUT).await;
    // The engine ends the operator's leg when the caller hangs up.
    let operator_phone = operator.phone.expect_success(Duration::from_secs(30)).await;
    let heard_by_caller = caller.ear.stop();
    let heard_by_operator = operator.ear.stop();

    // The caller heard the welcome first, then the menus and the hold message.
    assert_heard_prompt_first(&heard_by_caller, "welcome");
    assert_heard_prompt(&heard_by_caller, "main_menu");
    assert_heard_prompt(&heard_by_caller, "personnel_menu");
    assert_heard_prompt(&heard_by_caller, "please_hold");

    // Both parties heard each other: the other side's recording, relayed packet for packet.
    assert_heard_speech(&heard_by_caller, &speech_pcap(), 50, "the caller");
    assert_heard_speech(&heard_by_operator, &speech_pcap(), 50, "operator 1001");

    // The operator's phone was offered exactly this one call.
    assert_eq!(
        operator_phone.received_requests("INVITE").len(),
        1,
        "operator 1001 got one INVITE"
    );
    assert_eq!(
        caller_phone.received_requests("BYE").len(),
        0,
        "the caller hung up, not the engine"
    );

    // The CRM opened one service request for the call, from the call record.
    let sr =
        wait_for_service_request(engine.http_addr, &caller.call_id, Duration::from_secs(10)).await;
    assert_field(&sr, "call.sip_call_id", &caller.call_id);
    // `number` is the SR's own number, the one the caller quotes in later contacts.
    assert!(
        field(&sr, "number").is_some_and(|n| !n.is_empty()),
        "the SR has a number: {sr:#}"
    );
    assert_field(&sr, "call.dialled_number", TOLL_FREE);
    assert!(
        field(&sr, "call_id").is_some_and(|id| id != caller.call_id),
        "the SR keys on the engine's own call ID, not the phone's Call-ID: {sr:#}"
    );
    assert_field(&sr, "call.caller_number", CALLER_NUMBER);
    assert_field(&sr, "service_area", "personnel");
    assert_field(&sr, "request_type", "information");
    assert_field(&sr, "call.queue", "personnel-info");
    assert_outcome(&sr, "answered");
    assert_eq!(
        ivr_value(&sr, "service_area").as_deref(),
        Some("personnel"),
        "IVR data of {sr:#}"
    );
    assert_eq!(
        ivr_value(&sr, "request_type").as_deref(),
        Some("information"),
        "IVR data of {sr:#}"
    );
    assert_eq!(
        answering_agent(&sr).as_deref(),
        Some("1001"),
        "the SR names the operator who answered: {sr:#}"
    );
    // While it rang, her phone itself showed the SR and the service area, with a link to the
    // SR's page on her desk.
    let number = field(&sr, "number").unwrap_or_default();
    let invites = operator_phone.received_requests("INVITE");
    let from = invites[0].header("From").unwrap_or_default();
    assert!(
        from.starts_with(&format!("\"{number} personnel\"")),
        "the phone's display name is the SR and the area: {from}"
    );
    assert_eq!(
        invites[0].header("Call-Info").as_deref(),
        Some(
            format!(
                "<http://{}/desk/sr/{number}>;purpose=info",
                engine.http_addr
            )
            .as_str()
        ),
        "the INVITE links the SR's page"
    );
    let all = service_requests_for_call(engine.http_addr, &caller.call_id);
    assert_eq!(
        all.len(),
        1,
        "exactly one service request for the call: {all:#?}"
    );
    // Her desk popped the call's SR, already filled by the IVR, as the phone rang; then the
    // call connected and ended.
    let call_id = field(&sr, "call_id").expect("the engine's call ID");
    let pop = desk
        .wait_for("offered", &call_id, Duration::from_secs(5))
        .await;
    assert_eq!(
        field(&pop, "service_request.number"),
        field(&sr, "number"),
        "the pop is the call's SR: {pop:#}"
    );
    assert_field(&pop, "service_request.service_area", "personnel");
    assert_field(&pop, "service_request.call.caller_number", CALLER_NUMBER);
    assert_field(&pop, "service_request.call.queue", "personnel-info");
    desk.wait_for("connected", &call_id, Duration::from_secs(5))
        .await;
    let ended = desk
        .wait_for("ended", &call_id, Duration::from_secs(5))
        .await;
    assert_outcome(&ended["service_request"], "answered");
    // The call's own events came in order, once each; her state changes (ringing, talking,
    // wrap-up) travel on the same stream, interleaved as they happen (tests/supervisor_live.rs).
    let events = desk.events();
    let names: Vec<&str> = events
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| *n != "state")
        .collect();
    assert_eq!(
        names,
        ["offered", "connected", "ended"],
        "in order, once each"
    );

    // Service requests hold personal data: nobody reads them without logging in.
    let (status, body) =
        http_get_anonymous(engine.http_addr, "/api/v1/service-requests").expect("the CRM answers");
    assert_eq!(status, 401, "an anonymous read is refused: {body}");
    assert!(
        !body.contains(CALLER_NUMBER),
        "and shows nothing of the SRs: {body}"
    );

    engine.shutdown().await;
    keep_logs_if_asked(data);
}
