//! The story: an operator's browser (a second str0m, offering like Chromium) sends its offer,
//! our leg answers, ICE + DTLS + SRTP complete over real UDP on 127.0.0.1, one second of the
//! operator's voice (a 440 Hz tone) comes out of the leg payload for payload, one second of the
//! caller's voice (a 1 kHz tone) reaches the browser payload for payload, a key pressed on the
//! page comes out as a digit, and hanging up the page closes the leg.

mod common;

use std::time::{Duration, Instant};

use common::{Call, tone_frames};
use media::Codec;
use str0m::format::Codec as RtcCodec;
use webrtc_leg::Output;

const FRAME: Duration = Duration::from_millis(20);

async fn operator_talks_hears_and_presses_a_key(offered: &[RtcCodec], negotiated: &[Codec]) {
    let mut call = Call::new(offered, false).await;
    call.connect().await;
    assert_eq!(call.leg.negotiated_codecs(), negotiated);
    // The browser sends with the first codec of our answer, as Chromium does.
    let expected = negotiated[0];
    let wire_codec = match expected {
        Codec::Pcmu => RtcCodec::PCMU,
        Codec::Pcma => RtcCodec::PCMA,
    };

    // The operator speaks: one second of frames, every 20 ms as a browser's audio track sends.
    let spoken = tone_frames(expected, 440.0, 1);
    let mut at = Instant::now();
    for (n, frame) in spoken.iter().enumerate() {
        call.browser
            .send_audio(Instant::now(), wire_codec, 160 * n as u64, frame);
        at += FRAME;
        call.run_until(at).await;
    }
    call.run_for(Duration::from_millis(200)).await;

    let heard = call.leg_audio();
    let payloads: Vec<Vec<u8>> = heard.iter().map(|(_, _, p)| p.clone()).collect();
    assert_eq!(payloads.len(), spoken.len(), "every frame came out, once");
    assert!(
        payloads == spoken,
        "the payloads came out as the browser sent them, in order"
    );
    assert!(heard.iter().all(|(codec, _, _)| *codec == expected));
    assert!(
        heard.windows(2).all(|w| w[1].1.wrapping_sub(w[0].1) == 160),
        "RTP timestamps advance by one 20 ms frame"
    );

    // The operator presses 5 on the page's keypad (RTCDTMFSender): an RFC 4733 event of
    // 100 ms, its packets sent as the track goes on with (empty) audio.
    let start = Instant::now();
    call.browser
        .press(start, wire_codec, 5, 8000, Duration::from_millis(100));
    for step in 1..=30 {
        let now = start + Duration::from_millis(10 * step);
        call.run_until(now).await;
        call.browser
            .send_audio(now, wire_codec, 8000 + 80 * step, &[]);
    }
    call.run_for(Duration::from_millis(200)).await;
    assert_eq!(call.leg_keys(), "5", "one press, reported once");
    assert_eq!(
        call.leg_audio().len(),
        spoken.len(),
        "a key press is no audio"
    );

    // The caller speaks: the engine hands the leg the caller's RTP payloads. The timestamps
    // start just before 2^32 and wrap, as a caller's may.
    let caller = tone_frames(expected, 1000.0, 1);
    let base = u32::MAX - 160 * 10 + 1;
    let mut at = Instant::now();
    for (n, frame) in caller.iter().enumerate() {
        let timestamp = base.wrapping_add(160 * n as u32);
        call.leg
            .send_audio(Instant::now(), expected, timestamp, frame)
            .expect("the leg sends the caller's audio");
        at += FRAME;
        call.run_until(at).await;
    }
    call.run_for(Duration::from_millis(200)).await;

    let received = &call.browser.audio;
    let payloads: Vec<Vec<u8>> = received.iter().map(|r| r.payload.clone()).collect();
    assert_eq!(
        payloads.len(),
        caller.len(),
        "every frame reached the browser, once"
    );
    assert!(
        payloads == caller,
        "the browser got the caller's payloads, in order"
    );
    assert!(received.iter().all(|r| r.codec == wire_codec));
    assert!(
        received.windows(2).all(|w| w[1].time - w[0].time == 160),
        "media time runs on across the timestamp wrap"
    );

    // The operator hangs up in the page.
    assert!(call.leg.is_connected());
    call.browser.close();
    let give_up = Instant::now() + Duration::from_secs(5);
    while !call.leg_outputs.contains(&Output::Closed) {
        assert!(
            Instant::now() < give_up,
            "the leg saw the hang-up within 5 s"
        );
        call.run_for(Duration::from_millis(20)).await;
    }
    assert!(!call.leg.is_connected());
    assert_eq!(call.leg.poll_timeout(), None, "a closed leg needs no timer");
    assert!(
        call.leg_errors.is_empty(),
        "no datagram refused: {:?}",
        call.leg_errors
    );
    assert_eq!(call.leg.dropped_outputs(), 0);
}

#[tokio::test]
async fn pcmu_both_ways_and_a_key_with_a_browser_that_offers_opus_first() {
    operator_talks_hears_and_presses_a_key(
        &[RtcCodec::PCMU, RtcCodec::PCMA],
        &[Codec::Pcmu, Codec::Pcma],
    )
    .await;
}

#[tokio::test]
async fn pcma_when_the_browser_offers_no_pcmu() {
    operator_talks_hears_and_presses_a_key(&[RtcCodec::PCMA], &[Codec::Pcma]).await;
}

#[test]
fn the_answer_lists_g711_in_the_engines_order_of_preference() {
    let now = Instant::now();
    let mut browser = common::Browser::new(
        now,
        "127.0.0.1:50200".parse().expect("an address"),
        &[RtcCodec::PCMU, RtcCodec::PCMA],
        false,
    );
    let (offer, _) = browser.offer(false);
    let mut leg = webrtc_leg::WebRtcLeg::new(
        now,
        "127.0.0.1:40200".parse().expect("an address"),
        &[Codec::Pcma, Codec::Pcmu],
    )
    .expect("a leg");
    let answer = leg.accept_offer(&offer).expect("answered");
    let m_line = answer
        .lines()
        .find(|l| l.starts_with("m=audio"))
        .expect("audio");
    assert!(
        m_line.ends_with(" 8 0 126"),
        "PCMA, PCMU, telephone-event: {m_line}"
    );
    assert_eq!(leg.negotiated_codecs(), vec![Codec::Pcma, Codec::Pcmu]);
}
