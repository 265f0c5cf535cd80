//! Where the case of a call opens and which first-level queue it follows.
//!
//! The store opens a call's case at the call's first fact, usually `CallArrived`, before the
//! IVR has routed the call. It picks the best first-level queue that the facts so far allow,
//! by [`CaseIntake::queue_for`], and moves the case there as later facts tell more, until
//! someone takes the case (see `docs/service-requests.md`, "Handling a case").

use std::sync::Arc;

use service_request::{Catalogue, CatalogueDescription, Group, GroupCode, GroupLevel};

/// The service catalogue the store routes the cases of calls by.
#[derive(Debug, Clone)]
pub struct CaseIntake {
    catalogue: Arc<Catalogue>,
    default_queue: GroupCode,
}

impl CaseIntake {
    /// The group of the built-in catalogue of a store that was given none.
    pub const BUILT_IN_QUEUE: &'static str = "intake";

    /// Routes by `catalogue`; its first first-level group (in file order) is the intake desk,
    /// where a case waits until its call reaches a queue.
    pub fn new(catalogue: Arc<Catalogue>) -> Self {
        let default_queue = catalogue
            .groups()
            .iter()
            .find(|group| group.level == GroupLevel::First)
            .map(|group| group.code.clone())
            // `Catalogue::new` refuses a catalogue without a first-level group.
            .expect("a validated catalogue has a first-level group");
        Self {
            catalogue,
            default_queue,
        }
    }

    /// The catalogue of a store that was given none: a single first-level group, `intake`,
    /// where every call's case opens and stays until someone moves it.
    pub fn built_in() -> Self {
        let description = CatalogueDescription {
            groups: vec![Group {
                code: Self::BUILT_IN_QUEUE.into(),
                name: "Intake: contacts not routed to a queue".into(),
                level: GroupLevel::First,
                unit: None,
            }],
            ..CatalogueDescription::default()
        };
        let catalogue = Catalogue::new(description)
            .expect("one first-level group with a well-formed code is a valid catalogue");
        Self::new(Arc::new(catalogue))
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The same catalogue, shared.
    pub fn shared_catalogue(&self) -> Arc<Catalogue> {
        self.catalogue.clone()
    }

    /// Where cases wait before their call reaches a queue.
    pub fn default_queue(&self) -> &GroupCode {
        &self.default_queue
    }

    /// The first-level queue for the case of a call, from what its facts said so far:
    /// 1. the ACD queue the call reached, if it is a first-level group;
    /// 2. else the default group of the area the caller chose in the IVR (`service_area`):
    ///    the first-level group of that code, or the first one of the unit of that code;
    /// 3. else the intake desk.
    pub fn queue_for(&self, reached: Option<&str>, service_area: Option<&str>) -> GroupCode {
        let first_level = |code: &str| {
            self.catalogue
                .groups()
                .iter()
                .find(|g| g.level == GroupLevel::First && g.code.as_str() == code)
        };
        if let Some(group) = reached.and_then(first_level) {
            return group.code.clone();
        }
        if let Some(area) = service_area {
            let of_unit = || {
                self.catalogue.groups().iter().find(|g| {
                    g.level == GroupLevel::First && g.unit.as_ref().is_some_and(|u| u.0 == area)
                })
            };
            if let Some(group) = first_level(area).or_else(of_unit) {
                return group.code.clone();
            }
        }
        self.default_queue.clone()
    }
}

impl Default for CaseIntake {
    fn default() -> Self {
        Self::built_in()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_request::{Entity, Unit};

    fn group(code: &str, level: GroupLevel, unit: Option<&str>) -> Group {
        Group {
            code: code.into(),
            name: code.into(),
            level,
            unit: unit.map(Into::into),
        }
    }

    fn intake() -> CaseIntake {
        let description = CatalogueDescription {
            entities: vec![Entity {
                code: "e".into(),
                name: "Entity".into(),
            }],
            units: vec![Unit {
                code: "hr".into(),
                entity: "e".into(),
                name: "Personnel".into(),
            }],
            groups: vec![
                group("front", GroupLevel::First, None),
                group("hr-info", GroupLevel::First, Some("hr")),
                group("technology", GroupLevel::First, None),
                group("payroll", GroupLevel::Second, Some("hr")),
            ],
            services: Vec::new(),
        };
        CaseIntake::new(Arc::new(Catalogue::new(description).expect("valid")))
    }

    #[test]
    fn the_queue_reached_wins_then_the_area_then_the_intake_desk() {
        let intake = intake();
        assert_eq!(intake.default_queue().as_str(), "front");
        let queue = |reached, area| intake.queue_for(reached, area).0;
        assert_eq!(queue(Some("technology"), Some("hr")), "technology");
        // A second-level group or an unknown queue is not where a call's case is worked.
        assert_eq!(queue(Some("payroll"), None), "front");
        assert_eq!(queue(Some("nowhere"), Some("technology")), "technology");
        assert_eq!(queue(None, Some("hr")), "hr-info", "the unit's first group");
        assert_eq!(queue(None, Some("2")), "front");
        assert_eq!(queue(None, None), "front");
    }

    #[test]
    fn a_store_without_a_catalogue_opens_every_case_in_intake() {
        let intake = CaseIntake::default();
        assert_eq!(intake.queue_for(Some("technology"), None).0, "intake");
        assert_eq!(
            intake
                .catalogue()
                .level_of(&CaseIntake::BUILT_IN_QUEUE.into()),
            Some(GroupLevel::First)
        );
    }
}
