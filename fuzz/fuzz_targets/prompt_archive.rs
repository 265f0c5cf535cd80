//! Fuzzing of a prompts archive an administrator restores (`prompts::archive::read`): any
//! bytes, as uploaded. Checks: no panic; an accepted archive holds 1 to `MAX_ENTRIES` prompts
//! with valid, distinct names, each one the engine plays.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prompts::archive::{self, MAX_ENTRIES};

fuzz_target!(|upload: &[u8]| {
    let Ok(prompts) = archive::read(upload, 1 << 20) else {
        return;
    };
    assert!(!prompts.is_empty() && prompts.len() <= MAX_ENTRIES);
    let mut names: Vec<&str> = prompts.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), prompts.len(), "names are distinct");
    for (name, prompt) in &prompts {
        assert!(prompts::PromptName::new(name.as_str()).is_ok());
        assert!(!prompt.samples.is_empty());
    }
});
