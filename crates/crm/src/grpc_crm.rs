//! The `centralino.crm.v1.Crm` service (`proto/crm.proto`): logins, service requests, cases
//! and customers over gRPC, beside the CTI service and over the same store, sessions and
//! roles as the HTTP API.
//!
//! Every handler starts by asking [`Gate`] for the caller it needs (see `grpc_auth.rs` for
//! why there and not in an interceptor); then it checks the message, then it looks things up.
//! Errors go through [`CrmError`], which maps them to status codes in one place
//! (`error.rs`); [`status`] adds what only gRPC says (`retry-after` metadata).

use std::sync::Arc;

use common::phone::{CallerNumber, NumberKind, NumberingPlan};
use common::{Clock, Pii};
use crm_store::{
    CaseError, CaseKey, CaseStore, CustomerId, CustomerQuery, CustomerStore, HistoryPage,
    ListFilter, ServiceRequestStore, StoreError, UserStore,
};
use cti_proto::crm::crm_server::{Crm, CrmServer};
use cti_proto::crm::v1 as wire;
use service_request::{Actor, Desk, Role};
use tonic::{Request, Response, Status};

use crate::CrmError;
use crate::auth::{Authenticator, Password, Principal, ServiceCredential};
use crate::desk::{self, Desks};
use crate::engine_link::{EngineLink, ask};
use crate::grpc_auth::{Gate, source_address};
use crate::grpc_paging::{PageToken, filter_digest, page_size, split_page};
use crate::grpc_wire_cases as cases;
use crate::grpc_wire_customers as customers;
use crate::grpc_wire_desk::{desk_event, staff_role};
use crate::live::LiveBoard;

mod identify;
use identify::identify;

/// The `centralino.crm.v1.Crm` service on top of a store.
pub struct CrmGrpcService<S> {
    store: Arc<S>,
    gate: Gate<S>,
    desks: Arc<Desks>,
    board: Arc<LiveBoard>,
    link: Arc<EngineLink>,
    plan: Arc<NumberingPlan>,
    /// Reads "now" for the snapshot of SR lists.
    clock: Arc<dyn Clock>,
}

impl<S> std::fmt::Debug for CrmGrpcService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CrmGrpcService")
    }
}

/// A CRM error as a gRPC status, with the wait a client should respect before retrying
/// (`retry-after`, seconds, as HTTP's header) when there is one.
pub(crate) fn status(error: CrmError) -> Status {
    let retry_after = match &error {
        CrmError::LockedOut { retry_after_secs } => Some(*retry_after_secs),
        CrmError::Busy => Some(1),
        _ => None,
    };
    let mut status = Status::from(error);
    if let Some(secs) = retry_after {
        status.metadata_mut().insert(
            "retry-after",
            secs.to_string().parse().expect("digits are ascii"),
        );
    }
    status
}

type Answer<T> = Result<Response<T>, Status>;

fn answer<T>(result: Result<T, CrmError>) -> Answer<T> {
    result.map(Response::new).map_err(status)
}

/// SR lists: 50 by default, at most 100 per page (a page of SRs with full call records stays
/// under the answer limit).
const SR_PAGE: (u32, u32) = (50, 100);
/// History: 100 by default, at most 200 (notes are up to 8 KiB).
const HISTORY_PAGE: (u32, u32) = (100, 200);
/// Customer search: 20 by default, at most 50.
const CUSTOMER_PAGE: (u32, u32) = (20, 50);
/// Customers at one number, and recent SRs of a pop: 10 by default, at most 50.
const SHORT_LIST: (u32, u32) = (10, 50);
/// Longest text filter of an SR list, and longest search query.
const FILTER_LEN: usize = crm_store::limits::ID_LEN;

fn filter_text(value: Option<String>, what: &'static str) -> Result<Option<String>, CrmError> {
    match value {
        Some(v) if v.len() > FILTER_LEN => Err(CrmError::InvalidArgument(what)),
        other => Ok(other),
    }
}

impl<S> CrmGrpcService<S>
where
    S: ServiceRequestStore + CaseStore + CustomerStore + UserStore,
{
    pub(crate) fn new(
        store: Arc<S>,
        auth: Arc<Authenticator<S>>,
        credential: ServiceCredential,
        plan: NumberingPlan,
        clock: Arc<dyn Clock>,
        live: crate::Live,
    ) -> Self {
        Self {
            store,
            gate: Gate::new(auth, credential),
            desks: live.desks,
            board: live.board,
            link: live.link,
            plan: Arc::new(plan),
            clock,
        }
    }

    /// The tonic service, with the request limit of the CTI service
    /// ([`cti_proto::crm::MAX_REQUEST_BYTES`]) and answers up to
    /// [`cti_proto::crm::MAX_RESPONSE_BYTES`].
    pub fn into_server(self) -> CrmServer<Self> {
        CrmServer::new(self)
            .max_decoding_message_size(cti_proto::crm::MAX_REQUEST_BYTES)
            .max_encoding_message_size(cti_proto::crm::MAX_RESPONSE_BYTES)
    }

    /// One page of SRs: `filter` without its paging, tied to `digest`.
    async fn sr_page(
        &self,
        mut filter: ListFilter,
        asked: u32,
        token: &str,
        digest: &str,
    ) -> Result<wire::ListServiceRequestsResponse, CrmError> {
        let size = page_size(asked, SR_PAGE.0, SR_PAGE.1)?;
        let token = PageToken::decode(token, digest)?;
        // The first page fixes the snapshot: SRs opened later do not shift the next pages.
        let snapshot = token
            .and_then(|t| t.snapshot_until_unix_ms)
            .unwrap_or_else(|| self.clock.now_unix_ms().saturating_add(1));
        let offset = token.map_or(Ok(0), |t| t.offset(ListFilter::MAX_OFFSET))?;
        filter.created_until_unix_ms = Some(
            filter
                .created_until_unix_ms
                .map_or(snapshot, |until| until.min(snapshot)),
        );
        filter.limit = size + 1;
        filter.offset = offset;
        let (rows, more) = split_page(self.store.list(filter).await?, size);
        let next_page_token = if more {
            PageToken {
                position: u64::from(offset) + u64::from(size),
                snapshot_until_unix_ms: Some(snapshot),
            }
            .encode(digest)
        } else {
            String::new()
        };
        Ok(wire::ListServiceRequestsResponse {
            service_requests: rows.into_iter().map(cases::service_request).collect(),
            next_page_token,
        })
    }

    /// Who `principal` acts as on the case `key`: the role `act_as` names if they hold it;
    /// else the role of the case's desk if they hold it, else supervisor, else their first
    /// case role (the life cycle then says why it is the wrong desk).
    async fn actor_for(
        &self,
        principal: &Principal,
        act_as: Option<Role>,
        key: &CaseKey,
    ) -> Result<Actor, CrmError> {
        if let Some(role) = act_as {
            return principal.actor_as(&role).ok_or(CrmError::Forbidden);
        }
        let view = self
            .store
            .get_case(key.clone())
            .await?
            .ok_or(CaseError::NotFound)?;
        let case = &view.case;
        let desk_role = match case.status.desk() {
            Desk::FirstLevel => Some(Role::FirstLevel),
            Desk::SecondLevel => Some(Role::SecondLevel(case.queue.clone())),
            Desk::Rejections => Some(Role::Rejections),
            _ => None,
        };
        desk_role
            .and_then(|role| principal.actor_as(&role))
            .or_else(|| principal.actor_as(&Role::Supervisor))
            .or_else(|| principal.actors().into_iter().next())
            .ok_or(CrmError::Forbidden)
    }

    async fn apply(
        &self,
        principal: &Principal,
        key: CaseKey,
        command: service_request::Command,
        expected_revision: Option<u64>,
        act_as: Option<Role>,
    ) -> Result<wire::CaseUpdate, CrmError> {
        let actor = self.actor_for(principal, act_as, &key).await?;
        let kind = command.kind();
        let update = self
            .store
            .apply(
                key,
                command,
                &actor,
                expected_revision,
                &self.store.catalogue(),
            )
            .await?;
        tracing::info!(
            sr = %update.case.number,
            command = kind.as_str(),
            %actor,
            revision = update.case.case.revision,
            "case command applied over grpc"
        );
        Ok(cases::case_update(update))
    }
}

#[tonic::async_trait]
impl<S> Crm for CrmGrpcService<S>
where
    S: ServiceRequestStore + CaseStore + CustomerStore + UserStore,
{
    async fn login(&self, request: Request<wire::LoginRequest>) -> Answer<wire::LoginResponse> {
        let source = source_address(&request);
        let wire::LoginRequest { login, password } = request.into_inner();
        let result = async {
            let logged_in = self
                .gate
                .authenticator()
                .login(&login, &Password::new(password), source)
                .await?;
            let user = logged_in.user;
            Ok(wire::LoginResponse {
                token: logged_in.token,
                expires_at_unix_ms: logged_in.session.expires_at_unix_ms,
                user: Some(wire::StaffMember {
                    login: user.login,
                    name: user.name.into_inner(),
                    roles: user
                        .roles
                        .roles()
                        .map(|role| staff_role(role) as i32)
                        .collect(),
                    groups: user.roles.groups().map(str::to_owned).collect(),
                }),
            })
        };
        answer(result.await)
    }

    async fn logout(&self, request: Request<wire::LogoutRequest>) -> Answer<wire::LogoutResponse> {
        let result = async {
            let principal = self.gate.principal(&request).await?;
            self.gate.authenticator().logout(&principal).await?;
            Ok(wire::LogoutResponse {})
        };
        answer(result.await)
    }

    async fn get_service_request(
        &self,
        request: Request<wire::GetServiceRequestRequest>,
    ) -> Answer<wire::ServiceRequest> {
        use wire::get_service_request_request::Key;
        let result = async {
            self.gate.staff(&request).await?;
            let found = match request.into_inner().key {
                Some(Key::Number(number)) => {
                    cases::check_lookup(&number, true)?;
                    self.store.get_by_number(&number).await?
                }
                Some(Key::Id(id)) => self.store.get(id).await?,
                Some(Key::CallId(call_id)) => {
                    cases::check_lookup(&call_id, false)?;
                    self.store.get_by_call_id(&call_id).await?
                }
                None => {
                    return Err(CrmError::InvalidArgument(
                        "give a number, an id or a call_id",
                    ));
                }
            };
            Ok(cases::service_request(found.ok_or(CrmError::NotFound)?))
        };
        answer(result.await)
    }

    async fn list_service_requests(
        &self,
        request: Request<wire::ListServiceRequestsRequest>,
    ) -> Answer<wire::ListServiceRequestsResponse> {
        let result = async {
            self.gate.staff(&request).await?;
            let r = request.into_inner();
            let too_long = "a text filter is longer than 256 bytes";
            let filter = ListFilter {
                call_id: filter_text(r.call_id, too_long)?,
                sip_call_id: filter_text(r.sip_call_id, too_long)?,
                caller_number: filter_text(r.caller_number, too_long)?,
                state: cases::state_filter(r.state)?,
                queue: filter_text(r.queue, too_long)?,
                agent_id: filter_text(r.agent_id, too_long)?,
                created_from_unix_ms: r.created_from_unix_ms,
                created_until_unix_ms: r.created_until_unix_ms,
                ..ListFilter::default()
            };
            let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "\u{0}".into());
            let opt_ms = |v: Option<i64>| v.map_or_else(|| "-".into(), |ms| ms.to_string());
            let parts = [
                "list".to_owned(),
                opt(&filter.call_id),
                opt(&filter.sip_call_id),
                opt(&filter.caller_number),
                r.state.to_string(),
                opt(&filter.queue),
                opt(&filter.agent_id),
                opt_ms(filter.created_from_unix_ms),
                opt_ms(filter.created_until_unix_ms),
            ];
            let digest = filter_digest(&parts.each_ref().map(String::as_str));
            self.sr_page(filter, r.page_size, &r.page_token, &digest)
                .await
        };
        answer(result.await)
    }

    async fn search_service_requests(
        &self,
        request: Request<wire::SearchServiceRequestsRequest>,
    ) -> Answer<wire::ListServiceRequestsResponse> {
        let result = async {
            self.gate.staff(&request).await?;
            let r = request.into_inner();
            let query = r.query.trim();
            if query.is_empty() || query.len() > FILTER_LEN {
                return Err(CrmError::InvalidArgument("query is 1 to 256 bytes"));
            }
            let digest = filter_digest(&["search", query]);
            let first_page = r.page_token.is_empty();
            page_size(r.page_size, SR_PAGE.0, SR_PAGE.1)?;
            // An SR number or a call ID names one SR: a page of one.
            if first_page {
                let by_number = if query.len() <= 64 {
                    self.store.get_by_number(query).await?
                } else {
                    None
                };
                let found = match by_number {
                    Some(sr) => Some(sr),
                    None => self.store.get_by_call_id(query).await?,
                };
                if let Some(sr) = found {
                    return Ok(wire::ListServiceRequestsResponse {
                        service_requests: vec![cases::service_request(sr)],
                        next_page_token: String::new(),
                    });
                }
            }
            // Else the caller's number, as the engine normalised it when the call came.
            let number = CallerNumber::normalise(query, &self.plan);
            let caller_number = match number.kind() {
                NumberKind::E164 => number.e164().map(str::to_owned),
                NumberKind::Local => Some(query.to_owned()),
                _ => None,
            };
            let Some(caller_number) = caller_number else {
                return Ok(wire::ListServiceRequestsResponse::default());
            };
            let filter = ListFilter {
                caller_number: Some(caller_number),
                ..ListFilter::default()
            };
            self.sr_page(filter, r.page_size, &r.page_token, &digest)
                .await
        };
        answer(result.await)
    }

    async fn get_case(&self, request: Request<wire::GetCaseRequest>) -> Answer<wire::Case> {
        let result = async {
            self.gate.staff(&request).await?;
            let key = cases::case_key(request.into_inner().case, "case is missing")?;
            let view = self.store.get_case(key).await?.ok_or(CaseError::NotFound)?;
            Ok(cases::case(view))
        };
        answer(result.await)
    }

    async fn case_history(
        &self,
        request: Request<wire::CaseHistoryRequest>,
    ) -> Answer<wire::CaseHistoryResponse> {
        let result = async {
            self.gate.staff(&request).await?;
            let r = request.into_inner();
            let key = cases::case_key(r.case, "case is missing")?;
            let size = page_size(r.page_size, HISTORY_PAGE.0, HISTORY_PAGE.1)?;
            let digest = match &key {
                CaseKey::Number(number) => filter_digest(&["history-number", number]),
                CaseKey::Id(id) => filter_digest(&["history-id", &id.0.to_string()]),
            };
            let after_seq = PageToken::decode(&r.page_token, &digest)?.map(|t| t.position);
            let entries = self
                .store
                .history(
                    key,
                    HistoryPage {
                        after_seq,
                        limit: size + 1,
                    },
                )
                .await?;
            let (entries, more) = split_page(entries, size);
            let next_page_token = match entries.last() {
                Some(last) if more => PageToken {
                    position: last.seq,
                    snapshot_until_unix_ms: None,
                }
                .encode(&digest),
                _ => String::new(),
            };
            Ok(wire::CaseHistoryResponse {
                entries: entries.into_iter().map(cases::history_entry).collect(),
                next_page_token,
            })
        };
        answer(result.await)
    }

    async fn apply_case_command(
        &self,
        request: Request<wire::ApplyCaseCommandRequest>,
    ) -> Answer<wire::CaseUpdate> {
        let result = async {
            let principal = self.gate.case_worker(&request).await?;
            let r = request.into_inner();
            let key = cases::case_key(r.case, "case is missing")?;
            let command = cases::command(r.command)?;
            let act_as = cases::act_as(r.act_as)?;
            self.apply(&principal, key, command, r.expected_revision, act_as)
                .await
        };
        answer(result.await)
    }

    async fn attach_case(
        &self,
        request: Request<wire::AttachCaseRequest>,
    ) -> Answer<wire::AttachCaseResponse> {
        let result = async {
            let principal = self.gate.case_worker(&request).await?;
            let r = request.into_inner();
            let child = cases::case_key(r.child, "child is missing")?;
            let parent = cases::case_key(r.parent, "parent is missing")?;
            let act_as = cases::act_as(r.act_as)?;
            let actor = self.actor_for(&principal, act_as, &child).await?;
            let attached = self
                .store
                .attach_to_parent(
                    child,
                    parent,
                    &actor,
                    r.expected_revision,
                    &self.store.catalogue(),
                )
                .await?;
            tracing::info!(
                child = %attached.child.number,
                parent = %attached.parent.number,
                %actor,
                "case attached over grpc"
            );
            Ok(wire::AttachCaseResponse {
                child: Some(cases::case(attached.child)),
                parent: Some(cases::case(attached.parent)),
            })
        };
        answer(result.await)
    }

    async fn add_note(&self, request: Request<wire::AddNoteRequest>) -> Answer<wire::CaseUpdate> {
        let result = async {
            let principal = self.gate.case_worker(&request).await?;
            let r = request.into_inner();
            let key = cases::case_key(r.case, "case is missing")?;
            let command = cases::note(r.kind, r.text)?;
            let act_as = cases::act_as(r.act_as)?;
            self.apply(&principal, key, command, r.expected_revision, act_as)
                .await
        };
        answer(result.await)
    }

    async fn lookup_customers_by_number(
        &self,
        request: Request<wire::LookupCustomersByNumberRequest>,
    ) -> Answer<wire::LookupCustomersByNumberResponse> {
        let result = async {
            self.gate.staff(&request).await?;
            let r = request.into_inner();
            if r.number.is_empty() || r.number.len() > crm_store::limits::NUMBER_LEN {
                return Err(CrmError::InvalidArgument("number is 1 to 128 bytes"));
            }
            let size = page_size(r.page_size, SHORT_LIST.0, SHORT_LIST.1)?;
            let matches = self
                .store
                .customers_by_number(&r.number, &self.plan, size)
                .await?;
            Ok(wire::LookupCustomersByNumberResponse {
                customers: matches
                    .customers
                    .into_iter()
                    .map(customers::customer)
                    .collect(),
                more: matches.more,
            })
        };
        answer(result.await)
    }

    async fn verify_customer_pin(
        &self,
        request: Request<wire::VerifyCustomerPinRequest>,
    ) -> Answer<wire::IdentifiedCustomer> {
        let result = async {
            self.gate.engine(&request).await?;
            let r = request.into_inner();
            // A PIN of the wrong shape is a wrong PIN (the caller typed it): the store checks
            // a dummy hash for it, as for any other.
            let found = self
                .store
                .customer_by_pin(CustomerId(r.customer_id), Pii::new(r.pin))
                .await
                .or_else(|error| match error {
                    StoreError::InvalidCustomer(_) => Ok(None),
                    other => Err(other),
                })?;
            let verified = found.is_some();
            tracing::info!(verified, "customer pin checked for the ivr");
            Ok(customers::identified(
                found.ok_or(StoreError::CustomerNotFound)?,
            ))
        };
        answer(result.await)
    }

    type WatchDeskStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<wire::DeskEvent, Status>> + Send + 'static>,
    >;

    async fn watch_desk(
        &self,
        request: Request<wire::WatchDeskRequest>,
    ) -> Answer<Self::WatchDeskStream> {
        let result = async {
            let principal = self.gate.staff(&request).await?;
            let operator = desk::desk_to_watch(&principal, &request.get_ref().operator)?;
            let token = Gate::<S>::token(&request)?;
            let events = desk::follow(
                &self.desks,
                &operator,
                self.gate.shared_authenticator(),
                token,
            )
            .ok_or(CrmError::ShuttingDown)?;
            tracing::info!(watched = self.desks.watched(), "a desk stream opened");
            let stream = tokio_stream::StreamExt::map(
                tokio_stream::wrappers::ReceiverStream::new(events),
                |event| Ok(desk_event(&event)),
            );
            Ok(Box::pin(stream) as Self::WatchDeskStream)
        };
        answer(result.await)
    }

    type WatchLiveViewStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<wire::LiveViewUpdate, Status>> + Send + 'static>,
    >;

    async fn watch_live_view(
        &self,
        request: Request<wire::WatchLiveViewRequest>,
    ) -> Answer<Self::WatchLiveViewStream> {
        let result = async {
            let principal = self.gate.staff(&request).await?;
            if !principal.has(crm_store::StaffRole::Supervisor) {
                return Err(CrmError::Forbidden);
            }
            let token = Gate::<S>::token(&request)?;
            let updates = self
                .board
                .follow(self.gate.shared_authenticator(), token)
                .ok_or(CrmError::ShuttingDown)?;
            let stream = tokio_stream::StreamExt::map(
                tokio_stream::wrappers::ReceiverStream::new(updates),
                |update| {
                    Ok(wire::LiveViewUpdate {
                        view: Some((*update.view).clone()),
                        stale: update.stale,
                    })
                },
            );
            Ok(Box::pin(stream) as Self::WatchLiveViewStream)
        };
        answer(result.await)
    }

    async fn set_operator_state(
        &self,
        request: Request<wire::SetOperatorStateRequest>,
    ) -> Answer<wire::SetOperatorStateResponse> {
        let result = async {
            let principal = self.gate.staff(&request).await?;
            let r = request.into_inner();
            let action = match cti_proto::v1::OperatorAction::try_from(r.action) {
                Ok(cti_proto::v1::OperatorAction::Unspecified) | Err(_) => {
                    return Err(CrmError::InvalidArgument("action is missing or unknown"));
                }
                Ok(action) => action,
            };
            let command =
                ask::operator_command(&principal, &r.operator, action, r.reason, r.queues)?;
            self.link.send(command).await?;
            Ok(wire::SetOperatorStateResponse {})
        };
        answer(result.await)
    }

    async fn set_queue_open(
        &self,
        request: Request<wire::SetQueueOpenRequest>,
    ) -> Answer<wire::SetQueueOpenResponse> {
        let result = async {
            let principal = self.gate.staff(&request).await?;
            let r = request.into_inner();
            let command = ask::queue_command(&principal, &r.queue, r.open)?;
            self.link.send(command).await?;
            Ok(wire::SetQueueOpenResponse {})
        };
        answer(result.await)
    }

    async fn identify_caller(
        &self,
        request: Request<wire::IdentifyCallerRequest>,
    ) -> Answer<wire::IdentifiedCustomer> {
        let result = async {
            self.gate.engine(&request).await?;
            let r = request.into_inner();
            if r.number.len() > crm_store::limits::NUMBER_LEN {
                return Err(CrmError::InvalidArgument("number is at most 128 bytes"));
            }
            let found = identify(&self.store, &self.plan, &r.number, r.pin).await?;
            tracing::info!(
                identified = found.is_some(),
                with_pin = found.as_ref().map(|(_, pin)| *pin),
                "caller identification for the ivr"
            );
            Ok(customers::identified(
                found.map(|(c, _)| c).ok_or(StoreError::CustomerNotFound)?,
            ))
        };
        answer(result.await)
    }

    async fn get_customer(
        &self,
        request: Request<wire::GetCustomerRequest>,
    ) -> Answer<wire::Customer> {
        let result = async {
            self.gate.staff(&request).await?;
            let id = CustomerId(request.into_inner().id);
            let found = self.store.get_customer(id).await?;
            Ok(customers::customer(
                found.ok_or(StoreError::CustomerNotFound)?,
            ))
        };
        answer(result.await)
    }

    async fn create_customer(
        &self,
        request: Request<wire::CreateCustomerRequest>,
    ) -> Answer<wire::Customer> {
        let result = async {
            let principal = self.gate.staff(&request).await?;
            let draft = customers::draft(request.into_inner().customer)?;
            let created = self.store.create_customer(draft, &self.plan).await?;
            tracing::info!(login = %principal.login, "customer created over grpc");
            Ok(customers::customer(created))
        };
        answer(result.await)
    }

    async fn update_customer(
        &self,
        request: Request<wire::UpdateCustomerRequest>,
    ) -> Answer<wire::Customer> {
        let result = async {
            let principal = self.gate.staff(&request).await?;
            let r = request.into_inner();
            if r.expected_revision < 1 {
                return Err(CrmError::InvalidArgument(
                    "expected_revision is the revision the change was based on (1 or more)",
                ));
            }
            let draft = customers::draft(r.customer)?;
            let updated = self
                .store
                .update_customer(CustomerId(r.id), r.expected_revision, draft, &self.plan)
                .await?;
            tracing::info!(
                login = %principal.login,
                revision = updated.revision,
                "customer updated over grpc"
            );
            Ok(customers::customer(updated))
        };
        answer(result.await)
    }

    async fn search_customers(
        &self,
        request: Request<wire::SearchCustomersRequest>,
    ) -> Answer<wire::SearchCustomersResponse> {
        let result = async {
            self.gate.staff(&request).await?;
            let r = request.into_inner();
            let by = customers::search_by(r.by)?;
            let size = page_size(r.page_size, CUSTOMER_PAGE.0, CUSTOMER_PAGE.1)?;
            let digest = filter_digest(&customers::search_parts(&by));
            let offset = match PageToken::decode(&r.page_token, &digest)? {
                Some(token) => token.offset(CustomerQuery::MAX_OFFSET)?,
                None => 0,
            };
            let found = self
                .store
                .search_customers(CustomerQuery {
                    by,
                    limit: size + 1,
                    offset,
                })
                .await?;
            let (found, more) = split_page(found, size);
            let next_page_token = if more {
                PageToken {
                    position: u64::from(offset) + u64::from(size),
                    snapshot_until_unix_ms: None,
                }
                .encode(&digest)
            } else {
                String::new()
            };
            Ok(wire::SearchCustomersResponse {
                customers: found.into_iter().map(customers::customer).collect(),
                next_page_token,
            })
        };
        answer(result.await)
    }

    async fn customer_pop(
        &self,
        request: Request<wire::CustomerPopRequest>,
    ) -> Answer<wire::CustomerPopResponse> {
        let result = async {
            self.gate.staff(&request).await?;
            let r = request.into_inner();
            let limit = page_size(r.recent_limit, SHORT_LIST.0, SHORT_LIST.1)?;
            let pop = self
                .store
                .customer_pop(CustomerId(r.customer_id), limit)
                .await?
                .ok_or(StoreError::CustomerNotFound)?;
            Ok(customers::pop(pop))
        };
        answer(result.await)
    }
}
