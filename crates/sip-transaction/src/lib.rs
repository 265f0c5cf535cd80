//! Sans-IO SIP endpoint: transactions (RFC 3261 17, RFC 6026), dialogs (RFC 3261 12), digest
//! authentication (RFC 2617, RFC 8760) and a registrar (RFC 3261 10.3).
//!
//! Nothing here reads a clock, opens a socket or spawns a task: the driver passes the current
//! [`Instant`](std::time::Instant) and the datagrams in (`handle_*`), drains
//! [`Endpoint::poll_output`] until it returns `None`, and sleeps until
//! [`Endpoint::poll_timeout`] or the next datagram: the one driving idiom of every centralino
//! core.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sip_transaction::{Endpoint, EndpointConfig, Event, Output};
//!
//! let local = "127.0.0.1:5060".parse().unwrap();
//! let mut ep = Endpoint::new(EndpointConfig::new(local, "centralino"), 7);
//! let mut now = Instant::now(); // the driver's clock; the endpoint never reads one
//!
//! // A datagram arrived (here: garbage, which is counted and dropped).
//! ep.handle_datagram(now, "192.0.2.1:5060".parse().unwrap(), b"not sip");
//! while let Some(output) = ep.poll_output() {
//!     match output {
//!         Output::Transmit { to, bytes } => { /* socket.send_to(&bytes, to) */ let _ = (to, bytes); }
//!         Output::Event(Event::IncomingRequest { tx, request, .. }) => {
//!             let _ = (tx, request); // hand to the call logic, which calls ep.respond(..)
//!         }
//!         Output::Event(_) => {}
//!     }
//! }
//! // Sleep until `ep.poll_timeout()` (or the next datagram), then:
//! let _next = ep.poll_timeout();
//! now += Duration::from_millis(500);
//! ep.handle_timeout(now);
//! assert_eq!(ep.stats().malformed_dropped, 1);
//! ```
//!
//! The call logic (the TU) owns [`Dialog`]s, builds requests with [`Dialog::new_request`] and
//! sends them with [`Endpoint::send_request`]; the endpoint owns retransmissions, including
//! the 2xx-until-ACK loop of RFC 3261 13.3.1.4.
#![forbid(unsafe_code)]

mod auth_guard;
mod deadlines;
pub mod dialog;
pub mod digest;
mod endpoint;
pub mod options;
pub mod registrar;
mod util;

pub use dialog::{Dialog, DialogError, DialogId, DialogState};
pub use endpoint::{
    ClientTxId, Endpoint, EndpointConfig, EndpointStats, Event, Output, ServerTxId,
};
pub use registrar::{
    AuthVerdict, Binding, BindingChange, LockoutPolicy, PasswordLookup, RegisterOutcome, Registrar,
    RegistrarConfig,
};

use sip_message::ParseError;

/// Misuse of the endpoint API. Remote input never produces these: it is answered or dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("unknown or terminated transaction")]
    UnknownTransaction,
    #[error("a final response was already sent")]
    FinalAlreadySent,
    #[error("status code {0} is outside 100-699")]
    InvalidStatus(u16),
    #[error("ack for a 2xx is sent with send_ack_2xx, outside transactions")]
    AckIsNotATransaction,
    #[error("cancel is sent with Endpoint::cancel")]
    UseCancel,
    #[error("cseq method does not match the request method")]
    CSeqMethodMismatch,
    #[error("malformed message: {0}")]
    Message(#[from] ParseError),
}
