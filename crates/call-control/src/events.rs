//! What the call-control core exchanges with its driver: media legs and their commands, and the
//! facts of each call. Plain Rust types; the drivers translate them to sockets, the outbox and
//! gRPC.

use std::fmt;
use std::net::SocketAddr;

use common::call::{CallOutcome, CallStage, EndReason};
use common::phone::CallerNumber;
use media::Codec;
use serde::{Deserialize, Serialize};

/// A media leg: one RTP socket, towards the caller or towards an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u64);

impl fmt::Display for LegId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "leg-{}", self.0)
    }
}

/// A caller look-up the core asked for ([`crate::Output::IdentifyCaller`]): answer it with
/// [`crate::CallControl::handle_identified`], quoting this id. An answer that comes after the
/// core gave up waiting (or after the call ended) is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LookupId {
    pub(crate) call: acd::CallId,
    pub(crate) n: u64,
}

impl fmt::Display for LookupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lookup-{}-{}", self.call, self.n)
    }
}

/// The engine's own call ID: unique across calls and restarts, whatever Call-ID the caller's
/// phone chose. The service request keys on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallRef(pub String);

impl fmt::Display for CallRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Commands for a media leg's driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaCommand {
    /// Where to send RTP and with which payload types (from the SDP offer/answer). Nothing is
    /// sent before a `Play` or a `Bridge`, which the core only gives once the address is
    /// proven (the caller's ACK, the operator's answer).
    Configure {
        remote: SocketAddr,
        codec: Codec,
        payload_type: u8,
        telephone_event_pt: Option<u8>,
        /// The peer looks to be behind NAT (its SDP address is not where its SIP came
        /// from): answer RTP where it really comes from once latched (symmetric RTP,
        /// RFC 4961), not where the SDP says.
        symmetric: bool,
    },
    /// Play these prompts in sequence, replacing whatever plays, then loop `then_loop` (hold
    /// music) if given, else report [`MediaEvent::PlaybackFinished`] with `token`.
    Play {
        prompts: Vec<String>,
        then_loop: Option<String>,
        token: u64,
    },
    /// Stop playing (barge-in, or the call was answered by an operator).
    StopPlayback,
    /// Relay every RTP packet received on this leg to `peer`'s remote, as received.
    Bridge { peer: LegId },
    /// Close the socket and end the leg.
    Close,
}

/// What a media leg reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// An RFC 4733 key press, reported once per press.
    Digit(char),
    /// The playback started with this token finished (not reported when replaced or stopped).
    PlaybackFinished { token: u64 },
    /// The leg's phone has sent no RTP for [`crate::Limits::rtp_timeout`] (reported once per
    /// silence).
    Inactive,
    /// A browser softphone's leg: ICE and DTLS are up, audio can flow both ways.
    Connected,
    /// A browser softphone's leg ended: the page hung up, or the browser stopped answering
    /// (or never connected) and the session timed out.
    Closed,
}

/// The answer to [`crate::Output::OpenLeg`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegOpened {
    /// The leg's socket is bound at this address (what SDP advertises).
    Bound(SocketAddr),
    /// No socket could be had; the reason is logged.
    Failed(String),
}

/// An operator phone's registration as it is kept across restarts (wall-clock expiry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBinding {
    /// The Contact as registered (a name-addr).
    pub contact: String,
    /// Where the REGISTER came from (behind NAT: where to send).
    pub source: SocketAddr,
    pub expires_at_unix_ms: i64,
    pub call_id: String,
    pub cseq: u32,
}

/// A call arrived and was accepted (the caller hears ringing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallArrived {
    pub call: CallRef,
    /// The caller's own Call-ID, for tracing only (at most [`crate::MAX_CALL_ID_LEN`] bytes).
    pub sip_call_id: String,
    /// As received, and in E.164 where it could be normalised. Personal data.
    pub caller: CallerNumber,
    pub dialled: String,
    pub at_unix_ms: i64,
}

/// The screen pop: the call is being offered to an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallOffered {
    pub call: CallRef,
    /// As received, and in E.164 where it could be normalised. Personal data.
    pub caller: CallerNumber,
    pub dialled: String,
    pub ivr_data: Vec<(String, String)>,
    pub queue: String,
    pub waited_ms: u64,
    pub agent_id: String,
    pub offered_at_unix_ms: i64,
}

/// The call record [cartellino telefonico] at the end of every call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub call: CallRef,
    pub sip_call_id: String,
    /// As received, and in E.164 where it could be normalised. Personal data.
    pub caller: CallerNumber,
    pub dialled: String,
    pub ivr_data: Vec<(String, String)>,
    pub queue: Option<String>,
    pub outcome: CallOutcome,
    pub end_reason: EndReason,
    /// How far the call got.
    pub stage: CallStage,
    pub started_at_unix_ms: i64,
    /// The first offer to an operator, if any.
    pub offered_at_unix_ms: Option<i64>,
    pub answered_at_unix_ms: Option<i64>,
    pub ended_at_unix_ms: i64,
    /// Time in queue; `None` if the call never reached a queue.
    pub waited_ms: Option<u64>,
    /// Time talking to the operator; `None` if no operator answered.
    pub talk_ms: Option<u64>,
    /// The operator who answered, if any.
    pub agent_id: Option<String>,
}

/// The facts of a call, in the order they happen. The driver makes each one durable (the
/// outbox) before it carries out the outputs that follow it, and delivers them to the CRM.
///
/// Serialised (JSON, tagged by `fact`) into the engine's outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum CallFact {
    Arrived(CallArrived),
    /// The call reached a new stage or the IVR learned something: what a restart needs to
    /// close the call truthfully if the engine dies now.
    Progress {
        call: CallRef,
        stage: CallStage,
        ivr_data: Vec<(String, String)>,
        queue: Option<String>,
        at_unix_ms: i64,
    },
    Offered(CallOffered),
    Answered {
        call: CallRef,
        agent_id: String,
        at_unix_ms: i64,
    },
    Ended(CallRecord),
}

impl CallFact {
    pub fn call(&self) -> &CallRef {
        match self {
            CallFact::Arrived(a) => &a.call,
            CallFact::Progress { call, .. } | CallFact::Answered { call, .. } => call,
            CallFact::Offered(o) => &o.call,
            CallFact::Ended(r) => &r.call,
        }
    }
}
