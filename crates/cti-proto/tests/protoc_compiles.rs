//! The contracts compile with the standard `protoc` too, not only with protox (which builds
//! this crate): a CRM written in another language generates its code from the same files.
//! protoc resolves names more strictly than protox (an rpc named like its message type is
//! refused), so only running it proves the files portable.
//!
//! Every contract is checked, together (`crm.proto` imports `cti.proto`).

use std::path::PathBuf;
use std::process::Command;

#[test]
fn every_proto_file_compiles_with_protoc() {
    if std::env::var("CENTRALINO_SKIP_PROTOC").as_deref() == Ok("1") {
        eprintln!("skipped: protoc check (CENTRALINO_SKIP_PROTOC=1)");
        return;
    }
    let protoc = std::env::var("CENTRALINO_PROTOC").unwrap_or_else(|_| "protoc".into());
    let proto_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&proto_dir)
        .expect("proto/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "proto"))
        .collect();
    files.sort();
    for expected in ["cti.proto", "crm.proto"] {
        assert!(
            files.iter().any(|f| f.ends_with(expected)),
            "{expected} is missing from {}",
            proto_dir.display()
        );
    }
    let out = tempfile::tempdir().expect("temporary directory");
    let output = Command::new(&protoc)
        .arg("-I")
        .arg(&proto_dir)
        .arg(format!(
            "--descriptor_set_out={}",
            out.path().join("all.pb").display()
        ))
        .args(&files)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {protoc}: {e}. As root, `scripts/test-deps.sh protoc` installs it \
                 (Debian protobuf-compiler), or set CENTRALINO_SKIP_PROTOC=1 to skip"
            )
        });
    assert!(
        output.status.success(),
        "protoc refused the contracts:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
