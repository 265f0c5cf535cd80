//! The gRPC side: the engine's call facts build call records and open service requests.

use std::sync::Arc;

use common::Pii;
use common::phone::NumberingPlan;
use crm_store::{
    Arrived, CallFact, Caller, CustomerStore, Ended, FactKind, Offered, Opened, ServiceRequest,
    ServiceRequestStore,
};
use cti_proto::cti_server::{Cti, CtiServer};
use cti_proto::v1 as proto;
use service_request::State;
use tokio::sync::mpsc;
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};

use crate::CrmError;
use crate::auth::ServiceCredential;
use crate::batch::FactBatcher;
use crate::desk::{self, DeskCall, DeskEvent, DeskEventKind, Desks};
use crate::engine_link::EngineLink;
use crate::live::LiveBoard;

/// What an operator's desk hears of a call fact.
enum DeskFact {
    Offered {
        agent: String,
        at: i64,
        waited_ms: Option<u64>,
    },
    Answered {
        agent: String,
        at: i64,
    },
    Ended {
        agent: String,
        at: i64,
    },
}

/// The `centralino.cti.v1.Cti` service on top of a store.
#[derive(Debug)]
pub struct CtiService<S> {
    facts: FactBatcher,
    desk_facts: mpsc::Sender<(DeskFact, ServiceRequest)>,
    desks: Arc<Desks>,
    board: Arc<LiveBoard>,
    link: Arc<EngineLink>,
    _store: std::marker::PhantomData<S>,
}

/// Call facts waiting for the desks' task; past it, desks miss events (logged), the facts
/// themselves are stored all the same.
const DESK_QUEUE: usize = 1024;

impl<S: ServiceRequestStore + CustomerStore> CtiService<S> {
    /// Must be called inside a tokio runtime: it starts the task that group-commits facts and
    /// the one that tells the operators watching `desks` (screen pops, calls connected and
    /// ended), in the order the facts came, without holding up the engine's answers.
    pub fn new(
        store: Arc<S>,
        desks: Arc<Desks>,
        board: Arc<LiveBoard>,
        link: Arc<EngineLink>,
        plan: NumberingPlan,
    ) -> Self {
        let (desk_facts, queued) = mpsc::channel(DESK_QUEUE);
        tokio::spawn(tell_desks(store.clone(), desks.clone(), plan, queued));
        Self {
            facts: FactBatcher::start(store),
            desk_facts,
            desks,
            board,
            link,
            _store: std::marker::PhantomData,
        }
    }

    fn to_desk(&self, fact: DeskFact, opened: &Opened) {
        match self.desk_facts.try_send((fact, opened.request.clone())) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!("desk events are falling behind: an operator's desk misses one");
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// The tonic service to add to a `tonic::transport::Server`: every call must carry the
    /// engine's service credential, and no message may exceed
    /// [`cti_proto::MAX_ADMIN_BYTES`] (an administrator's upload or a prompts backup; the
    /// call facts are held to their own field limits).
    pub fn into_server(
        self,
        credential: ServiceCredential,
    ) -> InterceptedService<CtiServer<Self>, ServiceCredential> {
        InterceptedService::new(
            CtiServer::new(self)
                .max_decoding_message_size(cti_proto::MAX_ADMIN_BYTES)
                .max_encoding_message_size(cti_proto::MAX_ADMIN_BYTES),
            credential,
        )
    }

    async fn apply(&self, fact: CallFact) -> Result<Opened, CrmError> {
        let what = match &fact.kind {
            FactKind::Arrived(_) => "arrived",
            FactKind::Offered(_) => "offered",
            FactKind::Answered { .. } => "answered",
            FactKind::Ended(_) => "ended",
        };
        let opened = self.facts.apply(fact).await?;
        let sr = &opened.request;
        tracing::info!(
            call_id = %sr.call_id,
            sr = %sr.number,
            created = opened.created,
            fact = what,
            "call fact stored"
        );
        Ok(opened)
    }
}

/// The desks' task: builds each event (a screen pop reads the customer) and publishes it on
/// the operator's desk, if anyone watches it.
async fn tell_desks<S: CustomerStore>(
    store: Arc<S>,
    desks: Arc<Desks>,
    plan: NumberingPlan,
    mut queued: mpsc::Receiver<(DeskFact, ServiceRequest)>,
) {
    while let Some((fact, sr)) = queued.recv().await {
        let (operator, at_unix_ms) = match &fact {
            DeskFact::Offered { agent, at, .. }
            | DeskFact::Answered { agent, at }
            | DeskFact::Ended { agent, at } => (agent.clone(), *at),
        };
        if operator.is_empty() || !desks.is_watched(&operator) {
            continue;
        }
        let call = |sr: ServiceRequest| DeskCall {
            call_id: sr.call_id.clone(),
            service_request: sr,
        };
        let kind = match fact {
            DeskFact::Offered { waited_ms, .. } => DeskEventKind::Offered(Box::new(
                desk::screen_pop(&*store, &plan, sr, waited_ms).await,
            )),
            DeskFact::Answered { .. } => DeskEventKind::Connected(call(sr)),
            DeskFact::Ended { .. } => DeskEventKind::Ended(call(sr)),
        };
        desks.publish(&operator, DeskEvent { at_unix_ms, kind });
    }
}

fn ack(opened: &Opened) -> proto::CallFactAck {
    proto::CallFactAck {
        service_request: Some(sr_to_proto(&opened.request)),
        created: opened.created,
    }
}

#[tonic::async_trait]
impl<S: ServiceRequestStore + CustomerStore> Cti for CtiService<S> {
    async fn report_call_arrived(
        &self,
        request: Request<proto::CallArrived>,
    ) -> Result<Response<proto::CallFactAck>, Status> {
        let opened = self.apply(arrived_from_proto(request.into_inner())).await?;
        Ok(Response::new(ack(&opened)))
    }

    async fn report_call_offered(
        &self,
        request: Request<proto::CallOffered>,
    ) -> Result<Response<proto::ScreenPop>, Status> {
        let offered = request.into_inner();
        let fact = DeskFact::Offered {
            agent: offered.agent_id.clone(),
            at: offered.offered_at_unix_ms,
            waited_ms: Some(offered.waited_ms),
        };
        let opened = self.apply(offered_from_proto(offered)?).await?;
        self.to_desk(fact, &opened);
        Ok(Response::new(proto::ScreenPop {
            service_request: Some(sr_to_proto(&opened.request)),
            created: opened.created,
        }))
    }

    async fn report_call_answered(
        &self,
        request: Request<proto::CallAnswered>,
    ) -> Result<Response<proto::CallFactAck>, Status> {
        let answered = request.into_inner();
        let fact = DeskFact::Answered {
            agent: answered.agent_id.clone(),
            at: answered.answered_at_unix_ms,
        };
        let opened = self
            .apply(CallFact {
                call_id: answered.call_id,
                at_unix_ms: answered.answered_at_unix_ms,
                kind: FactKind::Answered {
                    agent_id: answered.agent_id,
                },
            })
            .await?;
        self.to_desk(fact, &opened);
        Ok(Response::new(ack(&opened)))
    }

    async fn publish_live_view(
        &self,
        request: Request<proto::LiveView>,
    ) -> Result<Response<proto::LiveViewAck>, Status> {
        let view = request.into_inner();
        let at_unix_ms = view.at_unix_ms;
        let changed = self.board.publish(view)?;
        for state in changed {
            let operator = state.operator.clone();
            self.desks.publish(
                &operator,
                DeskEvent {
                    at_unix_ms,
                    kind: DeskEventKind::StateChanged(state),
                },
            );
        }
        Ok(Response::new(proto::LiveViewAck {}))
    }

    type FollowCommandsStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<proto::EngineCommand, Status>> + Send + 'static>,
    >;

    async fn follow_commands(
        &self,
        request: Request<proto::FollowCommandsRequest>,
    ) -> Result<Response<Self::FollowCommandsStream>, Status> {
        let node = request.into_inner().node;
        if node.len() > crm_store::limits::ID_LEN {
            return Err(CrmError::InvalidArgument("node is at most 256 bytes").into());
        }
        let commands = self.link.follow(&node);
        let stream =
            tokio_stream::StreamExt::map(tokio_stream::wrappers::ReceiverStream::new(commands), Ok);
        Ok(Response::new(Box::pin(stream)))
    }

    async fn report_command_result(
        &self,
        request: Request<proto::CommandResult>,
    ) -> Result<Response<proto::CommandResultAck>, Status> {
        let result = request.into_inner();
        if result.refusal.len() > 1024 {
            return Err(CrmError::InvalidArgument("refusal is at most 1024 bytes").into());
        }
        self.link.resolve(result);
        Ok(Response::new(proto::CommandResultAck {}))
    }

    async fn report_call_ended(
        &self,
        request: Request<proto::CallRecord>,
    ) -> Result<Response<proto::CallFactAck>, Status> {
        let record = request.into_inner();
        let fact = DeskFact::Ended {
            // The operator who answered, or else the last one it rang at.
            agent: record.agent_id.clone().unwrap_or_default(),
            at: record.ended_at_unix_ms,
        };
        let opened = self.apply(ended_from_proto(record)?).await?;
        let fact = match fact {
            DeskFact::Ended { agent, at } if agent.is_empty() => DeskFact::Ended {
                agent: opened
                    .request
                    .call
                    .offered_agent_id
                    .clone()
                    .unwrap_or_default(),
                at,
            },
            other => other,
        };
        self.to_desk(fact, &opened);
        Ok(Response::new(ack(&opened)))
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

fn caller(raw: String, e164: Option<String>) -> Caller {
    Caller {
        raw: Pii::new(raw),
        e164: e164.and_then(non_empty).map(Pii::new),
    }
}

fn arrived_from_proto(fact: proto::CallArrived) -> CallFact {
    CallFact {
        call_id: fact.call_id,
        at_unix_ms: fact.arrived_at_unix_ms,
        kind: FactKind::Arrived(Arrived {
            sip_call_id: fact.sip_call_id,
            channel: fact.channel,
            caller: caller(fact.caller_number, fact.caller_number_e164),
            dialled_number: fact.dialled_number,
        }),
    }
}

fn offered_from_proto(fact: proto::CallOffered) -> Result<CallFact, CrmError> {
    Ok(CallFact {
        call_id: fact.call_id,
        at_unix_ms: fact.offered_at_unix_ms,
        kind: FactKind::Offered(Offered {
            channel: fact.channel,
            caller: caller(fact.caller_number, fact.caller_number_e164),
            dialled_number: fact.dialled_number,
            customer: fact.customer_id.and_then(non_empty).map(Pii::new),
            ivr_data: ivr_pairs(fact.ivr_data),
            queue: fact.queue,
            waited_ms: millis(fact.waited_ms, "waited_ms out of range")?,
            agent_id: fact.agent_id,
        }),
    })
}

fn ended_from_proto(record: proto::CallRecord) -> Result<CallFact, CrmError> {
    let outcome = proto::CallOutcome::to_common(record.outcome).ok_or(
        CrmError::InvalidArgument("call outcome is unspecified or unknown"),
    )?;
    let end_reason = proto::EndReason::to_common(record.end_reason).ok_or(
        CrmError::InvalidArgument("end reason is unspecified or unknown"),
    )?;
    let stage = proto::CallStage::to_common(record.stage).ok_or(CrmError::InvalidArgument(
        "call stage is unspecified or unknown",
    ))?;
    Ok(CallFact {
        call_id: record.call_id,
        at_unix_ms: record.ended_at_unix_ms,
        kind: FactKind::Ended(Box::new(Ended {
            sip_call_id: record.sip_call_id,
            channel: record.channel,
            caller: caller(record.caller_number, record.caller_number_e164),
            dialled_number: record.dialled_number,
            customer: record.customer_id.and_then(non_empty).map(Pii::new),
            ivr_data: ivr_pairs(record.ivr_data),
            queue: record.queue.and_then(non_empty),
            outcome,
            end_reason,
            stage,
            started_at_unix_ms: record.started_at_unix_ms,
            offered_at_unix_ms: record.offered_at_unix_ms,
            answered_at_unix_ms: record.answered_at_unix_ms,
            waited_ms: record
                .waited_ms
                .map(|ms| millis(ms, "waited_ms out of range"))
                .transpose()?,
            talk_ms: record
                .talk_ms
                .map(|ms| millis(ms, "talk_ms out of range"))
                .transpose()?,
            agent_id: record.agent_id.and_then(non_empty),
        })),
    })
}

pub(crate) fn state_to_proto(state: State) -> proto::ServiceRequestState {
    use proto::ServiceRequestState as P;
    match state {
        State::Open => P::Open,
        State::ResolvedFirstLevel => P::ResolvedFirstLevel,
        State::ResolvedSecondLevel => P::ResolvedSecondLevel,
        State::Assigned => P::Assigned,
        State::Transferred => P::Transferred,
        State::AssignedResolved => P::AssignedResolved,
        State::Cancelled => P::Cancelled,
        State::NotResolvable => P::NotResolvable,
        State::Rejected => P::Rejected,
        State::Suspended => P::Suspended,
        // A state added to the life cycle but not yet to the contract: old clients see it
        // as unspecified rather than as a wrong state.
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
    fn an_offer_keeps_ivr_order_and_empty_fields_are_absent() {
        let offered = proto::CallOffered {
            call_id: "c-1".into(),
            caller_number: "0551234567".into(),
            caller_number_e164: Some(String::new()),
            ivr_data: vec![
                proto::IvrDatum::new("b", "1"),
                proto::IvrDatum::new("a", "2"),
            ],
            agent_id: "op-7".into(),
            waited_ms: 1500,
            customer_id: Some(String::new()),
            ..Default::default()
        };
        let fact = offered_from_proto(offered).unwrap();
        let FactKind::Offered(o) = fact.kind else {
            panic!("an offer")
        };
        assert_eq!(
            o.ivr_data,
            [("b".into(), "1".into()), ("a".into(), "2".into())]
        );
        assert_eq!(o.customer, None);
        assert_eq!(o.caller.e164, None);
        assert_eq!(o.waited_ms, 1500);
        assert_eq!(o.caller.raw.expose(), "0551234567");
    }

    #[test]
    fn a_record_needs_known_enums_and_sane_durations_and_keeps_absent_ones_absent() {
        let good = proto::CallRecord {
            call_id: "c-1".into(),
            outcome: proto::CallOutcome::AbandonedInIvr.into(),
            end_reason: proto::EndReason::CallerHungUp.into(),
            stage: proto::CallStage::Ivr.into(),
            queue: Some("q".into()),
            ..Default::default()
        };
        let FactKind::Ended(e) = ended_from_proto(good.clone()).unwrap().kind else {
            panic!("a record")
        };
        assert_eq!(e.outcome, crm_store::CallOutcome::AbandonedInIvr);
        assert_eq!(e.queue.as_deref(), Some("q"));
        assert_eq!(e.waited_ms, None);
        assert_eq!(e.talk_ms, None);
        for bad in [
            proto::CallRecord {
                outcome: 0,
                ..good.clone()
            },
            proto::CallRecord {
                outcome: 99,
                ..good.clone()
            },
            proto::CallRecord {
                end_reason: 0,
                ..good.clone()
            },
            proto::CallRecord {
                stage: 0,
                ..good.clone()
            },
            proto::CallRecord {
                talk_ms: Some(u64::MAX),
                ..good.clone()
            },
        ] {
            assert!(matches!(
                ended_from_proto(bad),
                Err(CrmError::InvalidArgument(_))
            ));
        }
    }

    #[test]
    fn every_life_cycle_state_has_a_contract_state() {
        for state in State::ALL.iter().copied() {
            assert_ne!(
                state_to_proto(state),
                proto::ServiceRequestState::Unspecified,
                "{state:?}"
            );
        }
    }
}
