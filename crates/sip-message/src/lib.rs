//! SIP message model, parser and printer (RFC 3261 sections 7, 19, 20 and 25).
//!
//! [`parse`] turns one datagram into a [`Message`] and checks everything the typed accessors
//! of [`SipHeaders`] read, so they do not fail on a parsed message. A request that cannot be
//! parsed but can still be answered comes back with a ready reply in [`ParseError::reply`].
//! `to_bytes` prints the wire form with a recomputed Content-Length. The crate does no I/O.
//!
//! ```
//! use sip_message::{parse, Message, Response, SipHeaders};
//!
//! let datagram = b"OPTIONS sip:desk@example.com SIP/2.0\r\n\
//!     v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK74bf9\r\n\
//!     Max-Forwards: 70\r\n\
//!     f: \"Alice\" <sip:alice@example.com>;tag=9fxced76sl\r\n\
//!     t: <sip:desk@example.com>\r\n\
//!     i: 3848276298220188511@192.0.2.1\r\n\
//!     CSeq: 1 OPTIONS\r\n\
//!     l: 0\r\n\r\n";
//!
//! let Message::Request(request) = parse(datagram).expect("a valid OPTIONS") else {
//!     unreachable!("the start line is a request line")
//! };
//! assert_eq!(request.top_via()?.branch(), Some("z9hG4bK74bf9"));
//! assert_eq!(request.from_hdr()?.display_name.as_deref(), Some("Alice"));
//!
//! let mut ok = Response::for_request(&request, 200, "OK");
//! ok.headers.push("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS");
//! let wire = ok.to_bytes();
//! assert!(wire.starts_with(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1:5060"));
//! assert_eq!(parse(&wire)?.call_id()?, "3848276298220188511@192.0.2.1");
//!
//! // A broken request that can still be answered carries its 400.
//! let broken = b"INVITE sip:desk@example.com SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\n\r\n";
//! let error = parse(broken).unwrap_err();
//! assert_eq!(error.reply.map(|r| r.status), Some(400));
//! # Ok::<(), sip_message::ParseError>(())
//! ```

mod chars;
mod header;
mod parser;
mod uri;

pub use parser::stream_message_len;

use std::fmt;

/// SIP request methods. Unknown extension methods are kept verbatim (RFC 3261 7.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Options,
    Register,
    Info,
    Update,
    Prack,
    Subscribe,
    Notify,
    Refer,
    Message,
    Other(String),
}

impl Method {
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Register => "REGISTER",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Refer => "REFER",
            Method::Message => "MESSAGE",
            Method::Other(s) => s,
        }
    }
}

impl Method {
    /// Maps a method token to the enum; case-sensitive, since methods are (RFC 3261 7.1).
    /// The caller vouches that `token` is a `token`.
    pub fn from_token(token: &str) -> Method {
        match token {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "REGISTER" => Method::Register,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "SUBSCRIBE" => Method::Subscribe,
            "NOTIFY" => Method::Notify,
            "REFER" => Method::Refer,
            "MESSAGE" => Method::Message,
            other => Method::Other(other.to_owned()),
        }
    }
}

impl std::str::FromStr for Method {
    type Err = ParseError;
    /// Like [`Method::from_token`], but refuses anything that is not a `token`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if chars::is_token_str(s) {
            Ok(Method::from_token(s))
        } else {
            Err(ParseError::new("invalid method"))
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A generic `;name[=value]` parameter. In URIs names and values are unescaped; in header
/// values (Via, From, To, Contact...) they are kept as written, a quoted-string with its quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub value: Option<String>,
}

/// A SIP or SIPS URI (RFC 3261 19.1). Other schemes (tel:, im:, http:) are kept raw in `Uri::Other`
/// where the grammar allows an absoluteURI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    Sip(SipUri),
    Other { scheme: String, rest: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    pub secure: bool,
    /// User part, with escapes already decoded.
    pub user: Option<String>,
    pub password: Option<String>,
    /// Host name, IPv4 literal, or IPv6 reference including the brackets.
    pub host: String,
    pub port: Option<u16>,
    pub params: Vec<Param>,
    /// `?name=value` URI headers.
    pub headers: Vec<(String, String)>,
}

/// `name-addr` or `addr-spec` with header parameters, as in From, To, Contact, Route.
/// `display_name` holds the unquoted, unescaped text. Printing always uses the name-addr form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    pub display_name: Option<String>,
    pub uri: Uri,
    pub params: Vec<Param>,
}

impl NameAddr {
    /// Parses one `name-addr` or `addr-spec` with parameters, as a Contact value holds it.
    pub fn parse(value: &str) -> Result<NameAddr, ParseError> {
        let mut out = Vec::new();
        header::parse_list(value, header::parse_name_addr, &mut out)
            .map_err(|_| ParseError::new("invalid name-addr"))?;
        match <[NameAddr; 1]>::try_from(out) {
            Ok([one]) => Ok(one),
            Err(_) => Err(ParseError::new("expected exactly one name-addr")),
        }
    }
}

/// One Via value (RFC 3261 20.42).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// e.g. "UDP", "TCP"; uppercased on parse.
    pub transport: String,
    pub host: String,
    pub port: Option<u16>,
    pub params: Vec<Param>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

/// One header line. `name` is the long form as it should be printed (compact forms such as
/// `v`, `i`, `f` are expanded on parse); lookups are case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// Headers in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers(pub Vec<Header>);

impl Headers {
    /// First value of the named header (case-insensitive, compact forms accepted).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|h| header::names_match(&h.name, name))
            .map(|h| h.value.as_str())
    }
    /// All values of the named header, in order; comma-separated lists are NOT split here.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |h| header::names_match(&h.name, name))
            .map(|h| h.value.as_str())
    }
    /// True if at least one header of that name is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    /// All headers in wire order.
    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.0.iter()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push(Header {
            name: name.into(),
            value: value.into(),
        });
    }
    /// Replace all values of `name` with one value.
    /// The first one keeps its position; without one, the header is appended.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self
            .0
            .iter()
            .position(|h| header::names_match(&h.name, name))
        {
            Some(i) => {
                self.0[i].value = value;
                let mut index = 0;
                self.0.retain(|h| {
                    index += 1;
                    index - 1 <= i || !header::names_match(&h.name, name)
                });
            }
            None => self.push(name, value),
        }
    }
    /// Removes every header of that name (case-insensitive, compact forms accepted).
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|h| !header::names_match(&h.name, name));
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub headers: Headers,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

/// Typed access to the headers every transaction needs. Implemented by Request, Response and
/// Message. After a successful [`parse`] these never fail for the mandatory headers.
pub trait SipHeaders {
    fn headers(&self) -> &Headers;
    fn headers_mut(&mut self) -> &mut Headers;
    /// All Via values, top first, with comma-separated values split.
    fn vias(&self) -> Result<Vec<Via>, ParseError> {
        let mut out = Vec::new();
        for v in self.headers().get_all("Via") {
            header::parse_list(v, header::parse_via, &mut out)
                .map_err(|_| ParseError::new("invalid via header"))?;
        }
        Ok(out)
    }
    fn top_via(&self) -> Result<Via, ParseError> {
        let first = self
            .headers()
            .get("Via")
            .ok_or_else(|| ParseError::new("missing via header"))?;
        let mut c = chars::Cursor::new(first);
        header::parse_via(&mut c).map_err(|_| ParseError::new("invalid via header"))
    }
    // The name is part of the agreed API; it reads the From header, it does not convert.
    #[allow(clippy::wrong_self_convention)]
    fn from_hdr(&self) -> Result<NameAddr, ParseError> {
        name_addr_header(
            self.headers(),
            "From",
            "missing from header",
            "invalid from header",
        )
    }
    fn to_hdr(&self) -> Result<NameAddr, ParseError> {
        name_addr_header(
            self.headers(),
            "To",
            "missing to header",
            "invalid to header",
        )
    }
    fn call_id(&self) -> Result<&str, ParseError> {
        self.headers()
            .get("Call-ID")
            .ok_or_else(|| ParseError::new("missing call-id header"))
    }
    fn cseq(&self) -> Result<CSeq, ParseError> {
        let value = self
            .headers()
            .get("CSeq")
            .ok_or_else(|| ParseError::new("missing cseq header"))?;
        header::parse_cseq(value).map_err(|_| ParseError::new("invalid cseq header"))
    }
    /// Contact values; `Ok(None)` for `Contact: *`.
    fn contacts(&self) -> Result<Option<Vec<NameAddr>>, ParseError> {
        let mut out = Vec::new();
        for v in self.headers().get_all("Contact") {
            if v == "*" {
                return Ok(None);
            }
            header::parse_list(v, header::parse_name_addr, &mut out)
                .map_err(|_| ParseError::new("invalid contact header"))?;
        }
        Ok(Some(out))
    }
    fn max_forwards(&self) -> Result<Option<u32>, ParseError> {
        self.headers()
            .get("Max-Forwards")
            .map(|v| {
                v.parse::<u8>()
                    .map(u32::from)
                    .map_err(|_| ParseError::new("invalid max-forwards header"))
            })
            .transpose()
    }
    /// `Expires` in seconds; values beyond 2^32-1 saturate. Not checked by [`parse`]: RFC 3261
    /// 10.3 step 7 and RFC 4475 3.1.2.4 let a registrar treat a malformed value as 3600.
    fn expires(&self) -> Result<Option<u32>, ParseError> {
        self.headers()
            .get("Expires")
            .map(|v| header::parse_delta_seconds(v).map_err(ParseError::new))
            .transpose()
    }
    /// Route values in order (RFC 3261 20.34).
    fn routes(&self) -> Result<Vec<NameAddr>, ParseError> {
        name_addr_list(self.headers(), "Route")
    }
    /// Record-Route values in order (RFC 3261 20.30).
    fn record_routes(&self) -> Result<Vec<NameAddr>, ParseError> {
        name_addr_list(self.headers(), "Record-Route")
    }
    fn content_type(&self) -> Option<&str> {
        self.headers().get("Content-Type")
    }
}

fn name_addr_header(
    headers: &Headers,
    name: &str,
    missing: &'static str,
    invalid: &'static str,
) -> Result<NameAddr, ParseError> {
    let value = headers.get(name).ok_or_else(|| ParseError::new(missing))?;
    header::parse_single(value, header::parse_name_addr).map_err(|_| ParseError::new(invalid))
}

fn name_addr_list(headers: &Headers, name: &str) -> Result<Vec<NameAddr>, ParseError> {
    let mut out = Vec::new();
    for v in headers.get_all(name) {
        header::parse_list(v, header::parse_name_addr, &mut out)
            .map_err(|_| ParseError::new("invalid route header"))?;
    }
    Ok(out)
}

impl SipHeaders for Message {
    fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }
    fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }
}

impl SipHeaders for Request {
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }
}
impl SipHeaders for Response {
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }
}

impl Response {
    /// A response to `req` per RFC 3261 8.2.6.2: copies Via (all), From, To, Call-ID, CSeq,
    /// sets Content-Length: 0. Adds nothing else (the caller adds a To tag where needed).
    pub fn for_request(req: &Request, status: u16, reason: &str) -> Response {
        let mut headers = Headers(Vec::with_capacity(8));
        for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
            for h in req
                .headers
                .0
                .iter()
                .filter(|h| header::names_match(&h.name, name))
            {
                headers.0.push(Header {
                    name: name.to_owned(),
                    value: h.value.clone(),
                });
            }
        }
        headers.push("Content-Length", "0");
        Response {
            status,
            reason: reason.to_owned(),
            headers,
            body: Vec::new(),
        }
    }

    /// A response with no headers, for building by hand.
    pub fn new(status: u16, reason: impl Into<String>) -> Response {
        Response {
            status,
            reason: reason.into(),
            headers: Headers::default(),
            body: Vec::new(),
        }
    }
}

impl Request {
    /// A request with no headers, for building by hand.
    pub fn new(method: Method, uri: Uri) -> Request {
        Request {
            method,
            uri,
            headers: Headers::default(),
            body: Vec::new(),
        }
    }
}

/// Writes headers and body; Content-Length is printed where the first one was (or last) with
/// the body's length. CR and LF inside names or values are printed as spaces so a value can
/// never smuggle in a header line.
fn write_rest(out: &mut Vec<u8>, headers: &Headers, body: &[u8]) {
    let clean = |out: &mut Vec<u8>, s: &str| {
        out.extend(
            s.bytes()
                .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
    };
    let mut length_written = false;
    for h in &headers.0 {
        if header::names_match(&h.name, "Content-Length") {
            if !length_written {
                out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
                length_written = true;
            }
            continue;
        }
        clean(out, &h.name);
        out.extend_from_slice(b": ");
        clean(out, &h.value);
        out.extend_from_slice(b"\r\n");
    }
    if !length_written {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

fn estimated_len(headers: &Headers, body: &[u8]) -> usize {
    128 + body.len()
        + headers
            .0
            .iter()
            .map(|h| h.name.len() + h.value.len() + 4)
            .sum::<usize>()
}

impl Message {
    /// Wire form: start line, headers in order, Content-Length recomputed from `body`, CRLF, body.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
    pub fn as_request(&self) -> Option<&Request> {
        match self {
            Message::Request(r) => Some(r),
            Message::Response(_) => None,
        }
    }
    pub fn as_response(&self) -> Option<&Response> {
        match self {
            Message::Request(_) => None,
            Message::Response(r) => Some(r),
        }
    }
    pub fn body(&self) -> &[u8] {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }
}
impl Request {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(estimated_len(&self.headers, &self.body));
        // Method and URI are printed from validated parts (Other schemes excepted), still
        // CR and LF are blanked so nothing can break out of the start line.
        let line = format!("{} {} SIP/2.0", self.method, self.uri);
        out.extend(
            line.bytes()
                .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        out.extend_from_slice(b"\r\n");
        write_rest(&mut out, &self.headers, &self.body);
        out
    }
}
impl Response {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(estimated_len(&self.headers, &self.body));
        out.extend_from_slice(format!("SIP/2.0 {} ", self.status).as_bytes());
        out.extend(
            self.reason
                .bytes()
                .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        out.extend_from_slice(b"\r\n");
        write_rest(&mut out, &self.headers, &self.body);
        out
    }
}

impl std::str::FromStr for Uri {
    type Err = ParseError;
    /// Any URI a name-addr may hold (SIP, SIPS with `?headers`, or an absoluteURI).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uri::parse_uri(s, uri::UriContext::Bracketed).map_err(ParseError::new)
    }
}

/// The usual reason phrase for a status code (RFC 3261 21 and common extensions).
pub fn default_reason(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        493 => "Undecipherable",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => "Unknown",
    }
}

/// Why a datagram is not a valid SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseError {
    /// Lowercase, no trailing punctuation, e.g. "missing call-id header".
    pub reason: String,
    /// A ready `400 Bad Request` when the input was a request whose Via, From, To, Call-ID and
    /// CSeq could still be read (RFC 3261 21.4.1); `None` means drop the datagram (responses,
    /// or requests too broken to answer).
    ///
    /// In detail: present for any request other than ACK in which at least one Via and a CSeq
    /// line can be found (read loosely, as text); From, To and Call-ID are copied when present
    /// (RFC 4475 3.3.1 asks for a 400 even when they are missing), the To gets a tag derived
    /// from the request, and Content-Length is 0. The status is 400, except 505 for another SIP
    /// version (RFC 4475 3.1.2.16) and 501 for an unknown method whose CSeq does not match
    /// (RFC 4475 3.1.2.18). The top Via may itself be the broken part: a driver that cannot
    /// read it answers to the datagram's source address.
    pub reply: Option<Box<Response>>,
}

impl ParseError {
    /// An error without a reply.
    pub fn new(reason: impl Into<String>) -> ParseError {
        ParseError {
            reason: reason.into(),
            reply: None,
        }
    }
}

/// Parse one complete SIP message from a datagram (RFC 3261 7 and 25; RFC 4475 behaviour).
///
/// The bytes are one datagram (or one message already framed by a stream transport): the
/// body is cut to Content-Length, or is the rest of the datagram without one (RFC 3261 18.3).
pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
    parser::parse(bytes)
}
