//! Personal access tokens for extensions and scripts: named, scoped, optionally expiring, shown
//! once, revocable. A token is never the whole account: managing tokens, signing out everywhere,
//! erasing the account and admin work need a browser session.

use serde::{Deserialize, Serialize};

use super::json_body::Bounded;
use super::text::Text;
use super::time::Millis;

/// A token's label: 1–100 characters.
pub type TokenName = Text<1, 100>;

/// What a token may do. `write`, the default, is what tokens made before scopes could do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    /// Reads only: `GET` (and `HEAD`), and the sync poll, which reads.
    Read,
    #[default]
    Write,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    /// Whether a request of `method` to `path` is within the scope.
    pub fn allows(self, method: &str, path: &str) -> bool {
        match self {
            TokenScope::Write => true,
            TokenScope::Read => {
                matches!(method, "GET" | "HEAD") || (method == "POST" && path == "/api/sync/poll")
            }
        }
    }
}

/// `POST /api/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    pub name: TokenName,
    #[serde(default)]
    pub scope: TokenScope,
    /// Days until the token stops working (1–365); without it, until revoked (`null` is refused).
    #[serde(default, deserialize_with = "super::content::present")]
    pub expires_in_days: Option<Bounded<1, 365>>,
}

impl CreateApiToken {
    /// When the token expires, made at `now`.
    pub fn expires_at(&self, now: Millis) -> Option<Millis> {
        self.expires_in_days.map(|days| {
            Millis(
                now.0
                    .saturating_add(u64::from(days.0) * 24 * 60 * 60 * 1000),
            )
        })
    }
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
    fn a_token_is_read_write_unless_asked_otherwise_and_may_expire() {
        let plain: CreateApiToken = parse_json_body(br#"{"name":"cli"}"#).expect("valid");
        assert_eq!(plain.scope, TokenScope::Write);
        assert_eq!(plain.expires_at(Millis(1_000)), None);
        let read: CreateApiToken =
            parse_json_body(br#"{"name":"cli","scope":"read","expires_in_days":2}"#)
                .expect("valid");
        assert_eq!(read.scope, TokenScope::Read);
        assert_eq!(
            read.expires_at(Millis(1_000)),
            Some(Millis(1_000 + 2 * 86_400_000))
        );
        for body in [
            r#"{"name":"a","scope":"admin"}"#,
            r#"{"name":"a","expires_in_days":0}"#,
            r#"{"name":"a","expires_in_days":366}"#,
            r#"{"name":"a","expires_in_days":null}"#,
        ] {
            let error = parse_json_body::<CreateApiToken>(body.as_bytes()).expect_err(body);
            assert!(error.fields.is_some(), "{body}");
        }
    }

    #[test]
    fn a_null_scope_is_refused() {
        let error = parse_json_body::<CreateApiToken>(br#"{"name":"a","scope":null}"#)
            .expect_err("null scope");
        assert_eq!(error.status(), 400, "{}", error.message);
    }

    #[test]
    fn a_read_token_reads_and_polls_but_writes_nothing() {
        assert!(TokenScope::Read.allows("GET", "/api/goals"));
        assert!(TokenScope::Read.allows("HEAD", "/api/goals"));
        assert!(TokenScope::Read.allows("POST", "/api/sync/poll"));
        for (method, path) in [
            ("POST", "/api/goals"),
            ("POST", "/api/sync/push"),
            ("PATCH", "/api/settings"),
            ("DELETE", "/api/goals/x"),
            ("PUT", "/api/x"),
        ] {
            assert!(!TokenScope::Read.allows(method, path), "{method} {path}");
            assert!(TokenScope::Write.allows(method, path));
        }
    }

    #[test]
    fn a_token_needs_a_sensible_name() {
        assert!(parse_json_body::<CreateApiToken>(br#"{"name":"chrome extension"}"#).is_ok());
        for body in [
            r#"{"name":""}"#,
            r#"{"name":"   "}"#,
            r#"{}"#,
            r#"{"name":"a","scope":"all"}"#,
            r#"{"name":"a","expiry":1}"#,
        ] {
            let error = parse_json_body::<CreateApiToken>(body.as_bytes()).expect_err(body);
            assert_eq!(error.status(), 400);
            assert!(error.fields.is_some(), "{body}");
        }
        let long = format!(r#"{{"name":"{}"}}"#, "n".repeat(101));
        assert!(parse_json_body::<CreateApiToken>(long.as_bytes()).is_err());
    }
}
