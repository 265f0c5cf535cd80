//! gRPC contract of the CTI link between the engine and the CRM, generated from
//! `proto/cti.proto` (package `centralino.cti.v1`).
//!
//! The engine sends [`CallOffered`] when the ACD offers a call to an operator (the screen pop)
//! and a [`CallRecord`] when any call ends; the CRM opens exactly one service request per call
//! ID and answers with it. Both RPCs are idempotent, so the engine may retry them.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use cti_proto::{CallOffered, CtiClient, IvrDatum};
//!
//! let cti = CtiClient::connect("http://127.0.0.1:50051").await?;
//! let pop = cti
//!     .call_offered(CallOffered {
//!         call_id: "c-1".into(),
//!         caller_number: "+390551234567".into(),
//!         dialled_number: "800123456".into(),
//!         channel: "phone".into(),
//!         ivr_data: vec![IvrDatum::new("service_area", "2")],
//!         queue: "technology".into(),
//!         waited_ms: 12_000,
//!         agent_id: "op-7".into(),
//!         offered_at_unix_ms: 1_767_225_600_000,
//!         customer_id: None,
//!     })
//!     .await?;
//! println!("screen pop for {}", pop.service_request.map(|sr| sr.number).unwrap_or_default());
//! # Ok(()) }
//! ```
//!
//! The server side is [`cti_server::Cti`], implemented by the `crm` crate.

use std::fmt;
use std::time::Duration;

/// Everything generated from `proto/cti.proto`.
pub mod v1 {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("centralino.cti.v1");
}

pub use v1::cti_client;
pub use v1::cti_server;
pub use v1::{
    CallOffered, CallOutcome, CallRecord, CallRecordAck, IvrDatum, ScreenPop, ServiceRequest,
    ServiceRequestState,
};

/// The default channel of a call, used when a message leaves `channel` empty.
pub const CHANNEL_PHONE: &str = "phone";

impl IvrDatum {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// Redacts the caller's number and the customer: STYLE.md, Privacy.
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
            .field(
                "customer_id",
                &self.customer_id.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Redacts the caller's number and the customer: STYLE.md, Privacy.
impl fmt::Debug for CallRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallRecord")
            .field("call_id", &self.call_id)
            .field("caller_number", &"<redacted>")
            .field("dialled_number", &self.dialled_number)
            .field("channel", &self.channel)
            .field("ivr_data", &self.ivr_data)
            .field("queue", &self.queue)
            .field("outcome", &self.outcome())
            .field("started_at_unix_ms", &self.started_at_unix_ms)
            .field("answered_at_unix_ms", &self.answered_at_unix_ms)
            .field("ended_at_unix_ms", &self.ended_at_unix_ms)
            .field("waited_ms", &self.waited_ms)
            .field("talk_ms", &self.talk_ms)
            .field("agent_id", &self.agent_id)
            .field(
                "customer_id",
                &self.customer_id.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The engine's handle on the CRM: the generated client over one HTTP/2 channel.
///
/// Cheap to clone; clones share the channel, so one `CtiClient` can serve every call task.
#[derive(Clone, Debug)]
pub struct CtiClient {
    inner: cti_client::CtiClient<tonic::transport::Channel>,
}

impl CtiClient {
    /// How long to wait for the TCP and HTTP/2 handshake with the CRM.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

    /// Connects now, failing if the CRM cannot be reached. `url` is like
    /// `http://127.0.0.1:50051`.
    pub async fn connect(url: impl Into<String>) -> Result<Self, tonic::transport::Error> {
        let channel = Self::endpoint(url)?.connect().await?;
        Ok(Self::from_channel(channel))
    }

    /// Connects on first use and reconnects after failures: the engine can start before the
    /// CRM does.
    pub fn connect_lazy(url: impl Into<String>) -> Result<Self, tonic::transport::Error> {
        Ok(Self::from_channel(Self::endpoint(url)?.connect_lazy()))
    }

    pub fn from_channel(channel: tonic::transport::Channel) -> Self {
        Self {
            inner: cti_client::CtiClient::new(channel),
        }
    }

    fn endpoint(
        url: impl Into<String>,
    ) -> Result<tonic::transport::Endpoint, tonic::transport::Error> {
        Ok(tonic::transport::Endpoint::from_shared(url.into())?
            .connect_timeout(Self::CONNECT_TIMEOUT))
    }

    /// The ACD offered the call to an operator: returns the call's SR for the screen pop.
    pub async fn call_offered(&self, offered: CallOffered) -> Result<ScreenPop, tonic::Status> {
        Ok(self.inner.clone().call_offered(offered).await?.into_inner())
    }

    /// The call ended: hands over the call record; returns the call's SR.
    pub async fn call_ended(&self, record: CallRecord) -> Result<CallRecordAck, tonic::Status> {
        Ok(self.inner.clone().call_ended(record).await?.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_caller_number() {
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
        for text in [format!("{offered:?}"), format!("{record:?}")] {
            assert!(text.contains("c-1"), "{text}");
            assert!(!text.contains("1234567"), "{text}");
            assert!(!text.contains("RSSMRA"), "{text}");
        }
    }

    #[test]
    fn enum_names_lose_their_prefix() {
        assert_eq!(
            CallOutcome::AbandonedInQueue.as_str_name(),
            "CALL_OUTCOME_ABANDONED_IN_QUEUE"
        );
        assert_eq!(
            ServiceRequestState::from_str_name("SERVICE_REQUEST_STATE_OPEN"),
            Some(ServiceRequestState::Open)
        );
    }
}
