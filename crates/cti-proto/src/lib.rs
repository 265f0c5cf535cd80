//! gRPC contract of the CTI link between the engine and the CRM, generated from
//! `proto/cti.proto` (package `centralino.cti.v1`).
//!
//! The engine reports the facts of every call in order ([`CallArrived`], [`CallOffered`] for
//! the screen pop, [`CallAnswered`], and the [`CallRecord`] at the end); the CRM keeps one
//! call record and opens exactly one service request per call ID. Every RPC is idempotent, so
//! the engine may retry it.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use cti_proto::{CallOffered, CtiClient, IvrDatum};
//!
//! let cti = CtiClient::connect("http://127.0.0.1:50051", Some("engine-secret".into())).await?;
//! let pop = cti
//!     .report_call_offered(CallOffered {
//!         call_id: "cn-mwm0nk74-000001".into(),
//!         caller_number: "+390551234567".into(),
//!         dialled_number: "800123456".into(),
//!         channel: "phone".into(),
//!         ivr_data: vec![IvrDatum::new("service_area", "2")],
//!         queue: "technology".into(),
//!         waited_ms: 12_000,
//!         agent_id: "op-7".into(),
//!         offered_at_unix_ms: 1_767_225_600_000,
//!         ..Default::default()
//!     })
//!     .await?;
//! println!("screen pop for {}", pop.service_request.map(|sr| sr.number).unwrap_or_default());
//! # Ok(()) }
//! ```
//!
//! The server side is [`cti_server::Cti`], implemented by the `crm` crate. The call outcome,
//! end reason and stage are [`common::call`]'s enums; the conversions to and from the wire
//! enums live here, once.

use std::fmt;
use std::time::Duration;

use common::call;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub mod crm;
mod crm_debug;

/// Everything generated from `proto/cti.proto`.
pub mod v1 {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("centralino.cti.v1");
}

pub use v1::cti_client;
pub use v1::cti_server;
pub use v1::{
    CallAnswered, CallArrived, CallFactAck, CallOffered, CallOutcome, CallRecord, CallStage,
    DayFigures, EndReason, IvrDatum, LiveView, OperatorCounts, OperatorLive, QueueLive, ScreenPop,
    ServiceLevel, ServiceRequest, ServiceRequestState, WaitingCaller,
};

/// `crm.proto` imports `cti.proto`: the generated code of `centralino.crm.v1` names the CTI's
/// types by the path of their package relative to its own (`super::super::cti::v1`).
mod cti {
    pub use super::v1;
}

/// The encoded descriptors of every contract (`proto/cti.proto` and `proto/crm.proto`), for
/// gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("cti_descriptor");

/// The default channel of a call, used when a message leaves `channel` empty.
pub const CHANNEL_PHONE: &str = "phone";

/// Largest message either side accepts (the limits in `cti.proto` fit far below it), but
/// for the live view.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Largest live view the CRM accepts (`PublishLiveView`): about 5,000 operators and 500
/// queues with their first waiting callers. The CTI server decodes up to this; every call
/// fact is still checked against its own field limits.
pub const MAX_LIVE_VIEW_BYTES: usize = 1024 * 1024;

/// Largest recording an administrator uploads as a prompt (`PutPrompt.audio`): 16 MiB, about
/// 17 minutes of 128 kbit/s MP3 (a prompt is at most 10 minutes).
pub const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;

/// Largest archive of prompts restored or backed up at once (`restore_prompts`,
/// `backup_prompts`): 32 MiB, about 35 minutes of 8 kHz prompts.
pub const MAX_ARCHIVE_BYTES: usize = 32 * 1024 * 1024;

/// Largest administration message either side accepts (a command carrying an upload or an
/// archive, a result carrying a prompt or a backup): the archive and room for the rest. The
/// CTI server decodes up to this, but only after the engine's credential was checked (the
/// interceptor sees a call before its body is read).
pub const MAX_ADMIN_BYTES: usize = MAX_ARCHIVE_BYTES + 64 * 1024;

impl IvrDatum {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// Maps between a `common::call` enum and its wire enum; the wire's `UNSPECIFIED` (and any
/// number this build does not know) maps to `None`.
macro_rules! wire_enum {
    ($common:ty, $wire:ty { $($variant:ident),+ $(,)? }) => {
        impl From<$common> for $wire {
            fn from(value: $common) -> Self {
                match value {
                    $(<$common>::$variant => <$wire>::$variant,)+
                    // `common::call` enums are non-exhaustive: a value added there and not
                    // here is a build of mismatched crates, reported as unspecified.
                    #[allow(unreachable_patterns)]
                    _ => <$wire>::Unspecified,
                }
            }
        }

        impl $wire {
            /// The shared enum of a wire value; `None` for unspecified or unknown numbers.
            pub fn to_common(raw: i32) -> Option<$common> {
                match <$wire>::try_from(raw).ok()? {
                    $(<$wire>::$variant => Some(<$common>::$variant),)+
                    <$wire>::Unspecified => None,
                }
            }
        }
    };
}

wire_enum!(
    call::CallOutcome,
    CallOutcome {
        Answered,
        AbandonedInQueue,
        AbandonedInIvr,
        ReleasedByIvr,
        ReleasedByQueue,
        Cancelled,
        Failed,
        Interrupted,
    }
);
wire_enum!(
    call::EndReason,
    EndReason {
        CallerHungUp,
        CallerCancelled,
        OperatorHungUp,
        IvrReleased,
        Shutdown,
        NoAck,
        NoMediaPort,
        QueueRefused,
        QueueExit,
        SipFailure,
        EngineRestarted,
        MaxDuration,
        MediaTimeout,
    }
);
wire_enum!(
    call::CallStage,
    CallStage {
        Arrived,
        Ivr,
        Queued,
        Offered,
        Talking,
    }
);

/// Redacts the caller's number (STYLE.md, Privacy).
impl fmt::Debug for CallArrived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallArrived")
            .field("call_id", &self.call_id)
            .field("sip_call_id", &self.sip_call_id)
            .field("caller_number", &"<redacted>")
            .field("dialled_number", &self.dialled_number)
            .field("channel", &self.channel)
            .field("arrived_at_unix_ms", &self.arrived_at_unix_ms)
            .finish_non_exhaustive()
    }
}

/// Redacts the caller's number and the customer (STYLE.md, Privacy).
impl fmt::Debug for CallOffered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallOffered")
            .field("call_id", &self.call_id)
            .field("caller_number", &"<redacted>")
            .field("dialled_number", &self.dialled_number)
            .field("channel", &self.channel)
            .field("ivr_data", &self.ivr_data)
            .field("queue", &self.queue)
            .field("waited_ms", &self.waited_ms)
            .field("agent_id", &self.agent_id)
            .field("offered_at_unix_ms", &self.offered_at_unix_ms)
            .finish_non_exhaustive()
    }
}

/// Redacts the caller's number and the customer (STYLE.md, Privacy).
impl fmt::Debug for CallRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallRecord")
            .field("call_id", &self.call_id)
            .field("sip_call_id", &self.sip_call_id)
            .field("caller_number", &"<redacted>")
            .field("dialled_number", &self.dialled_number)
            .field("channel", &self.channel)
            .field("ivr_data", &self.ivr_data)
            .field("queue", &self.queue)
            .field("outcome", &self.outcome())
            .field("end_reason", &self.end_reason())
            .field("stage", &self.stage())
            .field("started_at_unix_ms", &self.started_at_unix_ms)
            .field("offered_at_unix_ms", &self.offered_at_unix_ms)
            .field("answered_at_unix_ms", &self.answered_at_unix_ms)
            .field("ended_at_unix_ms", &self.ended_at_unix_ms)
            .field("waited_ms", &self.waited_ms)
            .field("talk_ms", &self.talk_ms)
            .field("agent_id", &self.agent_id)
            .finish_non_exhaustive()
    }
}

/// Adds the service credential to every request: `authorization: Bearer <token>`.
#[derive(Clone)]
pub struct BearerToken(Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>);

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "BearerToken(<redacted>)"
        } else {
            "BearerToken(none)"
        })
    }
}

impl tonic::service::Interceptor for BearerToken {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// A credential that cannot go into a header.
#[derive(Debug, thiserror::Error)]
#[error("the service credential must be visible ascii without spaces")]
pub struct BadToken;

impl BearerToken {
    pub fn new(token: Option<String>) -> Result<Self, BadToken> {
        let value = token
            .map(|t| {
                if t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(BadToken);
                }
                format!("Bearer {t}").parse().map_err(|_| BadToken)
            })
            .transpose()?;
        Ok(Self(value))
    }
}

/// The engine's handle on the CRM: the generated client over one HTTP/2 channel, sending the
/// engine's service credential with every call.
///
/// Cheap to clone; clones share the channel, so one `CtiClient` can serve every call task.
#[derive(Clone, Debug)]
pub struct CtiClient {
    inner: cti_client::CtiClient<InterceptedService<Channel, BearerToken>>,
}

/// The client could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error(transparent)]
    Transport(#[from] tonic::transport::Error),
    #[error(transparent)]
    Token(#[from] BadToken),
}

impl CtiClient {
    /// How long to wait for the TCP and HTTP/2 handshake with the CRM.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// How long one call may take before it counts as failed (and is retried).
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

    /// Connects now, failing if the CRM cannot be reached. `url` is like
    /// `http://127.0.0.1:50051`; `token` is the engine's service credential.
    pub async fn connect(
        url: impl Into<String>,
        token: Option<String>,
    ) -> Result<Self, ClientError> {
        let channel = Self::endpoint(url)?.connect().await?;
        Ok(Self::from_channel(channel, BearerToken::new(token)?))
    }

    /// Connects on first use and reconnects after failures: the engine can start before the
    /// CRM does.
    pub fn connect_lazy(
        url: impl Into<String>,
        token: Option<String>,
    ) -> Result<Self, ClientError> {
        Ok(Self::from_channel(
            Self::endpoint(url)?.connect_lazy(),
            BearerToken::new(token)?,
        ))
    }

    pub fn from_channel(channel: Channel, token: BearerToken) -> Self {
        Self {
            inner: cti_client::CtiClient::with_interceptor(channel, token)
                .max_decoding_message_size(MAX_ADMIN_BYTES),
        }
    }

    fn endpoint(
        url: impl Into<String>,
    ) -> Result<tonic::transport::Endpoint, tonic::transport::Error> {
        Ok(tonic::transport::Endpoint::from_shared(url.into())?
            .connect_timeout(Self::CONNECT_TIMEOUT)
            .timeout(Self::REQUEST_TIMEOUT))
    }

    pub async fn report_call_arrived(
        &self,
        fact: CallArrived,
    ) -> Result<CallFactAck, tonic::Status> {
        Ok(self
            .inner
            .clone()
            .report_call_arrived(fact)
            .await?
            .into_inner())
    }

    /// The ACD offered the call to an operator: returns the call's SR for the screen pop.
    pub async fn report_call_offered(&self, fact: CallOffered) -> Result<ScreenPop, tonic::Status> {
        Ok(self
            .inner
            .clone()
            .report_call_offered(fact)
            .await?
            .into_inner())
    }

    pub async fn report_call_answered(
        &self,
        fact: CallAnswered,
    ) -> Result<CallFactAck, tonic::Status> {
        Ok(self
            .inner
            .clone()
            .report_call_answered(fact)
            .await?
            .into_inner())
    }

    /// The call ended: hands over the call record; returns the call's SR.
    pub async fn report_call_ended(
        &self,
        record: CallRecord,
    ) -> Result<CallFactAck, tonic::Status> {
        Ok(self
            .inner
            .clone()
            .report_call_ended(record)
            .await?
            .into_inner())
    }

    /// Opens the stream of commands for the ACD (see `FollowCommands` in `cti.proto`).
    pub async fn follow_commands(
        &self,
        node: &str,
    ) -> Result<tonic::Streaming<v1::EngineCommand>, tonic::Status> {
        Ok(self
            .inner
            .clone()
            .follow_commands(v1::FollowCommandsRequest {
                node: node.to_owned(),
            })
            .await?
            .into_inner())
    }

    /// Answers one command of [`CtiClient::follow_commands`].
    pub async fn report_command_result(
        &self,
        result: v1::CommandResult,
    ) -> Result<(), tonic::Status> {
        self.inner.clone().report_command_result(result).await?;
        Ok(())
    }

    /// The ACD as it is now, for supervisors and the operators' desks. Not a fact: the latest
    /// replaces the earlier ones.
    pub async fn publish_live_view(&self, view: LiveView) -> Result<(), tonic::Status> {
        self.inner.clone().publish_live_view(view).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_caller_number() {
        let arrived = CallArrived {
            call_id: "c-1".into(),
            caller_number: "+390551234567".into(),
            caller_number_e164: Some("+390551234567".into()),
            ..Default::default()
        };
        let offered = CallOffered {
            call_id: "c-1".into(),
            caller_number: "+390551234567".into(),
            customer_id: Some("RSSMRA80A01H501U".into()),
            ..Default::default()
        };
        let record = CallRecord {
            call_id: "c-1".into(),
            caller_number: "+390551234567".into(),
            customer_id: Some("RSSMRA80A01H501U".into()),
            outcome: CallOutcome::Answered.into(),
            ..Default::default()
        };
        for text in [
            format!("{arrived:?}"),
            format!("{offered:?}"),
            format!("{record:?}"),
        ] {
            assert!(text.contains("c-1"), "{text}");
            assert!(!text.contains("1234567"), "{text}");
            assert!(!text.contains("RSSMRA"), "{text}");
        }
    }

    #[test]
    fn every_shared_enum_value_has_a_wire_value_and_back() {
        for o in call::CallOutcome::ALL {
            let wire: CallOutcome = (*o).into();
            assert_ne!(wire, CallOutcome::Unspecified, "{o}");
            assert_eq!(CallOutcome::to_common(wire as i32), Some(*o));
        }
        for r in call::EndReason::ALL {
            let wire: EndReason = (*r).into();
            assert_ne!(wire, EndReason::Unspecified, "{r}");
            assert_eq!(EndReason::to_common(wire as i32), Some(*r));
        }
        for s in call::CallStage::ALL {
            let wire: CallStage = (*s).into();
            assert_eq!(CallStage::to_common(wire as i32), Some(*s));
        }
        assert_eq!(CallOutcome::to_common(0), None);
        assert_eq!(CallOutcome::to_common(99), None);
    }

    #[test]
    fn a_token_must_fit_in_a_header() {
        assert!(BearerToken::new(Some("ok-token_1".into())).is_ok());
        assert!(BearerToken::new(Some("with space".into())).is_err());
        assert!(BearerToken::new(Some("line\nbreak".into())).is_err());
        assert!(BearerToken::new(Some(String::new())).is_err());
        assert!(
            format!("{:?}", BearerToken::new(Some("secret".into())).unwrap()).contains("redacted")
        );
    }
}
