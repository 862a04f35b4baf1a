//! Sync cursors: where a client is in its user's change log, or in the first full copy of its
//! data. Opaque to clients and tamper-evident: each carries an HMAC under a key of the user's
//! own, so a forged cursor, or another user's, is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use serde::Deserialize;

use super::entity::Entity;
use super::error::{ApiError, ApiResult};
use super::json_body::Bounded;

/// `POST /api/sync/poll`: `cursor` must be sent, as `null` for a first poll.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollRequest {
    #[serde(deserialize_with = "Option::deserialize")]
    pub cursor: Option<String>,
    #[serde(default, deserialize_with = "super::content::present")]
    limit: Option<Bounded<1, 1000>>,
}

/// `POST /api/sync/push`: operations queued offline, applied in order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub operations: Operations,
}

/// 1 to 100 operations.
#[derive(Debug)]
pub struct Operations(pub Vec<Operation>);

pub const MAX_OPERATIONS: usize = 100;

impl<'de> Deserialize<'de> for Operations {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let operations = Vec::<Operation>::deserialize(deserializer)?;
        if operations.is_empty() || operations.len() > MAX_OPERATIONS {
            return Err(serde::de::Error::custom(format!(
                "must hold 1 to {MAX_OPERATIONS} operations"
            )));
        }
        Ok(Operations(operations))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum OperationMethod {
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "PUT")]
    Put,
    #[serde(rename = "PATCH")]
    Patch,
    #[serde(rename = "DELETE")]
    Delete,
}

impl OperationMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationMethod::Post => "POST",
            OperationMethod::Put => "PUT",
            OperationMethod::Patch => "PATCH",
            OperationMethod::Delete => "DELETE",
        }
    }
}

/// One write of the API, as its own request would make it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    pub idempotency_key: IdempotencyKey,
    pub method: OperationMethod,
    pub path: OperationPath,
    #[serde(default)]
    pub body: Option<serde_json::Map<String, serde_json::Value>>,
}

/// 1–255 printable ASCII, as the `Idempotency-Key` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(pub String);

impl<'de> Deserialize<'de> for IdempotencyKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = String::deserialize(deserializer)?;
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(serde::de::Error::custom(
                "must be 1 to 255 printable ASCII characters",
            ));
        }
        Ok(IdempotencyKey(key))
    }
}

/// A path of the API the user's own writes go to, normalised as the URL parser that routes it
/// will read it (`.`, `..`, `%2e` segments resolved) before it is judged: not sign-in or
/// sign-out (`/api/auth/`), no sync request inside a sync request, nothing that hands out or
/// manages a credential (`/api/tokens`) or erases the account (`/api/me`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationPath(pub String);

/// The prefixes an offline replay may not reach.
const REFUSED_PREFIXES: [&str; 4] = ["/api/auth/", "/api/sync/", "/api/tokens", "/api/me"];

impl OperationPath {
    pub fn parse(text: &str) -> Option<OperationPath> {
        let printable = text.len() <= 2_000
            && !text.contains(['#', '\\'])
            && text.bytes().all(|b| (0x21..0x7f).contains(&b));
        if !printable || !text.starts_with('/') || text.starts_with("//") {
            return None;
        }
        let base = url::Url::parse("https://api.invalid/").ok()?;
        let url = base.join(text).ok()?;
        if url.origin() != base.origin() {
            return None;
        }
        let path = url.path();
        let refused = REFUSED_PREFIXES.iter().any(|prefix| {
            path.strip_prefix(prefix).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with('/') || prefix.ends_with('/')
            })
        });
        if !path.starts_with("/api/") || refused || path.to_ascii_lowercase().contains("%2e") {
            return None;
        }
        Some(OperationPath(match url.query() {
            Some(query) => format!("{path}?{query}"),
            None => path.to_owned(),
        }))
    }
}

impl<'de> Deserialize<'de> for OperationPath {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        OperationPath::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(
                "must be an API path of a write (not /api/auth/, /api/sync/, /api/tokens or /api/me)",
            )
        })
    }
}

impl PollRequest {
    pub fn limit(&self) -> u32 {
        self.limit.map_or(100, |limit| limit.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncCursor {
    /// A full copy in progress: entity `entity` (an index into `Entity::ALL`) after the id `after`;
    /// the log is then read from `upto`, the last change before the copy began.
    Copy {
        upto: u64,
        entity: usize,
        after: Option<String>,
    },
    /// The change log after `seq`.
    Log { seq: u64 },
}

const MAC_BYTES: usize = 16;

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn mac(key: &[u8], payload: &str) -> [u8; MAC_BYTES] {
    let full = hmac_sha256(key, format!("sync-cursor:{payload}").as_bytes());
    let mut short = [0u8; MAC_BYTES];
    short.copy_from_slice(&full[..MAC_BYTES]);
    short
}

fn bad_cursor() -> ApiError {
    ApiError::invalid_field("cursor", "is not a cursor this server gave you")
}

impl SyncCursor {
    fn payload(&self) -> String {
        match self {
            SyncCursor::Copy {
                upto,
                entity,
                after,
            } => format!("c:{upto}:{entity}:{}", after.as_deref().unwrap_or("")),
            SyncCursor::Log { seq } => format!("l:{seq}"),
        }
    }

    pub fn encode(&self, key: &[u8]) -> String {
        let payload = self.payload();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(mac(key, &payload))
        )
    }

    /// What `text` says before its MAC is checked (the key may not be at hand yet): only for
    /// reading ahead what `decode` will then confirm or refuse.
    pub fn decode_unverified(text: &str) -> ApiResult<SyncCursor> {
        let (payload, _) = text.split_once('.').ok_or_else(bad_cursor)?;
        Self::parse(&Self::payload_of(payload)?)
    }

    fn payload_of(encoded: &str) -> ApiResult<String> {
        URL_SAFE_NO_PAD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(bad_cursor)
    }

    pub fn decode(text: &str, key: &[u8]) -> ApiResult<SyncCursor> {
        let (payload, tag) = text.split_once('.').ok_or_else(bad_cursor)?;
        let payload = Self::payload_of(payload)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad_cursor())?;
        let expected = mac(key, &payload);
        // Compared in constant time: the tag is a secret until it matches.
        let same = tag.len() == MAC_BYTES
            && tag
                .iter()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(bad_cursor());
        }
        Self::parse(&payload)
    }

    fn parse(payload: &str) -> ApiResult<SyncCursor> {
        let parts: Vec<&str> = payload.split(':').collect();
        let number = |text: &str| text.parse::<u64>().map_err(|_| bad_cursor());
        match parts.as_slice() {
            ["l", seq] => Ok(SyncCursor::Log { seq: number(seq)? }),
            ["c", upto, entity, after] => Ok(SyncCursor::Copy {
                upto: number(upto)?,
                entity: usize::try_from(number(entity)?)
                    .ok()
                    .filter(|e| *e < Entity::ALL.len())
                    .ok_or_else(bad_cursor)?,
                after: (!after.is_empty()).then(|| (*after).to_owned()),
            }),
            _ => Err(bad_cursor()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::domain::secret::hex;

    #[test]
    fn a_poll_names_its_cursor_even_when_null() {
        use crate::domain::json_body::parse_json_body;
        let first: PollRequest = parse_json_body(br#"{"cursor":null}"#).expect("valid");
        assert_eq!((first.cursor.as_deref(), first.limit()), (None, 100));
        let next: PollRequest = parse_json_body(br#"{"cursor":"x.y","limit":5}"#).expect("valid");
        assert_eq!((next.cursor.as_deref(), next.limit()), (Some("x.y"), 5));
        for body in [
            r#"{}"#,
            r#"{"limit":5}"#,
            r#"{"cursor":null,"limit":0}"#,
            r#"{"cursor":null,"limit":null}"#,
        ] {
            assert!(
                parse_json_body::<PollRequest>(body.as_bytes()).is_err(),
                "{body}"
            );
        }
    }

    #[test]
    fn an_operation_path_is_judged_after_dot_segments_are_resolved() {
        let parsed = |text: &str| OperationPath::parse(text).map(|path| path.0);
        assert_eq!(parsed("/api/./goals").as_deref(), Some("/api/goals"));
        assert_eq!(
            parsed("/api/goals/x/../y?limit=2").as_deref(),
            Some("/api/goals/y?limit=2")
        );
        assert_eq!(parsed("/api/metrics").as_deref(), Some("/api/metrics"));
        assert_eq!(
            parsed("/api/tokensmith").as_deref(),
            Some("/api/tokensmith")
        );
        for refused in [
            "/api/./sync/push",
            "/api/%2e/auth/signout-all",
            "/api/%2e%2e/api/auth/signout",
            "/api/x/%2E%2E/sync/poll",
            "/api/tokens",
            "/api/tokens/",
            "/api/me",
            "/api/me/export",
            "/api/..",
            "/goals",
            "//host/api/goals",
        ] {
            assert_eq!(parsed(refused), None, "{refused}");
        }
    }

    #[test]
    fn pushed_operations_are_api_writes() {
        use crate::domain::json_body::parse_json_body;
        let push: PushRequest = parse_json_body(
            br#"{"operations":[{"idempotency_key":"k1","method":"POST","path":"/api/goals","body":{"title":"x"}},
                               {"idempotency_key":"k2","method":"DELETE","path":"/api/goals/1"}]}"#,
        )
        .expect("valid");
        assert_eq!(push.operations.0.len(), 2);
        let op = |method: &str, path: &str| {
            format!(
                r#"{{"operations":[{{"idempotency_key":"k","method":"{method}","path":"{path}"}}]}}"#
            )
        };
        for body in [
            op("GET", "/api/goals"),
            op("POST", "/api/sync/push"),
            op("POST", "/api/sync/poll"),
            op("POST", "/api/auth/signout"),
            op("POST", "https://elsewhere.example/api/goals"),
            op("POST", "/api/../admin"),
            op("POST", "/api/goals x"),
            op("POST", "/api/./sync/push"),
            op("POST", "/api/%2e/auth/signout-all"),
            op("POST", "/api/%2E/auth/signout-all"),
            op("POST", "/api/goals/../sync/push"),
            op("POST", "/api/goals/%2e%2e/auth/signout"),
            op("POST", "/api/tokens"),
            op("DELETE", "/api/tokens/0190a0b0-0000-7000-8000-000000000000"),
            op("POST", "/api/./tokens"),
            op("DELETE", "/api/me"),
            op("POST", "//elsewhere.example/api/goals"),
            r#"{"operations":[]}"#.to_owned(),
            r#"{"operations":[{"idempotency_key":"","method":"POST","path":"/api/goals"}]}"#.to_owned(),
            r#"{"operations":[{"idempotency_key":"k","method":"POST","path":"/api/goals","body":[1]}]}"#.to_owned(),
        ] {
            assert!(parse_json_body::<PushRequest>(body.as_bytes()).is_err(), "{body}");
        }
        let many = format!(
            r#"{{"operations":[{}]}}"#,
            vec![r#"{"idempotency_key":"k","method":"POST","path":"/api/goals"}"#; 101].join(",")
        );
        assert!(parse_json_body::<PushRequest>(many.as_bytes()).is_err());
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 1 and 2 of RFC 4231.
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn cursors_round_trip_under_their_key_only() {
        let key = b"user-one-key";
        for cursor in [
            SyncCursor::Log { seq: 0 },
            SyncCursor::Log { seq: 987_654 },
            SyncCursor::Copy {
                upto: 42,
                entity: 3,
                after: Some("01a21404-6452-7d70-be80-52419a3706d8".into()),
            },
            SyncCursor::Copy {
                upto: 0,
                entity: 0,
                after: None,
            },
        ] {
            let text = cursor.encode(key);
            assert_eq!(SyncCursor::decode(&text, key).ok(), Some(cursor.clone()));
            assert!(
                SyncCursor::decode(&text, b"user-two-key").is_err(),
                "foreign"
            );
            assert_eq!(SyncCursor::decode_unverified(&text).ok(), Some(cursor));
        }
    }

    #[test]
    fn a_forged_cursor_reads_ahead_but_does_not_decode() {
        let good = SyncCursor::Log { seq: 5 }.encode(b"k");
        let (_, tag) = good.split_once('.').unwrap_or_default();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("l:6"));
        assert_eq!(
            SyncCursor::decode_unverified(&forged).ok(),
            Some(SyncCursor::Log { seq: 6 })
        );
        assert!(SyncCursor::decode(&forged, b"k").is_err());
        assert!(SyncCursor::decode_unverified("l:5").is_err());
    }

    #[test]
    fn forged_cursors_are_refused() {
        let key = b"k";
        let good = SyncCursor::Log { seq: 5 }.encode(key);
        let (_, tag) = good.split_once('.').unwrap_or_default();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("l:6"));
        for text in [
            forged.as_str(),
            "",
            "l:5",
            "bDo1",
            "bDo1.",
            "bDo1.AAAA",
            &good[..good.len() - 1],
        ] {
            assert!(SyncCursor::decode(text, key).is_err(), "{text}");
        }
        let out_of_range = SyncCursor::Copy {
            upto: 1,
            entity: 99,
            after: None,
        }
        .encode(key);
        assert!(SyncCursor::decode(&out_of_range, key).is_err());
    }
}
