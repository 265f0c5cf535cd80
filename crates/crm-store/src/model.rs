//! The service request and what opens it.

use common::Pii;
use serde::{Deserialize, Serialize};

/// Keys of [`NewServiceRequest::ivr_data`] that classify the SR (DOMAIN.md, step 8: "service
/// area, category, request type from the IVR"). Any other key is kept only in `ivr_data`.
pub mod ivr_keys {
    pub const SERVICE_AREA: &str = "service_area";
    pub const CATEGORY: &str = "category";
    pub const REQUEST_TYPE: &str = "request_type";
}

/// The channel of a phone call.
pub const CHANNEL_PHONE: &str = "phone";

/// Where a service request stands in its life cycle (DOMAIN.md, "Service request life cycle").
///
/// Only [`SrState::Open`] is set today; the others name the first- and second-level outcomes
/// that the operator's work will set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SrState {
    /// Opened from a call; nobody has closed or escalated it yet.
    Open,
    /// Resolved at first level [risolto al I livello].
    ResolvedFirstLevel,
    /// Resolved at second level, possibly via contact back [risolto al II livello].
    ResolvedSecondLevel,
    /// Assigned to a second-level group, not live [assegnato].
    Assigned,
    /// Transferred live to the second level, call and SR together [trasferito].
    Transferred,
    /// Assigned to the second level for information only [assegnato-risolto].
    AssignedResolved,
    /// Cancelled [annullato].
    Cancelled,
    /// Not resolvable for lack of information [non risolvibile per mancanza di informazioni].
    NotResolvable,
    /// Rejected by the second level as wrongly assigned [respinto].
    Rejected,
    /// Suspended at second level [sospeso].
    Suspended,
}

impl SrState {
    pub const ALL: [SrState; 10] = [
        SrState::Open,
        SrState::ResolvedFirstLevel,
        SrState::ResolvedSecondLevel,
        SrState::Assigned,
        SrState::Transferred,
        SrState::AssignedResolved,
        SrState::Cancelled,
        SrState::NotResolvable,
        SrState::Rejected,
        SrState::Suspended,
    ];

    /// The name stored in the database and shown in the HTTP API.
    pub fn as_str(self) -> &'static str {
        match self {
            SrState::Open => "open",
            SrState::ResolvedFirstLevel => "resolved_first_level",
            SrState::ResolvedSecondLevel => "resolved_second_level",
            SrState::Assigned => "assigned",
            SrState::Transferred => "transferred",
            SrState::AssignedResolved => "assigned_resolved",
            SrState::Cancelled => "cancelled",
            SrState::NotResolvable => "not_resolvable",
            SrState::Rejected => "rejected",
            SrState::Suspended => "suspended",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == name)
    }
}

/// How a call ended, from the call record [cartellino telefonico].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallOutcome {
    Answered,
    AbandonedInQueue,
    AbandonedInIvr,
    ReleasedByIvr,
    Cancelled,
    Failed,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 6] = [
        CallOutcome::Answered,
        CallOutcome::AbandonedInQueue,
        CallOutcome::AbandonedInIvr,
        CallOutcome::ReleasedByIvr,
        CallOutcome::Cancelled,
        CallOutcome::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Answered => "answered",
            CallOutcome::AbandonedInQueue => "abandoned_in_queue",
            CallOutcome::AbandonedInIvr => "abandoned_in_ivr",
            CallOutcome::ReleasedByIvr => "released_by_ivr",
            CallOutcome::Cancelled => "cancelled",
            CallOutcome::Failed => "failed",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == name)
    }
}

/// A service request [scheda, ticket]. `Debug` redacts the personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRequest {
    pub id: i64,
    /// The number the caller is given to quote later: `SR-<year>-<sequence>`.
    pub number: String,
    /// The engine's call ID; at most one SR per call.
    pub call_id: String,
    pub channel: String,
    pub service_area: Option<String>,
    pub category: Option<String>,
    pub request_type: Option<String>,
    pub caller_number: Pii<String>,
    pub dialled_number: String,
    /// The customer identified by the IVR, if any.
    pub customer: Option<Pii<String>>,
    /// Everything the IVR collected, in order.
    pub ivr_data: Vec<(String, String)>,
    pub queue: Option<String>,
    pub agent_id: Option<String>,
    /// Set when the call record arrives.
    pub call_outcome: Option<CallOutcome>,
    pub call_started_at_unix_ms: Option<i64>,
    pub call_answered_at_unix_ms: Option<i64>,
    pub call_ended_at_unix_ms: Option<i64>,
    pub waited_ms: Option<i64>,
    pub talk_ms: Option<i64>,
    pub state: SrState,
    pub created_at_unix_ms: i64,
    pub updated_at_unix_ms: i64,
}

/// What the CTI knows about a call when it asks for its SR: at the screen pop, or in the call
/// record of a call that was never offered. `Debug` redacts the personal data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewServiceRequest {
    pub call_id: String,
    /// Empty means [`CHANNEL_PHONE`].
    pub channel: String,
    pub caller_number: Pii<String>,
    pub dialled_number: String,
    pub customer: Option<Pii<String>>,
    /// In the order collected; see [`ivr_keys`] for the keys that classify the SR.
    pub ivr_data: Vec<(String, String)>,
    pub queue: Option<String>,
    pub agent_id: Option<String>,
    pub waited_ms: Option<i64>,
}

impl NewServiceRequest {
    /// Longest accepted call ID, in bytes.
    pub const MAX_CALL_ID_LEN: usize = 256;
    /// Most IVR answers kept for one call.
    pub const MAX_IVR_DATA: usize = 256;

    /// The last value given for `key`: a caller who goes back in a menu changes the answer.
    pub fn ivr_value(&self, key: &str) -> Option<&str> {
        self.ivr_data
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn channel_or_default(&self) -> &str {
        if self.channel.is_empty() {
            CHANNEL_PHONE
        } else {
            &self.channel
        }
    }

    /// Remote input never panics the store: bad requests are errors.
    pub(crate) fn validate(&self) -> Result<(), crate::StoreError> {
        use crate::StoreError::InvalidInput;
        if self.call_id.is_empty() {
            return Err(InvalidInput("call id is empty"));
        }
        if self.call_id.len() > Self::MAX_CALL_ID_LEN {
            return Err(InvalidInput("call id is too long"));
        }
        if self.ivr_data.len() > Self::MAX_IVR_DATA {
            return Err(InvalidInput("too many ivr data entries"));
        }
        if self.waited_ms.is_some_and(|ms| ms < 0) {
            return Err(InvalidInput("negative waited time"));
        }
        Ok(())
    }
}

/// The call record [cartellino telefonico] sent at the end of every call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// The call as known at its end; opens the SR if the call was never offered.
    pub call: NewServiceRequest,
    pub outcome: CallOutcome,
    pub started_at_unix_ms: i64,
    pub answered_at_unix_ms: Option<i64>,
    pub ended_at_unix_ms: i64,
    pub talk_ms: i64,
}

impl CallRecord {
    pub(crate) fn validate(&self) -> Result<(), crate::StoreError> {
        self.call.validate()?;
        if self.talk_ms < 0 {
            return Err(crate::StoreError::InvalidInput("negative talk time"));
        }
        Ok(())
    }
}

/// The answer to opening an SR for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub request: ServiceRequest,
    /// True if this call opened the SR; false if it existed already.
    pub created: bool,
}

/// Which SRs [`crate::ServiceRequestStore::list`] returns, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilter {
    pub call_id: Option<String>,
    pub state: Option<SrState>,
    /// At most [`ListFilter::MAX_LIMIT`]; larger values are clamped.
    pub limit: u32,
    pub offset: u32,
}

impl ListFilter {
    pub const DEFAULT_LIMIT: u32 = 100;
    pub const MAX_LIMIT: u32 = 1000;
}

impl Default for ListFilter {
    fn default() -> Self {
        Self {
            call_id: None,
            state: None,
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_round_trip() {
        for state in SrState::ALL {
            assert_eq!(SrState::from_name(state.as_str()), Some(state));
        }
        assert_eq!(SrState::from_name("bogus"), None);
    }

    #[test]
    fn outcome_names_round_trip() {
        for outcome in CallOutcome::ALL {
            assert_eq!(CallOutcome::from_name(outcome.as_str()), Some(outcome));
        }
    }

    #[test]
    fn the_last_ivr_answer_wins() {
        let request = NewServiceRequest {
            ivr_data: vec![
                ("service_area".into(), "1".into()),
                ("choice".into(), "9".into()),
                ("service_area".into(), "2".into()),
            ],
            ..Default::default()
        };
        assert_eq!(request.ivr_value(ivr_keys::SERVICE_AREA), Some("2"));
        assert_eq!(request.ivr_value(ivr_keys::CATEGORY), None);
    }

    #[test]
    fn bad_input_is_an_error() {
        let empty = NewServiceRequest::default();
        assert!(empty.validate().is_err());
        let long = NewServiceRequest {
            call_id: "x".repeat(NewServiceRequest::MAX_CALL_ID_LEN + 1),
            ..Default::default()
        };
        assert!(long.validate().is_err());
        let ok = NewServiceRequest {
            call_id: "c".into(),
            ..Default::default()
        };
        assert!(ok.validate().is_ok());
    }
}
