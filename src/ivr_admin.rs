//! `centralino ivr`: changing the IVR script of a running engine from the command line.
//!
//! Nothing here talks to the engine: it checks a script as `check-ivr` does and installs it
//! atomically over the configured `[ivr] script`, which the engine's live reload
//! ([`engine::reload`]) picks up within a second (calls already in the IVR finish on the version
//! they started with). The versions that served are those the engine kept in its data
//! directory.

use std::path::PathBuf;

use engine::reload::versions;

use crate::Config;

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Check this file and install it as the configured script.
    Activate(PathBuf),
    /// List the kept versions.
    Versions,
    /// Check the kept version with this id and install it.
    Restore(String),
}

/// Runs `action` against the deployment `config` describes; what it did goes to stdout, a
/// refusal comes back as the error text (file, line and reason).
pub fn run(config: &Config, action: Action) -> Result<(), String> {
    let target = config.resolve(&config.ivr_script);
    let prompts = config.resolve(&config.prompts_dir);
    let kept_in = config.data_dir.join(crate::IVR_VERSIONS_DIR);
    match action {
        Action::Activate(file) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
            engine::reload::validate(&file, &text, &prompts)?;
            install(&target, &text)?;
            println!(
                "{}: checked and installed as {}; the running engine serves it to the next caller",
                file.display(),
                target.display()
            );
        }
        Action::Versions => {
            let kept =
                versions::list(&kept_in).map_err(|e| format!("{}: {e}", kept_in.display()))?;
            let current = std::fs::read_to_string(&target).ok();
            for v in &kept {
                let text = std::fs::read_to_string(&v.path).unwrap_or_default();
                let mark = if current.as_deref() == Some(text.as_str()) {
                    "  (the configured script)"
                } else {
                    ""
                };
                println!("{}  {} lines{mark}", v.id(), text.lines().count());
            }
            println!("{} versions kept in {}", kept.len(), kept_in.display());
        }
        Action::Restore(id) => {
            let version = versions::find(&kept_in, &id)
                .map_err(|e| format!("{}: {e}", kept_in.display()))?
                .ok_or_else(|| {
                    format!(
                        "no version {id} in {} (see `centralino ivr versions`)",
                        kept_in.display()
                    )
                })?;
            let text = std::fs::read_to_string(&version.path)
                .map_err(|e| format!("{}: cannot read: {e}", version.path.display()))?;
            // Checked under the configured script's name, against today's prompts.
            engine::reload::validate(&target, &text, &prompts)?;
            install(&target, &text)?;
            println!(
                "version {} restored as {}; the running engine serves it to the next caller",
                version.id(),
                target.display()
            );
        }
    }
    Ok(())
}

fn install(target: &std::path::Path, text: &str) -> Result<(), String> {
    versions::replace_atomically(target, text)
        .map_err(|e| format!("{}: cannot write: {e}", target.display()))
}
