//! The demo catalogue in `deploy/catalogue.toml` is valid, fits the demo IVR, and the file
//! format refuses what an administrator might get wrong.

mod common;

use std::collections::BTreeSet;

use common::{DEMO_CATALOGUE, demo_catalogue};
use service_request::{Catalogue, CatalogueDescription, GroupLevel, Profile};

/// The IVR script of the demo, whose queues are where calls (and so cases) arrive.
const DEMO_IVR: &str = include_str!("../../../ivr-scripts/toll-free.ivr");

#[test]
fn the_demo_catalogue_is_valid_and_covers_both_profiles() {
    let catalogue = demo_catalogue();
    let profiles: BTreeSet<_> = catalogue.services().iter().map(|s| s.profile).collect();
    assert_eq!(
        profiles,
        BTreeSet::from([Profile::Basic, Profile::Advanced])
    );
    assert!(catalogue.services().iter().any(|s| s.contact_back));
    assert!(catalogue.rejections_group().is_some());
    // Every service resolves to its entity / unit / service triple.
    for service in catalogue.services() {
        assert!(
            catalogue.triple(&service.code).is_some(),
            "{}",
            service.code
        );
    }
}

#[test]
fn every_queue_of_the_demo_ivr_is_a_first_level_group() {
    let catalogue = demo_catalogue();
    let queues: BTreeSet<&str> = DEMO_IVR
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(|line| {
            let words: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || c == ';')
                .filter(|w| !w.is_empty())
                .collect();
            words
                .windows(2)
                .filter(|pair| pair[0] == "queue")
                .map(|pair| pair[1])
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(queues.len() >= 3, "found {queues:?}");
    for queue in queues {
        assert_eq!(
            catalogue.level_of(&queue.into()),
            Some(GroupLevel::First),
            "IVR queue {queue}"
        );
    }
}

#[test]
fn the_catalogue_round_trips_through_toml() {
    let catalogue = demo_catalogue();
    let written = toml::to_string(&catalogue).expect("serializes");
    let read: Catalogue = toml::from_str(&written).expect("parses back");
    assert_eq!(read, catalogue);
}

#[test]
fn mistakes_in_the_file_are_refused_with_their_reason() {
    // A typo in a key.
    let typo = DEMO_CATALOGUE.replacen("contact_back = true", "contactback = true", 1);
    let error = toml::from_str::<CatalogueDescription>(&typo).expect_err("unknown key");
    assert!(error.to_string().contains("contactback"), "{error}");

    // An unknown profile.
    let profile = DEMO_CATALOGUE.replacen("profile = \"basic\"", "profile = \"premium\"", 1);
    let error = toml::from_str::<Catalogue>(&profile).expect_err("unknown profile");
    assert!(error.to_string().contains("premium"), "{error}");

    // A service of a unit that does not exist: validation names both.
    let unit = DEMO_CATALOGUE.replacen(
        "unit = \"technology\"\nname = \"Work",
        "unit = \"tech\"\nname = \"Work",
        1,
    );
    assert_ne!(unit, DEMO_CATALOGUE);
    let error = toml::from_str::<Catalogue>(&unit).expect_err("unknown unit");
    assert!(
        error
            .to_string()
            .contains("service workstation belongs to unit tech, which is not in the catalogue"),
        "{error}"
    );
}
