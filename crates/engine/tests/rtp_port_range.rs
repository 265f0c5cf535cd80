//! RTP legs bind the even ports of the configured range only (what a firewall opens), round
//! robin, skipping ports in use; when every port is taken a leg is refused with the reason
//! and counted, and a closed leg's port serves again. Real sockets on 127.0.0.1.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use call_control::events::{LegId, MediaCommand};
use engine::media_driver::MediaManager;
use prompts::PromptLibrary;
use tokio::sync::mpsc;

/// A free block of 8 ports starting at an even number (probed, then released).
fn free_block() -> u16 {
    for _ in 0..200 {
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let start = probe.local_addr().unwrap().port() & !1;
        drop(probe);
        if !(1024..=60_000).contains(&start) {
            continue;
        }
        let free = (start..start + 8).all(|p| std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok());
        if free {
            return start;
        }
    }
    panic!("no free block of 8 UDP ports on 127.0.0.1");
}

#[tokio::test]
async fn legs_use_the_even_ports_of_the_range_and_say_when_it_is_full() {
    let start = free_block();
    // An odd first port is moved to the next even one: 3 ports, start+2, +4, +6.
    let (tx, _events) = mpsc::unbounded_channel();
    let mut media = MediaManager::new(
        "127.0.0.1".parse().unwrap(),
        Arc::new(Mutex::new(PromptLibrary::default())),
        tx,
        1,
    )
    .with_port_range(Some((start + 1, start + 7)));
    let mut ports = Vec::new();
    for leg in 1..=3 {
        ports.push(media.open(LegId(leg)).expect("a port of the range").port());
    }
    assert_eq!(ports, [start + 2, start + 4, start + 6]);
    let full = media.open(LegId(4)).expect_err("the range is used up");
    assert!(full.contains("no free RTP port"), "{full}");
    assert_eq!(media.stats().no_port.load(Ordering::Relaxed), 1);

    // Closing a leg frees its port (its task drops the socket) for the next one.
    media.command(LegId(2), MediaCommand::Close);
    let mut reopened = None;
    for _ in 0..100 {
        if let Ok(addr) = media.open(LegId(5)) {
            reopened = Some(addr.port());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(reopened, Some(start + 4));
}
