//! Where each entity of the registry (`domain::entity`) keeps its rows in D1, for the code that
//! goes through all of them: erasure and the admin's view of what a user has. (Sync reads each
//! entity through its own module, in the shape the API shows it.)

use super::content::Kind;
use super::{
    audio, books::Books, focus, goals::Goals, habits::Habits, quests::Quests, workouts::Workouts,
};
use crate::domain::entity::Entity;

/// The D1 table of an entity's rows; the settings are a column of the user's own row.
pub const fn table(entity: Entity) -> Option<&'static str> {
    match entity {
        Entity::Settings => None,
        Entity::Goal => Some(Goals::TABLE),
        Entity::Habit => Some(Habits::TABLE),
        Entity::Quest => Some(Quests::TABLE),
        Entity::Workout => Some(Workouts::TABLE),
        Entity::Book => Some(Books::TABLE),
        Entity::FocusSession => Some(focus::TABLE),
        Entity::Audio => Some(audio::TABLE),
    }
}

/// Which of an entity's rows are what the user has: the active ones of content (deleted ones
/// wait in the archive), every focus session, the user's own tracks (not the library's).
const fn held(entity: Entity) -> &'static str {
    match entity {
        Entity::Goal | Entity::Habit | Entity::Quest | Entity::Workout | Entity::Book => {
            "is_active = 1"
        }
        Entity::FocusSession | Entity::Settings => "true",
        Entity::Audio => "scope = 'user'",
    }
}

/// The tables of every entity.
pub fn tables() -> impl Iterator<Item = &'static str> {
    Entity::ALL.into_iter().filter_map(table)
}

/// Columns counting what the user `?1` has of every entity with a table, each named by the
/// entity's plural (`goals`, `audio_tracks`).
pub fn held_counts() -> String {
    Entity::ALL
        .into_iter()
        .filter_map(|entity| {
            let table = table(entity)?;
            Some(format!(
                "(select count(*) from {table} where user_id = ?1 and {}) as {}",
                held(entity),
                entity.plural()
            ))
        })
        .collect::<Vec<_>>()
        .join(",\n           ")
}
