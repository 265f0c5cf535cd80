//! What import refuses, and that it says why: empty, too big, not audio, damaged, cut short,
//! too long. Never a panic.

use std::path::PathBuf;
use std::time::Duration;

use prompts::{ImportError, ImportLimits, import, import_file};
use rand::{Rng, SeedableRng};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn tone_wav(rate: u32, channels: u16, frames: usize) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut bytes, spec).unwrap();
    for i in 0..frames * usize::from(channels) {
        writer.write_sample(((i % 40) as i16 - 20) * 500).unwrap();
    }
    writer.finalize().unwrap();
    bytes.into_inner()
}

fn refused(upload: &[u8], limits: &ImportLimits) -> (ImportError, String) {
    match import(upload, limits) {
        Ok(imported) => panic!("accepted: {:?}", imported.source),
        Err(error) => {
            let message = error.to_string();
            (error, message)
        }
    }
}

#[test]
fn an_empty_file_is_refused() {
    let (error, message) = refused(b"", &ImportLimits::default());
    assert!(matches!(error, ImportError::Empty));
    assert_eq!(message, "the file is empty");
}

#[test]
fn a_file_too_big_is_refused_before_decoding() {
    let limits = ImportLimits {
        max_input_bytes: 1000,
        ..ImportLimits::default()
    };
    // Garbage over the limit is refused for its size, not its content: nothing was decoded.
    let (error, message) = refused(&[0xAB; 1001], &limits);
    assert!(
        matches!(
            error,
            ImportError::TooBig {
                size: 1001,
                max: 1000
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        message,
        "the file is 1001 bytes, more than the 1000 bytes allowed"
    );
    let big = ImportLimits::default().max_input_bytes + 1;
    let message = ImportError::TooBig {
        size: big,
        max: ImportLimits::default().max_input_bytes,
    }
    .to_string();
    assert_eq!(
        message,
        "the file is 50.0 MiB, more than the 50.0 MiB allowed"
    );

    // From a file: the size is read from the file system, before the file is.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.wav");
    std::fs::write(&path, tone_wav(8000, 1, 1000)).unwrap();
    let error = import_file(&path, &limits).unwrap_err();
    assert!(
        matches!(error, ImportError::TooBig { size: 2044, .. }),
        "{error:?}"
    );
    assert!(import_file(&path, &ImportLimits::default()).is_ok());
    let error = import_file(&dir.path().join("missing.mp3"), &limits).unwrap_err();
    assert!(matches!(error, ImportError::Read(_)), "{error:?}");
    assert!(
        error.to_string().starts_with("cannot read the file: "),
        "{error}"
    );
}

#[test]
fn things_that_are_not_audio_are_refused_with_the_reason() {
    let text = b"Gentile utente, questo non e' un file audio.\n".repeat(20);
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let random: Vec<u8> = (0..256 * 1024).map(|_| rng.random()).collect();
    for (what, upload) in [
        ("a text file renamed .wav", text),
        ("an mp4 (aac) renamed .wav", fixture("aac_in_mp4.wav")),
        ("random bytes", random),
        ("a wav header alone", b"RIFF\x24\x00\x00\x00WAVE".to_vec()),
    ] {
        let (error, message) = refused(&upload, &ImportLimits::default());
        assert!(
            matches!(error, ImportError::NotAudio { .. }),
            "{what}: {error:?}"
        );
        assert!(
            message.starts_with("not an audio file we can read (")
                && message.ends_with("): use wav, mp3, ogg vorbis or flac"),
            "{what}: {message}"
        );
    }
}

#[test]
fn a_cut_mp3_is_refused_as_cut_short() {
    // The fixture carries a LAME tag with its exact length, so a missing end is noticed
    // wherever the cut falls in the audio. (Its last 128 bytes are an ID3v1 tag: without them
    // the audio is whole.)
    let mp3 = fixture("tone_1k_44100_stereo.mp3");
    assert_eq!(&mp3[mp3.len() - 128..][..3], b"TAG");
    assert!(import(&mp3[..mp3.len() - 128], &ImportLimits::default()).is_ok());
    for cut in [mp3.len() / 3, mp3.len() / 2, mp3.len() - 128 - 50] {
        let (error, message) = refused(&mp3[..cut], &ImportLimits::default());
        let ImportError::Truncated {
            decoded,
            announced: Some(announced),
        } = error
        else {
            panic!("cut at {cut}: {error:?}");
        };
        assert_eq!(announced, Duration::from_secs(1));
        assert!(decoded < announced, "{decoded:?}");
        assert!(
            message.starts_with("the file is cut short: it ends after ")
                && message.ends_with(" of the 1 s it announces"),
            "{message}"
        );
    }
}

#[test]
fn cut_wav_flac_and_ogg_files_are_refused() {
    let wav = tone_wav(16_000, 1, 16_000);
    let (error, message) = refused(&wav[..wav.len() - 1000], &ImportLimits::default());
    assert!(
        matches!(error, ImportError::Truncated { announced: Some(a), .. } if a == Duration::from_secs(1)),
        "{error:?}"
    );
    assert_eq!(
        message,
        "the file is cut short: it ends after 0.969 s of the 1 s it announces"
    );

    let flac = fixture("tone_1k_16000_24bit.flac");
    let (error, _) = refused(&flac[..flac.len() / 2], &ImportLimits::default());
    assert!(matches!(error, ImportError::Truncated { .. }), "{error:?}");

    let ogg = fixture("tone_1k_48000_stereo.ogg");
    let (error, message) = refused(&ogg[..ogg.len() / 2], &ImportLimits::default());
    assert!(
        matches!(
            error,
            ImportError::NotAudio { .. } | ImportError::Truncated { .. }
        ),
        "{error:?}"
    );
    assert!(
        message.contains("complete") || message.contains("cut short"),
        "{message}"
    );
}

#[test]
fn damaged_audio_is_refused_with_where_it_broke() {
    // Overwrite the middle of the FLAC stream: its frame checksums catch it.
    let mut flac = fixture("tone_1k_16000_24bit.flac");
    let middle = flac.len() / 2;
    for byte in &mut flac[middle..middle + 64] {
        *byte ^= 0x5A;
    }
    let (error, message) = refused(&flac, &ImportLimits::default());
    assert!(
        matches!(
            error,
            ImportError::Corrupt { .. } | ImportError::Truncated { .. }
        ),
        "{error:?}"
    );
    assert!(
        message.starts_with("the audio is damaged after ") || message.contains("cut short"),
        "{message}"
    );

    // Float samples that are not numbers.
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut bytes, spec).unwrap();
    for i in 0..8000 {
        writer
            .write_sample(if i == 4000 { f32::NAN } else { 0.1 })
            .unwrap();
    }
    writer.finalize().unwrap();
    let (error, message) = refused(&bytes.into_inner(), &ImportLimits::default());
    let ImportError::Corrupt { at, .. } = error else {
        panic!("{error:?}");
    };
    assert_eq!(at, Duration::from_millis(500));
    assert_eq!(
        message,
        "the audio is damaged after 0.5 s: samples that are not numbers (NaN or infinity)"
    );
}

#[test]
fn recordings_longer_than_the_limit_are_refused() {
    let limits = ImportLimits {
        max_duration: Duration::from_secs(2),
        ..ImportLimits::default()
    };
    // A WAV says how long it is: refused before decoding.
    let (error, message) = refused(&tone_wav(8000, 1, 3 * 8000), &limits);
    assert!(
        matches!(error, ImportError::TooLong { announced: Some(a), .. } if a == Duration::from_secs(3)),
        "{error:?}"
    );
    assert_eq!(
        message,
        "the recording is longer than 2 s, the longest a prompt may be (it lasts 3 s)"
    );
    // Exactly at the limit is fine.
    assert!(import(&tone_wav(8000, 1, 2 * 8000), &limits).is_ok());

    // A WAV that does not say (streamed, data size 0xFFFFFFFF): refused once decoding passes
    // the limit, without holding more than the limit's worth of audio.
    let mut streamed = tone_wav(44_100, 2, 3 * 44_100);
    streamed[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    streamed[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
    let (error, _) = refused(&streamed, &limits);
    assert!(
        matches!(
            error,
            ImportError::TooLong {
                announced: None,
                ..
            }
        ),
        "{error:?}"
    );

    // An Ogg file only tells on its last page: checked while decoding.
    let short = ImportLimits {
        max_duration: Duration::from_millis(500),
        ..ImportLimits::default()
    };
    let (error, message) = refused(&fixture("tone_1k_48000_stereo.ogg"), &short);
    assert!(matches!(error, ImportError::TooLong { .. }), "{error:?}");
    assert!(
        message.starts_with("the recording is longer than 0.5 s"),
        "{message}"
    );

    // The default limit is ten minutes.
    assert_eq!(
        ImportLimits::default().max_duration,
        Duration::from_secs(600)
    );
    let message = ImportError::TooLong {
        max: Duration::from_secs(600),
        announced: Some(Duration::from_secs(725)),
    }
    .to_string();
    assert_eq!(
        message,
        "the recording is longer than 10 min, the longest a prompt may be (it lasts 12 min 05 s)"
    );
}

#[test]
fn odd_sample_rates_and_empty_tracks_are_refused() {
    let (error, message) = refused(&tone_wav(2000, 1, 2000), &ImportLimits::default());
    assert!(
        matches!(error, ImportError::SampleRate { rate: Some(2000) }),
        "{error:?}"
    );
    assert_eq!(
        message,
        "the audio's sample rate (2000 Hz) is outside the 4000 to 768000 Hz we accept"
    );
    let (error, message) = refused(&tone_wav(44_100, 2, 0), &ImportLimits::default());
    assert!(matches!(error, ImportError::NoAudio), "{error:?}");
    assert_eq!(message, "the file contains no audio");
}

#[test]
fn codecs_we_do_not_decode_are_named() {
    for (file, format, codec) in [
        ("opus_in_ogg.ogg", "ogg", "Opus"),
        ("ima_adpcm.wav", "wav", "IMA ADPCM"),
    ] {
        let (error, message) = refused(&fixture(file), &ImportLimits::default());
        assert!(
            matches!(&error, ImportError::UnsupportedCodec { format: f, codec: c } if *f == format && c == codec),
            "{file}: {error:?}"
        );
        assert_eq!(
            message,
            format!(
                "the {format} file holds {codec} audio, which we do not decode: use wav, mp3, ogg vorbis or flac"
            )
        );
    }
}
