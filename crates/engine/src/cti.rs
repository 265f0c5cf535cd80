//! The CTI link: the call facts in the outbox go to the CRM over gRPC.
//!
//! [`deliver`] is one task that reads the outbox oldest first and sends each fact, with the
//! engine's service credential. While the CRM is unreachable it retries the same fact with
//! backoff (every RPC is idempotent, so a fact whose answer was lost may safely go twice); a
//! fact the CRM refuses for good goes to the dead letters and the next one follows. The task
//! holds at most one small batch in memory, however long the CRM is down.

use std::time::{Duration, Instant};

use cti_proto::CtiClient;
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use call_control::events::{CallFact, CallRef};

use crate::outbox::Outbox;

/// Facts read from the outbox at a time.
const BATCH: u32 = 64;
/// How often a growing backlog is reported while the CRM is unreachable.
const BACKLOG_REPORT: Duration = Duration::from_secs(30);

/// The CTI client for `url` (e.g. `http://127.0.0.1:50051`), presenting `token` (the
/// engine's service credential). Connects lazily: the engine may start before the CRM.
pub fn client(url: &str, token: Option<String>) -> Result<CtiClient, String> {
    CtiClient::connect_lazy(url.to_string(), token).map_err(|e| format!("cti url {url}: {e}"))
}

/// The CRM opened this SR for this call (from its answer to the call's arrival): the driver
/// hands it to the core, which shows it on the operator's phone when the call is offered.
pub type SrOpened = (CallRef, String);

/// Delivers the outbox to the CRM until `stop` says so (then returns at once: what is left
/// stays on disk for the next start). The numbers of the SRs the CRM opens go to `opened`
/// (dropped, not waited for, when it is full).
pub async fn deliver(
    outbox: Outbox,
    client: CtiClient,
    mut stop: watch::Receiver<bool>,
    opened: Option<mpsc::Sender<SrOpened>>,
) {
    let mut backoff = Duration::from_millis(100);
    let mut last_report = Instant::now();
    loop {
        if *stop.borrow() {
            return;
        }
        let batch = match outbox.next_batch(BATCH).await {
            Ok(batch) => batch,
            Err(e) => {
                warn!(error = %e, "cannot read the outbox");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
        };
        if batch.is_empty() {
            tokio::select! {
                () = outbox.wait_for_more(Duration::from_secs(1)) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        for pending in batch {
            // In order: a fact is retried until it is delivered or refused for good.
            loop {
                if *stop.borrow() {
                    return;
                }
                let result = deliver_one(&client, &pending.fact).await;
                let stored = match &result {
                    Ok(sr) => {
                        if let (Some(number), Some(opened)) = (sr, &opened) {
                            let _ = opened.try_send((pending.fact.call().clone(), number.clone()));
                        }
                        outbox.delivered(pending.seq).await
                    }
                    Err(status) if is_permanent(status) => {
                        let reason = format!("{:?}: {}", status.code(), status.message());
                        warn!(seq = pending.seq, call = %pending.fact.call(), %reason, "crm refused a call fact for good: dead letter");
                        outbox.refused(pending.seq, &reason).await
                    }
                    Err(status) => {
                        let reason = format!("{:?}: {}", status.code(), status.message());
                        if last_report.elapsed() >= BACKLOG_REPORT {
                            last_report = Instant::now();
                            match outbox.status().await {
                                Ok(s) => warn!(
                                    pending = s.pending,
                                    oldest_age_s = s.oldest_pending_age_ms.unwrap_or(0) / 1000,
                                    %reason,
                                    "crm unreachable: call facts wait in the outbox"
                                ),
                                Err(e) => warn!(error = %e, "cannot read the outbox status"),
                            }
                        } else {
                            debug!(%reason, retry_in = ?backoff, "crm unreachable: will retry");
                        }
                        let _ = outbox.attempt_failed(pending.seq, &reason).await;
                        tokio::select! {
                            () = tokio::time::sleep(backoff) => {}
                            _ = stop.changed() => {}
                        }
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                };
                backoff = Duration::from_millis(100);
                if let Err(e) = stored {
                    // The CRM has it (or refused it); noting that failed. Sending it again
                    // later is harmless: facts are idempotent.
                    warn!(error = %e, "cannot update the outbox after a delivery");
                }
                break;
            }
        }
    }
}

/// Sends one fact to the CRM. Progress facts stay in the engine (they serve its own restart).
/// For an arrival, the answer names the call's SR: its number is returned.
pub(crate) async fn deliver_one(
    client: &CtiClient,
    fact: &CallFact,
) -> Result<Option<String>, tonic::Status> {
    match fact {
        CallFact::Arrived(a) => {
            let ack = client.report_call_arrived(to_proto_arrived(a)).await?;
            return Ok(ack.service_request.map(|sr| sr.number));
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
    Ok(None)
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
