//! The media driver's softphone legs: an offer with video or garbage is refused with the
//! reason and leaves no leg behind; a session whose browser never connects is closed and
//! reported `Closed` (the core then frees it). The browser is a str0m instance making a real
//! offer; sockets on 127.0.0.1.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use call_control::events::{LegId, MediaEvent};
use engine::media_driver::MediaManager;
use prompts::PromptLibrary;
use str0m::media::{Direction, MediaKind};
use str0m::{Candidate, RtcConfig};
use tokio::sync::mpsc;

/// A browser's offer: audio (PCMU), and a camera if `video`.
fn offer(video: bool) -> String {
    let mut config = RtcConfig::new().clear_codecs().enable_pcmu(true, false);
    if video {
        config = config.enable_vp8(true);
    }
    let mut rtc = config.build(Instant::now());
    rtc.add_local_candidate(
        Candidate::host("127.0.0.1:9".parse().unwrap(), "udp").expect("a host candidate"),
    );
    let mut change = rtc.sdp_api();
    change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
    if video {
        change.add_media(MediaKind::Video, Direction::SendRecv, None, None, None);
    }
    let (offer, _pending) = change.apply().expect("a change");
    offer.to_sdp_string()
}

fn manager(events: mpsc::UnboundedSender<(LegId, MediaEvent)>) -> MediaManager {
    MediaManager::new(
        "127.0.0.1".parse().unwrap(),
        Arc::new(Mutex::new(PromptLibrary::default())),
        events,
        7,
    )
    .with_softphone_connect_timeout(Duration::from_millis(300))
}

#[tokio::test(flavor = "multi_thread")]
async fn offers_the_softphone_cannot_take_are_refused_with_the_reason() {
    let (tx, _events) = mpsc::unbounded_channel();
    let mut media = manager(tx);
    let refused = media
        .open_webrtc(LegId(1), &offer(true))
        .expect_err("video is refused");
    assert!(refused.contains("video"), "{refused}");
    let refused = media
        .open_webrtc(LegId(2), "v=0\r\nnot sdp at all")
        .expect_err("garbage is refused");
    assert!(!refused.is_empty());
    assert_eq!(media.open_legs(), 0, "nothing left open");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_that_never_connects_is_closed_and_reported() {
    let (tx, mut events) = mpsc::unbounded_channel();
    let mut media = manager(tx);
    let answer = media
        .open_webrtc(LegId(7), &offer(false))
        .expect("an audio offer is answered");
    assert!(answer.contains("PCMU/8000"), "{answer}");
    assert!(answer.contains("a=ice-lite"), "{answer}");
    assert!(!answer.contains("opus"), "{answer}");
    assert_eq!(media.open_legs(), 1);
    // The browser (whose candidate is a dead port) never connects.
    let event = tokio::time::timeout(Duration::from_secs(20), events.recv())
        .await
        .expect("the session is given up")
        .expect("an event");
    assert_eq!(event, (LegId(7), MediaEvent::Closed));
}
