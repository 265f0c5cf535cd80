//! Prompt administration from the command line: `centralino prompts import` and `list`, and
//! the prompt check of `centralino check-ivr` is [`engine::assets::check_script_prompts`], which
//! the running engine also applies to a script before it activates it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use prompts::{
    ImportError, ImportLimits, Imported, InstallError, Installed, InvalidName, PromptDir,
    PromptError, PromptName,
};

use crate::{Config, ConfigError};

/// The prompts directory: `explicit` if given, else `[ivr] prompts` of the configuration file
/// (relative to `assets_dir`, as `centralino run` resolves it).
pub fn prompts_dir(
    explicit: Option<&Path>,
    config: &Path,
    assets_dir: &Path,
) -> Result<PathBuf, ConfigError> {
    match explicit {
        Some(dir) => Ok(dir.to_path_buf()),
        None => {
            let config = Config::load(config, assets_dir)?;
            // `join` keeps an absolute path as it is.
            Ok(config.assets_dir.join(&config.prompts_dir))
        }
    }
}

/// Why `centralino prompts import` did not install the prompt.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportRefused {
    #[error(transparent)]
    Name(#[from] InvalidName),
    #[error("{}: not imported: {source}", file.display())]
    Audio { file: PathBuf, source: ImportError },
    #[error("{}: not installed: {source}", file.display())]
    Install { file: PathBuf, source: InstallError },
    #[error("{}: the prompts directory does not exist", dir.display())]
    NoDirectory { dir: PathBuf },
}

/// What `centralino prompts import` did.
#[derive(Debug)]
pub struct ImportReport {
    pub name: PromptName,
    pub file: PathBuf,
    pub imported: Imported,
    pub installed: Installed,
}

impl std::fmt::Display for ImportReport {
    /// `welcome: speech.mp3 (mp3, 44100 Hz stereo, 2.10 s) installed as prompts/welcome.wav
    /// (8000 Hz mono 16-bit, 2.10 s, peak -3.2 dBFS), replacing the previous version`, then
    /// one `warning: ...` line per warning.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = &self.imported.source;
        let channels = match source.channels {
            1 => "mono".to_owned(),
            2 => "stereo".to_owned(),
            n => format!("{n} channels"),
        };
        // `wav/pcm_s24le`, `ogg/vorbis`, `mp3`.
        let format = if source.format == source.codec {
            source.format.to_owned()
        } else {
            format!("{}/{}", source.format, source.codec)
        };
        let bits = source
            .bits_per_sample
            .map(|b| format!(" {b}-bit"))
            .unwrap_or_default();
        let peak = match self.imported.peak_dbfs() {
            Some(db) => format!("peak {db:.1} dBFS"),
            None => "silent".to_owned(),
        };
        write!(
            f,
            "{}: {} ({format}, {} Hz {channels}{bits}, {:.2} s) installed as {} (8000 Hz mono 16-bit, {:.2} s, {peak}){}",
            self.name,
            self.file.display(),
            source.sample_rate,
            source.duration.as_secs_f64(),
            self.installed.path.display(),
            self.imported.duration().as_secs_f64(),
            if self.installed.replaced {
                ", replacing the previous version"
            } else {
                ""
            }
        )?;
        for warning in &self.imported.warnings {
            write!(f, "\nwarning: {warning}")?;
        }
        Ok(())
    }
}

/// `centralino prompts import FILE --name NAME`: converts the recording and installs it as
/// `NAME.wav` in `dir`, atomically (the old version plays until the new one is complete).
pub fn import_prompt(
    file: &Path,
    name: &str,
    dir: &Path,
    limits: &ImportLimits,
) -> Result<ImportReport, ImportRefused> {
    let name = PromptName::new(name)?;
    if !dir.is_dir() {
        return Err(ImportRefused::NoDirectory {
            dir: dir.to_path_buf(),
        });
    }
    let imported = prompts::import_file(file, limits).map_err(|source| ImportRefused::Audio {
        file: file.to_path_buf(),
        source,
    })?;
    let installed = PromptDir::new(dir)
        .install(&name, &imported.samples)
        .map_err(|source| ImportRefused::Install {
            file: file.to_path_buf(),
            source,
        })?;
    Ok(ImportReport {
        name,
        file: file.to_path_buf(),
        imported,
        installed,
    })
}

/// `centralino prompts list`: one line per file of the directory with its duration, or why the
/// engine would refuse it; and how many files the engine would refuse.
pub fn list_prompts(dir: &Path) -> Result<(String, usize), PromptError> {
    let listed = PromptDir::new(dir).list()?;
    let width = listed.iter().map(|l| l.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    let mut unusable = 0;
    for prompt in &listed {
        let _ = write!(out, "{:width$}  ", prompt.name);
        match &prompt.status {
            Ok(duration) => {
                let _ = write!(out, "{:7.2} s", duration.as_secs_f64());
            }
            Err(reason) => {
                unusable += 1;
                let _ = write!(out, "unusable: {reason}");
            }
        }
        if !prompt.playable_name {
            out.push_str("  (not a name a script can play)");
        }
        out.push('\n');
    }
    let _ = write!(out, "{} prompt files in {}", listed.len(), dir.display());
    Ok((out, unusable))
}
