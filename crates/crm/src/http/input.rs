//! What cases and customers share at the door: entity tags and `If-Match` (optimistic
//! concurrency on revisions, RFC 9110, 8.8.3 and 13.1.1), and the typed refusals of input
//! that is well-formed JSON but not what a route takes.

use axum::extract::FromRequestParts;
use axum::http::header::IF_MATCH;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};

use crate::CrmError;

/// The entity tag of a revision: `"7"`, a strong tag (RFC 9110, 8.8.3).
pub fn etag(revision: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\""))
        .expect("a quoted decimal number is a valid header value")
}

/// Headers with the `ETag` of `revision`.
pub(crate) fn etag_headers(revision: i64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag(revision));
    headers
}

/// A case's revision as the API shows it (revisions count history entries: they fit).
pub(crate) fn revision_i64(revision: u64) -> i64 {
    i64::try_from(revision).unwrap_or(i64::MAX)
}

/// The revision a change was decided on, from `If-Match: "<revision>"`; `None` without the
/// header. Weak tags, `*` and lists are refused: a change names exactly the revision it saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfMatch(pub Option<u64>);

impl IfMatch {
    /// The revision, or 428 for a change that must name one.
    pub fn required(self) -> Result<u64, CrmError> {
        self.0.ok_or(CrmError::PreconditionRequired)
    }
}

impl<St: Send + Sync> FromRequestParts<St> for IfMatch {
    type Rejection = CrmError;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Self, CrmError> {
        let mut values = parts.headers.get_all(IF_MATCH).iter();
        let Some(value) = values.next() else {
            return Ok(Self(None));
        };
        if values.next().is_some() {
            return Err(RequestError::IfMatch.into());
        }
        parse_if_match(value.as_bytes())
            .map(|revision| Self(Some(revision)))
            .ok_or_else(|| RequestError::IfMatch.into())
    }
}

/// `"<digits>"`, surrounded by optional whitespace.
fn parse_if_match(value: &[u8]) -> Option<u64> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let digits = value.strip_prefix('"')?.strip_suffix('"')?;
    if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A request that is well-formed JSON but not what the route takes. Messages name the
/// field and never quote a value (it may be personal data).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    #[error(
        "If-Match is the revision the change was decided on, in quotes, e.g. If-Match: \"7\" (one strong tag: not W/, not *, not a list)"
    )]
    IfMatch,
    #[error(
        "unknown command: the body is {{\"command\": name, ...its fields}}, with a name among {}",
        super::cases::COMMAND_NAMES
    )]
    UnknownCommand,
    #[error(
        "a command never names who acts: that is the logged-in user, in their role that works the case"
    )]
    NamesActor,
    #[error("{command} takes no field {field}: it is {shape}")]
    UnknownField {
        command: &'static str,
        field: FieldName,
        shape: &'static str,
    },
    #[error("the fields of {command} are missing or wrong: it is {shape}")]
    CommandFields {
        command: &'static str,
        shape: &'static str,
    },
    #[error("{field} is not a catalogue code (1 to 64 of a-z, 0-9, - and _)")]
    NotACode { field: &'static str },
    #[error("{field} names no user")]
    NoSuchUser { field: &'static str },
    #[error("parent names no case")]
    NoSuchParent,
    #[error("{field} is not valid: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
}

/// A field name from a request body, shown in an error only if it looks like a field name
/// (anything else could be a value pasted in the wrong place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldName(String);

impl FieldName {
    pub fn new(name: &str) -> Self {
        let looks_like_a_name = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        Self(if looks_like_a_name {
            format!("\"{name}\"")
        } else {
            "(a field with an unusual name)".to_owned()
        })
    }
}

impl std::fmt::Display for FieldName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_is_one_quoted_revision() {
        assert_eq!(parse_if_match(br#""7""#), Some(7));
        assert_eq!(parse_if_match(br#"  "12" "#), Some(12));
        for bad in [
            &b"7"[..],
            br#"W/"7""#,
            b"*",
            br#""7", "8""#,
            br#""""#,
            br#""-1""#,
            br#""99999999999999999999""#,
            b"\"\xff\"",
        ] {
            assert_eq!(
                parse_if_match(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(etag(7), "\"7\"");
    }

    #[test]
    fn only_names_are_quoted_back() {
        assert_eq!(FieldName::new("actor").to_string(), "\"actor\"");
        assert!(!FieldName::new("Mario Rossi").to_string().contains("Rossi"));
        assert!(!FieldName::new(&"x".repeat(65)).to_string().contains("xxx"));
    }
}
