//! What the call-control core tells the outside world: media commands and CTI events.
//! Plain Rust types; the drivers translate them to sockets and gRPC.

use std::net::SocketAddr;

use common::Pii;
use media::Codec;

/// A media leg: one RTP socket, towards the caller or towards an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u64);

impl std::fmt::Display for LegId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "leg-{}", self.0)
    }
}

/// Commands for a media leg's driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaCommand {
    /// Where to send RTP and with which payload types (from the SDP offer/answer).
    Configure {
        remote: SocketAddr,
        codec: Codec,
        payload_type: u8,
        telephone_event_pt: Option<u8>,
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
    /// Close the socket and end the leg's task.
    Close,
}

/// What a media leg reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// An RFC 4733 key press, reported once per press.
    Digit(char),
    /// The playback started with this token finished (not reported when replaced or stopped).
    PlaybackFinished { token: u64 },
}

/// How a call ended, for the call record [cartellino telefonico].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    /// An operator answered; the call ended normally afterwards.
    Answered,
    /// The caller hung up while waiting in a queue.
    AbandonedInQueue,
    /// The caller hung up while in the IVR.
    AbandonedInIvr,
    /// The IVR closed the call (too many invalid inputs, out of hours, end of script).
    ReleasedByIvr,
    /// The caller cancelled before the call was answered.
    Cancelled,
    /// A technical failure (no ACK, unusable SDP, engine shutdown).
    Failed,
}

/// The screen pop: the call is being offered to an operator.
#[derive(Debug, Clone)]
pub struct CallOffered {
    pub call_id: String,
    pub caller: Pii<String>,
    pub dialled: String,
    pub ivr_data: Vec<(String, String)>,
    pub queue: String,
    pub waited_ms: u64,
    pub agent_id: String,
    pub offered_at_unix_ms: i64,
}

/// The call record at the end of every call.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub call_id: String,
    pub caller: Pii<String>,
    pub dialled: String,
    pub ivr_data: Vec<(String, String)>,
    pub queue: Option<String>,
    pub outcome: CallOutcome,
    pub started_at_unix_ms: i64,
    pub answered_at_unix_ms: Option<i64>,
    pub ended_at_unix_ms: i64,
    pub waited_ms: u64,
    pub talk_ms: u64,
    pub agent_id: Option<String>,
}

#[derive(Debug, Clone)]
pub enum CtiEvent {
    CallOffered(CallOffered),
    CallEnded(CallRecord),
}
