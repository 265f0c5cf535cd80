//! Story: operator 1001 has no SIP phone, only her browser. In headless Chromium (its fake
//! microphone plays a 440 Hz tone) she logs in on the desk, turns the softphone on (the page's
//! WebRTC offer goes through the CRM to the engine, whose WebRTC leg answers; ICE and DTLS-SRTP
//! come up on 127.0.0.1) and goes ready. A citizen calls and picks "1 Personnel services",
//! "1 Administrative information": the page rings, she clicks Answer. The caller's recording
//! reaches the page (WebRTC statistics of the remote audio), and her tone reaches the caller
//! (the caller's RTP carries G.711 that decodes to a 440 Hz tone, from the engine's softphone
//! leg). She presses 5 on the page's keypad: the caller receives it as RFC 4733 events. She
//! clicks Hang up: the caller gets the BYE; the desk's events show the call
//! connected and ended, and the SR records it answered by 1001. After her wrap-up a second
//! caller is answered the same way and hangs up himself: the call ends on the page too.
//!
//! Real peers: SIPp as the caller, Chromium (Debian) driven by playwright-core
//! (`tests/browser/softphone.mjs`). Run: `cargo test --test softphone_page` (about 60 s; needs
//! `sipp`, `chromium` and `tests/browser/node_modules`: `scripts/test-deps.sh`).

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use media::Codec;

/// The fake microphone's tone.
const TONE_HZ: f64 = 440.0;

/// Writes a WAV of `seconds` of a `TONE_HZ` sine at 48 kHz, mono, 16 bits, half scale.
fn write_tone(path: &Path, seconds: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = hound::WavWriter::create(path, spec).expect("create the tone");
    for n in 0..48_000 * seconds {
        let t = f64::from(n) / 48_000.0;
        let sample =
            (f64::from(i16::MAX) * 0.5 * (2.0 * std::f64::consts::PI * TONE_HZ * t).sin()) as i16;
        wav.write_sample(sample).expect("write a sample");
    }
    wav.finalize().expect("finish the tone");
}

/// The audio the caller received from another source than the engine's prompts (the first
/// packet's SSRC): decoded to samples, packet by packet.
fn audio_not_from_prompts(packets: &[RtpPacket]) -> Vec<Vec<i16>> {
    let Some(prompts) = packets.first().map(|p| p.ssrc) else {
        return Vec::new();
    };
    packets
        .iter()
        .filter(|p| p.ssrc != prompts)
        .filter_map(|p| Codec::from_payload_type(p.payload_type).map(|c| c.decode(&p.payload)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_answers_in_the_browser_and_both_hear_each_other() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let ivr = IvrTiming::from_prompts();
    let tone = data.path().join("tone.wav");
    write_tone(&tone, 3);

    let desk = DeskWatcher::open(engine.http_addr, ("1001", "demo1001"));
    let mut page = PageScript::start(
        "softphone.mjs",
        engine.http_addr,
        ("1001", "demo1001"),
        &[
            ("FAKE_AUDIO", tone.to_str().expect("a UTF-8 path")),
            ("MIN_PACKETS", "100"),
        ],
    );
    page.step("ready", Duration::from_secs(60)).await;

    let plan = CallPlan::talks_until_bye(
        ['1', '1'],
        ivr.first_key(),
        ivr.submenu_key(),
        ivr.please_hold + Duration::from_secs(2),
    );
    let caller = Caller::dial(engine.sip_addr, "caller", &plan, &logs);
    let ringing = page.step("ringing", Duration::from_secs(120)).await;
    let answered = page.step("answered", Duration::from_secs(30)).await;
    let heard = page.step("heard", Duration::from_secs(90)).await;
    let done = page.step("done", Duration::from_secs(30)).await;
    page.step("ready-again", Duration::from_secs(30)).await;

    // A second caller, who hangs up himself after talking: the call ends on the page too.
    let plan = CallPlan::hangs_up_after(
        &['1', '1'],
        ivr.first_key(),
        ivr.submenu_key(),
        ivr.please_hold + Duration::from_secs(2),
        Duration::from_secs(6),
    );
    let second = Caller::dial(engine.sip_addr, "caller2", &plan, &logs);
    let hung_up = page.step("caller-hung-up", Duration::from_secs(120)).await;
    page.finish(Duration::from_secs(20)).await;
    let second_phone = second.phone.expect_success(SIPP_TIMEOUT).await;
    assert!(
        second_phone.received_requests("BYE").is_empty(),
        "the caller hung up, not the engine"
    );

    // The page hung up: the caller got the engine's BYE and answered it.
    let caller_phone = caller.phone.expect_success(SIPP_TIMEOUT).await;
    assert_eq!(caller_phone.received_requests("BYE").len(), 1);
    let heard_by_caller = caller.ear.stop();

    // The page heard the caller: packets and energy.
    assert!(
        heard["packetsReceived"].as_u64().is_some_and(|n| n >= 100),
        "{heard:#}"
    );
    assert!(
        heard["totalAudioEnergy"].as_f64().is_some_and(|e| e > 0.0),
        "the caller's audio in the page is not silence: {heard:#}"
    );

    // The caller heard the operator's microphone: G.711 from the softphone leg, a 440 Hz
    // tone (about 880 zero crossings a second), well above silence (the browser's audio
    // processing lowers a steady tone's level: an RMS about 1,200 of 32,767 arrives).
    assert_heard_prompt_first(&heard_by_caller, "welcome");
    let from_browser = audio_not_from_prompts(&heard_by_caller);
    assert!(
        from_browser.len() >= 50,
        "the caller received {} packets from the softphone; {}",
        from_browser.len(),
        describe_audio(&heard_by_caller)
    );
    let samples: Vec<i16> = from_browser.concat();
    if std::env::var_os("SOFTPHONE_DEBUG").is_some() {
        for p in &from_browser {
            eprintln!("rms {:.0} crossings {}", rms(p), zero_crossings(p));
        }
    }
    let loud: Vec<&[i16]> = from_browser
        .iter()
        .map(Vec::as_slice)
        .filter(|p| rms(p) > 500.0)
        .collect();
    assert!(
        loud.len() >= 50,
        "the softphone's audio at the caller is silent: {} of {} packets loud, rms {:.0}",
        loud.len(),
        from_browser.len(),
        rms(&samples)
    );
    let crossings: usize = loud.iter().map(|p| zero_crossings(p)).sum();
    let per_second = crossings as f64 / (loud.len() as f64 * 0.02);
    assert!(
        (700.0..1060.0).contains(&per_second),
        "the caller hears the 440 Hz tone: {per_second:.0} zero crossings a second"
    );

    // The key 5 pressed on the page reached the caller as RFC 4733 events (payload type 101,
    // as the caller offered), from the softphone's stream, with an end.
    let prompts_ssrc = heard_by_caller.first().map(|p| p.ssrc);
    let key_events: Vec<&RtpPacket> = heard_by_caller
        .iter()
        .filter(|p| Some(p.ssrc) != prompts_ssrc && p.payload_type == 101)
        .collect();
    assert!(
        key_events.iter().any(|p| p.payload.first() == Some(&5))
            && key_events.iter().any(|p| p.payload.first() == Some(&5)
                && p.payload.get(1).is_some_and(|f| f & 0x80 != 0)),
        "the caller received the key 5 with its end: {} telephone-event packets",
        key_events.len()
    );
    assert!(
        key_events.iter().all(|p| p.payload.first() == Some(&5)),
        "only the key pressed"
    );

    // The desk's events: offered, connected, ended; the SR: answered by 1001.
    let sr =
        wait_for_service_request(engine.http_addr, &caller.call_id, Duration::from_secs(10)).await;
    let call_id = field(&sr, "call_id").expect("the engine's call ID");
    assert_eq!(ringing["sr"].as_str(), field(&sr, "number").as_deref());
    assert_eq!(answered["sr"], ringing["sr"]);
    desk.wait_for("offered", &call_id, Duration::from_secs(10))
        .await;
    desk.wait_for("connected", &call_id, Duration::from_secs(10))
        .await;
    let ended = desk
        .wait_for("ended", &call_id, Duration::from_secs(10))
        .await;
    assert!(
        done["phase"]
            .as_str()
            .is_some_and(|p| p.starts_with("ended"))
    );
    let sr = ended["service_request"].clone();
    assert_outcome(&sr, "answered");
    assert_eq!(answering_agent(&sr).as_deref(), Some("1001"), "{sr:#}");
    assert_eq!(
        field(&sr, "call.end_reason").as_deref(),
        Some("operator_hung_up"),
        "{sr:#}"
    );

    // The second call: answered on the page, ended by the caller.
    let sr2 =
        wait_for_service_request(engine.http_addr, &second.call_id, Duration::from_secs(10)).await;
    assert_eq!(hung_up["sr"].as_str(), field(&sr2, "number").as_deref());
    let call2 = field(&sr2, "call_id").expect("the engine's call ID");
    let ended = desk
        .wait_for("ended", &call2, Duration::from_secs(10))
        .await;
    let sr2 = ended["service_request"].clone();
    assert_outcome(&sr2, "answered");
    assert_eq!(answering_agent(&sr2).as_deref(), Some("1001"), "{sr2:#}");
    assert_eq!(
        field(&sr2, "call.end_reason").as_deref(),
        Some("caller_hung_up"),
        "{sr2:#}"
    );

    engine.shutdown().await;
    keep_logs_if_asked(data);
}

fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / samples.len() as f64).sqrt()
}

fn zero_crossings(samples: &[i16]) -> usize {
    samples
        .windows(2)
        .filter(|w| (w[0] < 0) != (w[1] < 0))
        .count()
}
