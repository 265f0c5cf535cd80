//! `Debug` of the CRM messages that carry personal data or secrets: the other fields are
//! shown, these are replaced by `<redacted>` (STYLE.md, Privacy). The list of messages is
//! `REDACTED` in `build.rs`.

use std::fmt;

use crate::crm::v1::{
    self as crm, case_command, history_entry, pin_change, search_customers_request,
};

/// `Debug` for a message: `shown` fields by their own `Debug`, `hidden` ones redacted.
macro_rules! redacted_debug {
    ($ty:path, $name:literal { $($shown:ident),* $(,)? } hides { $($hidden:ident),* $(,)? }) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct($name)
                    $(.field(stringify!($shown), &self.$shown))*
                    $(.field(stringify!($hidden), &"<redacted>"))*
                    .finish()
            }
        }
    };
}

redacted_debug!(crm::LoginRequest, "LoginRequest" { login } hides { password });
redacted_debug!(crm::LoginResponse, "LoginResponse" { expires_at_unix_ms, user } hides { token });
redacted_debug!(crm::StaffMember, "StaffMember" { login, roles, groups } hides { name });
redacted_debug!(crm::CallRecord, "CallRecord" {
    sip_call_id, dialled_number, ivr_data, queue, agent_id, offered_agent_id, outcome,
    end_reason, stage, started_at_unix_ms, offered_at_unix_ms, answered_at_unix_ms,
    ended_at_unix_ms, waited_ms, talk_ms,
} hides { caller_number, caller_number_e164, customer_id });
redacted_debug!(crm::ListServiceRequestsRequest, "ListServiceRequestsRequest" {
    call_id, sip_call_id, state, queue, agent_id, created_from_unix_ms, created_until_unix_ms,
    page_size, page_token,
} hides { caller_number });
redacted_debug!(crm::SearchServiceRequestsRequest, "SearchServiceRequestsRequest" {
    page_size, page_token,
} hides { query });
redacted_debug!(crm::CaseStatus, "CaseStatus" {
    state, communication, cancel_reason, reject_reason, suspended_until_unix_ms,
} hides { detail });
redacted_debug!(crm::Case, "Case" {
    id, number, revision, status, closed, outcome, channel, queue, first_level_queue, service,
    contact_reason, owner, responsible, lock, parent, children, satisfaction,
    opened_at_unix_ms, updated_at_unix_ms, service_request,
} hides { caller_number, customer });
redacted_debug!(history_entry::Opened, "Opened" { channel, queue } hides { caller_number, customer });
redacted_debug!(history_entry::NoteAdded, "NoteAdded" { kind } hides { text });
redacted_debug!(case_command::Suspend, "Suspend" { until_unix_ms } hides { reason });
redacted_debug!(case_command::Reject, "Reject" { reason } hides { detail });
redacted_debug!(case_command::Note, "Note" { kind } hides { text });
redacted_debug!(crm::AddNoteRequest, "AddNoteRequest" {
    case, kind, expected_revision, act_as,
} hides { text });
redacted_debug!(crm::CustomerPhone, "CustomerPhone" { label } hides { number, e164 });
redacted_debug!(crm::CustomerEmail, "CustomerEmail" { label } hides { address });
redacted_debug!(crm::Discrepancy, "Discrepancy" { marked_at_unix_ms } hides { note });
redacted_debug!(crm::Customer, "Customer" {
    id, kind, phones, emails, has_pin, guest, discrepancy, revision, created_at_unix_ms,
    updated_at_unix_ms,
} hides { display_name, given_name, family_name, tax_code, vat_number });
redacted_debug!(crm::PinChange, "PinChange" { change } hides {});
redacted_debug!(crm::CustomerDraft, "CustomerDraft" {
    kind, phones, emails, guest, pin,
} hides { display_name, given_name, family_name, tax_code, vat_number });
redacted_debug!(crm::LookupCustomersByNumberRequest, "LookupCustomersByNumberRequest" {
    page_size,
} hides { number });
redacted_debug!(crm::VerifyCustomerPinRequest, "VerifyCustomerPinRequest" {} hides { customer_id, pin });
redacted_debug!(crm::IdentifiedCustomer, "IdentifiedCustomer" { guest } hides { customer_id, display_name });
redacted_debug!(crm::SearchCustomersRequest, "SearchCustomersRequest" {
    by, page_size, page_token,
} hides {});

/// Says whether a PIN is set or cleared, never the PIN.
impl fmt::Debug for pin_change::Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            pin_change::Change::Set(_) => f.write_str("Set(<redacted>)"),
            pin_change::Change::Clear(clear) => write!(f, "Clear({clear})"),
        }
    }
}

/// Says what is searched by, never the text.
impl fmt::Debug for search_customers_request::By {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            search_customers_request::By::Name(_) => "Name(<redacted>)",
            search_customers_request::By::TaxCode(_) => "TaxCode(<redacted>)",
            search_customers_request::By::Email(_) => "Email(<redacted>)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRETS: [&str; 8] = [
        "Rossi", "RSSMRA", "1234567", "mario@", "2468", "s3cret", "9f2c4e", "sick",
    ];

    fn assert_redacted(text: &str) {
        for secret in SECRETS {
            assert!(!text.contains(secret), "{secret} leaks in {text}");
        }
    }

    #[test]
    fn debug_never_prints_personal_data_or_secrets() {
        let phone = crm::CustomerPhone {
            label: "home".into(),
            number: "055 1234567".into(),
            e164: Some("+390551234567".into()),
        };
        let email = crm::CustomerEmail {
            label: "work".into(),
            address: "mario@example.it".into(),
        };
        let customer = crm::Customer {
            id: 7,
            display_name: "Mario Rossi".into(),
            family_name: Some("Rossi".into()),
            tax_code: Some("RSSMRA80A01H501U".into()),
            phones: vec![phone.clone()],
            emails: vec![email.clone()],
            discrepancy: Some(crm::Discrepancy {
                note: "Rossi is someone else".into(),
                marked_at_unix_ms: 1,
            }),
            ..Default::default()
        };
        let draft = crm::CustomerDraft {
            display_name: "Mario Rossi".into(),
            tax_code: Some("RSSMRA80A01H501U".into()),
            phones: vec![phone],
            emails: vec![email],
            pin: Some(crm::PinChange {
                change: Some(pin_change::Change::Set("2468".into())),
            }),
            ..Default::default()
        };
        let case = crm::Case {
            number: "SR-2026-000001".into(),
            caller_number: Some("+390551234567".into()),
            customer: Some("Mario Rossi".into()),
            status: Some(crm::CaseStatus {
                detail: Some("sick".into()),
                ..Default::default()
            }),
            service_request: Some(crm::ServiceRequest {
                call: Some(crm::CallRecord {
                    caller_number: "0551234567".into(),
                    customer_id: Some("Rossi".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let command = crm::CaseCommand {
            command: Some(case_command::Command::AddNote(case_command::Note {
                kind: crm::NoteKind::CallMade.into(),
                text: "called Mario Rossi".into(),
            })),
        };
        let texts = [
            format!("{customer:?}"),
            format!("{draft:?}"),
            format!("{case:?}"),
            format!("{command:?}"),
            format!(
                "{:?}",
                crm::LoginRequest {
                    login: "anna".into(),
                    password: "s3cret".into()
                }
            ),
            format!(
                "{:?}",
                crm::LoginResponse {
                    token: "9f2c4e".into(),
                    ..Default::default()
                }
            ),
            format!(
                "{:?}",
                crm::VerifyCustomerPinRequest {
                    customer_id: 1_234_567,
                    pin: "2468".into()
                }
            ),
            format!(
                "{:?}",
                crm::SearchCustomersRequest {
                    by: Some(search_customers_request::By::Name("Rossi".into())),
                    ..Default::default()
                }
            ),
            format!(
                "{:?}",
                crm::SearchServiceRequestsRequest {
                    query: "0551234567".into(),
                    ..Default::default()
                }
            ),
            format!(
                "{:?}",
                crm::HistoryEntry {
                    change: Some(history_entry::Change::NoteAdded(history_entry::NoteAdded {
                        kind: 1,
                        text: "Mario Rossi called".into(),
                    })),
                    ..Default::default()
                }
            ),
        ];
        for text in &texts {
            assert_redacted(text);
        }
        assert!(
            texts[0].contains("home") && texts[0].contains("revision"),
            "{}",
            texts[0]
        );
        assert!(texts[2].contains("SR-2026-000001"), "{}", texts[2]);
        assert!(texts[4].contains("anna"), "{}", texts[4]);
    }
}
