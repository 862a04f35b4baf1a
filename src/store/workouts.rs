//! Workouts in D1.

use super::db::Db;
use super::db::Statement;
use crate::statement;
use serde::{Deserialize, Serialize};

use super::content::{self, Kind, flag, stored_metadata};
use crate::domain::content::Metadata;
use crate::domain::content::filter::{self, Filter};
use crate::domain::content::workout::{NewWorkout, WorkoutPatch};
use crate::domain::economy::rules::Intensity;
use crate::domain::entity::{ChangeOp, Entity};
use crate::domain::error::ApiResult;
use crate::domain::time::Millis;

pub struct Workouts;

impl Kind for Workouts {
    const TABLE: &'static str = "workouts";
    const ENTITY: Entity = Entity::Workout;
    const COLUMNS: &'static str = "id, name, duration_minutes, intensity, calories, performed_at, metadata, is_active, deleted_at, created_at, updated_at, award_key";
    const FILTERS: &'static [Filter] = filter::WORKOUT_FILTERS;
    type Item = Workout;

    fn id(workout: &Workout) -> &str {
        &workout.id
    }

    fn is_active(workout: &Workout) -> bool {
        workout.is_active
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workout {
    pub id: String,
    pub name: String,
    pub duration_minutes: u32,
    pub intensity: Intensity,
    pub calories: Option<u32>,
    pub performed_at: Millis,
    #[serde(deserialize_with = "stored_metadata")]
    pub metadata: Metadata,
    #[serde(deserialize_with = "flag")]
    pub is_active: bool,
    pub deleted_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// The key of the award the workout stands with (`award_key`); never shown.
    #[serde(default, skip_serializing)]
    pub award_key: Option<String>,
}

impl Workout {
    /// The key of the award the workout stands with: logging's, or the last restore's.
    pub fn award_key(&self) -> String {
        self.award_key
            .clone()
            .unwrap_or_else(|| format!("workout:{}", self.id))
    }
}

/// Brings a deleted workout back, standing with a new award under `award_key` (deleting took
/// the last one back); `None` if it is not the user's deleted workout.
pub async fn restore(
    db: &Db,
    user_id: &str,
    id: &str,
    award_key: &str,
    now: Millis,
) -> ApiResult<Option<Workout>> {
    let statement = statement!(
        &format!(
            "update workouts set is_active = 1, deleted_at = null, award_key = ?3, updated_at = ?4
              where id = ?1 and user_id = ?2 and is_active = 0
             returning {}",
            Workouts::COLUMNS
        ),
        id,
        user_id,
        award_key,
        &now
    )?;
    content::write::<Workouts>(db, user_id, id, ChangeOp::Upsert, statement, now).await
}

/// The workout `create` will write, as the response shows it.
pub fn new_workout(id: &str, workout: &NewWorkout, now: Millis) -> Workout {
    Workout {
        id: id.to_owned(),
        name: workout.name.as_str().to_owned(),
        duration_minutes: workout.duration_minutes.0,
        intensity: workout.intensity.unwrap_or(Intensity::Moderate),
        calories: workout.calories.map(|c| c.0),
        performed_at: workout.performed_at.unwrap_or(now),
        metadata: workout.metadata.clone().unwrap_or_default(),
        is_active: true,
        deleted_at: None,
        created_at: now,
        updated_at: now,
        award_key: None,
    }
}

pub async fn create(
    db: &Db,
    user_id: &str,
    workout: &Workout,
    extra: Vec<Statement>,
) -> ApiResult<()> {
    let insert = statement!("insert into workouts (id, user_id, name, duration_minutes, intensity, calories, performed_at, metadata, created_at, updated_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        &workout.id,
        user_id,
        &workout.name,
        workout.duration_minutes,
        workout.intensity.as_str(),
        workout.calories,
        &workout.performed_at,
        workout.metadata.to_stored(),
        &workout.created_at
    )?;
    content::create::<Workouts>(db, user_id, &workout.id, insert, workout.created_at, extra).await
}

pub async fn update(
    db: &Db,
    user_id: &str,
    id: &str,
    patch: &WorkoutPatch,
    now: Millis,
) -> ApiResult<Option<Workout>> {
    let statement = statement!(
        &format!(
            "update workouts set
               name = coalesce(?3, name),
               duration_minutes = coalesce(?4, duration_minutes),
               intensity = coalesce(?5, intensity),
               calories = case when ?6 then ?7 else calories end,
               performed_at = coalesce(?8, performed_at),
               metadata = coalesce(?9, metadata),
               updated_at = ?10
             where id = ?1 and user_id = ?2 and is_active = 1
             returning {}",
            Workouts::COLUMNS
        ),
        id,
        user_id,
        patch.name.as_ref().map(|t| t.as_str()),
        patch.duration_minutes.map(|d| d.0),
        patch.intensity.map(Intensity::as_str),
        patch.calories.is_some(),
        patch.calories.flatten().map(|c| c.0),
        patch.performed_at,
        patch.metadata.as_ref().map(Metadata::to_stored),
        &now
    )?;
    content::write::<Workouts>(db, user_id, id, ChangeOp::Upsert, statement, now).await
}
