//! SDP parser and offer/answer on arbitrary bodies: never a panic; whatever parses prints to
//! text that parses again and prints the same; an answer to it is valid SDP.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sdp::SessionDescription;

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = SessionDescription::from_bytes(data) else {
        return;
    };
    let printed = parsed.to_string();
    let reparsed = SessionDescription::parse(&printed).expect("printed SDP parses");
    assert_eq!(reparsed.to_string(), printed, "printing is stable");

    let local = std::net::IpAddr::from([192, 0, 2, 1]);
    if let Ok((answer, agreed)) = sdp::answer(&parsed, local, 30000, &media::Codec::ALL, 1) {
        let answer_text = answer.to_string();
        let answer_parsed = SessionDescription::parse(&answer_text).expect("our answer parses");
        assert_eq!(answer_parsed, answer);
        assert_eq!(answer.media.len(), parsed.media.len());
        let _ = sdp::negotiate_answer(&parsed, &answer);
        assert_ne!(agreed.remote.port(), 0);
    }
});
