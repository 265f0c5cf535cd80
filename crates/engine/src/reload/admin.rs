//! Administrators' changes to the engine's prompts and IVR script, asked from the CRM's pages
//! over the command link (`AdminCommand`). The live-reload watcher ([`super::watch`]) owns the
//! files and the running script, so it serves these requests between its checks: a change is
//! validated, written atomically and activated at once (the next caller hears or follows it),
//! and the answer says what was done, or why not while the previous version keeps serving.

use std::path::Path;

use cti_proto::v1 as proto;
use prompts::{ImportLimits, PromptDir, PromptName, archive};
use tokio::sync::oneshot;

use super::versions;

/// An administrator's command on its way to the watcher, with where its answer goes.
pub type Request = (proto::admin_command::Action, oneshot::Sender<Answer>);

/// Done with what to show, or refused with why (and, for a script, its problems).
pub type Answer = Result<proto::AdminAnswer, Refused>;

/// Longest script text an administrator activates.
pub const MAX_SCRIPT_BYTES: usize = 256 * 1024;

/// A refusal: the reason in words, and what else to show (a script's problems by line).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Refused {
    pub reason: String,
    pub answer: Box<proto::AdminAnswer>,
}

impl Refused {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            answer: Box::default(),
        }
    }
}

/// What the blocking part of a request leaves to do: nothing more (its answer), or a valid
/// script to hand to the call-control core.
pub(super) enum Step {
    Answer(Answer),
    Activate {
        script: std::sync::Arc<ivr::Script>,
        text: String,
        /// What was done, in words, once activated.
        summary: String,
    },
}

/// The limits of an administrator's upload: the wire's, and the import's own.
pub fn upload_limits() -> ImportLimits {
    ImportLimits {
        max_input_bytes: cti_proto::MAX_UPLOAD_BYTES as u64,
        ..ImportLimits::default()
    }
}

fn name(raw: &str) -> Result<PromptName, Refused> {
    PromptName::new(raw).map_err(|e| Refused::new(e.to_string()))
}

/// The problems of a refused script, one per line of `problems` (as `validate` says them:
/// `file:line: reason` or `file: reason`), with their line numbers.
pub fn script_problems(file: &str, problems: &str) -> Vec<proto::ScriptProblem> {
    problems
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|text| {
            let line = text
                .strip_prefix(file)
                .and_then(|rest| rest.strip_prefix(':'))
                .and_then(|rest| rest.split_once(':'))
                .and_then(|(n, _)| n.parse::<u32>().ok())
                .unwrap_or(0);
            proto::ScriptProblem {
                line,
                text: text.to_owned(),
            }
        })
        .collect()
}

/// `welcome: mp3, 44100 Hz stereo, 2.10 s → 8000 Hz mono, 2.10 s, peak -3.2 dBFS`.
fn import_summary(name: &PromptName, imported: &prompts::Imported, replaced: bool) -> String {
    let source = &imported.source;
    let channels = match source.channels {
        1 => "mono".to_owned(),
        2 => "stereo".to_owned(),
        n => format!("{n} channels"),
    };
    let peak = match imported.peak_dbfs() {
        Some(db) => format!("peak {db:.1} dBFS"),
        None => "silent".to_owned(),
    };
    let mut summary = format!(
        "{name} {}: {}, {} Hz {channels}, {:.2} s, converted to 8000 Hz mono ({peak})",
        if replaced { "replaced" } else { "added" },
        source.format,
        source.sample_rate,
        imported.duration().as_secs_f64(),
    );
    for warning in &imported.warnings {
        summary.push_str(&format!("; warning: {warning}"));
    }
    summary
}

impl super::State {
    /// Why `name` cannot go: the lines of the running script that play it, or the engine's
    /// own use of it.
    fn in_use_reason(&self, name: &str) -> Option<String> {
        if !self.in_use(name) {
            return None;
        }
        let file = self.paths.script.display().to_string();
        let lines = crate::assets::lines_playing(&file, &self.running_text, name);
        Some(if lines.is_empty() {
            format!(
                "prompt {name} is in use: the engine or the active script plays it; it cannot be deleted"
            )
        } else {
            let lines: Vec<String> = lines.iter().map(|l| format!("{file}:{l}")).collect();
            format!(
                "prompt {name} is in use: the active script plays it ({}); change the script first",
                lines.join(", ")
            )
        })
    }

    fn prompt_list(&self) -> Result<Vec<proto::PromptInfo>, Refused> {
        let listed = PromptDir::new(&self.paths.prompts)
            .list()
            .map_err(|e| Refused::new(e.to_string()))?;
        Ok(listed
            .into_iter()
            .map(|p| proto::PromptInfo {
                in_use: self.in_use(&p.name),
                duration_ms: p
                    .status
                    .as_ref()
                    .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                problem: match (&p.status, p.playable_name) {
                    (Err(e), _) => e.to_string(),
                    (Ok(_), false) => "not a name a script can play".to_owned(),
                    (Ok(_), true) => String::new(),
                },
                name: p.name,
            })
            .collect())
    }

    fn version_list(&self) -> Result<Vec<proto::ScriptVersion>, Refused> {
        let kept = versions::list(&self.paths.versions)
            .map_err(|e| Refused::new(format!("{}: {e}", self.paths.versions.display())))?;
        Ok(kept
            .into_iter()
            .rev()
            .map(|v| {
                let text = std::fs::read_to_string(&v.path).unwrap_or_default();
                proto::ScriptVersion {
                    id: v.id(),
                    activated_unix_ms: v.activated_unix_ms,
                    lines: u32::try_from(text.lines().count()).unwrap_or(u32::MAX),
                    active: text == self.running_text,
                }
            })
            .collect())
    }

    /// A script's text checked as the engine's reload and `centralino check-ivr` check it.
    fn check_text(&self, text: &str) -> Result<ivr::Script, Refused> {
        if text.len() > MAX_SCRIPT_BYTES {
            return Err(Refused::new(format!(
                "the script is {} bytes, more than the {MAX_SCRIPT_BYTES} allowed",
                text.len()
            )));
        }
        let path = &self.paths.script;
        super::validate(path, text, &self.paths.prompts).map_err(|problems| {
            let problems = script_problems(&path.display().to_string(), &problems);
            Refused {
                reason: format!(
                    "the script has {} problem{}: the running version keeps serving",
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                ),
                answer: Box::new(proto::AdminAnswer {
                    problems,
                    ..Default::default()
                }),
            }
        })
    }

    /// The blocking part of `action`: reading and writing files, decoding audio.
    pub(super) fn admin(&mut self, action: proto::admin_command::Action) -> Step {
        use proto::admin_command::Action as A;
        let dir = PromptDir::new(&self.paths.prompts);
        let done = |summary: String| proto::AdminAnswer {
            summary,
            ..Default::default()
        };
        let answer = match action {
            A::ListPrompts(_) => self.prompt_list().map(|prompts| proto::AdminAnswer {
                prompts,
                ..Default::default()
            }),
            A::FetchPrompt(raw) => name(&raw).and_then(|name| {
                let path = dir
                    .find(name.as_str())
                    .map_err(|e| Refused::new(e.to_string()))?
                    .ok_or_else(|| Refused::new(format!("there is no prompt {name}")))?;
                let data = read_bounded(&path, cti_proto::MAX_ARCHIVE_BYTES)?;
                Ok(proto::AdminAnswer {
                    data,
                    ..Default::default()
                })
            }),
            A::PutPrompt(put) => name(&put.name).and_then(|name| {
                let imported = prompts::import(&put.audio, &upload_limits()).map_err(|e| {
                    Refused::new(format!(
                        "{name} not installed: {e}; the previous version (if any) keeps playing"
                    ))
                })?;
                let installed = dir.install(&name, &imported.samples).map_err(|e| {
                    Refused::new(format!(
                        "{name} not installed: {e}; the previous version (if any) keeps playing"
                    ))
                })?;
                self.check_prompts();
                Ok(done(import_summary(&name, &imported, installed.replaced)))
            }),
            A::DeletePrompt(raw) => name(&raw).and_then(|name| {
                if let Some(why) = self.in_use_reason(name.as_str()) {
                    return Err(Refused::new(why));
                }
                match dir.remove(&name) {
                    Ok(true) => {
                        self.check_prompts();
                        Ok(done(format!("{name} deleted")))
                    }
                    Ok(false) => Err(Refused::new(format!("there is no prompt {name}"))),
                    Err(e) => Err(Refused::new(e.to_string())),
                }
            }),
            A::BackupPrompts(_) => archive::backup(&dir, cti_proto::MAX_ARCHIVE_BYTES as u64)
                .map(|data| proto::AdminAnswer {
                    data,
                    ..Default::default()
                })
                .map_err(|e| Refused::new(format!("no backup: {e}"))),
            A::RestorePrompts(bytes) => {
                match archive::restore(&dir, &bytes, cti_proto::MAX_ARCHIVE_BYTES as u64) {
                    Ok(restored) => {
                        self.check_prompts();
                        Ok(done(format!(
                            "restored {} prompts: added {}; replaced {}",
                            restored.added.len() + restored.replaced.len(),
                            none_or_list(&restored.added),
                            none_or_list(&restored.replaced)
                        )))
                    }
                    Err(e @ archive::ArchiveError::Install { .. }) => {
                        self.check_prompts();
                        Err(Refused::new(format!("restore stopped part-way: {e}")))
                    }
                    Err(e) => Err(Refused::new(format!(
                        "archive refused, no prompt changed: {e}"
                    ))),
                }
            }
            A::GetScript(_) => Ok(proto::AdminAnswer {
                script: self.running_text.clone(),
                script_file: self.paths.script.display().to_string(),
                ..Default::default()
            }),
            A::CheckScript(text) => self
                .check_text(&text)
                .map(|_| done("no problems: the script can be activated".to_owned())),
            A::ActivateScript(text) => {
                return match self.check_text(&text) {
                    Ok(script) => Step::Activate {
                        script: std::sync::Arc::new(script),
                        text,
                        summary: "script activated: the next caller follows it; calls in the IVR finish on their version".to_owned(),
                    },
                    Err(refused) => Step::Answer(Err(refused)),
                };
            }
            A::ListVersions(_) => self.version_list().map(|versions| proto::AdminAnswer {
                versions,
                ..Default::default()
            }),
            A::RestoreVersion(id) => {
                let found = versions::find(&self.paths.versions, &id)
                    .map_err(|e| Refused::new(format!("{}: {e}", self.paths.versions.display())))
                    .and_then(|v| {
                        v.ok_or_else(|| Refused::new(format!("there is no kept version {id}")))
                    })
                    .and_then(|v| {
                        std::fs::read_to_string(&v.path).map_err(|e| {
                            Refused::new(format!("{}: cannot read: {e}", v.path.display()))
                        })
                    });
                return match found.and_then(|text| Ok((self.check_text(&text)?, text))) {
                    Ok((script, text)) => Step::Activate {
                        script: std::sync::Arc::new(script),
                        text,
                        summary: format!("version {id} restored: the next caller follows it"),
                    },
                    Err(refused) => Step::Answer(Err(refused)),
                };
            }
        };
        Step::Answer(answer)
    }

    /// Installs `text` as the script file and has the core serve it; if the core refuses it,
    /// the file gets back what it held.
    pub(super) async fn activate_from_admin(
        &mut self,
        script: std::sync::Arc<ivr::Script>,
        text: String,
        summary: String,
        activations: &tokio::sync::mpsc::Sender<super::Activation>,
    ) -> Answer {
        if text == self.running_text {
            return Ok(proto::AdminAnswer {
                summary: "this script is already the active one".to_owned(),
                ..Default::default()
            });
        }
        let path = self.paths.script.clone();
        let before = std::fs::read_to_string(&path).ok();
        let write = |text: &str| {
            versions::replace_atomically(&path, text)
                .map_err(|e| Refused::new(format!("{}: cannot write: {e}", path.display())))
        };
        write(&text)?;
        self.script_stamp = super::stamp(&path);
        match self.activate(script, text, activations).await {
            Ok(()) => Ok(proto::AdminAnswer {
                summary,
                ..Default::default()
            }),
            Err(why) => {
                if let Some(before) = before {
                    write(&before)?;
                    self.script_stamp = super::stamp(&path);
                }
                Err(Refused::new(format!(
                    "{why}: the running version keeps serving"
                )))
            }
        }
    }
}

fn none_or_list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn read_bounded(path: &Path, max: usize) -> Result<Vec<u8>, Refused> {
    let len = std::fs::metadata(path)
        .map_err(|e| Refused::new(format!("{}: {e}", path.display())))?
        .len();
    if len > max as u64 {
        return Err(Refused::new(format!(
            "{}: the file is larger than {max} bytes",
            path.display()
        )));
    }
    std::fs::read(path).map_err(|e| Refused::new(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_carry_their_line_numbers() {
        let problems = script_problems(
            "ivr/a:b.ivr",
            "ivr/a:b.ivr:7: expected a key, found `x`\nivr/a:b.ivr: prompt `beep` is not in prompts",
        );
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].line, 7);
        assert_eq!(problems[0].text, "ivr/a:b.ivr:7: expected a key, found `x`");
        assert_eq!(problems[1].line, 0);
    }
}
