//! The prompts directory: which files the engine loads, what each holds, and installing a
//! prompt so that nobody ever reads a half-written one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::import::wav_bytes;
use crate::{InvalidWav, Prompt, PromptError, PromptName};

/// A directory of prompts, `<name>.wav` each, as [`crate::PromptLibrary::load_dir`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptDir {
    path: PathBuf,
}

/// One file of the directory and what the engine would make of it.
#[derive(Debug)]
pub struct ListedPrompt {
    /// The file stem, the name the engine knows the prompt by.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// The prompt's playing time, or why the engine would refuse the file (and so refuse to
    /// start).
    pub status: Result<Duration, InvalidWav>,
    /// Whether a script can play it: the stem follows the rules of [`PromptName`].
    pub playable_name: bool,
}

/// Where [`PromptDir::install`] put a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The prompt file.
    pub path: PathBuf,
    /// An earlier version was replaced.
    pub replaced: bool,
}

/// Why a prompt was not installed. The directory is as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    /// The audio is not a prompt the engine would load (no samples, or too long).
    #[error("not a usable prompt: {0}")]
    Invalid(InvalidWav),
    /// Writing in the directory failed.
    #[error("cannot write in the prompts directory {}: {source}", dir.display())]
    Write {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file written does not read back as the audio given (a failing disk).
    #[error("the prompt written to {} does not read back as written", path.display())]
    Verify {
        /// The temporary file, removed since.
        path: PathBuf,
    },
    /// Listing the directory failed.
    #[error(transparent)]
    List(#[from] PromptError),
}

/// Extension of the temporary files of [`PromptDir::install`]: not `.wav`, so that the engine
/// never loads one.
const TEMP_SUFFIX: &str = ".importing";

impl PromptDir {
    /// The directory at `path` (not touched until used).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The files the engine loads: every `*.wav` (any case) directly in the directory, sorted.
    pub fn files(&self) -> Result<Vec<PathBuf>, PromptError> {
        let read_dir_error = |source| PromptError::ReadDir {
            dir: self.path.clone(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&self.path).map_err(read_dir_error)? {
            let path = entry.map_err(read_dir_error)?.path();
            let is_wav = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
            if is_wav && !path.is_dir() {
                files.push(path);
            }
        }
        // Directory order is arbitrary; sorting makes listings and the first error reported
        // reproducible.
        files.sort();
        Ok(files)
    }

    /// Every prompt file with what the engine would make of it, sorted by file name.
    pub fn list(&self) -> Result<Vec<ListedPrompt>, PromptError> {
        let mut seen = std::collections::HashSet::new();
        let mut listed = Vec::new();
        for path in self.files()? {
            let name = stem(&path);
            let status = match &name {
                None => Err(InvalidWav::BadName),
                Some(n) if !seen.insert(n.clone()) => Err(InvalidWav::DuplicateName),
                Some(n) => load_file(n, &path).map(|p| p.duration),
            };
            let name = name.unwrap_or_else(|| {
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            listed.push(ListedPrompt {
                playable_name: PromptName::new(&name).is_ok(),
                name,
                path,
                status,
            });
        }
        Ok(listed)
    }

    /// The file that holds the prompt `name`, if there is one (`name.wav`, or `name.WAV` and
    /// the like).
    pub fn find(&self, name: &str) -> Result<Option<PathBuf>, PromptError> {
        Ok(self
            .files()?
            .into_iter()
            .find(|path| stem(path).as_deref() == Some(name)))
    }

    /// Loads the prompt `name` as the engine does. `Ok(None)` when there is no such file.
    pub fn load(&self, name: &str) -> Result<Option<Prompt>, PromptError> {
        let Some(path) = self.find(name)? else {
            return Ok(None);
        };
        load_file(name, &path)
            .map(Some)
            .map_err(|reason| PromptError::Invalid { file: path, reason })
    }

    /// Installs `samples` (8 kHz mono, as [`crate::import`] makes them) as the prompt `name`,
    /// replacing any earlier version in one step.
    ///
    /// The WAV is written to a temporary file in the directory (named `.<name>.*.importing`,
    /// which the engine does not load), flushed to disk, read back and checked as the engine
    /// will read it, and only then renamed over `<name>.wav`. Until that rename the old
    /// prompt stays complete in place; after it, the new one is. A failure at any step removes
    /// the temporary file and leaves the directory as it was. A replaced prompt keeps its
    /// file's permissions; a new one gets `rw-r--r--` (less the process's umask) so that an
    /// engine running as another user can read it.
    pub fn install(&self, name: &PromptName, samples: &[i16]) -> Result<Installed, InstallError> {
        let bytes = wav_bytes(samples);
        Prompt::from_wav_bytes(name.as_str(), &bytes).map_err(InstallError::Invalid)?;
        let existing = self.find(name.as_str())?;
        let target = existing
            .clone()
            .unwrap_or_else(|| self.path.join(name.file_name()));
        let write_error = |source| InstallError::Write {
            dir: self.path.clone(),
            source,
        };
        let mut temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(TEMP_SUFFIX)
            .tempfile_in(&self.path)
            .map_err(write_error)?;
        temp.write_all(&bytes).map_err(write_error)?;
        temp.as_file().sync_all().map_err(write_error)?;
        // Check what is on disk, read as the engine reads it.
        let verified = std::fs::File::open(temp.path())
            .ok()
            .and_then(|f| Prompt::from_wav(name.as_str(), std::io::BufReader::new(f)).ok());
        if verified.is_none_or(|p| &p.samples[..] != samples) {
            return Err(InstallError::Verify {
                path: temp.path().to_owned(),
            });
        }
        let permissions = match &existing {
            Some(old) => Some(std::fs::metadata(old).map_err(write_error)?.permissions()),
            None => new_file_permissions(),
        };
        if let Some(permissions) = permissions {
            temp.as_file()
                .set_permissions(permissions)
                .map_err(write_error)?;
        }
        temp.persist(&target).map_err(|e| write_error(e.error))?;
        sync_dir(&self.path);
        Ok(Installed {
            path: target,
            replaced: existing.is_some(),
        })
    }
}

impl PromptDir {
    /// Deletes the prompt `name`'s file; whether there was one. The engine stops offering the
    /// prompt at its next look at the directory (one it still plays stays in its memory).
    pub fn remove(&self, name: &PromptName) -> Result<bool, InstallError> {
        let Some(path) = self.find(name.as_str())? else {
            return Ok(false);
        };
        std::fs::remove_file(&path).map_err(|source| InstallError::Write {
            dir: self.path.clone(),
            source,
        })?;
        sync_dir(&self.path);
        Ok(true)
    }
}

pub(crate) fn stem(path: &Path) -> Option<String> {
    path.file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

pub(crate) fn load_file(name: &str, path: &Path) -> Result<Prompt, InvalidWav> {
    let file = std::fs::File::open(path).map_err(InvalidWav::Io)?;
    Prompt::from_wav(name, std::io::BufReader::new(file))
}

/// Permissions of a new prompt file: `rw-r--r--` where there are such modes. (The umask is
/// only readable by setting it, which would race with other threads; the usual 022 gives the
/// same.) Elsewhere the temporary file's own.
fn new_file_permissions() -> Option<std::fs::Permissions> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Makes the rename durable (POSIX: a rename is on disk once its directory is synced). Best
/// effort: the prompt is in place either way, and not every platform can sync a directory.
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize) -> Vec<i16> {
        (0..n).map(|i| ((i % 16) as i16 - 8) * 1000).collect()
    }

    #[test]
    fn install_writes_a_canonical_prompt_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let prompts = PromptDir::new(dir.path());
        let name = PromptName::new("welcome").unwrap();
        let installed = prompts.install(&name, &tone(800)).unwrap();
        assert_eq!(installed.path, dir.path().join("welcome.wav"));
        assert!(!installed.replaced);
        let loaded = prompts.load("welcome").unwrap().unwrap();
        assert_eq!(&loaded.samples[..], &tone(800)[..]);
        let again = prompts.install(&name, &tone(1600)).unwrap();
        assert!(again.replaced);
        assert_eq!(
            prompts.load("welcome").unwrap().unwrap().samples.len(),
            1600
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["welcome.wav"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_prompt_is_readable_by_others_and_a_replaced_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let prompts = PromptDir::new(dir.path());
        let name = PromptName::new("beep").unwrap();
        let path = prompts.install(&name, &tone(80)).unwrap().path;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o644);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        prompts.install(&name, &tone(160)).unwrap();
        assert_eq!(mode(&path), 0o640);
    }

    #[test]
    fn a_prompt_named_with_another_case_of_extension_is_replaced_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("hold.WAV");
        std::fs::write(&old, wav_bytes(&tone(80))).unwrap();
        let prompts = PromptDir::new(dir.path());
        let installed = prompts
            .install(&PromptName::new("hold").unwrap(), &tone(240))
            .unwrap();
        assert_eq!(installed.path, old);
        assert!(installed.replaced);
        // Still one file for the name: the engine would refuse hold.wav beside hold.WAV.
        assert_eq!(prompts.files().unwrap(), [old]);
        assert_eq!(prompts.load("hold").unwrap().unwrap().samples.len(), 240);
    }

    #[test]
    fn unusable_audio_is_not_installed_and_the_old_prompt_stays() {
        let dir = tempfile::tempdir().unwrap();
        let prompts = PromptDir::new(dir.path());
        let name = PromptName::new("welcome").unwrap();
        prompts.install(&name, &tone(80)).unwrap();
        let error = prompts.install(&name, &[]).unwrap_err();
        assert!(
            matches!(error, InstallError::Invalid(InvalidWav::Empty)),
            "{error}"
        );
        assert_eq!(prompts.load("welcome").unwrap().unwrap().samples.len(), 80);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_directory_is_a_write_error() {
        let prompts = PromptDir::new("/nonexistent/prompts");
        let error = prompts
            .install(&PromptName::new("x").unwrap(), &tone(8))
            .unwrap_err();
        assert!(matches!(error, InstallError::List(_)), "{error}");
    }

    #[test]
    fn the_listing_says_what_the_engine_would_refuse() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("good.wav"), wav_bytes(&tone(8000))).unwrap();
        std::fs::write(dir.path().join("broken.wav"), b"RIFF junk").unwrap();
        std::fs::write(dir.path().join("my prompt.wav"), wav_bytes(&tone(80))).unwrap();
        std::fs::write(dir.path().join(".good.x.importing"), b"half").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"hi").unwrap();
        let listed = PromptDir::new(dir.path()).list().unwrap();
        let summary: Vec<_> = listed
            .iter()
            .map(|l| (l.name.as_str(), l.status.is_ok(), l.playable_name))
            .collect();
        assert_eq!(
            summary,
            [
                ("broken", false, true),
                ("good", true, true),
                ("my prompt", true, false)
            ]
        );
        assert_eq!(listed[1].status.as_ref().unwrap(), &Duration::from_secs(1));
    }
}
