//! Story: media goes only where it is proven, and comes only from where it should.
//!
//! 1. A caller answered but never ACKing gets no audio at all (the address in its SDP is
//!    not proven: it could be anyone's), and its call ends with a record.
//! 2. A stranger on another host who learns a caller's RTP port cannot press keys in that
//!    caller's IVR: its RFC 4733 packets are dropped, while the caller's own keys work.
//!
//! The caller is played by hand over UDP (SIPp cannot be told to withhold its ACK).
//!
//! Run: `cargo test --test media_security` (about a minute).

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::*;
use media::dtmf::DtmfSender;
use media::rtp::RtpSender;
use rand::SeedableRng;

/// The parts of the engine's answer a caller needs.
struct Answer {
    to: String,
    rtp_port: u16,
    call_id: String,
}

fn invite(engine: SocketAddr, sip: &UdpSocket, call_id: &str, ear_port: u16) {
    let local = sip.local_addr().unwrap();
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {ear_port} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    );
    let text = format!(
        "INVITE sip:{TOLL_FREE}@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-{call_id};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:{CALLER_NUMBER}@127.0.0.1>;tag=t-{call_id}\r\nTo: <sip:{TOLL_FREE}@{engine}>\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:{CALLER_NUMBER}@{local}>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    sip.send_to(text.as_bytes(), engine).unwrap();
}

/// Reads the engine's responses until the 200 OK and returns what the ACK and RTP need.
fn await_answer(sip: &UdpSocket) -> Answer {
    sip.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, _) = sip.recv_from(&mut buf).expect("an answer from the engine");
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        if !text.starts_with("SIP/2.0 200") {
            continue;
        }
        let header = |name: &str| {
            text.lines()
                .find(|l| {
                    l.to_ascii_lowercase()
                        .starts_with(&format!("{}:", name.to_ascii_lowercase()))
                })
                .map(|l| l.split_once(':').unwrap().1.trim().to_owned())
                .unwrap_or_default()
        };
        let rtp_port = text
            .lines()
            .find_map(|l| l.strip_prefix("m=audio "))
            .and_then(|rest| rest.split(' ').next())
            .and_then(|p| p.parse().ok())
            .expect("an SDP answer with an audio port");
        return Answer {
            to: header("To"),
            rtp_port,
            call_id: header("Call-ID"),
        };
    }
}

fn in_dialog(engine: SocketAddr, sip: &UdpSocket, method: &str, answer: &Answer, cseq: u32) {
    let local = sip.local_addr().unwrap();
    let text = format!(
        "{method} sip:{TOLL_FREE}@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-{method}-{}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:{CALLER_NUMBER}@127.0.0.1>;tag=t-{}\r\nTo: {}\r\n\
         Call-ID: {}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n",
        answer.call_id, answer.call_id, answer.to, answer.call_id
    );
    sip.send_to(text.as_bytes(), engine).unwrap();
}

/// Presses `key` as RFC 4733 packets from `socket` to the engine's RTP port.
async fn press(socket: &UdpSocket, to: SocketAddr, rtp: &mut RtpSender, key: char) {
    let start = Instant::now();
    for p in DtmfSender::new(101)
        .packets(rtp, key, Duration::from_millis(160))
        .unwrap()
    {
        let due = start + p.offset;
        tokio::time::sleep(due.saturating_duration_since(Instant::now())).await;
        socket.send_to(&p.packet, to).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unacknowledged_answer_gets_no_audio() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let ear = RtpSink::bind();
    let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
    invite(engine.sip_addr, &sip, "no-ack-story", ear.port());
    let answer = await_answer(&sip);
    // No ACK. Wait as long as the welcome prompt takes, and more.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(
        ear.snapshot().is_empty(),
        "the engine sent audio to an address no ACK ever proved"
    );
    // The engine gives up at Timer H (32 s) and the call still has its record.
    let sr =
        wait_for_service_request(engine.http_addr, &answer.call_id, Duration::from_secs(45)).await;
    assert_outcome(&sr, "failed");
    assert_field(&sr, "call.end_reason", "no_ack");
    assert!(ear.stop().is_empty());
    engine.shutdown().await;
    keep_logs_if_asked(data);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stranger_cannot_press_keys_in_someone_elses_ivr() {
    let _serial = one_story_at_a_time().await;
    let (engine, data) = start_demo(|_| {}).await;
    let ear = RtpSink::bind();
    let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
    invite(engine.sip_addr, &sip, "stranger-story", ear.port());
    let answer = await_answer(&sip);
    in_dialog(engine.sip_addr, &sip, "ACK", &answer, 1);
    let rtp_to: SocketAddr = format!("127.0.0.1:{}", answer.rtp_port).parse().unwrap();
    assert!(
        ear.wait_for_prompt(&prompt("main_menu"), Duration::from_secs(30))
            .await,
        "the caller hears the menu: {}",
        describe_audio(&ear.snapshot())
    );

    // Another host (127.0.0.2) sends a perfect key press "2" (technology) to the caller's port.
    let stranger = UdpSocket::bind("127.0.0.2:0").expect("loopback has all of 127/8");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(66);
    let mut forged = RtpSender::new(&mut rng);
    press(&stranger, rtp_to, &mut forged, '2').await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    // The caller presses "1" (personnel) from its own host.
    let own = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut real = RtpSender::new(&mut rng);
    press(&own, rtp_to, &mut real, '1').await;
    assert!(
        ear.wait_for_prompt(&prompt("personnel_menu"), Duration::from_secs(15))
            .await,
        "the caller's own key works: {}",
        describe_audio(&ear.snapshot())
    );
    let heard = ear.snapshot();
    assert!(
        find_prompt(
            &payload_stream(&heard, 0),
            &prompt("please_hold"),
            PROMPT_FRAMES
        )
        .is_none(),
        "the stranger's key was never taken: the caller was not queued for technology"
    );
    in_dialog(engine.sip_addr, &sip, "BYE", &answer, 2);
    let sr =
        wait_for_service_request(engine.http_addr, &answer.call_id, Duration::from_secs(15)).await;
    assert_field(&sr, "service_area", "personnel");
    drop(ear);
    engine.shutdown().await;
    keep_logs_if_asked(data);
}
