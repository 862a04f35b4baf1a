//! Bounded, trimmed text fields (titles, names, reasons): the bounds are in the type, so a value
//! that exists is valid.

use serde::{Deserialize, Serialize};

/// Text of `MIN..=MAX` characters after trimming, without control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text<const MIN: usize, const MAX: usize>(String);

impl<const MIN: usize, const MAX: usize> Text<MIN, MAX> {
    /// The bounds count the text as sent (so a schema's `maxLength` means the same), and it
    /// must hold `MIN` characters besides surrounding whitespace, which is then trimmed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if text.chars().count() > MAX || trimmed.chars().count() < MIN {
            return Err(format!("must be {MIN} to {MAX} characters"));
        }
        // Checked before trimming: `trim` also takes C1 controls such as U+0085 (NEL, a Unicode
        // space), which the documented pattern refuses anywhere.
        if text.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Text(trimmed.to_owned()))
    }

    /// `text` when valid, else `fallback` (a constant the caller knows to be valid).
    pub fn parse_or(text: &str, fallback: &'static str) -> Self {
        Self::parse(text).unwrap_or_else(|_| Text(fallback.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<'de, const MIN: usize, const MAX: usize> Deserialize<'de> for Text<MIN, MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Text::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// A title of a goal, habit, quest, book or reward.
pub type Title = Text<1, 200>;

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded_in_characters() {
        assert_eq!(
            Title::parse("  Read more  ").map(|t| t.into_string()),
            Ok("Read more".into())
        );
        assert!(Title::parse("   ").is_err());
        assert!(
            Title::parse(&"é".repeat(200)).is_ok(),
            "characters, not bytes"
        );
        assert!(Title::parse(&"é".repeat(201)).is_err());
        assert!(Title::parse("bell\u{7}").is_err());
        assert!(
            Title::parse("\u{85}next line first").is_err(),
            "a C1 control, though Unicode space"
        );
        assert!(Title::parse("\ttabbed").is_err());
        assert!(
            Title::parse(&format!("{} ", "a".repeat(200))).is_err(),
            "the sent length counts"
        );
    }
}
