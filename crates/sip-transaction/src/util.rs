//! Small private helpers over the `sip-message` model: header surgery and address arithmetic.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use sip_message::{Header, Headers, NameAddr, Param, Via};

/// RFC 3261 8.1.1.7: branches starting with the magic cookie follow the RFC 3261 rules.
pub(crate) const MAGIC_COOKIE: &str = "z9hG4bK";

/// Default SIP port for UDP (RFC 3261 19.1.2).
pub(crate) const DEFAULT_PORT: u16 = 5060;

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

pub(crate) fn random_hex(rng: &mut ChaCha8Rng, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rng.fill_bytes(&mut buf);
    hex(&buf)
}

/// Header names are case-insensitive and have compact forms (RFC 3261 7.3.3).
pub(crate) fn header_is(h: &Header, long: &str, compact: Option<&str>) -> bool {
    h.name.eq_ignore_ascii_case(long) || compact.is_some_and(|c| h.name.eq_ignore_ascii_case(c))
}

/// Replace every Via header line with `vias`, one value per line, at the position of the first
/// Via line (or at the top when there was none).
pub(crate) fn replace_vias(headers: &mut Headers, vias: &[Via]) {
    let first = headers
        .0
        .iter()
        .position(|h| header_is(h, "Via", Some("v")));
    headers.0.retain(|h| !header_is(h, "Via", Some("v")));
    let at = first.unwrap_or(0).min(headers.0.len());
    for (i, via) in vias.iter().enumerate() {
        headers.0.insert(
            at + i,
            Header {
                name: "Via".to_owned(),
                value: via.to_string(),
            },
        );
    }
}

/// Put `via` on top of the existing Via lines.
pub(crate) fn push_top_via(headers: &mut Headers, via: &Via) {
    let at = headers
        .0
        .iter()
        .position(|h| header_is(h, "Via", Some("v")))
        .unwrap_or(0);
    headers.0.insert(
        at,
        Header {
            name: "Via".to_owned(),
            value: via.to_string(),
        },
    );
}

/// Replace the first line of header `long` (or its compact form) with `value`, keeping its
/// position; appends when absent.
pub(crate) fn replace_header(
    headers: &mut Headers,
    long: &str,
    compact: Option<&str>,
    value: String,
) {
    if let Some(pos) = headers.0.iter().position(|h| header_is(h, long, compact)) {
        headers.0[pos] = Header {
            name: long.to_owned(),
            value,
        };
        let mut seen = false;
        headers.0.retain(|h| {
            if header_is(h, long, compact) {
                let keep = !seen;
                seen = true;
                keep
            } else {
                true
            }
        });
    } else {
        headers.push(long, value);
    }
}

pub(crate) fn has_header(headers: &Headers, long: &str, compact: Option<&str>) -> bool {
    headers.0.iter().any(|h| header_is(h, long, compact))
}

pub(crate) fn set_param(params: &mut Vec<Param>, name: &str, value: Option<String>) {
    if let Some(p) = params
        .iter_mut()
        .find(|p| p.name.eq_ignore_ascii_case(name))
    {
        p.value = value;
    } else {
        params.push(Param {
            name: name.to_owned(),
            value,
        });
    }
}

pub(crate) fn get_param<'a>(params: &'a [Param], name: &str) -> Option<Option<&'a str>> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.value.as_deref())
}

pub(crate) fn tag_of(addr: &NameAddr) -> Option<&str> {
    get_param(&addr.params, "tag").flatten()
}

/// Parse a host as it appears in a Via or URI, IPv6 references included.
pub(crate) fn parse_ip(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Host as written in a Via sent-by or URI for a local socket address.
pub(crate) fn host_of(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    }
}

/// `host:port` of a Via's sent-by, lowercased, with the default port made explicit, so that
/// `example.com` and `EXAMPLE.com:5060` match (RFC 3261 17.2.3).
pub(crate) fn sent_by(via: &Via) -> String {
    format!(
        "{}:{}",
        via.host.to_ascii_lowercase(),
        via.port.unwrap_or(DEFAULT_PORT)
    )
}

/// RFC 3261 18.2.1 and RFC 3581 4: stamp the source address into the top Via of a received
/// request. Returns where responses go (RFC 3261 18.2.2 for unreliable unicast transports,
/// with RFC 3581 `rport`).
pub(crate) fn stamp_received(via: &mut Via, source: SocketAddr) -> SocketAddr {
    let rport_requested = get_param(&via.params, "rport").is_some();
    let host_matches = parse_ip(&via.host) == Some(source.ip());
    if !host_matches || rport_requested {
        set_param(&mut via.params, "received", Some(source.ip().to_string()));
    }
    if rport_requested {
        set_param(&mut via.params, "rport", Some(source.port().to_string()));
    }
    response_destination(via).unwrap_or(source)
}

/// RFC 3261 18.2.2: the `received` address (or sent-by host), at the `rport` port (RFC 3581),
/// else the sent-by port, else 5060. `None` when the host is a name we cannot resolve here.
pub(crate) fn response_destination(via: &Via) -> Option<SocketAddr> {
    let host = match get_param(&via.params, "received") {
        Some(Some(received)) => received,
        _ => via.host.as_str(),
    };
    let ip = parse_ip(host)?;
    let port = match get_param(&via.params, "rport") {
        Some(Some(p)) => p.parse().ok(),
        _ => None,
    }
    .or(via.port)
    .unwrap_or(DEFAULT_PORT);
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn via(host: &str, port: Option<u16>, params: &[(&str, Option<&str>)]) -> Via {
        Via {
            transport: "UDP".into(),
            host: host.into(),
            port,
            params: params
                .iter()
                .map(|(n, v)| Param {
                    name: (*n).into(),
                    value: v.map(Into::into),
                })
                .collect(),
        }
    }

    #[test]
    fn received_added_when_host_differs() {
        let src: SocketAddr = "192.0.2.7:40000".parse().unwrap();
        let mut v = via("pc33.example.com", None, &[("branch", Some("z9hG4bKx"))]);
        let dest = stamp_received(&mut v, src);
        assert_eq!(get_param(&v.params, "received"), Some(Some("192.0.2.7")));
        // No rport: the sent-by port (default 5060) is used (RFC 3261 18.2.2).
        assert_eq!(dest, "192.0.2.7:5060".parse().unwrap());
    }

    #[test]
    fn rport_filled_and_used() {
        let src: SocketAddr = "192.0.2.7:40000".parse().unwrap();
        let mut v = via("192.0.2.7", Some(5062), &[("rport", None)]);
        let dest = stamp_received(&mut v, src);
        assert_eq!(get_param(&v.params, "rport"), Some(Some("40000")));
        assert_eq!(get_param(&v.params, "received"), Some(Some("192.0.2.7")));
        assert_eq!(dest, src);
    }

    #[test]
    fn same_host_no_received() {
        let src: SocketAddr = "192.0.2.7:5070".parse().unwrap();
        let mut v = via("192.0.2.7", Some(5070), &[]);
        let dest = stamp_received(&mut v, src);
        assert_eq!(get_param(&v.params, "received"), None);
        assert_eq!(dest, src);
    }

    #[test]
    fn ipv6_hosts() {
        assert_eq!(parse_ip("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(host_of("[::1]:5060".parse().unwrap()), "[::1]");
    }

    #[test]
    fn sent_by_defaults_port() {
        assert_eq!(sent_by(&via("EXAMPLE.com", None, &[])), "example.com:5060");
    }
}

/// Split a header value on top-level commas (outside quotes and `<...>`), RFC 3261 7.3.1.
pub(crate) fn split_list(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut in_quotes, mut in_angle, mut escaped) = (false, false, false);
    let mut start = 0;
    for (i, c) in value.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' if !in_quotes && !in_angle => {
                out.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(value[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

#[cfg(test)]
mod list_tests {
    use super::split_list;

    #[test]
    fn splits_outside_quotes_and_angles() {
        assert_eq!(
            split_list(r#""a, b" <sip:x@y;p=1,2>, <sip:z>"#),
            vec![r#""a, b" <sip:x@y;p=1,2>"#, "<sip:z>"]
        );
        assert!(split_list(" ").is_empty());
    }
}
