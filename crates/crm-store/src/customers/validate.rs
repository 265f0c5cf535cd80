//! Limits and checks on everything a customer record holds, and the normalised forms that
//! the store keeps beside the values as given (search keys, E.164 numbers, fiscal codes).
//!
//! Every refusal is a [`CustomerInputError`] that names the field, so that an HTTP handler can
//! point the operator at it.

use std::fmt;

use common::phone::NumberingPlan;
use thiserror::Error;

use super::fiscal;
use super::keys::{PhoneKey, phone_key, search_key, upper_bound};
use super::model::{CustomerDraft, CustomerQuery, Party, PinChange, SearchBy};

/// Limits on a customer record, in bytes of UTF-8 unless said otherwise.
pub mod customer_limits {
    pub const DISPLAY_NAME_LEN: usize = 200;
    /// Given name and family name, each.
    pub const NAME_LEN: usize = 100;
    /// A codice fiscale or partita IVA as typed, before spaces and `IT` are dropped.
    pub const FISCAL_INPUT_LEN: usize = 32;
    pub const PHONES: usize = 10;
    pub const EMAILS: usize = 10;
    /// Phone and e-mail labels.
    pub const LABEL_LEN: usize = 32;
    /// Phone numbers as given (the same limit as a caller number, `common::phone::MAX_RAW_LEN`).
    pub const PHONE_LEN: usize = common::phone::MAX_RAW_LEN;
    /// RFC 5321 section 4.5.3.1.3: a path is at most 256 octets with its angle brackets.
    pub const EMAIL_LEN: usize = 254;
    pub const PIN_MIN_DIGITS: usize = 4;
    pub const PIN_MAX_DIGITS: usize = 12;
    pub const DISCREPANCY_NOTE_LEN: usize = 1000;
    /// A search prefix.
    pub const SEARCH_LEN: usize = 100;
}

use customer_limits::*;

/// A field of a customer record or of a customer search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CustomerField {
    DisplayName,
    GivenName,
    FamilyName,
    TaxCode,
    VatNumber,
    Phones,
    PhoneLabel(usize),
    PhoneNumber(usize),
    Emails,
    EmailLabel(usize),
    EmailAddress(usize),
    Pin,
    DiscrepancyNote,
    Search,
    Offset,
    CallerNumber,
}

impl fmt::Display for CustomerField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustomerField::DisplayName => f.write_str("display_name"),
            CustomerField::GivenName => f.write_str("given_name"),
            CustomerField::FamilyName => f.write_str("family_name"),
            CustomerField::TaxCode => f.write_str("tax_code"),
            CustomerField::VatNumber => f.write_str("vat_number"),
            CustomerField::Phones => f.write_str("phones"),
            CustomerField::PhoneLabel(i) => write!(f, "phones[{i}].label"),
            CustomerField::PhoneNumber(i) => write!(f, "phones[{i}].number"),
            CustomerField::Emails => f.write_str("emails"),
            CustomerField::EmailLabel(i) => write!(f, "emails[{i}].label"),
            CustomerField::EmailAddress(i) => write!(f, "emails[{i}].address"),
            CustomerField::Pin => f.write_str("pin"),
            CustomerField::DiscrepancyNote => f.write_str("discrepancy_note"),
            CustomerField::Search => f.write_str("search"),
            CustomerField::Offset => f.write_str("offset"),
            CustomerField::CallerNumber => f.write_str("caller_number"),
        }
    }
}

/// Why a customer record or search was refused. Messages name the field and never quote the
/// value (it is personal data).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CustomerInputError {
    #[error("{field} is longer than {max} bytes")]
    TooLong { field: CustomerField, max: usize },
    #[error("{field} has more than {max} entries")]
    TooMany { field: CustomerField, max: usize },
    #[error("{field} is empty")]
    Empty { field: CustomerField },
    #[error("{field} is not valid: {reason}")]
    Malformed {
        field: CustomerField,
        reason: &'static str,
    },
    #[error("{field} repeats an earlier entry")]
    Duplicate { field: CustomerField },
    #[error("{field} is beyond {max}: narrow the search instead")]
    OutOfRange { field: CustomerField, max: u32 },
}

type Result<T> = std::result::Result<T, CustomerInputError>;

fn bounded(value: &str, field: CustomerField, max: usize) -> Result<()> {
    if value.len() > max {
        return Err(CustomerInputError::TooLong { field, max });
    }
    Ok(())
}

/// Single-line text: no control characters (a NUL byte is refused by PostgreSQL, a newline
/// breaks the layout of a screen pop).
fn line(value: &str, field: CustomerField, max: usize) -> Result<String> {
    bounded(value, field, max)?;
    if value.chars().any(char::is_control) {
        return Err(CustomerInputError::Malformed {
            field,
            reason: "contains a control character",
        });
    }
    Ok(value.trim().to_owned())
}

fn optional_line(value: Option<&str>, field: CustomerField, max: usize) -> Result<Option<String>> {
    Ok(value
        .map(|v| line(v, field, max))
        .transpose()?
        .filter(|v| !v.is_empty()))
}

/// The key to look a caller's number up by, or `None` when it cannot match any stored number
/// (withheld, not a number).
pub(crate) fn caller_key(input: &str, plan: &NumberingPlan) -> Result<Option<String>> {
    bounded(input, CustomerField::CallerNumber, PHONE_LEN)?;
    Ok(phone_key(input, plan).map(|k| k.key))
}

pub(crate) struct ValidPhone {
    pub(crate) label: String,
    pub(crate) number: String,
    pub(crate) e164: Option<String>,
    pub(crate) key: String,
}

pub(crate) struct ValidEmail {
    pub(crate) label: String,
    pub(crate) address: String,
    pub(crate) key: String,
}

pub(crate) enum ValidPin {
    Keep,
    Set(String),
    Clear,
}

/// A draft that passed every check, in the forms the database keeps.
pub(crate) struct ValidDraft {
    pub(crate) kind: &'static str,
    pub(crate) display_name: String,
    pub(crate) display_name_key: String,
    pub(crate) given_name: Option<String>,
    pub(crate) family_name: Option<String>,
    pub(crate) family_name_key: Option<String>,
    pub(crate) tax_code: Option<String>,
    pub(crate) vat_number: Option<String>,
    pub(crate) phones: Vec<ValidPhone>,
    pub(crate) emails: Vec<ValidEmail>,
    pub(crate) guest: bool,
    pub(crate) pin: ValidPin,
}

/// Checks a PIN's shape: 4 to 12 digits.
pub(crate) fn pin(value: &str) -> Result<()> {
    let field = CustomerField::Pin;
    bounded(value, field, PIN_MAX_DIGITS)?;
    if value.len() < PIN_MIN_DIGITS || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CustomerInputError::Malformed {
            field,
            reason: "a PIN is 4 to 12 digits",
        });
    }
    Ok(())
}

pub(crate) fn discrepancy_note(note: &str) -> Result<String> {
    let field = CustomerField::DiscrepancyNote;
    bounded(note, field, DISCREPANCY_NOTE_LEN)?;
    // A note may run over several lines; other control characters are refused.
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(CustomerInputError::Malformed {
            field,
            reason: "contains a control character",
        });
    }
    Ok(note.trim().to_owned())
}

fn email(address: &str, field: CustomerField) -> Result<String> {
    let address = line(address, field, EMAIL_LEN)?;
    let malformed = CustomerInputError::Malformed {
        field,
        reason: "an e-mail address is local-part@domain",
    };
    match address.rsplit_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !address.contains(char::is_whitespace) =>
        {
            Ok(address)
        }
        _ => Err(malformed),
    }
}

impl CustomerDraft {
    /// Checks every field against its limit and shape, and derives the stored forms.
    pub(crate) fn validate(&self, plan: &NumberingPlan) -> Result<ValidDraft> {
        use CustomerField as F;
        let display_name = line(self.display_name.expose(), F::DisplayName, DISPLAY_NAME_LEN)?;
        if display_name.is_empty() && !self.guest {
            return Err(CustomerInputError::Empty {
                field: F::DisplayName,
            });
        }
        let (kind, given_name, family_name, tax_code, vat_number) = match &self.party {
            Party::Person {
                given_name,
                family_name,
                tax_code,
            } => {
                let tax_code = tax_code
                    .as_ref()
                    .map(|code| {
                        bounded(code.expose(), F::TaxCode, FISCAL_INPUT_LEN)?;
                        fiscal::tax_code(code.expose()).map_err(|e| CustomerInputError::Malformed {
                            field: F::TaxCode,
                            reason: e.reason(),
                        })
                    })
                    .transpose()?;
                (
                    "person",
                    optional_line(
                        given_name.as_ref().map(|n| n.expose().as_str()),
                        F::GivenName,
                        NAME_LEN,
                    )?,
                    optional_line(
                        family_name.as_ref().map(|n| n.expose().as_str()),
                        F::FamilyName,
                        NAME_LEN,
                    )?,
                    tax_code,
                    None,
                )
            }
            Party::Organisation { vat_number } => {
                let vat_number = vat_number
                    .as_ref()
                    .map(|code| {
                        bounded(code.expose(), F::VatNumber, FISCAL_INPUT_LEN)?;
                        fiscal::vat_number(code.expose()).map_err(|e| {
                            CustomerInputError::Malformed {
                                field: F::VatNumber,
                                reason: e.reason(),
                            }
                        })
                    })
                    .transpose()?;
                ("organisation", None, None, None, vat_number)
            }
        };

        if self.phones.len() > PHONES {
            return Err(CustomerInputError::TooMany {
                field: F::Phones,
                max: PHONES,
            });
        }
        let mut phones: Vec<ValidPhone> = Vec::with_capacity(self.phones.len());
        for (i, phone) in self.phones.iter().enumerate() {
            let label = line(&phone.label, F::PhoneLabel(i), LABEL_LEN)?;
            let number = line(phone.number.expose(), F::PhoneNumber(i), PHONE_LEN)?;
            let Some(PhoneKey { e164, key }) = phone_key(&number, plan) else {
                return Err(CustomerInputError::Malformed {
                    field: F::PhoneNumber(i),
                    reason: "not a telephone number",
                });
            };
            if phones.iter().any(|p| p.key == key) {
                return Err(CustomerInputError::Duplicate {
                    field: F::PhoneNumber(i),
                });
            }
            phones.push(ValidPhone {
                label,
                number,
                e164,
                key,
            });
        }

        if self.emails.len() > EMAILS {
            return Err(CustomerInputError::TooMany {
                field: F::Emails,
                max: EMAILS,
            });
        }
        let mut emails: Vec<ValidEmail> = Vec::with_capacity(self.emails.len());
        for (i, entry) in self.emails.iter().enumerate() {
            let label = line(&entry.label, F::EmailLabel(i), LABEL_LEN)?;
            let address = email(entry.address.expose(), F::EmailAddress(i))?;
            let key = address.to_lowercase();
            if emails.iter().any(|e| e.key == key) {
                return Err(CustomerInputError::Duplicate {
                    field: F::EmailAddress(i),
                });
            }
            emails.push(ValidEmail {
                label,
                address,
                key,
            });
        }

        let pin_change = match &self.pin {
            PinChange::Keep => ValidPin::Keep,
            PinChange::Clear => ValidPin::Clear,
            PinChange::Set(value) => {
                pin(value.expose())?;
                ValidPin::Set(value.expose().clone())
            }
        };

        Ok(ValidDraft {
            kind,
            display_name_key: search_key(&display_name),
            display_name,
            family_name_key: family_name.as_deref().map(search_key),
            given_name,
            family_name,
            tax_code,
            vat_number,
            phones,
            emails,
            guest: self.guest,
            pin: pin_change,
        })
    }
}

/// A search made ready for the index: the key range, page size and offset.
pub(crate) struct ValidQuery {
    pub(crate) from: String,
    pub(crate) until: String,
    pub(crate) limit: i64,
    pub(crate) offset: i64,
}

impl CustomerQuery {
    pub(crate) fn validate(&self) -> Result<ValidQuery> {
        let field = CustomerField::Search;
        if self.offset > Self::MAX_OFFSET {
            return Err(CustomerInputError::OutOfRange {
                field: CustomerField::Offset,
                max: Self::MAX_OFFSET,
            });
        }
        let text = match &self.by {
            SearchBy::Name(text) | SearchBy::TaxCode(text) | SearchBy::Email(text) => text,
        };
        let text = line(text, field, SEARCH_LEN)?;
        let from = match &self.by {
            SearchBy::Name(_) => search_key(&text),
            // Stored upper case and without spaces (see `fiscal`).
            SearchBy::TaxCode(_) => {
                let compact: String = text
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
                compact
                    .strip_prefix("IT")
                    .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
                    .map_or(compact.clone(), str::to_owned)
            }
            SearchBy::Email(_) => text.to_lowercase(),
        };
        if from.chars().count() < Self::MIN_PREFIX_CHARS {
            return Err(CustomerInputError::Malformed {
                field,
                reason: "give at least two characters",
            });
        }
        let until = upper_bound(&from).ok_or(CustomerInputError::Malformed {
            field,
            reason: "not a searchable prefix",
        })?;
        Ok(ValidQuery {
            from,
            until,
            limit: i64::from(self.limit.clamp(1, Self::MAX_LIMIT)),
            offset: i64::from(self.offset),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::{CustomerEmail, PhoneDraft};

    fn italy() -> NumberingPlan {
        NumberingPlan::italy()
    }

    fn person(display: &str) -> CustomerDraft {
        CustomerDraft {
            party: Party::unknown_person(),
            display_name: display.to_string().into(),
            phones: vec![],
            emails: vec![],
            guest: false,
            pin: PinChange::Keep,
        }
    }

    fn phone(number: &str) -> PhoneDraft {
        PhoneDraft {
            label: "home".into(),
            number: number.to_string().into(),
        }
    }

    fn refused(draft: &CustomerDraft) -> CustomerInputError {
        match draft.validate(&italy()) {
            Ok(_) => panic!("the draft should be refused"),
            Err(error) => error,
        }
    }

    #[test]
    fn caller_keys_are_bounded() {
        let plan = italy();
        assert_eq!(caller_key("", &plan), Ok(None));
        assert!(matches!(
            caller_key(&"5".repeat(PHONE_LEN + 1), &plan),
            Err(CustomerInputError::TooLong {
                field: CustomerField::CallerNumber,
                ..
            })
        ));
    }

    #[test]
    fn a_valid_draft_is_normalised() {
        let mut draft = person("  Mario Rossi ");
        draft.party = Party::Person {
            given_name: Some("Mario".to_string().into()),
            family_name: Some("Rossì".to_string().into()),
            tax_code: Some("rss mra 80a01 h501u".to_string().into()),
        };
        draft.phones = vec![phone("055 1234567"), phone("1001")];
        draft.emails = vec![CustomerEmail {
            label: "work".into(),
            address: "Mario.Rossi@Example.IT".to_string().into(),
        }];
        draft.pin = PinChange::Set("2468".to_string().into());
        let valid = draft.validate(&italy()).expect("valid");
        assert_eq!(valid.display_name, "Mario Rossi");
        assert_eq!(valid.display_name_key, "mario rossi");
        assert_eq!(valid.family_name_key.as_deref(), Some("rossi"));
        assert_eq!(valid.tax_code.as_deref(), Some("RSSMRA80A01H501U"));
        assert_eq!(valid.phones[0].key, "+390551234567");
        assert_eq!(valid.phones[1].key, "1001");
        assert_eq!(valid.phones[1].e164, None);
        assert_eq!(valid.emails[0].address, "Mario.Rossi@Example.IT");
        assert_eq!(valid.emails[0].key, "mario.rossi@example.it");
        assert!(matches!(valid.pin, ValidPin::Set(_)));
    }

    #[test]
    fn every_refusal_names_its_field() {
        use CustomerField as F;
        assert_eq!(
            refused(&person(" ")),
            CustomerInputError::Empty {
                field: F::DisplayName
            }
        );
        let long = person(&"x".repeat(DISPLAY_NAME_LEN + 1));
        assert_eq!(
            refused(&long),
            CustomerInputError::TooLong {
                field: F::DisplayName,
                max: DISPLAY_NAME_LEN
            }
        );
        assert!(matches!(
            refused(&person("a\u{0}b")),
            CustomerInputError::Malformed {
                field: F::DisplayName,
                ..
            }
        ));

        let mut draft = person("x");
        draft.phones = vec![phone("055 1234567"), phone("+390551234567")];
        assert_eq!(
            refused(&draft),
            CustomerInputError::Duplicate {
                field: F::PhoneNumber(1)
            }
        );
        draft.phones = vec![phone("anonymous")];
        assert!(matches!(
            refused(&draft),
            CustomerInputError::Malformed {
                field: F::PhoneNumber(0),
                ..
            }
        ));
        draft.phones = vec![phone("055 1234567"); PHONES + 1];
        assert_eq!(
            refused(&draft),
            CustomerInputError::TooMany {
                field: F::Phones,
                max: PHONES
            }
        );
        draft.phones = vec![PhoneDraft {
            label: "l".repeat(LABEL_LEN + 1),
            number: "055 1234567".to_string().into(),
        }];
        assert!(matches!(
            refused(&draft),
            CustomerInputError::TooLong {
                field: F::PhoneLabel(0),
                ..
            }
        ));

        let mut draft = person("x");
        draft.emails = vec![CustomerEmail {
            label: "a".into(),
            address: "not-an-address".to_string().into(),
        }];
        assert!(matches!(
            refused(&draft),
            CustomerInputError::Malformed {
                field: F::EmailAddress(0),
                ..
            }
        ));

        let mut draft = person("x");
        draft.party = Party::Person {
            given_name: None,
            family_name: None,
            tax_code: Some("RSSMRA80A01H501X".to_string().into()),
        };
        assert!(matches!(
            refused(&draft),
            CustomerInputError::Malformed {
                field: F::TaxCode,
                ..
            }
        ));
        draft.party = Party::Organisation {
            vat_number: Some("12345678900".to_string().into()),
        };
        assert!(matches!(
            refused(&draft),
            CustomerInputError::Malformed {
                field: F::VatNumber,
                ..
            }
        ));

        for bad in ["123", "12a4", "1234567890123"] {
            let mut draft = person("x");
            draft.pin = PinChange::Set(bad.to_string().into());
            let error = refused(&draft);
            assert!(error.to_string().starts_with("pin "), "{error}");
            assert!(!error.to_string().contains(bad), "{error}");
        }
    }

    #[test]
    fn guests_need_no_name() {
        let mut guest = person("");
        guest.guest = true;
        assert!(guest.validate(&italy()).is_ok());
    }

    #[test]
    fn field_names_read_like_the_json() {
        assert_eq!(
            CustomerField::PhoneNumber(2).to_string(),
            "phones[2].number"
        );
        assert_eq!(
            CustomerField::EmailAddress(0).to_string(),
            "emails[0].address"
        );
        let error = CustomerInputError::TooLong {
            field: CustomerField::TaxCode,
            max: 32,
        };
        assert_eq!(error.to_string(), "tax_code is longer than 32 bytes");
    }

    #[test]
    fn searches_need_a_prefix_and_stay_bounded() {
        let query = |by: SearchBy| CustomerQuery::new(by).validate();
        let valid = query(SearchBy::Name(" Rossì ".into())).expect("valid");
        assert_eq!(
            (valid.from.as_str(), valid.until.as_str()),
            ("rossi", "rossj")
        );
        let valid = query(SearchBy::TaxCode("it 1234".into())).expect("valid");
        assert_eq!(valid.from, "1234");
        let valid = query(SearchBy::TaxCode("rss mra".into())).expect("valid");
        assert_eq!(valid.from, "RSSMRA");
        assert!(query(SearchBy::Email("m".into())).is_err());
        let mut paged = CustomerQuery::new(SearchBy::Name("ro".into()));
        paged.limit = 1_000_000;
        assert_eq!(
            paged.validate().map(|v| v.limit).ok(),
            Some(i64::from(CustomerQuery::MAX_LIMIT))
        );
        paged.offset = CustomerQuery::MAX_OFFSET + 1;
        assert!(matches!(
            paged.validate(),
            Err(CustomerInputError::OutOfRange {
                field: CustomerField::Offset,
                ..
            })
        ));
    }

    #[test]
    fn discrepancy_notes_may_span_lines() {
        assert_eq!(
            discrepancy_note(" wrong person\nat this number ").as_deref(),
            Ok("wrong person\nat this number")
        );
        assert!(discrepancy_note("bell\u{7}").is_err());
        assert!(discrepancy_note(&"n".repeat(DISCREPANCY_NOTE_LEN + 1)).is_err());
    }
}
