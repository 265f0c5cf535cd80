//! Live reload: the running engine picks up an edited IVR script and changed prompts without
//! a restart.
//!
//! [`watch`] looks at the script file and the prompts directory every [`CHECK_INTERVAL`]
//! (their size and modification time; nothing is read until one changes, so an idle check
//! costs a few `stat`s). Then, in this order:
//!
//! 1. **Prompts**: the directory is re-read ([`PromptLibrary::refresh`]) and the new library
//!    swapped in whole. New calls and new playbacks use it; a playback already running keeps
//!    the audio it started with. A file that does not load is refused with the reason in the
//!    log and the prompt's previous version keeps playing; a deleted prompt that the running
//!    script or the engine still plays stays in memory.
//! 2. **Script**: the file is parsed and validated as at start and by `centralino check-ivr`
//!    (every error with file, line and reason; every prompt it plays must be in the library),
//!    then handed to the call-control core, which refuses a script it cannot serve (a queue the
//!    ACD does not have). Activation is atomic: calls already in the IVR finish on the version
//!    they started with, the next call starts on the new one. A refused script is logged with
//!    its errors and the running version keeps serving; the same text is not tried again until
//!    the file changes.
//!
//! Every script activated (including the one loaded at start) is kept in the versions
//! directory ([`versions`]), so that an earlier one can be restored (`centralino ivr
//! versions`, `centralino ivr restore`).
//!
//! Administrators change prompts and the script from the CRM's pages: their commands
//! ([`admin`]) come to the same watcher, which validates, writes atomically and activates at
//! once, answering done or why not.
//!
//! Writers should replace files atomically (write a temporary file, then rename), as
//! `centralino prompts import` and `centralino ivr activate` do; an editor that writes in place
//! may be caught half-way, which fails validation and is retried when the file changes again.

pub mod admin;
pub mod versions;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use call_control::{ScriptActivated, ScriptRefused};
use prompts::{PromptDir, PromptLibrary};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{error, info, warn};

/// How often the files are looked at.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// A validated script on its way to the core, and where the core's answer goes.
pub type Activation = (
    Arc<ivr::Script>,
    oneshot::Sender<Result<ScriptActivated, ScriptRefused>>,
);

/// What to watch.
#[derive(Debug, Clone)]
pub struct Watched {
    /// The IVR script file.
    pub script: PathBuf,
    /// The prompts directory.
    pub prompts: PathBuf,
    /// Where activated scripts are kept.
    pub versions: PathBuf,
}

/// What live reload has done since the engine started, for administrators and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// How many times the prompt library was swapped.
    pub prompts_reloaded: u64,
    /// How many edited scripts were activated (the one loaded at start not counted).
    pub scripts_activated: u64,
    /// How many scripts and prompt files were refused.
    pub refusals: u64,
    /// The last refusal, as logged: file, line and reason.
    pub last_refusal: Option<String>,
}

/// A file's size and modification time: enough to notice a change without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

fn prompt_stamps(dir: &Path) -> BTreeMap<PathBuf, Option<Stamp>> {
    match PromptDir::new(dir).files() {
        Ok(files) => files
            .into_iter()
            .map(|f| {
                let s = stamp(&f);
                (f, s)
            })
            .collect(),
        Err(e) => {
            warn!(error = %e, "cannot list the prompts directory");
            BTreeMap::new()
        }
    }
}

/// The watcher's memory between checks.
struct State {
    paths: Watched,
    prompts: Arc<Mutex<PromptLibrary>>,
    /// The script new calls start on.
    running: Arc<ivr::Script>,
    /// Its text.
    running_text: String,
    script_stamp: Option<Stamp>,
    /// The last text refused, so that it is reported once.
    refused_text: Option<String>,
    prompt_stamps: BTreeMap<PathBuf, Option<Stamp>>,
    status: watch::Sender<Status>,
}

/// How the watcher talks to the rest of the engine.
#[derive(Debug)]
pub struct Links {
    /// Validated scripts to the call-control core, which answers each.
    pub activations: mpsc::Sender<Activation>,
    /// What live reload has done.
    pub status: watch::Sender<Status>,
    /// Administrators' commands, from the CRM ([`admin`]).
    pub admin: mpsc::Receiver<admin::Request>,
    /// Turns true when the engine stops.
    pub stop: watch::Receiver<bool>,
}

/// Watches until `stop` turns true (or the core's end of `activations` is gone). `running` is
/// the script the engine started with, `running_text` its text.
pub async fn watch(
    paths: Watched,
    prompts: Arc<Mutex<PromptLibrary>>,
    running: Arc<ivr::Script>,
    running_text: String,
    links: Links,
) {
    let Links {
        activations,
        status,
        mut admin,
        mut stop,
    } = links;
    if let Err(e) = versions::keep(
        &paths.versions,
        &running_text,
        common::Clock::now_unix_ms(&common::SystemClock),
    ) {
        warn!(dir = %paths.versions.display(), error = %e, "cannot keep the script's version");
    }
    let mut state = State {
        script_stamp: stamp(&paths.script),
        prompt_stamps: prompt_stamps(&paths.prompts),
        paths,
        prompts,
        running,
        running_text,
        refused_text: None,
        status,
    };
    let mut tick = tokio::time::interval(CHECK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut admin_open = true;
    loop {
        let request = tokio::select! {
            _ = tick.tick() => None,
            request = admin.recv(), if admin_open => {
                if request.is_none() {
                    admin_open = false;
                }
                request
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
                continue;
            }
        };
        if activations.is_closed() {
            return;
        }
        if let Some((action, reply)) = request {
            state = match tokio::task::spawn_blocking(move || {
                let step = state.admin(action);
                (state, step)
            })
            .await
            {
                Ok((mut state, step)) => {
                    let answer = match step {
                        admin::Step::Answer(answer) => answer,
                        admin::Step::Activate {
                            script,
                            text,
                            summary,
                        } => {
                            state
                                .activate_from_admin(script, text, summary, &activations)
                                .await
                        }
                    };
                    let _ = reply.send(answer);
                    state
                }
                Err(e) => {
                    error!(error = %e, "an administrator's change failed; live reload stops");
                    return;
                }
            };
            continue;
        }
        state = match tokio::task::spawn_blocking(move || {
            state.check_prompts();
            let candidate = state.check_script();
            (state, candidate)
        })
        .await
        {
            Ok((mut state, candidate)) => {
                if let Some((script, text)) = candidate {
                    // A refusal is logged and counted by `activate`.
                    let _ = state.activate(script, text, &activations).await;
                }
                state
            }
            Err(e) => {
                error!(error = %e, "the reload check failed; live reload stops");
                return;
            }
        };
    }
}

impl State {
    /// Whether the engine or the running script still plays `name`.
    fn in_use(&self, name: &str) -> bool {
        self.running.prompts_used().contains(name)
            || call_control::engine_prompts().iter().any(|p| p == name)
    }

    fn refused(&self, why: String) {
        self.status.send_modify(|s| {
            s.refusals += 1;
            s.last_refusal = Some(why);
        });
    }

    fn check_prompts(&mut self) {
        let stamps = prompt_stamps(&self.paths.prompts);
        if stamps == self.prompt_stamps {
            return;
        }
        self.prompt_stamps = stamps;
        let current = self
            .prompts
            .lock()
            .expect("prompt library mutex is never poisoned")
            .clone();
        let refresh =
            match current.refresh(&PromptDir::new(&self.paths.prompts), &|n| self.in_use(n)) {
                Ok(r) => r,
                Err(e) => {
                    warn!(error = %e, "cannot re-read the prompts; the loaded ones keep playing");
                    return;
                }
            };
        for (file, reason) in &refresh.refused {
            error!(
                file = %file.display(),
                %reason,
                "prompt refused: its previous version (if any) keeps playing"
            );
            self.refused(format!("{}: {reason}", file.display()));
        }
        for name in &refresh.kept_in_use {
            warn!(prompt = %name, "prompt file deleted but still played: kept from memory");
        }
        if refresh.changed() {
            info!(
                added = ?refresh.added,
                replaced = ?refresh.replaced,
                removed = ?refresh.removed,
                "prompts reloaded"
            );
            *self
                .prompts
                .lock()
                .expect("prompt library mutex is never poisoned") = refresh.library;
            self.status.send_modify(|s| s.prompts_reloaded += 1);
        }
    }

    /// The edited script, validated, if the file changed to something new and valid.
    fn check_script(&mut self) -> Option<(Arc<ivr::Script>, String)> {
        let now = stamp(&self.paths.script);
        if now == self.script_stamp {
            return None;
        }
        self.script_stamp = now;
        let path = &self.paths.script;
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                error!(file = %path.display(), error = %e, "cannot read the edited ivr script; the running version keeps serving");
                return None;
            }
        };
        if text == self.running_text || self.refused_text.as_ref() == Some(&text) {
            return None;
        }
        match validate(path, &text, &self.paths.prompts) {
            Ok(script) => Some((Arc::new(script), text)),
            Err(problems) => {
                error!(
                    file = %path.display(),
                    "ivr script refused; the running version keeps serving:\n{problems}"
                );
                self.refused(problems);
                self.refused_text = Some(text);
                None
            }
        }
    }

    /// Hands `script` to the core; the core's refusal, in words.
    async fn activate(
        &mut self,
        script: Arc<ivr::Script>,
        text: String,
        activations: &mpsc::Sender<Activation>,
    ) -> Result<(), String> {
        let (answer, answered) = oneshot::channel();
        if activations.send((script.clone(), answer)).await.is_err() {
            return Err("the engine is stopping".to_owned());
        }
        match answered.await {
            Ok(Ok(done)) => {
                info!(
                    file = %done.file,
                    calls_finishing_on_earlier_versions = done.calls_on_earlier_versions,
                    "ivr script activated"
                );
                if let Err(e) = versions::keep(
                    &self.paths.versions,
                    &text,
                    common::Clock::now_unix_ms(&common::SystemClock),
                ) {
                    warn!(dir = %self.paths.versions.display(), error = %e, "cannot keep the script's version");
                }
                self.running = script;
                self.running_text = text;
                self.refused_text = None;
                self.status.send_modify(|s| s.scripts_activated += 1);
                Ok(())
            }
            Ok(Err(refused)) => {
                error!(%refused, "ivr script refused; the running version keeps serving");
                self.refused(refused.to_string());
                self.refused_text = Some(text);
                Err(refused.to_string())
            }
            Err(_) => Err("the engine is stopping".to_owned()),
        }
    }
}

/// Parses `text` (from `path`) and checks the prompts it plays against `prompts_dir`: the
/// checks of `centralino check-ivr`, one problem per line.
pub fn validate(path: &Path, text: &str, prompts_dir: &Path) -> Result<ivr::Script, String> {
    let name = path.display().to_string();
    let script = ivr::Script::parse(&name, text).map_err(|e| e.to_string())?;
    let problems = crate::assets::needed_prompt_problems(&name, text, &script, prompts_dir)
        .map_err(|e| e.to_string())?;
    if problems.is_empty() {
        Ok(script)
    } else {
        Err(problems.join("\n"))
    }
}
