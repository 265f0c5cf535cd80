//! CRM storage: the service requests (SR) that the CRM opens for every call.
//!
//! One trait, [`ServiceRequestStore`], two implementations that share their SQL:
//! [`SqliteStore`] (embedded default) and [`PgStore`] (production); [`AnyStore`] picks one
//! from a URL at run time. Both run the same test suite (`tests/store_suite.rs`).
//!
//! Opening is idempotent by call ID: the CTI may send the screen pop several times (the call
//! is offered to several operators in turn) and the call record once more at the end, each
//! possibly retried, and the call still gets exactly one SR.
//!
//! ```no_run
//! # async fn run() -> Result<(), crm_store::StoreError> {
//! use std::sync::Arc;
//! use crm_store::{NewServiceRequest, ServiceRequestStore, SqliteStore};
//!
//! let store = SqliteStore::open("/var/lib/centralino/crm.db", Arc::new(common::SystemClock)).await?;
//! let opened = store
//!     .open_for_call(NewServiceRequest {
//!         call_id: "c-1".into(),
//!         caller_number: "+390551234567".to_string().into(),
//!         ivr_data: vec![("service_area".into(), "2".into())],
//!         ..Default::default()
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
mod error;
mod model;
mod number;
mod postgres;
mod sql;
mod sqlite;

use std::future::Future;

pub use any::AnyStore;
pub use error::StoreError;
pub use model::{
    CHANNEL_PHONE, CallOutcome, CallRecord, ListFilter, NewServiceRequest, Opened, ServiceRequest,
    SrState, ivr_keys,
};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Where service requests live.
pub trait ServiceRequestStore: Send + Sync + 'static {
    /// Opens the SR of `request.call_id` unless it has one; either way returns it. Concurrent
    /// calls for one call ID produce one SR, and exactly one of them reports `created`.
    fn open_for_call(
        &self,
        request: NewServiceRequest,
    ) -> impl Future<Output = Result<Opened, StoreError>> + Send;

    /// Stores the call record on the call's SR, opening the SR first if the call was never
    /// offered to an operator (abandoned, released by the IVR). Idempotent.
    fn record_call_end(
        &self,
        record: CallRecord,
    ) -> impl Future<Output = Result<Opened, StoreError>> + Send;

    fn get(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<Option<ServiceRequest>, StoreError>> + Send;

    /// By SR number, e.g. `SR-2026-000042`.
    fn get_by_number(
        &self,
        number: &str,
    ) -> impl Future<Output = Result<Option<ServiceRequest>, StoreError>> + Send;

    fn get_by_call_id(
        &self,
        call_id: &str,
    ) -> impl Future<Output = Result<Option<ServiceRequest>, StoreError>> + Send;

    /// The SRs matching `filter`, oldest first.
    fn list(
        &self,
        filter: ListFilter,
    ) -> impl Future<Output = Result<Vec<ServiceRequest>, StoreError>> + Send;
}

/// A shared store is a store: lets the gRPC and HTTP sides hold one `Arc`.
impl<S: ServiceRequestStore> ServiceRequestStore for std::sync::Arc<S> {
    fn open_for_call(
        &self,
        request: NewServiceRequest,
    ) -> impl Future<Output = Result<Opened, StoreError>> + Send {
        S::open_for_call(self, request)
    }

    fn record_call_end(
        &self,
        record: CallRecord,
    ) -> impl Future<Output = Result<Opened, StoreError>> + Send {
        S::record_call_end(self, record)
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
