//! SIP message model, parser and printer.
//!
//! CONTRACT STUB written by the lead so that `sip-transaction` and `engine` can be written in
//! parallel. The public names and signatures below are the agreed API; bodies are filled in by
//! the sip-message work. Adding items is fine; changing these signatures needs the lead.

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

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A generic `;name[=value]` parameter.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    pub display_name: Option<String>,
    pub uri: Uri,
    pub params: Vec<Param>,
}

impl NameAddr {
    pub fn tag(&self) -> Option<&str> {
        todo!()
    }
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        let _ = name;
        todo!()
    }
}

/// One Via value (RFC 3261 20.42).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// e.g. "UDP", "TCP".
    pub transport: String,
    pub host: String,
    pub port: Option<u16>,
    pub params: Vec<Param>,
}

impl Via {
    pub fn branch(&self) -> Option<&str> {
        todo!()
    }
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        let _ = name;
        todo!()
    }
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
        let _ = name;
        todo!()
    }
    /// All values of the named header, in order; comma-separated lists are NOT split here.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let _ = name;
        std::iter::empty::<&str>()
    }
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push(Header { name: name.into(), value: value.into() });
    }
    /// Replace all values of `name` with one value.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let _ = (name, value.into());
        todo!()
    }
    pub fn remove(&mut self, name: &str) {
        let _ = name;
        todo!()
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
        todo!()
    }
    fn top_via(&self) -> Result<Via, ParseError> {
        todo!()
    }
    fn from_hdr(&self) -> Result<NameAddr, ParseError> {
        todo!()
    }
    fn to_hdr(&self) -> Result<NameAddr, ParseError> {
        todo!()
    }
    fn call_id(&self) -> Result<&str, ParseError> {
        todo!()
    }
    fn cseq(&self) -> Result<CSeq, ParseError> {
        todo!()
    }
    /// Contact values; `Ok(None)` for `Contact: *`.
    fn contacts(&self) -> Result<Option<Vec<NameAddr>>, ParseError> {
        todo!()
    }
    fn max_forwards(&self) -> Result<Option<u32>, ParseError> {
        todo!()
    }
    fn expires(&self) -> Result<Option<u32>, ParseError> {
        todo!()
    }
    fn content_type(&self) -> Option<&str> {
        self.headers().get("Content-Type")
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
        let _ = (req, status, reason);
        todo!()
    }
}

impl Message {
    /// Wire form: start line, headers in order, Content-Length recomputed from `body`, CRLF, body.
    pub fn to_bytes(&self) -> Vec<u8> {
        todo!()
    }
}
impl Request {
    pub fn to_bytes(&self) -> Vec<u8> {
        todo!()
    }
}
impl Response {
    pub fn to_bytes(&self) -> Vec<u8> {
        todo!()
    }
}
impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        todo!()
    }
}
impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        todo!()
    }
}
impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        todo!()
    }
}

impl std::str::FromStr for Uri {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let _ = s;
        todo!()
    }
}
impl std::str::FromStr for NameAddr {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let _ = s;
        todo!()
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
    pub reply: Option<Box<Response>>,
}

/// Parse one complete SIP message from a datagram (RFC 3261 7 and 25; RFC 4475 behaviour).
pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
    let _ = bytes;
    todo!()
}
