//! Typed names: calls, operators, queues and not-ready reason codes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::AcdError;

/// A call, as numbered by the driver (the engine's call id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallId(pub u64);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call {}", self.0)
    }
}

/// An operator's login name (operatore).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OperatorId(pub String);

impl From<&str> for OperatorId {
    fn from(s: &str) -> Self {
        OperatorId(s.to_string())
    }
}

impl fmt::Display for OperatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "operator {}", self.0)
    }
}

/// A queue's name (gruppo di competenza), as the IVR script names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QueueId(pub String);

impl From<&str> for QueueId {
    fn from(s: &str) -> Self {
        QueueId(s.to_string())
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "queue {}", self.0)
    }
}

/// Why an operator is not ready: a short code such as `break`, `training`, `back_office` or
/// `no_answer`. At most [`ReasonCode::MAX_LEN`] bytes of `a-z`, `0-9`, `_`, `-` and `.`, so
/// that a code is safe in a log line, a journal and a wallboard cell.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReasonCode(String);

impl ReasonCode {
    pub const MAX_LEN: usize = 32;

    pub fn new(code: &str) -> Result<Self, AcdError> {
        let valid = !code.is_empty()
            && code.len() <= Self::MAX_LEN
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b));
        if valid {
            Ok(ReasonCode(code.to_string()))
        } else {
            Err(AcdError::InvalidReason {
                len: code.len(),
                max: Self::MAX_LEN,
            })
        }
    }

    /// The reason the ACD gives an operator whose phone rang unanswered.
    pub fn no_answer() -> Self {
        ReasonCode("no_answer".to_string())
    }

    /// The reason of an operator who has just logged in and is not ready yet.
    pub fn login() -> Self {
        ReasonCode("login".to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ReasonCode {
    type Error = AcdError;

    fn try_from(s: String) -> Result<Self, AcdError> {
        ReasonCode::new(&s)
    }
}

impl From<ReasonCode> for String {
    fn from(r: ReasonCode) -> String {
        r.0
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_are_short_and_plain() {
        assert!(ReasonCode::new("back_office").is_ok());
        assert!(ReasonCode::new("").is_err());
        assert!(ReasonCode::new("Break").is_err());
        assert!(ReasonCode::new("a b").is_err());
        assert!(ReasonCode::new(&"x".repeat(33)).is_err());
        assert!(ReasonCode::new(&"x".repeat(32)).is_ok());
        let parsed: Result<ReasonCode, _> = serde_json::from_str("\"Bad Code\"");
        assert!(parsed.is_err());
    }
}
