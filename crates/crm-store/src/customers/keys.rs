//! The forms the store derives to find customers by: search keys for names, the range that
//! turns a prefix search into an index scan, and the key a phone number is matched by.

use common::phone::{CallerNumber, NumberKind, NumberingPlan};

/// The form a name is searched by: lower case, the accented letters of Italian and its
/// neighbours folded to their base letter, runs of spaces made one.
pub(crate) fn search_key(value: &str) -> String {
    let mut key = String::with_capacity(value.len());
    let mut pending_space = false;
    for c in value.trim().chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space {
            key.push(' ');
            pending_space = false;
        }
        key.extend(c.to_lowercase().map(fold_accent));
    }
    key
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        _ => c,
    }
}

/// The smallest string greater than every string that starts with `prefix`, in code point
/// order (which is UTF-8 byte order: SQLite's `BINARY` and PostgreSQL's `"C"` collation).
/// A prefix search becomes the index range `key >= prefix AND key < upper_bound(prefix)`.
/// `None` only for a prefix made of U+10FFFF alone.
pub(crate) fn upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match u32::from(last) + 1 {
            // Skip the surrogates, which are not characters.
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// What a phone number is looked up by: its E.164 form, or for a number that cannot be made
/// international its digits (and `*`, `#`) without scheme, parameters or separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PhoneKey {
    pub(crate) e164: Option<String>,
    pub(crate) key: String,
}

pub(crate) fn phone_key(input: &str, plan: &NumberingPlan) -> Option<PhoneKey> {
    let number = CallerNumber::normalise(input, plan);
    match number.kind() {
        NumberKind::E164 => number.e164().map(|e164| PhoneKey {
            e164: Some(e164.to_owned()),
            key: e164.to_owned(),
        }),
        NumberKind::Local => {
            let raw = number.raw();
            let without_scheme = match raw.get(..4) {
                Some(scheme) if scheme.eq_ignore_ascii_case("tel:") => &raw[4..],
                _ => raw,
            };
            let number_part = without_scheme.split(';').next().unwrap_or_default();
            let key: String = number_part
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '*' || *c == '#')
                .collect();
            (!key.is_empty()).then_some(PhoneKey { e164: None, key })
        }
        NumberKind::Withheld | NumberKind::Invalid => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_keys_fold_case_accents_and_spaces() {
        assert_eq!(search_key("  Nicolò   DELL'ACQUA "), "nicolo dell'acqua");
        assert_eq!(search_key("Àlvaro Núñez"), "alvaro nunez");
        assert_eq!(search_key(""), "");
    }

    #[test]
    fn upper_bounds_close_every_prefix_range() {
        assert_eq!(upper_bound("ros").as_deref(), Some("rot"));
        assert_eq!(upper_bound("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(upper_bound("\u{10FFFF}"), None);
        let from = "rossi";
        let until = upper_bound(from).unwrap_or_default();
        for inside in ["rossi", "rossi mario", "rossini", "rossi\u{10FFFF}"] {
            assert!(inside >= from && inside < until.as_str(), "{inside}");
        }
        for outside in ["ross", "rossj", "rot"] {
            assert!(!(outside >= from && outside < until.as_str()), "{outside}");
        }
    }

    #[test]
    fn phone_keys_are_e164_or_the_digits_of_local_numbers() {
        let plan = NumberingPlan::italy();
        for input in [
            "055 1234567",
            "+39 055 1234567",
            "0039 055 1234567",
            "tel:+39-055-1234567",
        ] {
            let key = phone_key(input, &plan).expect("a number");
            assert_eq!(key.key, "+390551234567", "{input}");
            assert_eq!(key.e164.as_deref(), Some("+390551234567"));
        }
        let extension = phone_key("tel:70-42;phone-context=example.com", &plan).expect("local");
        assert_eq!(
            extension,
            PhoneKey {
                e164: None,
                key: "7042".into()
            }
        );
        assert_eq!(
            phone_key("*31#", &plan).map(|k| k.key).as_deref(),
            Some("*31#")
        );
        assert_eq!(phone_key("anonymous", &plan), None);
        assert_eq!(phone_key("alice", &plan), None);
    }
}
