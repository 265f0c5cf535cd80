//! The service catalogue [catalogo dei servizi]: entity / organisational unit / service, the
//! profile of each service, and the groups that work cases (seed 004, sections 3 and 3.2).
//!
//! A [`CatalogueDescription`] is what an administrator writes (`deploy/catalogue.toml`); a
//! [`Catalogue`] is a description that passed [`Catalogue::new`]: codes well formed and
//! unique, every reference resolves, every advanced service has somewhere to escalate to.
//! `Catalogue` deserializes through the same checks, so `toml::from_str::<Catalogue>` either
//! gives a usable catalogue or says what is wrong.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::{EntityCode, GroupCode, ServiceCode, UnitCode, is_valid_code};
use crate::vocab::{GroupLevel, Profile};

/// An administration \[ente\].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub code: EntityCode,
    pub name: String,
}

/// An organisational unit of an entity [macrostruttura organizzativa].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub code: UnitCode,
    pub entity: EntityCode,
    pub name: String,
}

/// A group of people with its queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// For first-level groups, the ACD queue name of the IVR script.
    pub code: GroupCode,
    pub name: String,
    pub level: GroupLevel,
    /// The unit the group belongs to, if any (the rejections group usually has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitCode>,
}

/// A service of a unit \[servizio\], with its profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub code: ServiceCode,
    pub unit: UnitCode,
    pub name: String,
    pub profile: Profile,
    /// The second level may ask the first to call the citizen back with the answer
    /// [contact back] (seed 004, section 4.2). Advanced services only.
    #[serde(default)]
    pub contact_back: bool,
    /// Second-level groups competent for the service, at least one: they take its
    /// assignments and live transfers (advanced), and are informed of its reports and of
    /// what the first level could not answer (basic). The first one is the usual target.
    pub groups: Vec<GroupCode>,
}

/// The catalogue as written by an administrator, before validation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueDescription {
    #[serde(default)]
    pub entities: Vec<Entity>,
    #[serde(default)]
    pub units: Vec<Unit>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub services: Vec<Service>,
}

/// What is wrong with a catalogue description. Each message names the offending code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    #[error(
        "{kind} code {code:?} is not 1 to 64 lowercase letters, digits, '-' or '_' starting with a letter or digit"
    )]
    InvalidCode { kind: &'static str, code: String },
    #[error("two {kind}s have the code {code}")]
    DuplicateCode { kind: &'static str, code: String },
    #[error("{kind} {code} has an empty name")]
    EmptyName { kind: &'static str, code: String },
    #[error("unit {unit} belongs to entity {entity}, which is not in the catalogue")]
    UnknownEntity { unit: UnitCode, entity: EntityCode },
    #[error("{kind} {code} belongs to unit {unit}, which is not in the catalogue")]
    UnknownUnit {
        kind: &'static str,
        code: String,
        unit: UnitCode,
    },
    #[error("service {service} lists group {group}, which is not in the catalogue")]
    UnknownGroup {
        service: ServiceCode,
        group: GroupCode,
    },
    #[error("service {service} lists group {group}, which is not a second-level group")]
    NotSecondLevel {
        service: ServiceCode,
        group: GroupCode,
    },
    #[error("service {service} lists group {group} twice")]
    GroupListedTwice {
        service: ServiceCode,
        group: GroupCode,
    },
    #[error(
        "service {service} lists no second-level group: advanced services escalate to one, basic ones inform one"
    )]
    ServiceWithoutGroup { service: ServiceCode },
    #[error(
        "service {service} allows contact back but has a basic profile: contact back needs a second level"
    )]
    ContactBackOnBasic { service: ServiceCode },
    #[error("advanced services need a rejections group to take wrong assignments")]
    MissingRejectionsGroup,
    #[error("there is one rejections group, not both {first} and {second}")]
    SeveralRejectionsGroups { first: GroupCode, second: GroupCode },
    #[error("the catalogue has no first-level group: cases open in a first-level queue")]
    NoFirstLevelGroup,
}

/// A validated catalogue. Look-ups are by code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CatalogueDescription", into = "CatalogueDescription")]
pub struct Catalogue {
    description: CatalogueDescription,
    entities: BTreeMap<EntityCode, usize>,
    units: BTreeMap<UnitCode, usize>,
    groups: BTreeMap<GroupCode, usize>,
    services: BTreeMap<ServiceCode, usize>,
    rejections: Option<usize>,
}

impl Catalogue {
    /// Checks a description; the first problem found is the error.
    pub fn new(description: CatalogueDescription) -> Result<Self, CatalogueError> {
        let entities = index("entity", &description.entities, |e| (&e.code.0, &e.name))?;
        let units = index("unit", &description.units, |u| (&u.code.0, &u.name))?;
        let groups = index("group", &description.groups, |g| (&g.code.0, &g.name))?;
        let services = index("service", &description.services, |s| (&s.code.0, &s.name))?;
        let entities: BTreeMap<EntityCode, usize> =
            entities.into_iter().map(|(c, i)| (c.into(), i)).collect();
        let units: BTreeMap<UnitCode, usize> =
            units.into_iter().map(|(c, i)| (c.into(), i)).collect();
        let groups: BTreeMap<GroupCode, usize> =
            groups.into_iter().map(|(c, i)| (c.into(), i)).collect();
        let services: BTreeMap<ServiceCode, usize> =
            services.into_iter().map(|(c, i)| (c.into(), i)).collect();

        for unit in &description.units {
            if !entities.contains_key(&unit.entity) {
                return Err(CatalogueError::UnknownEntity {
                    unit: unit.code.clone(),
                    entity: unit.entity.clone(),
                });
            }
        }
        let mut rejections: Option<usize> = None;
        for (i, group) in description.groups.iter().enumerate() {
            if let Some(unit) = &group.unit
                && !units.contains_key(unit)
            {
                return Err(CatalogueError::UnknownUnit {
                    kind: "group",
                    code: group.code.0.clone(),
                    unit: unit.clone(),
                });
            }
            if group.level == GroupLevel::Rejections {
                if let Some(first) = rejections.and_then(|r| description.groups.get(r)) {
                    return Err(CatalogueError::SeveralRejectionsGroups {
                        first: first.code.clone(),
                        second: group.code.clone(),
                    });
                }
                rejections = Some(i);
            }
        }
        if !description
            .groups
            .iter()
            .any(|g| g.level == GroupLevel::First)
        {
            return Err(CatalogueError::NoFirstLevelGroup);
        }
        for service in &description.services {
            check_service(service, &units, &groups, &description.groups)?;
        }
        if rejections.is_none()
            && description
                .services
                .iter()
                .any(|s| s.profile == Profile::Advanced)
        {
            return Err(CatalogueError::MissingRejectionsGroup);
        }
        Ok(Self {
            description,
            entities,
            units,
            groups,
            services,
            rejections,
        })
    }

    pub fn entity(&self, code: &EntityCode) -> Option<&Entity> {
        self.entities
            .get(code)
            .and_then(|i| self.description.entities.get(*i))
    }
    pub fn unit(&self, code: &UnitCode) -> Option<&Unit> {
        self.units
            .get(code)
            .and_then(|i| self.description.units.get(*i))
    }
    pub fn group(&self, code: &GroupCode) -> Option<&Group> {
        self.groups
            .get(code)
            .and_then(|i| self.description.groups.get(*i))
    }
    pub fn service(&self, code: &ServiceCode) -> Option<&Service> {
        self.services
            .get(code)
            .and_then(|i| self.description.services.get(*i))
    }
    /// The group that takes rejected cases; present whenever a service is advanced.
    pub fn rejections_group(&self) -> Option<&Group> {
        self.rejections.and_then(|i| self.description.groups.get(i))
    }
    /// The level of a group, if the group exists.
    pub fn level_of(&self, group: &GroupCode) -> Option<GroupLevel> {
        self.group(group).map(|g| g.level)
    }
    /// The entity / unit / service triple of a service.
    pub fn triple(&self, service: &ServiceCode) -> Option<(&Entity, &Unit, &Service)> {
        let service = self.service(service)?;
        let unit = self.unit(&service.unit)?;
        let entity = self.entity(&unit.entity)?;
        Some((entity, unit, service))
    }
    pub fn entities(&self) -> &[Entity] {
        &self.description.entities
    }
    pub fn units(&self) -> &[Unit] {
        &self.description.units
    }
    pub fn groups(&self) -> &[Group] {
        &self.description.groups
    }
    pub fn services(&self) -> &[Service] {
        &self.description.services
    }
    pub fn description(&self) -> &CatalogueDescription {
        &self.description
    }
}

impl TryFrom<CatalogueDescription> for Catalogue {
    type Error = CatalogueError;
    fn try_from(description: CatalogueDescription) -> Result<Self, Self::Error> {
        Catalogue::new(description)
    }
}

impl From<Catalogue> for CatalogueDescription {
    fn from(catalogue: Catalogue) -> Self {
        catalogue.description
    }
}

impl Service {
    /// Whether `group` is one of the service's second-level groups.
    pub fn is_served_by(&self, group: &GroupCode) -> bool {
        self.groups.contains(group)
    }
}

/// Codes well formed and unique, names not blank; the index of each code.
fn index<'a, T>(
    kind: &'static str,
    items: &'a [T],
    code_and_name: impl Fn(&'a T) -> (&'a String, &'a String),
) -> Result<BTreeMap<String, usize>, CatalogueError> {
    let mut seen = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let (code, name) = code_and_name(item);
        if !is_valid_code(code) {
            return Err(CatalogueError::InvalidCode {
                kind,
                code: code.clone(),
            });
        }
        if name.trim().is_empty() {
            return Err(CatalogueError::EmptyName {
                kind,
                code: code.clone(),
            });
        }
        if seen.insert(code.clone(), i).is_some() {
            return Err(CatalogueError::DuplicateCode {
                kind,
                code: code.clone(),
            });
        }
    }
    Ok(seen)
}

fn check_service(
    service: &Service,
    units: &BTreeMap<UnitCode, usize>,
    group_index: &BTreeMap<GroupCode, usize>,
    groups: &[Group],
) -> Result<(), CatalogueError> {
    if !units.contains_key(&service.unit) {
        return Err(CatalogueError::UnknownUnit {
            kind: "service",
            code: service.code.0.clone(),
            unit: service.unit.clone(),
        });
    }
    let mut listed = BTreeSet::new();
    for code in &service.groups {
        let group = group_index
            .get(code)
            .and_then(|i| groups.get(*i))
            .ok_or_else(|| CatalogueError::UnknownGroup {
                service: service.code.clone(),
                group: code.clone(),
            })?;
        if group.level != GroupLevel::Second {
            return Err(CatalogueError::NotSecondLevel {
                service: service.code.clone(),
                group: code.clone(),
            });
        }
        if !listed.insert(code) {
            return Err(CatalogueError::GroupListedTwice {
                service: service.code.clone(),
                group: code.clone(),
            });
        }
    }
    if service.groups.is_empty() {
        return Err(CatalogueError::ServiceWithoutGroup {
            service: service.code.clone(),
        });
    }
    if service.profile == Profile::Basic && service.contact_back {
        return Err(CatalogueError::ContactBackOnBasic {
            service: service.code.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(code: &str, level: GroupLevel) -> Group {
        Group {
            code: code.into(),
            name: format!("{code} group"),
            level,
            unit: None,
        }
    }

    fn service(code: &str, profile: Profile, groups: &[&str]) -> Service {
        Service {
            code: code.into(),
            unit: "it".into(),
            name: format!("{code} service"),
            profile,
            contact_back: false,
            groups: groups.iter().map(|g| GroupCode::from(*g)).collect(),
        }
    }

    fn small() -> CatalogueDescription {
        CatalogueDescription {
            entities: vec![Entity {
                code: "ministry".into(),
                name: "A ministry".into(),
            }],
            units: vec![Unit {
                code: "it".into(),
                entity: "ministry".into(),
                name: "Technology".into(),
            }],
            groups: vec![
                group("technology", GroupLevel::First),
                group("it-desktop", GroupLevel::Second),
                group("rejections", GroupLevel::Rejections),
            ],
            services: vec![
                service("workstation", Profile::Advanced, &["it-desktop"]),
                service("howto", Profile::Basic, &["it-desktop"]),
            ],
        }
    }

    #[test]
    fn a_sound_description_validates_and_looks_up() {
        let catalogue = Catalogue::new(small()).expect("valid");
        let (entity, unit, service) = catalogue.triple(&"workstation".into()).expect("triple");
        assert_eq!(
            (entity.code.as_str(), unit.code.as_str(), service.profile),
            ("ministry", "it", Profile::Advanced)
        );
        assert!(service.is_served_by(&"it-desktop".into()));
        assert_eq!(
            catalogue.rejections_group().map(|g| g.code.as_str()),
            Some("rejections")
        );
        assert_eq!(
            catalogue.level_of(&"technology".into()),
            Some(GroupLevel::First)
        );
        assert!(catalogue.service(&"nope".into()).is_none());
    }

    #[test]
    fn every_broken_reference_is_named() {
        type Breakage = Box<dyn Fn(&mut CatalogueDescription)>;
        let cases: Vec<(Breakage, &str)> = vec![
            (
                Box::new(|d| d.services[1].code = "Howto".into()),
                "service code \"Howto\" is not",
            ),
            (
                Box::new(|d| d.services[1].code = "workstation".into()),
                "two services have the code workstation",
            ),
            (
                Box::new(|d| d.units[0].name = "  ".into()),
                "unit it has an empty name",
            ),
            (
                Box::new(|d| d.units[0].entity = "region".into()),
                "unit it belongs to entity region",
            ),
            (
                Box::new(|d| d.services[0].unit = "hr".into()),
                "service workstation belongs to unit hr",
            ),
            (
                Box::new(|d| d.groups[1].unit = Some("hr".into())),
                "group it-desktop belongs to unit hr",
            ),
            (
                Box::new(|d| d.services[0].groups = vec!["it-network".into()]),
                "lists group it-network, which is not in the catalogue",
            ),
            (
                Box::new(|d| d.services[0].groups = vec!["technology".into()]),
                "not a second-level group",
            ),
            (
                Box::new(|d| d.services[0].groups.push("it-desktop".into())),
                "lists group it-desktop twice",
            ),
            (
                Box::new(|d| d.services[0].groups.clear()),
                "service workstation lists no second-level group",
            ),
            (
                Box::new(|d| d.services[1].contact_back = true),
                "service howto allows contact back but has a basic profile",
            ),
            (
                Box::new(|d| {
                    d.groups.retain(|g| g.level != GroupLevel::Rejections);
                }),
                "advanced services need a rejections group",
            ),
            (
                Box::new(|d| d.groups.push(group("rejections-2", GroupLevel::Rejections))),
                "not both rejections and rejections-2",
            ),
            (
                Box::new(|d| d.groups.retain(|g| g.level != GroupLevel::First)),
                "no first-level group",
            ),
        ];
        for (breakage, expected) in cases {
            let mut description = small();
            breakage(&mut description);
            let error = Catalogue::new(description).expect_err(expected);
            let message = error.to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
            assert!(message.starts_with(|c: char| c.is_lowercase()), "{message}");
            assert!(!message.ends_with('.'));
        }
    }

    #[test]
    fn a_basic_only_catalogue_needs_no_rejections_group() {
        let mut description = small();
        description.services.retain(|s| s.profile == Profile::Basic);
        description
            .groups
            .retain(|g| g.level != GroupLevel::Rejections);
        assert!(Catalogue::new(description).is_ok());
    }
}
