//! Answering OPTIONS (RFC 3261 11.2).

use sip_message::{Method, Request, Response};

/// Methods a centralino B2BUA handles.
pub const DEFAULT_ALLOW: &[Method] = &[
    Method::Invite,
    Method::Ack,
    Method::Cancel,
    Method::Bye,
    Method::Options,
    Method::Register,
    Method::Info,
];

/// Body types we accept.
pub const DEFAULT_ACCEPT: &[&str] = &["application/sdp"];

/// A `200 OK` to an OPTIONS request with `Allow`, `Accept` and `Supported` (RFC 3261 11.2).
/// The To tag is added by [`Endpoint::respond`](crate::Endpoint::respond).
pub fn options_response(
    request: &Request,
    allow: &[Method],
    accept: &[&str],
    supported: &[&str],
) -> Response {
    let mut response = Response::for_request(request, 200, "OK");
    let allow: Vec<&str> = allow.iter().map(Method::as_str).collect();
    response.headers.push("Allow", allow.join(", "));
    response.headers.push("Accept", accept.join(", "));
    response.headers.push("Supported", supported.join(", "));
    response
}
