//! The call record, the service request opened for it, and the facts that build them.

use common::Pii;
pub use common::call::{CallOutcome, CallStage, EndReason};
use service_request::State;

/// Keys of the IVR data that classify the SR (DOMAIN.md, step 8: "service area, category,
/// request type from the IVR"). Any other key is kept only in `ivr_data`.
pub mod ivr_keys {
    pub const SERVICE_AREA: &str = "service_area";
    pub const CATEGORY: &str = "category";
    pub const REQUEST_TYPE: &str = "request_type";
}

/// The channel of a phone call.
pub const CHANNEL_PHONE: &str = "phone";

/// Limits on what a fact may carry, checked before anything is stored.
pub mod limits {
    /// Identifiers: call IDs, SIP Call-IDs, operator IDs, queue names, channels.
    pub const ID_LEN: usize = 256;
    /// Caller and dialled numbers, customer IDs.
    pub const NUMBER_LEN: usize = 128;
    pub const IVR_ENTRIES: usize = 64;
    pub const IVR_KEY_LEN: usize = 64;
    pub const IVR_VALUE_LEN: usize = 256;
}

/// A caller's number as received, and in E.164 when it could be normalised.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Caller {
    pub raw: Pii<String>,
    pub e164: Option<Pii<String>>,
}

/// The call was accepted by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Arrived {
    pub sip_call_id: String,
    pub channel: String,
    pub caller: Caller,
    pub dialled_number: String,
}

/// The call was offered to an operator (the screen pop).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Offered {
    pub channel: String,
    pub caller: Caller,
    pub dialled_number: String,
    pub customer: Option<Pii<String>>,
    /// In the order collected; see [`ivr_keys`] for the keys that classify the SR.
    pub ivr_data: Vec<(String, String)>,
    pub queue: String,
    pub waited_ms: i64,
    pub agent_id: String,
}

/// The call record [cartellino telefonico] at the end of the call: complete on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub sip_call_id: String,
    pub channel: String,
    pub caller: Caller,
    pub dialled_number: String,
    pub customer: Option<Pii<String>>,
    pub ivr_data: Vec<(String, String)>,
    pub queue: Option<String>,
    pub outcome: CallOutcome,
    pub end_reason: EndReason,
    pub stage: CallStage,
    pub started_at_unix_ms: i64,
    pub offered_at_unix_ms: Option<i64>,
    pub answered_at_unix_ms: Option<i64>,
    /// `None` if the call never reached a queue.
    pub waited_ms: Option<i64>,
    /// `None` if no operator answered.
    pub talk_ms: Option<i64>,
    /// The operator who answered.
    pub agent_id: Option<String>,
}

/// What happened to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactKind {
    Arrived(Arrived),
    Offered(Offered),
    /// An operator answered.
    Answered {
        agent_id: String,
    },
    Ended(Box<Ended>),
}

/// One fact of one call, as the engine reports it over CTI. Applying a fact opens the call's
/// record and SR if they do not exist yet; facts are idempotent, and a fact that arrives late
/// or twice never overwrites what a later one set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFact {
    /// The engine's call ID.
    pub call_id: String,
    /// When it happened (wall clock, unix ms).
    pub at_unix_ms: i64,
    pub kind: FactKind,
}

impl CallFact {
    /// Remote input never panics the store, and nothing oversized is stored: bad facts are
    /// errors that name the field.
    pub(crate) fn validate(&self) -> Result<(), crate::StoreError> {
        use crate::StoreError::InvalidInput;
        use limits::*;
        let id = |value: &str, what: &'static str| {
            if value.len() > ID_LEN {
                Err(InvalidInput(what))
            } else {
                Ok(())
            }
        };
        let number = |value: &str, what: &'static str| {
            if value.len() > NUMBER_LEN {
                Err(InvalidInput(what))
            } else {
                Ok(())
            }
        };
        let caller = |c: &Caller| {
            number(c.raw.expose(), "caller_number is longer than 128 bytes")?;
            number(
                c.e164.as_ref().map_or("", |e| e.expose()),
                "caller_number_e164 is longer than 128 bytes",
            )
        };
        let ivr = |data: &[(String, String)]| {
            if data.len() > IVR_ENTRIES {
                return Err(InvalidInput("ivr_data has more than 64 entries"));
            }
            for (k, v) in data {
                if k.len() > IVR_KEY_LEN {
                    return Err(InvalidInput("an ivr_data key is longer than 64 bytes"));
                }
                if v.len() > IVR_VALUE_LEN {
                    return Err(InvalidInput("an ivr_data value is longer than 256 bytes"));
                }
            }
            Ok(())
        };
        let millis = |ms: Option<i64>, what: &'static str| {
            if ms.is_some_and(|ms| ms < 0) {
                Err(InvalidInput(what))
            } else {
                Ok(())
            }
        };
        if self.call_id.is_empty() {
            return Err(InvalidInput("call_id is empty"));
        }
        id(&self.call_id, "call_id is longer than 256 bytes")?;
        match &self.kind {
            FactKind::Arrived(a) => {
                id(&a.sip_call_id, "sip_call_id is longer than 256 bytes")?;
                id(&a.channel, "channel is longer than 256 bytes")?;
                caller(&a.caller)?;
                number(&a.dialled_number, "dialled_number is longer than 128 bytes")?;
            }
            FactKind::Offered(o) => {
                id(&o.channel, "channel is longer than 256 bytes")?;
                caller(&o.caller)?;
                number(&o.dialled_number, "dialled_number is longer than 128 bytes")?;
                number(
                    o.customer.as_ref().map_or("", |c| c.expose()),
                    "customer_id is longer than 128 bytes",
                )?;
                ivr(&o.ivr_data)?;
                id(&o.queue, "queue is longer than 256 bytes")?;
                id(&o.agent_id, "agent_id is longer than 256 bytes")?;
                millis(Some(o.waited_ms), "waited_ms is negative")?;
            }
            FactKind::Answered { agent_id } => {
                id(agent_id, "agent_id is longer than 256 bytes")?;
            }
            FactKind::Ended(e) => {
                id(&e.sip_call_id, "sip_call_id is longer than 256 bytes")?;
                id(&e.channel, "channel is longer than 256 bytes")?;
                caller(&e.caller)?;
                number(&e.dialled_number, "dialled_number is longer than 128 bytes")?;
                number(
                    e.customer.as_ref().map_or("", |c| c.expose()),
                    "customer_id is longer than 128 bytes",
                )?;
                ivr(&e.ivr_data)?;
                id(
                    e.queue.as_deref().unwrap_or(""),
                    "queue is longer than 256 bytes",
                )?;
                id(
                    e.agent_id.as_deref().unwrap_or(""),
                    "agent_id is longer than 256 bytes",
                )?;
                millis(e.waited_ms, "waited_ms is negative")?;
                millis(e.talk_ms, "talk_ms is negative")?;
            }
        }
        Ok(())
    }
}

/// The last value given for `key`: a caller who goes back in a menu changes the answer.
pub fn ivr_value<'a>(data: &'a [(String, String)], key: &str) -> Option<&'a str> {
    data.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A service request [scheda, ticket] with its call record. `Debug` redacts the personal
/// data.
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
    /// The state of the SR's case (see [`crate::CaseStore`] for the whole case).
    pub state: State,
    pub created_at_unix_ms: i64,
    pub updated_at_unix_ms: i64,
    pub call: CallRecord,
}

/// The call record [cartellino telefonico] as stored: what the facts so far said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallRecord {
    pub sip_call_id: Option<String>,
    pub caller_number: Pii<String>,
    pub caller_number_e164: Option<Pii<String>>,
    pub dialled_number: String,
    /// The customer identified by the IVR, if any.
    pub customer: Option<Pii<String>>,
    /// Everything the IVR collected, in order.
    pub ivr_data: Vec<(String, String)>,
    pub queue: Option<String>,
    /// The operator who answered.
    pub agent_id: Option<String>,
    /// The last operator the call was offered to.
    pub offered_agent_id: Option<String>,
    pub outcome: Option<CallOutcome>,
    pub end_reason: Option<EndReason>,
    pub stage: Option<CallStage>,
    pub started_at_unix_ms: Option<i64>,
    pub offered_at_unix_ms: Option<i64>,
    pub answered_at_unix_ms: Option<i64>,
    pub ended_at_unix_ms: Option<i64>,
    pub waited_ms: Option<i64>,
    pub talk_ms: Option<i64>,
}

/// The answer to a fact: the call's SR, and whether this fact opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub request: ServiceRequest,
    /// True if this fact opened the SR; false if it existed already.
    pub created: bool,
}

/// Which SRs [`crate::ServiceRequestStore::list`] returns, newest first. Every field is a
/// condition that must hold (`None`: any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilter {
    pub call_id: Option<String>,
    pub sip_call_id: Option<String>,
    /// Matches the number as received or its E.164 form.
    pub caller_number: Option<String>,
    pub state: Option<State>,
    pub queue: Option<String>,
    pub agent_id: Option<String>,
    /// Opened at or after this instant (unix ms).
    pub created_from_unix_ms: Option<i64>,
    /// Opened before this instant (unix ms).
    pub created_until_unix_ms: Option<i64>,
    /// At most [`ListFilter::MAX_LIMIT`]; larger values are clamped.
    pub limit: u32,
    pub offset: u32,
}

impl ListFilter {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 200;
    /// Deep paging costs the database a scan; past this, narrow the filter instead.
    pub const MAX_OFFSET: u32 = 100_000;
}

impl Default for ListFilter {
    fn default() -> Self {
        Self {
            call_id: None,
            sip_call_id: None,
            caller_number: None,
            state: None,
            queue: None,
            agent_id: None,
            created_from_unix_ms: None,
            created_until_unix_ms: None,
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_ivr_answer_wins() {
        let data = vec![
            ("service_area".into(), "1".into()),
            ("choice".into(), "9".into()),
            ("service_area".into(), "2".into()),
        ];
        assert_eq!(ivr_value(&data, ivr_keys::SERVICE_AREA), Some("2"));
        assert_eq!(ivr_value(&data, ivr_keys::CATEGORY), None);
    }

    fn fact(kind: FactKind) -> CallFact {
        CallFact {
            call_id: "c".into(),
            at_unix_ms: 0,
            kind,
        }
    }

    #[test]
    fn oversized_or_negative_fields_are_refused_with_their_name() {
        assert!(
            fact(FactKind::Answered {
                agent_id: "a".into()
            })
            .validate()
            .is_ok()
        );
        let empty = CallFact {
            call_id: String::new(),
            ..fact(FactKind::Answered {
                agent_id: "a".into(),
            })
        };
        assert!(
            empty
                .validate()
                .unwrap_err()
                .to_string()
                .contains("call_id")
        );
        let long = CallFact {
            call_id: "x".repeat(limits::ID_LEN + 1),
            ..fact(FactKind::Answered {
                agent_id: "a".into(),
            })
        };
        assert!(long.validate().unwrap_err().to_string().contains("call_id"));
        let big_caller = fact(FactKind::Arrived(Arrived {
            caller: Caller {
                raw: "3".repeat(4 * 1024 * 1024).into(),
                e164: None,
            },
            ..Default::default()
        }));
        assert!(
            big_caller
                .validate()
                .unwrap_err()
                .to_string()
                .contains("caller_number")
        );
        let many = fact(FactKind::Offered(Offered {
            ivr_data: vec![("k".into(), "v".into()); limits::IVR_ENTRIES + 1],
            ..Default::default()
        }));
        assert!(
            many.validate()
                .unwrap_err()
                .to_string()
                .contains("ivr_data")
        );
        let negative = fact(FactKind::Offered(Offered {
            waited_ms: -1,
            ..Default::default()
        }));
        assert!(
            negative
                .validate()
                .unwrap_err()
                .to_string()
                .contains("waited_ms")
        );
    }
}
