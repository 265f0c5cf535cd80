//! Caller identification for the IVR (`IdentifyCaller`): by the calling number, or by PIN
//! among the customers reached at that number.

use common::Pii;
use crm_store::{CustomerId, StoreError};

use crate::CrmError;

/// How many customers reached at one number a PIN is tried against (each try is one argon2
/// verification): a family or an office line, not a switchboard.
const PIN_CANDIDATES: u32 = 5;

/// The caller behind `number` (and `pin`, when given): see `IdentifyCaller` in `crm.proto`.
/// The flag says whether a PIN confirmed it.
pub(crate) async fn identify<S: crm_store::CustomerStore>(
    store: &S,
    plan: &common::phone::NumberingPlan,
    number: &str,
    pin: Option<String>,
) -> Result<Option<(crm_store::Customer, bool)>, CrmError> {
    let matches = if number.is_empty() {
        crm_store::CustomerMatches::default()
    } else {
        store
            .customers_by_number(number, plan, PIN_CANDIDATES)
            .await?
    };
    let mut known = matches.customers.into_iter().filter(|c| !c.guest);
    let Some(pin) = pin else {
        // By the number alone: only when it names one customer.
        let first = known.next();
        return Ok(match (first, known.next(), matches.more) {
            (Some(only), None, false) => Some((only, false)),
            _ => None,
        });
    };
    let candidates: Vec<_> = known.filter(|c| c.has_pin).collect();
    if candidates.is_empty() {
        // The same work as a wrong PIN: one verification against nobody.
        let _ = checked_pin(store, CustomerId(0), &pin).await?;
        return Ok(None);
    }
    for candidate in candidates {
        if let Some(customer) = checked_pin(store, candidate.id, &pin).await? {
            return Ok(Some((customer, true)));
        }
    }
    Ok(None)
}

/// `customer_by_pin`, with a PIN of the wrong shape taken as a wrong PIN (the caller typed
/// it).
async fn checked_pin<S: crm_store::CustomerStore>(
    store: &S,
    id: CustomerId,
    pin: &str,
) -> Result<Option<crm_store::Customer>, CrmError> {
    match store.customer_by_pin(id, Pii::new(pin.to_owned())).await {
        Ok(found) => Ok(found),
        Err(StoreError::InvalidCustomer(_)) => Ok(None),
        Err(other) => Err(other.into()),
    }
}
