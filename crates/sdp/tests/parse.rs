//! The parser accepts what real peers send, and refuses malformed structure with the line at
//! fault.

use sdp::{Attribute, Direction, ParseError, SdpError, SessionDescription};

/// The SDP body of RFC 4475's sdp01 torture test.
fn sdp01_body() -> &'static str {
    let message = include_str!("vectors/sdp01.dat");
    message
        .split_once("\r\n\r\n")
        .expect("the message has a header/body separator")
        .1
}

#[test]
fn rfc4475_sdp01_body_parses() {
    let sdp = SessionDescription::parse(sdp01_body()).unwrap();
    assert_eq!(sdp.origin.username, "mhandley");
    assert_eq!(sdp.origin.session_id, "29739");
    assert_eq!(sdp.origin.session_version, "7272939");
    assert_eq!(sdp.session_name, "-");
    assert_eq!(sdp.connection.as_ref().unwrap().address, "192.0.2.5");
    assert_eq!(sdp.media.len(), 2);
    let audio = &sdp.media[0];
    assert_eq!(
        (audio.media.as_str(), audio.port, audio.protocol.as_str()),
        ("audio", 49217, "RTP/AVP")
    );
    assert_eq!(audio.formats, ["0", "12"]);
    let video = &sdp.media[1];
    assert_eq!(video.formats, ["31"]);
    assert_eq!(video.attributes, [Attribute::value("rtpmap", "31 LPC")]);
    // The rtpmap without a clock rate is tolerated as an attribute and ignored as a mapping.
    assert_eq!(video.rtpmap(31), None);
    // Printing normalises to CRLF and reparses to the same description.
    assert_eq!(SessionDescription::parse(&sdp.to_string()).unwrap(), sdp);
    assert_eq!(sdp.to_string(), sdp01_body());
}

#[test]
fn lf_line_ends_and_trailing_blank_lines() {
    let crlf =
        "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=call\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n\r\n";
    let lf = crlf.replace("\r\n", "\n");
    assert_eq!(
        SessionDescription::parse(crlf).unwrap(),
        SessionDescription::parse(&lf).unwrap()
    );
}

#[test]
fn session_and_media_attributes_and_other_lines() {
    let text = "v=0\r\no=- 1 2 IN IP6 2001:db8::1\r\ns=A session\r\ni=info\r\nu=http://example.com\r\n\
        e=a@example.com\r\nc=IN IP6 2001:db8::1\r\nb=AS:64\r\nt=0 0\r\nr=604800 3600 0 90000\r\n\
        a=sendonly\r\na=tool:x:y\r\nm=audio 4000/2 RTP/AVP 0 8\r\ni=voice\r\nc=IN IP4 192.0.2.1/127\r\n\
        b=TIAS:64000\r\na=rtpmap:0 PCMU/8000\r\na=recvonly\r\n";
    let sdp = SessionDescription::parse(text).unwrap();
    assert_eq!(sdp.session_name, "A session");
    assert_eq!(sdp.other.len(), 5);
    assert_eq!(sdp.attributes[1], Attribute::value("tool", "x:y"));
    let audio = &sdp.media[0];
    assert_eq!(audio.port_count, Some(2));
    assert_eq!(
        audio.connection.as_ref().unwrap().ip_addr(),
        Some("192.0.2.1".parse().unwrap())
    );
    assert_eq!(
        sdp.connection.as_ref().unwrap().ip_addr(),
        Some("2001:db8::1".parse().unwrap())
    );
    assert_eq!(audio.direction(), Some(Direction::RecvOnly));
    assert_eq!(sdp.direction_of(audio), Direction::RecvOnly);
    assert_eq!(audio.rtpmap(0).unwrap().encoding, "PCMU");
    assert_eq!(SessionDescription::parse(&sdp.to_string()).unwrap(), sdp);
    assert_eq!(sdp.to_string(), text);
}

fn parse_error(text: &str) -> (usize, ParseError) {
    match SessionDescription::parse(text) {
        Err(SdpError::Parse { line, error }) => (line, error),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn structural_errors_name_the_line() {
    const HEAD: &str = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\n";
    assert_eq!(parse_error(""), (0, ParseError::MissingLine('v')));
    assert_eq!(
        parse_error("o=- 1 1 IN IP4 10.0.0.1\n"),
        (1, ParseError::MissingLine('v'))
    );
    assert_eq!(parse_error("v=1\n"), (1, ParseError::UnsupportedVersion));
    assert_eq!(parse_error("v=0\ns=-\n"), (2, ParseError::MissingLine('o')));
    assert_eq!(
        parse_error("v=0\no=- 1 IN IP4 10.0.0.1\n"),
        (2, ParseError::InvalidOrigin)
    );
    assert_eq!(
        parse_error("v=0\no=- 1 1 IN IP4 10.0.0.1\n"),
        (0, ParseError::MissingLine('s'))
    );
    assert_eq!(parse_error(HEAD), (4, ParseError::MissingLine('t')));
    assert_eq!(
        parse_error(&format!("{HEAD}m=audio 1 RTP/AVP 0\n")),
        (4, ParseError::MissingLine('t'))
    );
    assert_eq!(
        parse_error(&format!("{HEAD}t=0\n")),
        (4, ParseError::InvalidTiming)
    );
    assert_eq!(
        parse_error(&format!("{HEAD}t=0 0\nx=1\n")),
        (5, ParseError::UnknownType('x'))
    );
    assert_eq!(
        parse_error(&format!("{HEAD}t=0 0\nhello\n")),
        (5, ParseError::MalformedLine)
    );
    assert_eq!(
        parse_error(&format!("{HEAD}t=0 0\nA=b\n")),
        (5, ParseError::MalformedLine)
    );
    assert_eq!(
        parse_error(&format!("{HEAD}t=0 0\ns=again\n")),
        (5, ParseError::UnexpectedLine('s'))
    );
    assert_eq!(
        parse_error(&format!("{HEAD}c=IN IP4 1.2.3.4\nc=IN IP4 1.2.3.4\n")),
        (5, ParseError::DuplicateLine('c'))
    );
    assert_eq!(
        parse_error(&format!("{HEAD}c=IN IP4\n")),
        (4, ParseError::InvalidConnection)
    );
    assert_eq!(
        parse_error(&format!("{HEAD}t=0 0\nm=audio 1 RTP/AVP 0\nt=0 0\n")),
        (6, ParseError::UnexpectedLine('t'))
    );
    assert_eq!(
        parse_error(&format!("{HEAD}t=0 0\nm=audio 1 RTP/AVP\n")),
        (5, ParseError::InvalidMedia)
    );
    assert_eq!(
        parse_error(&format!("{HEAD}t=0 0\nm=audio 70000 RTP/AVP 0\n")),
        (5, ParseError::InvalidMedia)
    );
    assert_eq!(
        parse_error(&format!("{HEAD}t=0 0\na=:x\n")),
        (5, ParseError::InvalidAttribute)
    );
    assert_eq!(
        parse_error(&format!("{HEAD}t=0 0\na=bad name\n")),
        (5, ParseError::InvalidAttribute)
    );
    assert!(matches!(
        SessionDescription::from_bytes(b"v=0\xff"),
        Err(SdpError::Parse {
            error: ParseError::NotUtf8,
            ..
        })
    ));
    // Errors read well.
    assert_eq!(
        SessionDescription::parse("v=0\nbogus")
            .unwrap_err()
            .to_string(),
        "sdp line 2: malformed line, expected <type>=<value>"
    );
}

#[test]
fn unknown_attributes_are_kept() {
    let text = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\na=x-whatever:{\"json\": true}\na=rtcp-mux\n";
    let sdp = SessionDescription::parse(text).unwrap();
    assert_eq!(
        sdp.media[0].attribute("x-whatever"),
        Some("{\"json\": true}")
    );
    assert_eq!(sdp.media[0].attribute("rtcp-mux"), Some(""));
    assert_eq!(sdp.media[0].attribute("absent"), None);
}
