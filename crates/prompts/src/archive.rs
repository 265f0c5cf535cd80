//! All the prompts as one archive, and back: a plain tar of the prompt files (`welcome.wav`,
//! ...), which any tar tool opens. Prompts are WAV already, so nothing is compressed.
//!
//! A restore checks the whole archive before it writes anything: every entry must be a file
//! named like a prompt, holding audio the engine plays; one that is not refuses the archive,
//! saying which entry and why, and the directory stays as it was. Then each prompt is
//! installed atomically ([`PromptDir::install`]). Prompts that the archive does not hold are
//! kept: a restore adds and replaces, it never deletes.

use std::io::Read;

use crate::{InstallError, InvalidName, InvalidWav, Prompt, PromptDir, PromptError, PromptName};

/// Most entries an archive may hold.
pub const MAX_ENTRIES: usize = 1000;

/// Why a backup or a restore was refused. A refused restore changed nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    #[error("the archive is empty: it holds no prompt")]
    Empty,
    #[error("the archive is {}, more than the {} allowed", crate::import::size_text(*size), crate::import::size_text(*max))]
    TooBig { size: u64, max: u64 },
    #[error("the archive holds more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    #[error("not a tar archive, or a damaged one: {0}")]
    NotAnArchive(String),
    #[error("entry `{entry}` is not a prompt file: an archive holds NAME.wav files only")]
    NotAPromptFile { entry: String },
    #[error("entry `{entry}`: {source}")]
    BadName { entry: String, source: InvalidName },
    #[error("entry `{entry}` appears twice")]
    Duplicate { entry: String },
    #[error("entry `{entry}` is not a prompt the engine can play: {reason}")]
    Unplayable { entry: String, reason: InvalidWav },
    #[error(transparent)]
    List(#[from] PromptError),
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("prompt `{name}` not installed: {source}")]
    Install { name: String, source: InstallError },
}

/// Every usable prompt of `dir` (files named like a prompt, that the engine plays) as a tar
/// archive of at most `max_bytes`.
pub fn backup(dir: &PromptDir, max_bytes: u64) -> Result<Vec<u8>, ArchiveError> {
    let mut builder = tar::Builder::new(Vec::new());
    for listed in dir.list()? {
        if !listed.playable_name || listed.status.is_err() {
            continue;
        }
        let bytes = std::fs::read(&listed.path).map_err(|source| ArchiveError::Read {
            file: listed.path.display().to_string(),
            source,
        })?;
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        if let Some(mtime) = std::fs::metadata(&listed.path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        {
            header.set_mtime(mtime.as_secs());
        }
        let entry = format!("{}.wav", listed.name);
        builder
            .append_data(&mut header, &entry, &bytes[..])
            .map_err(|source| ArchiveError::Read {
                file: entry.clone(),
                source,
            })?;
        let size = builder.get_ref().len() as u64;
        if size > max_bytes {
            return Err(ArchiveError::TooBig {
                size,
                max: max_bytes,
            });
        }
    }
    builder.into_inner().map_err(|source| ArchiveError::Read {
        file: "the archive".into(),
        source,
    })
}

/// What a restore installed, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restored {
    /// New prompts.
    pub added: Vec<String>,
    /// Prompts replaced by the archive's version.
    pub replaced: Vec<String>,
}

/// The prompts of a tar `archive`, checked, not yet installed.
pub fn read(archive: &[u8], max_bytes: u64) -> Result<Vec<(PromptName, Prompt)>, ArchiveError> {
    if archive.len() as u64 > max_bytes {
        return Err(ArchiveError::TooBig {
            size: archive.len() as u64,
            max: max_bytes,
        });
    }
    let broken = |e: std::io::Error| ArchiveError::NotAnArchive(e.to_string());
    let mut tar = tar::Archive::new(archive);
    let mut prompts: Vec<(PromptName, Prompt)> = Vec::new();
    for entry in tar.entries().map_err(broken)? {
        let mut entry = entry.map_err(broken)?;
        let path = entry.path().map_err(broken)?.into_owned();
        let shown = path.display().to_string();
        if prompts.len() == MAX_ENTRIES {
            return Err(ArchiveError::TooManyEntries);
        }
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        // A lone file name ending in .wav; no directories, links or devices.
        let stem = (kind.is_file() && path.components().count() == 1)
            .then(|| path.to_str())
            .flatten()
            .and_then(|p| p.strip_suffix(".wav"));
        let Some(stem) = stem else {
            return Err(ArchiveError::NotAPromptFile { entry: shown });
        };
        let name = PromptName::new(stem).map_err(|source| ArchiveError::BadName {
            entry: shown.clone(),
            source,
        })?;
        if prompts.iter().any(|(n, _)| n == &name) {
            return Err(ArchiveError::Duplicate { entry: shown });
        }
        // The header's size is checked against the archive's own length by the reader; the
        // whole archive is bounded, so this read is too.
        let mut bytes = Vec::with_capacity(entry.size().min(archive.len() as u64) as usize);
        entry.read_to_end(&mut bytes).map_err(broken)?;
        let prompt = Prompt::from_wav_bytes(name.as_str(), &bytes).map_err(|reason| {
            ArchiveError::Unplayable {
                entry: shown.clone(),
                reason,
            }
        })?;
        prompts.push((name, prompt));
    }
    if prompts.is_empty() {
        return Err(ArchiveError::Empty);
    }
    Ok(prompts)
}

/// Checks `archive` whole (see [`read`]), then installs each of its prompts in `dir`.
pub fn restore(dir: &PromptDir, archive: &[u8], max_bytes: u64) -> Result<Restored, ArchiveError> {
    let prompts = read(archive, max_bytes)?;
    let mut restored = Restored::default();
    for (name, prompt) in prompts {
        let installed =
            dir.install(&name, &prompt.samples)
                .map_err(|source| ArchiveError::Install {
                    name: name.to_string(),
                    source,
                })?;
        if installed.replaced {
            restored.replaced.push(name.to_string());
        } else {
            restored.added.push(name.to_string());
        }
    }
    Ok(restored)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize, step: i16) -> Vec<i16> {
        (0..n).map(|i| ((i % 16) as i16 - 8) * step).collect()
    }

    fn dir_with(prompts: &[(&str, Vec<i16>)]) -> (tempfile::TempDir, PromptDir) {
        let temp = tempfile::tempdir().unwrap();
        let dir = PromptDir::new(temp.path());
        for (name, samples) in prompts {
            dir.install(&PromptName::new(name).unwrap(), samples)
                .unwrap();
        }
        (temp, dir)
    }

    #[test]
    fn a_backup_restores_every_prompt_sample_for_sample() {
        let (_a, from) = dir_with(&[("welcome", tone(800, 100)), ("menu", tone(1600, 200))]);
        std::fs::write(from.path().join("broken.wav"), b"not audio").unwrap();
        let archive = backup(&from, 1 << 20).unwrap();
        let (_b, to) = dir_with(&[("welcome", tone(400, 50)), ("other", tone(400, 50))]);
        let restored = restore(&to, &archive, 1 << 20).unwrap();
        assert_eq!(restored.added, vec!["menu".to_owned()]);
        assert_eq!(restored.replaced, vec!["welcome".to_owned()]);
        assert_eq!(
            &to.load("welcome").unwrap().unwrap().samples[..],
            &tone(800, 100)[..]
        );
        assert_eq!(
            &to.load("menu").unwrap().unwrap().samples[..],
            &tone(1600, 200)[..]
        );
        assert!(to.load("other").unwrap().is_some(), "kept");
        assert!(to.load("broken").unwrap().is_none(), "not backed up");
    }

    fn archive_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, bytes) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            builder.append_data(&mut header, name, *bytes).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn a_bad_entry_refuses_the_archive_and_changes_nothing() {
        let good = crate::import::wav_bytes(&tone(800, 300));
        let (_t, dir) = dir_with(&[("welcome", tone(400, 50))]);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                archive_of(&[("welcome.wav", &good), ("menu.wav", b"garbage")]),
                "entry `menu.wav` is not a prompt the engine can play",
            ),
            (
                archive_of(&[("welcome.wav", &good), ("notes.txt", b"x")]),
                "entry `notes.txt` is not a prompt file",
            ),
            (
                archive_of(&[("sub/welcome.wav", &good)]),
                "entry `sub/welcome.wav` is not a prompt file",
            ),
            (
                archive_of(&[("welcome.wav", &good), ("welcome.wav", &good)]),
                "appears twice",
            ),
            (archive_of(&[]), "the archive is empty"),
            (vec![0x55; 1024], "not a tar archive"),
        ];
        for (archive, expected) in cases {
            let error = restore(&dir, &archive, 1 << 20).unwrap_err().to_string();
            assert!(error.contains(expected), "{error} / {expected}");
            assert_eq!(
                &dir.load("welcome").unwrap().unwrap().samples[..],
                &tone(400, 50)[..]
            );
            assert!(dir.load("menu").unwrap().is_none());
        }
        let big = archive_of(&[("welcome.wav", &good)]);
        let error = restore(&dir, &big, 100).unwrap_err();
        assert!(matches!(error, ArchiveError::TooBig { .. }), "{error}");
    }
}
