//! Fuzzing of prompt import: the bytes an operator uploads as a recording (WAV, MP3, Ogg
//! Vorbis, FLAC or anything else) through `prompts::import`, which probes the container,
//! decodes with symphonia, downmixes, resamples to 8 kHz and checks the limits.
//!
//! `import` runs the decoders under `catch_unwind`: a panic inside symphonia refuses the file
//! instead of taking the engine down. libFuzzer's panic hook would abort on those panics before
//! they unwind, so the hook installed here lets a panic located in symphonia's sources unwind
//! to that `catch_unwind` (and names each such location once on stderr), and aborts on every
//! other panic: one in our own conversion code (downmix, resampler, limits) is a finding.
//!
//! Checks: no panic outside the decoders; an accepted import comes from a rate we accept, lasts
//! at most the limit, has exactly as many 8 kHz samples as its duration calls for, states its
//! loudest sample, and its canonical WAV loads back as the engine loads prompts, sample for
//! sample.
#![no_main]

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use prompts::{ImportLimits, MAX_INPUT_RATE, MIN_INPUT_RATE, Prompt};

/// Shorter than the default limit (10 minutes) so that one input stays fast: the limit is
/// checked the same way whatever its value.
const MAX_DURATION: Duration = Duration::from_secs(5);

static DECODER_PANICS: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn let_decoder_panics_unwind() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let Some(location) = info.location() else {
            return abort(info);
        };
        if !location.file().contains("symphonia") {
            return abort(info);
        }
        let place = format!("{}:{}", location.file(), location.line());
        let mut seen = DECODER_PANICS.lock().unwrap_or_else(|e| e.into_inner());
        if seen.get_or_insert_with(HashSet::new).insert(place) {
            eprintln!("prompt_import: decoder panic, contained by import: {info}");
        }
    }));
}

fuzz_target!(init: let_decoder_panics_unwind(), |upload: &[u8]| {
    let limits = ImportLimits {
        max_duration: MAX_DURATION,
        max_input_bytes: 1 << 20,
    };
    let Ok(imported) = prompts::import(upload, &limits) else {
        return;
    };
    let source = &imported.source;
    assert!((MIN_INPUT_RATE..=MAX_INPUT_RATE).contains(&source.sample_rate));
    assert!(source.duration <= MAX_DURATION, "{:?}", source.duration);
    // The duration is the input frame count at the source rate, truncated to nanoseconds; a
    // frame is longer than a nanosecond at every accepted rate, so the count comes back exactly.
    let rate = u128::from(source.sample_rate);
    let frames_in = (source.duration.as_nanos() * rate).div_ceil(1_000_000_000);
    assert_eq!(
        imported.samples.len() as u128,
        (frames_in * 8000).div_ceil(rate),
        "8 kHz length of {frames_in} frames at {rate} Hz"
    );
    let peak = imported
        .samples
        .iter()
        .map(|s| u32::from(s.unsigned_abs()))
        .max()
        .unwrap_or(0);
    assert_eq!(imported.peak, peak);
    let prompt = Prompt::from_wav_bytes("fuzz", &imported.to_wav())
        .expect("the canonical WAV of an import loads");
    assert_eq!(&prompt.samples[..], &imported.samples[..]);
});
