//! Whole-message parsing (RFC 3261 7 and 25) and the 400 reply for broken requests
//! (RFC 3261 21.4.1, RFC 4475 3.1.2).

use crate::chars::is_token_str;
use crate::header::{
    canonical_name, names_match, parse_cseq, parse_list, parse_name_addr, parse_single, parse_via,
    valid_call_id,
};
use crate::uri::{UriContext, parse_uri};
use crate::{
    Header, Headers, Message, Method, ParseError, Request, Response, SipHeaders, default_reason,
};

/// Why strict parsing failed, and which status a UAS should answer with.
struct Failure {
    reason: &'static str,
    status: u16,
}

fn bad(reason: &'static str) -> Failure {
    Failure {
        reason,
        status: 400,
    }
}

impl From<&'static str> for Failure {
    fn from(reason: &'static str) -> Self {
        bad(reason)
    }
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
    // RFC 3261 7.5: CRLFs before the start line are ignored (and RFC 5626 keepalives are
    // nothing but CRLFs).
    let mut data = bytes;
    while let Some(rest) = data.strip_prefix(b"\r\n") {
        data = rest;
    }
    parse_strict(data).map_err(|f| ParseError {
        reason: f.reason.to_owned(),
        reply: loose_reply(data, &f).map(Box::new),
    })
}

/// Length of the first complete message at the start of a stream buffer (RFC 3261 18.3),
/// counting leading CRLFs (RFC 3261 7.5) so the caller can split it off and hand it to
/// [`crate::parse`]. `Ok(None)`: not all of it has arrived yet. An error means the framing is
/// lost (missing or bad Content-Length, which is mandatory on streams), and the connection
/// should be closed (RFC 4475 3.3.9).
pub fn stream_message_len(buf: &[u8]) -> Result<Option<usize>, ParseError> {
    let mut lead = 0;
    while buf[lead..].starts_with(b"\r\n") {
        lead += 2;
    }
    let data = &buf[lead..];
    let Some(head_end) = find_head_end(data) else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&data[..head_end])
        .map_err(|_| ParseError::new("header section is not valid utf-8"))?;
    let mut length = None;
    for line in head.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if names_match(name.trim_end_matches([' ', '\t']), "Content-Length") {
            let value = value.trim_matches([' ', '\t']);
            if length.is_some() || value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ParseError::new("invalid content-length"));
            }
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| ParseError::new("content-length out of range"))?,
            );
        }
    }
    let length = length.ok_or_else(|| ParseError::new("missing content-length on a stream"))?;
    let total = (lead + head_end + 4)
        .checked_add(length)
        .ok_or_else(|| ParseError::new("content-length out of range"))?;
    Ok((buf.len() >= total).then_some(total))
}

/// Status lines start with the SIP version; request lines with a method (RFC 3261 7.1, 7.2).
fn is_status_line(line: &str) -> bool {
    line.as_bytes()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
}

fn find_head_end(data: &[u8]) -> Option<usize> {
    data.windows(4).position(|w| w == b"\r\n\r\n")
}

fn parse_strict(data: &[u8]) -> Result<Message, Failure> {
    if data.is_empty() {
        return Err(bad("empty message"));
    }
    let head_end = find_head_end(data).ok_or("missing empty line after headers")?;
    let head =
        std::str::from_utf8(&data[..head_end]).map_err(|_| "header section is not valid utf-8")?;
    let rest = &data[head_end + 4..];
    // Lines end in CRLF only; a lone CR or LF would let a header hide inside another.
    if head.split("\r\n").any(|l| l.contains(['\r', '\n'])) {
        return Err(bad("bare cr or lf in header section"));
    }
    let (start_line, header_text) = head.split_once("\r\n").unwrap_or((head, ""));

    let mut headers = Headers(Vec::with_capacity(16));
    for line in header_text.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            // RFC 3261 7.3.1: a continuation line; the fold is replaced by a single SP.
            let last = headers
                .0
                .last_mut()
                .ok_or("continuation line before first header")?;
            let trimmed_len = last.value.trim_end_matches([' ', '\t']).len();
            last.value.truncate(trimmed_len);
            last.value.push(' ');
            last.value.push_str(line.trim_start_matches([' ', '\t']));
            continue;
        }
        // HCOLON = *( SP / HTAB ) ":" SWS
        let (name, value) = line.split_once(':').ok_or("header line without colon")?;
        let name = name.trim_end_matches([' ', '\t']);
        if !is_token_str(name) {
            return Err(bad("invalid header name"));
        }
        headers.0.push(Header {
            name: canonical_name(name),
            value: value.trim_start_matches([' ', '\t']).to_owned(),
        });
    }
    for h in &mut headers.0 {
        let trimmed_len = h.value.trim_end_matches([' ', '\t']).len();
        h.value.truncate(trimmed_len);
        // A value that starts on a continuation line ("To:" CRLF SP "sip:...").
        if h.value.starts_with(' ') {
            h.value.remove(0);
        }
    }

    let mut message = if is_status_line(start_line) {
        Message::Response(parse_status_line(start_line, headers)?)
    } else {
        Message::Request(parse_request_line(start_line, headers)?)
    };
    validate_headers(&message)?;

    // RFC 3261 18.3: over a datagram transport, a Content-Length larger than what arrived is
    // an error, a smaller one truncates the body; without one, the body is the rest.
    let body = match content_length(message.headers())? {
        Some(n) if n > rest.len() => return Err(bad("content-length larger than message body")),
        Some(n) => &rest[..n],
        None => rest,
    };
    match &mut message {
        Message::Request(r) => r.body = body.to_vec(),
        Message::Response(r) => r.body = body.to_vec(),
    }
    Ok(message)
}

fn parse_version(v: &str) -> Result<(), Failure> {
    // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; anything but 2.0 is 505 (RFC 3261 21.5.6,
    // RFC 4475 3.1.2.16).
    if !is_status_line(v) {
        return Err(bad("invalid sip version"));
    }
    // The first four bytes are ASCII, so 4 is a char boundary.
    let numbers = &v[4..];
    let (major, minor) = numbers.split_once('.').ok_or("invalid sip version")?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return Err(bad("invalid sip version"));
    }
    if major.trim_start_matches('0') != "2" || !minor.trim_start_matches('0').is_empty() {
        return Err(Failure {
            reason: "unsupported sip version",
            status: 505,
        });
    }
    Ok(())
}

/// `Request-Line = Method SP Request-URI SP SIP-Version CRLF`: single spaces, nothing else
/// (RFC 4475 3.1.2.8-3.1.2.10 reject extra or embedded white space).
fn parse_request_line(line: &str, headers: Headers) -> Result<Request, Failure> {
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("malformed request line"));
    };
    if !is_token_str(method) {
        return Err(bad("invalid method"));
    }
    parse_version(version)?;
    let uri = parse_uri(uri, UriContext::RequestUri).map_err(|_| "invalid request-uri")?;
    Ok(Request {
        method: Method::from_token(method),
        uri,
        headers,
        body: Vec::new(),
    })
}

/// `Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF`.
fn parse_status_line(line: &str, headers: Headers) -> Result<Response, Failure> {
    let (version, rest) = line.split_once(' ').ok_or("malformed status line")?;
    parse_version(version)?;
    // Tolerate a missing SP before an empty reason phrase.
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("invalid status code"));
    }
    let status: u16 = code.parse().map_err(|_| "invalid status code")?;
    if !(100..=699).contains(&status) {
        return Err(bad("status code out of range"));
    }
    if reason.chars().any(|c| c.is_control() && c != '\t') {
        return Err(bad("control character in reason phrase"));
    }
    Ok(Response {
        status,
        reason: reason.to_owned(),
        headers,
        body: Vec::new(),
    })
}

fn single<'a>(
    headers: &'a Headers,
    name: &'static str,
    missing: &'static str,
    multiple: &'static str,
) -> Result<Option<&'a str>, Failure> {
    let mut all = headers.get_all(name);
    let first = all.next();
    if all.next().is_some() {
        return Err(bad(multiple));
    }
    if first.is_none() && !missing.is_empty() {
        return Err(bad(missing));
    }
    Ok(first)
}

fn content_length(headers: &Headers) -> Result<Option<usize>, Failure> {
    match single(
        headers,
        "Content-Length",
        "",
        "multiple content-length headers",
    )? {
        None => Ok(None),
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => v
            .parse()
            .map(Some)
            .map_err(|_| bad("content-length out of range")),
        Some(_) => Err(bad("invalid content-length")),
    }
}

/// Everything the typed accessors of [`SipHeaders`] will later read is checked here, so they
/// cannot fail on a parsed message.
fn validate_headers(message: &Message) -> Result<(), Failure> {
    let h = message.headers();
    let mut vias = Vec::new();
    for v in h.get_all("Via") {
        parse_list(v, parse_via, &mut vias).map_err(|_| "invalid via header")?;
    }
    if vias.is_empty() {
        return Err(bad("missing via header"));
    }
    let from = single(h, "From", "missing from header", "multiple from headers")?;
    let to = single(h, "To", "missing to header", "multiple to headers")?;
    let call_id = single(
        h,
        "Call-ID",
        "missing call-id header",
        "multiple call-id headers",
    )?;
    let cseq = single(h, "CSeq", "missing cseq header", "multiple cseq headers")?;
    if let Some(from) = from {
        parse_single(from, parse_name_addr).map_err(|_| "invalid from header")?;
    }
    if let Some(to) = to {
        parse_single(to, parse_name_addr).map_err(|_| "invalid to header")?;
    }
    if !call_id.is_some_and(valid_call_id) {
        return Err(bad("invalid call-id header"));
    }
    let cseq = parse_cseq(cseq.unwrap_or_default()).map_err(|_| "invalid cseq header")?;
    if let Message::Request(r) = message
        && cseq.method != r.method
    {
        // RFC 4475 3.1.2.17/18: 400, or 501 for an unknown method.
        return Err(Failure {
            reason: "cseq method does not match request method",
            status: if matches!(r.method, Method::Other(_)) {
                501
            } else {
                400
            },
        });
    }
    if let Some(mf) = single(h, "Max-Forwards", "", "multiple max-forwards headers")? {
        // RFC 3261 20.22: 1*DIGIT, 0-255.
        if mf.is_empty() || !mf.bytes().all(|b| b.is_ascii_digit()) || mf.parse::<u8>().is_err() {
            return Err(bad("invalid max-forwards header"));
        }
    }
    let mut contacts = Vec::new();
    let contact_values: Vec<&str> = h.get_all("Contact").collect();
    if contact_values.len() == 1 && contact_values[0] == "*" {
        // Contact: * (RFC 3261 10.2.2)
    } else {
        for v in contact_values {
            parse_list(v, parse_name_addr, &mut contacts).map_err(|_| "invalid contact header")?;
        }
    }
    for name in ["Route", "Record-Route"] {
        let mut routes = Vec::new();
        for v in h.get_all(name) {
            parse_list(v, parse_name_addr, &mut routes).map_err(|_| "invalid route header")?;
        }
    }
    Ok(())
}

/// Builds the reply to a request that failed to parse, from whatever can still be read
/// (RFC 3261 8.2.6 and 21.4.1): `None` for responses, ACKs (never answered, RFC 3261 17.1.1.3)
/// and requests without a Via or CSeq (nothing to route or match the reply with).
fn loose_reply(data: &[u8], failure: &Failure) -> Option<Response> {
    let head = &data[..find_head_end(data).unwrap_or(data.len())];
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let start = lines.next()?;
    if is_status_line(start) {
        return None;
    }
    let method = start.split([' ', '\t']).next()?;
    if method.is_empty() || method == "ACK" {
        return None;
    }

    let mut found: Vec<Header> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = found.last_mut()
                && !last.name.is_empty()
            {
                last.value.push(' ');
                last.value.push_str(line.trim());
            }
            continue;
        }
        // Unwanted headers are kept as empty-named placeholders so continuation lines
        // attach to the right one.
        let Some((name, value)) = line.split_once(':') else {
            found.push(Header {
                name: String::new(),
                value: String::new(),
            });
            continue;
        };
        let name = canonical_name(name.trim());
        let wanted = ["Via", "From", "To", "Call-ID", "CSeq"]
            .iter()
            .any(|w| names_match(w, &name));
        found.push(if wanted {
            Header {
                name,
                value: value.trim().to_owned(),
            }
        } else {
            Header {
                name: String::new(),
                value: String::new(),
            }
        });
    }
    found.retain(|h| !h.name.is_empty() && !h.value.contains(['\r', '\n']));

    let mut reply = Response {
        status: failure.status,
        reason: format!("{} - {}", default_reason(failure.status), failure.reason),
        headers: Headers::default(),
        body: Vec::new(),
    };
    let vias: Vec<&Header> = found.iter().filter(|h| h.name == "Via").collect();
    if vias.is_empty() {
        return None;
    }
    for via in vias {
        reply.headers.0.push(via.clone());
    }
    for name in ["From", "To", "Call-ID", "CSeq"] {
        if let Some(h) = found.iter().find(|h| h.name == name) {
            reply.headers.0.push(h.clone());
        }
    }
    reply.headers.get("CSeq")?;
    // RFC 3261 8.2.6.2: a UAS response carries a To tag. Stateless, so it is derived from the
    // request (like a stateless proxy's branch, RFC 3261 16.11) rather than random.
    if let Some(to) = reply.headers.0.iter_mut().find(|h| h.name == "To")
        && parse_single(&to.value, parse_name_addr).is_ok_and(|to| to.tag().is_none())
    {
        let tag = fnv1a(head.as_bytes());
        to.value.push_str(&format!(";tag={tag:016x}"));
    }
    reply.headers.push("Content-Length", "0");
    Some(reply)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_framing() {
        let msg = b"\r\nOPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabcNEXT";
        assert_eq!(stream_message_len(msg).unwrap(), Some(msg.len() - 4));
        assert_eq!(stream_message_len(&msg[..msg.len() - 6]).unwrap(), None);
        assert_eq!(
            stream_message_len(b"OPTIONS sip:a@b SIP/2.0\r\n").unwrap(),
            None
        );
        assert!(stream_message_len(b"X sip:a SIP/2.0\r\nVia: x\r\n\r\n").is_err());
        assert!(stream_message_len(b"X sip:a SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\n").is_err());
        assert!(
            stream_message_len(b"X sip:a SIP/2.0\r\nl: 99999999999999999999999\r\n\r\n").is_err()
        );
    }

    #[test]
    fn keepalive_is_not_a_message() {
        let e = parse(b"\r\n\r\n").unwrap_err();
        assert!(e.reply.is_none());
    }

    #[test]
    fn no_reply_to_ack_or_responses() {
        let ack =
            b"ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 ACK\r\n\r\n";
        assert!(parse(ack).unwrap_err().reply.is_none());
        let resp =
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\n\r\n";
        assert!(parse(resp).unwrap_err().reply.is_none());
    }

    #[test]
    fn invalid_utf8_header_is_rejected_with_reply() {
        let mut msg = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nSubject: ".to_vec();
        msg.extend_from_slice(&[0xff, 0xfe, b'\r', b'\n', b'\r', b'\n']);
        let e = parse(&msg).unwrap_err();
        assert_eq!(e.reason, "header section is not valid utf-8");
        let reply = e.reply.expect("answerable");
        assert_eq!(reply.status, 400);
        assert!(crate::parse(&reply.to_bytes()).is_ok());
    }

    #[test]
    fn bare_lf_and_folding_before_first_header_are_rejected() {
        assert!(parse(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\nTo: y\r\n\r\n").is_err());
        assert!(parse(b"OPTIONS sip:a@b SIP/2.0\r\n folded\r\n\r\n").is_err());
    }
}
