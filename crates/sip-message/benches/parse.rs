//! Micro-benchmarks of the SIP parser and printer on the messages the engine sees most:
//! an INVITE with SDP from a phone, and its 200 OK. `cargo bench -p sip-message`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const INVITE: &[u8] = b"INVITE sip:800123456@127.0.0.1:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:7064;branch=z9hG4bK-524287-1---a2f0a6c5;rport\r\n\
Max-Forwards: 70\r\n\
Contact: <sip:3331234567@127.0.0.1:7064>\r\n\
To: <sip:800123456@127.0.0.1>\r\n\
From: \"Mario Rossi\" <sip:3331234567@127.0.0.1>;tag=b7a1c9\r\n\
Call-ID: 6f0c2a3e-1d4b-4c55-9e2f-7a1b2c3d4e5f\r\n\
CSeq: 1 INVITE\r\n\
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO\r\n\
Supported: replaces, timer\r\n\
User-Agent: Linphone/5.2\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 141\r\n\
\r\n\
v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("sip");
    group.throughput(Throughput::Bytes(INVITE.len() as u64));
    group.bench_function("parse INVITE with SDP", |b| {
        b.iter(|| sip_message::parse(black_box(INVITE)).expect("valid"))
    });
    let message = sip_message::parse(INVITE).expect("valid");
    group.bench_function("print INVITE with SDP", |b| {
        b.iter(|| black_box(&message).to_bytes())
    });
    let sip_message::Message::Request(request) = message else {
        unreachable!("an INVITE is a request")
    };
    group.bench_function("200 OK for INVITE", |b| {
        b.iter(|| sip_message::Response::for_request(black_box(&request), 200, "OK").to_bytes())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
