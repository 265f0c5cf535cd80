//! Any text given to the IVR script parser is parsed or refused with line-numbered errors,
//! never a panic; every diagnostic points inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count().max(1);
    match ivr::Script::parse("fuzz.ivr", text) {
        Ok(script) => {
            let _ = script.prompts_used();
            let _ = script.queues_used();
            assert!(script.warnings().iter().all(|w| w.line >= 1 && w.line <= lines));
        }
        Err(e) => {
            assert!(!e.errors().is_empty());
            assert!(e.errors().iter().all(|d| d.line >= 1 && d.line <= lines));
            let _ = e.to_string();
        }
    }
});
