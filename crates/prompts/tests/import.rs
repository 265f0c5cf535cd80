//! Import of the recordings people have: every accepted layout comes out as 8 kHz mono 16-bit
//! with its duration, pitch and level kept. WAV inputs are generated here; MP3, Ogg Vorbis and
//! FLAC come from `tests/fixtures` (made with lame, oggenc and sox: see its README).

use std::path::PathBuf;
use std::time::Duration;

use prompts::{
    ImportLimits, ImportWarning, Imported, PromptDir, PromptLibrary, PromptName, import,
};

/// A WAV of `seconds` of a `freq` Hz sine at `amplitude` (1.0 = full scale) on every channel.
fn sine_wav(
    rate: u32,
    channels: u16,
    bits: u16,
    float: bool,
    seconds: f64,
    freq: f64,
    amplitude: f64,
) -> Vec<u8> {
    let frames = (seconds * f64::from(rate)).round() as usize;
    wav(rate, channels, bits, float, frames, |i, _| {
        amplitude * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin()
    })
}

/// A WAV whose sample for frame `i`, channel `c` is `signal(i, c)` (full scale = ±1.0).
fn wav(
    rate: u32,
    channels: u16,
    bits: u16,
    float: bool,
    frames: usize,
    signal: impl Fn(usize, u16) -> f64,
) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut bytes, spec).unwrap();
    let full_scale = f64::from(1u32 << (bits - 1));
    for i in 0..frames {
        for c in 0..channels {
            let x = signal(i, c);
            let int = (x * full_scale)
                .round()
                .clamp(-full_scale, full_scale - 1.0);
            match (float, bits) {
                (true, _) => writer.write_sample(x as f32).unwrap(),
                (false, 8) => writer.write_sample(int as i8).unwrap(),
                (false, 16) => writer.write_sample(int as i16).unwrap(),
                (false, _) => writer.write_sample(int as i32).unwrap(),
            }
        }
    }
    writer.finalize().unwrap();
    bytes.into_inner()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The pitch of a tone: upward zero crossings, located to a fraction of a sample, over the
/// middle of the signal (away from any start and end transient).
fn frequency(samples: &[i16]) -> f64 {
    let middle = &samples[samples.len() / 10..samples.len() * 9 / 10];
    let mut crossings = Vec::new();
    for (i, pair) in middle.windows(2).enumerate() {
        let (a, b) = (f64::from(pair[0]), f64::from(pair[1]));
        if a < 0.0 && b >= 0.0 {
            crossings.push(i as f64 + a / (a - b));
        }
    }
    assert!(crossings.len() > 2, "no tone found");
    let periods = (crossings.len() - 1) as f64;
    let span_in_samples = crossings[crossings.len() - 1] - crossings[0];
    periods * 8000.0 / span_in_samples
}

/// Share of the middle's energy at `freq` (Goertzel): 1.0 for a pure tone.
fn purity(samples: &[i16], freq: f64) -> f64 {
    let middle: Vec<f64> = samples[samples.len() / 10..samples.len() * 9 / 10]
        .iter()
        .map(|&s| f64::from(s))
        .collect();
    let n = middle.len() as f64;
    let w = 2.0 * std::f64::consts::PI * freq / 8000.0;
    let (mut s1, mut s2) = (0.0, 0.0);
    for x in &middle {
        let s0 = x + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let tone_power = (s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2) * 2.0 / (n * n);
    let total_power = middle.iter().map(|x| x * x).sum::<f64>() / n;
    tone_power / total_power
}

fn rms_dbfs(samples: &[i16]) -> f64 {
    let middle = &samples[samples.len() / 10..samples.len() * 9 / 10];
    let mean_square =
        middle.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / middle.len() as f64;
    10.0 * (mean_square / 32768f64.powi(2)).log10()
}

/// RMS of a sine of this amplitude, in dBFS.
fn sine_dbfs(amplitude: f64) -> f64 {
    20.0 * (amplitude / 2f64.sqrt()).log10()
}

/// The tone survived: pitch within 0.5 %, nothing else in it, level within `db`.
fn assert_tone(what: &str, imported: &Imported, freq: f64, amplitude: f64, db: f64) {
    let found = frequency(&imported.samples);
    assert!((found - freq).abs() < freq * 0.005, "{what}: {found} Hz");
    let purity = purity(&imported.samples, freq);
    assert!(
        purity > 0.98,
        "{what}: only {purity:.3} of the energy at {freq} Hz"
    );
    let level = rms_dbfs(&imported.samples);
    let expected = sine_dbfs(amplitude);
    assert!(
        (level - expected).abs() < db,
        "{what}: {level:.2} dBFS, expected {expected:.2}"
    );
    assert!(
        imported.warnings.is_empty(),
        "{what}: {:?}",
        imported.warnings
    );
}

#[test]
fn a_1khz_sine_at_44_1khz_comes_out_as_a_1khz_sine_at_8khz() {
    let upload = sine_wav(44_100, 1, 16, false, 1.0, 1000.0, 0.5);
    let imported = import(&upload, &ImportLimits::default()).unwrap();
    assert_eq!(imported.samples.len(), 8000);
    assert_eq!(imported.duration(), Duration::from_secs(1));
    assert_eq!(imported.source.format, "wav");
    assert_eq!(imported.source.sample_rate, 44_100);
    assert_eq!(imported.source.channels, 1);
    assert_eq!(imported.source.bits_per_sample, Some(16));
    assert_eq!(imported.source.duration, Duration::from_secs(1));
    assert_tone("44.1 kHz", &imported, 1000.0, 0.5, 0.2);
    // The loudest sample is about where the sine's peak is (-6 dBFS).
    let peak = imported.peak_dbfs().unwrap();
    assert!((peak + 6.02).abs() < 0.3, "peak {peak}");
}

#[test]
fn every_wav_layout_keeps_duration_pitch_and_level() {
    // (rate, channels, bits, float, seconds, tone, amplitude)
    let cases: &[(u32, u16, u16, bool, f64, f64, f64)] = &[
        (48_000, 2, 16, false, 1.0, 1000.0, 0.5),
        (16_000, 1, 24, false, 0.75, 440.0, 0.25),
        (44_100, 2, 32, true, 0.5, 2000.0, 0.7),
        (22_050, 1, 32, false, 1.3, 300.0, 0.1),
        (96_000, 6, 24, false, 0.4, 1000.0, 0.5),
        (11_025, 1, 8, false, 0.6, 700.0, 0.5),
        (8_000, 2, 16, false, 0.5, 1000.0, 0.5),
        (32_000, 1, 16, false, 2.0, 3000.0, 0.5),
    ];
    for &(rate, channels, bits, float, seconds, tone, amplitude) in cases {
        let what = format!(
            "{rate} Hz, {channels} ch, {bits}-bit{}",
            if float { " float" } else { "" }
        );
        let upload = sine_wav(rate, channels, bits, float, seconds, tone, amplitude);
        let imported = import(&upload, &ImportLimits::default()).unwrap();
        let frames = (seconds * f64::from(rate)).round() as u64;
        let expected = (frames * 8000).div_ceil(u64::from(rate));
        assert_eq!(imported.samples.len() as u64, expected, "{what}");
        assert_eq!(usize::from(channels), imported.source.channels, "{what}");
        // 8-bit audio has a noise floor of its own; the rest is within a tenth of a dB.
        let db = if bits == 8 { 0.5 } else { 0.2 };
        assert_tone(&what, &imported, tone, amplitude, db);
    }
}

#[test]
fn our_own_format_passes_through_bit_exact() {
    let samples: Vec<i16> = (0..4000)
        .map(|i| ((i * 7919) % 65_536 - 32_768) as i16)
        .collect();
    let upload = wav(8000, 1, 16, false, samples.len(), |i, _| {
        f64::from(samples[i]) / 32768.0
    });
    let imported = import(&upload, &ImportLimits::default()).unwrap();
    assert_eq!(imported.samples, samples);
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
}

#[test]
fn channels_are_averaged() {
    // A tone on the left only comes out at half its amplitude (-6 dB): the mix never clips,
    // whatever the channels hold.
    let upload = wav(16_000, 2, 16, false, 16_000, |i, c| {
        if c == 0 {
            0.8 * (2.0 * std::f64::consts::PI * 500.0 * i as f64 / 16_000.0).sin()
        } else {
            0.0
        }
    });
    let imported = import(&upload, &ImportLimits::default()).unwrap();
    assert_tone("left only", &imported, 500.0, 0.4, 0.2);
}

#[test]
fn mp3_ogg_and_flac_recordings_are_converted() {
    // (fixture, format, codec, source rate, channels, seconds)
    let cases = [
        ("tone_1k_44100_stereo.mp3", "mp3", "mp3", 44_100, 2, 1.0),
        ("tone_1k_48000_stereo.ogg", "ogg", "vorbis", 48_000, 2, 1.0),
        ("tone_1k_16000_24bit.flac", "flac", "flac", 16_000, 1, 0.5),
    ];
    for (file, format, codec, rate, channels, seconds) in cases {
        let imported = import(&fixture(file), &ImportLimits::default()).unwrap();
        assert_eq!(imported.source.format, format, "{file}");
        assert_eq!(imported.source.codec, codec, "{file}");
        assert_eq!(imported.source.sample_rate, rate, "{file}");
        assert_eq!(imported.source.channels, channels, "{file}");
        // Within one 20 ms packet of the original (MP3 and Vorbis encoder delay and padding
        // are trimmed from the gapless information the encoders write).
        let expected = Duration::from_secs_f64(seconds);
        assert!(
            imported.duration().abs_diff(expected) <= Duration::from_millis(20),
            "{file}: {:?}",
            imported.duration()
        );
        // The fixtures are a 1 kHz sine at half of full scale (sox `vol 0.5`).
        assert_tone(file, &imported, 1000.0, 0.5, 1.0);
    }
    assert_eq!(
        import(
            &fixture("tone_1k_16000_24bit.flac"),
            &ImportLimits::default()
        )
        .unwrap()
        .source
        .bits_per_sample,
        Some(24)
    );
}

#[test]
fn recorded_speech_is_converted_and_installs_as_a_prompt() {
    // espeak-ng's "Benvenuti nel centralino di prova", 2.13 s at 22.05 kHz, as a 16 kHz MP3.
    let imported = import(&fixture("speech_it.mp3"), &ImportLimits::default()).unwrap();
    assert!(
        imported.duration().abs_diff(Duration::from_millis(2134)) <= Duration::from_millis(20),
        "{:?}",
        imported.duration()
    );
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    assert!(imported.peak_dbfs().unwrap() > -12.0);

    let dir = tempfile::tempdir().unwrap();
    let name = PromptName::new("welcome").unwrap();
    PromptDir::new(dir.path())
        .install(&name, &imported.samples)
        .unwrap();
    let library = PromptLibrary::load_dir(dir.path()).unwrap();
    let prompt = library.get("welcome").unwrap();
    assert_eq!(&prompt.samples[..], &imported.samples[..]);
    assert_eq!(prompt.duration, imported.duration());
    assert_eq!(imported.into_prompt(&name), *prompt);
}

#[test]
fn silence_is_accepted_with_a_warning() {
    let digital = wav(16_000, 1, 16, false, 8000, |_, _| 0.0);
    let imported = import(&digital, &ImportLimits::default()).unwrap();
    assert_eq!(imported.samples.len(), 4000);
    assert_eq!(imported.peak_dbfs(), None);
    assert_eq!(
        imported.warnings,
        [ImportWarning::Silent { peak_dbfs: None }]
    );
    assert!(imported.warnings[0].to_string().contains("digital silence"));

    // -70 dBFS: there is a signal, but nobody would hear it on a phone.
    let hiss = sine_wav(8000, 1, 16, false, 0.5, 1000.0, 0.0003);
    let imported = import(&hiss, &ImportLimits::default()).unwrap();
    let [
        ImportWarning::Silent {
            peak_dbfs: Some(peak),
        },
    ] = imported.warnings[..]
    else {
        panic!("{:?}", imported.warnings);
    };
    assert!((-75.0..-65.0).contains(&peak), "{peak}");
    assert!(imported.warnings[0].to_string().contains("nearly silent"));
}

#[test]
fn levels_are_not_normalised_but_overs_are_clipped_and_reported() {
    // A float recording 3.5 dB over full scale: clamped, reported, not scaled down.
    let upload = sine_wav(8000, 1, 32, true, 0.5, 1000.0, 1.5);
    let imported = import(&upload, &ImportLimits::default()).unwrap();
    assert_eq!(imported.peak, 32768);
    let [ImportWarning::Clipped { samples }] = imported.warnings[..] else {
        panic!("{:?}", imported.warnings);
    };
    assert!(samples > 1000 && samples < 4000, "{samples}");
    assert!(imported.warnings[0].to_string().contains("clipped"));

    // A quiet recording stays quiet.
    let quiet = sine_wav(44_100, 1, 16, false, 0.5, 1000.0, 0.05);
    let imported = import(&quiet, &ImportLimits::default()).unwrap();
    assert_tone("quiet", &imported, 1000.0, 0.05, 0.2);
}

#[test]
fn the_canonical_wav_is_what_the_engine_loads() {
    let imported = import(
        &sine_wav(48_000, 2, 24, false, 0.3, 1000.0, 0.5),
        &ImportLimits::default(),
    )
    .unwrap();
    let wav = imported.to_wav();
    let reader = hound::WavReader::new(&wav[..]).unwrap();
    assert_eq!(
        reader.spec(),
        hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int
        }
    );
    let prompt = prompts::Prompt::from_wav_bytes("x", &wav).unwrap();
    assert_eq!(&prompt.samples[..], &imported.samples[..]);
    assert_eq!(prompt.duration, Duration::from_millis(300));
}

/// A G.711 WAV, as phone systems and voicemail exports write them: format tag 6 (A-law) or 7
/// (µ-law), 8 kHz mono, one byte a sample.
fn g711_wav(codec: media::Codec, samples: &[i16]) -> Vec<u8> {
    let data = codec.encode(samples);
    let tag: u16 = match codec {
        media::Codec::Pcma => 6,
        media::Codec::Pcmu => 7,
    };
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(4 + 26 + 12 + 8 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&18u32.to_le_bytes());
    wav.extend_from_slice(&tag.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&8u16.to_le_bytes());
    wav.extend_from_slice(&0u16.to_le_bytes());
    wav.extend_from_slice(b"fact");
    wav.extend_from_slice(&4u32.to_le_bytes());
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    wav
}

#[test]
fn g711_wavs_import_as_the_samples_they_encode() {
    let tone: Vec<i16> = (0..4000)
        .map(|i| {
            (9000.0 * (2.0 * std::f64::consts::PI * 1000.0 * f64::from(i) / 8000.0).sin()) as i16
        })
        .collect();
    for codec in [media::Codec::Pcma, media::Codec::Pcmu] {
        let imported = import(&g711_wav(codec, &tone), &ImportLimits::default()).unwrap();
        assert_eq!(imported.samples.len(), tone.len(), "{codec:?}");
        // G.711 is lossy, but re-encoding what we decoded gives the file's bytes back: the
        // engine will send callers exactly what the file held.
        assert_eq!(
            codec.encode(&imported.samples),
            codec.encode(&tone),
            "{codec:?}"
        );
        assert_tone(
            &format!("{codec:?}"),
            &imported,
            1000.0,
            9000.0 / 32768.0,
            0.2,
        );
    }
}
