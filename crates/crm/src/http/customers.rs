//! The customer directory: `/api/v1/customers...`.
//!
//! Customers are personal data: reading them needs a case role ([`CaseWorker`]: operators,
//! second level, rejections, supervisors), not administration alone; creating and changing
//! them is for operators and supervisors ([`CustomerEditor`]). Any case worker may flag a
//! discrepancy (they found it); clearing it, after the data is checked, is an editor's.
//!
//! PINs may be set or cleared with the customer's data, never read or verified here:
//! identification by PIN is the IVR's, over gRPC.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use common::Pii;
use crm_store::{
    Customer, CustomerDraft, CustomerEmail, CustomerId, CustomerKind, CustomerPop, CustomerQuery,
    CustomerStore, MAX_NUMBER_MATCHES, MAX_RECENT_REQUESTS, Party, PhoneDraft, PinChange,
    RecentServiceRequest, SearchBy, ServiceRequestStore, StoreError, UserStore,
};
use serde::{Deserialize, Serialize};

use super::input::{IfMatch, RequestError, etag_headers};
use super::{ApiState, BodyShape, JsonBody};
use crate::CrmError;
use crate::auth::{CaseWorker, CustomerEditor};

pub(super) fn routes<S: ServiceRequestStore + UserStore + CustomerStore>() -> Router<ApiState<S>> {
    Router::new()
        .route("/api/v1/customers", get(find::<S>).post(create::<S>))
        .route("/api/v1/customers/{id}", get(one::<S>).put(replace::<S>))
        .route(
            "/api/v1/customers/{id}/discrepancy",
            post(mark::<S>).delete(clear::<S>),
        )
        .route("/api/v1/customers/{id}/service-requests", get(recent::<S>))
        .route("/api/v1/customers/{id}/pop", get(pop::<S>))
}

/// `GET /api/v1/customers`: `{"customers": [...]}`; by caller number also `"more"`: whether
/// more customers share the number than the page shows.
#[derive(Debug, Serialize, Deserialize)]
pub struct CustomerList {
    pub customers: Vec<Customer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more: Option<bool>,
}

/// `GET /api/v1/customers/{id}/service-requests`: newest first.
#[derive(Debug, Serialize, Deserialize)]
pub struct RecentList {
    pub service_requests: Vec<RecentServiceRequest>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FindParams {
    name: Option<String>,
    tax_code: Option<String>,
    email: Option<String>,
    caller_number: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitParams {
    limit: Option<u32>,
}

/// A customer as an operator sends it: the store's draft, with every field checked by name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerBody {
    kind: CustomerKind,
    display_name: Pii<String>,
    #[serde(default)]
    given_name: Option<Pii<String>>,
    #[serde(default)]
    family_name: Option<Pii<String>>,
    #[serde(default)]
    tax_code: Option<Pii<String>>,
    #[serde(default)]
    vat_number: Option<Pii<String>>,
    #[serde(default)]
    phones: Vec<PhoneBody>,
    #[serde(default)]
    emails: Vec<EmailBody>,
    #[serde(default)]
    guest: bool,
    #[serde(default)]
    pin: PinChange,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhoneBody {
    label: String,
    number: Pii<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    label: String,
    address: Pii<String>,
}

impl BodyShape for CustomerBody {
    const SHAPE: &'static str = r#"the body is {"kind": "person" | "organisation", "display_name": text, "given_name", "family_name", "tax_code" (persons), "vat_number" (organisations), "phones": [{"label", "number"}], "emails": [{"label", "address"}], "guest": true|false, "pin": "keep" | "clear" | {"set": digits}} (see docs/api.md, Customers)"#;
}

impl CustomerBody {
    fn into_draft(self) -> Result<CustomerDraft, RequestError> {
        let party = match self.kind {
            CustomerKind::Person => {
                if self.vat_number.is_some() {
                    return Err(RequestError::Invalid {
                        field: "vat_number",
                        reason: "only organisations have one: a person has a tax_code",
                    });
                }
                Party::Person {
                    given_name: self.given_name,
                    family_name: self.family_name,
                    tax_code: self.tax_code,
                }
            }
            CustomerKind::Organisation => {
                let field = if self.given_name.is_some() {
                    Some("given_name")
                } else if self.family_name.is_some() {
                    Some("family_name")
                } else if self.tax_code.is_some() {
                    Some("tax_code")
                } else {
                    None
                };
                if let Some(field) = field {
                    return Err(RequestError::Invalid {
                        field,
                        reason: "only persons have one: an organisation has a vat_number",
                    });
                }
                Party::Organisation {
                    vat_number: self.vat_number,
                }
            }
            _ => {
                return Err(RequestError::Invalid {
                    field: "kind",
                    reason: "person or organisation",
                });
            }
        };
        Ok(CustomerDraft {
            party,
            display_name: self.display_name,
            phones: self
                .phones
                .into_iter()
                .map(|p| PhoneDraft {
                    label: p.label,
                    number: p.number,
                })
                .collect(),
            emails: self
                .emails
                .into_iter()
                .map(|e| CustomerEmail {
                    label: e.label,
                    address: e.address,
                })
                .collect(),
            guest: self.guest,
            pin: self.pin,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscrepancyRequest {
    note: Pii<String>,
}

impl BodyShape for DiscrepancyRequest {
    const SHAPE: &'static str = r#"the body is {"note": text}"#;
}

/// A path's customer id, if it can be one (otherwise nobody has it).
fn customer_id(id: &str) -> Result<CustomerId, CrmError> {
    match id.parse::<i64>() {
        Ok(n) if n > 0 && id.bytes().all(|b| b.is_ascii_digit()) => Ok(CustomerId(n)),
        _ => Err(StoreError::CustomerNotFound.into()),
    }
}

/// The customer with its `ETag`.
fn with_etag(customer: Customer) -> (HeaderMap, Json<Customer>) {
    (etag_headers(customer.revision), Json(customer))
}

fn page_limit(
    limit: Option<u32>,
    default: u32,
    max: u32,
    error: &'static str,
) -> Result<u32, CrmError> {
    let limit = limit.unwrap_or(default);
    if limit == 0 || limit > max {
        return Err(CrmError::InvalidArgument(error));
    }
    Ok(limit)
}

async fn find<S: CustomerStore>(
    _: CaseWorker,
    State(state): State<ApiState<S>>,
    params: Result<Query<FindParams>, QueryRejection>,
) -> Result<Json<CustomerList>, CrmError> {
    let Query(params) = params.map_err(|_| {
        CrmError::InvalidArgument(
            "bad query: the parameters are one of name, tax_code, email, caller_number, and limit and offset (numbers)",
        )
    })?;
    let given = [
        params.name.is_some(),
        params.tax_code.is_some(),
        params.email.is_some(),
        params.caller_number.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(CrmError::InvalidArgument(
            "give exactly one of name, tax_code, email (a prefix of at least 2 characters) or caller_number",
        ));
    }
    if let Some(number) = params.caller_number {
        if params.offset.is_some() {
            return Err(CrmError::InvalidArgument(
                "a look-up by caller_number has no offset: it answers at most 50 customers and says if there are more",
            ));
        }
        let limit = page_limit(
            params.limit,
            10,
            MAX_NUMBER_MATCHES,
            "limit must be between 1 and 50",
        )?;
        let found = state
            .store
            .customers_by_number(&number, &state.numbering_plan, limit)
            .await?;
        return Ok(Json(CustomerList {
            customers: found.customers,
            more: Some(found.more),
        }));
    }
    let by = match (params.name, params.tax_code, params.email) {
        (Some(name), _, _) => SearchBy::Name(name),
        (_, Some(tax_code), _) => SearchBy::TaxCode(tax_code),
        (_, _, Some(email)) => SearchBy::Email(email),
        // Not reached: exactly one parameter was given and it is not the caller number.
        (None, None, None) => return Err(CrmError::InvalidArgument("give a search parameter")),
    };
    let limit = page_limit(
        params.limit,
        CustomerQuery::DEFAULT_LIMIT,
        CustomerQuery::MAX_LIMIT,
        "limit must be between 1 and 100",
    )?;
    let offset = params.offset.unwrap_or(0);
    if offset > CustomerQuery::MAX_OFFSET {
        return Err(CrmError::InvalidArgument(
            "offset is beyond 10000: narrow the search instead",
        ));
    }
    let customers = state
        .store
        .search_customers(CustomerQuery { by, limit, offset })
        .await?;
    Ok(Json(CustomerList {
        customers,
        more: None,
    }))
}

async fn create<S: CustomerStore>(
    CustomerEditor(editor): CustomerEditor,
    State(state): State<ApiState<S>>,
    JsonBody(body): JsonBody<CustomerBody>,
) -> Result<(StatusCode, HeaderMap, Json<Customer>), CrmError> {
    let draft = body.into_draft()?;
    let customer = state
        .store
        .create_customer(draft, &state.numbering_plan)
        .await?;
    tracing::info!(by = %editor.login, "customer created");
    let (mut headers, json) = with_etag(customer);
    let location = format!("/api/v1/customers/{}", json.id);
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).expect("a path of ASCII digits is a header value"),
    );
    Ok((StatusCode::CREATED, headers, json))
}

async fn one<S: CustomerStore>(
    _: CaseWorker,
    State(state): State<ApiState<S>>,
    Path(id): Path<String>,
) -> Result<(HeaderMap, Json<Customer>), CrmError> {
    let customer = state
        .store
        .get_customer(customer_id(&id)?)
        .await?
        .ok_or(StoreError::CustomerNotFound)?;
    Ok(with_etag(customer))
}

async fn replace<S: CustomerStore>(
    CustomerEditor(editor): CustomerEditor,
    State(state): State<ApiState<S>>,
    Path(id): Path<String>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<CustomerBody>,
) -> Result<(HeaderMap, Json<Customer>), CrmError> {
    let id = customer_id(&id)?;
    let expected =
        i64::try_from(if_match.required()?).map_err(|_| CrmError::from(RequestError::IfMatch))?;
    let draft = body.into_draft()?;
    let customer = state
        .store
        .update_customer(id, expected, draft, &state.numbering_plan)
        .await?;
    tracing::info!(by = %editor.login, revision = customer.revision, "customer changed");
    Ok(with_etag(customer))
}

async fn mark<S: CustomerStore>(
    CaseWorker(worker): CaseWorker,
    State(state): State<ApiState<S>>,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<DiscrepancyRequest>,
) -> Result<(HeaderMap, Json<Customer>), CrmError> {
    let customer = state
        .store
        .mark_discrepancy(customer_id(&id)?, request.note)
        .await?;
    tracing::info!(by = %worker.login, "customer discrepancy flagged");
    Ok(with_etag(customer))
}

async fn clear<S: CustomerStore>(
    CustomerEditor(editor): CustomerEditor,
    State(state): State<ApiState<S>>,
    Path(id): Path<String>,
) -> Result<(HeaderMap, Json<Customer>), CrmError> {
    let customer = state.store.clear_discrepancy(customer_id(&id)?).await?;
    tracing::info!(by = %editor.login, "customer discrepancy cleared");
    Ok(with_etag(customer))
}

async fn recent<S: CustomerStore>(
    _: CaseWorker,
    State(state): State<ApiState<S>>,
    Path(id): Path<String>,
    params: Result<Query<LimitParams>, QueryRejection>,
) -> Result<Json<RecentList>, CrmError> {
    let Query(params) = params
        .map_err(|_| CrmError::InvalidArgument("bad query: the parameter is limit (a number)"))?;
    let id = customer_id(&id)?;
    let limit = page_limit(
        params.limit,
        10,
        MAX_RECENT_REQUESTS,
        "limit must be between 1 and 50",
    )?;
    // An unknown customer is a 404, not an empty list.
    state
        .store
        .get_customer(id)
        .await?
        .ok_or(StoreError::CustomerNotFound)?;
    let service_requests = state.store.recent_service_requests(id, limit).await?;
    Ok(Json(RecentList { service_requests }))
}

async fn pop<S: CustomerStore>(
    _: CaseWorker,
    State(state): State<ApiState<S>>,
    Path(id): Path<String>,
    params: Result<Query<LimitParams>, QueryRejection>,
) -> Result<Json<CustomerPop>, CrmError> {
    let Query(params) = params
        .map_err(|_| CrmError::InvalidArgument("bad query: the parameter is limit (a number)"))?;
    let limit = page_limit(
        params.limit,
        5,
        MAX_RECENT_REQUESTS,
        "limit must be between 1 and 50",
    )?;
    let pop = state
        .store
        .customer_pop(customer_id(&id)?, limit)
        .await?
        .ok_or(StoreError::CustomerNotFound)?;
    Ok(Json(pop))
}
