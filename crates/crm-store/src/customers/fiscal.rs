//! Italian fiscal identifiers: the codice fiscale of a person and the partita IVA (VAT number)
//! of an organisation, checked for shape and check character before they are stored.
//!
//! The rules are those of the Agenzia delle Entrate: DM 12 marzo 1974 n. 2227 for the
//! 16-character codice fiscale (with the omocodia substitutions of later decrees), and DPR
//! 633/1972 art. 35 for the 11-digit partita IVA, whose last digit is a Luhn-style check.
//! A numeric codice fiscale (11 digits) is the form given to organisations and, provisionally,
//! to some persons: it follows the partita IVA rule.

/// Why an identifier was refused (said to the operator who typed it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FiscalError {
    Length,
    Characters,
    Month,
    Day,
    CheckCharacter,
}

impl FiscalError {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            FiscalError::Length => "wrong length",
            FiscalError::Characters => "unexpected character",
            FiscalError::Month => "no such month letter",
            FiscalError::Day => "no such day of birth",
            FiscalError::CheckCharacter => "check character does not match",
        }
    }
}

/// Upper-cases and drops spaces: operators type `rss mra 80a01 h501u`.
fn compact(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A codice fiscale in its stored form (upper case, no spaces), or why it is not one.
pub(crate) fn tax_code(input: &str) -> Result<String, FiscalError> {
    let code = compact(input);
    match code.len() {
        16 => personal_tax_code(&code)?,
        11 => numeric_check(&code)?,
        _ => return Err(FiscalError::Length),
    }
    Ok(code)
}

/// A partita IVA in its stored form (11 digits; an `IT` prefix and spaces are dropped).
pub(crate) fn vat_number(input: &str) -> Result<String, FiscalError> {
    let code = compact(input);
    let digits = code.strip_prefix("IT").unwrap_or(&code);
    if digits.len() != 11 {
        return Err(FiscalError::Length);
    }
    numeric_check(digits)?;
    Ok(digits.to_owned())
}

/// Months of birth, January to December.
const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";

/// Letters that stand for the digits 0 to 9 where two persons would get the same code
/// (omocodia).
const OMOCODE: &[u8; 10] = b"LMNPQRSTUV";

/// Positions of the 16-character form that hold digits (or their omocode letters).
const DIGIT_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];

fn personal_tax_code(code: &str) -> Result<(), FiscalError> {
    let bytes = code.as_bytes();
    let mut digits = [0u8; 16];
    for (i, &b) in bytes.iter().enumerate() {
        if DIGIT_POSITIONS.contains(&i) {
            digits[i] = match b {
                b'0'..=b'9' => b - b'0',
                _ => match OMOCODE.iter().position(|&l| l == b) {
                    // The position of a byte in a 10-byte table always fits.
                    Some(d) => u8::try_from(d).map_err(|_| FiscalError::Characters)?,
                    None => return Err(FiscalError::Characters),
                },
            };
        } else if !b.is_ascii_uppercase() {
            return Err(FiscalError::Characters);
        }
    }
    if !MONTHS.contains(&bytes[8]) {
        return Err(FiscalError::Month);
    }
    // Women have 40 added to the day of birth.
    let day = digits[9] * 10 + digits[10];
    if !(1..=31).contains(&day) && !(41..=71).contains(&day) {
        return Err(FiscalError::Day);
    }
    if check_letter(&bytes[..15]) != bytes[15] {
        return Err(FiscalError::CheckCharacter);
    }
    Ok(())
}

/// Values of the characters in odd positions (1st, 3rd, ..., counting from one), for the
/// digits and the letters alike: `0` and `A` are 1, `1` and `B` are 0, and so on.
const ODD_VALUES: [u8; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

fn check_letter(first_fifteen: &[u8]) -> u8 {
    let mut sum: u32 = 0;
    for (i, &b) in first_fifteen.iter().enumerate() {
        let index = if b.is_ascii_digit() {
            b - b'0'
        } else {
            b - b'A'
        };
        sum += u32::from(if i % 2 == 0 {
            ODD_VALUES[usize::from(index)]
        } else {
            index
        });
    }
    // `sum % 26` is below 26, so the letter is in `A..=Z`.
    b'A' + u8::try_from(sum % 26).unwrap_or(0)
}

/// The check digit rule of the partita IVA (also that of a numeric codice fiscale).
fn numeric_check(digits: &str) -> Result<(), FiscalError> {
    if digits.len() != 11 {
        return Err(FiscalError::Length);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FiscalError::Characters);
    }
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let mut sum = 0;
    for (i, &digit) in d[..10].iter().enumerate() {
        sum += if i % 2 == 0 {
            digit
        } else {
            let doubled = digit * 2;
            if doubled > 9 { doubled - 9 } else { doubled }
        };
    }
    if (10 - sum % 10) % 10 == d[10] {
        Ok(())
    } else {
        Err(FiscalError::CheckCharacter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_shaped_tax_codes_pass_and_are_compacted() {
        assert_eq!(
            tax_code("RSSMRA80A01H501U").as_deref(),
            Ok("RSSMRA80A01H501U")
        );
        assert_eq!(
            tax_code(" rss mra 80a01 h501u ").as_deref(),
            Ok("RSSMRA80A01H501U")
        );
        // A woman born on the 41st - 40 = 1st.
        let woman = format!(
            "RSSMRA80A41H501{}",
            char::from(check_letter(b"RSSMRA80A41H501"))
        );
        assert_eq!(tax_code(&woman), Ok(woman.clone()));
        // Omocodia: the last digit 1 of the municipality code becomes M.
        let omocode = format!(
            "RSSMRA80A01H50M{}",
            char::from(check_letter(b"RSSMRA80A01H50M"))
        );
        assert_eq!(tax_code(&omocode), Ok(omocode.clone()));
    }

    #[test]
    fn malformed_tax_codes_say_why() {
        assert_eq!(tax_code("RSSMRA80A01H501"), Err(FiscalError::Length));
        assert_eq!(
            tax_code("RSSMRA80A01H501V"),
            Err(FiscalError::CheckCharacter)
        );
        assert_eq!(tax_code("RSSMRA80Z01H501U"), Err(FiscalError::Month));
        assert_eq!(tax_code("RSSMRA80A32H501U"), Err(FiscalError::Day));
        assert_eq!(tax_code("RSSMRA80A00H501U"), Err(FiscalError::Day));
        assert_eq!(tax_code("R5SMRA80A01H501U"), Err(FiscalError::Characters));
        assert_eq!(tax_code("RSSMRA8XA01H501U"), Err(FiscalError::Characters));
        assert_eq!(tax_code("RSSMRA80A01H501è"), Err(FiscalError::Length));
        assert_eq!(tax_code(""), Err(FiscalError::Length));
    }

    #[test]
    fn numeric_tax_codes_follow_the_vat_rule() {
        assert_eq!(tax_code("12345678903").as_deref(), Ok("12345678903"));
        assert_eq!(tax_code("12345678904"), Err(FiscalError::CheckCharacter));
    }

    #[test]
    fn vat_numbers_have_eleven_digits_and_a_check_digit() {
        assert_eq!(vat_number("12345678903").as_deref(), Ok("12345678903"));
        assert_eq!(vat_number("IT 12345678903").as_deref(), Ok("12345678903"));
        assert_eq!(vat_number("it12345678903").as_deref(), Ok("12345678903"));
        assert_eq!(vat_number("00000000000").as_deref(), Ok("00000000000"));
        assert_eq!(vat_number("12345678900"), Err(FiscalError::CheckCharacter));
        assert_eq!(vat_number("1234567890"), Err(FiscalError::Length));
        assert_eq!(vat_number("1234567890A"), Err(FiscalError::Characters));
        assert_eq!(vat_number("DE123456789"), Err(FiscalError::Characters));
    }

    #[test]
    fn every_single_digit_change_breaks_the_vat_check() {
        let good = b"12345678903";
        for i in 0..11 {
            for d in b'0'..=b'9' {
                if d == good[i] {
                    continue;
                }
                let mut changed = *good;
                changed[i] = d;
                let text = std::str::from_utf8(&changed).unwrap_or_default();
                assert_eq!(vat_number(text), Err(FiscalError::CheckCharacter), "{text}");
            }
        }
    }
}
