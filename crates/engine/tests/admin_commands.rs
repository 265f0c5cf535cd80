//! The live-reload watcher serving administrators' commands on real files (a copy of the
//! shipped script and prompts): uploads are converted and installed, a prompt in use is not
//! deleted, a broken script is refused with its lines and changes nothing, a valid one is
//! written and activated, a kept version restored, and a script the core refuses leaves the
//! file as it was. The call-control core is a stub here that accepts, then refuses, scripts.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use call_control::{ScriptActivated, ScriptRefused};
use cti_proto::v1::{self as proto, admin_command::Action};
use engine::reload::{Status, Watched, admin};
use tokio::sync::{mpsc, oneshot, watch};

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// A 16 kHz mono 16-bit WAV of a tone, as a recorder writes one.
fn wav_16k(seconds: f64) -> Vec<u8> {
    let n = (seconds * 16_000.0) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + n * 2).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&32_000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(n * 2).to_le_bytes());
    for i in 0..n {
        let x = (2.0 * std::f64::consts::PI * 440.0 * f64::from(i) / 16_000.0).sin();
        out.extend_from_slice(&((x * 8000.0) as i16).to_le_bytes());
    }
    out
}

struct Rig {
    admin: mpsc::Sender<admin::Request>,
    paths: Watched,
    activated: Arc<Mutex<usize>>,
    _dir: tempfile::TempDir,
    _stop: watch::Sender<bool>,
}

impl Rig {
    /// The watcher over a copy of the shipped files; the stub core accepts `accepted` scripts,
    /// then refuses.
    async fn start(accepted: usize) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let paths = Watched {
            script: dir.path().join("toll-free.ivr"),
            prompts: dir.path().join("prompts"),
            versions: dir.path().join("versions"),
        };
        std::fs::copy(repo().join("ivr-scripts/toll-free.ivr"), &paths.script).unwrap();
        std::fs::create_dir(&paths.prompts).unwrap();
        for entry in std::fs::read_dir(repo().join("prompts")).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, paths.prompts.join(path.file_name().unwrap())).unwrap();
        }
        let text = std::fs::read_to_string(&paths.script).unwrap();
        let script = engine::reload::validate(&paths.script, &text, &paths.prompts).unwrap();
        let library = prompts::PromptLibrary::load_dir(&paths.prompts).unwrap();
        let (activations, mut core) = mpsc::channel::<engine::reload::Activation>(4);
        let activated = Arc::new(Mutex::new(0));
        let count = activated.clone();
        tokio::spawn(async move {
            while let Some((_, answer)) = core.recv().await {
                let mut n = count.lock().unwrap();
                let _ = answer.send(if *n < accepted {
                    *n += 1;
                    Ok(ScriptActivated {
                        file: "toll-free.ivr".into(),
                        calls_on_earlier_versions: 0,
                    })
                } else {
                    Err(ScriptRefused::UnknownQueue {
                        file: "toll-free.ivr".into(),
                        queue: "nowhere".into(),
                        known: "technology".into(),
                    })
                });
            }
        });
        let (admin, requests) = mpsc::channel(4);
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(engine::reload::watch(
            paths.clone(),
            Arc::new(Mutex::new(library)),
            Arc::new(script),
            text,
            engine::reload::Links {
                activations,
                status: watch::channel(Status::default()).0,
                admin: requests,
                stop: stopped,
            },
        ));
        Rig {
            admin,
            paths,
            activated,
            _dir: dir,
            _stop: stop,
        }
    }

    async fn ask(&self, action: Action) -> admin::Answer {
        let (reply, answer) = oneshot::channel();
        self.admin.send((action, reply)).await.unwrap();
        tokio::time::timeout(Duration::from_secs(30), answer)
            .await
            .expect("answered")
            .expect("the watcher runs")
    }

    async fn prompts(&self) -> Vec<proto::PromptInfo> {
        self.ask(Action::ListPrompts(proto::Empty {}))
            .await
            .unwrap()
            .prompts
    }
}

#[tokio::test]
async fn prompts_are_uploaded_listed_fetched_and_deleted_unless_in_use() {
    let rig = Rig::start(1).await;
    let listed = rig.prompts().await;
    let welcome = listed.iter().find(|p| p.name == "welcome").unwrap();
    assert!(welcome.in_use && welcome.duration_ms > 0, "{welcome:?}");
    let original = std::fs::read(rig.paths.prompts.join("welcome.wav")).unwrap();

    // A 16 kHz upload becomes an 8 kHz prompt nobody plays yet.
    let done = rig
        .ask(Action::PutPrompt(proto::PutPrompt {
            name: "extra".into(),
            audio: wav_16k(1.0),
        }))
        .await
        .unwrap();
    assert!(
        done.summary.starts_with("extra added: wav, 16000 Hz mono"),
        "{}",
        done.summary
    );
    let extra = rig
        .prompts()
        .await
        .into_iter()
        .find(|p| p.name == "extra")
        .unwrap();
    assert!(!extra.in_use);
    assert_eq!(extra.duration_ms, 1000);
    let fetched = rig
        .ask(Action::FetchPrompt("extra".into()))
        .await
        .unwrap()
        .data;
    let prompt = prompts::Prompt::from_wav_bytes("extra", &fetched).unwrap();
    assert_eq!(prompt.samples.len(), 8000);

    // Not audio: refused with why, the welcome untouched.
    let refused = rig
        .ask(Action::PutPrompt(proto::PutPrompt {
            name: "welcome".into(),
            audio: b"hello, this is text".repeat(20),
        }))
        .await
        .unwrap_err();
    assert!(
        refused.reason.contains("not an audio file"),
        "{}",
        refused.reason
    );
    assert!(
        refused.reason.contains("the previous version"),
        "{}",
        refused.reason
    );
    assert_eq!(
        std::fs::read(rig.paths.prompts.join("welcome.wav")).unwrap(),
        original
    );

    // The welcome is played by the script, at the line that says so.
    let line = std::fs::read_to_string(&rig.paths.script)
        .unwrap()
        .lines()
        .position(|l| l.trim() == "play welcome")
        .unwrap()
        + 1;
    let refused = rig
        .ask(Action::DeletePrompt("welcome".into()))
        .await
        .unwrap_err();
    assert!(
        refused
            .reason
            .contains(&format!("{}:{line}", rig.paths.script.display())),
        "{}",
        refused.reason
    );
    assert!(rig.paths.prompts.join("welcome.wav").exists());
    // Hold music is the engine's own.
    let refused = rig
        .ask(Action::DeletePrompt("hold_music".into()))
        .await
        .unwrap_err();
    assert!(refused.reason.contains("in use"), "{}", refused.reason);

    rig.ask(Action::DeletePrompt("extra".into())).await.unwrap();
    assert!(!rig.paths.prompts.join("extra.wav").exists());
    let gone = rig
        .ask(Action::DeletePrompt("extra".into()))
        .await
        .unwrap_err();
    assert_eq!(gone.reason, "there is no prompt extra");
    let bad = rig
        .ask(Action::FetchPrompt("../secret".into()))
        .await
        .unwrap_err();
    assert!(!bad.reason.is_empty());

    // Backup and restore round-trip.
    let archive = rig
        .ask(Action::BackupPrompts(proto::Empty {}))
        .await
        .unwrap()
        .data;
    let done = rig.ask(Action::RestorePrompts(archive)).await.unwrap();
    assert!(done.summary.contains("welcome"), "{}", done.summary);
    let refused = rig
        .ask(Action::RestorePrompts(vec![0x55; 2048]))
        .await
        .unwrap_err();
    assert!(
        refused.reason.contains("no prompt changed"),
        "{}",
        refused.reason
    );
}

#[tokio::test]
async fn scripts_are_checked_activated_restored_and_a_refusal_changes_nothing() {
    let rig = Rig::start(2).await;
    let original = std::fs::read_to_string(&rig.paths.script).unwrap();
    let got = rig.ask(Action::GetScript(proto::Empty {})).await.unwrap();
    assert_eq!(got.script, original);
    assert_eq!(got.script_file, rig.paths.script.display().to_string());

    // A typo: every problem with its line; the file and the running script unchanged.
    let line = original
        .lines()
        .position(|l| l.trim() == "play welcome")
        .unwrap()
        + 1;
    let broken = original.replacen("play welcome", "play welcom", 1);
    for action in [
        Action::CheckScript(broken.clone()),
        Action::ActivateScript(broken.clone()),
    ] {
        let refused = rig.ask(action).await.unwrap_err();
        assert!(
            refused.reason.contains("keeps serving"),
            "{}",
            refused.reason
        );
        assert!(
            refused
                .answer
                .problems
                .iter()
                .any(|p| p.line as usize == line && p.text.contains("prompt `welcom` is not in")),
            "{:?}",
            refused.answer.problems
        );
    }
    assert_eq!(
        std::fs::read_to_string(&rig.paths.script).unwrap(),
        original
    );
    assert_eq!(*rig.activated.lock().unwrap(), 0);

    // A valid edit: checked, written, activated, kept.
    let edited = original.replacen("  play welcome\n", "  play welcome\n  set v = 2\n", 1);
    rig.ask(Action::CheckScript(edited.clone())).await.unwrap();
    rig.ask(Action::ActivateScript(edited.clone()))
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&rig.paths.script).unwrap(), edited);
    assert_eq!(*rig.activated.lock().unwrap(), 1);
    let versions = rig
        .ask(Action::ListVersions(proto::Empty {}))
        .await
        .unwrap()
        .versions;
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(versions[0].active && !versions[1].active, "newest first");

    // The first version back.
    rig.ask(Action::RestoreVersion(versions[1].id.clone()))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&rig.paths.script).unwrap(),
        original
    );
    let unknown = rig
        .ask(Action::RestoreVersion("1999-01-01T00:00:00.000Z".into()))
        .await
        .unwrap_err();
    assert!(
        unknown.reason.contains("no kept version"),
        "{}",
        unknown.reason
    );

    // The core refuses the next one: the file gets back what it held.
    let refused = rig
        .ask(Action::ActivateScript(edited.clone()))
        .await
        .unwrap_err();
    assert!(
        refused.reason.contains("queue `nowhere`"),
        "{}",
        refused.reason
    );
    assert_eq!(
        std::fs::read_to_string(&rig.paths.script).unwrap(),
        original
    );
}
