//! Prompt names: what an IVR script writes after `play` and what the file is called.

use std::fmt;

/// Longest prompt name, as in the IVR script language (`docs/ivr-scripts.md`, "Names").
pub const MAX_NAME_LEN: usize = 64;

/// A name a prompt can be installed under: 1 to 64 ASCII letters, digits, `_` and `-`, starting
/// with a letter or digit. These are the IVR script language's rules for names (the `ivr`
/// crate's parser; `tests/prompt_names.rs` at the repository root checks that the two agree),
/// so every installed prompt can be played by a script and every name a script plays can be
/// installed. They also keep a name a plain file name: no `/`, `\`, `.` or `..`, so a name
/// cannot reach outside the prompts directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PromptName(String);

impl PromptName {
    /// Checks `name` against the rules above.
    pub fn new(name: &str) -> Result<Self, InvalidName> {
        let mut chars = name.chars();
        let starts_well = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let ok = starts_well
            && name.len() <= MAX_NAME_LEN
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(InvalidName {
                found: name.to_owned(),
            })
        }
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The file the prompt is kept in: `welcome.wav`.
    pub fn file_name(&self) -> String {
        format!("{}.wav", self.0)
    }
}

impl fmt::Display for PromptName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PromptName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PromptName {
    type Err = InvalidName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// A prompt name that breaks the rules of [`PromptName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{found:?} is not a valid prompt name: use 1 to 64 letters, digits, `_` and `-`, starting with a letter or digit"
)]
pub struct InvalidName {
    /// The name refused.
    pub found: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_names_are_accepted() {
        for name in [
            "welcome",
            "digit_0",
            "main-menu",
            "0800",
            "A",
            &"x".repeat(64),
        ] {
            let parsed = PromptName::new(name).unwrap();
            assert_eq!(parsed.as_str(), name);
            assert_eq!(parsed.file_name(), format!("{name}.wav"));
        }
    }

    #[test]
    fn paths_and_odd_names_are_refused() {
        for name in [
            "",
            "../etc/passwd",
            "..",
            ".hidden",
            "a/b",
            "a\\b",
            "welcome.wav",
            "_private",
            "-flag",
            "with space",
            "è",
            "nul\0",
            &"x".repeat(65),
        ] {
            let error = PromptName::new(name).unwrap_err();
            assert_eq!(error.found, name);
            assert!(
                error.to_string().contains("is not a valid prompt name"),
                "{error}"
            );
        }
    }
}
