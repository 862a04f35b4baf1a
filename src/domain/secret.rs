//! Secrets handed to clients (session tokens, API tokens, CSRF tokens, OAuth nonces) and the
//! SHA-256 digests that are all the server keeps of the bearer ones. Random bytes come from the edge.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// The prefix that marks a personal access token, so leaked tokens are easy to scan for.
pub const API_TOKEN_PREFIX: &str = "pat_";

/// 32 random bytes as unpadded base64url: 43 characters, safe in cookies, headers and URLs.
pub fn encode_secret(random: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

pub fn api_token(random: &[u8; 32]) -> String {
    format!("{API_TOKEN_PREFIX}{}", encode_secret(random))
}

/// Lower-case hex SHA-256: the storage key of a token, never the token itself.
pub fn sha256_hex(text: &str) -> String {
    sha256_hex_bytes(text.as_bytes())
}

pub fn sha256_hex_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0x0f)]));
    }
    hex
}

/// Whether `presented` has the shape of one of our secrets, so junk never reaches a store.
pub fn looks_like_secret(presented: &str) -> bool {
    presented.len() == 43
        && presented
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Compares two secrets in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_secret_is_43_url_safe_characters() {
        let secret = encode_secret(&[0xfb; 32]);
        assert_eq!(secret.len(), 43);
        assert!(looks_like_secret(&secret));
        assert!(!looks_like_secret(&format!("{secret}=")));
        assert!(!looks_like_secret("short"));
    }

    #[test]
    fn api_tokens_carry_their_prefix() {
        let token = api_token(&[7; 32]);
        assert!(token.starts_with("pat_"));
        assert!(looks_like_secret(&token[4..]));
    }

    #[test]
    fn sha256_matches_the_standard_vector() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time_comparison_is_still_equality() {
        assert!(constant_time_eq("same", "same"));
        assert!(!constant_time_eq("same", "sane"));
        assert!(!constant_time_eq("same", "same!"));
    }
}
