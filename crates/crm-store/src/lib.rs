//! CRM storage: the call records [cartellini telefonici] that the engine's CTI facts build,
//! and the service requests (SR) that the CRM opens for every call.
//!
//! Two traits, [`ServiceRequestStore`] (call records and SRs) and [`CaseStore`] (the case of
//! each SR: the desk's work on it, with its history), two implementations that share their
//! SQL: [`SqliteStore`] (embedded default) and [`PgStore`] (production); [`AnyStore`] picks
//! one from a URL at run time. Both run the same test suites (`tests/store_suite.rs` and the
//! `tests/case_*.rs` stories).
//!
//! The customer directory (people and organisations, their numbers in E.164, PINs as argon2
//! hashes, guests, discrepancy flags) has its own trait, [`CustomerStore`], implemented by the
//! same three types: see the `customers` module for the schema and an example.
//!
//! [`UserStore`] keeps the staff who log in to the HTTP API, their roles and their sessions
//! (module [`users`]), and the audit of administrators' changes to the engine (module
//! [`audit`]).
//!
//! Every fact is idempotent and keyed by the engine's call ID: the first fact of a call opens
//! its record, its SR and the SR's case, later ones complete them, a repeated or late fact
//! never undoes a later one, and the call record at the end is applied once. The case opens
//! in the intake desk of the store's catalogue and follows the call to the queue it reaches
//! ([`CaseIntake`]) until someone takes it.
//!
//! ```no_run
//! # async fn run() -> Result<(), crm_store::StoreError> {
//! use std::sync::Arc;
//! use crm_store::{Arrived, CallFact, Caller, FactKind, ServiceRequestStore, SqliteStore};
//!
//! let store = SqliteStore::open("/var/lib/centralino/crm.db", Arc::new(common::SystemClock)).await?;
//! let opened = store
//!     .record_call_fact(CallFact {
//!         call_id: "cn-mwm0nk74-000001".into(),
//!         at_unix_ms: 1_767_225_600_000,
//!         kind: FactKind::Arrived(Arrived {
//!             caller: Caller { raw: "0551234567".to_string().into(), e164: Some("+390551234567".to_string().into()) },
//!             dialled_number: "800123456".into(),
//!             ..Default::default()
//!         }),
//!     })
//!     .await?;
//! assert!(opened.created);
//! println!("opened {}", opened.request.number); // e.g. SR-2026-000001
//! # Ok(()) }
//! ```
//!
//! ## Why the trait returns `impl Future + Send`
//! The CRM service is generic over its store (`CtiService<S: ServiceRequestStore>`), so
//! futures need no boxing; `Send` is in the signature so that they can run on tokio's
//! multi-threaded runtime. Such a trait cannot be a `dyn` object: a binary that picks the
//! backend at run time uses [`AnyStore`], an enum that dispatches with a `match`.

mod any;
pub mod audit;
mod cases;
mod cases_rows;
mod cases_sql;
mod customers;
mod error;
mod intake;
mod model;
mod number;
mod postgres;
mod sql;
mod sqlite;
pub mod users;
mod users_sql;

use std::future::Future;

pub use any::AnyStore;
pub use audit::{AdminAction, AdminChange, AdminChangeRecord};
pub use cases::{
    Attached, CallSummary, CaseError, CaseFilter, CaseKey, CaseStore, CaseUpdate, CaseView,
    HistoryPage, IvrDatum, SrSummary,
};
pub use customers::{
    Customer, CustomerDraft, CustomerEmail, CustomerField, CustomerId, CustomerInputError,
    CustomerKind, CustomerMatches, CustomerPhone, CustomerPop, CustomerQuery, CustomerStore,
    Discrepancy, MAX_IMPORT_BATCH, MAX_NUMBER_MATCHES, MAX_RECENT_REQUESTS, Party, PhoneDraft,
    PinChange, RecentMatch, RecentServiceRequest, SearchBy, customer_limits,
};
pub use error::StoreError;
pub use intake::CaseIntake;
pub use model::{
    Arrived, CHANNEL_PHONE, CallFact, CallOutcome, CallRecord, CallStage, Caller, EndReason, Ended,
    FactKind, ListFilter, Offered, Opened, ServiceRequest, ivr_keys, ivr_value, limits,
};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use users::{
    ConfiguredUsersSynced, ManagedBy, NewSession, NewUser, PasswordHash, Roles, Session,
    SessionUser, StaffRole, TokenHash, User, UserChange, UserPage, UserStore, is_valid_login,
};

/// Where call records and service requests live.
pub trait ServiceRequestStore: Send + Sync + 'static {
    /// Applies the facts of calls in order, in one transaction (one commit for many calls:
    /// what lets the CRM keep up with a busy engine), opening each call's record, SR and case
    /// if it has none. A fact that breaks a limit gets its own error and the others go on; a
    /// database error fails the whole batch (nothing of it is stored). Concurrent facts of one
    /// call produce one SR, and exactly one of them reports `created`.
    fn record_call_facts(
        &self,
        facts: Vec<CallFact>,
    ) -> impl Future<Output = Result<Vec<Result<Opened, StoreError>>, StoreError>> + Send;

    /// [`Self::record_call_facts`] for one fact.
    fn record_call_fact(
        &self,
        fact: CallFact,
    ) -> impl Future<Output = Result<Opened, StoreError>> + Send {
        async move {
            self.record_call_facts(vec![fact])
                .await?
                .pop()
                .unwrap_or(Err(StoreError::Contention))
        }
    }

    fn get(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<Option<ServiceRequest>, StoreError>> + Send;

    /// By SR number, e.g. `SR-2026-000042`.
    fn get_by_number(
        &self,
        number: &str,
    ) -> impl Future<Output = Result<Option<ServiceRequest>, StoreError>> + Send;

    /// By the engine's call ID.
    fn get_by_call_id(
        &self,
        call_id: &str,
    ) -> impl Future<Output = Result<Option<ServiceRequest>, StoreError>> + Send;

    /// The SRs matching `filter`, newest first, one bounded page.
    fn list(
        &self,
        filter: ListFilter,
    ) -> impl Future<Output = Result<Vec<ServiceRequest>, StoreError>> + Send;
}

/// A shared store is a store: lets the gRPC and HTTP sides hold one `Arc`.
impl<S: ServiceRequestStore> ServiceRequestStore for std::sync::Arc<S> {
    fn record_call_facts(
        &self,
        facts: Vec<CallFact>,
    ) -> impl Future<Output = Result<Vec<Result<Opened, StoreError>>, StoreError>> + Send {
        S::record_call_facts(self, facts)
    }

    fn get(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<Option<ServiceRequest>, StoreError>> + Send {
        S::get(self, id)
    }

    fn get_by_number(
        &self,
        number: &str,
    ) -> impl Future<Output = Result<Option<ServiceRequest>, StoreError>> + Send {
        S::get_by_number(self, number)
    }

    fn get_by_call_id(
        &self,
        call_id: &str,
    ) -> impl Future<Output = Result<Option<ServiceRequest>, StoreError>> + Send {
        S::get_by_call_id(self, call_id)
    }

    fn list(
        &self,
        filter: ListFilter,
    ) -> impl Future<Output = Result<Vec<ServiceRequest>, StoreError>> + Send {
        S::list(self, filter)
    }
}
