//! Personal access tokens for extensions and scripts: named, shown once, revocable.

use serde::{Deserialize, Serialize};

/// A token's label: 1–100 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenName(String);

impl TokenName {
    pub fn parse(text: &str) -> Result<TokenName, String> {
        let name = text.trim();
        let length = name.chars().count();
        if length == 0 || length > 100 {
            return Err("must be 1 to 100 characters".into());
        }
        if name.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(TokenName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for TokenName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        TokenName::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// `POST /api/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    pub name: TokenName,
}

/// How often a token's `last_used_at` is rewritten, at most.
pub const LAST_USED_RESOLUTION_MS: u64 = 60_000;

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::domain::json_body::parse_json_body;

    #[test]
    fn a_token_needs_a_sensible_name() {
        assert!(parse_json_body::<CreateApiToken>(br#"{"name":"chrome extension"}"#).is_ok());
        for body in [
            r#"{"name":""}"#,
            r#"{"name":"   "}"#,
            r#"{}"#,
            r#"{"name":"a","scope":"all"}"#,
        ] {
            let error = parse_json_body::<CreateApiToken>(body.as_bytes()).expect_err(body);
            assert_eq!(error.status(), 400);
            assert!(error.fields.is_some(), "{body}");
        }
        let long = format!(r#"{{"name":"{}"}}"#, "n".repeat(101));
        assert!(parse_json_body::<CreateApiToken>(long.as_bytes()).is_err());
    }
}
