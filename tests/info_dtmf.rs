//! Story: a caller whose phone (or carrier) sends key presses as SIP INFO
//! (`application/dtmf-relay`) instead of RFC 4733 packets picks 2 at the main menu and waits in
//! the technology queue; the SR shows the choice. Real peer: SIPp (`caller_info_digit.xml`).
//!
//! Run: `cargo test --test info_dtmf` (about 15 s; needs `sipp`).

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_key_sent_as_sip_info_reaches_the_ivr() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();
    let ear = RtpSink::bind();
    let call_id = unique_call_id("info");
    SippCommand::new("info-caller", scenario("caller_info_digit.xml"), &logs)
        .remote(engine.sip_addr)
        .service(TOLL_FREE)
        .call_id(&call_id)
        .key("caller", CALLER_NUMBER)
        .key("sink_port", ear.port())
        .key("pre_digits_ms", ms(ivr.first_key()))
        .key("digit", "2")
        .key(
            "queue_wait_ms",
            ms(ivr.please_hold + Duration::from_secs(1)),
        )
        .key("talk_ms", 0)
        .key("speech_pcap", speech_pcap().display())
        .spawn()
        .expect_success(SIPP_TIMEOUT)
        .await;
    let heard = ear.stop();
    assert_heard_prompt(&heard, "please_hold");
    let sr = wait_for_service_request(engine.http_addr, &call_id, Duration::from_secs(10)).await;
    assert_field(&sr, "call.queue", "technology");
    assert_eq!(
        ivr_value(&sr, "service_area").as_deref(),
        Some("technology")
    );
    engine.shutdown().await;
    keep_logs_if_asked(data);
}
