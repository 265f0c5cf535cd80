//! The CTI link: screen pops and call records go to the CRM over gRPC.
//!
//! The core emits [`CallFact`]s; a [`CtiSink`] takes them without blocking the call loop.
//! [`GrpcCti`] delivers them in order from one background task and retries with backoff, so
//! a CRM restart loses nothing while the engine runs (both RPCs are idempotent). Events still
//! queued when the process exits are lost: a durable outbox is future work.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cti_proto::CtiClient;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use call_control::events::CallFact;

/// Where the core's CTI events go.
pub trait CtiSink: Send + Sync + 'static {
    fn send(&self, event: CallFact);
}

/// Keeps events in memory: for unit tests of the core and drivers.
#[derive(Default)]
pub struct RecordingCti(pub Mutex<Vec<CallFact>>);

impl CtiSink for RecordingCti {
    fn send(&self, event: CallFact) {
        self.0
            .lock()
            .expect("recording mutex is never poisoned")
            .push(event);
    }
}

/// The gRPC client side of the CTI link.
pub struct GrpcCti {
    queue: mpsc::UnboundedSender<CallFact>,
}

impl GrpcCti {
    /// Start the delivery task towards `url` (e.g. `http://127.0.0.1:50051`), presenting
    /// `token` (the engine's service credential). Connects lazily.
    pub fn start(
        url: &str,
        token: Option<String>,
    ) -> Result<(Arc<GrpcCti>, tokio::task::JoinHandle<()>), String> {
        let client = CtiClient::connect_lazy(url.to_string(), token)
            .map_err(|e| format!("bad cti url {url}: {e}"))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(deliver(client, rx));
        Ok((Arc::new(GrpcCti { queue: tx }), task))
    }
}

impl CtiSink for GrpcCti {
    fn send(&self, event: CallFact) {
        if self.queue.send(event).is_err() {
            warn!("cti delivery task is gone: event dropped");
        }
    }
}

async fn deliver(client: CtiClient, mut rx: mpsc::UnboundedReceiver<CallFact>) {
    while let Some(event) = rx.recv().await {
        let mut backoff = Duration::from_millis(100);
        loop {
            match deliver_one(&client, &event).await {
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

/// Sends one fact to the CRM. Progress facts stay in the engine (they serve its own restart).
pub(crate) async fn deliver_one(client: &CtiClient, fact: &CallFact) -> Result<(), tonic::Status> {
    match fact {
        CallFact::Arrived(a) => {
            client.report_call_arrived(to_proto_arrived(a)).await?;
        }
        CallFact::Offered(o) => {
            let pop = client.report_call_offered(to_proto_offered(o)).await?;
            if let Some(sr) = pop.service_request {
                info!(call = %o.call, sr = %sr.number, agent = %o.agent_id, "screen pop delivered");
            }
        }
        CallFact::Answered {
            call,
            agent_id,
            at_unix_ms,
        } => {
            client
                .report_call_answered(cti_proto::CallAnswered {
                    call_id: call.0.clone(),
                    agent_id: agent_id.clone(),
                    answered_at_unix_ms: *at_unix_ms,
                })
                .await?;
        }
        CallFact::Ended(r) => {
            client.report_call_ended(to_proto_record(r)).await?;
            debug!(call = %r.call, "call record delivered");
        }
        CallFact::Progress { .. } => {}
    }
    Ok(())
}

/// Whether the CRM refused the message for good: retrying the same bytes cannot help.
pub(crate) fn is_permanent(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        tonic::Code::InvalidArgument
            | tonic::Code::FailedPrecondition
            | tonic::Code::Unimplemented
            | tonic::Code::OutOfRange
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

fn to_proto_arrived(a: &call_control::CallArrived) -> cti_proto::CallArrived {
    cti_proto::CallArrived {
        call_id: a.call.0.clone(),
        sip_call_id: a.sip_call_id.clone(),
        caller_number: a.caller.raw().to_owned(),
        caller_number_e164: a.caller.e164().map(str::to_owned),
        dialled_number: a.dialled.clone(),
        channel: cti_proto::CHANNEL_PHONE.into(),
        arrived_at_unix_ms: a.at_unix_ms,
    }
}

fn to_proto_offered(o: &call_control::CallOffered) -> cti_proto::CallOffered {
    cti_proto::CallOffered {
        call_id: o.call.0.clone(),
        caller_number: o.caller.raw().to_owned(),
        caller_number_e164: o.caller.e164().map(str::to_owned),
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

fn to_proto_record(r: &call_control::CallRecord) -> cti_proto::CallRecord {
    cti_proto::CallRecord {
        call_id: r.call.0.clone(),
        sip_call_id: r.sip_call_id.clone(),
        caller_number: r.caller.raw().to_owned(),
        caller_number_e164: r.caller.e164().map(str::to_owned),
        dialled_number: r.dialled.clone(),
        channel: cti_proto::CHANNEL_PHONE.into(),
        ivr_data: ivr_data(&r.ivr_data),
        queue: r.queue.clone(),
        outcome: cti_proto::CallOutcome::from(r.outcome).into(),
        end_reason: cti_proto::EndReason::from(r.end_reason).into(),
        stage: cti_proto::CallStage::from(r.stage).into(),
        started_at_unix_ms: r.started_at_unix_ms,
        offered_at_unix_ms: r.offered_at_unix_ms,
        answered_at_unix_ms: r.answered_at_unix_ms,
        ended_at_unix_ms: r.ended_at_unix_ms,
        waited_ms: r.waited_ms,
        talk_ms: r.talk_ms,
        agent_id: r.agent_id.clone(),
        customer_id: customer_id(&r.ivr_data),
    }
}
