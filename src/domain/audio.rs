//! Audio tracks: which formats are taken and how their first bytes must look, the size limits,
//! and single byte ranges of a download.

use serde::{Deserialize, Serialize};

/// The largest upload: 50 MiB.
pub const MAX_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;
/// What one user's own tracks may hold in all, unless configured otherwise: 500 MiB.
pub const DEFAULT_QUOTA_BYTES: u64 = 500 * 1024 * 1024;
/// How many leading bytes the format check reads.
pub const SNIFF_BYTES: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    Mpeg,
    Ogg,
    Wav,
    Webm,
    Aac,
    Mp4,
    Flac,
}

impl AudioFormat {
    pub const ALL: [AudioFormat; 7] = [
        AudioFormat::Mpeg,
        AudioFormat::Ogg,
        AudioFormat::Wav,
        AudioFormat::Webm,
        AudioFormat::Aac,
        AudioFormat::Mp4,
        AudioFormat::Flac,
    ];

    pub fn content_type(self) -> &'static str {
        match self {
            AudioFormat::Mpeg => "audio/mpeg",
            AudioFormat::Ogg => "audio/ogg",
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Webm => "audio/webm",
            AudioFormat::Aac => "audio/aac",
            AudioFormat::Mp4 => "audio/mp4",
            AudioFormat::Flac => "audio/flac",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            AudioFormat::Mpeg => "mp3",
            AudioFormat::Ogg => "ogg",
            AudioFormat::Wav => "wav",
            AudioFormat::Webm => "webm",
            AudioFormat::Aac => "aac",
            AudioFormat::Mp4 => "m4a",
            AudioFormat::Flac => "flac",
        }
    }

    /// The format a `Content-Type` header names (parameters ignored), if it is one we take.
    pub fn from_content_type(header: &str) -> Option<AudioFormat> {
        let essence = header.split(';').next().unwrap_or("").trim();
        AudioFormat::ALL
            .into_iter()
            .find(|format| format.content_type().eq_ignore_ascii_case(essence))
    }

    /// Whether `head`, the first bytes of a file, look like this format: an ID3 tag or an MPEG
    /// frame sync, `OggS`, RIFF/WAVE, EBML, an ADTS header, an ISO `ftyp` box, `fLaC`.
    pub fn matches(self, head: &[u8]) -> bool {
        match self {
            AudioFormat::Mpeg => {
                head.starts_with(b"ID3")
                    || matches!(head, [0xFF, second, ..] if second & 0xE0 == 0xE0 && second & 0x06 != 0)
            }
            AudioFormat::Ogg => head.starts_with(b"OggS"),
            AudioFormat::Wav => head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WAVE"),
            AudioFormat::Webm => head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]),
            AudioFormat::Aac => {
                head.starts_with(b"ID3")
                    || matches!(head, [0xFF, second, ..] if second & 0xF6 == 0xF0)
            }
            AudioFormat::Mp4 => head.get(4..8) == Some(b"ftyp"),
            AudioFormat::Flac => head.starts_with(b"fLaC"),
        }
    }
}

/// Whose a track is: the uploader's alone, or the library every user sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    User,
    Library,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Library => "library",
        }
    }

    pub fn parse(text: Option<&str>) -> Option<Scope> {
        match text {
            None | Some("user") => Some(Scope::User),
            Some("library") => Some(Scope::Library),
            Some(_) => None,
        }
    }
}

/// What a `Range` header asks of an object of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable range (absent, not bytes, several ranges): the whole object.
    Whole,
    /// Bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// No byte of the object is in the range: `416`.
    Unsatisfiable,
}

impl RangeRequest {
    /// A single `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-`, or a suffix `-n`. A malformed or
    /// multi-range header is ignored, as the RFC allows, and the whole object is served.
    pub fn parse(header: Option<&str>, size: u64) -> RangeRequest {
        let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
            return RangeRequest::Whole;
        };
        if spec.contains(',') {
            return RangeRequest::Whole;
        }
        let Some((first, last)) = spec.trim().split_once('-') else {
            return RangeRequest::Whole;
        };
        let number = |text: &str| text.trim().parse::<u64>().ok();
        match (first.trim().is_empty(), last.trim().is_empty()) {
            // `-n`: the last n bytes.
            (true, false) => match number(last) {
                Some(0) => RangeRequest::Unsatisfiable,
                Some(_) if size == 0 => RangeRequest::Unsatisfiable,
                Some(n) => RangeRequest::Part {
                    start: size.saturating_sub(n),
                    end: size - 1,
                },
                None => RangeRequest::Whole,
            },
            (false, open) => {
                let Some(start) = number(first) else {
                    return RangeRequest::Whole;
                };
                let end = if open { Some(u64::MAX) } else { number(last) };
                match end {
                    None => RangeRequest::Whole,
                    Some(end) if end < start => RangeRequest::Whole,
                    Some(_) if start >= size => RangeRequest::Unsatisfiable,
                    Some(end) => RangeRequest::Part {
                        start,
                        end: end.min(size - 1),
                    },
                }
            }
            (true, true) => RangeRequest::Whole,
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn each_format_knows_its_first_bytes() {
        let samples: [(AudioFormat, &[u8]); 9] = [
            (
                AudioFormat::Mpeg,
                b"ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00",
            ),
            (
                AudioFormat::Mpeg,
                &[0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0],
            ),
            (AudioFormat::Ogg, b"OggS\x00\x02\x00\x00\x00\x00\x00\x00"),
            (AudioFormat::Wav, b"RIFF\x24\x08\x00\x00WAVE"),
            (
                AudioFormat::Webm,
                &[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 1, 0, 0, 0],
            ),
            (
                AudioFormat::Aac,
                &[0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC, 0, 0, 0, 0, 0],
            ),
            (AudioFormat::Mp4, b"\x00\x00\x00\x20ftypM4A "),
            (AudioFormat::Flac, b"fLaC\x00\x00\x00\x22\x10\x00\x10\x00"),
            (AudioFormat::Aac, b"ID3\x03\x00\x00\x00\x00\x00\x00\x00\x00"),
        ];
        for (format, head) in samples {
            assert!(format.matches(head), "{format:?}");
            let others = AudioFormat::ALL
                .into_iter()
                .filter(|other| other.matches(head) && *other != format)
                .filter(|other| {
                    !(head.starts_with(b"ID3")
                        && matches!(other, AudioFormat::Mpeg | AudioFormat::Aac))
                });
            assert_eq!(others.count(), 0, "{format:?} is unambiguous");
        }
        for format in AudioFormat::ALL {
            assert!(!format.matches(b"<html><body>"), "{format:?}");
            assert!(!format.matches(b""), "{format:?}");
            assert_eq!(
                AudioFormat::from_content_type(format.content_type()),
                Some(format)
            );
        }
        assert!(!AudioFormat::Wav.matches(b"RIFF\x24\x08\x00\x00AVI "));
    }

    #[test]
    fn content_types_are_read_by_their_essence() {
        assert_eq!(
            AudioFormat::from_content_type("Audio/MPEG; charset=binary"),
            Some(AudioFormat::Mpeg)
        );
        for other in ["audio/x-wav", "video/mp4", "application/octet-stream", ""] {
            assert_eq!(AudioFormat::from_content_type(other), None, "{other}");
        }
    }

    #[test]
    fn single_ranges_are_served_and_others_ignored() {
        use RangeRequest::*;
        for (header, expected) in [
            (None, Whole),
            (Some("bytes=0-99"), Part { start: 0, end: 99 }),
            (
                Some("bytes=100-"),
                Part {
                    start: 100,
                    end: 999,
                },
            ),
            (
                Some("bytes=-10"),
                Part {
                    start: 990,
                    end: 999,
                },
            ),
            (Some("bytes=-5000"), Part { start: 0, end: 999 }),
            (
                Some("bytes=500-99999"),
                Part {
                    start: 500,
                    end: 999,
                },
            ),
            (
                Some("bytes=999-999"),
                Part {
                    start: 999,
                    end: 999,
                },
            ),
            (Some("bytes=1000-"), Unsatisfiable),
            (Some("bytes=5000-6000"), Unsatisfiable),
            (Some("bytes=-0"), Unsatisfiable),
            (Some("bytes=0-1,5-6"), Whole),
            (Some("bytes=9-3"), Whole),
            (Some("items=0-1"), Whole),
            (Some("bytes=x-1"), Whole),
        ] {
            assert_eq!(RangeRequest::parse(header, 1000), expected, "{header:?}");
        }
        assert_eq!(RangeRequest::parse(Some("bytes=-1"), 0), Unsatisfiable);
    }
}
