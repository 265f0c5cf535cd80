//! The caller's number, as found in an INVITE, normalised for display and CRM look-up.
//!
//! The input is the user part of a `sip:`/`sips:` URI (percent-escapes already decoded, so it
//! may hold a whole telephone-subscriber with `;` parameters, RFC 3261 19.1.6) or the text of a
//! `tel:` URI, with or without its scheme (RFC 3966). The output, [`CallerNumber`], keeps the
//! raw value and adds the ITU-T E.164 international form when one can be worked out.
//!
//! ```
//! use common::phone::{CallerNumber, NumberKind, NumberingPlan};
//!
//! let italy = NumberingPlan::italy();
//! let caller = CallerNumber::normalise("055 123.4567", &italy);
//! assert_eq!(caller.kind(), NumberKind::E164);
//! assert_eq!(caller.e164(), Some("+390551234567"));
//! assert_eq!(caller.raw(), "055 123.4567");
//!
//! let extension = CallerNumber::normalise("tel:7042;phone-context=example.com", &italy);
//! assert_eq!(extension.kind(), NumberKind::Local);
//! assert_eq!(extension.best(), "tel:7042;phone-context=example.com");
//!
//! // Personal data never reaches a log through Debug.
//! assert!(!format!("{caller:?}").contains("123"));
//! ```
//!
//! Rules, in the order they are applied:
//!
//! 1. Inputs longer than [`MAX_RAW_LEN`] bytes are refused as [`NumberKind::Invalid`] before
//!    anything else is looked at.
//! 2. A leading `tel:` scheme (any case) is dropped. Everything from the first `;` on is
//!    parameters (RFC 3966 section 3: `par`, `context`): `ext`, `isub`, `phone-context` and any
//!    other parameter never stay in the number. Only `phone-context` is read.
//! 3. An empty user part, or `anonymous`, `restricted`, `unavailable`, `unknown`, `private`,
//!    `withheld` in any case, is [`NumberKind::Withheld`]: RFC 3323 section 4.1.1.3 has a user
//!    agent that wants privacy send `"Anonymous" <sip:anonymous@anonymous.invalid>`, and
//!    gateways use the other words for a withheld or unknown presentation.
//! 4. Visual separators `-` `.` `(` `)` (RFC 3966 section 5.1.1) and spaces (ITU-T E.123, which
//!    a decoded SIP user part may carry) are dropped. A `+` is allowed only in front of the
//!    first digit. Any other character makes the input [`NumberKind::Invalid`], including
//!    letters: RFC 3966 section 5.1.2 does not carry keypad letters, and a SIP user part with
//!    letters is a user name, not a number.
//! 5. A global number (`+` first, RFC 3966 section 5.1.4) is E.164 if its digits follow the
//!    E.164 grammar (see [`is_e164`]), and invalid otherwise.
//! 6. A local number (RFC 3966 section 5.1.5) holding `*` or `#` (section 5.1.3: service codes)
//!    stays local. Otherwise its `phone-context` decides:
//!    * none (a SIP user part, or a gateway that leaves the context out): the number is read as
//!      dialled inside the plan's country ([`NumberingPlan::dialled_to_e164`]);
//!    * a global number prefix that is exactly the plan's country code (`+39`): the same;
//!    * a longer prefix inside the plan's country (`+39055`): the digits after the country code
//!      are put in front of the local number, and the result must be a national number the plan
//!      knows ([`NumberingPlan::national_to_e164`]);
//!    * a domain name, a prefix of another country, or anything else: the number stays local.
//!
//!    RFC 3966 section 5.1.5 warns that a global number prefix "does NOT indicate a prefix that
//!    turns the local number into a global (E.164) number": `911` with context `+1` is not
//!    `+1911`. So the prefix is used only where the plan can check the result: `112` with context
//!    `+39` stays local, and a prefix of a country whose plan is not configured is not trusted.
//! 7. The result is E.164 only if it passes [`is_e164`], whatever the plan says; anything that
//!    could not be made E.164 is [`NumberKind::Local`] and keeps its raw form.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Pii;

/// Longest input, in bytes, that is normalised at all.
///
/// An E.164 number is at most 16 characters (`+` and 15 digits); with visual separators, a
/// `tel:` scheme, a domain-name `phone-context` and number-portability parameters (RFC 4694
/// `npdi`, `rn`) a real caller identity stays well under 128 bytes. Anything longer is refused
/// as [`NumberKind::Invalid`], and its raw value is cut to this length on a character boundary
/// so that a hostile INVITE cannot make every record that stores the caller grow.
pub const MAX_RAW_LEN: usize = 128;

/// Longest ITU-T E.164 number, in digits (country code and national significant number).
pub const E164_MAX_DIGITS: usize = 15;

/// User parts that mean "no number given" (compared without regard to case).
const WITHHELD_USERS: [&str; 6] = [
    "anonymous",
    "restricted",
    "unavailable",
    "unknown",
    "private",
    "withheld",
];

/// What could be made of the caller identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    /// An international number: [`CallerNumber::e164`] holds it.
    E164,
    /// Digits that cannot be made international: an extension (`1001`), a service code
    /// (`112`), a number whose `phone-context` is a domain name, or one the plan does not know.
    Local,
    /// The caller asked for privacy or the network has no number (RFC 3323).
    Withheld,
    /// Not a telephone number: letters, misplaced `+`, a global number outside E.164, or an
    /// input longer than [`MAX_RAW_LEN`].
    Invalid,
}

/// A caller's number: the raw text from the INVITE and, when possible, its E.164 form.
///
/// `Debug` shows the kind but redacts both numbers (they are personal data); read them with
/// [`CallerNumber::raw`], [`CallerNumber::e164`] or [`CallerNumber::best`] where they are
/// really needed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "CallerNumberFields", try_from = "CallerNumberFields")]
pub struct CallerNumber {
    raw: Pii<String>,
    e164: Option<Pii<String>>,
    kind: NumberKind,
}

impl CallerNumber {
    /// Normalises a SIP user part or a `tel:` URI (with or without `tel:`) under `plan`.
    ///
    /// Never panics and never fails: what cannot be understood is [`NumberKind::Invalid`],
    /// with the raw text kept (cut to [`MAX_RAW_LEN`] bytes).
    pub fn normalise(input: &str, plan: &NumberingPlan) -> CallerNumber {
        if input.len() > MAX_RAW_LEN {
            return CallerNumber::without_e164(
                truncate_on_char_boundary(input, MAX_RAW_LEN),
                NumberKind::Invalid,
            );
        }
        let (kind, e164) = classify(input, plan);
        CallerNumber {
            raw: Pii::new(input.to_owned()),
            e164: e164.map(Pii::new),
            kind,
        }
    }

    fn without_e164(raw: &str, kind: NumberKind) -> CallerNumber {
        CallerNumber {
            raw: Pii::new(raw.to_owned()),
            e164: None,
            kind,
        }
    }

    /// The text as received (at most [`MAX_RAW_LEN`] bytes).
    pub fn raw(&self) -> &str {
        self.raw.expose()
    }

    /// The E.164 form, `+` and digits only: present exactly when the kind is
    /// [`NumberKind::E164`].
    pub fn e164(&self) -> Option<&str> {
        self.e164.as_ref().map(|n| n.expose().as_str())
    }

    pub fn kind(&self) -> NumberKind {
        self.kind
    }

    /// What to show an operator or look up in the CRM: the E.164 form if there is one, the
    /// raw text otherwise.
    pub fn best(&self) -> &str {
        self.e164().unwrap_or_else(|| self.raw())
    }
}

/// The serialised shape of [`CallerNumber`] (`{"raw": .., "e164": .., "kind": ..}`), checked
/// on the way in so that stored or received values keep the invariants that
/// [`CallerNumber::normalise`] gives.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallerNumberFields {
    raw: String,
    e164: Option<String>,
    kind: NumberKind,
}

impl From<CallerNumber> for CallerNumberFields {
    fn from(caller: CallerNumber) -> Self {
        CallerNumberFields {
            raw: caller.raw.into_inner(),
            e164: caller.e164.map(Pii::into_inner),
            kind: caller.kind,
        }
    }
}

/// Why a serialised [`CallerNumber`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallerNumberError {
    /// `raw` is longer than [`MAX_RAW_LEN`] bytes.
    RawTooLong,
    /// `e164` is present without kind `e164`, or the other way round.
    KindMismatch,
    /// `e164` does not follow the E.164 grammar.
    NotE164,
}

impl fmt::Display for CallerNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CallerNumberError::RawTooLong => "raw caller number longer than the maximum",
            CallerNumberError::KindMismatch => "e164 caller number present without kind e164",
            CallerNumberError::NotE164 => "e164 caller number does not follow the E.164 grammar",
        })
    }
}

impl std::error::Error for CallerNumberError {}

impl TryFrom<CallerNumberFields> for CallerNumber {
    type Error = CallerNumberError;

    fn try_from(fields: CallerNumberFields) -> Result<Self, Self::Error> {
        if fields.raw.len() > MAX_RAW_LEN {
            return Err(CallerNumberError::RawTooLong);
        }
        if fields.e164.is_some() != (fields.kind == NumberKind::E164) {
            return Err(CallerNumberError::KindMismatch);
        }
        if fields.e164.as_deref().is_some_and(|n| !is_e164(n)) {
            return Err(CallerNumberError::NotE164);
        }
        Ok(CallerNumber {
            raw: Pii::new(fields.raw),
            e164: fields.e164.map(Pii::new),
            kind: fields.kind,
        })
    }
}

/// How numbers are dialled in the country the service desk is in.
///
/// The engine knows one country: the one whose callers dial without `+`. Numbers of other
/// countries arrive in international form (`+33...`, `0033...`) and need no plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberingPlan {
    /// ITU-T E.164 country code, digits only: `39` for Italy.
    pub country_code: String,
    /// What callers dial before a country code: `00` in Italy and most of the world
    /// (ITU-T E.164 annex A; in Italy `+` and `00` are interchangeable).
    pub international_prefix: String,
    /// The national (trunk) prefix that is dropped when the country code is put in front:
    /// `0` in France, Germany or the United Kingdom. `None` in Italy, where the leading `0` of a
    /// geographic number is part of the national significant number (`055 1234567` is
    /// `+39 055 1234567`).
    #[serde(default)]
    pub trunk_prefix: Option<String>,
    /// The national significant numbers that can be made international. A digit string that
    /// matches none of them is left local: an extension, a short service code, a typo.
    pub national_ranges: Vec<NationalRange>,
}

/// National significant numbers that start with `starts_with` and are `min_len..=max_len`
/// digits long (the leading digits included, the trunk prefix not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationalRange {
    pub starts_with: String,
    pub min_len: usize,
    pub max_len: usize,
}

impl NationalRange {
    pub fn new(starts_with: &str, min_len: usize, max_len: usize) -> Self {
        Self {
            starts_with: starts_with.to_owned(),
            min_len,
            max_len,
        }
    }

    fn contains(&self, national: &str) -> bool {
        national.starts_with(self.starts_with.as_str())
            && (self.min_len..=self.max_len).contains(&national.len())
    }
}

/// Why a [`NumberingPlan`] from configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlanError {
    /// The country code is not 1 to 3 digits starting with 1..9 (ITU-T E.164 section 6.2.1).
    CountryCode,
    /// The international prefix is empty or not all digits.
    InternationalPrefix,
    /// The trunk prefix is empty or not all digits.
    TrunkPrefix,
    /// A national range has a non-digit start, `min_len > max_len`, a start longer than
    /// `max_len`, or would not fit in 15 digits with the country code.
    NationalRange { starts_with: String },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::CountryCode => {
                f.write_str("country code must be 1 to 3 digits not starting with 0")
            }
            PlanError::InternationalPrefix => f.write_str("international prefix must be digits"),
            PlanError::TrunkPrefix => f.write_str("trunk prefix must be digits"),
            PlanError::NationalRange { starts_with } => write!(
                f,
                "national range starting with {starts_with:?} is not a valid range of digits"
            ),
        }
    }
}

impl std::error::Error for PlanError {}

impl NumberingPlan {
    /// Italy (country code 39), after the Piano di numerazione nazionale (AGCOM): no trunk
    /// prefix is dropped, and callers present
    /// * geographic numbers: `0` and 6 to 11 digits in all (`055 1234567`, `06 12345678`);
    /// * mobile numbers: `3` and 9 or 10 digits (`347 1234567`);
    /// * freephone numbers: `80x` (`800 123456`, `803 164`), 6 to 10 digits.
    ///
    /// Short codes (`112`, `1500`) and anything else stay local.
    pub fn italy() -> Self {
        Self {
            country_code: "39".into(),
            international_prefix: "00".into(),
            trunk_prefix: None,
            national_ranges: vec![
                NationalRange::new("0", 6, 11),
                NationalRange::new("3", 9, 10),
                NationalRange::new("80", 6, 10),
            ],
        }
    }

    /// Checks a plan read from configuration. A plan that fails here still never makes
    /// [`CallerNumber::normalise`] panic or emit a non-E.164 number; it just leaves numbers
    /// local.
    pub fn check(&self) -> Result<(), PlanError> {
        let cc = &self.country_code;
        if !(1..=3).contains(&cc.len()) || !all_digits(cc) || cc.starts_with('0') {
            return Err(PlanError::CountryCode);
        }
        if self.international_prefix.is_empty() || !all_digits(&self.international_prefix) {
            return Err(PlanError::InternationalPrefix);
        }
        if let Some(trunk) = &self.trunk_prefix
            && (trunk.is_empty() || !all_digits(trunk))
        {
            return Err(PlanError::TrunkPrefix);
        }
        for range in &self.national_ranges {
            let fits = all_digits(&range.starts_with)
                && range.starts_with.len() <= range.max_len
                && range.min_len <= range.max_len
                && cc.len() + range.max_len <= E164_MAX_DIGITS;
            if !fits {
                return Err(PlanError::NationalRange {
                    starts_with: range.starts_with.clone(),
                });
            }
        }
        Ok(())
    }

    /// The E.164 form of digits dialled inside this country: with the international prefix
    /// (`0033...` is `+33...`), or a national number (with the trunk prefix if the plan has
    /// one). `None` if the digits are neither.
    pub fn dialled_to_e164(&self, digits: &str) -> Option<String> {
        if !self.international_prefix.is_empty()
            && let Some(international) = digits.strip_prefix(self.international_prefix.as_str())
        {
            let e164 = format!("+{international}");
            return is_e164(&e164).then_some(e164);
        }
        match &self.trunk_prefix {
            Some(trunk) if !trunk.is_empty() => digits
                .strip_prefix(trunk.as_str())
                .and_then(|national| self.national_to_e164(national)),
            _ => self.national_to_e164(digits),
        }
    }

    /// The E.164 form of a national significant number (no trunk prefix) of this country, if
    /// it falls in one of the plan's ranges.
    pub fn national_to_e164(&self, national: &str) -> Option<String> {
        if !all_digits(national) || !self.national_ranges.iter().any(|r| r.contains(national)) {
            return None;
        }
        let e164 = format!("+{}{national}", self.country_code);
        is_e164(&e164).then_some(e164)
    }
}

/// ITU-T E.164 in international form: `+`, then 1 to 15 digits, the first of which (the start
/// of the country code) is not 0.
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (1..=E164_MAX_DIGITS).contains(&digits.len()) && all_digits(digits) && !digits.starts_with('0')
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate_on_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    // Index 0 is always a boundary, so the search cannot come back empty-handed.
    let end = (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    &s[..end]
}

/// The number part of a telephone-subscriber, cleaned of visual separators.
#[derive(Debug, PartialEq, Eq)]
enum Scanned {
    /// `+` and digits (RFC 3966 global-number-digits); the digits, without the `+`.
    Global(String),
    /// Digits only (RFC 3966 local-number-digits without `*`, `#`).
    Local(String),
    /// A local number with `*` or `#` (RFC 3966 section 5.1.3): never E.164.
    ServiceCode,
}

fn classify(input: &str, plan: &NumberingPlan) -> (NumberKind, Option<String>) {
    let text = strip_tel_scheme(input);
    let (number, params) = match text.split_once(';') {
        Some((number, params)) => (number, Some(params)),
        None => (text, None),
    };
    let number = number.trim();
    if number.is_empty()
        || WITHHELD_USERS
            .iter()
            .any(|word| number.eq_ignore_ascii_case(word))
    {
        return (NumberKind::Withheld, None);
    }
    let e164 = match scan(number) {
        None => return (NumberKind::Invalid, None),
        Some(Scanned::ServiceCode) => return (NumberKind::Local, None),
        Some(Scanned::Global(digits)) => {
            let e164 = format!("+{digits}");
            if !is_e164(&e164) {
                return (NumberKind::Invalid, None);
            }
            Some(e164)
        }
        Some(Scanned::Local(digits)) => match params.and_then(phone_context) {
            None => plan.dialled_to_e164(&digits),
            Some(context) => local_in_context(&digits, context, plan),
        },
    };
    // The plan is configuration: whatever it says, only a real E.164 number leaves here.
    match e164 {
        Some(e164) if is_e164(&e164) => (NumberKind::E164, Some(e164)),
        _ => (NumberKind::Local, None),
    }
}

fn strip_tel_scheme(input: &str) -> &str {
    match input.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("tel:") => &input[4..],
        _ => input,
    }
}

/// The `phone-context` descriptor among `;`-separated parameters (names are case-insensitive,
/// RFC 3966 section 3).
fn phone_context(params: &str) -> Option<&str> {
    params.split(';').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("phone-context")
            .then(|| value.trim())
    })
}

fn scan(number: &str) -> Option<Scanned> {
    let mut global = false;
    let mut service_code = false;
    let mut digits = String::with_capacity(number.len());
    for c in number.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '*' | '#' => service_code = true,
            // RFC 3966 global-number-digits: the `+` comes before every digit.
            '+' if !global && digits.is_empty() && !service_code => global = true,
            '-' | '.' | '(' | ')' | ' ' => {}
            _ => return None,
        }
    }
    if service_code {
        // `*` and `#` belong to local numbers only (RFC 3966 local-number-digits).
        return (!global).then_some(Scanned::ServiceCode);
    }
    if digits.is_empty() {
        return None;
    }
    Some(if global {
        Scanned::Global(digits)
    } else {
        Scanned::Local(digits)
    })
}

/// A local number with a `phone-context` (rule 6 of the module docs).
fn local_in_context(digits: &str, context: &str, plan: &NumberingPlan) -> Option<String> {
    // RFC 3966 descriptor: a domain name, or global-number-digits ("+" and digits with
    // visual separators). Only the latter can say which country the number is in.
    if !context.starts_with('+') || plan.country_code.is_empty() {
        return None;
    }
    let Some(Scanned::Global(prefix)) = scan(context) else {
        return None;
    };
    let national_start = prefix.strip_prefix(plan.country_code.as_str())?;
    if national_start.is_empty() {
        plan.dialled_to_e164(digits)
    } else {
        plan.national_to_e164(&format!("{national_start}{digits}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn italy(input: &str) -> CallerNumber {
        CallerNumber::normalise(input, &NumberingPlan::italy())
    }

    /// (input, kind, e164): real forms seen in From, P-Asserted-Identity and
    /// Remote-Party-ID headers of Italian trunks, and the examples of RFC 3966 section 6.
    const CASES: &[(&str, NumberKind, Option<&str>)] = &[
        // Global numbers, with and without separators.
        ("+390551234567", NumberKind::E164, Some("+390551234567")),
        ("+39 055 1234567", NumberKind::E164, Some("+390551234567")),
        ("+39-055-1234567", NumberKind::E164, Some("+390551234567")),
        ("+39.055.123.4567", NumberKind::E164, Some("+390551234567")),
        ("+39 (055) 1234567", NumberKind::E164, Some("+390551234567")),
        ("+393471234567", NumberKind::E164, Some("+393471234567")),
        ("+12125551212", NumberKind::E164, Some("+12125551212")),
        ("+1-212-555-1212", NumberKind::E164, Some("+12125551212")),
        ("+44 20 7946 0958", NumberKind::E164, Some("+442079460958")),
        ("+1", NumberKind::E164, Some("+1")),
        (
            "+123456789012345",
            NumberKind::E164,
            Some("+123456789012345"),
        ),
        // tel: URIs (RFC 3966 section 6 and Italian gateways).
        (
            "tel:+39-055-1234567",
            NumberKind::E164,
            Some("+390551234567"),
        ),
        ("TEL:+390551234567", NumberKind::E164, Some("+390551234567")),
        (
            "tel:+358-555-1234567",
            NumberKind::E164,
            Some("+3585551234567"),
        ),
        (
            "tel:+358-555-1234567;postd=pp22",
            NumberKind::E164,
            Some("+3585551234567"),
        ),
        (
            "tel:+1-201-555-0123;ext=1234",
            NumberKind::E164,
            Some("+12015550123"),
        ),
        (
            "tel:+1-201-555-0123;isub=1134",
            NumberKind::E164,
            Some("+12015550123"),
        ),
        (
            "tel:0551234567;phone-context=+39",
            NumberKind::E164,
            Some("+390551234567"),
        ),
        (
            "0551234567;phone-context=+39",
            NumberKind::E164,
            Some("+390551234567"),
        ),
        (
            "tel:055-1234567;Phone-Context=+39",
            NumberKind::E164,
            Some("+390551234567"),
        ),
        (
            "tel:3471234567;phone-context=+39",
            NumberKind::E164,
            Some("+393471234567"),
        ),
        (
            "tel:1234567;phone-context=+39-055",
            NumberKind::E164,
            Some("+390551234567"),
        ),
        (
            "tel:0551234567;ext=22;phone-context=+39",
            NumberKind::E164,
            Some("+390551234567"),
        ),
        (
            "tel:0033123456789;phone-context=+39",
            NumberKind::E164,
            Some("+33123456789"),
        ),
        // A global number carries no context: a stray one is ignored.
        (
            "tel:+390551234567;phone-context=example.com",
            NumberKind::E164,
            Some("+390551234567"),
        ),
        // Local numbers that stay local (RFC 3966 section 5.1.5).
        (
            "tel:7042;phone-context=example.com",
            NumberKind::Local,
            None,
        ),
        (
            "tel:0551234567;phone-context=comune.firenze.it",
            NumberKind::Local,
            None,
        ),
        (
            "tel:863-1234;phone-context=+1-914-555",
            NumberKind::Local,
            None,
        ),
        ("tel:112;phone-context=+39", NumberKind::Local, None),
        ("tel:0123456789;phone-context=+33", NumberKind::Local, None),
        ("tel:0551234567;phone-context=+", NumberKind::Local, None),
        (
            "tel:*31#;phone-context=example.com",
            NumberKind::Local,
            None,
        ),
        ("*67", NumberKind::Local, None),
        ("1001", NumberKind::Local, None),
        ("7042", NumberKind::Local, None),
        ("0", NumberKind::Local, None),
        ("112", NumberKind::Local, None),
        ("1500", NumberKind::Local, None),
        ("055", NumberKind::Local, None),
        ("347123", NumberKind::Local, None),
        ("05512345678901", NumberKind::Local, None),
        ("00", NumberKind::Local, None),
        ("000551234567", NumberKind::Local, None),
        ("4321;user=phone", NumberKind::Local, None),
        // Italian national numbers, dialled without +.
        ("0551234567", NumberKind::E164, Some("+390551234567")),
        ("055 1234567", NumberKind::E164, Some("+390551234567")),
        ("055-123.45.67", NumberKind::E164, Some("+390551234567")),
        ("(055) 1234567", NumberKind::E164, Some("+390551234567")),
        ("0612345678", NumberKind::E164, Some("+390612345678")),
        ("02 12345678", NumberKind::E164, Some("+390212345678")),
        ("0461123456", NumberKind::E164, Some("+390461123456")),
        ("3471234567", NumberKind::E164, Some("+393471234567")),
        ("347 123 4567", NumberKind::E164, Some("+393471234567")),
        ("333123456", NumberKind::E164, Some("+39333123456")),
        ("800123456", NumberKind::E164, Some("+39800123456")),
        ("803164", NumberKind::E164, Some("+39803164")),
        ("tel:0551234567", NumberKind::E164, Some("+390551234567")),
        // International prefix.
        ("00390551234567", NumberKind::E164, Some("+390551234567")),
        ("0039 347 1234567", NumberKind::E164, Some("+393471234567")),
        ("0033123456789", NumberKind::E164, Some("+33123456789")),
        ("0012125551212", NumberKind::E164, Some("+12125551212")),
        // Withheld (RFC 3323 and gateway words).
        ("", NumberKind::Withheld, None),
        ("  ", NumberKind::Withheld, None),
        ("anonymous", NumberKind::Withheld, None),
        ("Anonymous", NumberKind::Withheld, None),
        ("ANONYMOUS", NumberKind::Withheld, None),
        ("restricted", NumberKind::Withheld, None),
        ("Restricted", NumberKind::Withheld, None),
        ("unavailable", NumberKind::Withheld, None),
        ("unknown", NumberKind::Withheld, None),
        ("Private", NumberKind::Withheld, None),
        ("withheld", NumberKind::Withheld, None),
        ("tel:", NumberKind::Withheld, None),
        ("tel:anonymous", NumberKind::Withheld, None),
        (";phone-context=+39", NumberKind::Withheld, None),
        // Invalid.
        ("alice", NumberKind::Invalid, None),
        ("first.last", NumberKind::Invalid, None),
        ("0800-FLOWERS", NumberKind::Invalid, None),
        ("+39abc", NumberKind::Invalid, None),
        ("+", NumberKind::Invalid, None),
        ("-", NumberKind::Invalid, None),
        ("()", NumberKind::Invalid, None),
        ("++390551234567", NumberKind::Invalid, None),
        ("39+0551234567", NumberKind::Invalid, None),
        ("+0390551234567", NumberKind::Invalid, None),
        ("+1234567890123456", NumberKind::Invalid, None),
        ("+39*55", NumberKind::Invalid, None),
        ("055\t1234567", NumberKind::Invalid, None),
        ("0551234567\u{0}", NumberKind::Invalid, None),
        ("٠٥٥١٢٣٤٥٦٧", NumberKind::Invalid, None),
        ("sip:0551234567@example.com", NumberKind::Invalid, None),
        ("0551234567@example.com", NumberKind::Invalid, None),
    ];

    #[test]
    fn real_forms_normalise_as_expected() {
        for &(input, kind, e164) in CASES {
            let caller = italy(input);
            assert_eq!(
                (caller.kind(), caller.e164()),
                (kind, e164),
                "input {input:?}"
            );
            assert_eq!(caller.raw(), input, "input {input:?} keeps its raw form");
        }
    }

    #[test]
    fn best_prefers_e164_and_falls_back_to_raw() {
        assert_eq!(italy("055 1234567").best(), "+390551234567");
        assert_eq!(italy("1001").best(), "1001");
        assert_eq!(italy("anonymous").best(), "anonymous");
        assert_eq!(italy("alice").best(), "alice");
    }

    #[test]
    fn longer_than_the_limit_is_invalid_and_cut_on_a_char_boundary() {
        let at_limit = "1".repeat(MAX_RAW_LEN);
        assert_eq!(italy(&at_limit).kind(), NumberKind::Local);
        assert_eq!(italy(&at_limit).raw(), at_limit);

        let digits = format!("+39{}", "5".repeat(MAX_RAW_LEN));
        let caller = italy(&digits);
        assert_eq!(caller.kind(), NumberKind::Invalid);
        assert_eq!(caller.e164(), None);
        assert_eq!(caller.raw(), &digits[..MAX_RAW_LEN]);

        // 'è' is two bytes: the cut falls inside the last one and must move back.
        let accented = format!("{}è", "a".repeat(MAX_RAW_LEN - 1));
        let caller = italy(&accented);
        assert_eq!(caller.kind(), NumberKind::Invalid);
        assert_eq!(caller.raw(), "a".repeat(MAX_RAW_LEN - 1));
    }

    #[test]
    fn truncation_stays_on_char_boundaries() {
        assert_eq!(truncate_on_char_boundary("abc", 5), "abc");
        assert_eq!(truncate_on_char_boundary("abc", 2), "ab");
        assert_eq!(truncate_on_char_boundary("a€", 3), "a");
        assert_eq!(truncate_on_char_boundary("a€", 4), "a€");
        assert_eq!(truncate_on_char_boundary("€", 0), "");
    }

    #[test]
    fn debug_redacts_both_numbers_but_shows_the_kind() {
        let caller = italy("tel:055-1234567;phone-context=+39");
        let shown = format!("{caller:?}");
        assert!(!shown.contains("055"), "{shown}");
        assert!(!shown.contains("1234567"), "{shown}");
        assert!(shown.contains("E164"), "{shown}");
    }

    #[test]
    fn e164_grammar() {
        for ok in ["+1", "+39", "+390551234567", "+123456789012345"] {
            assert!(is_e164(ok), "{ok}");
        }
        for bad in [
            "",
            "+",
            "1",
            "390551234567",
            "+0",
            "+01",
            "+1234567890123456",
            "+39 055",
            "+39-055",
            "++39",
            "+39a",
            "+٣٩",
        ] {
            assert!(!is_e164(bad), "{bad:?}");
        }
    }

    #[test]
    fn phone_context_is_found_among_other_parameters() {
        assert_eq!(phone_context("phone-context=+39"), Some("+39"));
        assert_eq!(
            phone_context("ext=1;PHONE-CONTEXT=example.com"),
            Some("example.com")
        );
        assert_eq!(phone_context("ext=1;isub=2"), None);
        assert_eq!(phone_context("phone-context"), None);
        assert_eq!(phone_context(""), None);
    }

    #[test]
    fn scan_drops_separators_and_places_the_plus() {
        assert_eq!(
            scan("+39 (055) 1-2.3"),
            Some(Scanned::Global("39055123".into()))
        );
        assert_eq!(scan("055"), Some(Scanned::Local("055".into())));
        assert_eq!(scan("*31#"), Some(Scanned::ServiceCode));
        assert_eq!(scan("#"), Some(Scanned::ServiceCode));
        assert_eq!(scan("(+39) 055"), Some(Scanned::Global("39055".into())));
        assert_eq!(scan("3+9"), None);
        assert_eq!(scan("*+39"), None);
        assert_eq!(scan("+*39"), None);
        assert_eq!(scan("+"), None);
        assert_eq!(scan("-.()"), None);
        assert_eq!(scan("55x"), None);
    }

    #[test]
    fn italy_plan_passes_its_own_check() {
        assert_eq!(NumberingPlan::italy().check(), Ok(()));
    }

    #[test]
    fn bad_plans_are_refused_by_check() {
        let mut plan = NumberingPlan::italy();
        plan.country_code = "039".into();
        assert_eq!(plan.check(), Err(PlanError::CountryCode));
        plan.country_code = "3912".into();
        assert_eq!(plan.check(), Err(PlanError::CountryCode));
        plan.country_code = String::new();
        assert_eq!(plan.check(), Err(PlanError::CountryCode));

        let mut plan = NumberingPlan::italy();
        plan.international_prefix = "+".into();
        assert_eq!(plan.check(), Err(PlanError::InternationalPrefix));

        let mut plan = NumberingPlan::italy();
        plan.trunk_prefix = Some(String::new());
        assert_eq!(plan.check(), Err(PlanError::TrunkPrefix));

        let mut plan = NumberingPlan::italy();
        plan.national_ranges.push(NationalRange::new("3", 10, 9));
        assert!(matches!(plan.check(), Err(PlanError::NationalRange { .. })));

        let mut plan = NumberingPlan::italy();
        plan.national_ranges.push(NationalRange::new("0", 6, 14));
        assert!(matches!(plan.check(), Err(PlanError::NationalRange { .. })));
    }

    #[test]
    fn a_broken_plan_never_yields_a_non_e164_number() {
        let broken = NumberingPlan {
            country_code: "039".into(),
            international_prefix: String::new(),
            trunk_prefix: Some(String::new()),
            national_ranges: vec![NationalRange::new("", 0, 100)],
        };
        for input in ["0551234567", "1", "0039055", "tel:1;phone-context=+039"] {
            let caller = CallerNumber::normalise(input, &broken);
            assert_eq!(caller.kind(), NumberKind::Local, "{input}");
            assert_eq!(caller.e164(), None, "{input}");
        }
    }

    /// A plan with a trunk prefix that is dropped, as in France: `01 23 45 67 89` is
    /// `+33 1 23 45 67 89`.
    fn france() -> NumberingPlan {
        NumberingPlan {
            country_code: "33".into(),
            international_prefix: "00".into(),
            trunk_prefix: Some("0".into()),
            national_ranges: vec![NationalRange::new("", 9, 9)],
        }
    }

    #[test]
    fn a_trunk_prefix_is_dropped_where_the_plan_has_one() {
        let plan = france();
        assert_eq!(plan.check(), Ok(()));
        let cases = [
            ("01 23 45 67 89", Some("+33123456789")),
            ("06.12.34.56.78", Some("+33612345678")),
            ("0039 055 1234567", Some("+390551234567")),
            ("tel:0123456789;phone-context=+33", Some("+33123456789")),
            ("tel:23456789;phone-context=+331", Some("+33123456789")),
            ("123456789", None),
            ("3615", None),
            ("tel:0551234567;phone-context=+39", None),
        ];
        for (input, e164) in cases {
            assert_eq!(
                CallerNumber::normalise(input, &plan).e164(),
                e164,
                "{input}"
            );
        }
    }

    #[test]
    fn stored_form_round_trips() {
        for &(input, _, _) in CASES {
            let caller = italy(input);
            let stored = CallerNumberFields::from(caller.clone());
            assert_eq!(
                CallerNumber::try_from(stored),
                Ok(caller),
                "input {input:?}"
            );
        }
        let long = italy(&"x".repeat(MAX_RAW_LEN * 2));
        assert_eq!(
            CallerNumber::try_from(CallerNumberFields::from(long.clone())),
            Ok(long)
        );
    }

    #[test]
    fn kinds_have_snake_case_names() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, StrDeserializer};
        for (name, kind) in [
            ("e164", NumberKind::E164),
            ("local", NumberKind::Local),
            ("withheld", NumberKind::Withheld),
            ("invalid", NumberKind::Invalid),
        ] {
            let de: StrDeserializer<'_, Error> = name.into_deserializer();
            assert_eq!(NumberKind::deserialize(de), Ok(kind));
        }
    }

    #[test]
    fn inconsistent_stored_values_are_refused() {
        let fields = |raw: &str, e164: Option<&str>, kind| CallerNumberFields {
            raw: raw.into(),
            e164: e164.map(Into::into),
            kind,
        };
        assert_eq!(
            CallerNumber::try_from(fields("1", Some("+1"), NumberKind::Local)),
            Err(CallerNumberError::KindMismatch)
        );
        assert_eq!(
            CallerNumber::try_from(fields("1", None, NumberKind::E164)),
            Err(CallerNumberError::KindMismatch)
        );
        assert_eq!(
            CallerNumber::try_from(fields("1", Some("+0"), NumberKind::E164)),
            Err(CallerNumberError::NotE164)
        );
        assert_eq!(
            CallerNumber::try_from(fields(
                &"1".repeat(MAX_RAW_LEN + 1),
                None,
                NumberKind::Local
            )),
            Err(CallerNumberError::RawTooLong)
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Strings shaped like caller identities: separators, `+`, `*`, `#`, digits, a few
        /// letters, and sometimes a `tel:` scheme and a `phone-context`.
        fn phone_like() -> impl Strategy<Value = String> {
            (
                prop::option::of(prop_oneof![Just("tel:"), Just("TEL:")]),
                "[+]?[0-9 ().*#+a-]{0,24}",
                prop::option::of(prop_oneof![
                    "\\+[0-9-]{0,6}",
                    "[a-z.]{1,12}",
                    Just(String::new()),
                ]),
            )
                .prop_map(|(scheme, number, context)| {
                    let mut s = String::from(scheme.unwrap_or(""));
                    s.push_str(&number);
                    if let Some(context) = context {
                        s.push_str(";phone-context=");
                        s.push_str(&context);
                    }
                    s
                })
        }

        fn any_input() -> impl Strategy<Value = String> {
            prop_oneof![phone_like(), any::<String>(), "\\PC{0,200}"]
        }

        fn check_invariants(input: &str, caller: &CallerNumber) {
            assert!(caller.raw().len() <= MAX_RAW_LEN);
            assert!(input.starts_with(caller.raw()));
            assert_eq!(caller.e164().is_some(), caller.kind() == NumberKind::E164);
            if let Some(e164) = caller.e164() {
                assert!(is_e164(e164), "{e164:?} from {input:?}");
            }
        }

        proptest! {
            #[test]
            fn output_keeps_its_invariants(input in any_input()) {
                let caller = italy(&input);
                check_invariants(&input, &caller);
            }

            #[test]
            fn any_plan_keeps_the_invariants(
                input in phone_like(),
                country_code in "[0-9]{0,4}",
                international_prefix in "[0-9]{0,3}",
                trunk_prefix in prop::option::of("[0-9]{0,2}"),
                starts_with in "[0-9]{0,3}",
                min_len in 0usize..20,
                max_len in 0usize..20,
            ) {
                let plan = NumberingPlan {
                    country_code,
                    international_prefix,
                    trunk_prefix,
                    national_ranges: vec![NationalRange { starts_with, min_len, max_len }],
                };
                let caller = CallerNumber::normalise(&input, &plan);
                check_invariants(&input, &caller);
            }

            #[test]
            fn normalising_an_e164_output_again_gives_it_back(input in any_input()) {
                let plan = NumberingPlan::italy();
                if let Some(e164) = CallerNumber::normalise(&input, &plan).e164() {
                    let again = CallerNumber::normalise(e164, &plan);
                    prop_assert_eq!(again.kind(), NumberKind::E164);
                    prop_assert_eq!(again.e164(), Some(e164));
                }
            }

            #[test]
            fn visual_separators_do_not_change_the_number(
                digits in "\\+?[0-9]{1,15}",
                separators in prop::collection::vec("[-. ()]{0,2}", 16),
            ) {
                let mut spaced = String::new();
                for (i, c) in digits.chars().enumerate() {
                    if c != '+' {
                        spaced.push_str(&separators[i]);
                    }
                    spaced.push(c);
                }
                let plain = italy(&digits);
                let with_separators = italy(&spaced);
                prop_assert_eq!(plain.kind(), with_separators.kind());
                prop_assert_eq!(plain.e164(), with_separators.e164());
            }
        }
    }
}
