//! An operator's browser that vanishes without hanging up (tab killed, laptop lid shut,
//! network gone) stops answering ICE consent: the leg says so once and leaves the decision to
//! end the call to the engine; a short outage is no news. Simulated time: the ICE timeout is
//! seconds long.

mod common;

use std::time::Duration;

use common::{SimulatedCall, tone_frames};
use media::Codec;
use str0m::format::Codec as RtcCodec;
use webrtc_leg::Output;

#[test]
fn a_vanished_browser_is_reported_disconnected_once_and_the_leg_stays_open() {
    let mut call = SimulatedCall::new(&[RtcCodec::PCMU]);
    call.connect();
    assert_eq!(call.leg_outputs, vec![Output::Connected]);

    call.link_up = false;
    call.run_for(Duration::from_secs(120));
    assert_eq!(
        call.leg_outputs,
        vec![Output::Connected, Output::Disconnected],
        "reported once, and the leg does not close by itself"
    );
    assert!(!call.leg.is_connected());
    assert!(call.leg.poll_timeout().is_some(), "the leg is still open");
}

#[test]
fn a_short_outage_is_no_news_and_audio_flows_after_it() {
    let mut call = SimulatedCall::new(&[RtcCodec::PCMU]);
    call.connect();

    call.link_up = false;
    call.run_for(Duration::from_secs(3));
    call.link_up = true;
    let frames = tone_frames(Codec::Pcmu, 440.0, 1);
    for (n, frame) in frames.iter().enumerate() {
        let now = call.now;
        call.browser
            .send_audio(now, RtcCodec::PCMU, 160 * n as u64, frame);
        call.run_for(Duration::from_millis(20));
    }
    call.run_for(Duration::from_millis(200));

    assert!(call.leg.is_connected());
    let heard: Vec<&[u8]> = call
        .leg_outputs
        .iter()
        .filter_map(|o| match o {
            Output::Audio { payload, .. } => Some(&payload[..]),
            Output::Connected => None,
            other => panic!("nothing but audio after connecting: {other:?}"),
        })
        .collect();
    assert_eq!(heard, frames.iter().map(Vec::as_slice).collect::<Vec<_>>());
}
