//! Header names and the structured header values: name-addr (From, To, Contact, Route),
//! Via, CSeq and Call-ID (RFC 3261 section 20 and 25.1).

use std::fmt;

use crate::chars::{Cursor, is_token, is_token_str, is_word, is_wsp};
use crate::uri::{UriContext, find_param, parse_port, parse_uri, take_host};
use crate::{CSeq, Method, NameAddr, Param, Uri, Via};

/// Compact forms (RFC 3261 7.3.3 and the registry of header fields).
const COMPACT: &[(u8, &str)] = &[
    (b'a', "Accept-Contact"),
    (b'b', "Referred-By"),
    (b'c', "Content-Type"),
    (b'd', "Request-Disposition"),
    (b'e', "Content-Encoding"),
    (b'f', "From"),
    (b'i', "Call-ID"),
    (b'j', "Reject-Contact"),
    (b'k', "Supported"),
    (b'l', "Content-Length"),
    (b'm', "Contact"),
    (b'o', "Event"),
    (b'r', "Refer-To"),
    (b's', "Subject"),
    (b't', "To"),
    (b'u', "Allow-Events"),
    (b'v', "Via"),
    (b'x', "Session-Expires"),
    (b'y', "Identity"),
];

/// Spellings used when printing well-known headers, whatever case they arrived in.
const KNOWN: &[&str] = &[
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Alert-Info",
    "Allow",
    "Allow-Events",
    "Authentication-Info",
    "Authorization",
    "Call-ID",
    "Call-Info",
    "Contact",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Type",
    "CSeq",
    "Date",
    "Error-Info",
    "Event",
    "Expires",
    "From",
    "In-Reply-To",
    "Max-Forwards",
    "MIME-Version",
    "Min-Expires",
    "Min-SE",
    "Organization",
    "P-Asserted-Identity",
    "Path",
    "Priority",
    "Privacy",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Require",
    "RAck",
    "Reason",
    "Record-Route",
    "Refer-To",
    "Referred-By",
    "Replaces",
    "Reply-To",
    "Require",
    "Retry-After",
    "Route",
    "RSeq",
    "Server",
    "Session-Expires",
    "Subject",
    "Supported",
    "Timestamp",
    "To",
    "Unsupported",
    "User-Agent",
    "Via",
    "Warning",
    "WWW-Authenticate",
];

fn expand_compact(name: &str) -> Option<&'static str> {
    match name.as_bytes() {
        [c] => COMPACT
            .iter()
            .find(|(k, _)| *k == c.to_ascii_lowercase())
            .map(|(_, long)| *long),
        _ => None,
    }
}

/// The name to store and print: compact forms expanded, well-known names in their usual
/// spelling, unknown names as received.
pub(crate) fn canonical_name(name: &str) -> String {
    if let Some(long) = expand_compact(name) {
        return long.to_owned();
    }
    KNOWN
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_owned(), |k| (*k).to_owned())
}

/// Case-insensitive header name comparison with compact forms (RFC 3261 7.3.1, 7.3.3).
pub(crate) fn names_match(a: &str, b: &str) -> bool {
    let a = expand_compact(a).unwrap_or(a);
    let b = expand_compact(b).unwrap_or(b);
    a.eq_ignore_ascii_case(b)
}

/// `*( SEMI generic-param )` with LWS allowed around `;` and `=`. Values are kept as written
/// (a quoted-string keeps its quotes).
fn parse_params(c: &mut Cursor<'_>, out: &mut Vec<Param>) -> Result<(), &'static str> {
    loop {
        let save = c.pos;
        c.skip_lws();
        if !c.eat(b';') {
            c.pos = save;
            return Ok(());
        }
        c.skip_lws();
        let name = c.take_while(is_token);
        if name.is_empty() {
            return Err("empty header parameter");
        }
        let after_name = c.pos;
        c.skip_lws();
        let value = if c.eat(b'=') {
            c.skip_lws();
            if c.peek() == Some(b'"') {
                Some(c.quoted_string()?.0.to_owned())
            } else {
                // gen-value = token / host / quoted-string; host adds ':' '[' ']' for IPv6.
                // Empty values are accepted as Some("") so that printing `name=` round-trips.
                Some(
                    c.take_while(|b| is_token(b) || matches!(b, b':' | b'[' | b']'))
                        .to_owned(),
                )
            }
        } else {
            c.pos = after_name;
            None
        };
        out.push(Param {
            name: name.to_owned(),
            value,
        });
    }
}

/// Parses one `(name-addr / addr-spec) *(SEMI param)` element.
pub(crate) fn parse_name_addr(c: &mut Cursor<'_>) -> Result<NameAddr, &'static str> {
    c.skip_lws();
    let start = c.pos;
    let mut display_name = None;
    let mut bracketed = false;
    if c.peek() == Some(b'"') {
        display_name = Some(c.quoted_string()?.1);
        c.skip_lws();
        if !c.eat(b'<') {
            return Err("expected '<' after display name");
        }
        bracketed = true;
    } else {
        // display-name = *(token LWS); decide between that and an addr-spec by looking for a
        // '<' before any character that is neither token nor LWS (RFC 3261 20.10).
        let run = c.take_while(|b| is_token(b) || is_wsp(b));
        if c.eat(b'<') {
            let name = run.trim_matches([' ', '\t']);
            if !name.is_empty() {
                display_name = Some(name.to_owned());
            }
            bracketed = true;
        } else {
            c.pos = start;
        }
    }
    let uri = if bracketed {
        // LAQUOT = SWS "<" and RAQUOT = ">" SWS: no white space inside the brackets.
        let text = c.take_while(|b| b != b'>');
        if !c.eat(b'>') {
            return Err("missing '>'");
        }
        if text.bytes().any(|b| is_wsp(b) || b == b'<') {
            return Err("white space inside angle brackets");
        }
        parse_uri(text, UriContext::Bracketed)?
    } else {
        // addr-spec: the URI ends at the first ';' ',' or LWS; RFC 3261 20.10 requires angle
        // brackets for URIs containing ',', '?' or ';', which parse_uri enforces for '?'.
        let text = c.take_while(|b| !matches!(b, b';' | b',' | b' ' | b'\t'));
        if text.is_empty() {
            return Err("missing uri");
        }
        parse_uri(text, UriContext::AddrSpec)?
    };
    let mut params = Vec::new();
    parse_params(c, &mut params)?;
    Ok(NameAddr {
        display_name,
        uri,
        params,
    })
}

/// Parses one `via-parm`: sent-protocol LWS sent-by *( SEMI via-params ).
pub(crate) fn parse_via(c: &mut Cursor<'_>) -> Result<Via, &'static str> {
    c.skip_lws();
    let name = c.take_while(is_token);
    c.skip_lws();
    if name.is_empty() || !c.eat(b'/') {
        return Err("invalid via protocol");
    }
    c.skip_lws();
    let version = c.take_while(is_token);
    c.skip_lws();
    if version.is_empty() || !c.eat(b'/') {
        return Err("invalid via protocol");
    }
    c.skip_lws();
    let transport = c.take_while(is_token);
    if transport.is_empty() {
        return Err("invalid via transport");
    }
    if !c.skip_lws() {
        return Err("missing via sent-by");
    }
    let host = take_host(c)?;
    let save = c.pos;
    c.skip_lws();
    let port = if c.eat(b':') {
        c.skip_lws();
        Some(parse_port(c.take_while(|b| b.is_ascii_digit()))?)
    } else {
        c.pos = save;
        None
    };
    let mut params = Vec::new();
    parse_params(c, &mut params)?;
    Ok(Via {
        transport: transport.to_ascii_uppercase(),
        host: host.to_owned(),
        port,
        params,
    })
}

/// Parses a comma-separated list (`elem *(COMMA elem)`); empty elements are errors
/// (RFC 4475 3.1.2.1).
pub(crate) fn parse_list<T>(
    value: &str,
    mut elem: impl FnMut(&mut Cursor<'_>) -> Result<T, &'static str>,
    out: &mut Vec<T>,
) -> Result<(), &'static str> {
    let mut c = Cursor::new(value);
    loop {
        out.push(elem(&mut c)?);
        c.skip_lws();
        if c.at_end() {
            return Ok(());
        }
        if !c.eat(b',') {
            return Err("unexpected character after list element");
        }
    }
}

/// Exactly one element, nothing after it.
pub(crate) fn parse_single<T>(
    value: &str,
    elem: impl FnOnce(&mut Cursor<'_>) -> Result<T, &'static str>,
) -> Result<T, &'static str> {
    let mut c = Cursor::new(value);
    let v = elem(&mut c)?;
    c.skip_lws();
    if !c.at_end() {
        return Err("unexpected character after value");
    }
    Ok(v)
}

/// `CSeq = 1*DIGIT LWS Method` (RFC 3261 20.16).
pub(crate) fn parse_cseq(value: &str) -> Result<CSeq, &'static str> {
    let mut c = Cursor::new(value);
    let digits = c.take_while(|b| b.is_ascii_digit());
    if digits.is_empty() || !c.skip_lws() {
        return Err("invalid cseq");
    }
    // 8.1.1.5: the number must fit 32 bits.
    let seq = digits
        .parse::<u32>()
        .map_err(|_| "cseq number out of range")?;
    let method = c.rest();
    if !is_token_str(method) {
        return Err("invalid cseq method");
    }
    Ok(CSeq {
        seq,
        method: Method::from_token(method),
    })
}

/// `callid = word [ "@" word ]` (RFC 3261 25.1).
pub(crate) fn valid_call_id(value: &str) -> bool {
    let mut parts = value.splitn(2, '@');
    let ok = |w: Option<&str>| w.is_some_and(|w| !w.is_empty() && w.bytes().all(is_word));
    let first = parts.next();
    ok(first) && parts.next().is_none_or(|w| ok(Some(w)) && !w.contains('@'))
}

/// Digits only, saturating instead of failing on overflow.
pub(crate) fn parse_delta_seconds(value: &str) -> Result<u32, &'static str> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err("invalid delta-seconds");
    }
    Ok(value.parse::<u32>().unwrap_or(u32::MAX))
}

fn write_params(f: &mut fmt::Formatter<'_>, params: &[Param]) -> fmt::Result {
    for p in params {
        f.write_str(";")?;
        f.write_str(&p.name)?;
        if let Some(v) = &p.value {
            f.write_str("=")?;
            f.write_str(v)?;
        }
    }
    Ok(())
}

/// Writes `s` as a quoted-string, escaping what qdtext cannot carry. CR and LF cannot be
/// represented at all (not even as quoted-pair), so they become spaces.
pub(crate) fn write_quoted(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for ch in s.chars() {
        match ch {
            '\r' | '\n' => f.write_char(' ')?,
            '"' | '\\' => {
                f.write_char('\\')?;
                f.write_char(ch)?;
            }
            '\t' => f.write_char('\t')?,
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                f.write_char('\\')?;
                f.write_char(c)?;
            }
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl NameAddr {
    /// `<uri>` with no display name and no parameters.
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display_name: None,
            uri,
            params: Vec::new(),
        }
    }
    pub fn tag(&self) -> Option<&str> {
        self.param("tag").flatten()
    }
    /// Value of header parameter `name` (case-insensitive): `None` if absent, `Some(None)` for
    /// a parameter without value. Quoted values keep their quotes.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        find_param(&self.params, name)
    }
    /// Sets (or replaces) the `tag` parameter.
    pub fn set_tag(&mut self, tag: impl Into<String>) {
        let tag = tag.into();
        match self
            .params
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case("tag"))
        {
            Some(p) => p.value = Some(tag),
            None => self.params.push(Param {
                name: "tag".into(),
                value: Some(tag),
            }),
        }
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display_name {
            write_quoted(f, d)?;
            f.write_str(" ")?;
        }
        // Always the name-addr form: safe for URIs containing ';', ',' or '?' (RFC 3261 20.10).
        write!(f, "<{}>", self.uri)?;
        write_params(f, &self.params)
    }
}

impl std::str::FromStr for NameAddr {
    type Err = crate::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_single(s, parse_name_addr).map_err(crate::ParseError::new)
    }
}

impl Via {
    pub fn branch(&self) -> Option<&str> {
        self.param("branch").flatten()
    }
    /// Value of parameter `name` (case-insensitive): `None` if absent, `Some(None)` for a
    /// flag such as a bare `rport`.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        find_param(&self.params, name)
    }
    /// `received` parameter (RFC 3261 18.2.1).
    pub fn received(&self) -> Option<&str> {
        self.param("received").flatten()
    }
    /// `rport` parameter (RFC 3581): `Some(None)` when requested but not yet filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.param("rport").map(|v| v.and_then(|p| p.parse().ok()))
    }
    /// True if the branch carries the RFC 3261 magic cookie and something after it
    /// (RFC 3261 8.1.1.7; RFC 4475 3.2.1 shows a bare cookie, which is not a 3261 branch).
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch()
            .is_some_and(|b| b.len() > 7 && b.starts_with("z9hG4bK"))
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write_params(f, &self.params)
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

impl Param {
    /// `name=value`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Param {
        Param {
            name: name.into(),
            value: Some(value.into()),
        }
    }
    /// A parameter without value, such as `lr` or `rport`.
    pub fn flag(name: impl Into<String>) -> Param {
        Param {
            name: name.into(),
            value: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn na(s: &str) -> NameAddr {
        parse_single(s, parse_name_addr).unwrap()
    }

    #[test]
    fn name_addr_forms() {
        let a = na(
            r#""Quoted string \"\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33"#,
        );
        assert_eq!(a.display_name.as_deref(), Some(r#"Quoted string """#));
        assert_eq!(a.param("newparam"), Some(Some("newvalue")));
        assert_eq!(a.param("secondparam"), Some(None));
        assert_eq!(a.param("q"), Some(Some("0.33")));

        let b = na("caller<sip:caller@example.com>;tag=323");
        assert_eq!(b.display_name.as_deref(), Some("caller"));
        assert_eq!(b.tag(), Some("323"));

        let c = na("sip:+19725552222@gw1.example.net;unknownparam");
        assert_eq!(c.param("unknownparam"), Some(None));
        assert!(c.uri.as_sip().unwrap().params.is_empty());

        let d = na("isbn:2983792873");
        assert_eq!(d.uri.scheme(), "isbn");
    }

    #[test]
    fn name_addr_rejects() {
        for bad in [
            r#""Mr. J. User <sip:j.user@example.com>"#,
            "< sip:t.watson@example.org >",
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            r#""Joe" <sip:joe@example.org>;;;;"#,
            "<sip:a@b",
            "",
        ] {
            assert!(parse_single(bad, parse_name_addr).is_err(), "{bad}");
        }
    }

    #[test]
    fn via_forms() {
        let mut vias = Vec::new();
        parse_list(
            "SIP  / 2.0  / TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239",
            parse_via,
            &mut vias,
        )
        .unwrap();
        assert_eq!(vias.len(), 2);
        assert_eq!(vias[0].transport, "TCP");
        assert_eq!(vias[0].host, "spindle.example.com");
        assert_eq!(vias[0].branch(), Some("z9hG4bK9ikj8"));
        assert_eq!(vias[1].branch(), Some("z9hG4bK30239"));

        let v = parse_single(
            "SIP/2.0/UDP [2001:db8::9]:5070;received=2001:db8::1;rport=7;branch=z9hG4bKx",
            parse_via,
        )
        .unwrap();
        assert_eq!(v.host, "[2001:db8::9]");
        assert_eq!(v.port, Some(5070));
        assert_eq!(v.received(), Some("2001:db8::1"));
        assert_eq!(v.rport(), Some(Some(7)));
        assert_eq!(
            v.to_string(),
            "SIP/2.0/UDP [2001:db8::9]:5070;received=2001:db8::1;rport=7;branch=z9hG4bKx"
        );

        let mut out = Vec::new();
        assert!(parse_list("SIP/2.0/UDP 192.0.2.15;;,;,,", parse_via, &mut out).is_err());
    }

    #[test]
    fn cseq_and_call_id() {
        assert_eq!(parse_cseq("0009 INVITE").unwrap().seq, 9);
        assert!(parse_cseq("36893488147419103232 REGISTER").is_err());
        assert!(parse_cseq("1").is_err());
        assert!(valid_call_id(
            "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
        ));
        assert!(!valid_call_id("a@b@c"));
        assert!(!valid_call_id("has space"));
        assert!(!valid_call_id(""));
    }

    #[test]
    fn names() {
        assert_eq!(canonical_name("i"), "Call-ID");
        assert_eq!(canonical_name("MaX-fOrWaRdS"), "Max-Forwards");
        assert_eq!(canonical_name("X-Custom"), "X-Custom");
        assert!(names_match("v", "VIA"));
        assert!(!names_match("v", "To"));
    }
}
