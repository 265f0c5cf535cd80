//! Mono audio at any rate in, 8 kHz 16-bit samples out, a chunk at a time.
//!
//! One band-limited sinc resampler (rubato) does the whole conversion, so audio is filtered once
//! whatever its rate; 8 kHz input is passed through untouched. The output is clamped to 16 bits
//! and the clamped samples counted, never rescaled: a level the operator chose stays.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Async, FixedAsync, Indexing, Resampler, SincInterpolationParameters, WindowFunction};

use crate::SAMPLE_RATE;

/// Input frames per resampler call: small enough to keep buffers tiny, large enough to keep the
/// per-call overhead low.
const CHUNK: usize = 1024;
/// Sinc filter length: with Blackman-Harris² this keeps aliasing far below what G.711 can
/// carry (rubato's recommended starting point).
const SINC_LEN: usize = 256;

/// Converts a stream of mono `f32` samples (full scale = ±1.0) at `input_rate` to 8 kHz `i16`.
pub(crate) struct Downsampler {
    /// `None` when the input already is at 8 kHz.
    resampler: Option<Async<f32>>,
    /// Input frames waiting for a whole chunk.
    pending: Vec<f32>,
    /// One chunk of resampler output.
    scratch: Vec<f32>,
    /// Output frames still to drop: the resampler's delay, so that output lines up with input.
    delay_left: usize,
    input_rate: u32,
    frames_in: u64,
    out: Vec<i16>,
    clipped: u64,
}

/// Why the resampler cannot take this audio (a rate far outside what [`crate::import`] accepts).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ResamplerFailed(String);

impl Downsampler {
    pub(crate) fn new(input_rate: u32) -> Result<Self, ResamplerFailed> {
        let resampler = if input_rate == SAMPLE_RATE {
            None
        } else {
            let ratio = f64::from(SAMPLE_RATE) / f64::from(input_rate);
            let parameters =
                SincInterpolationParameters::new(SINC_LEN, WindowFunction::BlackmanHarris2);
            let resampler =
                Async::<f32>::new_sinc(ratio, 1.0, &parameters, CHUNK, 1, FixedAsync::Input)
                    .map_err(|e| ResamplerFailed(e.to_string()))?;
            Some(resampler)
        };
        let (scratch, delay_left) = match &resampler {
            Some(r) => (vec![0.0; r.output_frames_max()], r.output_delay()),
            None => (Vec::new(), 0),
        };
        Ok(Self {
            resampler,
            pending: Vec::with_capacity(2 * CHUNK),
            scratch,
            delay_left,
            input_rate,
            frames_in: 0,
            out: Vec::new(),
            clipped: 0,
        })
    }

    /// Input frames taken so far.
    pub(crate) fn frames_in(&self) -> u64 {
        self.frames_in
    }

    /// Takes more input.
    pub(crate) fn push(&mut self, samples: &[f32]) -> Result<(), ResamplerFailed> {
        self.frames_in += samples.len() as u64;
        if self.resampler.is_none() {
            for &s in samples {
                self.emit(s);
            }
            return Ok(());
        }
        self.pending.extend_from_slice(samples);
        let mut consumed = 0;
        while self.pending.len() - consumed >= CHUNK {
            self.process(consumed, None)?;
            consumed += CHUNK;
        }
        self.pending.drain(..consumed);
        Ok(())
    }

    /// Flushes the resampler and returns the 8 kHz samples (as many as the input's duration
    /// calls for, rounded up) and how many of them had to be clamped to 16 bits.
    pub(crate) fn finish(mut self) -> Result<(Vec<i16>, u64), ResamplerFailed> {
        if self.resampler.is_some() {
            let expected = self.expected_len();
            let rest = self.pending.len();
            if rest > 0 {
                self.pending.resize(CHUNK, 0.0);
                self.process(0, Some(rest))?;
            }
            // The resampler holds the last input in its filter: feed silence until it is out.
            self.pending.clear();
            self.pending.resize(CHUNK, 0.0);
            while (self.out.len() as u64) < expected {
                self.process(0, Some(0))?;
            }
            self.out
                .truncate(usize::try_from(expected).unwrap_or(usize::MAX));
        }
        Ok((self.out, self.clipped))
    }

    /// Output samples the input so far calls for.
    fn expected_len(&self) -> u64 {
        (self.frames_in * u64::from(SAMPLE_RATE)).div_ceil(u64::from(self.input_rate))
    }

    /// Resamples the chunk of `pending` at `offset`, of which only `valid` frames are audio.
    fn process(&mut self, offset: usize, valid: Option<usize>) -> Result<(), ResamplerFailed> {
        let Some(resampler) = self.resampler.as_mut() else {
            return Ok(());
        };
        let failed = |e: &dyn std::fmt::Display| ResamplerFailed(e.to_string());
        let input =
            InterleavedSlice::new(&self.pending[offset..], 1, CHUNK).map_err(|e| failed(&e))?;
        let frames_out = self.scratch.len();
        let mut output = InterleavedSlice::new_mut(&mut self.scratch[..], 1, frames_out)
            .map_err(|e| failed(&e))?;
        let indexing = Indexing {
            partial_len: valid,
            ..Indexing::default()
        };
        let (_, produced) = resampler
            .process_into_buffer(&input, &mut output, Some(&indexing))
            .map_err(|e| failed(&e))?;
        let skip = self.delay_left.min(produced);
        self.delay_left -= skip;
        for i in skip..produced {
            let s = self.scratch[i];
            self.emit(s);
        }
        Ok(())
    }

    /// One output sample, clamped to 16 bits.
    fn emit(&mut self, sample: f32) {
        // Symphonia maps 16-bit PCM to s / 32768, so 8 kHz 16-bit input comes back bit-exact.
        let scaled = (sample * 32768.0).round();
        // +1.0 (float full scale) lands one step above the largest 16-bit value: clamping it
        // is not clipping. Beyond that, it is.
        if !(-32768.0..=32768.0).contains(&scaled) {
            self.clipped += 1;
        }
        self.out.push(scaled.clamp(-32768.0, 32767.0) as i16);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rate: u32, input: &[f32], piece: usize) -> (Vec<i16>, u64) {
        let mut d = Downsampler::new(rate).unwrap();
        for chunk in input.chunks(piece.max(1)) {
            d.push(chunk).unwrap();
        }
        assert_eq!(d.frames_in(), input.len() as u64);
        d.finish().unwrap()
    }

    #[test]
    fn eight_khz_passes_through_bit_exact() {
        let input: Vec<f32> = (-100..100).map(|i| i as f32 * 100.0 / 32768.0).collect();
        let (out, clipped) = run(8000, &input, 7);
        let expected: Vec<i16> = (-100..100).map(|i| (i * 100) as i16).collect();
        assert_eq!(out, expected);
        assert_eq!(clipped, 0);
    }

    #[test]
    fn duration_is_kept_whatever_the_rate_and_the_pieces() {
        for (rate, frames) in [(44_100, 44_100), (48_000, 1000), (16_000, 3), (11_025, 0)] {
            for piece in [1, 333, 5000] {
                let input = vec![0.1; frames];
                let (out, _) = run(rate, &input, piece);
                let expected = (frames as u64 * 8000).div_ceil(u64::from(rate));
                assert_eq!(out.len() as u64, expected, "{rate} Hz, {frames} frames");
            }
        }
    }

    #[test]
    fn a_constant_level_stays_in_place() {
        // A DC level survives the low-pass filter unchanged, and the delay is trimmed: the
        // middle of the output is at the input's level.
        let (out, _) = run(48_000, &vec![0.25; 48_000], 4096);
        assert_eq!(out.len(), 8000);
        for &s in &out[1000..7000] {
            assert!((i32::from(s) - 8192).abs() <= 8, "{s}");
        }
    }

    #[test]
    fn overs_are_clamped_and_counted() {
        let (out, clipped) = run(8000, &[1.5, -1.5, 1.0, -1.0, 0.5], 5);
        assert_eq!(out, [32767, -32768, 32767, -32768, 16384]);
        // Full scale (±1.0) is not clipping, even though +1.0 is one step above i16::MAX.
        assert_eq!(clipped, 2);
    }
}
