//! Content items (goals so far; habits, quests, workouts and books follow the same shape): the
//! fields a client may send, validated on the way in, and the fields every item has.

pub mod goal;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// An item's free-form `metadata`: a JSON object of at most 8 KiB.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Metadata(Map<String, Value>);

pub const MAX_METADATA_BYTES: usize = 8 * 1024;

impl Metadata {
    /// The stored text of an item's metadata; unreadable text reads as empty.
    pub fn from_stored(text: &str) -> Metadata {
        serde_json::from_str(text).map(Metadata).unwrap_or_default()
    }

    pub fn to_stored(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = Map::<String, Value>::deserialize(deserializer)?;
        let size = Value::Object(object.clone()).to_string().len();
        if size > MAX_METADATA_BYTES {
            return Err(serde::de::Error::custom(format!(
                "must be a JSON object of at most {MAX_METADATA_BYTES} bytes"
            )));
        }
        Ok(Metadata(object))
    }
}

/// A field that may be set, cleared with `null`, or left out of a PATCH.
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
