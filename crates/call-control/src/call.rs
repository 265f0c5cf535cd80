//! One call's state: what every phase has in common, and the phase itself, an enum that
//! carries exactly the data valid in it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::call::CallStage;
use common::phone::CallerNumber;
use ivr::Session;
use media::Codec;
use sdp::SessionDescription;
use sip_message::Request;
use sip_transaction::{ClientTxId, Dialog, ServerTxId};

use crate::events::{CallRef, LegId, LookupId};

/// Which side of the B2BUA a message or a leg belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Caller,
    Operator,
}

/// A call's timers, as keys of the core's deadline heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum CallTimer {
    /// The caller leg's 200 OK is due (the configured answer delay).
    Answer,
    /// The IVR's digit timeout.
    Ivr,
    /// How long the IVR waits for a caller look-up before it goes on as for a guest.
    Lookup,
    /// The longest a call may last ([`crate::Limits::max_call_duration`]).
    MaxDuration,
}

#[derive(Debug)]
pub(crate) enum Phase {
    /// 180 sent; the caller's RTP leg is being opened. The answer is due at `answer_at`.
    OpeningLeg {
        offer: Box<SessionDescription>,
        answer_at: Instant,
    },
    /// 180 sent, RTP leg open; the 200 OK is due at `answer_at`.
    Ringing { answer_at: Instant },
    /// 200 OK sent; no media goes to the caller until their ACK proves the address.
    AwaitingAck,
    /// In the IVR. `deadline` is the IVR's digit timeout.
    Ivr {
        session: Box<Session>,
        deadline: Option<Instant>,
        /// The caller look-up the IVR waits for, and until when.
        lookup: Option<(LookupId, Instant)>,
    },
    /// Waiting in an ACD queue, possibly being offered to an operator.
    Queued {
        since: Instant,
        offer: Option<Offer>,
    },
    /// The queue sent the call away: a last message plays (token), then the call ends.
    Closing { token: u64 },
    /// Talking to an operator.
    Bridged {
        waited: Duration,
        operator: Box<OperatorLeg>,
        since: Instant,
    },
}

impl Phase {
    /// Before our 200 OK to the caller.
    pub(crate) fn is_unanswered(&self) -> bool {
        matches!(self, Phase::OpeningLeg { .. } | Phase::Ringing { .. })
    }

    /// The instant `timer` is armed for in this phase, if it is.
    pub(crate) fn deadline(&self, timer: CallTimer) -> Option<Instant> {
        match (self, timer) {
            (
                Phase::OpeningLeg { answer_at, .. } | Phase::Ringing { answer_at },
                CallTimer::Answer,
            ) => Some(*answer_at),
            (Phase::Ivr { deadline, .. }, CallTimer::Ivr) => *deadline,
            (
                Phase::Ivr {
                    lookup: Some((_, at)),
                    ..
                },
                CallTimer::Lookup,
            ) => Some(*at),
            _ => None,
        }
    }

    /// The operator leg, ringing or answered.
    pub(crate) fn operator_leg(&self) -> Option<OperatorRef<'_>> {
        match self {
            Phase::Queued {
                offer: Some(offer), ..
            } => Some(OperatorRef {
                tx: match &offer.state {
                    OfferState::OpeningLeg | OfferState::Browser => None,
                    OfferState::Ringing { tx, .. } => Some(*tx),
                },
                dialog: None,
            }),
            Phase::Bridged { operator, .. } => Some(OperatorRef {
                tx: operator.sip.as_ref().map(|s| s.tx),
                dialog: operator.sip.as_ref().map(|s| &s.dialog),
            }),
            _ => None,
        }
    }
}

/// A borrowed view of the operator leg's SIP side, whatever its phase.
pub(crate) struct OperatorRef<'a> {
    pub tx: Option<ClientTxId>,
    pub dialog: Option<&'a Dialog>,
}

/// The ACD offered the call to an operator.
#[derive(Debug)]
pub(crate) struct Offer {
    pub agent: String,
    pub leg: LegId,
    pub waited: Duration,
    pub state: OfferState,
}

#[derive(Debug)]
pub(crate) enum OfferState {
    /// The operator leg's RTP socket is being opened; no INVITE yet.
    OpeningLeg,
    /// INVITE sent; the phone rings.
    Ringing {
        tx: ClientTxId,
        invite: Box<Request>,
        dest: SocketAddr,
    },
    /// The operator's browser softphone rings (the screen pop is the ring): no SIP, no leg
    /// to open; the page answers or rejects through the CRM.
    Browser,
}

/// The operator's answered leg.
#[derive(Debug)]
pub(crate) struct OperatorLeg {
    pub agent: String,
    pub leg: LegId,
    /// The SIP phone's side; `None` for a browser softphone (its leg outlives the call).
    pub sip: Option<SipOperatorLeg>,
}

/// An answered SIP phone's dialog.
#[derive(Debug)]
pub(crate) struct SipOperatorLeg {
    /// The INVITE transaction, to recognise retransmitted 2xx (RFC 3261 13.2.2.4).
    pub tx: ClientTxId,
    pub dest: SocketAddr,
    pub dialog: Dialog,
}

#[derive(Debug)]
pub(crate) struct Call {
    pub id: acd::CallId,
    pub call_ref: CallRef,
    pub sip_call_id: String,
    pub caller: CallerNumber,
    pub dialled: String,
    pub invite_tx: ServerTxId,
    pub invite: Box<Request>,
    pub source: SocketAddr,
    /// The caller's dialog, once we answered.
    pub dialog: Option<Dialog>,
    /// The caller's media leg.
    pub leg: LegId,
    /// Our SDP answer (empty until the leg is open): re-INVITEs get it again.
    pub answer_sdp: Vec<u8>,
    /// The caller's negotiated codec and telephone-event payload type: the operator leg is
    /// offered exactly these, since RTP is relayed packet for packet.
    pub codec: Codec,
    pub telephone_event_pt: Option<u8>,
    pub phase: Phase,
    /// The token of the playback whose end the core waits for.
    pub play_token: u64,
    /// What the IVR learned, as last reported in a fact.
    pub ivr_data: Vec<(String, String)>,
    /// The furthest stage reached.
    pub stage: CallStage,
    pub queue: Option<String>,
    pub started_unix_ms: i64,
    pub offered_unix_ms: Option<i64>,
    pub answered_unix_ms: Option<i64>,
    /// The number of the SR the CRM opened for the call, once it said so.
    pub service_request: Option<String>,
    /// A script of the call's own instead of the IVR's (feature codes).
    pub script: Option<std::sync::Arc<ivr::Script>>,
    /// When the call reaches its longest duration.
    pub ends_by: std::time::Instant,
}
