//! Personal access tokens for extensions and scripts: named, shown once, revocable.

use serde::Deserialize;

use super::text::Text;

/// A token's label: 1–100 characters.
pub type TokenName = Text<1, 100>;

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
