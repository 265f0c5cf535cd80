//! The session description: its parts, the parser and the printer (RFC 8866, which obsoletes
//! RFC 4566).

use std::fmt::{self, Display, Write as _};
use std::net::IpAddr;
use std::str::FromStr;

use crate::{ParseError, SdpError};

/// A parsed session description.
///
/// `v=` is always `0` and not stored. Lines we do not interpret (`i u e p b r z k`) are kept in
/// [`SessionDescription::other`] and printed back in their RFC 8866 section 5 positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=`
    pub origin: Origin,
    /// `s=`
    pub session_name: String,
    /// Session-level `c=`, used by every media section without its own.
    pub connection: Option<Connection>,
    /// `t=` lines, at least one.
    pub timing: Vec<Timing>,
    /// Session-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
    /// Session-level lines kept verbatim: `i u e p b r z k`.
    pub other: Vec<Line>,
    /// `m=` sections, in order.
    pub media: Vec<MediaDescription>,
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
/// (RFC 8866 section 5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// User name, `-` when there is none.
    pub username: String,
    /// Session id: numeric by the RFC, kept as text so an overlong one is not a parse error.
    pub session_id: String,
    /// Session version, incremented on every change (RFC 3264 section 8).
    pub session_version: String,
    /// `IN`.
    pub net_type: String,
    /// `IP4` or `IP6`.
    pub addr_type: String,
    /// Address or host name of the originator.
    pub address: String,
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 section 5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `IN`.
    pub net_type: String,
    /// `IP4` or `IP6`.
    pub addr_type: String,
    /// Address, possibly with a multicast `/ttl` or `/count` suffix, or a host name.
    pub address: String,
}

impl Connection {
    /// A unicast connection line for `ip`.
    pub fn new(ip: IpAddr) -> Self {
        Self {
            net_type: "IN".to_owned(),
            addr_type: addr_type(ip).to_owned(),
            address: ip.to_string(),
        }
    }

    /// The IP address, if the address is a literal (host names are not resolved here).
    pub fn ip_addr(&self) -> Option<IpAddr> {
        if !self.net_type.eq_ignore_ascii_case("IN") {
            return None;
        }
        let literal = self.address.split('/').next()?;
        literal.parse().ok()
    }
}

/// `IP4` or `IP6` for an address (RFC 8866 section 5.7).
pub(crate) fn addr_type(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    }
}

/// `t=<start-time> <stop-time>` (RFC 8866 section 5.9); `0 0` is a permanent session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// NTP start time, 0 for unbounded.
    pub start: u64,
    /// NTP stop time, 0 for unbounded.
    pub stop: u64,
}

/// `a=<name>` or `a=<name>:<value>` (RFC 8866 section 5.13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Attribute name.
    pub name: String,
    /// Value after the first colon, verbatim.
    pub value: Option<String>,
}

impl Attribute {
    /// A property attribute such as `a=sendrecv`.
    pub fn flag(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            value: None,
        }
    }

    /// A value attribute such as `a=ptime:20`.
    pub fn value(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            value: Some(value.into()),
        }
    }
}

/// A line kept verbatim: its type letter and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Type letter.
    pub kind: char,
    /// Everything after `=`.
    pub value: String,
}

/// An `m=` section (RFC 8866 section 5.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// `audio`, `video`, ...
    pub media: String,
    /// Transport port; 0 rejects or disables the stream (RFC 3264 section 6).
    pub port: u16,
    /// The `/<number of ports>` suffix, if any.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/SAVP`, ...
    pub protocol: String,
    /// Media formats: RTP payload type numbers for RTP protocols.
    pub formats: Vec<String>,
    /// Media-level `c=`, overriding the session's.
    pub connection: Option<Connection>,
    /// Media-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
    /// Media-level lines kept verbatim: `i b k`.
    pub other: Vec<Line>,
}

/// The parsed value of `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]`
/// (RFC 8866 section 6.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name, as written.
    pub encoding: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channel count for audio, if given.
    pub channels: Option<u16>,
}

/// Media direction attributes (RFC 8866 section 6.7, RFC 3264 section 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `a=sendrecv`, the default.
    #[default]
    SendRecv,
    /// `a=sendonly`
    SendOnly,
    /// `a=recvonly`
    RecvOnly,
    /// `a=inactive`
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction for an attribute name, if it is one.
    pub fn from_attribute(name: &str) -> Option<Self> {
        [
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
        ]
        .into_iter()
        .find(|d| d.as_str().eq_ignore_ascii_case(name))
    }

    /// The same stream seen from the other end: what they send, we receive.
    pub fn reverse(self) -> Self {
        Self::from_flags(self.receives(), self.sends())
    }

    /// Both ends' wishes combined: sends only if both allow it.
    pub fn intersect(self, other: Self) -> Self {
        Self::from_flags(
            self.sends() && other.sends(),
            self.receives() && other.receives(),
        )
    }

    /// Media flows from this side.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Media flows to this side.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    fn from_flags(sends: bool, receives: bool) -> Self {
        match (sends, receives) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }
}

impl Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn direction_in(attributes: &[Attribute]) -> Option<Direction> {
    attributes
        .iter()
        .filter(|a| a.value.is_none())
        .find_map(|a| Direction::from_attribute(&a.name))
}

impl MediaDescription {
    /// The value of the first attribute called `name` (`Some("")` for a property attribute).
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .map(|a| a.value.as_deref().unwrap_or(""))
    }

    /// The `a=rtpmap` for `payload_type`, if present and well formed. A malformed rtpmap (for
    /// example the `a=rtpmap:31 LPC` of RFC 4475's sdp01) is treated as absent, not as an error.
    pub fn rtpmap(&self, payload_type: u8) -> Option<RtpMap> {
        self.attributes
            .iter()
            .filter(|a| a.name.eq_ignore_ascii_case("rtpmap"))
            .filter_map(|a| parse_rtpmap(a.value.as_deref()?))
            .find(|map| map.payload_type == payload_type)
    }

    /// The `a=fmtp` parameters for `payload_type`.
    pub fn fmtp(&self, payload_type: u8) -> Option<&str> {
        self.attributes
            .iter()
            .filter(|a| a.name.eq_ignore_ascii_case("fmtp"))
            .filter_map(|a| a.value.as_deref()?.split_once(' '))
            .find(|(pt, _)| pt.parse() == Ok(payload_type))
            .map(|(_, params)| params.trim())
    }

    /// The media-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        direction_in(&self.attributes)
    }

    /// Formats that are payload type numbers, in order (others are skipped).
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok().filter(|pt| *pt <= 127))
    }
}

fn parse_rtpmap(value: &str) -> Option<RtpMap> {
    let (payload_type, encoding) = value.split_once(' ')?;
    let mut parts = encoding.trim().split('/');
    let encoding = parts.next()?.to_owned();
    let clock_rate = parts.next()?.parse().ok()?;
    let channels = match parts.next() {
        Some(channels) => Some(channels.parse().ok()?),
        None => None,
    };
    if encoding.is_empty() || parts.next().is_some() {
        return None;
    }
    Some(RtpMap {
        payload_type: payload_type.parse().ok()?,
        encoding,
        clock_rate,
        channels,
    })
}

impl SessionDescription {
    /// Parses a session description, CRLF or LF line ends (RFC 8866 section 5: "a parser SHOULD
    /// accept records terminated with a single newline character").
    pub fn parse(input: &str) -> Result<Self, SdpError> {
        parse_description(input)
    }

    /// Parses a message body, which must be UTF-8 (RFC 8866 section 5: the default charset).
    pub fn from_bytes(body: &[u8]) -> Result<Self, SdpError> {
        let text = std::str::from_utf8(body).map_err(|_| SdpError::Parse {
            line: 0,
            error: ParseError::NotUtf8,
        })?;
        Self::parse(text)
    }

    /// The effective direction of a media section: its own attribute, else the session's,
    /// else `sendrecv` (RFC 3264 section 5.1).
    pub fn direction_of(&self, media: &MediaDescription) -> Direction {
        media
            .direction()
            .or_else(|| direction_in(&self.attributes))
            .unwrap_or_default()
    }

    /// The effective connection of a media section: its own `c=`, else the session's.
    pub fn connection_of<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a Connection> {
        media.connection.as_ref().or(self.connection.as_ref())
    }
}

impl FromStr for SessionDescription {
    type Err = SdpError;

    fn from_str(input: &str) -> Result<Self, SdpError> {
        Self::parse(input)
    }
}

/// Session-level line types we keep verbatim, in their RFC 8866 section 5 order, with the line
/// types that come before each group: `i u e p` before `c`, `b` after `c`, `r z k` after `t`.
const SESSION_VERBATIM: &str = "iuepbrzk";
const MEDIA_VERBATIM: &str = "ibk";

fn error(line: usize, error: ParseError) -> SdpError {
    SdpError::Parse { line, error }
}

fn parse_description(input: &str) -> Result<SessionDescription, SdpError> {
    let mut lines = input
        .split('\n')
        .enumerate()
        .map(|(index, line)| (index + 1, line.strip_suffix('\r').unwrap_or(line)))
        // Blank lines (typically a trailing CRLF) carry nothing.
        .filter(|(_, line)| !line.is_empty())
        .map(|(number, line)| split_line(number, line))
        .peekable();

    let (number, version) = expect(&mut lines, 'v')?;
    if version.trim() != "0" {
        return Err(error(number, ParseError::UnsupportedVersion));
    }
    let (number, origin) = expect(&mut lines, 'o')?;
    let origin = parse_origin(origin).ok_or(error(number, ParseError::InvalidOrigin))?;
    let (number, session_name) = expect(&mut lines, 's')?;

    let mut session = SessionDescription {
        origin,
        session_name: session_name.to_owned(),
        connection: None,
        timing: Vec::new(),
        attributes: Vec::new(),
        other: Vec::new(),
        media: Vec::new(),
    };
    let mut last_number = number;

    for line in lines {
        let (number, kind, value) = line?;
        last_number = number;
        if let Some(media) = session.media.last_mut() {
            match kind {
                'm' => session.media.push(parse_media(number, value)?),
                'c' if media.connection.is_some() => {
                    return Err(error(number, ParseError::DuplicateLine('c')));
                }
                'c' => media.connection = Some(parse_connection(number, value)?),
                'a' => media.attributes.push(parse_attribute(number, value)?),
                kind if MEDIA_VERBATIM.contains(kind) => media.other.push(Line {
                    kind,
                    value: value.to_owned(),
                }),
                kind => return Err(error(number, unexpected(kind))),
            }
            continue;
        }
        match kind {
            'm' => {
                if session.timing.is_empty() {
                    return Err(error(number, ParseError::MissingLine('t')));
                }
                session.media.push(parse_media(number, value)?);
            }
            'c' if session.connection.is_some() => {
                return Err(error(number, ParseError::DuplicateLine('c')));
            }
            'c' => session.connection = Some(parse_connection(number, value)?),
            't' => session.timing.push(parse_timing(number, value)?),
            'a' => session.attributes.push(parse_attribute(number, value)?),
            kind if SESSION_VERBATIM.contains(kind) => session.other.push(Line {
                kind,
                value: value.to_owned(),
            }),
            kind => return Err(error(number, unexpected(kind))),
        }
    }
    if session.timing.is_empty() {
        return Err(error(last_number + 1, ParseError::MissingLine('t')));
    }
    Ok(session)
}

fn unexpected(kind: char) -> ParseError {
    if "vosiuepcbtrzkam".contains(kind) {
        ParseError::UnexpectedLine(kind)
    } else {
        // RFC 8866 section 5: a parser must ignore or reject a description with a type letter it
        // does not understand; we reject.
        ParseError::UnknownType(kind)
    }
}

type SplitLine<'a> = Result<(usize, char, &'a str), SdpError>;

/// `<type>=<value>` where type is one lowercase letter (RFC 8866 section 5).
fn split_line(number: usize, line: &str) -> SplitLine<'_> {
    let mut chars = line.chars();
    match (chars.next(), chars.next()) {
        (Some(kind), Some('=')) if kind.is_ascii_lowercase() => Ok((number, kind, &line[2..])),
        _ => Err(error(number, ParseError::MalformedLine)),
    }
}

fn expect<'a>(
    lines: &mut std::iter::Peekable<impl Iterator<Item = SplitLine<'a>>>,
    wanted: char,
) -> Result<(usize, &'a str), SdpError> {
    match lines.next() {
        Some(Ok((number, kind, value))) if kind == wanted => Ok((number, value)),
        Some(Ok((number, _, _))) => Err(error(number, ParseError::MissingLine(wanted))),
        Some(Err(e)) => Err(e),
        None => Err(error(0, ParseError::MissingLine(wanted))),
    }
}

fn parse_origin(value: &str) -> Option<Origin> {
    let fields: Vec<&str> = value.split_whitespace().collect();
    let [
        username,
        session_id,
        session_version,
        net_type,
        addr_type,
        address,
    ] = fields[..]
    else {
        return None;
    };
    Some(Origin {
        username: username.to_owned(),
        session_id: session_id.to_owned(),
        session_version: session_version.to_owned(),
        net_type: net_type.to_owned(),
        addr_type: addr_type.to_owned(),
        address: address.to_owned(),
    })
}

fn parse_connection(number: usize, value: &str) -> Result<Connection, SdpError> {
    let fields: Vec<&str> = value.split_whitespace().collect();
    let [net_type, addr_type, address] = fields[..] else {
        return Err(error(number, ParseError::InvalidConnection));
    };
    Ok(Connection {
        net_type: net_type.to_owned(),
        addr_type: addr_type.to_owned(),
        address: address.to_owned(),
    })
}

fn parse_timing(number: usize, value: &str) -> Result<Timing, SdpError> {
    let fields: Vec<&str> = value.split_whitespace().collect();
    let parsed = match fields[..] {
        [start, stop] => start.parse().ok().zip(stop.parse().ok()),
        _ => None,
    };
    let (start, stop) = parsed.ok_or(error(number, ParseError::InvalidTiming))?;
    Ok(Timing { start, stop })
}

fn parse_media(number: usize, value: &str) -> Result<MediaDescription, SdpError> {
    let invalid = || error(number, ParseError::InvalidMedia);
    let mut fields = value.split_whitespace();
    let media = fields.next().ok_or_else(invalid)?;
    let port_field = fields.next().ok_or_else(invalid)?;
    let protocol = fields.next().ok_or_else(invalid)?;
    let formats: Vec<String> = fields.map(str::to_owned).collect();
    if formats.is_empty() {
        return Err(invalid());
    }
    let (port, port_count) = match port_field.split_once('/') {
        Some((port, count)) => (port, Some(count.parse().map_err(|_| invalid())?)),
        None => (port_field, None),
    };
    Ok(MediaDescription {
        media: media.to_owned(),
        port: port.parse().map_err(|_| invalid())?,
        port_count,
        protocol: protocol.to_owned(),
        formats,
        connection: None,
        attributes: Vec::new(),
        other: Vec::new(),
    })
}

fn parse_attribute(number: usize, value: &str) -> Result<Attribute, SdpError> {
    let (name, value) = match value.split_once(':') {
        Some((name, value)) => (name, Some(value.to_owned())),
        None => (value, None),
    };
    // att-field is a token (RFC 8866 section 9).
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        return Err(error(number, ParseError::InvalidAttribute));
    }
    Ok(Attribute {
        name: name.to_owned(),
        value,
    })
}

/// RFC 8866 section 9 `token-char`.
fn is_token_byte(b: u8) -> bool {
    matches!(b, b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'0'..=b'9' | b'A'..=b'Z' | b'^'..=b'~')
}

impl Display for SessionDescription {
    /// Prints with CRLF line ends (RFC 8866 section 5), lines in the section 5 order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(f, "v=0\r\n")?;
        write!(
            f,
            "o={} {} {} {} {} {}\r\n",
            o.username, o.session_id, o.session_version, o.net_type, o.addr_type, o.address
        )?;
        write!(f, "s={}\r\n", self.session_name)?;
        write_verbatim(f, &self.other, "iuep")?;
        if let Some(c) = &self.connection {
            write!(f, "{c}")?;
        }
        write_verbatim(f, &self.other, "b")?;
        for t in &self.timing {
            write!(f, "t={} {}\r\n", t.start, t.stop)?;
        }
        write_verbatim(f, &self.other, "rzk")?;
        for a in &self.attributes {
            write!(f, "{a}")?;
        }
        for m in &self.media {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

impl Display for MediaDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.media, self.port)?;
        if let Some(count) = self.port_count {
            write!(f, "/{count}")?;
        }
        write!(f, " {}", self.protocol)?;
        for format in &self.formats {
            write!(f, " {format}")?;
        }
        f.write_str("\r\n")?;
        write_verbatim(f, &self.other, "i")?;
        if let Some(c) = &self.connection {
            write!(f, "{c}")?;
        }
        write_verbatim(f, &self.other, "bk")?;
        for a in &self.attributes {
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "c={} {} {}\r\n",
            self.net_type, self.addr_type, self.address
        )
    }
}

impl Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "a={}:{value}\r\n", self.name),
            None => write!(f, "a={}\r\n", self.name),
        }
    }
}

/// Writes the kept lines whose type is in `kinds`, group by group in the order of `kinds`.
fn write_verbatim(f: &mut fmt::Formatter<'_>, lines: &[Line], kinds: &str) -> fmt::Result {
    for kind in kinds.chars() {
        for line in lines.iter().filter(|l| l.kind == kind) {
            f.write_char(kind)?;
            write!(f, "={}\r\n", line.value)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_algebra() {
        use Direction::*;
        assert_eq!(SendOnly.reverse(), RecvOnly);
        assert_eq!(RecvOnly.reverse(), SendOnly);
        assert_eq!(SendRecv.reverse(), SendRecv);
        assert_eq!(Inactive.reverse(), Inactive);
        assert_eq!(SendRecv.intersect(SendOnly), SendOnly);
        assert_eq!(SendOnly.intersect(RecvOnly), Inactive);
    }

    #[test]
    fn rtpmap_forms() {
        assert_eq!(
            parse_rtpmap("0 PCMU/8000"),
            Some(RtpMap {
                payload_type: 0,
                encoding: "PCMU".into(),
                clock_rate: 8000,
                channels: None
            })
        );
        assert_eq!(
            parse_rtpmap("96 opus/48000/2").and_then(|m| m.channels),
            Some(2)
        );
        assert_eq!(parse_rtpmap("31 LPC"), None);
        assert_eq!(parse_rtpmap("x PCMU/8000"), None);
        assert_eq!(parse_rtpmap("0 PCMU/8000/1/2"), None);
    }

    #[test]
    fn token_chars() {
        assert!("rtpmap".bytes().all(is_token_byte));
        assert!("X-nat".bytes().all(is_token_byte));
        assert!(!is_token_byte(b' '));
        assert!(!is_token_byte(b':'));
    }
}
