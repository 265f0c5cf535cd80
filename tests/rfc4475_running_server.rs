//! Story: the 49 SIP torture messages of RFC 4475, byte for byte, sent over UDP to a running
//! centralino; afterwards it still answers OPTIONS and takes a call.
//!
//! The messages name foreign hosts (192.0.2.x, example.com) in Via, Contact and Route. To be
//! sure nothing leaves the machine, the test re-runs itself inside a network namespace of its
//! own with only loopback up (`unshare --net`, needs root), where the server and the sender
//! live; a reply addressed elsewhere fails there with "network unreachable".
//! The exact response to each message is asserted in-process by
//! `crates/engine/tests/call_control.rs`; this story proves the running server and its
//! socket loop survive them.
//!
//! Run: `cargo test --test rfc4475_running_server` (a few seconds; root, `unshare`, `ip`).

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::repo_root;

const CHILD: &str = "CENTRALINO_RFC4475_NETNS_CHILD";
const TEST: &str = "torture_messages_do_not_stop_the_running_server";

#[test]
fn torture_messages_do_not_stop_the_running_server() {
    if std::env::var_os(CHILD).is_some() {
        inside_the_namespace();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let output = Command::new("unshare")
        .args([
            "--net",
            "--",
            "sh",
            "-c",
            "ip link set lo up && exec \"$0\" \"$@\"",
        ])
        .arg(&exe)
        .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .expect("`unshare` (util-linux) runs; this test needs root to make a network namespace");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the run inside the network namespace failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // libtest prints "test NAME ... " before the child's own line.
    let summary = stdout
        .lines()
        .find_map(|l| l.find("torture: 49 messages sent").map(|at| &l[at..]))
        .unwrap_or_else(|| panic!("the child ran the story:\n{stdout}"));
    println!("{summary}");
}

fn inside_the_namespace() {
    // Only loopback exists here: check it, so the story never runs with a real network.
    let routes = Command::new("ip").args(["-o", "link"]).output().unwrap();
    let links = String::from_utf8_lossy(&routes.stdout);
    assert_eq!(
        links.lines().count(),
        1,
        "only the loopback link may exist in the namespace: {links}"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let data = tempfile::tempdir().unwrap();
        let config = centralino::Config::demo_for_tests(&repo_root(), data.path());
        let running = centralino::start(config).await.expect("centralino starts");
        let server = running.sip_addr;

        // Most vectors' Via says port 5060 (or none): replies to them come here.
        let phone = UdpSocket::bind("127.0.0.1:5060").unwrap();
        phone.set_read_timeout(Some(Duration::from_millis(200))).unwrap();

        let dir = repo_root().join("test-vectors/rfc4475");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "dat"))
            .collect();
        files.sort();
        assert_eq!(files.len(), 49, "all 49 RFC 4475 messages");
        let mut replies = 0;
        for file in &files {
            send_file(&phone, server, file);
            replies += drain(&phone);
        }
        println!("torture: {} messages sent, {replies} replies reached 127.0.0.1:5060", files.len());
        assert!(replies > 0, "the bad requests with a usable Via got answers");

        // Still serving: OPTIONS answered.
        let options = format!(
            "OPTIONS sip:{server} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-after-torture;rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=probe\r\nTo: <sip:{server}>\r\n\
             Call-ID: after-torture\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        phone.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut answer = None;
        for _ in 0..3 {
            phone.send_to(options.as_bytes(), server).unwrap();
            let mut buf = [0u8; 4096];
            while let Ok((n, _)) = phone.recv_from(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]).to_string();
                if text.contains("Call-ID: after-torture") {
                    answer = Some(text);
                    break;
                }
            }
            if answer.is_some() {
                break;
            }
        }
        let answer = answer.expect("centralino answers OPTIONS after the torture messages");
        assert!(answer.starts_with("SIP/2.0 200"), "{answer}");

        running.shutdown().await;
    });
}

fn send_file(socket: &UdpSocket, server: SocketAddr, file: &Path) {
    let bytes = std::fs::read(file).unwrap();
    socket.send_to(&bytes, server).unwrap();
}

/// Count the replies that arrive within the read timeout.
fn drain(socket: &UdpSocket) -> usize {
    let mut buf = [0u8; 65_535];
    let mut n = 0;
    while socket.recv_from(&mut buf).is_ok() {
        n += 1;
    }
    n
}
