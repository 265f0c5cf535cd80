//! Typed identifiers: cases, people, and the codes of the service catalogue.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A service request, as numbered by the store (the `id` column of `service_requests`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseId(pub i64);

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "case {}", self.0)
    }
}

/// A string code: a catalogue code or a login. Built from any string; the catalogue checks
/// the shape of its own codes when it is loaded ([`is_valid_code`]).
macro_rules! string_code {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_code!(
    /// A person's login (operator, back-office member, supervisor), or `system`.
    ActorId
);
string_code!(
    /// An administration \[ente\], the top of the catalogue triple.
    EntityCode
);
string_code!(
    /// An organisational unit of an entity [macrostruttura organizzativa].
    UnitCode
);
string_code!(
    /// A service of a unit \[servizio\]: what a case is classified on.
    ServiceCode
);
string_code!(
    /// A group of people and its queue: a first-level queue (the ACD queue a call came
    /// through), a second-level group [gruppo di competenza], or the rejections group.
    GroupCode
);

/// Longest catalogue code, in bytes.
pub const MAX_CODE_LEN: usize = 64;

/// Catalogue codes are stored in databases and shown in URLs: 1 to 64 lowercase ASCII
/// letters, digits, `-` and `_`, starting with a letter or a digit.
pub fn is_valid_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_CODE_LEN
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_')
}

/// Who acts on a case, and as what. The role decides which cases they may work: see
/// `docs/service-requests.md`, "Who does what".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", content = "group", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// First-level operator [operatore di I livello, front end]: works open cases and the
    /// call-backs the second level asks for.
    FirstLevel,
    /// Member of a second-level group [II livello, back office]: works the cases the group
    /// holds.
    SecondLevel(GroupCode),
    /// Member of the rejections group [gruppo Gestione Rigetti]: reassigns rejected cases.
    Rejections,
    /// Supervisor [supervisore, responsabile del controllo]: may work any open case, sets
    /// the responsible, moves cases between second-level groups, breaks locks.
    Supervisor,
    /// The platform itself: opens cases from call records, closes children with their
    /// parent, records automatic satisfaction surveys.
    System,
}

impl Role {
    /// The stable name of the role (the group of a second-level member is stored apart).
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::FirstLevel => "first_level",
            Role::SecondLevel(_) => "second_level",
            Role::Rejections => "rejections",
            Role::Supervisor => "supervisor",
            Role::System => "system",
        }
    }

    /// The group of a second-level member.
    pub fn group(&self) -> Option<&GroupCode> {
        match self {
            Role::SecondLevel(group) => Some(group),
            _ => None,
        }
    }

    /// The inverse of [`Role::as_str`] and [`Role::group`]: `second_level` needs a group,
    /// every other role takes none.
    pub fn from_parts(name: &str, group: Option<GroupCode>) -> Option<Role> {
        match (name, group) {
            ("first_level", None) => Some(Role::FirstLevel),
            ("second_level", Some(group)) => Some(Role::SecondLevel(group)),
            ("rejections", None) => Some(Role::Rejections),
            ("supervisor", None) => Some(Role::Supervisor),
            ("system", None) => Some(Role::System),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::SecondLevel(group) => write!(f, "second_level of {group}"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// A person (or the system) acting in a role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    pub id: ActorId,
    pub role: Role,
}

impl Actor {
    /// The login of the platform itself.
    pub const SYSTEM_ID: &'static str = "system";

    pub fn new(id: impl Into<ActorId>, role: Role) -> Self {
        Self {
            id: id.into(),
            role,
        }
    }
    pub fn first_level(id: impl Into<ActorId>) -> Self {
        Self::new(id, Role::FirstLevel)
    }
    pub fn second_level(id: impl Into<ActorId>, group: impl Into<GroupCode>) -> Self {
        Self::new(id, Role::SecondLevel(group.into()))
    }
    pub fn rejections(id: impl Into<ActorId>) -> Self {
        Self::new(id, Role::Rejections)
    }
    pub fn supervisor(id: impl Into<ActorId>) -> Self {
        Self::new(id, Role::Supervisor)
    }
    pub fn system() -> Self {
        Self::new(Self::SYSTEM_ID, Role::System)
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.id, self.role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_lowercase_ascii_words() {
        for good in ["personnel", "it-desk", "hr_payroll", "1", "a2"] {
            assert!(is_valid_code(good), "{good}");
        }
        let long = "x".repeat(MAX_CODE_LEN + 1);
        for bad in [
            "",
            "-x",
            "_x",
            "Personnel",
            "it desk",
            "città",
            "a/b",
            long.as_str(),
        ] {
            assert!(!is_valid_code(bad), "{bad}");
        }
        assert!(is_valid_code(&"x".repeat(MAX_CODE_LEN)));
    }

    #[test]
    fn role_names_round_trip() {
        let roles = [
            Role::FirstLevel,
            Role::SecondLevel("hr-payroll".into()),
            Role::Rejections,
            Role::Supervisor,
            Role::System,
        ];
        for role in roles {
            assert_eq!(
                Role::from_parts(role.as_str(), role.group().cloned()),
                Some(role.clone())
            );
        }
        assert_eq!(Role::from_parts("second_level", None), None);
        assert_eq!(Role::from_parts("first_level", Some("g".into())), None);
        assert_eq!(Role::from_parts("boss", None), None);
    }

    #[test]
    fn actors_print_their_role() {
        assert_eq!(
            Actor::second_level("mario", "hr-payroll").to_string(),
            "mario (second_level of hr-payroll)"
        );
        assert_eq!(Actor::system().to_string(), "system (system)");
    }
}
