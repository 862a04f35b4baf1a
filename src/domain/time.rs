//! Instants as Unix milliseconds, written as RFC 3339 UTC with `Z`. The clock lives at the edge.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// An instant, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    pub fn plus_seconds(self, seconds: u64) -> Millis {
        Millis(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    pub fn as_seconds(self) -> u64 {
        self.0 / 1000
    }

    /// `2026-11-25T15:30:00.123Z`.
    pub fn to_rfc3339(self) -> String {
        let millis = i64::try_from(self.0).unwrap_or(i64::MAX);
        DateTime::<Utc>::from_timestamp_millis(millis)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Parses an RFC 3339 time with any offset.
    pub fn parse_rfc3339(text: &str) -> Option<Millis> {
        let parsed = DateTime::parse_from_rfc3339(text).ok()?;
        u64::try_from(parsed.timestamp_millis()).ok().map(Millis)
    }
}

/// An instant as the API and the stores write it: `to_rfc3339`.
impl Serialize for Millis {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

/// An instant sent by a client or read from a store: RFC 3339 with any offset, from 1970 on.
impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Millis::parse_rfc3339(&text).ok_or_else(|| {
            serde::de::Error::custom("must be an RFC 3339 time such as 2026-01-31T09:30:00Z")
        })
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn an_instant_is_written_in_utc_with_z_and_millis() {
        assert_eq!(Millis(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Millis(1_795_620_600_123).to_rfc3339(),
            "2026-11-25T15:30:00.123Z"
        );
    }

    #[test]
    fn a_stored_instant_decodes_to_millis_and_writes_back_the_same_text() {
        let stored = "\"2026-11-25T15:30:00.123Z\"";
        let instant: Millis = serde_json::from_str(stored).expect("an instant");
        assert_eq!(instant, Millis(1_795_620_600_123));
        assert_eq!(serde_json::to_string(&instant).expect("text"), stored);
        assert!(serde_json::from_str::<Millis>("\"x\"").is_err());
    }

    #[test]
    fn rfc3339_with_an_offset_parses_to_the_same_instant() {
        assert_eq!(
            Millis::parse_rfc3339("2026-11-25T16:30:00.123+01:00"),
            Some(Millis(1_795_620_600_123))
        );
        assert_eq!(Millis::parse_rfc3339("2026-11-25"), None);
        assert_eq!(Millis::parse_rfc3339("1969-12-31T23:59:59Z"), None);
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn writing_then_parsing_gives_back_the_instant(ms in 0u64..253_402_300_799_999) {
            proptest::prop_assert_eq!(Millis::parse_rfc3339(&Millis(ms).to_rfc3339()), Some(Millis(ms)));
        }
    }
}
