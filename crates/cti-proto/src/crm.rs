//! The CRM's own gRPC API, generated from `proto/crm.proto` (package `centralino.crm.v1`):
//! service requests, their cases and the customer directory, for the operators' desktops,
//! integrations and the engine's IVR.
//!
//! It lives in this crate beside the CTI contract because the engine is one of its clients
//! (the IVR checks a caller's PIN with [`v1::crm_client::CrmClient::verify_customer_pin`],
//! with its service credential): the telephony and CRM halves keep meeting only here. The
//! contract reuses the CTI's wire enums (`ServiceRequestState`, `CallOutcome`, ...), so each
//! fact has one wire type.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use cti_proto::crm::{self, LoginRequest, ListServiceRequestsRequest};
//!
//! // Log in (no token yet), then call with the session token.
//! let mut anonymous = crm::connect("http://127.0.0.1:50051", None).await?;
//! let login = anonymous
//!     .login(LoginRequest { login: "anna".into(), password: "anna-password".into() })
//!     .await?
//!     .into_inner();
//! let mut anna = crm::connect("http://127.0.0.1:50051", Some(login.token)).await?;
//! let page = anna
//!     .list_service_requests(ListServiceRequestsRequest { page_size: 20, ..Default::default() })
//!     .await?
//!     .into_inner();
//! println!("{} SRs, more: {}", page.service_requests.len(), !page.next_page_token.is_empty());
//! # Ok(()) }
//! ```

use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel as GrpcChannel;

use crate::{BearerToken, ClientError};

/// Everything generated from `proto/crm.proto`.
pub mod v1 {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("centralino.crm.v1");
}

pub use v1::crm_client;
pub use v1::crm_server;
pub use v1::*;

/// Largest request the CRM accepts: the same bound as the CTI's messages.
pub const MAX_REQUEST_BYTES: usize = crate::MAX_MESSAGE_BYTES;

/// Largest answer the CRM sends, and tonic's default limit for decoding one, so that any
/// standard client reads every answer. The page maxima of `crm.proto` keep a page below it
/// even when every field is at its limit.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// The generated client with a bearer token on every call.
pub type Client = crm_client::CrmClient<InterceptedService<GrpcChannel, BearerToken>>;

/// Connects to the CRM's gRPC address (`http://HOST:PORT`); every call carries `token` (a
/// staff session token, or the engine's service credential) as `authorization: Bearer`.
pub async fn connect(url: impl Into<String>, token: Option<String>) -> Result<Client, ClientError> {
    let channel = tonic::transport::Endpoint::from_shared(url.into())?
        .connect_timeout(crate::CtiClient::CONNECT_TIMEOUT)
        .connect()
        .await?;
    Ok(with_channel(channel, BearerToken::new(token)?))
}

/// Like [`connect`], but connects on first use and reconnects after failures (the engine may
/// start before the CRM). Every call times out after [`crate::CtiClient::REQUEST_TIMEOUT`].
pub fn connect_lazy(url: impl Into<String>, token: Option<String>) -> Result<Client, ClientError> {
    let channel = tonic::transport::Endpoint::from_shared(url.into())?
        .connect_timeout(crate::CtiClient::CONNECT_TIMEOUT)
        .timeout(crate::CtiClient::REQUEST_TIMEOUT)
        .connect_lazy();
    Ok(with_channel(channel, BearerToken::new(token)?))
}

/// The client over an existing channel.
pub fn with_channel(channel: GrpcChannel, token: BearerToken) -> Client {
    crm_client::CrmClient::with_interceptor(channel, token)
        .max_decoding_message_size(MAX_RESPONSE_BYTES)
        .max_encoding_message_size(MAX_REQUEST_BYTES)
}
