//! The case [scheda, caso] of every service request: the work of the desk, stored.
//!
//! The rules live in the crate `service-request`; the store loads a case, asks
//! [`Case::apply`] (or [`Case::attach_to`]), and writes what it answered in one transaction:
//! the new case under a new revision, the history entries appended, and the followers closed
//! with their parent. Commands on one case are serialised (SQLite `BEGIN IMMEDIATE`,
//! PostgreSQL `SELECT .. FOR UPDATE`); a command that names the revision it was decided on
//! is refused if the case has moved on since ([`CaseError::StaleRevision`]).
//!
//! ```no_run
//! # async fn run(catalogue: service_request::Catalogue) -> Result<(), crm_store::CaseError> {
//! use std::sync::Arc;
//! use crm_store::{CaseFilter, CaseStore, SqliteStore};
//! use service_request::{Actor, Command};
//!
//! let catalogue = Arc::new(catalogue);
//! let store = SqliteStore::open("crm.db", Arc::new(common::SystemClock))
//!     .await?
//!     .with_catalogue(catalogue.clone());
//! let anna = Actor::first_level("anna");
//! // Anna's inbox: the open cases of her queue, newest first.
//! let inbox = store
//!     .list_cases(CaseFilter { queue: Some("technology".into()), closed: Some(false), ..Default::default() })
//!     .await?;
//! if let Some(first) = inbox.first() {
//!     let taken = store
//!         .apply(first.number.as_str().into(), Command::Lock, &anna, Some(first.case.revision), &catalogue)
//!         .await?;
//!     println!("{} is now at revision {}", taken.case.number, taken.case.case.revision);
//! }
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;

use common::Pii;
use serde::{Deserialize, Serialize};
use service_request::{
    Actor, ActorId, Case, CaseId, Catalogue, Command, GroupCode, HistoryEntry, Outcome, Refusal,
    ServiceCode, State,
};

use crate::{
    AnyStore, CallOutcome, CallStage, CaseIntake, EndReason, ListFilter, PgStore, ServiceRequest,
    SqliteStore, StoreError,
};

/// A case, by the id of its SR or by the SR number the caller quotes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CaseKey {
    Id(CaseId),
    /// `SR-<year>-<sequence>`.
    Number(String),
}

impl From<CaseId> for CaseKey {
    fn from(id: CaseId) -> Self {
        CaseKey::Id(id)
    }
}

impl From<&str> for CaseKey {
    fn from(number: &str) -> Self {
        CaseKey::Number(number.to_owned())
    }
}

impl From<String> for CaseKey {
    fn from(number: String) -> Self {
        CaseKey::Number(number)
    }
}

/// A case as an operator's screen shows it: the case, its SR and a summary of its call.
/// Serialises as it is for the HTTP API (personal data in clear, as the API shows it to
/// operators); `Debug` redacts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseView {
    /// The SR number the caller quotes, e.g. `SR-2026-000042`.
    pub number: String,
    pub case: Case,
    /// Closed for ever: it takes only a satisfaction score.
    pub closed: bool,
    /// How it ended, once closed.
    pub outcome: Option<Outcome>,
    pub service_request: SrSummary,
    /// `None` for a case that did not come from a call.
    pub call: Option<CallSummary>,
}

/// The SR a case belongs to: what the IVR said about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrSummary {
    pub id: i64,
    /// The engine's call ID, if the SR came from a call.
    pub call_id: Option<String>,
    /// As the CTI reported it (`phone` by default).
    pub channel: String,
    pub service_area: Option<String>,
    pub category: Option<String>,
    pub request_type: Option<String>,
    pub created_at_unix_ms: i64,
    pub updated_at_unix_ms: i64,
}

/// The call record [cartellino telefonico] of a case, as the screen pop shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSummary {
    pub call_id: String,
    pub caller_number: Pii<String>,
    pub caller_number_e164: Option<Pii<String>>,
    pub dialled_number: String,
    pub customer: Option<Pii<String>>,
    /// What the caller chose in the IVR, in order.
    pub ivr_data: Vec<IvrDatum>,
    /// The ACD queue the call reached.
    pub queue: Option<String>,
    /// The operator who answered.
    pub agent_id: Option<String>,
    pub outcome: Option<CallOutcome>,
    pub end_reason: Option<EndReason>,
    pub stage: Option<CallStage>,
    pub started_at_unix_ms: Option<i64>,
    pub answered_at_unix_ms: Option<i64>,
    pub ended_at_unix_ms: Option<i64>,
    pub waited_ms: Option<i64>,
    pub talk_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IvrDatum {
    pub key: String,
    pub value: String,
}

impl CaseView {
    pub(crate) fn new(sr: ServiceRequest, case: Case) -> Self {
        let call = (!sr.call_id.is_empty()).then(|| {
            let c = sr.call;
            CallSummary {
                call_id: sr.call_id.clone(),
                caller_number: c.caller_number,
                caller_number_e164: c.caller_number_e164,
                dialled_number: c.dialled_number,
                customer: c.customer,
                ivr_data: c
                    .ivr_data
                    .into_iter()
                    .map(|(key, value)| IvrDatum { key, value })
                    .collect(),
                queue: c.queue,
                agent_id: c.agent_id,
                outcome: c.outcome,
                end_reason: c.end_reason,
                stage: c.stage,
                started_at_unix_ms: c.started_at_unix_ms,
                answered_at_unix_ms: c.answered_at_unix_ms,
                ended_at_unix_ms: c.ended_at_unix_ms,
                waited_ms: c.waited_ms,
                talk_ms: c.talk_ms,
            }
        });
        Self {
            number: sr.number,
            closed: case.status.is_terminal(),
            outcome: case.status.outcome(),
            case,
            service_request: SrSummary {
                id: sr.id,
                call_id: (!sr.call_id.is_empty()).then_some(sr.call_id),
                channel: sr.channel,
                service_area: sr.service_area,
                category: sr.category,
                request_type: sr.request_type,
                created_at_unix_ms: sr.created_at_unix_ms,
                updated_at_unix_ms: sr.updated_at_unix_ms,
            },
            call,
        }
    }
}

/// What an accepted command did, all of it stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseUpdate {
    /// The case after the command.
    pub case: CaseView,
    /// The history entries the command appended, in order; never empty.
    pub appended: Vec<HistoryEntry>,
    /// Set when the command closed the case: the moment for a call back or a hot
    /// satisfaction survey.
    pub closed: Option<Outcome>,
    /// The followers that closed with it, in the same transaction.
    pub closed_children: Vec<CaseId>,
}

/// Both sides of a new parent/child link, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attached {
    pub child: CaseView,
    pub parent: CaseView,
}

/// Which cases [`CaseStore::list_cases`] returns, newest first: an operator's inbox. Every
/// field is a condition that must hold (`None`: any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFilter {
    /// Where it is listed now.
    pub queue: Option<GroupCode>,
    pub state: Option<State>,
    pub owner: Option<ActorId>,
    pub service: Option<ServiceCode>,
    /// `Some(false)`: only cases still being worked; `Some(true)`: only closed ones.
    pub closed: Option<bool>,
    /// At most [`CaseFilter::MAX_LIMIT`]; larger values are clamped.
    pub limit: u32,
    /// At most [`CaseFilter::MAX_OFFSET`].
    pub offset: u32,
}

impl CaseFilter {
    pub const DEFAULT_LIMIT: u32 = ListFilter::DEFAULT_LIMIT;
    pub const MAX_LIMIT: u32 = ListFilter::MAX_LIMIT;
    pub const MAX_OFFSET: u32 = ListFilter::MAX_OFFSET;
}

impl Default for CaseFilter {
    fn default() -> Self {
        Self {
            queue: None,
            state: None,
            owner: None,
            service: None,
            closed: None,
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// One page of a case's history, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryPage {
    /// Entries after this position (`None`: from the opening).
    pub after_seq: Option<u64>,
    /// At most [`HistoryPage::MAX_LIMIT`]; larger values are clamped.
    pub limit: u32,
}

impl HistoryPage {
    pub const DEFAULT_LIMIT: u32 = 100;
    pub const MAX_LIMIT: u32 = 500;
}

impl Default for HistoryPage {
    fn default() -> Self {
        Self {
            after_seq: None,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

/// Why a command on a case was not stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaseError {
    #[error("case not found")]
    NotFound,
    /// The life cycle's rules refuse the command; the refusal names the rule and what to do
    /// instead, in words an operator can read. Nothing was stored.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The command was decided on an older revision of the case: someone changed it
    /// meanwhile. Nothing was stored.
    #[error(
        "the case changed meanwhile: it is at revision {current}, not {expected}; reload it and decide again"
    )]
    StaleRevision { expected: u64, current: u64 },
    /// Closing a parent needs its followers to close too, and one refused: the parent stays
    /// as it was. The life cycle's rules say this never happens.
    #[error("{child} refused to close with its parent {parent}: {refusal}")]
    ChildClosureRefused {
        parent: CaseId,
        child: CaseId,
        refusal: Refusal,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CaseError {
    fn from(error: sqlx::Error) -> Self {
        // PostgreSQL gives up one of two transactions that lock each other's cases (a
        // deadlock, 40P01) or cannot serialise (40001): the command can simply be retried.
        let retryable = error
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code == "40P01" || code == "40001");
        if retryable {
            CaseError::Store(StoreError::Contention)
        } else {
            CaseError::Store(error.into())
        }
    }
}

/// Where the cases of service requests live. Implemented by [`SqliteStore`], [`PgStore`]
/// and [`AnyStore`], with one shared body (`cases_sql.rs`).
pub trait CaseStore: Send + Sync + 'static {
    /// Applies `command` by `actor` to a case, with the rules of `catalogue`. In one
    /// transaction: the new case, its history entries, and the followers closed with it.
    /// `expected_revision`, when given, is the revision the command was decided on.
    fn apply(
        &self,
        case: CaseKey,
        command: Command,
        actor: &Actor,
        expected_revision: Option<u64>,
        catalogue: &Catalogue,
    ) -> impl Future<Output = Result<CaseUpdate, CaseError>> + Send;

    /// Attaches `child` to `parent` (a reminder, a notification, a duplicate report, a
    /// question about the parent). Both cases change, in one transaction.
    /// `expected_revision` is the child's.
    fn attach_to_parent(
        &self,
        child: CaseKey,
        parent: CaseKey,
        actor: &Actor,
        expected_revision: Option<u64>,
        catalogue: &Catalogue,
    ) -> impl Future<Output = Result<Attached, CaseError>> + Send;

    fn get_case(
        &self,
        case: CaseKey,
    ) -> impl Future<Output = Result<Option<CaseView>, StoreError>> + Send;

    /// One page of a case's history, oldest first: [`Case::replay`] of the whole history is
    /// the case.
    fn history(
        &self,
        case: CaseKey,
        page: HistoryPage,
    ) -> impl Future<Output = Result<Vec<HistoryEntry>, CaseError>> + Send;

    /// The cases matching `filter`, newest first, one bounded page.
    fn list_cases(
        &self,
        filter: CaseFilter,
    ) -> impl Future<Output = Result<Vec<CaseView>, StoreError>> + Send;

    /// The catalogue this store opens and routes the cases of calls by (the one given to
    /// `with_catalogue`, or the built-in one). Whoever applies commands to the store's cases
    /// (the HTTP API, the gRPC service) passes this one to [`CaseStore::apply`], so that the
    /// routing and the rules never read two different catalogues.
    fn catalogue(&self) -> Arc<Catalogue>;
}

impl<S: CaseStore> CaseStore for Arc<S> {
    fn apply(
        &self,
        case: CaseKey,
        command: Command,
        actor: &Actor,
        expected_revision: Option<u64>,
        catalogue: &Catalogue,
    ) -> impl Future<Output = Result<CaseUpdate, CaseError>> + Send {
        S::apply(self, case, command, actor, expected_revision, catalogue)
    }

    fn attach_to_parent(
        &self,
        child: CaseKey,
        parent: CaseKey,
        actor: &Actor,
        expected_revision: Option<u64>,
        catalogue: &Catalogue,
    ) -> impl Future<Output = Result<Attached, CaseError>> + Send {
        S::attach_to_parent(self, child, parent, actor, expected_revision, catalogue)
    }

    fn get_case(
        &self,
        case: CaseKey,
    ) -> impl Future<Output = Result<Option<CaseView>, StoreError>> + Send {
        S::get_case(self, case)
    }

    fn history(
        &self,
        case: CaseKey,
        page: HistoryPage,
    ) -> impl Future<Output = Result<Vec<HistoryEntry>, CaseError>> + Send {
        S::history(self, case, page)
    }

    fn list_cases(
        &self,
        filter: CaseFilter,
    ) -> impl Future<Output = Result<Vec<CaseView>, StoreError>> + Send {
        S::list_cases(self, filter)
    }

    fn catalogue(&self) -> Arc<Catalogue> {
        S::catalogue(self)
    }
}

macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Postgres($store) => $call.await,
        }
    };
}

impl CaseStore for AnyStore {
    async fn apply(
        &self,
        case: CaseKey,
        command: Command,
        actor: &Actor,
        expected_revision: Option<u64>,
        catalogue: &Catalogue,
    ) -> Result<CaseUpdate, CaseError> {
        delegate!(self, store => store.apply(case, command, actor, expected_revision, catalogue))
    }

    async fn attach_to_parent(
        &self,
        child: CaseKey,
        parent: CaseKey,
        actor: &Actor,
        expected_revision: Option<u64>,
        catalogue: &Catalogue,
    ) -> Result<Attached, CaseError> {
        delegate!(self, store => store.attach_to_parent(child, parent, actor, expected_revision, catalogue))
    }

    async fn get_case(&self, case: CaseKey) -> Result<Option<CaseView>, StoreError> {
        delegate!(self, store => store.get_case(case))
    }

    async fn history(
        &self,
        case: CaseKey,
        page: HistoryPage,
    ) -> Result<Vec<HistoryEntry>, CaseError> {
        delegate!(self, store => store.history(case, page))
    }

    async fn list_cases(&self, filter: CaseFilter) -> Result<Vec<CaseView>, StoreError> {
        delegate!(self, store => store.list_cases(filter))
    }

    fn catalogue(&self) -> Arc<Catalogue> {
        match self {
            AnyStore::Sqlite(store) => store.catalogue(),
            AnyStore::Postgres(store) => store.catalogue(),
        }
    }
}

/// The catalogue a store routes the cases of calls by (see [`CaseIntake`]). A store given
/// none opens them all in the built-in `intake` queue.
impl SqliteStore {
    pub fn with_catalogue(mut self, catalogue: Arc<Catalogue>) -> Self {
        self.intake = Arc::new(CaseIntake::new(catalogue));
        self
    }
}

/// See [`SqliteStore::with_catalogue`].
impl PgStore {
    pub fn with_catalogue(mut self, catalogue: Arc<Catalogue>) -> Self {
        self.intake = Arc::new(CaseIntake::new(catalogue));
        self
    }
}

/// See [`SqliteStore::with_catalogue`].
impl AnyStore {
    pub fn with_catalogue(self, catalogue: Arc<Catalogue>) -> Self {
        match self {
            AnyStore::Sqlite(store) => AnyStore::Sqlite(store.with_catalogue(catalogue)),
            AnyStore::Postgres(store) => AnyStore::Postgres(store.with_catalogue(catalogue)),
        }
    }
}

/// A command decided on `expected` may go ahead only if the case is still there.
pub(crate) fn check_revision(case: &Case, expected: Option<u64>) -> Result<(), CaseError> {
    match expected {
        Some(expected) if expected != case.revision => Err(CaseError::StaleRevision {
            expected,
            current: case.revision,
        }),
        _ => Ok(()),
    }
}
