//! The crate stays a pure core: no runtime, no database, no network among its dependencies,
//! nor among those of the workspace crates it uses.

use std::collections::BTreeSet;

fn dependencies(manifest: &str) -> BTreeSet<String> {
    let manifest: toml::Table = toml::from_str(manifest).expect("a manifest");
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn only_serde_thiserror_and_common() {
    let ours = dependencies(include_str!("../Cargo.toml"));
    let allowed: BTreeSet<String> = ["common", "serde", "thiserror"].map(String::from).into();
    assert!(ours.is_subset(&allowed), "{ours:?}");
    let common = dependencies(include_str!("../../common/Cargo.toml"));
    for forbidden in ["tokio", "sqlx", "tonic", "axum", "futures"] {
        assert!(!common.contains(forbidden), "common depends on {forbidden}");
    }
}
