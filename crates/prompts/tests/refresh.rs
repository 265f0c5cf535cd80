//! A running engine re-reads its prompts directory: changed and new prompts are picked up, a
//! broken replacement is refused and the old version keeps playing, a deleted prompt that is
//! still played stays in memory.

use std::path::Path;

use prompts::{InvalidWav, PromptDir, PromptLibrary};

fn wav(path: &Path, level: i16, samples: usize) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..samples {
        w.write_sample(if i % 2 == 0 { level } else { -level })
            .unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn changes_are_picked_up_and_what_breaks_or_is_still_played_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    wav(&d.join("welcome.wav"), 1000, 800);
    wav(&d.join("goodbye.wav"), 2000, 800);
    wav(&d.join("menu.wav"), 3000, 800);
    wav(&d.join("old_promo.wav"), 4000, 800);
    let dir = PromptDir::new(d);
    let first = PromptLibrary::load_dir(d).unwrap();
    let welcome_before = first.get("welcome").unwrap();

    // Nothing changed: the same library, prompt for prompt.
    let same = first.refresh(&dir, &|_| true).unwrap();
    assert!(!same.changed(), "{same:?}");
    assert!(std::sync::Arc::ptr_eq(
        &same.library.get("welcome").unwrap(),
        &welcome_before
    ));

    // welcome re-recorded, a new prompt, goodbye broken, menu and old_promo deleted (the
    // script still plays menu, nothing plays old_promo).
    wav(&d.join("welcome.wav"), 1500, 1600);
    wav(&d.join("closed.wav"), 500, 800);
    std::fs::write(d.join("goodbye.wav"), b"RIFF not really").unwrap();
    std::fs::remove_file(d.join("menu.wav")).unwrap();
    std::fs::remove_file(d.join("old_promo.wav")).unwrap();
    let r = first.refresh(&dir, &|name| name != "old_promo").unwrap();
    assert!(r.changed());
    assert_eq!(r.replaced, ["welcome"]);
    assert_eq!(r.added, ["closed"]);
    assert_eq!(r.removed, ["old_promo"]);
    assert_eq!(r.kept_in_use, ["menu"]);
    let [(file, reason)] = r.refused.as_slice() else {
        panic!("one refusal: {:?}", r.refused);
    };
    assert!(file.ends_with("goodbye.wav"));
    assert!(!matches!(reason, InvalidWav::BadName), "{reason}");

    let lib = &r.library;
    assert_eq!(
        lib.get("welcome").unwrap().samples.len(),
        1600,
        "the new welcome"
    );
    assert_eq!(lib.get("welcome").unwrap().samples[0], 1500);
    assert_eq!(
        lib.get("goodbye").unwrap().samples[0],
        2000,
        "the old goodbye plays on"
    );
    assert_eq!(
        lib.get("menu").unwrap().samples[0],
        3000,
        "kept from memory"
    );
    assert!(lib.get("old_promo").is_none());
    assert_eq!(lib.names(), ["closed", "goodbye", "menu", "welcome"]);
    // The library refreshed is unchanged: calls holding it keep what they had.
    assert_eq!(first.get("welcome").unwrap().samples.len(), 800);
}
