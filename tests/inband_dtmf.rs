//! Story: a caller whose phone offers no `telephone-event` (an old line behind a gateway)
//! presses 2 at the main menu as two tones in the audio; the IVR hears it, the caller waits in
//! the technology queue, and the SR shows the choice. Real peer: SIPp
//! (`caller_inband_digit.xml`) playing a PCMU recording of the tones. Also: real speech (the
//! Debian sip-tester recording) is never taken for a key.
//!
//! Run: `cargo test --test inband_dtmf` (about 15 s; needs `sipp`).

mod common;

use std::time::Duration;

use common::*;
use media::Codec;
use media::inband::InbandDtmf;

#[tokio::test(flavor = "multi_thread")]
async fn a_key_pressed_as_tones_in_the_audio_reaches_the_ivr() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let logs = log_dir(&data);
    let key_pcap = data.path().join("inband_2.pcap");
    write_rtp_pcap(&key_pcap, Codec::Pcmu, &inband_key_samples('2', 120));
    let ivr = IvrTiming::from_prompts();
    let ear = RtpSink::bind();
    let call_id = unique_call_id("inband");
    SippCommand::new("inband-caller", scenario("caller_inband_digit.xml"), &logs)
        .remote(engine.sip_addr)
        .service(TOLL_FREE)
        .call_id(&call_id)
        .key("caller", CALLER_NUMBER)
        .key("sink_port", ear.port())
        .key("pre_digits_ms", ms(ivr.first_key()))
        .key("digit1_pcap", key_pcap.display())
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

/// Talk-off: the detector hears no key in a real recorded voice (Debian sip-tester's
/// g711a.pcap, the speech the stories play), fed packet by packet as the engine feeds it; and
/// it does hear the key the story's recording holds.
#[test]
fn real_speech_is_never_taken_for_a_key() {
    let speech = pcap_rtp_payloads(&speech_pcap());
    assert!(speech.len() > 100, "the speech recording holds RTP");
    let mut detector = InbandDtmf::new();
    let mut keys = String::new();
    for (pt, payload) in &speech {
        let law = Codec::from_payload_type(*pt).expect("G.711");
        keys.extend(detector.push(&law.decode(payload)));
    }
    assert_eq!(keys, "", "keys heard in speech");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.pcap");
    write_rtp_pcap(&path, Codec::Pcmu, &inband_key_samples('#', 60));
    let mut detector = InbandDtmf::new();
    let heard: String = pcap_rtp_payloads(&path)
        .iter()
        .flat_map(|(pt, payload)| {
            assert_eq!(*pt, 0);
            detector.push(&Codec::Pcmu.decode(payload))
        })
        .collect();
    assert_eq!(heard, "#");
}
