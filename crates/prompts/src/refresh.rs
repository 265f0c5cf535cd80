//! Picking up prompt files that changed under a running engine.
//!
//! [`PromptLibrary::refresh`] re-reads the directory and builds the library the engine should
//! switch to: changed and new files are loaded, a file that no longer loads keeps its previous
//! version playing (and is reported), and a prompt whose file was deleted stays while something
//! still plays it. Calls already playing a prompt keep the audio they started with either way
//! (a library is immutable; the engine swaps the whole of it).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::dir::{load_file, stem};
use crate::{InvalidWav, PromptDir, PromptError, PromptLibrary};

/// What [`PromptLibrary::refresh`] found.
#[derive(Debug, Default)]
pub struct Refresh {
    /// The library to serve from now on.
    pub library: PromptLibrary,
    /// Prompts that are new.
    pub added: Vec<String>,
    /// Prompts whose audio changed.
    pub replaced: Vec<String>,
    /// Prompts whose file is gone and that nothing plays any more: dropped.
    pub removed: Vec<String>,
    /// Prompts whose file is gone but that are still played: kept, from memory.
    pub kept_in_use: Vec<String>,
    /// Files that do not load, with why. A prompt that loaded before keeps its earlier version.
    pub refused: Vec<(PathBuf, InvalidWav)>,
}

impl Refresh {
    /// Whether the library differs from the one refreshed.
    pub fn changed(&self) -> bool {
        !(self.added.is_empty() && self.replaced.is_empty() && self.removed.is_empty())
    }
}

impl PromptLibrary {
    /// Re-reads `dir` (see the [module](self) docs). `in_use` says whether a prompt is still
    /// played (by the running script or the engine itself): such a prompt is never dropped.
    pub fn refresh(
        &self,
        dir: &PromptDir,
        in_use: &dyn Fn(&str) -> bool,
    ) -> Result<Refresh, PromptError> {
        let mut out = Refresh::default();
        let mut prompts: HashMap<String, Arc<crate::Prompt>> = HashMap::new();
        for file in dir.files()? {
            let Some(name) = stem(&file) else {
                out.refused.push((file, InvalidWav::BadName));
                continue;
            };
            if prompts.contains_key(&name) {
                out.refused.push((file, InvalidWav::DuplicateName));
                continue;
            }
            let old = self.get(&name);
            match load_file(&name, &file) {
                Ok(new) => match old {
                    Some(old) if old.samples == new.samples => {
                        prompts.insert(name, old);
                    }
                    Some(_) => {
                        out.replaced.push(name.clone());
                        prompts.insert(name, Arc::new(new));
                    }
                    None => {
                        out.added.push(name.clone());
                        prompts.insert(name, Arc::new(new));
                    }
                },
                Err(reason) => {
                    out.refused.push((file, reason));
                    if let Some(old) = old {
                        prompts.insert(name, old);
                    }
                }
            }
        }
        for name in self.names() {
            if prompts.contains_key(name) {
                continue;
            }
            if in_use(name) {
                out.kept_in_use.push(name.to_owned());
                prompts.insert(name.to_owned(), self.get(name).expect("listed"));
            } else {
                out.removed.push(name.to_owned());
            }
        }
        out.library = PromptLibrary {
            prompts: Arc::new(prompts),
        };
        Ok(out)
    }
}
