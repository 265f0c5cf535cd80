//! The customer directory: people and organisations with their phone numbers (kept as given
//! and in E.164), e-mail addresses, an optional PIN (argon2id hash), guest records for callers
//! who could not be identified, and a discrepancy flag for data an operator found
//! inconsistent (DOMAIN.md, "A call, end to end", step 6: identification by caller number or
//! PIN; step 8: the screen pop shows the identified customer).
//!
//! One trait, [`CustomerStore`], implemented by [`crate::SqliteStore`], [`crate::PgStore`] and
//! [`crate::AnyStore`] from one shared body (`store.rs`) over shared SQL (`sql.rs`).
//!
//! ```no_run
//! # async fn run(store: crm_store::SqliteStore) -> Result<(), crm_store::StoreError> {
//! use common::phone::NumberingPlan;
//! use crm_store::{CustomerDraft, CustomerStore, Party, PhoneDraft, PinChange};
//!
//! let italy = NumberingPlan::italy();
//! let mario = store
//!     .create_customer(
//!         CustomerDraft {
//!             party: Party::Person {
//!                 given_name: Some("Mario".to_string().into()),
//!                 family_name: Some("Rossi".to_string().into()),
//!                 tax_code: Some("RSSMRA80A01H501U".to_string().into()),
//!             },
//!             display_name: "Mario Rossi".to_string().into(),
//!             phones: vec![PhoneDraft { label: "home".into(), number: "055 1234567".to_string().into() }],
//!             emails: vec![],
//!             guest: false,
//!             pin: PinChange::Set("2468".to_string().into()),
//!         },
//!         &italy,
//!     )
//!     .await?;
//! // The caller's number in any form finds him: +39..., 0039..., tel:...
//! let found = store.customers_by_number("tel:+39-055-1234567", &italy, 10).await?;
//! assert_eq!(found.customers[0].id, mario.id);
//! // The screen pop: the customer and their recent service requests.
//! let pop = store.customer_pop(mario.id, 5).await?;
//! # Ok(()) }
//! ```

mod fiscal;
mod keys;
mod model;
mod pin;
pub(crate) mod sql;
pub(crate) mod store;
pub(crate) mod validate;

use std::future::Future;

use common::Pii;
use common::phone::NumberingPlan;

pub use model::{
    Customer, CustomerDraft, CustomerEmail, CustomerId, CustomerKind, CustomerMatches,
    CustomerPhone, CustomerPop, CustomerQuery, Discrepancy, Party, PhoneDraft, PinChange,
    RecentMatch, RecentServiceRequest, SearchBy,
};
pub use validate::{CustomerField, CustomerInputError, customer_limits};

use crate::{AnyStore, StoreError};

/// Most customers [`CustomerStore::customers_by_number`] returns for one number.
pub const MAX_NUMBER_MATCHES: u32 = 50;
/// Most service requests [`CustomerStore::recent_service_requests`] returns.
pub const MAX_RECENT_REQUESTS: u32 = 50;
/// Most customers one [`CustomerStore::import_customers`] call takes (one transaction).
pub const MAX_IMPORT_BATCH: usize = 1000;

/// Where customers live. Every method checks its input first: a value past a limit or of
/// the wrong shape is [`StoreError::InvalidCustomer`] naming the field, and stores nothing.
pub trait CustomerStore: Send + Sync + 'static {
    /// Stores a new customer at revision 1. Phone numbers are normalised under `plan` (the
    /// one the engine normalises callers with, so that they match).
    fn create_customer(
        &self,
        draft: CustomerDraft,
        plan: &NumberingPlan,
    ) -> impl Future<Output = Result<Customer, StoreError>> + Send;

    /// Stores up to [`MAX_IMPORT_BATCH`] customers in one transaction, all or none, and
    /// returns their ids in the order given. For loading a directory: PINs are hashed one by
    /// one (tens of milliseconds each), so a large import should carry few of them.
    fn import_customers(
        &self,
        drafts: Vec<CustomerDraft>,
        plan: &NumberingPlan,
    ) -> impl Future<Output = Result<Vec<CustomerId>, StoreError>> + Send;

    /// Replaces a customer's data (phones and e-mails included; the discrepancy flag is
    /// kept) if it is still at `expected_revision`; otherwise
    /// [`StoreError::RevisionConflict`] with the current revision, and nothing changes.
    fn update_customer(
        &self,
        id: CustomerId,
        expected_revision: i64,
        draft: CustomerDraft,
        plan: &NumberingPlan,
    ) -> impl Future<Output = Result<Customer, StoreError>> + Send;

    fn get_customer(
        &self,
        id: CustomerId,
    ) -> impl Future<Output = Result<Option<Customer>, StoreError>> + Send;

    /// The customers reached at a caller's number, given in any form (`055 1234567`,
    /// `+39 055 1234567`, `0039...`, `tel:` URIs, a SIP user part): it is normalised under
    /// `plan` and matched by its E.164 form, or by its digits when it has none (an internal
    /// extension). A withheld or invalid number matches nobody. One number may belong to
    /// several customers (a switchboard, a family phone): at most `limit` (up to
    /// [`MAX_NUMBER_MATCHES`]) are returned, identified customers before guests, then by
    /// display name.
    fn customers_by_number(
        &self,
        number: &str,
        plan: &NumberingPlan,
        limit: u32,
    ) -> impl Future<Output = Result<CustomerMatches, StoreError>> + Send;

    /// The customer if `pin` is theirs; `None` for a wrong PIN, a customer without a PIN and
    /// an unknown id alike, each after one argon2 verification, so that neither the answer
    /// nor its time tells which ids exist. Counting failed attempts is the caller's part
    /// (the IVR gives up after the second failure, DOMAIN.md step 6).
    fn customer_by_pin(
        &self,
        id: CustomerId,
        pin: Pii<String>,
    ) -> impl Future<Output = Result<Option<Customer>, StoreError>> + Send;

    /// One page of customers whose name, tax code or e-mail starts with the query's text.
    fn search_customers(
        &self,
        query: CustomerQuery,
    ) -> impl Future<Output = Result<Vec<Customer>, StoreError>> + Send;

    /// The customer's latest service requests, newest first, at most `limit` (up to
    /// [`MAX_RECENT_REQUESTS`]): those whose call was identified as this customer, and those
    /// whose call came, unidentified, from one of the customer's numbers.
    fn recent_service_requests(
        &self,
        id: CustomerId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<RecentServiceRequest>, StoreError>> + Send;

    /// Flags the customer's data as inconsistent, with a note (replacing an earlier one).
    fn mark_discrepancy(
        &self,
        id: CustomerId,
        note: Pii<String>,
    ) -> impl Future<Output = Result<Customer, StoreError>> + Send;

    /// Removes the flag; a customer without one is returned unchanged.
    fn clear_discrepancy(
        &self,
        id: CustomerId,
    ) -> impl Future<Output = Result<Customer, StoreError>> + Send;

    /// What the operator's screen pop shows for an identified caller: the customer and up to
    /// `recent_limit` of their latest service requests. `None` for an unknown id.
    fn customer_pop(
        &self,
        id: CustomerId,
        recent_limit: u32,
    ) -> impl Future<Output = Result<Option<CustomerPop>, StoreError>> + Send {
        async move {
            let Some(customer) = self.get_customer(id).await? else {
                return Ok(None);
            };
            let recent_requests = self.recent_service_requests(id, recent_limit).await?;
            Ok(Some(CustomerPop {
                customer,
                recent_requests,
            }))
        }
    }
}

store::impl_customer_store!(crate::SqliteStore);
store::impl_customer_store!(crate::PgStore);

/// A shared store is a store: lets the gRPC and HTTP sides hold one `Arc`.
impl<S: CustomerStore> CustomerStore for std::sync::Arc<S> {
    fn create_customer(
        &self,
        draft: CustomerDraft,
        plan: &NumberingPlan,
    ) -> impl Future<Output = Result<Customer, StoreError>> + Send {
        S::create_customer(self, draft, plan)
    }

    fn import_customers(
        &self,
        drafts: Vec<CustomerDraft>,
        plan: &NumberingPlan,
    ) -> impl Future<Output = Result<Vec<CustomerId>, StoreError>> + Send {
        S::import_customers(self, drafts, plan)
    }

    fn update_customer(
        &self,
        id: CustomerId,
        expected_revision: i64,
        draft: CustomerDraft,
        plan: &NumberingPlan,
    ) -> impl Future<Output = Result<Customer, StoreError>> + Send {
        S::update_customer(self, id, expected_revision, draft, plan)
    }

    fn get_customer(
        &self,
        id: CustomerId,
    ) -> impl Future<Output = Result<Option<Customer>, StoreError>> + Send {
        S::get_customer(self, id)
    }

    fn customers_by_number(
        &self,
        number: &str,
        plan: &NumberingPlan,
        limit: u32,
    ) -> impl Future<Output = Result<CustomerMatches, StoreError>> + Send {
        S::customers_by_number(self, number, plan, limit)
    }

    fn customer_by_pin(
        &self,
        id: CustomerId,
        pin: Pii<String>,
    ) -> impl Future<Output = Result<Option<Customer>, StoreError>> + Send {
        S::customer_by_pin(self, id, pin)
    }

    fn search_customers(
        &self,
        query: CustomerQuery,
    ) -> impl Future<Output = Result<Vec<Customer>, StoreError>> + Send {
        S::search_customers(self, query)
    }

    fn recent_service_requests(
        &self,
        id: CustomerId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<RecentServiceRequest>, StoreError>> + Send {
        S::recent_service_requests(self, id, limit)
    }

    fn mark_discrepancy(
        &self,
        id: CustomerId,
        note: Pii<String>,
    ) -> impl Future<Output = Result<Customer, StoreError>> + Send {
        S::mark_discrepancy(self, id, note)
    }

    fn clear_discrepancy(
        &self,
        id: CustomerId,
    ) -> impl Future<Output = Result<Customer, StoreError>> + Send {
        S::clear_discrepancy(self, id)
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

impl CustomerStore for AnyStore {
    async fn create_customer(
        &self,
        draft: CustomerDraft,
        plan: &NumberingPlan,
    ) -> Result<Customer, StoreError> {
        delegate!(self, store => store.create_customer(draft, plan))
    }

    async fn import_customers(
        &self,
        drafts: Vec<CustomerDraft>,
        plan: &NumberingPlan,
    ) -> Result<Vec<CustomerId>, StoreError> {
        delegate!(self, store => store.import_customers(drafts, plan))
    }

    async fn update_customer(
        &self,
        id: CustomerId,
        expected_revision: i64,
        draft: CustomerDraft,
        plan: &NumberingPlan,
    ) -> Result<Customer, StoreError> {
        delegate!(self, store => store.update_customer(id, expected_revision, draft, plan))
    }

    async fn get_customer(&self, id: CustomerId) -> Result<Option<Customer>, StoreError> {
        delegate!(self, store => store.get_customer(id))
    }

    async fn customers_by_number(
        &self,
        number: &str,
        plan: &NumberingPlan,
        limit: u32,
    ) -> Result<CustomerMatches, StoreError> {
        delegate!(self, store => store.customers_by_number(number, plan, limit))
    }

    async fn customer_by_pin(
        &self,
        id: CustomerId,
        pin: Pii<String>,
    ) -> Result<Option<Customer>, StoreError> {
        delegate!(self, store => store.customer_by_pin(id, pin))
    }

    async fn search_customers(&self, query: CustomerQuery) -> Result<Vec<Customer>, StoreError> {
        delegate!(self, store => store.search_customers(query))
    }

    async fn recent_service_requests(
        &self,
        id: CustomerId,
        limit: u32,
    ) -> Result<Vec<RecentServiceRequest>, StoreError> {
        delegate!(self, store => store.recent_service_requests(id, limit))
    }

    async fn mark_discrepancy(
        &self,
        id: CustomerId,
        note: Pii<String>,
    ) -> Result<Customer, StoreError> {
        delegate!(self, store => store.mark_discrepancy(id, note))
    }

    async fn clear_discrepancy(&self, id: CustomerId) -> Result<Customer, StoreError> {
        delegate!(self, store => store.clear_discrepancy(id))
    }
}
