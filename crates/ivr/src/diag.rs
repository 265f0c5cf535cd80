//! What is wrong with a script, and where: every problem carries its file and line.

use std::fmt;

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The script works, but probably not as the administrator meant.
    Warning,
    /// The script is refused.
    Error,
}

/// One problem found in a script.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    // --- lexical
    #[error("unterminated quoted text: add the closing `\"`")]
    UnterminatedQuote,
    #[error("unknown keyword `{word}` {hint}")]
    UnknownKeyword { word: String, hint: &'static str },
    #[error("expected {expected}, found `{found}`")]
    Unexpected {
        expected: &'static str,
        found: String,
    },
    #[error("expected {expected} at the end of the line")]
    Missing { expected: &'static str },
    #[error("`{found}` is not a valid name: use letters, digits, `_` and `-`")]
    InvalidName { found: String },

    // --- blocks
    #[error("`{word}` must be inside a step or menu block")]
    OutsideBlock { word: String },
    #[error("`end` without an open block")]
    StrayEnd,
    #[error("block `{name}` opened at line {opened} has no `end`")]
    MissingEnd { name: String, opened: usize },
    #[error("`{name}` is already defined at line {first}")]
    DuplicateName { name: String, first: usize },
    #[error("no block named `start`: calls begin at `step start` or `menu start`")]
    MissingStart,

    // --- hours
    #[error(
        "`{found}` is not a day or day range: use mon, tue, wed, thu, fri, sat, sun, e.g. `mon-fri` or `mon,wed`"
    )]
    InvalidDays { found: String },
    #[error("`{found}` is not a time range: write `08:30-17:30` (hh:mm-hh:mm, 00:00 to 24:00)")]
    InvalidTimeRange { found: String },
    #[error(
        "opening time {open} is not before closing time {close}: split ranges that cross midnight"
    )]
    EmptyTimeRange { open: String, close: String },
    #[error("time ranges {first} and {second} overlap on {day}")]
    OverlappingRanges {
        first: String,
        second: String,
        day: &'static str,
    },
    #[error("`{found}` is not a date: write `MM-DD` for every year or `YYYY-MM-DD` for one day")]
    InvalidClosedDay { found: String },
    #[error("no public holidays known for `{code}` (known: `it`)")]
    UnknownHolidays { code: String },
    #[error("no hours named `{name}`")]
    UndefinedHours { name: String },

    // --- statements
    #[error("`{setting}` is set twice in this menu")]
    DuplicateSetting { setting: &'static str },
    #[error("`{found}` is not a duration: write e.g. `5s`, `1500ms` or `2m` ({min} to {max})")]
    InvalidDuration {
        found: String,
        min: &'static str,
        max: &'static str,
    },
    #[error("`{found}` is not a number from {min} to {max}")]
    InvalidNumber { found: String, min: u32, max: u32 },
    #[error("`{found}` is not a key: use 0-9, `*` (or `star`) and `hash` (or `\"#\"`)")]
    InvalidKey { found: String },
    #[error("key {key} is already used at line {first}")]
    DuplicateKey { key: char, first: usize },
    #[error("goto `{target}`: no step or menu is named `{target}`")]
    UndefinedTarget { target: String },
    #[error("menu `{name}` has no prompt: add `prompt NAME`")]
    MenuWithoutPrompt { name: String },
    #[error("menu `{name}` has no choices: add lines like `1 \"Label\" -> queue NAME`")]
    MenuWithoutChoices { name: String },
    #[error("menu `{name}` has no failure action: add `failure -> ...` for wrong or missing keys")]
    MenuWithoutFailure { name: String },
    #[error("`identify pin` needs `prompt NAME` to ask for the PIN")]
    PinWithoutPrompt,
    #[error(
        "step `{name}` can run past its last line: end it with goto, queue, voicemail or hangup"
    )]
    FallsOffEnd { name: String },
    #[error("the actions after `->` must end with goto, queue, voicemail or hangup")]
    ActionsDoNotLeave,
    #[error("`{word}` is not allowed after `->`: use a step and `goto` for it")]
    NotInline { word: &'static str },
    #[error("`if` cannot follow `->`: use a step and `goto` for it")]
    NestedIf,
    #[error("the call can loop forever without the caller pressing a key: {path}")]
    SilentLoop { path: String },

    // --- warnings
    #[error("this line is never reached: the line before always leaves")]
    UnreachableLine,
    #[error("block `{name}` is never reached from `start`")]
    UnreachableBlock { name: String },
    #[error("hours `{name}` are never used")]
    UnusedHours { name: String },
    #[error("sub-menu `{name}` hangs up on failure: route it to the area's default queue instead")]
    SubMenuFailureHangsUp { name: String },
}

/// A [`Problem`] at a line of a file. Displays as `file:line: reason`, with `warning: `
/// before the reason for warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    pub severity: Severity,
    pub problem: Problem,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.severity {
            Severity::Error => write!(f, "{}:{}: {}", self.file, self.line, self.problem),
            Severity::Warning => {
                write!(f, "{}:{}: warning: {}", self.file, self.line, self.problem)
            }
        }
    }
}

/// A refused script: every error found (and the warnings), sorted by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptErrors {
    pub(crate) file: String,
    pub(crate) errors: Vec<Diagnostic>,
    pub(crate) warnings: Vec<Diagnostic>,
}

impl ScriptErrors {
    pub fn file(&self) -> &str {
        &self.file
    }
    /// At least one error, sorted by line.
    pub fn errors(&self) -> &[Diagnostic] {
        &self.errors
    }
    /// Warnings found in the same pass, sorted by line.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

impl fmt::Display for ScriptErrors {
    /// One error per line, `file:line: reason`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScriptErrors {}
