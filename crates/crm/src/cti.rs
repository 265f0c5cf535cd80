//! The gRPC side: the engine's CTI events open and complete service requests.

use std::sync::Arc;

use crm_store::{NewServiceRequest, ServiceRequest, ServiceRequestStore, SrState};
use cti_proto::cti_server::{Cti, CtiServer};
use cti_proto::v1 as proto;
use tonic::{Request, Response, Status};

use crate::CrmError;

/// The `centralino.cti.v1.Cti` service on top of a store.
#[derive(Debug)]
pub struct CtiService<S> {
    store: Arc<S>,
}

impl<S: ServiceRequestStore> CtiService<S> {
    pub fn new(store: Arc<S>) -> Self {
        Self { store }
    }

    /// The tonic service to add to a `tonic::transport::Server`.
    pub fn into_server(self) -> CtiServer<Self> {
        CtiServer::new(self)
    }

    async fn call_offered(
        &self,
        offered: proto::CallOffered,
    ) -> Result<proto::ScreenPop, CrmError> {
        let request = new_request_from_offer(offered)?;
        let opened = self.store.open_for_call(request).await?;
        let sr = &opened.request;
        tracing::info!(
            call_id = %sr.call_id,
            sr = %sr.number,
            created = opened.created,
            agent_id = sr.agent_id.as_deref().unwrap_or(""),
            "call offered: screen pop"
        );
        Ok(proto::ScreenPop {
            service_request: Some(sr_to_proto(sr)),
            created: opened.created,
        })
    }

    async fn call_ended(
        &self,
        record: proto::CallRecord,
    ) -> Result<proto::CallRecordAck, CrmError> {
        let record = call_record_from_proto(record)?;
        let opened = self.store.record_call_end(record).await?;
        let sr = &opened.request;
        tracing::info!(
            call_id = %sr.call_id,
            sr = %sr.number,
            created = opened.created,
            outcome = sr.call_outcome.map_or("", |outcome| outcome.as_str()),
            "call record stored"
        );
        Ok(proto::CallRecordAck {
            service_request: Some(sr_to_proto(sr)),
            created: opened.created,
        })
    }
}

#[tonic::async_trait]
impl<S: ServiceRequestStore> Cti for CtiService<S> {
    async fn call_offered(
        &self,
        request: Request<proto::CallOffered>,
    ) -> Result<Response<proto::ScreenPop>, Status> {
        Ok(Response::new(
            CtiService::call_offered(self, request.into_inner()).await?,
        ))
    }

    async fn call_ended(
        &self,
        request: Request<proto::CallRecord>,
    ) -> Result<Response<proto::CallRecordAck>, Status> {
        Ok(Response::new(
            CtiService::call_ended(self, request.into_inner()).await?,
        ))
    }
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

fn millis(value: u64, what: &'static str) -> Result<i64, CrmError> {
    i64::try_from(value).map_err(|_| CrmError::InvalidArgument(what))
}

fn ivr_pairs(data: Vec<proto::IvrDatum>) -> Vec<(String, String)> {
    data.into_iter()
        .map(|datum| (datum.key, datum.value))
        .collect()
}

fn new_request_from_offer(offered: proto::CallOffered) -> Result<NewServiceRequest, CrmError> {
    Ok(NewServiceRequest {
        call_id: offered.call_id,
        channel: offered.channel,
        caller_number: offered.caller_number.into(),
        dialled_number: offered.dialled_number,
        customer: offered.customer_id.and_then(non_empty).map(Into::into),
        ivr_data: ivr_pairs(offered.ivr_data),
        queue: non_empty(offered.queue),
        agent_id: non_empty(offered.agent_id),
        waited_ms: Some(millis(offered.waited_ms, "waited_ms out of range")?),
    })
}

fn call_record_from_proto(record: proto::CallRecord) -> Result<crm_store::CallRecord, CrmError> {
    let outcome = match proto::CallOutcome::try_from(record.outcome) {
        Ok(proto::CallOutcome::Answered) => crm_store::CallOutcome::Answered,
        Ok(proto::CallOutcome::AbandonedInQueue) => crm_store::CallOutcome::AbandonedInQueue,
        Ok(proto::CallOutcome::AbandonedInIvr) => crm_store::CallOutcome::AbandonedInIvr,
        Ok(proto::CallOutcome::ReleasedByIvr) => crm_store::CallOutcome::ReleasedByIvr,
        Ok(proto::CallOutcome::Cancelled) => crm_store::CallOutcome::Cancelled,
        Ok(proto::CallOutcome::Failed) => crm_store::CallOutcome::Failed,
        Ok(proto::CallOutcome::Unspecified) | Err(_) => {
            return Err(CrmError::InvalidArgument(
                "call outcome is unspecified or unknown",
            ));
        }
    };
    Ok(crm_store::CallRecord {
        call: NewServiceRequest {
            call_id: record.call_id,
            channel: record.channel,
            caller_number: record.caller_number.into(),
            dialled_number: record.dialled_number,
            customer: record.customer_id.and_then(non_empty).map(Into::into),
            ivr_data: ivr_pairs(record.ivr_data),
            queue: record.queue.and_then(non_empty),
            agent_id: record.agent_id.and_then(non_empty),
            waited_ms: Some(millis(record.waited_ms, "waited_ms out of range")?),
        },
        outcome,
        started_at_unix_ms: record.started_at_unix_ms,
        answered_at_unix_ms: record.answered_at_unix_ms,
        ended_at_unix_ms: record.ended_at_unix_ms,
        talk_ms: millis(record.talk_ms, "talk_ms out of range")?,
    })
}

fn state_to_proto(state: SrState) -> proto::ServiceRequestState {
    use proto::ServiceRequestState as P;
    match state {
        SrState::Open => P::Open,
        SrState::ResolvedFirstLevel => P::ResolvedFirstLevel,
        SrState::ResolvedSecondLevel => P::ResolvedSecondLevel,
        SrState::Assigned => P::Assigned,
        SrState::Transferred => P::Transferred,
        SrState::AssignedResolved => P::AssignedResolved,
        SrState::Cancelled => P::Cancelled,
        SrState::NotResolvable => P::NotResolvable,
        SrState::Rejected => P::Rejected,
        SrState::Suspended => P::Suspended,
        // A state added to the store but not yet to the contract: old clients see it as
        // unspecified rather than as a wrong state.
        _ => P::Unspecified,
    }
}

fn sr_to_proto(sr: &ServiceRequest) -> proto::ServiceRequest {
    proto::ServiceRequest {
        id: sr.id,
        number: sr.number.clone(),
        state: state_to_proto(sr.state).into(),
        call_id: sr.call_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offer_becomes_a_request_with_empty_fields_as_none() {
        let offered = proto::CallOffered {
            call_id: "c-1".into(),
            caller_number: "+390551234567".into(),
            ivr_data: vec![
                proto::IvrDatum::new("b", "1"),
                proto::IvrDatum::new("a", "2"),
            ],
            queue: String::new(),
            agent_id: "op-7".into(),
            waited_ms: 1500,
            customer_id: Some(String::new()),
            ..Default::default()
        };
        let request = new_request_from_offer(offered).unwrap();
        assert_eq!(
            request.ivr_data,
            [("b".into(), "1".into()), ("a".into(), "2".into())]
        );
        assert_eq!(request.queue, None);
        assert_eq!(request.customer, None);
        assert_eq!(request.agent_id.as_deref(), Some("op-7"));
        assert_eq!(request.waited_ms, Some(1500));
        assert_eq!(request.caller_number.expose(), "+390551234567");
    }

    #[test]
    fn a_record_needs_a_known_outcome_and_sane_durations() {
        let unspecified = proto::CallRecord {
            call_id: "c-1".into(),
            ..Default::default()
        };
        assert!(matches!(
            call_record_from_proto(unspecified),
            Err(CrmError::InvalidArgument(_))
        ));
        let unknown = proto::CallRecord {
            call_id: "c-1".into(),
            outcome: 99,
            ..Default::default()
        };
        assert!(matches!(
            call_record_from_proto(unknown),
            Err(CrmError::InvalidArgument(_))
        ));
        let huge = proto::CallRecord {
            call_id: "c-1".into(),
            outcome: proto::CallOutcome::Answered.into(),
            talk_ms: u64::MAX,
            ..Default::default()
        };
        assert!(matches!(
            call_record_from_proto(huge),
            Err(CrmError::InvalidArgument(_))
        ));
        let abandoned = proto::CallRecord {
            call_id: "c-1".into(),
            outcome: proto::CallOutcome::AbandonedInIvr.into(),
            queue: Some("q".into()),
            ..Default::default()
        };
        let record = call_record_from_proto(abandoned).unwrap();
        assert_eq!(record.outcome, crm_store::CallOutcome::AbandonedInIvr);
        assert_eq!(record.call.queue.as_deref(), Some("q"));
    }

    #[test]
    fn every_store_state_has_a_contract_state() {
        for state in SrState::ALL {
            assert_ne!(
                state_to_proto(state),
                proto::ServiceRequestState::Unspecified,
                "{state:?}"
            );
        }
    }
}
