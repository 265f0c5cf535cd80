//! The CTI link: screen pops and call records go to the CRM over gRPC.
//!
//! The core emits [`CtiEvent`]s; a [`CtiSink`] takes them without blocking the call loop.
//! [`GrpcCti`] delivers them in order from one background task and retries with backoff, so
//! a CRM restart loses nothing while the engine runs (both RPCs are idempotent). Events still
//! queued when the process exits are lost: a durable outbox is future work.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cti_proto::CtiClient;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::events::{CallOutcome, CtiEvent};

/// Where the core's CTI events go.
pub trait CtiSink: Send + Sync + 'static {
    fn send(&self, event: CtiEvent);
}

/// Keeps events in memory: for unit tests of the core and drivers.
#[derive(Default)]
pub struct RecordingCti(pub Mutex<Vec<CtiEvent>>);

impl CtiSink for RecordingCti {
    fn send(&self, event: CtiEvent) {
        self.0
            .lock()
            .expect("recording mutex is never poisoned")
            .push(event);
    }
}

/// The gRPC client side of the CTI link.
pub struct GrpcCti {
    queue: mpsc::UnboundedSender<CtiEvent>,
}

impl GrpcCti {
    /// Start the delivery task towards `url` (e.g. `http://127.0.0.1:50051`). Connects lazily.
    pub fn start(url: &str) -> Result<(Arc<GrpcCti>, tokio::task::JoinHandle<()>), String> {
        let client = CtiClient::connect_lazy(url.to_string())
            .map_err(|e| format!("bad cti url {url}: {e}"))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(deliver(client, rx));
        Ok((Arc::new(GrpcCti { queue: tx }), task))
    }
}

impl CtiSink for GrpcCti {
    fn send(&self, event: CtiEvent) {
        if self.queue.send(event).is_err() {
            warn!("cti delivery task is gone: event dropped");
        }
    }
}

async fn deliver(client: CtiClient, mut rx: mpsc::UnboundedReceiver<CtiEvent>) {
    while let Some(event) = rx.recv().await {
        let mut backoff = Duration::from_millis(100);
        loop {
            let result = match &event {
                CtiEvent::CallOffered(o) => client.call_offered(to_proto_offered(o)).await.map(|pop| {
                    if let Some(sr) = pop.service_request {
                        info!(call = %o.call_id, sr = %sr.number, agent = %o.agent_id, "screen pop delivered");
                    }
                }),
                CtiEvent::CallEnded(r) => client.call_ended(to_proto_record(r)).await.map(|_| {
                    debug!(call = %r.call_id, "call record delivered");
                }),
            };
            match result {
                Ok(()) => break,
                Err(status) if is_permanent(&status) => {
                    warn!(code = ?status.code(), message = %status.message(), "crm refused a cti event: dropped");
                    break;
                }
                Err(status) => {
                    warn!(code = ?status.code(), retry_in = ?backoff, "crm unreachable: will retry");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}

fn is_permanent(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        tonic::Code::InvalidArgument | tonic::Code::FailedPrecondition | tonic::Code::Unimplemented
    )
}

fn ivr_data(data: &[(String, String)]) -> Vec<cti_proto::IvrDatum> {
    data.iter()
        .map(|(k, v)| cti_proto::IvrDatum::new(k.clone(), v.clone()))
        .collect()
}

fn customer_id(data: &[(String, String)]) -> Option<String> {
    data.iter()
        .find(|(k, _)| k == "customer_id")
        .map(|(_, v)| v.clone())
}

fn to_proto_offered(o: &crate::events::CallOffered) -> cti_proto::CallOffered {
    cti_proto::CallOffered {
        call_id: o.call_id.clone(),
        caller_number: o.caller.expose().clone(),
        dialled_number: o.dialled.clone(),
        channel: cti_proto::CHANNEL_PHONE.into(),
        ivr_data: ivr_data(&o.ivr_data),
        queue: o.queue.clone(),
        waited_ms: o.waited_ms,
        agent_id: o.agent_id.clone(),
        offered_at_unix_ms: o.offered_at_unix_ms,
        customer_id: customer_id(&o.ivr_data),
    }
}

fn to_proto_record(r: &crate::events::CallRecord) -> cti_proto::CallRecord {
    let outcome = match r.outcome {
        CallOutcome::Answered => cti_proto::CallOutcome::Answered,
        CallOutcome::AbandonedInQueue => cti_proto::CallOutcome::AbandonedInQueue,
        CallOutcome::AbandonedInIvr => cti_proto::CallOutcome::AbandonedInIvr,
        CallOutcome::ReleasedByIvr => cti_proto::CallOutcome::ReleasedByIvr,
        CallOutcome::Cancelled => cti_proto::CallOutcome::Cancelled,
        CallOutcome::Failed => cti_proto::CallOutcome::Failed,
    };
    cti_proto::CallRecord {
        call_id: r.call_id.clone(),
        caller_number: r.caller.expose().clone(),
        dialled_number: r.dialled.clone(),
        channel: cti_proto::CHANNEL_PHONE.into(),
        ivr_data: ivr_data(&r.ivr_data),
        queue: r.queue.clone(),
        outcome: outcome as i32,
        started_at_unix_ms: r.started_at_unix_ms,
        answered_at_unix_ms: r.answered_at_unix_ms,
        ended_at_unix_ms: r.ended_at_unix_ms,
        waited_ms: r.waited_ms,
        talk_ms: r.talk_ms,
        agent_id: r.agent_id.clone(),
        customer_id: customer_id(&r.ivr_data),
    }
}
