//! Content items (goals, habits, quests, workouts, books): the fields a client may send,
//! validated on the way in, and the fields every kind shares.

pub mod book;
pub mod filter;
pub mod goal;
pub mod habit;
pub mod quest;
pub mod workout;

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

/// An optional field that, when present, must hold a value: `null` is refused rather than read
/// as "left out", so a body means what its schema says.
pub fn present<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// A field that may be set, cleared with `null`, or left out of a PATCH.
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A description: at most 5000 characters, kept as sent; line breaks and tabs are allowed,
/// other control characters are not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Description(String);

impl Description {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Description {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.chars().count() > 5000 {
            return Err(serde::de::Error::custom("must be at most 5000 characters"));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(serde::de::Error::custom(
                "must not contain control characters other than line breaks and tabs",
            ));
        }
        Ok(Description(text))
    }
}
