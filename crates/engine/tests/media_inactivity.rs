//! The media driver notices a phone that stopped sending RTP: a configured leg reports
//! `MediaEvent::Inactive` once after the configured silence, not while packets flow, and
//! again only after packets resumed and stopped once more. Real sockets on 127.0.0.1.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use call_control::events::{LegId, MediaCommand, MediaEvent};
use engine::media_driver::MediaManager;
use media::Codec;
use prompts::PromptLibrary;
use tokio::sync::mpsc;

const TIMEOUT: Duration = Duration::from_millis(800);

/// A minimal PCMU RTP packet.
fn rtp(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78];
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&[0xff; 160]);
    p
}

/// Sends RTP to `to` every 20 ms for `during`, numbering from `seq`.
async fn talk(
    phone: &tokio::net::UdpSocket,
    to: std::net::SocketAddr,
    seq: &mut u16,
    during: Duration,
) {
    let end = tokio::time::Instant::now() + during;
    while tokio::time::Instant::now() < end {
        phone.send_to(&rtp(*seq), to).await.unwrap();
        *seq = seq.wrapping_add(1);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn inactive_events(events: &mut mpsc::UnboundedReceiver<(LegId, MediaEvent)>) -> usize {
    let mut n = 0;
    while let Ok((_, e)) = events.try_recv() {
        if e == MediaEvent::Inactive {
            n += 1;
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_phone_is_reported_once_per_silence() {
    let (tx, mut events) = mpsc::unbounded_channel();
    let mut media = MediaManager::new(
        "127.0.0.1".parse().unwrap(),
        Arc::new(Mutex::new(PromptLibrary::default())),
        tx,
        7,
    )
    .with_rtp_timeout(Some(TIMEOUT));
    let leg = LegId(1);
    let local = media.open(leg).unwrap();
    let phone = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    media.command(
        leg,
        MediaCommand::Configure {
            remote: phone.local_addr().unwrap(),
            codec: Codec::Pcmu,
            payload_type: 0,
            telephone_event_pt: Some(101),
            symmetric: false,
        },
    );

    // Talking for three timeouts: nothing to report.
    let mut seq = 1;
    talk(&phone, local, &mut seq, TIMEOUT * 3).await;
    assert_eq!(inactive_events(&mut events), 0, "packets flowed all along");

    // Silence: reported once, however long it lasts.
    let first = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("reported within 10 s")
        .expect("the channel is open");
    assert_eq!(first, (leg, MediaEvent::Inactive));
    tokio::time::sleep(TIMEOUT * 2).await;
    assert_eq!(inactive_events(&mut events), 0, "once per silence");

    // It talks again, then falls silent again: a new report.
    talk(&phone, local, &mut seq, TIMEOUT / 2).await;
    let again = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("reported again")
        .expect("the channel is open");
    assert_eq!(again, (leg, MediaEvent::Inactive));
    media.command(leg, MediaCommand::Close);
}
