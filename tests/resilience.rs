//! Story: things that go wrong on a real line do not hurt the service.
//! - A caller gives up while it is still ringing: CANCEL gets 200, the INVITE 487.
//! - A caller hangs up while waiting in queue: the call is recorded as abandoned.
//! - Garbage datagrams on the SIP port (random bytes, a truncated INVITE, a huge header, ...)
//!   are dropped or refused; afterwards OPTIONS and a normal call still work.
//!
//! Run: `cargo test --test resilience` (about 60 s; needs `sipp`).

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn caller_cancels_while_ringing() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) =
        start_demo(|config| config.engine.answer_delay = Duration::from_secs(10)).await;
    let logs = log_dir(&data);

    // 180, one second of ringing, CANCEL; 200 for the CANCEL, 487 for the INVITE, ACK.
    let caller = Caller::dial(
        engine.sip_addr,
        "caller",
        &CallPlan::cancels_while_ringing(Duration::from_secs(1)),
        &logs,
    );
    let caller_phone = caller.phone.expect_success(Duration::from_secs(30)).await;
    // The call was never answered: no 200 OK for the INVITE reached the caller.
    let answered: Vec<_> = caller_phone
        .messages()
        .into_iter()
        .filter(|m| !m.sent && m.start_line.starts_with("SIP/2.0 200"))
        .filter(|m| {
            m.header("CSeq")
                .is_some_and(|cseq| cseq.ends_with("INVITE"))
        })
        .collect();
    assert!(
        answered.is_empty(),
        "the INVITE was answered despite the CANCEL: {answered:#?}"
    );

    // The line is free again: a ping and a new call work.
    options_ping(engine.sip_addr, &logs, "options-after-cancel").await;

    engine.shutdown().await;
    keep_logs_if_asked(data);
}

#[tokio::test(flavor = "multi_thread")]
async fn caller_hangs_up_while_queued() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();

    // 2: technology. No operator is registered: "please hold", hold music, then the caller
    // gives up.
    let plan = CallPlan::hangs_up_after(
        &['2'],
        ivr.first_key(),
        Duration::ZERO,
        ivr.please_hold + Duration::from_secs(4),
        Duration::from_secs(1),
    );
    let caller = Caller::dial(engine.sip_addr, "caller", &plan, &logs);
    caller.phone.expect_success(SIPP_TIMEOUT).await;
    let heard = caller.ear.stop();

    assert_heard_prompt_first(&heard, "welcome");
    assert_heard_prompt(&heard, "please_hold");
    assert_heard_prompt(&heard, "hold_music");

    let sr =
        wait_for_service_request(engine.http_addr, &caller.call_id, Duration::from_secs(10)).await;
    assert_field(&sr, "call.caller_number", CALLER_NUMBER);
    assert_field(&sr, "service_area", "technology");
    assert_field(&sr, "call.queue", "technology");
    assert_outcome(&sr, "abandoned");
    assert_eq!(
        service_requests_for_call(engine.http_addr, &caller.call_id).len(),
        1
    );

    engine.shutdown().await;
    keep_logs_if_asked(data);
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_on_the_sip_port_does_not_stop_the_service() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);

    let attacker = UdpSocket::bind("127.0.0.1:0").expect("bind loopback UDP");
    for datagram in garbage(engine.sip_addr) {
        attacker
            .send_to(&datagram, engine.sip_addr)
            .expect("send a datagram on loopback");
    }
    // Give the engine a moment to chew on them (responses, if any, go to `attacker`).
    tokio::time::sleep(Duration::from_millis(500)).await;

    options_ping(engine.sip_addr, &logs, "options-after-garbage").await;

    // A whole call, answered by the IVR, heard, and hung up by the caller.
    let plan = CallPlan::hangs_up_after(
        &[],
        Duration::ZERO,
        Duration::ZERO,
        Duration::from_secs(3),
        Duration::from_secs(1),
    );
    let caller = Caller::dial(engine.sip_addr, "caller-after-garbage", &plan, &logs);
    caller.phone.expect_success(Duration::from_secs(60)).await;
    assert_heard_prompt_first(&caller.ear.stop(), "welcome");

    engine.shutdown().await;
    keep_logs_if_asked(data);
}

/// OPTIONS to the toll-free number must get 200 OK.
async fn options_ping(sip: SocketAddr, logs: &std::path::Path, name: &str) {
    SippCommand::new(name, scenario("options.xml"), logs)
        .remote(sip)
        .service(TOLL_FREE)
        .timeout(Duration::from_secs(10))
        .spawn()
        .expect_success(Duration::from_secs(20))
        .await;
}

/// What a hostile or broken network throws at a SIP port.
fn garbage(target: SocketAddr) -> Vec<Vec<u8>> {
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let mut random = |len: usize| {
        (0..len)
            .map(|_| {
                // xorshift64: reproducible noise without a dependency.
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect::<Vec<u8>>()
    };
    let invite = format!(
        "INVITE sip:{TOLL_FREE}@{target} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-garbage-1\r\n\
         From: <sip:{CALLER_NUMBER}@127.0.0.1:9>;tag=garbage\r\n\
         To: <sip:{TOLL_FREE}@{target}>\r\n\
         Call-ID: garbage-1@127.0.0.1\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:{CALLER_NUMBER}@127.0.0.1:9>\r\n\
         Max-Forwards: 70\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: 120\r\n\r\n\
         v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
    );
    let mut out = vec![
        Vec::new(),
        b"\r\n\r\n".to_vec(),
        random(1),
        random(64),
        random(1400),
        random(8000),
        // Truncated in the middle of a header, and in the middle of the start line.
        invite.as_bytes()[..invite.len() / 3].to_vec(),
        invite.as_bytes()[..10].to_vec(),
        // Content-Length larger than the body.
        invite.replace("Content-Length: 120", "Content-Length: 99999").into_bytes(),
        // Negative and non-numeric Content-Length, CSeq out of range.
        invite.replace("Content-Length: 120", "Content-Length: -5").into_bytes(),
        invite.replace("CSeq: 1 INVITE", "CSeq: 99999999999999999999 INVITE").into_bytes(),
        // No Via, no Call-ID.
        invite.replace("Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-garbage-1\r\n", "").into_bytes(),
        invite.replace("Call-ID: garbage-1@127.0.0.1\r\n", "").into_bytes(),
        // NUL bytes and invalid UTF-8 in headers.
        invite.replace("tag=garbage", "tag=gar\0bage").into_bytes(),
        {
            let mut bytes = invite.clone().into_bytes();
            bytes[30] = 0xFF;
            bytes[31] = 0xFE;
            bytes
        },
        // A response nobody asked for, and an ACK and BYE for a dialog that does not exist.
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-nobody\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n".to_vec(),
        invite.replace("INVITE sip:", "ACK sip:").replace("CSeq: 1 INVITE", "CSeq: 1 ACK").into_bytes(),
        invite.replace("INVITE sip:", "BYE sip:").replace("CSeq: 1 INVITE", "CSeq: 2 BYE").into_bytes(),
    ];
    // One huge header: about 60 KB in a single datagram.
    let huge = invite.replace(
        "Max-Forwards: 70\r\n",
        &format!("Max-Forwards: 70\r\nSubject: {}\r\n", "x".repeat(60_000)),
    );
    out.push(huge.into_bytes());
    // Thousands of headers.
    let many = invite.replace("Max-Forwards: 70\r\n", &"X-Filler: y\r\n".repeat(4000));
    out.push(many.into_bytes());
    out
}

/// A caller's phone (or its network) dies mid-call without a BYE: it stops sending RTP. After
/// the configured silence the engine hangs up and the SR says why.
#[tokio::test(flavor = "multi_thread")]
async fn a_caller_whose_phone_falls_silent_is_hung_up_and_recorded() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|config| {
        config.engine.limits.rtp_timeout = Duration::from_secs(3);
    })
    .await;
    let logs = log_dir(&data);
    // Two keys (RFC 4733 packets) at once, then nothing: the phone stays on the line and
    // waits for the engine's BYE.
    let plan = CallPlan::waits_for_bye(
        ['1', '1'],
        Duration::from_millis(200),
        Duration::from_millis(200),
    );
    let caller = Caller::dial(engine.sip_addr, "silent", &plan, &logs);
    let phone = caller.phone.expect_success(Duration::from_secs(60)).await;
    assert_eq!(
        phone.received_requests("BYE").len(),
        1,
        "the engine hung up"
    );
    let sr =
        wait_for_service_request(engine.http_addr, &caller.call_id, Duration::from_secs(10)).await;
    assert_field(&sr, "call.end_reason", "media_timeout");
    engine.shutdown().await;
    keep_logs_if_asked(data);
}
