//! Prompt administration from the command line: `centralino prompts import` and `list`, and
//! the prompt check of `centralino check-ivr` (every prompt a script plays is in the prompts
//! directory and loads as the engine loads it).

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

/// Every problem with the prompts a script plays, one message each: the prompt is missing
/// from `dir`, or its file is not one the engine loads; and any other file of `dir` the engine
/// would refuse (it loads them all, and does not start with a broken one). Messages about a
/// prompt name the script file and the lines that play it.
pub fn check_script_prompts(
    script_file: &str,
    text: &str,
    script: &ivr::Script,
    dir: &Path,
) -> Result<Vec<String>, PromptError> {
    let listed = PromptDir::new(dir).list()?;
    let mut needed: Vec<String> = script.prompts_used().into_iter().collect();
    // The engine plays it to every queued caller and refuses to start without it.
    let hold_music = call_control::HOLD_MUSIC;
    if !needed.iter().any(|n| n == hold_music) {
        needed.push(hold_music.to_owned());
    }
    // (line, message), sorted by line at the end; problems without a line come last.
    let mut problems: Vec<(Option<usize>, String)> = Vec::new();
    for name in &needed {
        let problem = match listed.iter().find(|l| &l.name == name) {
            None => format!(
                "prompt `{name}` is not in {} (no {name}.wav)",
                dir.display()
            ),
            Some(file) => match &file.status {
                Ok(_) => continue,
                Err(reason) => format!(
                    "prompt `{name}`: {}: {reason} (convert the recording with `centralino prompts import FILE --name {name}`)",
                    file.path.display()
                ),
            },
        };
        let lines = lines_playing(script_file, text, name);
        if lines.is_empty() {
            let why = match name.as_str() {
                ivr::DEFAULT_INVALID_PROMPT => {
                    " (played where a menu or `identify pin` has no `invalid` line)"
                }
                ivr::DEFAULT_BEEP_PROMPT => " (played where `voicemail` has no `beep`)",
                n if n == hold_music => " (the engine plays it to queued callers)",
                _ => "",
            };
            problems.push((None, format!("{script_file}: {problem}{why}")));
        }
        for line in lines {
            problems.push((Some(line), format!("{script_file}:{line}: {problem}")));
        }
    }
    problems.sort_by_key(|(line, _)| (line.is_none(), *line));
    let mut problems: Vec<String> = problems.into_iter().map(|(_, p)| p).collect();
    for other in &listed {
        if let Err(reason) = &other.status
            && !needed.contains(&other.name)
        {
            problems.push(format!(
                "{}: {reason} (not played by this script, but the engine loads every .wav in {} and would not start)",
                other.path.display(),
                dir.display()
            ));
        }
    }
    Ok(problems)
}

/// The lines of `text` that play the prompt `name`.
///
/// The `ivr` crate gives the prompts a script plays but not where, and guessing from the words
/// would mistake a block or queue of the same name for the prompt. So ask the parser itself:
/// rename one occurrence of the word at a time to a name the script does not contain, and see
/// whether that name is now among the prompts the script plays. A default prompt a script
/// relies on without writing it (`invalid_choice`, `voicemail_beep`) has no line.
pub fn lines_playing(script_file: &str, text: &str, name: &str) -> Vec<usize> {
    let probe = (0..)
        .map(|n| format!("centralino-probe-{n}"))
        .find(|p| !text.contains(p.as_str()))
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        for start in word_positions(line, name) {
            let edited_line = format!("{}{probe}{}", &line[..start], &line[start + name.len()..]);
            let mut edited = lines.clone();
            edited[index] = &edited_line;
            let plays = ivr::Script::parse(script_file, &edited.join("\n"))
                .is_ok_and(|s| s.prompts_used().contains(&probe));
            if plays {
                found.push(index + 1);
                break;
            }
        }
    }
    found
}

/// Where `word` stands as a whole name in `line` (not inside a longer name).
fn word_positions<'a>(line: &'a str, word: &'a str) -> impl Iterator<Item = usize> + 'a {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    line.match_indices(word).filter_map(move |(start, _)| {
        let before = line[..start].chars().next_back();
        let after = line[start + word.len()..].chars().next();
        let whole = !before.is_some_and(is_name_char) && !after.is_some_and(is_name_char);
        whole.then_some(start)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "\
step start
  play welcome   # welcome is played here
  goto welcome
end

menu welcome
  prompt main_menu welcome
  1 \"Info\" -> play please_hold; queue welcome
  failure -> play goodbye; hangup
end
";

    #[test]
    fn the_lines_playing_a_prompt_are_found_by_the_parser() {
        ivr::Script::parse("s.ivr", SCRIPT).unwrap();
        // Not line 3 (a goto), 6 (a menu) or 8 (a queue) of the same name, nor the comment.
        assert_eq!(lines_playing("s.ivr", SCRIPT, "welcome"), [2, 7]);
        assert_eq!(lines_playing("s.ivr", SCRIPT, "please_hold"), [8]);
        assert_eq!(lines_playing("s.ivr", SCRIPT, "main_menu"), [7]);
        // Played by default: no line says it.
        assert!(lines_playing("s.ivr", SCRIPT, "invalid_choice").is_empty());
        assert!(lines_playing("s.ivr", SCRIPT, "nowhere").is_empty());
    }

    #[test]
    fn whole_words_only() {
        let positions: Vec<usize> =
            word_positions("play welcome welcome_2 my-welcome welcome", "welcome").collect();
        assert_eq!(positions, [5, 34]);
    }
}
