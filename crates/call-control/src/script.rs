//! Replacing the IVR script while calls run.
//!
//! Each call's IVR session holds the script it started with (an `Arc`), so a call already in
//! the IVR finishes on its version; a call that arrives after [`CallControl::handle_script`]
//! starts on the new one. The ACD's queues are fixed when the engine starts (its journal and
//! the day's figures are kept per queue), so a script that sends callers to a queue the ACD
//! does not have is refused and the running script keeps serving.

use std::sync::Arc;

use ivr::Script;

use crate::CallControl;

/// Why a script was not activated. The running script is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptRefused {
    #[error(
        "{file}: queue `{queue}` is not one of the engine's queues ({known}); new queues take a restart"
    )]
    UnknownQueue {
        file: String,
        queue: String,
        known: String,
    },
}

/// What an activation changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptActivated {
    /// The file name the new script was parsed under.
    pub file: String,
    /// Calls still in the IVR on earlier versions (they finish on them).
    pub calls_on_earlier_versions: usize,
}

impl CallControl {
    /// Serve `script` to every call that arrives from now on. Calls already in the IVR keep the
    /// version they started with.
    pub fn handle_script(&mut self, script: Arc<Script>) -> Result<ScriptActivated, ScriptRefused> {
        let known: Vec<&str> = self
            .acd_config
            .queues
            .iter()
            .map(|q| q.name.0.as_str())
            .collect();
        if let Some(queue) = script
            .queues_used()
            .into_iter()
            .find(|q| !known.contains(&q.as_str()))
        {
            return Err(ScriptRefused::UnknownQueue {
                file: script.file().to_owned(),
                queue,
                known: known.join(", "),
            });
        }
        let calls_on_earlier_versions = self
            .calls
            .values()
            .filter(|c| matches!(c.phase, crate::call::Phase::Ivr { .. }))
            .count();
        let file = script.file().to_owned();
        self.script = script;
        Ok(ScriptActivated {
            file,
            calls_on_earlier_versions,
        })
    }

    /// The script new calls start on.
    pub fn script(&self) -> &Arc<Script> {
        &self.script
    }
}
