//! What the engine loads from disk: the IVR script and the prompt library, and the checks a
//! script passes before it serves callers, at start ([`Assets::load`]), in `centralino
//! check-ivr`, and when the running engine picks up an edited script ([`crate::reload`]).

use std::path::Path;
use std::sync::Arc;

use prompts::{PromptDir, PromptError, PromptLibrary};

use crate::EngineError;

/// Everything the engine loads from disk before it takes calls.
pub struct Assets {
    pub script: Arc<ivr::Script>,
    pub prompts: PromptLibrary,
    /// The script's text, as read.
    pub script_text: String,
}

impl Assets {
    /// Load and cross-check the IVR script and the prompt library: every prompt the script
    /// plays must exist. Errors name the file, line and reason.
    pub fn load(script_path: &Path, prompts_dir: &Path) -> Result<Assets, EngineError> {
        let text = std::fs::read_to_string(script_path).map_err(|e| {
            EngineError::Script(format!("{}: cannot read: {e}", script_path.display()))
        })?;
        let name = script_path.display().to_string();
        let script =
            ivr::Script::parse(&name, &text).map_err(|e| EngineError::Script(e.to_string()))?;
        let prompts = PromptLibrary::load_dir(prompts_dir)
            .map_err(|e| EngineError::Prompts(e.to_string()))?;
        let mut missing: Vec<String> = script
            .prompts_used()
            .into_iter()
            .filter(|p| prompts.get(p).is_none())
            .collect();
        for needed in [call_control::HOLD_MUSIC] {
            if prompts.get(needed).is_none() {
                missing.push(needed.to_string());
            }
        }
        if !missing.is_empty() {
            return Err(EngineError::Prompts(format!(
                "{name}: prompts missing from {}: {}",
                prompts_dir.display(),
                missing.join(", ")
            )));
        }
        Ok(Assets {
            script: Arc::new(script),
            prompts,
            script_text: text,
        })
    }
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
    let mut problems = needed_prompt_problems(script_file, text, script, dir)?;
    let needed = needed_prompts(script);
    for other in &PromptDir::new(dir).list()? {
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

/// The prompts a script needs: those it plays and the hold music.
fn needed_prompts(script: &ivr::Script) -> Vec<String> {
    let mut needed: Vec<String> = script.prompts_used().into_iter().collect();
    // The engine plays it to every queued caller and refuses to start without it.
    let hold_music = call_control::HOLD_MUSIC;
    if !needed.iter().any(|n| n == hold_music) {
        needed.push(hold_music.to_owned());
    }
    needed
}

/// The problems of [`check_script_prompts`] with the prompts `script` plays only (what a
/// running engine checks before it activates a script: other broken files in the directory
/// are refused one by one, see [`crate::reload`]).
pub fn needed_prompt_problems(
    script_file: &str,
    text: &str,
    script: &ivr::Script,
    dir: &Path,
) -> Result<Vec<String>, PromptError> {
    let listed = PromptDir::new(dir).list()?;
    let needed = needed_prompts(script);
    let hold_music = call_control::HOLD_MUSIC;
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
    Ok(problems.into_iter().map(|(_, p)| p).collect())
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
