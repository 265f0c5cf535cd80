//! Customers between the store's types and the messages of `centralino.crm.v1`. The store
//! checks every field's limits and shapes (and names the field when it refuses); here only
//! what the wire cannot say in the store's types is refused: an unspecified kind, a field of
//! the other kind.

use common::Pii;
use crm_store::{
    Customer, CustomerDraft, CustomerEmail, CustomerKind, CustomerPop, Party, PhoneDraft,
    PinChange, RecentMatch, RecentServiceRequest, SearchBy,
};
use cti_proto::crm::v1 as wire;

use crate::CrmError;
use crate::cti::state_to_proto;

fn kind_to_wire(kind: CustomerKind) -> i32 {
    match kind {
        CustomerKind::Person => wire::CustomerKind::Person as i32,
        CustomerKind::Organisation => wire::CustomerKind::Organisation as i32,
        #[allow(unreachable_patterns)]
        _ => wire::CustomerKind::Unspecified as i32,
    }
}

fn pii(value: Option<Pii<String>>) -> Option<String> {
    value.map(Pii::into_inner)
}

pub(crate) fn customer(c: Customer) -> wire::Customer {
    let kind = kind_to_wire(c.party.kind());
    let (given_name, family_name, tax_code, vat_number) = match c.party {
        Party::Person {
            given_name,
            family_name,
            tax_code,
        } => (pii(given_name), pii(family_name), pii(tax_code), None),
        Party::Organisation { vat_number } => (None, None, None, pii(vat_number)),
        #[allow(unreachable_patterns)]
        _ => (None, None, None, None),
    };
    wire::Customer {
        id: c.id.0,
        kind,
        display_name: c.display_name.into_inner(),
        given_name,
        family_name,
        tax_code,
        vat_number,
        phones: c
            .phones
            .into_iter()
            .map(|p| wire::CustomerPhone {
                label: p.label,
                number: p.number.into_inner(),
                e164: pii(p.e164),
            })
            .collect(),
        emails: c
            .emails
            .into_iter()
            .map(|e| wire::CustomerEmail {
                label: e.label,
                address: e.address.into_inner(),
            })
            .collect(),
        has_pin: c.has_pin,
        guest: c.guest,
        discrepancy: c.discrepancy.map(|d| wire::Discrepancy {
            note: d.note.into_inner(),
            marked_at_unix_ms: d.marked_at_unix_ms,
        }),
        revision: c.revision,
        created_at_unix_ms: c.created_at_unix_ms,
        updated_at_unix_ms: c.updated_at_unix_ms,
    }
}

/// What the IVR learns of a caller who gave the right PIN: whom to name in the call's facts.
pub(crate) fn identified(c: Customer) -> wire::IdentifiedCustomer {
    wire::IdentifiedCustomer {
        customer_id: c.id.0,
        display_name: c.display_name.into_inner(),
        guest: c.guest,
    }
}

pub(crate) fn draft(draft: Option<wire::CustomerDraft>) -> Result<CustomerDraft, CrmError> {
    let d = draft.ok_or(CrmError::InvalidArgument("customer is missing"))?;
    let party = match wire::CustomerKind::try_from(d.kind) {
        Ok(wire::CustomerKind::Person) => {
            if d.vat_number.is_some() {
                return Err(CrmError::InvalidArgument(
                    "vat_number is for organisations; a person has a tax_code",
                ));
            }
            Party::Person {
                given_name: d.given_name.map(Pii::new),
                family_name: d.family_name.map(Pii::new),
                tax_code: d.tax_code.map(Pii::new),
            }
        }
        Ok(wire::CustomerKind::Organisation) => {
            if d.given_name.is_some() || d.family_name.is_some() || d.tax_code.is_some() {
                return Err(CrmError::InvalidArgument(
                    "given_name, family_name and tax_code are for persons; an organisation has a vat_number",
                ));
            }
            Party::Organisation {
                vat_number: d.vat_number.map(Pii::new),
            }
        }
        _ => {
            return Err(CrmError::InvalidArgument(
                "kind must be CUSTOMER_KIND_PERSON or CUSTOMER_KIND_ORGANISATION",
            ));
        }
    };
    let pin = match d.pin.and_then(|p| p.change) {
        None | Some(wire::pin_change::Change::Clear(false)) => PinChange::Keep,
        Some(wire::pin_change::Change::Set(pin)) => PinChange::Set(Pii::new(pin)),
        Some(wire::pin_change::Change::Clear(true)) => PinChange::Clear,
    };
    Ok(CustomerDraft {
        party,
        display_name: Pii::new(d.display_name),
        phones: d
            .phones
            .into_iter()
            .map(|p| PhoneDraft {
                label: p.label,
                number: Pii::new(p.number),
            })
            .collect(),
        emails: d
            .emails
            .into_iter()
            .map(|e| CustomerEmail {
                label: e.label,
                address: Pii::new(e.address),
            })
            .collect(),
        guest: d.guest,
        pin,
    })
}

/// What a customer search is by.
pub(crate) fn search_by(
    by: Option<wire::search_customers_request::By>,
) -> Result<SearchBy, CrmError> {
    use wire::search_customers_request::By;
    match by {
        Some(By::Name(text)) => Ok(SearchBy::Name(text)),
        Some(By::TaxCode(text)) => Ok(SearchBy::TaxCode(text)),
        Some(By::Email(text)) => Ok(SearchBy::Email(text)),
        None => Err(CrmError::InvalidArgument(
            "say what to search by: name, tax_code or email",
        )),
    }
}

/// The parts of a search that its page tokens are tied to.
pub(crate) fn search_parts(by: &SearchBy) -> [&str; 2] {
    match by {
        SearchBy::Name(text) => ["name", text],
        SearchBy::TaxCode(text) => ["tax_code", text],
        SearchBy::Email(text) => ["email", text],
        #[allow(unreachable_patterns)]
        _ => ["other", ""],
    }
}

fn recent(sr: RecentServiceRequest) -> wire::RecentServiceRequest {
    let matched_by = match sr.matched_by {
        RecentMatch::Customer => wire::RecentMatch::Customer,
        RecentMatch::CallerNumber => wire::RecentMatch::CallerNumber,
        #[allow(unreachable_patterns)]
        _ => wire::RecentMatch::Unspecified,
    };
    wire::RecentServiceRequest {
        number: sr.number,
        state: state_to_proto(sr.state).into(),
        created_at_unix_ms: sr.created_at_unix_ms,
        call_id: sr.call_id,
        channel: sr.channel,
        service_area: sr.service_area,
        request_type: sr.request_type,
        outcome: sr
            .outcome
            .map_or(0, |o| cti_proto::CallOutcome::from(o) as i32),
        matched_by: matched_by.into(),
    }
}

pub(crate) fn pop(pop: CustomerPop) -> wire::CustomerPopResponse {
    wire::CustomerPopResponse {
        customer: Some(customer(pop.customer)),
        recent_requests: pop.recent_requests.into_iter().map(recent).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_keeps_to_its_kind() {
        let person = wire::CustomerDraft {
            kind: wire::CustomerKind::Person.into(),
            display_name: "Mario Rossi".into(),
            tax_code: Some("RSSMRA80A01H501U".into()),
            pin: Some(wire::PinChange {
                change: Some(wire::pin_change::Change::Set("2468".into())),
            }),
            ..Default::default()
        };
        let draft = draft(Some(person.clone())).unwrap();
        assert_eq!(draft.party.kind(), CustomerKind::Person);
        assert_eq!(draft.pin, PinChange::Set("2468".to_string().into()));
        let mixed = wire::CustomerDraft {
            vat_number: Some("12345678903".into()),
            ..person.clone()
        };
        assert!(super::draft(Some(mixed)).is_err());
        let unspecified = wire::CustomerDraft { kind: 0, ..person };
        assert!(super::draft(Some(unspecified)).is_err());
        assert!(super::draft(None).is_err());
    }
}
