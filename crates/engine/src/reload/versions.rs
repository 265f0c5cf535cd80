//! The IVR script versions the engine has served, kept so that an earlier one can be restored.
//!
//! Each version is one file `<unix ms>.ivr` in the versions directory (by default
//! `ivr-versions/` in the data directory), written when the version was activated; a version
//! identical to the newest kept one is not written again. The newest [`KEPT`] are kept.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// How many versions are kept.
pub const KEPT: usize = 50;

/// One kept version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// When it was activated (Unix ms); also its id on the command line.
    pub activated_unix_ms: i64,
    pub path: PathBuf,
}

impl Version {
    /// Its id on the command line: the activation time in UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub fn id(&self) -> String {
        utc(self.activated_unix_ms)
    }
}

/// The kept versions, oldest first.
pub fn list(dir: &Path) -> std::io::Result<Vec<Version>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let ms = path
            .extension()
            .filter(|e| *e == "ivr")
            .and(path.file_stem())
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<i64>().ok());
        if let Some(activated_unix_ms) = ms {
            out.push(Version {
                activated_unix_ms,
                path,
            });
        }
    }
    out.sort_by_key(|v| v.activated_unix_ms);
    Ok(out)
}

/// The version whose id (see [`Version::id`]) or Unix-ms time is `id`.
pub fn find(dir: &Path, id: &str) -> std::io::Result<Option<Version>> {
    Ok(list(dir)?
        .into_iter()
        .find(|v| v.id() == id || v.activated_unix_ms.to_string() == id))
}

/// Keeps `text` as the version activated at `now_unix_ms`, unless it is the newest kept one
/// already; then drops the oldest beyond [`KEPT`]. Returns whether it was written.
pub fn keep(dir: &Path, text: &str, now_unix_ms: i64) -> std::io::Result<bool> {
    std::fs::create_dir_all(dir)?;
    let kept = list(dir)?;
    if let Some(newest) = kept.last()
        && std::fs::read_to_string(&newest.path).is_ok_and(|t| t == text)
    {
        return Ok(false);
    }
    // Never two versions at the same millisecond, nor one older than the newest.
    let at = kept
        .last()
        .map_or(now_unix_ms, |n| now_unix_ms.max(n.activated_unix_ms + 1));
    let path = dir.join(format!("{at}.ivr"));
    let temp = dir.join(format!(".{at}.ivr.writing"));
    {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&temp, &path)?;
    let all = list(dir)?;
    for old in all.iter().take(all.len().saturating_sub(KEPT)) {
        std::fs::remove_file(&old.path)?;
    }
    Ok(true)
}

/// Writes `text` over `target` in one step (a temporary file beside it, flushed, then renamed),
/// so that a running engine never reads half a script.
pub fn replace_atomically(target: &Path, text: &str) -> std::io::Result<()> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "script".into());
    let temp = dir.join(format!(".{name}.{}.writing", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(target) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// `unix_ms` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn utc(unix_ms: i64) -> String {
    let ms = unix_ms.rem_euclid(1000);
    let secs = unix_ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times() {
        assert_eq!(utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(utc(1_796_036_645_007), "2026-11-30T11:04:05.007Z");
    }

    #[test]
    fn versions_are_kept_once_each_newest_last_and_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        assert!(
            list(&dir).unwrap().is_empty(),
            "no directory yet: nothing kept"
        );
        assert!(keep(&dir, "a", 1000).unwrap());
        assert!(
            !keep(&dir, "a", 2000).unwrap(),
            "same as the newest: not again"
        );
        assert!(
            keep(&dir, "b", 1000).unwrap(),
            "a clock step back still orders it last"
        );
        let kept = list(&dir).unwrap();
        assert_eq!(kept.len(), 2);
        assert_eq!(std::fs::read_to_string(&kept[1].path).unwrap(), "b");
        assert_eq!(kept[1].activated_unix_ms, 1001);
        let found = find(&dir, &kept[0].id()).unwrap().expect("by id");
        assert_eq!(found, kept[0]);
        assert_eq!(find(&dir, "1001").unwrap().as_ref(), Some(&kept[1]));
        for i in 0..(KEPT as i64 + 5) {
            keep(&dir, &format!("v{i}"), 10_000 + i).unwrap();
        }
        let kept = list(&dir).unwrap();
        assert_eq!(kept.len(), KEPT);
        assert_eq!(
            std::fs::read_to_string(&kept[KEPT - 1].path).unwrap(),
            format!("v{}", KEPT + 4)
        );
    }

    #[test]
    fn replacing_a_file_leaves_no_temporary_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("s.ivr");
        std::fs::write(&target, "old").unwrap();
        replace_atomically(&target, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
