//! Replacing a prompt while the engine may be loading the directory: every load finds a whole
//! prompt, the old one or the new one, never a half-written file or a temporary one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use prompts::{PromptDir, PromptLibrary, PromptName};

#[test]
fn loads_during_installs_always_see_a_whole_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let prompts = PromptDir::new(dir.path());
    let name = PromptName::new("welcome").unwrap();
    let old: Vec<i16> = (0..8000).map(|i| (i % 100) as i16 * 100).collect();
    let new: Vec<i16> = (0..16_000).map(|i| -((i % 50) as i16) * 200).collect();
    prompts.install(&name, &old).unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        let path = dir.path().to_owned();
        let (old, new) = (old.clone(), new.clone());
        std::thread::spawn(move || {
            let mut loads = 0;
            while !done.load(Ordering::Relaxed) || loads < 50 {
                let library = PromptLibrary::load_dir(&path).expect("every load succeeds");
                assert_eq!(library.names(), ["welcome"], "no temporary file is loaded");
                let samples = library.get("welcome").unwrap().samples.clone();
                assert!(
                    samples[..] == old[..] || samples[..] == new[..],
                    "a mixed or partial prompt of {} samples",
                    samples.len()
                );
                loads += 1;
            }
            loads
        })
    };
    for round in 0..100 {
        let version = if round % 2 == 0 { &new } else { &old };
        prompts.install(&name, version).unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let loads = reader.join().expect("the reader saw only whole prompts");
    assert!(loads >= 50);
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, ["welcome.wav"]);
}
