//! Workouts: logging one awards (by duration and intensity), once per workout.

use serde::Deserialize;

use super::{Metadata, nullable, present};
use crate::domain::economy::rules::Intensity;
use crate::domain::id::ChosenId;
use crate::domain::json_body::Bounded;
use crate::domain::text::Title;
use crate::domain::time::Millis;

pub type DurationMinutes = Bounded<1, 1440>;
pub type Calories = Bounded<0, 20_000>;

/// How far ahead of the server's clock `performed_at` may be (clients' clocks drift).
pub const FUTURE_TOLERANCE_SECONDS: u64 = 5 * 60;

/// `POST /api/workouts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWorkout {
    /// Chosen by the client so later operations can name the item before it is created.
    #[serde(default, deserialize_with = "present")]
    pub id: Option<ChosenId>,
    pub name: Title,
    pub duration_minutes: DurationMinutes,
    #[serde(default, deserialize_with = "present")]
    pub intensity: Option<Intensity>,
    #[serde(default, deserialize_with = "present")]
    pub calories: Option<Calories>,
    #[serde(default, deserialize_with = "present")]
    pub performed_at: Option<Millis>,
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<Metadata>,
}

/// `PATCH /api/workouts/{id}`: corrects the record; the award stays what logging it earned.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkoutPatch {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Title>,
    #[serde(default, deserialize_with = "present")]
    pub duration_minutes: Option<DurationMinutes>,
    #[serde(default, deserialize_with = "present")]
    pub intensity: Option<Intensity>,
    #[serde(default, deserialize_with = "nullable")]
    pub calories: Option<Option<Calories>>,
    #[serde(default, deserialize_with = "present")]
    pub performed_at: Option<Millis>,
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<Metadata>,
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::domain::json_body::parse_json_body;

    #[test]
    fn a_workout_is_bounded() {
        let workout: NewWorkout =
            parse_json_body(br#"{"name":"Run","duration_minutes":30,"intensity":"high"}"#)
                .expect("valid");
        assert_eq!(workout.intensity, Some(Intensity::High));
        for (body, field) in [
            (r#"{"name":"Run","duration_minutes":0}"#, "duration_minutes"),
            (
                r#"{"name":"Run","duration_minutes":1441}"#,
                "duration_minutes",
            ),
            (
                r#"{"name":"Run","duration_minutes":30,"intensity":"extreme"}"#,
                "intensity",
            ),
            (
                r#"{"name":"Run","duration_minutes":30,"calories":20001}"#,
                "calories",
            ),
            (
                r#"{"name":"Run","duration_minutes":30,"performed_at":"2026-13-01T00:00:00Z"}"#,
                "performed_at",
            ),
            (r#"{"name":"","duration_minutes":30}"#, "name"),
            (r#"{"duration_minutes":30}"#, "name"),
        ] {
            let error = parse_json_body::<NewWorkout>(body.as_bytes()).expect_err(body);
            assert!(
                error.fields.is_some_and(|f| f.contains_key(field)),
                "{body} should name {field}"
            );
        }
        let patch: WorkoutPatch = parse_json_body(br#"{"calories":null}"#).expect("valid");
        assert_eq!(patch.calories, Some(None));
    }
}
