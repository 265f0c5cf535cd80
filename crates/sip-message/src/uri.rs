//! SIP-URI, SIPS-URI and absoluteURI (RFC 3261 19.1 and 25.1).

use std::fmt;

use crate::chars::{
    Cursor, escape_into, is_hnv_char, is_host_char, is_param_char, is_password_char, is_user_char,
    unescape,
};
use crate::{Param, SipUri, Uri};

/// Where a URI appears decides whether `?headers` are allowed (RFC 3261 19.1.1, table 1:
/// not in a Request-URI; RFC 3261 20.10: not in an addr-spec without angle brackets).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum UriContext {
    RequestUri,
    AddrSpec,
    Bracketed,
}

pub(crate) fn parse_uri(s: &str, ctx: UriContext) -> Result<Uri, &'static str> {
    let colon = s.find(':').ok_or("uri without scheme")?;
    let scheme = &s[..colon];
    let rest = &s[colon + 1..];
    let valid_scheme = scheme
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !valid_scheme {
        return Err("invalid uri scheme");
    }
    if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
        return parse_sip_uri(rest, scheme.len() == 4, ctx).map(Uri::Sip);
    }
    // absoluteURI (RFC 3261 25.1): kept opaque; only characters that cannot be part of any
    // URI (space, controls, quotes, angle brackets) are refused.
    if rest.is_empty()
        || !rest
            .bytes()
            .all(|b| (0x21..0x7f).contains(&b) && !matches!(b, b'<' | b'>' | b'"'))
    {
        return Err("invalid absolute uri");
    }
    Ok(Uri::Other {
        scheme: scheme.to_owned(),
        rest: rest.to_owned(),
    })
}

fn parse_sip_uri(s: &str, secure: bool, ctx: UriContext) -> Result<SipUri, &'static str> {
    // The user part may contain ';', '?', '/' and ',' (user-unreserved), but no part of the
    // URI may contain an unescaped '@' except the userinfo delimiter.
    let (user, password, hostpart) = match s.find('@') {
        Some(at) => {
            let userinfo = &s[..at];
            let (user, password) = match userinfo.find(':') {
                Some(c) => (
                    &userinfo[..c],
                    Some(unescape(&userinfo[c + 1..], is_password_char)?),
                ),
                None => (userinfo, None),
            };
            if user.is_empty() {
                return Err("empty user part in uri");
            }
            (Some(unescape(user, is_user_char)?), password, &s[at + 1..])
        }
        None => (None, None, s),
    };

    let mut c = Cursor::new(hostpart);
    let host = take_host(&mut c)?;
    let port = if c.eat(b':') {
        Some(parse_port(c.take_while(|b| b.is_ascii_digit()))?)
    } else {
        None
    };

    let mut params = Vec::new();
    while c.eat(b';') {
        let name = c.take_while(|b| is_param_char(b) || b == b'%');
        if name.is_empty() {
            return Err("empty uri parameter");
        }
        let value = if c.eat(b'=') {
            // pvalue is 1*paramchar; an empty value is accepted as Some("") so that a printed
            // `name=` parses back to the same model.
            Some(unescape(
                c.take_while(|b| is_param_char(b) || b == b'%'),
                is_param_char,
            )?)
        } else {
            None
        };
        params.push(Param {
            name: unescape(name, is_param_char)?,
            value,
        });
    }

    let mut headers = Vec::new();
    if c.eat(b'?') {
        if ctx != UriContext::Bracketed {
            return Err("uri headers outside angle brackets");
        }
        loop {
            let name = c.take_while(|b| is_hnv_char(b) || b == b'%');
            if name.is_empty() || !c.eat(b'=') {
                return Err("invalid uri header");
            }
            let value = c.take_while(|b| is_hnv_char(b) || b == b'%');
            headers.push((unescape(name, is_hnv_char)?, unescape(value, is_hnv_char)?));
            if !c.eat(b'&') {
                break;
            }
        }
    }
    if !c.at_end() {
        return Err("invalid character in uri");
    }
    Ok(SipUri {
        secure,
        user,
        password,
        host: host.to_owned(),
        port,
        params,
        headers,
    })
}

pub(crate) fn parse_port(digits: &str) -> Result<u16, &'static str> {
    if digits.is_empty() || digits.len() > 5 {
        return Err("invalid port");
    }
    digits.parse().map_err(|_| "invalid port")
}

pub(crate) fn valid_ipv6_inner(s: &str) -> bool {
    s.len() >= 2
        && s.contains(':')
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
}

/// Host of a Via sent-by or a URI: hostname, IPv4 or bracketed IPv6 (RFC 3261 25.1).
pub(crate) fn take_host<'a>(c: &mut Cursor<'a>) -> Result<&'a str, &'static str> {
    let start = c.pos;
    if c.peek() == Some(b'[') {
        c.take_while(|b| b != b']');
        if !c.eat(b']') || !valid_ipv6_inner(&c.s[start + 1..c.pos - 1]) {
            return Err("invalid ipv6 reference");
        }
    } else {
        c.take_while(is_host_char);
    }
    if c.pos == start {
        return Err("missing host");
    }
    Ok(&c.s[start..c.pos])
}

impl SipUri {
    /// Value of the URI parameter `name` (case-insensitive): `None` if absent, `Some(None)`
    /// for a flag such as `lr`.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        find_param(&self.params, name)
    }
    /// RFC 3261 19.1.1 `lr`: the next hop is a loose router.
    pub fn is_loose_router(&self) -> bool {
        self.param("lr").is_some()
    }
    /// `transport` URI parameter, if any.
    pub fn transport(&self) -> Option<&str> {
        self.param("transport").flatten()
    }
}

impl Uri {
    /// `sip:user@host[:port]`.
    pub fn sip(user: Option<&str>, host: &str, port: Option<u16>) -> Uri {
        Uri::Sip(SipUri {
            secure: false,
            user: user.map(str::to_owned),
            password: None,
            host: host.to_owned(),
            port,
            params: Vec::new(),
            headers: Vec::new(),
        })
    }
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            Uri::Other { .. } => None,
        }
    }
    /// Scheme in lowercase for sip/sips, as written otherwise.
    pub fn scheme(&self) -> &str {
        match self {
            Uri::Sip(u) if u.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Other { scheme, .. } => scheme,
        }
    }
}

pub(crate) fn find_param<'a>(params: &'a [Param], name: &str) -> Option<Option<&'a str>> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.value.as_deref())
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(self.host.len() + 16);
        out.push_str(if self.secure { "sips:" } else { "sip:" });
        if let Some(user) = &self.user {
            escape_into(&mut out, user, is_user_char);
            if let Some(pw) = &self.password {
                out.push(':');
                escape_into(&mut out, pw, is_password_char);
            }
            out.push('@');
        }
        out.push_str(&self.host);
        if let Some(port) = self.port {
            out.push(':');
            out.push_str(&port.to_string());
        }
        for p in &self.params {
            out.push(';');
            escape_into(&mut out, &p.name, is_param_char);
            if let Some(v) = &p.value {
                out.push('=');
                escape_into(&mut out, v, is_param_char);
            }
        }
        for (i, (n, v)) in self.headers.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            escape_into(&mut out, n, is_hnv_char);
            out.push('=');
            escape_into(&mut out, v, is_hnv_char);
        }
        f.write_str(&out)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => u.fmt(f),
            Uri::Other { scheme, rest } => write!(f, "{scheme}:{rest}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri {
        match parse_uri(s, UriContext::Bracketed).unwrap() {
            Uri::Sip(u) => u,
            other => panic!("not a sip uri: {other:?}"),
        }
    }

    #[test]
    fn dotted_user() {
        let u = sip("sip:first.last@example.com");
        assert_eq!(u.user.as_deref(), Some("first.last"));
        assert_eq!(u.host, "example.com");
        assert_eq!(u.port, None);
    }

    #[test]
    fn full_uri_round_trips() {
        let s = "sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?Subject=hi&X=";
        let u = sip(s);
        assert!(u.secure);
        assert_eq!(u.password.as_deref(), Some("secret"));
        assert_eq!(u.host, "[2001:db8::1]");
        assert_eq!(u.port, Some(5061));
        assert!(u.is_loose_router());
        assert_eq!(u.transport(), Some("tcp"));
        assert_eq!(u.headers[1], ("X".into(), String::new()));
        assert_eq!(u.to_string(), s);
    }

    #[test]
    fn rejects_bad_uris() {
        for bad in [
            "sip:",
            "sip:@host",
            "sip:host:99999",
            "sip:host:",
            "sip:ho st",
            "sip:[zz::1]",
            "sip:host;;",
            "1sip:x",
            "tel:",
            "http:<x>",
        ] {
            assert!(parse_uri(bad, UriContext::Bracketed).is_err(), "{bad}");
        }
        assert!(parse_uri("sip:h?a=b", UriContext::RequestUri).is_err());
        assert!(parse_uri("sip:h?a=b", UriContext::AddrSpec).is_err());
    }

    #[test]
    fn other_schemes_kept_raw() {
        assert_eq!(
            parse_uri("tel:+1-201-555-0123", UriContext::RequestUri).unwrap(),
            Uri::Other {
                scheme: "tel".into(),
                rest: "+1-201-555-0123".into()
            }
        );
    }
}
