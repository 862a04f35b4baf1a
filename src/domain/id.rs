//! Identifiers: UUIDv7 strings, time-ordered so new rows append to the end of an index.

use uuid::Builder;

/// A UUIDv7 from a Unix time in milliseconds and 10 random bytes supplied by the caller.
pub fn uuid_v7(unix_ms: u64, random: [u8; 10]) -> String {
    Builder::from_unix_timestamp_millis(unix_ms, &random)
        .into_uuid()
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_v7_id_carries_its_version_and_sorts_by_time() {
        let earlier = uuid_v7(1_700_000_000_000, [0xff; 10]);
        let later = uuid_v7(1_700_000_000_001, [0x00; 10]);
        assert_eq!(earlier.len(), 36);
        assert_eq!(&earlier[14..15], "7");
        assert!(earlier < later);
    }
}
