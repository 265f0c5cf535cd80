//! ITU-T G.711 companding: 16-bit linear PCM to and from 8-bit µ-law (PCMU) and A-law (PCMA).
//!
//! The algorithms are those of the ITU-T G.191 Software Tools Library (`g711.c`), which is the
//! reference implementation of G.711: µ-law works on the 14 most significant bits of the sample,
//! A-law on the 13 most significant bits, and decoding returns the middle of each quantisation
//! interval scaled back to 16 bits. Every function is total: any input gives a defined output.

/// Largest biased µ-law magnitude (14-bit magnitude plus bias 33); G.711 clips above it.
const ULAW_MAX_BIASED: i32 = 0x1FFF;
/// µ-law bias added before segment search (G.711 Table 2a, 33 in 14-bit units).
const ULAW_BIAS: i32 = 33;

/// Encodes one 16-bit linear sample to a µ-law code (G.711 Table 2a, G.191 `ulaw_compress`).
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let sample = i32::from(sample);
    // One's complement for negative values (as G.191 does) keeps the magnitude range symmetric.
    let magnitude = if sample < 0 { !sample } else { sample };
    let biased = ((magnitude >> 2) + ULAW_BIAS).min(ULAW_MAX_BIASED);
    // Segment number: 1 + position of the highest set bit above the first 6 bits.
    let mut segment = 1;
    let mut rest = biased >> 6;
    while rest != 0 {
        segment += 1;
        rest >>= 1;
    }
    let high_nibble = 8 - segment;
    let low_nibble = 0x0F - ((biased >> segment) & 0x0F);
    let mut code = (high_nibble << 4) | low_nibble;
    if sample >= 0 {
        code |= 0x80;
    }
    // code is at most 0xFF by construction: high_nibble is 0..=7, low_nibble 0..=15, sign 0x80.
    (code & 0xFF) as u8
}

/// Decodes one µ-law code to a 16-bit linear sample (G.191 `ulaw_expand`).
pub fn ulaw_to_linear(code: u8) -> i16 {
    let inverted = !code;
    let exponent = i32::from((inverted >> 4) & 0x07);
    let mantissa = i32::from(inverted & 0x0F);
    let segment = exponent + 1;
    let step = 4 << segment;
    let magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * ULAW_BIAS;
    let value = if code < 0x80 { -magnitude } else { magnitude };
    // |value| <= 32124 for every code, so it always fits.
    value as i16
}

/// Encodes one 16-bit linear sample to an A-law code (G.711 Table 1a, G.191 `alaw_compress`).
pub fn linear_to_alaw(sample: i16) -> u8 {
    let sample = i32::from(sample);
    let mut ix = if sample < 0 {
        (!sample) >> 4
    } else {
        sample >> 4
    };
    if ix > 15 {
        let mut exponent = 1;
        while ix > 16 + 15 {
            ix >>= 1;
            exponent += 1;
        }
        ix -= 16;
        ix += exponent << 4;
    }
    if sample >= 0 {
        ix |= 0x80;
    }
    // Even bits are inverted on the line (G.711 section 2, "alternate digit inversion").
    ((ix ^ 0x55) & 0xFF) as u8
}

/// Decodes one A-law code to a 16-bit linear sample (G.191 `alaw_expand`).
pub fn alaw_to_linear(code: u8) -> i16 {
    let ix = i32::from(code ^ 0x55) & 0x7F;
    let exponent = ix >> 4;
    let mut mantissa = ix & 0x0F;
    if exponent > 0 {
        mantissa += 16;
    }
    mantissa = (mantissa << 4) + 0x08;
    if exponent > 1 {
        mantissa <<= exponent - 1;
    }
    let value = if code > 0x7F { mantissa } else { -mantissa };
    // |value| <= 32256 for every code, so it always fits.
    value as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_matches_reference_for_every_input() {
        for sample in i16::MIN..=i16::MAX {
            assert_eq!(
                linear_to_ulaw(sample),
                audio_codec_algorithms::encode_ulaw(sample),
                "µ-law encode of {sample}"
            );
        }
        for code in 0..=u8::MAX {
            assert_eq!(
                ulaw_to_linear(code),
                audio_codec_algorithms::decode_ulaw(code),
                "µ-law decode of {code:#04x}"
            );
        }
    }

    #[test]
    fn alaw_matches_reference_for_every_input() {
        for sample in i16::MIN..=i16::MAX {
            assert_eq!(
                linear_to_alaw(sample),
                audio_codec_algorithms::encode_alaw(sample),
                "A-law encode of {sample}"
            );
        }
        for code in 0..=u8::MAX {
            assert_eq!(
                alaw_to_linear(code),
                audio_codec_algorithms::decode_alaw(code),
                "A-law decode of {code:#04x}"
            );
        }
    }

    #[test]
    fn silence_codes() {
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(alaw_to_linear(0xD5), 8);
    }

    #[test]
    fn decode_then_encode_is_identity_on_codes() {
        for code in 0..=u8::MAX {
            assert_eq!(linear_to_alaw(alaw_to_linear(code)), code);
            // µ-law has two zeros (0x7F and 0xFF); both decode to 0, which encodes as 0xFF.
            if code != 0x7F {
                assert_eq!(linear_to_ulaw(ulaw_to_linear(code)), code);
            }
        }
    }
}
