//! The audit of administrators' changes to the engine (prompts uploaded, replaced, deleted,
//! restored; IVR scripts activated, restored): who, when, what. Append only: nothing changes
//! or deletes a record. Part of [`crate::UserStore`], whose users make the changes.

use std::fmt;

use crate::StoreError;

/// Longest subject (a prompt's name, a version's id) and detail (what the engine said).
pub const SUBJECT_LEN: usize = 256;
pub const DETAIL_LEN: usize = 2048;
/// Most records one page lists.
pub const MAX_PAGE: u32 = 200;

/// What an administrator changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdminAction {
    /// A new prompt uploaded or recorded.
    PromptAdded,
    /// A prompt replaced by an upload or a recording.
    PromptReplaced,
    PromptDeleted,
    /// Prompts restored from a backup archive.
    PromptsRestored,
    /// An IVR script text activated.
    ScriptActivated,
    /// A kept IVR script version activated again.
    ScriptRestored,
}

impl AdminAction {
    pub const ALL: [AdminAction; 6] = [
        Self::PromptAdded,
        Self::PromptReplaced,
        Self::PromptDeleted,
        Self::PromptsRestored,
        Self::ScriptActivated,
        Self::ScriptRestored,
    ];

    /// The stored and wire name, e.g. `prompt_replaced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PromptAdded => "prompt_added",
            Self::PromptReplaced => "prompt_replaced",
            Self::PromptDeleted => "prompt_deleted",
            Self::PromptsRestored => "prompts_restored",
            Self::ScriptActivated => "script_activated",
            Self::ScriptRestored => "script_restored",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl fmt::Display for AdminAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminChange {
    /// The administrator's login.
    pub login: String,
    pub action: AdminAction,
    /// What it was made to: the prompt's name, the script's file, the version's id.
    pub subject: String,
    /// What the engine said it did, in words.
    pub detail: String,
}

impl AdminChange {
    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        if !crate::is_valid_login(&self.login) {
            return Err(StoreError::InvalidInput("login is not a valid login"));
        }
        if self.subject.len() > SUBJECT_LEN {
            return Err(StoreError::InvalidInput("subject is at most 256 bytes"));
        }
        if self.detail.len() > DETAIL_LEN {
            return Err(StoreError::InvalidInput("detail is at most 2048 bytes"));
        }
        Ok(())
    }
}

/// A recorded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminChangeRecord {
    /// Increasing in the order of recording.
    pub id: i64,
    /// When it was recorded (the store's clock), Unix ms.
    pub at_unix_ms: i64,
    pub login: String,
    pub action: AdminAction,
    pub subject: String,
    pub detail: String,
}

pub(crate) const INSERT_CHANGE: &str = "INSERT INTO admin_changes (at_unix_ms, login, action, \
     subject, detail) VALUES ($1, $2, $3, $4, $5) RETURNING id";

pub(crate) const CHANGES_PAGE: &str = "SELECT id, at_unix_ms, login, action, subject, detail \
     FROM admin_changes ORDER BY id DESC LIMIT $1 OFFSET $2";

pub(crate) type ChangeRow = (i64, i64, String, String, String, String);

pub(crate) fn from_row(row: ChangeRow) -> Result<AdminChangeRecord, StoreError> {
    let (id, at_unix_ms, login, action, subject, detail) = row;
    let action = AdminAction::from_name(&action).ok_or(StoreError::CorruptRow {
        column: "admin_changes.action",
        value: action,
    })?;
    Ok(AdminChangeRecord {
        id,
        at_unix_ms,
        login,
        action,
        subject,
        detail,
    })
}
