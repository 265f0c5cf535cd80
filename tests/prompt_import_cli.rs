//! Story: an administrator replaces a prompt with a recording in the format they have, lists
//! the prompts, and checks a script before deploying it, with the real `centralino` binary.
//! A recording that is not audio is refused with the reason and the old prompt stays; a script
//! that plays a prompt that is not there is refused by `check-ivr` with file and line, not at
//! the engine's next start.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn centralino(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_centralino"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .output()
        .expect("the centralino binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A copy of the shipped prompts, to change without touching the repository's.
fn prompts_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo_root().join("prompts")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

/// What a recorder or an editor writes: 44.1 kHz stereo 16-bit, a 1 kHz tone.
fn studio_wav(path: &Path, seconds: f64) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(seconds * 44_100.0) as usize {
        let x = (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 44_100.0).sin();
        let sample = (x * 12_000.0) as i16;
        writer.write_sample(sample).unwrap();
        writer.write_sample(sample).unwrap();
    }
    writer.finalize().unwrap();
}

#[test]
fn an_administrator_imports_a_recording_and_the_engine_can_load_it() {
    let prompts = prompts_copy();
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("benvenuto 2027.wav");
    studio_wav(&recording, 1.5);
    let dir = prompts.path().to_str().unwrap();

    let output = centralino(
        &[
            "prompts",
            "import",
            recording.to_str().unwrap(),
            "--name",
            "welcome",
            "--prompts",
            dir,
        ],
        work.path(),
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.starts_with("welcome: ")
            && stdout.contains("(wav/pcm_s16le, 44100 Hz stereo 16-bit, 1.50 s)")
            && stdout.contains(
                "(8000 Hz mono 16-bit, 1.50 s, peak -8.7 dBFS), replacing the previous version"
            ),
        "{stdout}"
    );
    assert!(!stdout.contains("warning"), "{stdout}");

    // The file is what the engine loads, and nothing else was left in the directory.
    let library = prompts::PromptLibrary::load_dir(prompts.path()).unwrap();
    let welcome = library.get("welcome").unwrap();
    assert_eq!(welcome.samples.len(), 12_000);
    assert_eq!(library.len(), shipped_prompts());
    assert_eq!(
        std::fs::read_dir(prompts.path()).unwrap().count(),
        shipped_prompts()
    );

    // A new prompt needs a name a script can play.
    let output = centralino(
        &[
            "prompts",
            "import",
            recording.to_str().unwrap(),
            "--name",
            "../welcome",
            "--prompts",
            dir,
        ],
        work.path(),
    );
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("\"../welcome\" is not a valid prompt name"));

    let output = centralino(&["prompts", "list", "--prompts", dir], work.path());
    let listing = text(&output.stdout);
    assert!(output.status.success(), "{listing}");
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("welcome ") && l.ends_with("1.50 s")),
        "{listing}"
    );
    assert!(
        listing.ends_with(&format!("{} prompt files in {dir}\n", shipped_prompts())),
        "{listing}"
    );
}

#[test]
fn a_file_that_is_not_audio_is_refused_and_the_old_prompt_keeps_playing() {
    let prompts = prompts_copy();
    let before = std::fs::read(prompts.path().join("goodbye.wav")).unwrap();
    let work = tempfile::tempdir().unwrap();
    let upload = work.path().join("goodbye.wav");
    std::fs::write(&upload, "Arrivederci e grazie per aver chiamato\n").unwrap();

    let output = centralino(
        &[
            "prompts",
            "import",
            upload.to_str().unwrap(),
            "--name",
            "goodbye",
            "--prompts",
            prompts.path().to_str().unwrap(),
        ],
        work.path(),
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "centralino: {}: not imported: not an audio file we can read (no wav, mp3, ogg or flac header found): use wav, mp3, ogg vorbis or flac",
            upload.display()
        )
    );
    assert_eq!(
        std::fs::read(prompts.path().join("goodbye.wav")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read_dir(prompts.path()).unwrap().count(),
        shipped_prompts()
    );
}

#[test]
fn check_ivr_refuses_a_script_that_plays_a_missing_prompt_with_file_and_line() {
    let work = tempfile::tempdir().unwrap();
    let script = work.path().join("typo.ivr");
    let shipped = std::fs::read_to_string(repo_root().join("ivr-scripts/toll-free.ivr")).unwrap();
    let line = shipped
        .lines()
        .position(|l| l.trim() == "play welcome")
        .expect("the shipped script plays welcome")
        + 1;
    std::fs::write(&script, shipped.replace("play welcome", "play welcom")).unwrap();

    // The prompts directory of the configuration, found as `centralino run` finds it.
    let output = centralino(&["check-ivr", script.to_str().unwrap()], &repo_root());
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "centralino: {}:{line}: prompt `welcom` is not in ./prompts (no welcom.wav)",
            script.display()
        )
    );

    // The shipped script passes, and says where it found its prompts.
    let output = centralino(&["check-ivr", "ivr-scripts/toll-free.ivr"], &repo_root());
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains(&format!(
            "ok ({} prompts, all in ./prompts;",
            ivr::Script::parse("s", &shipped)
                .unwrap()
                .prompts_used()
                .len()
        )),
        "{stdout}"
    );
}

#[test]
fn check_ivr_refuses_a_prompt_the_engine_would_not_load() {
    let prompts = prompts_copy();
    let work = tempfile::tempdir().unwrap();
    // Someone copied a CD-quality file in place of the menu, by hand.
    studio_wav(&prompts.path().join("main_menu.wav"), 0.2);
    let output = centralino(
        &[
            "check-ivr",
            "ivr-scripts/toll-free.ivr",
            "--prompts",
            prompts.path().to_str().unwrap(),
        ],
        &repo_root(),
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(&format!(
            "centralino: ivr-scripts/toll-free.ivr:{}: prompt `main_menu`: ",
            shipped_line("prompt main_menu")
        )) && stderr.contains("sample rate is 44100 Hz, prompts must be 8000 Hz")
            && stderr.contains("centralino prompts import FILE --name main_menu"),
        "{stderr}"
    );

    // `prompts import` is the fix.
    let fixed = work.path().join("menu.wav");
    studio_wav(&fixed, 0.2);
    let output = centralino(
        &[
            "prompts",
            "import",
            fixed.to_str().unwrap(),
            "--name",
            "main_menu",
            "--prompts",
            prompts.path().to_str().unwrap(),
        ],
        work.path(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = centralino(
        &[
            "check-ivr",
            "ivr-scripts/toll-free.ivr",
            "--prompts",
            prompts.path().to_str().unwrap(),
        ],
        &repo_root(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// How many prompt files ship in `prompts/`.
fn shipped_prompts() -> usize {
    std::fs::read_dir(repo_root().join("prompts"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "wav")
        })
        .count()
}

/// The line of the shipped script that reads `text` (trimmed).
fn shipped_line(text: &str) -> usize {
    std::fs::read_to_string(repo_root().join("ivr-scripts/toll-free.ivr"))
        .unwrap()
        .lines()
        .position(|l| l.trim() == text)
        .expect("the shipped script has the line")
        + 1
}
