//! Prompt import: an uploaded recording in a format people have, turned into our canonical
//! prompt (8 kHz, mono, 16-bit PCM) or refused with the reason.
//!
//! Accepted: WAV (8/16/24/32-bit integer or 32/64-bit float PCM, A-law, µ-law, any rate from
//! 4 kHz to 768 kHz, any number of channels), MP3, Ogg Vorbis, FLAC. The format is recognised
//! from the bytes, never from the file name. The audio is decoded (symphonia), downmixed to mono
//! by averaging the channels, and resampled once to 8 kHz with a band-limited sinc filter
//! (rubato); its level is kept as it is, and samples beyond 16-bit full scale are clamped and
//! reported. Import works on bytes in memory and writes nothing: [`crate::PromptDir::install`]
//! puts the result in place.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Duration;

use symphonia::core::codecs::CodecParameters;
use symphonia::core::codecs::audio::{AudioCodecId, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as DecodeError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

use crate::resample::Downsampler;
use crate::{Prompt, PromptName, SAMPLE_RATE};

/// Longest recording [`ImportLimits::default`] accepts.
pub const DEFAULT_MAX_IMPORT_DURATION: Duration = Duration::from_secs(10 * 60);
/// Largest upload [`ImportLimits::default`] accepts: 50 MiB (10 minutes of 44.1 kHz stereo
/// 16-bit WAV is 101 MiB, so long WAV recordings must come compressed or at a lower rate).
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 50 * 1024 * 1024;
/// Lowest sample rate accepted.
pub const MIN_INPUT_RATE: u32 = 4_000;
/// Highest sample rate accepted.
pub const MAX_INPUT_RATE: u32 = 768_000;
/// A prompt whose loudest sample is below this (-60 dBFS) is reported as silent.
const SILENCE_PEAK: u16 = 32;

/// How much an import may take in. Both limits are checked before anything is decoded where
/// the file tells (its size, a duration announced by WAV and FLAC headers), and the duration
/// again while decoding, so that memory stays bounded by `max_duration` whatever the file
/// claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Longest recording; at most [`crate::MAX_DURATION`], the longest prompt the engine loads
    /// (a larger value counts as that).
    pub max_duration: Duration,
    /// Largest file, in bytes.
    pub max_input_bytes: u64,
}

impl Default for ImportLimits {
    fn default() -> Self {
        Self {
            max_duration: DEFAULT_MAX_IMPORT_DURATION,
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
        }
    }
}

impl ImportLimits {
    fn max_duration(&self) -> Duration {
        self.max_duration.min(crate::MAX_DURATION)
    }
}

/// What the uploaded file was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceAudio {
    /// Container: `wav`, `mp3`, `ogg` or `flac`.
    pub format: &'static str,
    /// Codec, e.g. `pcm_s24le`, `mp3`, `vorbis`, `flac`.
    pub codec: &'static str,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Number of channels.
    pub channels: usize,
    /// Bits per sample, where the format has such a thing (not MP3 or Vorbis).
    pub bits_per_sample: Option<u32>,
    /// Playing time of the decoded audio.
    pub duration: Duration,
}

/// Something worth telling the operator about an accepted import.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ImportWarning {
    /// The recording is silent or nearly so (loudest sample below -60 dBFS).
    Silent {
        /// The loudest sample in dBFS; `None` for digital silence.
        peak_dbfs: Option<f64>,
    },
    /// Some samples were beyond 16-bit full scale (a float recording above 0 dBFS, or the
    /// resampler's ringing on a recording already at full scale) and were clamped.
    Clipped {
        /// How many of the 8 kHz samples.
        samples: u64,
    },
}

impl std::fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Silent { peak_dbfs: None } => {
                f.write_str("the recording is digital silence: callers will hear nothing")
            }
            Self::Silent {
                peak_dbfs: Some(peak),
            } => write!(
                f,
                "the recording is nearly silent (loudest sample {peak:.1} dBFS): callers will hear next to nothing"
            ),
            Self::Clipped { samples } => write!(
                f,
                "{samples} samples were louder than full scale and were clipped: lower the level of the recording if it sounds distorted"
            ),
        }
    }
}

/// An accepted recording, converted: 8 kHz mono 16-bit samples, not yet installed.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The samples at 8 kHz.
    pub samples: Vec<i16>,
    /// What the upload was.
    pub source: SourceAudio,
    /// The loudest sample, as a magnitude (0 to 32768).
    pub peak: u32,
    /// What the operator should know.
    pub warnings: Vec<ImportWarning>,
}

impl Imported {
    /// Playing time at 8 kHz.
    pub fn duration(&self) -> Duration {
        samples_duration(self.samples.len() as u64, SAMPLE_RATE)
    }

    /// The loudest sample in dBFS; `None` for digital silence.
    pub fn peak_dbfs(&self) -> Option<f64> {
        dbfs(self.peak)
    }

    /// The canonical prompt file: 8 kHz mono 16-bit PCM WAV.
    pub fn to_wav(&self) -> Vec<u8> {
        wav_bytes(&self.samples)
    }

    /// The prompt as the engine holds it, pre-encoded to G.711.
    pub fn into_prompt(self, name: &PromptName) -> Prompt {
        Prompt::from_samples(name.as_str(), self.samples)
    }
}

/// Why an upload was refused. Each message says why in plain words.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// More than [`ImportLimits::max_input_bytes`].
    #[error("the file is {}, more than the {} allowed", size_text(*size), size_text(*max))]
    TooBig {
        /// The file's size in bytes.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// No container we know (WAV, MP3, Ogg, FLAC) was found: another kind of file, a format we
    /// do not decode (MP4/AAC, Opus, WMA...), or random bytes.
    #[error("not an audio file we can read ({detail}): use wav, mp3, ogg vorbis or flac")]
    NotAudio {
        /// What the decoder found.
        detail: String,
    },
    /// A known container holding audio in a codec we do not decode (Opus in Ogg, ADPCM in
    /// WAV...).
    #[error(
        "the {format} file holds {codec} audio, which we do not decode: use wav, mp3, ogg vorbis or flac"
    )]
    UnsupportedCodec {
        /// The container.
        format: &'static str,
        /// The codec, as far as we can name it.
        codec: String,
    },
    /// A known container using a feature we cannot decode.
    #[error(
        "the {format} file uses something we cannot decode ({detail}): use wav, mp3, ogg vorbis or flac"
    )]
    Unsupported {
        /// The container.
        format: &'static str,
        /// What the decoder found.
        detail: String,
    },
    /// A container without any audio in it.
    #[error("the {format} file has no audio track")]
    NoAudioTrack {
        /// The container.
        format: &'static str,
    },
    /// An audio track of zero length.
    #[error("the file contains no audio")]
    NoAudio,
    /// A sample rate outside [`MIN_INPUT_RATE`]..=[`MAX_INPUT_RATE`], or none at all.
    #[error("the audio's sample rate ({}) is outside the {MIN_INPUT_RATE} to {MAX_INPUT_RATE} Hz we accept", rate_text(*rate))]
    SampleRate {
        /// The rate the file states, if any.
        rate: Option<u32>,
    },
    /// The stream is damaged.
    #[error("the audio is damaged after {}: {detail}", duration_text(*at))]
    Corrupt {
        /// How far decoding got.
        at: Duration,
        /// What the decoder found.
        detail: String,
    },
    /// The file stops in the middle of the audio, or before the length its header announces
    /// (an interrupted upload or copy).
    #[error("the file is cut short: it ends after {}{}", duration_text(*decoded), announced.map(|d| format!(" of the {} it announces", duration_text(d))).unwrap_or_default())]
    Truncated {
        /// Audio actually present.
        decoded: Duration,
        /// Audio the header announces, where it does.
        announced: Option<Duration>,
    },
    /// Longer than [`ImportLimits::max_duration`].
    #[error("the recording is longer than {}, the longest a prompt may be{}", duration_text(*max), announced.map(|d| format!(" (it lasts {})", duration_text(d))).unwrap_or_default())]
    TooLong {
        /// The limit.
        max: Duration,
        /// The length the file announces, when it does.
        announced: Option<Duration>,
    },
    /// The resampler refused the audio (a sign of a broken invariant: rates are checked first).
    #[error("cannot convert the audio to 8000 Hz: {detail}")]
    Resample {
        /// What the resampler said.
        detail: String,
    },
    /// The file could not be read (only from [`import_file`]).
    #[error("cannot read the file: {0}")]
    Read(#[source] std::io::Error),
}

/// Converts an upload held in memory. See the module documentation for what is accepted;
/// the size limit is checked first, the duration limit from the header and while decoding.
pub fn import(upload: &[u8], limits: &ImportLimits) -> Result<Imported, ImportError> {
    check_size(upload.len() as u64, limits)?;
    // Symphonia's decoders are meant to return errors on bad input, but they are a large body of
    // code parsing what anyone can upload: a panic in one of them must refuse the file, not take
    // the process down with it.
    catch_unwind(AssertUnwindSafe(|| Conversion::run(upload, limits))).unwrap_or_else(|_| {
        Err(ImportError::NotAudio {
            detail: "the decoder gave up on this file".into(),
        })
    })
}

/// Reads and converts a file, checking its size before reading it.
pub fn import_file(path: &Path, limits: &ImportLimits) -> Result<Imported, ImportError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(ImportError::Read)?;
    let size = file.metadata().map_err(ImportError::Read)?.len();
    check_size(size, limits)?;
    // The file may grow after the check: never read more than the limit and one byte.
    let mut upload = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limits.max_input_bytes.saturating_add(1))
        .read_to_end(&mut upload)
        .map_err(ImportError::Read)?;
    import(&upload, limits)
}

fn check_size(size: u64, limits: &ImportLimits) -> Result<(), ImportError> {
    if size == 0 {
        return Err(ImportError::Empty);
    }
    if size > limits.max_input_bytes {
        return Err(ImportError::TooBig {
            size,
            max: limits.max_input_bytes,
        });
    }
    Ok(())
}

/// One decode: container, track, decoder and resampler.
struct Conversion<'a> {
    reader: Box<dyn FormatReader + 'a>,
    decoder: Box<dyn AudioDecoder>,
    track: u32,
    source: SourceAudio,
    /// The track's length as the header states it, where that is exact (WAV, FLAC, MP3 with a
    /// LAME tag).
    announced_frames: Option<u64>,
    /// The limit, and the same in frames at the source's rate.
    max_duration: Duration,
    max_frames: u64,
    downsampler: Downsampler,
}

impl<'a> Conversion<'a> {
    fn run(upload: &'a [u8], limits: &ImportLimits) -> Result<Imported, ImportError> {
        let mut conversion = Self::open(upload, limits)?;
        conversion.decode_all()?;
        conversion.finish()
    }

    fn open(upload: &'a [u8], limits: &ImportLimits) -> Result<Self, ImportError> {
        let stream = MediaSourceStream::new(
            Box::new(Cursor::new(upload)),
            MediaSourceStreamOptions::default(),
        );
        let reader = symphonia::default::get_probe()
            .probe(
                &Hint::new(),
                stream,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| ImportError::NotAudio {
                detail: not_audio_detail(&e),
            })?;
        let format = match reader.format_info().short_name {
            "wave" => "wav",
            other => other,
        };
        let track = reader
            .default_track(TrackType::Audio)
            .ok_or(ImportError::NoAudioTrack { format })?;
        let Some(CodecParameters::Audio(params)) = &track.codec_params else {
            return Err(ImportError::NoAudioTrack { format });
        };
        let sample_rate = params
            .sample_rate
            .filter(|r| (MIN_INPUT_RATE..=MAX_INPUT_RATE).contains(r))
            .ok_or(ImportError::SampleRate {
                rate: params.sample_rate,
            })?;
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(params, &AudioDecoderOptions::default().verify(true))
            .map_err(|_| ImportError::UnsupportedCodec {
                format,
                codec: codec_name(params.codec),
            })?;
        let max_duration = limits.max_duration();
        let max_frames =
            (max_duration.as_millis() as u64).saturating_mul(u64::from(sample_rate)) / 1000;
        // WAV and FLAC headers state the exact length, and so does an MP3's LAME tag (the tag
        // that also gives the encoder's delay). Without that tag an MP3's length is estimated
        // from its bit rate, and Ogg's is read from its last page: neither says more than what
        // is there.
        let exact_length = match format {
            "wav" | "flac" => true,
            "mp3" => track.delay.is_some(),
            _ => false,
        };
        let announced_frames = track.num_frames.filter(|_| exact_length);
        if let Some(frames) = announced_frames
            && frames > max_frames
        {
            return Err(ImportError::TooLong {
                max: max_duration,
                announced: Some(samples_duration(frames, sample_rate)),
            });
        }
        let source = SourceAudio {
            format,
            codec: decoder.codec_info().short_name,
            sample_rate,
            channels: params.channels.as_ref().map_or(0, |c| c.count()),
            bits_per_sample: params.bits_per_sample,
            duration: Duration::ZERO,
        };
        let downsampler = Downsampler::new(sample_rate).map_err(|e| ImportError::Resample {
            detail: e.to_string(),
        })?;
        Ok(Self {
            track: track.id,
            reader,
            decoder,
            source,
            announced_frames,
            max_duration,
            max_frames,
            downsampler,
        })
    }

    /// How far decoding got.
    fn position(&self) -> Duration {
        samples_duration(self.downsampler.frames_in(), self.source.sample_rate)
    }

    fn corrupt(&self, error: &DecodeError) -> ImportError {
        match error {
            DecodeError::Unsupported(what) => ImportError::Unsupported {
                format: self.source.format,
                detail: (*what).to_owned(),
            },
            DecodeError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                ImportError::Truncated {
                    decoded: self.position(),
                    announced: self
                        .announced_frames
                        .map(|n| samples_duration(n, self.source.sample_rate)),
                }
            }
            other => ImportError::Corrupt {
                at: self.position(),
                detail: other.to_string(),
            },
        }
    }

    fn decode_all(&mut self) -> Result<(), ImportError> {
        let mut planes: Vec<Vec<f32>> = Vec::new();
        let mut mono: Vec<f32> = Vec::new();
        loop {
            let packet = match self.reader.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => break,
                Err(DecodeError::ResetRequired) => {
                    return Err(ImportError::Unsupported {
                        format: self.source.format,
                        detail: "several streams chained in one file".into(),
                    });
                }
                Err(e) => return Err(self.corrupt(&e)),
            };
            if packet.track_id != self.track {
                continue;
            }
            let decoded = match self.decoder.decode(&packet) {
                Ok(decoded) => decoded,
                Err(e) => return Err(self.corrupt(&e)),
            };
            let rate = decoded.spec().rate();
            if rate != self.source.sample_rate {
                return Err(ImportError::Corrupt {
                    at: self.position(),
                    detail: format!(
                        "the sample rate changes from {} Hz to {rate} Hz",
                        self.source.sample_rate
                    ),
                });
            }
            let frames = decoded.frames();
            if self.downsampler.frames_in() + frames as u64 > self.max_frames {
                return Err(ImportError::TooLong {
                    max: self.max_duration,
                    announced: None,
                });
            }
            decoded.copy_to_vecs_planar::<f32>(&mut planes);
            downmix(&planes, frames, &mut mono);
            if let Some(bad) = mono.iter().position(|s| !s.is_finite()) {
                return Err(ImportError::Corrupt {
                    at: self.position() + samples_duration(bad as u64, self.source.sample_rate),
                    detail: "samples that are not numbers (NaN or infinity)".into(),
                });
            }
            self.downsampler
                .push(&mono)
                .map_err(|e| ImportError::Resample {
                    detail: e.to_string(),
                })?;
        }
        if self.decoder.finalize().verify_ok == Some(false) {
            return Err(ImportError::Corrupt {
                at: self.position(),
                detail: "the audio does not match the checksum the file carries".into(),
            });
        }
        Ok(())
    }

    fn finish(self) -> Result<Imported, ImportError> {
        let frames_in = self.downsampler.frames_in();
        let rate = self.source.sample_rate;
        if let Some(announced) = self.announced_frames
            && frames_in < announced
        {
            return Err(ImportError::Truncated {
                decoded: samples_duration(frames_in, rate),
                announced: Some(samples_duration(announced, rate)),
            });
        }
        if frames_in == 0 {
            return Err(ImportError::NoAudio);
        }
        let (samples, clipped) = self
            .downsampler
            .finish()
            .map_err(|e| ImportError::Resample {
                detail: e.to_string(),
            })?;
        let peak = samples
            .iter()
            .map(|s| u32::from(s.unsigned_abs()))
            .max()
            .unwrap_or(0);
        let mut warnings = Vec::new();
        if peak <= u32::from(SILENCE_PEAK) {
            warnings.push(ImportWarning::Silent {
                peak_dbfs: dbfs(peak),
            });
        }
        if clipped > 0 {
            warnings.push(ImportWarning::Clipped { samples: clipped });
        }
        Ok(Imported {
            samples,
            source: SourceAudio {
                duration: samples_duration(frames_in, rate),
                ..self.source
            },
            peak,
            warnings,
        })
    }
}

/// The average of the channels: a mono mix that cannot clip and keeps the level of audio
/// recorded the same on every channel.
fn downmix(planes: &[Vec<f32>], frames: usize, mono: &mut Vec<f32>) {
    mono.clear();
    mono.resize(frames, 0.0);
    let channels = planes.len();
    if channels == 0 {
        return;
    }
    for plane in planes {
        for (out, sample) in mono.iter_mut().zip(plane) {
            *out += *sample;
        }
    }
    if channels > 1 {
        let scale = 1.0 / channels as f32;
        mono.iter_mut().for_each(|s| *s *= scale);
    }
}

/// A name an operator may recognise for a codec we do not decode.
fn codec_name(codec: AudioCodecId) -> String {
    use symphonia::core::codecs::audio::well_known::*;
    let known = [
        (CODEC_ID_OPUS, "Opus"),
        (CODEC_ID_SPEEX, "Speex"),
        (CODEC_ID_AAC, "AAC"),
        (CODEC_ID_AC3, "AC-3"),
        (CODEC_ID_EAC3, "E-AC-3"),
        (CODEC_ID_WMA, "WMA"),
        (CODEC_ID_ALAC, "ALAC"),
        (CODEC_ID_WAVPACK, "WavPack"),
        (CODEC_ID_MP1, "MPEG layer I"),
        (CODEC_ID_MP2, "MPEG layer II"),
        (CODEC_ID_ADPCM_G722, "G.722"),
        (CODEC_ID_ADPCM_G726, "G.726"),
        (CODEC_ID_ADPCM_G726LE, "G.726"),
        (CODEC_ID_ADPCM_MS, "Microsoft ADPCM"),
        (CODEC_ID_ADPCM_IMA_WAV, "IMA ADPCM"),
        (CODEC_ID_ADPCM_IMA_QT, "IMA ADPCM"),
    ];
    known
        .iter()
        .find(|(id, _)| *id == codec)
        .map_or_else(|| format!("codec {codec}"), |(_, name)| (*name).to_owned())
}

fn not_audio_detail(error: &DecodeError) -> String {
    match error {
        // What the probe says when no reader recognises the bytes.
        DecodeError::Unsupported(what) if what.contains("no suitable format reader") => {
            "no wav, mp3, ogg or flac header found".into()
        }
        // A reader recognised its format but not this variant of it (a GSM 6.10 WAV...).
        DecodeError::Unsupported(what) => format!("{what}: not an encoding we decode"),
        DecodeError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "it ends unexpectedly: is it complete?".into()
        }
        other => other.to_string(),
    }
}

/// 16-bit mono 8 kHz WAV bytes.
pub(crate) fn wav_bytes(samples: &[i16]) -> Vec<u8> {
    // 44-byte canonical header (RIFF, fmt with PCM, data), written by hand: a `Vec` cannot fail
    // to take bytes, unlike hound's writer over a generic sink.
    let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX - 36);
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    out.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

fn samples_duration(frames: u64, rate: u32) -> Duration {
    let rate = u64::from(rate.max(1));
    Duration::from_secs(frames / rate)
        + Duration::from_nanos((frames % rate) * 1_000_000_000 / rate)
}

fn dbfs(peak: u32) -> Option<f64> {
    (peak > 0).then(|| 20.0 * (f64::from(peak) / 32768.0).log10())
}

/// `0.969 s`, `3.2 s`, `2 min 05 s`.
pub(crate) fn duration_text(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        let text = format!("{secs:.3}");
        format!("{} s", text.trim_end_matches('0').trim_end_matches('.'))
    } else {
        let whole = d.as_secs();
        match whole % 60 {
            0 => format!("{} min", whole / 60),
            s => format!("{} min {s:02} s", whole / 60),
        }
    }
}

pub(crate) fn size_text(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

fn rate_text(rate: Option<u32>) -> String {
    rate.map_or_else(|| "not stated".to_owned(), |r| format!("{r} Hz"))
}
