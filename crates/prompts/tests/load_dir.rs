//! Loading prompts from a directory: good files load and are pre-encoded, any unusable file is
//! refused with its name and the reason.

use std::path::Path;
use std::time::Duration;

use media::Codec;
use prompts::{InvalidWav, Prompt, PromptError, PromptLibrary};

fn write_wav(path: &Path, sample_rate: u32, channels: u16, bits: u16, float: bool, samples: usize) {
    let spec = hound::WavSpec {
        channels,
        sample_rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..samples * usize::from(channels) {
        match (float, bits) {
            (true, _) => writer.write_sample(0.0f32).unwrap(),
            (false, 8) => writer.write_sample(i as i8).unwrap(),
            (false, 16) => writer
                .write_sample(((i * 37) % 20_000) as i16 - 10_000)
                .unwrap(),
            (false, _) => writer.write_sample(i as i32).unwrap(),
        }
    }
    writer.finalize().unwrap();
}

fn good(path: &Path, samples: usize) {
    write_wav(path, 8000, 1, 16, false, samples);
}

fn refusal(dir: &Path) -> (String, InvalidWav, String) {
    match PromptLibrary::load_dir(dir) {
        Err(error @ PromptError::Invalid { .. }) => {
            let message = error.to_string();
            let PromptError::Invalid { file, reason } = error else {
                unreachable!()
            };
            (
                file.file_name().unwrap().to_string_lossy().into_owned(),
                reason,
                message,
            )
        }
        other => panic!("expected a refused file, got {other:?}"),
    }
}

#[test]
fn good_files_load_and_are_pre_encoded() {
    let dir = tempfile::tempdir().unwrap();
    good(&dir.path().join("welcome.wav"), 8000);
    good(&dir.path().join("beep.WAV"), 4000);
    std::fs::write(dir.path().join("README.txt"), "not a prompt").unwrap();
    std::fs::create_dir(dir.path().join("old.wav")).unwrap();
    std::fs::create_dir(dir.path().join("archive")).unwrap();
    std::fs::write(dir.path().join("archive/broken.wav"), "junk").unwrap();

    let library = PromptLibrary::load_dir(dir.path()).unwrap();
    assert_eq!(library.names(), ["beep", "welcome"]);
    assert_eq!(library.len(), 2);
    let welcome = library.get("welcome").unwrap();
    assert_eq!(welcome.name, "welcome");
    assert_eq!(welcome.duration, Duration::from_secs(1));
    assert_eq!(
        library.get("beep").unwrap().duration,
        Duration::from_millis(500)
    );
    assert_eq!(welcome.samples.len(), 8000);
    assert_eq!(&welcome.pcmu[..], &Codec::Pcmu.encode(&welcome.samples)[..]);
    assert_eq!(&welcome.pcma[..], &Codec::Pcma.encode(&welcome.samples)[..]);
    assert_eq!(welcome.encoded(Codec::Pcma), welcome.pcma);
    assert!(library.get("missing").is_none());
}

#[test]
fn wrong_formats_are_refused_with_the_reason() {
    let cases: [(&str, u32, u16, u16, bool, &str); 5] = [
        (
            "wideband",
            16_000,
            1,
            16,
            false,
            "sample rate is 16000 Hz, prompts must be 8000 Hz",
        ),
        (
            "stereo",
            8000,
            2,
            16,
            false,
            "2 channels, prompts must be mono",
        ),
        (
            "eight_bit",
            8000,
            1,
            8,
            false,
            "8-bit integer samples, prompts must be 16-bit integer pcm",
        ),
        ("twenty_four", 8000, 1, 24, false, "24-bit integer samples"),
        ("float", 8000, 1, 32, true, "32-bit float samples"),
    ];
    for (name, rate, channels, bits, float, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        good(&dir.path().join("fine.wav"), 100);
        write_wav(
            &dir.path().join(format!("{name}.wav")),
            rate,
            channels,
            bits,
            float,
            100,
        );
        let (file, _, message) = refusal(dir.path());
        assert_eq!(file, format!("{name}.wav"));
        assert!(message.contains(&format!("{name}.wav")), "{message}");
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn corrupt_truncated_and_empty_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("garbage.wav"), b"this is not audio at all").unwrap();
    let (file, reason, message) = refusal(dir.path());
    assert_eq!(file, "garbage.wav");
    assert!(matches!(reason, InvalidWav::Wav(_)), "{reason:?}");
    assert!(
        message.starts_with("prompt file ") && message.contains("not a readable wav file"),
        "{message}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truncated.wav");
    good(&path, 1000);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 501]).unwrap();
    let (file, reason, _) = refusal(dir.path());
    assert_eq!(file, "truncated.wav");
    assert!(matches!(reason, InvalidWav::Wav(_)), "{reason:?}");

    let dir = tempfile::tempdir().unwrap();
    good(&dir.path().join("silence.wav"), 0);
    let (_, reason, _) = refusal(dir.path());
    assert!(matches!(reason, InvalidWav::Empty));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("zero.wav"), b"").unwrap();
    assert!(matches!(refusal(dir.path()).1, InvalidWav::Wav(_)));
}

#[test]
fn duplicate_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    good(&dir.path().join("a.wav"), 10);
    good(&dir.path().join("a.WAV"), 10);
    // Some file systems fold case; then there is only one file and nothing to refuse.
    if std::fs::read_dir(dir.path()).unwrap().count() == 2 {
        assert!(matches!(refusal(dir.path()).1, InvalidWav::DuplicateName));
    }
}

#[test]
fn missing_directory_is_an_error() {
    let error = PromptLibrary::load_dir("/nonexistent/prompts").unwrap_err();
    assert!(matches!(error, PromptError::ReadDir { .. }));
    assert!(
        error
            .to_string()
            .starts_with("cannot read prompt directory /nonexistent/prompts: ")
    );
}

#[test]
fn replacing_a_prompt_leaves_the_old_library_intact() {
    let library = PromptLibrary::from_prompts([Prompt::from_samples("welcome", vec![0; 80])]);
    let shared = library.clone();
    let updated = library.with_prompt(Prompt::from_samples("welcome", vec![100; 160]));
    assert_eq!(shared.get("welcome").unwrap().samples.len(), 80);
    assert_eq!(updated.get("welcome").unwrap().samples.len(), 160);
    assert_eq!(
        updated.get("welcome").unwrap().duration,
        Duration::from_millis(20)
    );
    assert!(PromptLibrary::default().is_empty());
}

#[test]
fn uploads_are_checked_from_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.wav");
    write_wav(&path, 44_100, 2, 16, false, 10);
    let bytes = std::fs::read(&path).unwrap();
    let error = Prompt::from_wav_bytes("upload", &bytes).unwrap_err();
    assert!(matches!(error, InvalidWav::SampleRate { found: 44_100 }));
}

/// Every prompt the IVR scripts and the engine refer to is shipped, in the right format, and
/// short enough to keep the repository small.
#[test]
fn shipped_prompts_all_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../prompts");
    let library = PromptLibrary::load_dir(&dir).unwrap();
    let mut expected: Vec<String> = [
        "welcome",
        "out_of_hours",
        "main_menu",
        "personnel_menu",
        "invalid_choice",
        "goodbye",
        "enter_pin",
        "identify_failed",
        "please_hold",
        "queue_position",
        "average_wait",
        "minutes",
        "less_than_one_minute",
        "hold_music",
        "voicemail_beep",
        "feature_logged_in",
        "feature_logged_out",
        "feature_ready",
        "feature_not_ready",
        "feature_wrap_up_ended",
        "feature_refused",
    ]
    .map(String::from)
    .into();
    expected.extend((0..10).map(|d| format!("digit_{d}")));
    for name in &expected {
        let prompt = library
            .get(name)
            .unwrap_or_else(|| panic!("{name} is shipped"));
        assert!(
            prompt.duration > Duration::from_millis(200),
            "{name} is audible"
        );
        assert!(prompt.duration < Duration::from_secs(25), "{name} is short");
        // Not silence: speech and music have real level.
        let peak = prompt
            .samples
            .iter()
            .map(|s| s.unsigned_abs())
            .max()
            .unwrap();
        assert!(peak > 1000, "{name} peak {peak}");
    }
    assert_eq!(
        library.get("voicemail_beep").unwrap().duration,
        Duration::from_millis(500)
    );
    let music = library.get("hold_music").unwrap().duration;
    assert!(
        music >= Duration::from_secs(15),
        "hold music is about 20 s, got {music:?}"
    );
    let total: usize = library
        .names()
        .iter()
        .map(|n| library.get(n).unwrap().samples.len() * 2)
        .sum();
    assert!(total < 1_500_000, "prompt set is {total} bytes of audio");
}
