//! The customer directory's types: what an operator or an import gives ([`CustomerDraft`]),
//! what the store returns ([`Customer`], [`CustomerMatches`], [`RecentServiceRequest`],
//! [`CustomerPop`]).
//!
//! Every type here is serde-serialisable so that an HTTP or gRPC handler can return it as it
//! is. Personal data (names, tax codes, numbers, addresses, notes) is in [`Pii`]: shown in
//! clear by serde, redacted by `Debug`, so a stray `{:?}` in a log line leaks nothing.

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

use common::Pii;
use common::call::CallOutcome;
use common::phone::CallerNumber;
use serde::{Deserialize, Serialize};

use service_request::State as SrState;

/// The store's identifier of a customer. Its decimal form is what the IVR puts in a call's
/// `customer_id` and the call record keeps in `customer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerId(pub i64);

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for CustomerId {
    type Err = ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(CustomerId)
    }
}

/// A person or an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CustomerKind {
    Person,
    Organisation,
}

impl CustomerKind {
    /// The name stored in the database and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::Person => "person",
            CustomerKind::Organisation => "organisation",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "person" => Some(CustomerKind::Person),
            "organisation" => Some(CustomerKind::Organisation),
            _ => None,
        }
    }
}

/// Who the customer is, with the fields that belong to that kind only. Serialised flat into
/// its customer, with `"kind": "person"` or `"kind": "organisation"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Party {
    Person {
        #[serde(default)]
        given_name: Option<Pii<String>>,
        #[serde(default)]
        family_name: Option<Pii<String>>,
        /// Codice fiscale: 16 characters (or 11 digits), stored upper case without spaces.
        #[serde(default)]
        tax_code: Option<Pii<String>>,
    },
    Organisation {
        /// Partita IVA: 11 digits, stored without the `IT` prefix. Personal data too: a sole
        /// trader's VAT number identifies a person.
        #[serde(default)]
        vat_number: Option<Pii<String>>,
    },
}

impl Party {
    pub fn kind(&self) -> CustomerKind {
        match self {
            Party::Person { .. } => CustomerKind::Person,
            Party::Organisation { .. } => CustomerKind::Organisation,
        }
    }

    /// A person about whom nothing is known yet (a guest, for instance).
    pub fn unknown_person() -> Self {
        Party::Person {
            given_name: None,
            family_name: None,
            tax_code: None,
        }
    }
}

/// A phone number as given for a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneDraft {
    /// What the number is: `mobile`, `home`, `switchboard`... (at most 32 bytes).
    pub label: String,
    /// In any form a caller or an operator writes it: `055 1234567`, `+39 055 1234567`,
    /// `0039...`, `tel:...`. Stored as given, and in E.164 when the numbering plan allows.
    pub number: Pii<String>,
}

/// A phone number of a stored customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPhone {
    pub label: String,
    /// As given.
    pub number: Pii<String>,
    /// The E.164 form; `None` for a number the plan cannot make international (an internal
    /// extension, a service code), which is then matched by its digits.
    pub e164: Option<Pii<String>>,
}

/// An e-mail address of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerEmail {
    /// `work`, `personal`, `pec` (certified mail)... (at most 32 bytes).
    pub label: String,
    pub address: Pii<String>,
}

/// What to do with the customer's PIN. The PIN itself is never stored or returned: only an
/// argon2id hash of it is kept, and a customer says only whether it has one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PinChange {
    /// Leave it as it is (no PIN, for a new customer).
    #[default]
    Keep,
    /// Set a new PIN: 4 to 12 digits, as typed on a phone keypad.
    Set(Pii<String>),
    /// Remove the PIN: the customer can no longer be identified by PIN.
    Clear,
}

/// A customer as an operator or an import describes it: everything but the store's own
/// bookkeeping (id, revision, times) and the discrepancy flag, which has its own operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDraft {
    #[serde(flatten)]
    pub party: Party,
    /// The name shown to operators. Required unless the customer is a guest.
    pub display_name: Pii<String>,
    #[serde(default)]
    pub phones: Vec<PhoneDraft>,
    #[serde(default)]
    pub emails: Vec<CustomerEmail>,
    /// A record created for a caller who could not be identified (DOMAIN.md step 6).
    #[serde(default)]
    pub guest: bool,
    #[serde(default)]
    pub pin: PinChange,
}

impl CustomerDraft {
    /// The guest record of a caller who could not be identified: no name, and the caller's
    /// number if there is one (a withheld or invalid number gives a guest without phones).
    pub fn guest(caller: &CallerNumber) -> Self {
        let phones = match caller.kind() {
            common::phone::NumberKind::E164 | common::phone::NumberKind::Local => {
                vec![PhoneDraft {
                    label: "caller".into(),
                    number: caller.best().to_owned().into(),
                }]
            }
            _ => Vec::new(),
        };
        CustomerDraft {
            party: Party::unknown_person(),
            display_name: String::new().into(),
            phones,
            emails: Vec::new(),
            guest: true,
            pin: PinChange::Keep,
        }
    }
}

/// Data an operator found inconsistent (the wrong person answers at this number, a tax code
/// that does not match the name...), flagged for someone to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discrepancy {
    pub note: Pii<String>,
    pub marked_at_unix_ms: i64,
}

/// A customer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    #[serde(flatten)]
    pub party: Party,
    pub display_name: Pii<String>,
    pub phones: Vec<CustomerPhone>,
    pub emails: Vec<CustomerEmail>,
    /// Whether a PIN is set; the PIN and its hash never leave the store.
    pub has_pin: bool,
    pub guest: bool,
    /// `None` unless an operator flagged the data as inconsistent.
    pub discrepancy: Option<Discrepancy>,
    /// Bumped by every change; an update names the revision it was based on.
    pub revision: i64,
    pub created_at_unix_ms: i64,
    pub updated_at_unix_ms: i64,
}

/// The customers reached at one number, in a stable order: identified customers before guests,
/// then by display name, then by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerMatches {
    pub customers: Vec<Customer>,
    /// More customers share the number than the limit let through.
    pub more: bool,
}

/// What a customer search matches, by prefix and without regard to case (and, for names, to
/// the accents of Italian: `nicolo` finds `Nicolò`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SearchBy {
    /// The display name or, for persons, the family name.
    Name(String),
    /// The codice fiscale of a person or the partita IVA of an organisation.
    TaxCode(String),
    /// Any of the customer's e-mail addresses.
    Email(String),
}

/// One page of a customer search, ordered by display name then id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerQuery {
    pub by: SearchBy,
    /// At most [`CustomerQuery::MAX_LIMIT`]; larger values are clamped.
    pub limit: u32,
    /// At most [`CustomerQuery::MAX_OFFSET`].
    pub offset: u32,
}

impl CustomerQuery {
    pub const DEFAULT_LIMIT: u32 = 20;
    pub const MAX_LIMIT: u32 = 100;
    /// Past this, narrow the search instead: an operator does not page through thousands.
    pub const MAX_OFFSET: u32 = 10_000;
    /// Shorter prefixes match too much of a large directory to be useful.
    pub const MIN_PREFIX_CHARS: usize = 2;

    pub fn new(by: SearchBy) -> Self {
        Self {
            by,
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// Why a recent service request is listed for a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecentMatch {
    /// The call was identified as this customer's.
    Customer,
    /// The call came from one of the customer's numbers and was not identified as anyone's:
    /// a weaker link when the number is shared (a switchboard, a family phone).
    CallerNumber,
}

/// A service request of a customer, in brief: what an operator sees in the screen pop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentServiceRequest {
    pub number: String,
    pub state: SrState,
    pub created_at_unix_ms: i64,
    pub call_id: Option<String>,
    pub channel: String,
    pub service_area: Option<String>,
    pub request_type: Option<String>,
    /// How the call ended; `None` until its call record arrives.
    pub outcome: Option<CallOutcome>,
    pub matched_by: RecentMatch,
}

/// What the operator's screen pop shows about an identified caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPop {
    pub customer: Customer,
    /// Newest first.
    pub recent_requests: Vec<RecentServiceRequest>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::phone::NumberingPlan;

    #[test]
    fn kinds_round_trip_by_name() {
        for kind in [CustomerKind::Person, CustomerKind::Organisation] {
            assert_eq!(CustomerKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(CustomerKind::from_name("robot"), None);
    }

    #[test]
    fn ids_print_and_parse_as_decimals() {
        assert_eq!(CustomerId(42).to_string(), "42");
        assert_eq!("42".parse::<CustomerId>(), Ok(CustomerId(42)));
        assert!("cust-42".parse::<CustomerId>().is_err());
    }

    #[test]
    fn guests_keep_the_callers_number_if_there_is_one() {
        let italy = NumberingPlan::italy();
        let guest = CustomerDraft::guest(&CallerNumber::normalise("055 1234567", &italy));
        assert!(guest.guest);
        assert_eq!(guest.phones.len(), 1);
        assert_eq!(guest.phones[0].number.expose(), "+390551234567");
        let withheld = CustomerDraft::guest(&CallerNumber::normalise("anonymous", &italy));
        assert!(withheld.phones.is_empty());
    }

    #[test]
    fn drafts_read_flat_json_with_a_kind() {
        let draft: CustomerDraft = serde_json::from_str(
            r#"{"kind": "person", "display_name": "Mario Rossi", "family_name": "Rossi",
                "phones": [{"label": "mobile", "number": "347 1234567"}],
                "pin": {"set": "2468"}}"#,
        )
        .expect("a person draft");
        assert_eq!(draft.party.kind(), CustomerKind::Person);
        assert_eq!(draft.pin, PinChange::Set("2468".to_string().into()));
        let org: CustomerDraft = serde_json::from_str(
            r#"{"kind": "organisation", "display_name": "Comune", "vat_number": "12345678903"}"#,
        )
        .expect("an organisation draft");
        assert_eq!(org.pin, PinChange::Keep);
        assert!(
            serde_json::from_str::<CustomerDraft>(r#"{"kind": "robot", "display_name": "x"}"#)
                .is_err()
        );
    }

    #[test]
    fn customers_serialise_flat_and_debug_redacts() {
        let customer = Customer {
            id: CustomerId(7),
            party: Party::Person {
                given_name: Some("Mario".to_string().into()),
                family_name: Some("Rossi".to_string().into()),
                tax_code: Some("RSSMRA80A01H501U".to_string().into()),
            },
            display_name: "Mario Rossi".to_string().into(),
            phones: vec![CustomerPhone {
                label: "mobile".into(),
                number: "347 1234567".to_string().into(),
                e164: Some("+393471234567".to_string().into()),
            }],
            emails: vec![],
            has_pin: true,
            guest: false,
            discrepancy: None,
            revision: 1,
            created_at_unix_ms: 0,
            updated_at_unix_ms: 0,
        };
        let json = serde_json::to_value(&customer).expect("serialise");
        assert_eq!(json["kind"], "person");
        assert_eq!(json["id"], 7);
        assert_eq!(json["tax_code"], "RSSMRA80A01H501U");
        assert_eq!(json["phones"][0]["e164"], "+393471234567");
        let back: Customer = serde_json::from_value(json).expect("read back");
        assert_eq!(back, customer);
        let debug = format!("{customer:?}");
        for secret in ["Mario", "Rossi", "RSSMRA", "1234567"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }
}
