//! Uploaded prompt audio (WAV) on arbitrary bytes: refused with a reason or loaded, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prompts::Prompt;

fuzz_target!(|data: &[u8]| {
    if let Ok(prompt) = Prompt::from_wav_bytes("upload", data) {
        assert_eq!(prompt.pcmu.len(), prompt.samples.len());
        assert_eq!(prompt.pcma.len(), prompt.samples.len());
    }
});
