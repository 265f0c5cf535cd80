//! A browser's offer and datagrams as the WebRTC leg (`webrtc-leg`, over str0m) receives them
//! before any handshake: our offer checks, str0m's SDP parser and offer/answer, then the same
//! bytes as a datagram (STUN, DTLS, RTP demultiplexing) and a timer.
//!
//! Checks: never a panic; an accepted offer gets an answer that str0m parses back, with one
//! audio m-line carrying G.711 and telephone-event only; without a handshake the leg reports no
//! audio, key or connection.
//!
//! Input: the offer text (lossy UTF-8), which is also the datagram.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use media::Codec;
use webrtc_leg::{Output, WebRtcLeg};

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let local = SocketAddr::from(([192, 0, 2, 10], 40_000));
    let browser = SocketAddr::from(([198, 51, 100, 7], 50_000));
    let mut leg = WebRtcLeg::new(now, local, &Codec::ALL).expect("a leg on a host address");

    let offer = String::from_utf8_lossy(data);
    if let Ok(answer) = leg.accept_offer(&offer) {
        str0m::change::SdpAnswer::from_sdp_string(&answer).expect("our answer parses back");
        // m=<media> <port> ...: port 0 is a rejected m-line.
        let active: Vec<&str> = answer
            .lines()
            .filter_map(|l| l.strip_prefix("m="))
            .filter(|m| m.split(' ').nth(1) != Some("0"))
            .collect();
        assert!(
            active.len() == 1 && active[0].starts_with("audio "),
            "one active m-line, audio: {answer}"
        );
        for rtpmap in answer.lines().filter_map(|l| l.strip_prefix("a=rtpmap:")) {
            let name = rtpmap.split(' ').nth(1).unwrap_or("");
            assert!(
                ["PCMU/8000", "PCMA/8000", "telephone-event/8000"].contains(&name),
                "only G.711 and telephone-event in the answer: {rtpmap}"
            );
        }
    }
    let _ = leg.handle_datagram(now, browser, data);
    let _ = leg.handle_timeout(now + Duration::from_secs(1));
    while let Some(output) = leg.poll_output() {
        assert!(
            matches!(output, Output::Transmit { .. } | Output::Closed),
            "no handshake, yet {output:?}"
        );
    }
});
