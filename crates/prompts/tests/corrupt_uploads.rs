//! Uploaded audio is remote input: any corruption of a valid WAV is refused or loaded, never a
//! panic.

use prompts::Prompt;
use proptest::prelude::*;

fn valid_wav() -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut bytes, spec).unwrap();
    for i in 0..64i16 {
        writer.write_sample(i * 100).unwrap();
    }
    writer.finalize().unwrap();
    bytes.into_inner()
}

proptest! {
    #[test]
    fn corrupted_wav_never_panics(
        edits in prop::collection::vec((0usize..172, any::<u8>()), 1..8),
        cut in 0usize..=172,
    ) {
        let mut bytes = valid_wav();
        for (at, value) in edits {
            if let Some(byte) = bytes.get_mut(at) {
                *byte = value;
            }
        }
        bytes.truncate(cut);
        if let Ok(prompt) = Prompt::from_wav_bytes("upload", &bytes) {
            prop_assert_eq!(prompt.pcmu.len(), prompt.samples.len());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        let _ = Prompt::from_wav_bytes("upload", &bytes);
    }
}
