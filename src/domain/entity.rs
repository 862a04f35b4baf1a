//! The registry of what a user keeps: every kind of item the change log records, sync sends,
//! export writes, erasure removes and the admin counts. Sync, export, erasure and the counts
//! iterate `Entity::ALL`, and a `match` on an entity names every one, so a new kind is one line
//! here and the compiler lists every place it must be handled.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entity {
    Settings,
    Goal,
    Habit,
    Quest,
    Workout,
    Book,
    FocusSession,
    Audio,
}

impl Entity {
    /// Every entity, in the order a full sync copy sends them. A copy's cursor holds an index
    /// into this list, so a new entity goes at the end.
    pub const ALL: [Entity; 8] = [
        Entity::Settings,
        Entity::Goal,
        Entity::Habit,
        Entity::Quest,
        Entity::Workout,
        Entity::Book,
        Entity::FocusSession,
        Entity::Audio,
    ];

    /// The stable code of the change log, of sync's changes and of errors: never renamed, the
    /// log and clients hold it.
    pub const fn code(self) -> &'static str {
        match self {
            Entity::Settings => "settings",
            Entity::Goal => "goal",
            Entity::Habit => "habit",
            Entity::Quest => "quest",
            Entity::Workout => "workout",
            Entity::Book => "book",
            Entity::FocusSession => "focus_session",
            Entity::Audio => "audio",
        }
    }

    pub fn from_code(code: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|entity| entity.code() == code)
    }

    /// Its items in the plural: the name of its section of an export and of its count in an
    /// admin's view of a user.
    pub const fn plural(self) -> &'static str {
        match self {
            Entity::Settings => "settings",
            Entity::Goal => "goals",
            Entity::Habit => "habits",
            Entity::Quest => "quests",
            Entity::Workout => "workouts",
            Entity::Book => "books",
            Entity::FocusSession => "focus_sessions",
            Entity::Audio => "audio_tracks",
        }
    }

    /// Where it is in `ALL` (declared in the same order).
    pub const fn position(self) -> usize {
        self as usize
    }
}

impl Serialize for Entity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Entity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Entity::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("{code:?} is not an entity")))
    }
}

/// What a change did to its item: it is there now (created, changed, restored), or it is gone
/// (deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeOp {
    Upsert,
    Delete,
}

impl ChangeOp {
    pub const fn as_str(self) -> &'static str {
        match self {
            ChangeOp::Upsert => "upsert",
            ChangeOp::Delete => "delete",
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn every_entity_has_one_code_and_reads_back_from_it() {
        let mut codes: Vec<_> = Entity::ALL.iter().map(|entity| entity.code()).collect();
        for entity in Entity::ALL {
            assert_eq!(Entity::from_code(entity.code()), Some(entity));
            assert_eq!(Entity::ALL[entity.position()], entity);
            let json = serde_json::to_value(entity).unwrap();
            assert_eq!(serde_json::from_value::<Entity>(json).unwrap(), entity);
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Entity::ALL.len());
        assert_eq!(Entity::from_code("goals"), None);
        assert!(serde_json::from_str::<Entity>("\"nothing\"").is_err());
    }

    #[test]
    fn the_copy_order_is_the_one_cursors_hold() {
        // A cursor of a copy in progress names an entity by its place: these must not move.
        let order: Vec<_> = Entity::ALL.iter().map(|entity| entity.code()).collect();
        assert_eq!(
            order,
            [
                "settings",
                "goal",
                "habit",
                "quest",
                "workout",
                "book",
                "focus_session",
                "audio"
            ]
        );
    }

    #[test]
    fn an_op_is_one_of_two_words() {
        assert_eq!(
            serde_json::from_str::<ChangeOp>("\"upsert\"").unwrap(),
            ChangeOp::Upsert
        );
        assert_eq!(ChangeOp::Delete.as_str(), "delete");
        assert!(serde_json::from_str::<ChangeOp>("\"update\"").is_err());
    }
}
