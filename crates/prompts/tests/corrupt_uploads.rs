//! Uploaded audio is remote input: any corruption of a valid WAV is refused or loaded, and any
//! corruption of a recording in any format we import is refused or converted, never a panic.

use prompts::{ImportError, ImportLimits, Prompt, import};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(path).unwrap()
}

/// Imports a damaged upload: refused, or converted within the limits. A decoder panic is
/// caught by `import` and turned into a refusal, but it is a bug worth knowing about, so it
/// fails here.
fn import_damaged(bytes: &[u8]) -> Result<(), TestCaseError> {
    let limits = ImportLimits {
        max_duration: std::time::Duration::from_secs(5),
        ..ImportLimits::default()
    };
    match import(bytes, &limits) {
        Ok(imported) => prop_assert!(imported.samples.len() <= 5 * 8000 + 1),
        Err(ImportError::NotAudio { detail }) => {
            prop_assert!(!detail.contains("gave up"), "a decoder panicked")
        }
        Err(_) => {}
    }
    Ok(())
}

fn valid_wav() -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut bytes, spec).unwrap();
    for i in 0..64i16 {
        writer.write_sample(i * 100).unwrap();
    }
    writer.finalize().unwrap();
    bytes.into_inner()
}

proptest! {
    #[test]
    fn corrupted_wav_never_panics(
        edits in prop::collection::vec((0usize..172, any::<u8>()), 1..8),
        cut in 0usize..=172,
    ) {
        let mut bytes = valid_wav();
        for (at, value) in edits {
            if let Some(byte) = bytes.get_mut(at) {
                *byte = value;
            }
        }
        bytes.truncate(cut);
        if let Ok(prompt) = Prompt::from_wav_bytes("upload", &bytes) {
            prop_assert_eq!(prompt.pcmu.len(), prompt.samples.len());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        let _ = Prompt::from_wav_bytes("upload", &bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn damaged_recordings_never_panic(
        file in prop::sample::select(vec![
            "tone_1k_44100_stereo.mp3",
            "tone_1k_48000_stereo.ogg",
            "tone_1k_16000_24bit.flac",
            "speech_it.mp3",
        ]),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = fixture(file);
        for (at, value) in edits {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        let cut = cut.index(bytes.len() + 1).max(bytes.len() / 2);
        bytes.truncate(cut);
        import_damaged(&bytes)?;
    }

    #[test]
    fn arbitrary_uploads_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        import_damaged(&bytes)?;
    }

    #[test]
    fn arbitrary_bytes_after_a_wav_header_never_panic(
        channels in 1u16..9,
        rate in prop::sample::select(vec![1u32, 4000, 8000, 44_100, 768_000, 1_000_000]),
        bits in prop::sample::select(vec![8u16, 16, 24, 32, 64]),
        float in any::<bool>(),
        body in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        // A hand-made header with whatever combination of fields, then garbage.
        let block = channels * bits.div_ceil(8);
        let mut wav = Vec::new();
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + body.len() as u32).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes());
        wav.extend_from_slice(&(if float { 3u16 } else { 1 }).to_le_bytes());
        wav.extend_from_slice(&channels.to_le_bytes());
        wav.extend_from_slice(&rate.to_le_bytes());
        wav.extend_from_slice(&(rate.saturating_mul(u32::from(block))).to_le_bytes());
        wav.extend_from_slice(&block.to_le_bytes());
        wav.extend_from_slice(&bits.to_le_bytes());
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&(body.len() as u32).to_le_bytes());
        wav.extend_from_slice(&body);
        import_damaged(&wav)?;
    }
}
