//! The life cycle of a service request [scheda, caso, ticket], sans IO.
//!
//! A case opens at first level from a call or an off-line message, is classified on the
//! service catalogue (entity / organisational unit / service, with the service's profile),
//! and is resolved at first level, escalated to a second-level group (assigned, or
//! transferred live with the call), rejected and reassigned, suspended, cancelled, or closed
//! as not resolvable. Everything that happens is a history entry: who, as what, when, and
//! the typed change from the old value to the new one.
//!
//! There is no clock, no database and no network here. [`Case::open`], [`Case::apply`] and
//! [`Case::attach_to`] are pure functions of the case, the command, the actor, the
//! [`Catalogue`] and the time (Unix ms) the driver read from its clock. They return the new
//! case with the history entries to store ([`Applied`]), or a [`Refusal`] that names the rule.
//!
//! ```
//! use service_request::{
//!     Actor, Case, CaseId, Catalogue, Channel, Command, Communication, ContactReason, NewCase,
//!     Outcome, Rule, State,
//! };
//!
//! let catalogue: Catalogue = toml::from_str(
//!     r#"
//!     entities = [{ code = "ministry", name = "Ministry of Examples" }]
//!     units = [{ code = "personnel", entity = "ministry", name = "Personnel services" }]
//!     groups = [
//!         { code = "personnel-info", name = "Personnel desk", level = "first" },
//!         { code = "hr-payroll", name = "Payroll office", level = "second" },
//!         { code = "rejections", name = "Rejections", level = "rejections" },
//!     ]
//!     services = [
//!         { code = "competitions", unit = "personnel", name = "Public competitions",
//!           profile = "basic", groups = ["hr-payroll"] },
//!     ]
//!     "#,
//! )
//! .expect("the catalogue is valid");
//!
//! // The driver reads its clock; this crate never does.
//! let now = 1_767_258_000_000;
//! let anna = Actor::first_level("anna");
//! let new = NewCase {
//!     id: CaseId(1),
//!     channel: Channel::Phone,
//!     queue: "personnel-info".into(),
//!     caller_number: None,
//!     customer: None,
//! };
//! let opened = Case::open(new, &anna, &catalogue, now)?;
//! let classify = Command::Classify {
//!     service: "competitions".into(),
//!     reason: ContactReason::Information,
//! };
//! let case = opened.case.apply(classify, &anna, &catalogue, now + 20_000)?.case;
//!
//! // A basic-profile service has no second level to assign to.
//! let refused = case
//!     .apply(Command::Assign { group: "hr-payroll".into() }, &anna, &catalogue, now + 40_000)
//!     .unwrap_err();
//! assert_eq!(refused.rule, Rule::BasicHasNoSecondLevel);
//!
//! let resolve = Command::ResolveFirstLevel { communication: Communication::Communicated };
//! let resolved = case.apply(resolve, &anna, &catalogue, now + 90_000)?;
//! assert_eq!(resolved.case.status.state(), State::ResolvedFirstLevel);
//! assert_eq!(resolved.closed, Some(Outcome::Success)); // time for a satisfaction survey
//! // Store `resolved.case` and append `resolved.history`; apply `resolved.child_closures`.
//! # Ok::<(), service_request::Refusal>(())
//! ```
//!
//! The states, who may do what, and the catalogue file are described for operators and
//! administrators in `docs/service-requests.md`.
#![forbid(unsafe_code)]

/// Stable snake_case names for an enum of unit variants: `as_str`, `from_name`, `ALL` and
/// `Display`. The names are stored in databases and shown in the HTTP API: never rename one.
macro_rules! named {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stable name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            /// The value of a stable name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

mod acting;
mod case;
mod catalogue;
mod command;
mod handling;
mod history;
mod ids;
mod links;
mod refusal;
mod states;
mod transitions;
mod vocab;

pub use case::{Applied, Case, ChildClosure, ChildLink, Lock, MAX_TEXT_LEN, ParentLink};
pub use catalogue::{
    Catalogue, CatalogueDescription, CatalogueError, Entity, Group, Service, Unit,
};
pub use command::{Command, CommandKind, NewCase};
pub use history::{Change, HistoryEntry, ReplayError};
pub use ids::{
    Actor, ActorId, CaseId, EntityCode, GroupCode, MAX_CODE_LEN, Role, ServiceCode, UnitCode,
    is_valid_code,
};
pub use links::Linked;
pub use refusal::{DeskName, Refusal, Rule};
pub use states::{Desk, Rejection, State, Status, Suspension};
pub use vocab::{
    CancelReason, Channel, Communication, ContactReason, GroupLevel, LinkKind, NoteKind, Outcome,
    Profile, RejectReason,
};
