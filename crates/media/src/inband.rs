//! DTMF heard in the audio itself ("in-band"), for callers whose phone or carrier does not
//! send RFC 4733 telephone events: old analogue lines behind a gateway, some mobile networks,
//! and any call whose SDP did not negotiate `telephone-event`.
//!
//! A Goertzel filter measures the eight DTMF frequencies in blocks of [`BLOCK`] samples
//! (12.75 ms at 8 kHz). A block holds a key when, as ITU-T Q.24 asks of a receiver:
//! - one low-group (697-941 Hz) and one high-group (1209-1633 Hz) frequency stand out, each
//!   at least [`MIN_TONE_POWER`] and well above the others of its group;
//! - the two tones carry most of the block's energy (speech and music spread theirs), so
//!   that talk is not taken for a key;
//! - the twist between them is within 8 dB (high group weaker) and 4 dB (high group
//!   stronger);
//! - tones 1.5% off their frequencies are heard; 5% off they fall outside the filters.
//!
//! A key is reported once, when two blocks in a row hold it: any tone of 40 ms (the Q.24
//! minimum) covers two whole blocks, one of 20 ms never does; the key must then be absent for
//! two blocks before the same key counts again. The same rules as the detectors of the
//! open-source PBXs, whose talk-off figures are known.
//!
//! Sans-IO: [`InbandDtmf::push`] takes the decoded linear samples of each packet, whatever
//! their size, and returns the keys completed in them.

/// Samples per analysis block at 8 kHz (12.75 ms): the filters' main lobes (78 Hz) keep the
/// neighbouring DTMF frequencies (73 Hz apart, at the lobe's first null) apart while
/// taking a tone a little off its frequency.
pub const BLOCK: usize = 102;

/// The sample rate the detector works at.
pub const SAMPLE_RATE: f32 = 8000.0;

const LOW: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
const HIGH: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// The least energy per block (sum of squared samples) a tone may carry: a sine of
/// amplitude 300 (about -41 dBFS, well under the -25 dBm0 a DTMF receiver must take)
/// over a block.
pub const MIN_TONE_POWER: f32 = 300.0 * 300.0 / 2.0 * BLOCK as f32;

/// The two tones' share of the block's energy at least.
const PURITY: f32 = 0.75;
/// Each tone stands at least this far (power ratio, 8 dB) above the others of its group.
const GROUP_MARGIN: f32 = 6.3;
/// High group at most 4 dB above the low group (reverse twist).
const MAX_REVERSE_TWIST: f32 = 2.51;
/// High group at most 8 dB below the low group (normal twist).
const MAX_NORMAL_TWIST: f32 = 6.31;

/// The two frequencies (low group, high group) of a DTMF key (`0-9`, `*`, `#`, `A-D`).
pub fn frequencies(key: char) -> Option<(f32, f32)> {
    KEYS.iter().enumerate().find_map(|(row, keys)| {
        keys.iter()
            .position(|&k| k == key)
            .map(|col| (LOW[row], HIGH[col]))
    })
}

/// The in-band DTMF detector of one audio stream.
#[derive(Debug, Clone)]
pub struct InbandDtmf {
    block: Vec<f32>,
    /// The key of the last block, and of the one before it.
    last: Option<char>,
    /// The key reported and not yet released.
    held: Option<char>,
    /// Blocks in a row without `held`.
    absent: u8,
    coefficients: [f32; 8],
}

impl Default for InbandDtmf {
    fn default() -> Self {
        Self::new()
    }
}

impl InbandDtmf {
    pub fn new() -> Self {
        let mut coefficients = [0.0; 8];
        for (c, f) in coefficients.iter_mut().zip(LOW.iter().chain(HIGH.iter())) {
            *c = 2.0 * (2.0 * std::f32::consts::PI * f / SAMPLE_RATE).cos();
        }
        Self {
            block: Vec::with_capacity(BLOCK),
            last: None,
            held: None,
            absent: 0,
            coefficients,
        }
    }

    /// Feeds linear 8 kHz samples; returns the keys that completed in them, in order.
    pub fn push(&mut self, samples: &[i16]) -> Vec<char> {
        let mut keys = Vec::new();
        for &s in samples {
            self.block.push(f32::from(s));
            if self.block.len() == BLOCK {
                let key = self.classify();
                self.block.clear();
                if let Some(k) = self.step(key) {
                    keys.push(k);
                }
            }
        }
        keys
    }

    /// Forgets a half-heard key (the stream was interrupted, or changed source).
    pub fn reset(&mut self) {
        self.block.clear();
        self.last = None;
        self.held = None;
        self.absent = 0;
    }

    fn step(&mut self, key: Option<char>) -> Option<char> {
        let previous = std::mem::replace(&mut self.last, key);
        if let Some(held) = self.held {
            if key == Some(held) {
                self.absent = 0;
                return None;
            }
            self.absent += 1;
            if self.absent < 2 {
                return None;
            }
            self.held = None;
            self.absent = 0;
        }
        match key {
            Some(k) if previous == Some(k) => {
                self.held = Some(k);
                Some(k)
            }
            _ => None,
        }
    }

    /// The key this block holds, if any.
    fn classify(&self) -> Option<char> {
        let energy: f32 = self.block.iter().map(|x| x * x).sum();
        let mut power = [0.0_f32; 8];
        for (p, &coefficient) in power.iter_mut().zip(&self.coefficients) {
            *p = goertzel_power(&self.block, coefficient);
        }
        let (low, high) = power.split_at(4);
        let strongest = |group: &[f32]| {
            let (index, &best) = group
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .expect("four frequencies");
            let stands_out = group
                .iter()
                .enumerate()
                .all(|(i, &p)| i == index || p * GROUP_MARGIN <= best);
            (index, best, stands_out)
        };
        let (row, row_power, row_alone) = strongest(low);
        let (col, col_power, col_alone) = strongest(high);
        let accepted = row_alone
            && col_alone
            && row_power >= MIN_TONE_POWER
            && col_power >= MIN_TONE_POWER
            && row_power + col_power >= PURITY * energy
            && col_power <= row_power * MAX_REVERSE_TWIST
            && row_power <= col_power * MAX_NORMAL_TWIST;
        accepted.then(|| KEYS[row][col])
    }
}

/// The energy a sine at the filter's frequency contributes to `block` (Goertzel), scaled so
/// that a pure sine of amplitude `a` over the block gives about `a² / 2 × len`, the same
/// scale as the block's energy.
fn goertzel_power(block: &[f32], coefficient: f32) -> f32 {
    let (mut s1, mut s2) = (0.0_f32, 0.0_f32);
    for &x in block {
        let s0 = x + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let magnitude_squared = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    magnitude_squared * 2.0 / block.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Codec;

    /// `ms` milliseconds of the key's two tones (amplitude of each), through `codec` and back,
    /// as a caller's packets carry them.
    fn tone(low: f32, high: f32, amplitude: f32, ms: usize, codec: Codec) -> Vec<i16> {
        let n = ms * 8;
        let samples: Vec<i16> = (0..n)
            .map(|i| {
                let t = i as f32 / SAMPLE_RATE;
                let v = amplitude * (2.0 * std::f32::consts::PI * low * t).sin()
                    + amplitude * (2.0 * std::f32::consts::PI * high * t).sin();
                v as i16
            })
            .collect();
        codec.decode(&codec.encode(&samples))
    }

    fn freqs(key: char) -> (f32, f32) {
        frequencies(key).expect("a DTMF key")
    }

    fn silence(ms: usize) -> Vec<i16> {
        vec![0; ms * 8]
    }

    /// Feeds `samples` in 20 ms packets, as RTP brings them.
    fn detect(samples: &[i16]) -> String {
        let mut detector = InbandDtmf::new();
        samples
            .chunks(160)
            .flat_map(|packet| detector.push(packet))
            .collect()
    }

    #[test]
    fn every_key_is_heard_once_through_either_law() {
        for codec in [Codec::Pcmu, Codec::Pcma] {
            let mut audio = silence(100);
            for key in "1234567890*#ABCD".chars() {
                let (low, high) = freqs(key);
                audio.extend(tone(low, high, 6000.0, 80, codec));
                audio.extend(silence(60));
            }
            assert_eq!(detect(&audio), "1234567890*#ABCD", "{codec:?}");
        }
    }

    #[test]
    fn a_40_ms_key_is_heard_whatever_its_alignment_with_the_blocks() {
        let (low, high) = freqs('7');
        for offset in 0..BLOCK {
            let mut audio = silence(0);
            audio.extend(vec![0; offset]);
            audio.extend(tone(low, high, 6000.0, 40, Codec::Pcmu));
            audio.extend(silence(40));
            assert_eq!(detect(&audio), "7", "offset {offset}");
        }
    }

    #[test]
    fn a_long_press_is_one_key_and_a_repeat_after_a_pause_is_another() {
        let (low, high) = freqs('5');
        let mut audio = tone(low, high, 6000.0, 600, Codec::Pcmu);
        audio.extend(silence(60));
        audio.extend(tone(low, high, 6000.0, 60, Codec::Pcmu));
        assert_eq!(detect(&audio), "55");
    }

    #[test]
    fn tones_too_short_too_quiet_or_off_frequency_are_not_keys() {
        let (low, high) = freqs('8');
        // 20 ms: half the 40 ms a key lasts at least.
        let mut short = silence(40);
        short.extend(tone(low, high, 6000.0, 20, Codec::Pcmu));
        short.extend(silence(40));
        assert_eq!(detect(&short), "");
        // About -50 dBFS.
        assert_eq!(detect(&tone(low, high, 100.0, 200, Codec::Pcmu)), "");
        // 5% off both frequencies: refused; 1.5% off: heard.
        assert_eq!(
            detect(&tone(low * 1.05, high * 1.05, 6000.0, 200, Codec::Pcmu)),
            ""
        );
        assert_eq!(
            detect(&tone(low * 1.015, high * 0.985, 6000.0, 200, Codec::Pcmu)),
            "8"
        );
    }

    #[test]
    fn twist_beyond_the_limits_is_refused() {
        let (low, high) = freqs('0');
        let two = |low_amp: f32, high_amp: f32| -> Vec<i16> {
            (0..1600)
                .map(|i| {
                    let t = i as f32 / SAMPLE_RATE;
                    (low_amp * (2.0 * std::f32::consts::PI * low * t).sin()
                        + high_amp * (2.0 * std::f32::consts::PI * high * t).sin())
                        as i16
                })
                .collect()
        };
        // High group 6 dB weaker (normal twist, allowed), 12 dB weaker (refused),
        // 3 dB stronger (allowed), 6 dB stronger (refused).
        assert_eq!(detect(&two(8000.0, 4000.0)), "0");
        assert_eq!(detect(&two(8000.0, 2000.0)), "");
        assert_eq!(detect(&two(5000.0, 7000.0)), "0");
        assert_eq!(detect(&two(4000.0, 8000.0)), "");
    }

    #[test]
    fn single_tones_noise_and_speech_like_sound_are_not_keys() {
        // Italian dial tone (425 Hz), one DTMF frequency alone, and white noise.
        let single = |f: f32| -> Vec<i16> {
            (0..8000)
                .map(|i| {
                    (8000.0 * (2.0 * std::f32::consts::PI * f * i as f32 / SAMPLE_RATE).sin())
                        as i16
                })
                .collect()
        };
        assert_eq!(detect(&single(425.0)), "");
        assert_eq!(detect(&single(770.0)), "");
        assert_eq!(detect(&single(1336.0)), "");
        let mut seed = 0x2545_f491_u32;
        let noise: Vec<i16> = (0..16_000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed >> 16) as i16 / 4
            })
            .collect();
        assert_eq!(detect(&noise), "");
        // A key under loud noise of the whole band is refused too (not pure enough).
        let (low, high) = freqs('3');
        let mixed: Vec<i16> = tone(low, high, 2000.0, 200, Codec::Pcmu)
            .iter()
            .zip(&noise)
            .map(|(a, b)| a.saturating_add(*b))
            .collect();
        assert_eq!(detect(&mixed), "");
        // A vowel-like harmonic series (120 Hz voice): many harmonics land near DTMF
        // frequencies, but none stands alone with a partner.
        let vowel: Vec<i16> = (0..8000)
            .map(|i| {
                let t = i as f32 / SAMPLE_RATE;
                (1..=25)
                    .map(|h| {
                        3000.0 / h as f32
                            * (2.0 * std::f32::consts::PI * 120.0 * h as f32 * t).sin()
                    })
                    .sum::<f32>() as i16
            })
            .collect();
        assert_eq!(detect(&vowel), "");
    }

    #[test]
    fn packets_of_any_size_give_the_same_keys() {
        let mut audio = silence(30);
        for key in "19#".chars() {
            let (low, high) = freqs(key);
            audio.extend(tone(low, high, 5000.0, 70, Codec::Pcma));
            audio.extend(silence(70));
        }
        for size in [1, 80, 160, 240, 333, 1000] {
            let mut detector = InbandDtmf::new();
            let keys: String = audio
                .chunks(size)
                .flat_map(|chunk| detector.push(chunk))
                .collect();
            assert_eq!(keys, "19#", "packets of {size} samples");
        }
    }
}
