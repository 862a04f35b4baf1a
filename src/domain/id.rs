//! Identifiers: UUIDv7 strings, time-ordered so new rows append to the end of an index.

use uuid::Builder;

use super::error::{ApiError, ApiResult};
/// An id a client chose for an item it creates (an offline client names the item before the
/// server has seen it, so later operations of its queue can act on it): a lowercase hyphenated
/// UUIDv7 (version 7, RFC 9562 variant). Its time is the client's clock, taken as it is: an id
/// only orders a list, and a wrong clock only moves its own item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenId(String);

impl ChosenId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for ChosenId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let lowercase = !text.bytes().any(|b| b.is_ascii_uppercase());
        let is_v7 = parse_path_id(&text).is_ok()
            && lowercase
            && uuid::Uuid::parse_str(&text).is_ok_and(|id| {
                id.get_version_num() == 7 && id.get_variant() == uuid::Variant::RFC4122
            });
        if !is_v7 {
            return Err(serde::de::Error::custom(
                "must be a UUIDv7 (lowercase, hyphenated)",
            ));
        }
        Ok(ChosenId(text))
    }
}

/// A UUIDv7 from a Unix time in milliseconds and 10 random bytes supplied by the caller.
pub fn uuid_v7(unix_ms: u64, random: [u8; 10]) -> String {
    Builder::from_unix_timestamp_millis(unix_ms, &random)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// A path id: a hyphenated UUID, checked before any lookup so a bad one is `400`, not `404`.
/// An item's id sent in a body (a link to another item): a UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemId(pub String);

impl<'de> serde::Deserialize<'de> for ItemId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_path_id(&text).map_err(|_| serde::de::Error::custom("must be a UUID"))?;
        Ok(ItemId(text))
    }
}

pub fn parse_path_id(text: &str) -> ApiResult<&str> {
    let is_uuid = text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if is_uuid {
        Ok(text)
    } else {
        Err(ApiError::bad_request(format!("{text:?} is not a UUID")))
    }
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

    #[test]
    fn a_chosen_id_is_a_lowercase_hyphenated_v7() {
        let chosen = |text: &str| serde_json::from_value::<ChosenId>(serde_json::json!(text));
        let id = uuid_v7(1_700_000_000_000, [7; 10]);
        assert_eq!(chosen(&id).unwrap().as_str(), id);
        for bad in [
            id.to_uppercase(),
            "01900000-0000-4000-8000-000000000000".to_owned(),
            "01900000-0000-7000-c000-000000000000".to_owned(),
            "01900000000070008000000000000000".to_owned(),
            "not an id".to_owned(),
        ] {
            assert!(chosen(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn path_ids_must_be_uuids() {
        assert!(parse_path_id("01900000-0000-7000-8000-000000000000").is_ok());
        for bad in [
            "",
            "01900000-0000-7000-8000-00000000000",
            "0190000000-00-7000-8000-000000000000",
            "zz900000-0000-7000-8000-000000000000",
        ] {
            assert_eq!(
                parse_path_id(bad).map_err(|e| e.status()),
                Err(400),
                "{bad:?}"
            );
        }
    }
}
