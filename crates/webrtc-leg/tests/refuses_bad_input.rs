//! Remote input never panics the leg: offers it cannot take are refused with the reason (and
//! the leg can still take a good one), and datagrams that are garbage, forged or from a
//! stranger are refused or dropped while the call goes on.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{Browser, Call, tone_frames};
use media::Codec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use str0m::format::Codec as RtcCodec;
use tokio::net::UdpSocket;
use webrtc_leg::{Error, RefusedMedia, WebRtcLeg};

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn a_browser_offer(video: bool, channel: bool, g711: &[RtcCodec]) -> String {
    // A browser with a camera has VP8 in its codec list too.
    let mut browser = Browser::new(Instant::now(), loopback(50_000), g711, video);
    browser.offer_with(video, channel).0
}

#[test]
fn offers_the_leg_cannot_take_are_refused_with_the_reason() {
    let now = Instant::now();
    let mut leg = WebRtcLeg::new(now, loopback(40_000), &Codec::ALL).expect("a leg");
    let both = [RtcCodec::PCMU, RtcCodec::PCMA];

    let video = a_browser_offer(true, false, &both);
    let refused = leg.accept_offer(&video).unwrap_err();
    assert!(matches!(refused, Error::MediaRefused(RefusedMedia::Video)));
    assert_eq!(
        refused.to_string(),
        "video is not supported: the softphone is audio only"
    );

    let channel = a_browser_offer(false, true, &both);
    assert!(matches!(
        leg.accept_offer(&channel),
        Err(Error::MediaRefused(RefusedMedia::DataChannel))
    ));

    let opus_only = a_browser_offer(false, false, &[]);
    assert!(matches!(
        leg.accept_offer(&opus_only),
        Err(Error::NoCommonCodec)
    ));

    let sip_phone = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
                     m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";
    assert!(matches!(
        leg.accept_offer(sip_phone),
        Err(Error::NotDtlsSrtp)
    ));

    for broken in ["", "garbage", "v=0\r\n", "\u{0}\u{1}\u{2}"] {
        assert!(matches!(leg.accept_offer(broken), Err(Error::NoAudio)));
    }
    // Looks like audio to our checks, but no SDP str0m can answer: no ICE, no fingerprint.
    let hollow = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n";
    assert!(matches!(
        leg.accept_offer(hollow),
        Err(Error::InvalidOffer(_) | Error::Negotiation(_))
    ));

    // Every cut of a real offer is refused or answered, never a panic.
    let good = a_browser_offer(false, false, &both);
    for cut in (0..good.len()).step_by(7) {
        let mut probe = WebRtcLeg::new(now, loopback(40_001), &Codec::ALL).expect("a leg");
        let _ = probe.accept_offer(&good[..cut]);
    }

    // Refusals before str0m saw the offer leave the leg as it was: it answers a good offer.
    let answer = leg
        .accept_offer(&good)
        .expect("a browser's audio offer is answered");
    assert!(answer.contains("a=ice-lite"));
    assert!(answer.contains("PCMU/8000") && answer.contains("telephone-event/8000"));
    assert!(!answer.contains("opus"), "no codec but G.711 in the answer");
    assert!(matches!(
        leg.accept_offer(&good),
        Err(Error::AlreadyNegotiated)
    ));
}

#[test]
fn garbage_datagrams_are_refused_not_a_panic() {
    let now = Instant::now();
    let mut leg = WebRtcLeg::new(now, loopback(40_002), &Codec::ALL).expect("a leg");
    assert!(matches!(
        leg.handle_datagram(now, loopback(9), &[]),
        Err(Error::NotWebRtc)
    ));
    assert!(matches!(
        leg.handle_datagram(
            now,
            loopback(9),
            b"INVITE sip:1001@centralino.local SIP/2.0\r\n"
        ),
        Err(Error::NotWebRtc)
    ));
    let mut rng = ChaCha8Rng::seed_from_u64(4733);
    for _ in 0..2_000 {
        let len = rng.random_range(0..1_500);
        let datagram: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let _ = leg.handle_datagram(now, loopback(9), &datagram);
    }
    while leg.poll_output().is_some() {}
}

#[tokio::test]
async fn a_connected_call_survives_forged_and_stray_datagrams() {
    let mut call = Call::new(&[RtcCodec::PCMU], false).await;
    call.connect().await;

    // A stranger on the network sends junk of every shape to the leg's port: random bytes,
    // STUN-, DTLS-, RTP- and RTCP-looking headers with garbage after them.
    let stranger = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let to = call.leg_socket.local_addr().expect("bound");
    let mut rng = ChaCha8Rng::seed_from_u64(3550);
    for first in [0x00, 0x01, 0x16, 0x17, 0x80, 0x81, 0xc8, 0xff] {
        for _ in 0..25 {
            let len = rng.random_range(1..1_200);
            let mut datagram: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            datagram[0] = first;
            stranger
                .send_to(&datagram, to)
                .await
                .expect("loopback send");
        }
    }
    call.run_for(Duration::from_millis(100)).await;

    // The same straight into the core, claiming to come from the browser's own address.
    let browser = call.browser.addr;
    for _ in 0..500 {
        let len = rng.random_range(0..1_200);
        let mut datagram: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        if let Some(first) = datagram.first_mut() {
            *first = 0x80 | (*first & 0x3f);
        }
        let _ = call.leg.handle_datagram(Instant::now(), browser, &datagram);
    }

    // None of it came out as audio or keys, and the call still carries the operator's voice.
    assert!(call.leg_audio().is_empty() && call.leg_keys().is_empty());
    let spoken = tone_frames(Codec::Pcmu, 440.0, 1);
    let mut at = Instant::now();
    for (n, frame) in spoken.iter().take(10).enumerate() {
        call.browser
            .send_audio(Instant::now(), RtcCodec::PCMU, 160 * n as u64, frame);
        at += Duration::from_millis(20);
        call.run_until(at).await;
    }
    call.run_for(Duration::from_millis(200)).await;
    let heard: Vec<Vec<u8>> = call.leg_audio().into_iter().map(|(_, _, p)| p).collect();
    assert_eq!(heard, spoken[..10].to_vec());
    assert!(call.leg.is_connected());
}
