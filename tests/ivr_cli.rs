//! `centralino ivr`: an administrator activates an edited script, lists the versions that
//! served and restores one, from the command line. A script that does not pass the checks of
//! `check-ivr` is refused with file, line and reason and the configured one is left alone.
//! (That the running engine picks the file up is `tests/live_reload.rs`.)

use std::path::Path;
use std::process::{Command, Output};

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A deployment directory with the demo's script and prompts, for `--assets-dir`.
fn deployment() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ivr-scripts")).unwrap();
    std::fs::copy(
        repo_root().join("ivr-scripts/toll-free.ivr"),
        dir.path().join("ivr-scripts/toll-free.ivr"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("prompts")).unwrap();
    for entry in std::fs::read_dir(repo_root().join("prompts")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            dir.path().join("prompts").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    dir
}

fn ivr(deployment: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_centralino"))
        .arg("ivr")
        .arg("--config")
        .arg(repo_root().join("deploy/demo.toml"))
        .arg("--assets-dir")
        .arg(deployment)
        .arg("--data-dir")
        .arg(deployment.join("data"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the centralino binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn an_edited_script_is_activated_listed_and_an_earlier_one_restored() {
    let deploy = deployment();
    let d = deploy.path();
    let configured = d.join("ivr-scripts/toll-free.ivr");
    let v1 = std::fs::read_to_string(&configured).unwrap();

    let out = ivr(d, &["versions"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("0 versions kept in "),
        "{}",
        text(&out.stdout)
    );

    // A typo is refused with file, line and reason; the configured script is untouched.
    let typo = d.join("typo.ivr");
    std::fs::write(&typo, v1.replacen("play goodbye", "play goodby", 1)).unwrap();
    let line = v1.lines().position(|l| l.contains("play goodbye")).unwrap() + 1;
    let out = ivr(d, &["activate", typo.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:{line}: prompt `goodby` is not in",
            typo.display()
        )),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&configured).unwrap(), v1);

    // A good edit is installed over the configured script.
    let v2 = v1.replacen("timeout 5s", "timeout 7s", 1);
    let edited = d.join("edited.ivr");
    std::fs::write(&edited, &v2).unwrap();
    let out = ivr(d, &["activate", edited.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("checked and installed as"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(std::fs::read_to_string(&configured).unwrap(), v2);

    // The engine kept both versions as it served them; v1 comes back on request.
    let kept = d.join("data").join(centralino::IVR_VERSIONS_DIR);
    engine::reload::versions::keep(&kept, &v1, 1_796_000_000_000).unwrap();
    engine::reload::versions::keep(&kept, &v2, 1_796_000_600_000).unwrap();
    let out = ivr(d, &["versions"]);
    let listing = text(&out.stdout);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 3, "{listing}");
    assert!(
        lines[0].starts_with("2026-11-30T00:53:20.000Z") && !lines[0].contains("configured"),
        "{listing}"
    );
    assert!(lines[1].ends_with("(the configured script)"), "{listing}");
    let v1_id = lines[0].split_whitespace().next().unwrap();
    let out = ivr(d, &["restore", v1_id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&configured).unwrap(), v1);

    let out = ivr(d, &["restore", "1999-01-01T00:00:00.000Z"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no version 1999-01-01T00:00:00.000Z"));
}
