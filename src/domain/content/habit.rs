//! Habits: what a user may send. Streaks and completions are the server's: a PATCH cannot set
//! them, and the schedule is one typed `Frequency` however its two fields arrive.

use serde::{Deserialize, Serialize};

use super::{Description, Metadata, present};
use crate::domain::economy::Skill;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::habit::Frequency;
use crate::domain::id::ChosenId;
use crate::domain::json_body::Bounded;
use crate::domain::text::Title;

/// `frequency` as sent; `weekly` takes `target_per_week`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FrequencyName {
    Daily,
    Weekdays,
    Weekly,
}

impl FrequencyName {
    /// The name and target a schedule is stored as (`target_per_week` only for `weekly`).
    pub fn of(frequency: Frequency) -> (FrequencyName, Option<u8>) {
        match frequency {
            Frequency::Daily => (FrequencyName::Daily, None),
            Frequency::Weekdays => (FrequencyName::Weekdays, None),
            Frequency::Weekly { target_per_week } => (FrequencyName::Weekly, Some(target_per_week)),
        }
    }

    /// The schedule stored as this name and `target_per_week`.
    pub fn with_target(self, target_per_week: Option<u8>) -> Frequency {
        match self {
            FrequencyName::Daily => Frequency::Daily,
            FrequencyName::Weekdays => Frequency::Weekdays,
            FrequencyName::Weekly => Frequency::Weekly {
                target_per_week: target_per_week.unwrap_or(1),
            },
        }
    }
}

pub type TargetPerWeek = Bounded<1, 7>;

/// A schedule from its two fields, each sent or not: what is missing comes from `current`, a
/// new `weekly` without a target aims at once a week, and a target without `weekly` is refused.
pub fn schedule(
    current: Option<Frequency>,
    name: Option<FrequencyName>,
    target: Option<TargetPerWeek>,
) -> ApiResult<Frequency> {
    let name = name.unwrap_or(match current {
        Some(Frequency::Daily) | None => FrequencyName::Daily,
        Some(Frequency::Weekdays) => FrequencyName::Weekdays,
        Some(Frequency::Weekly { .. }) => FrequencyName::Weekly,
    });
    let current_target = match current {
        Some(Frequency::Weekly { target_per_week }) => Some(target_per_week),
        _ => None,
    };
    match (name, target) {
        (FrequencyName::Weekly, target) => Ok(Frequency::Weekly {
            target_per_week: target
                .and_then(|t| u8::try_from(t.0).ok())
                .or(current_target)
                .unwrap_or(1),
        }),
        (_, Some(_)) => Err(ApiError::invalid_field(
            "target_per_week",
            "applies only to a weekly habit",
        )),
        (FrequencyName::Daily, None) => Ok(Frequency::Daily),
        (FrequencyName::Weekdays, None) => Ok(Frequency::Weekdays),
    }
}

/// `POST /api/habits`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewHabit {
    /// Chosen by the client so later operations can name the item before it is created.
    #[serde(default, deserialize_with = "present")]
    pub id: Option<ChosenId>,
    pub title: Title,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Description>,
    pub category: Skill,
    #[serde(default, deserialize_with = "present")]
    pub frequency: Option<FrequencyName>,
    #[serde(default, deserialize_with = "present")]
    pub target_per_week: Option<TargetPerWeek>,
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<Metadata>,
}

/// `PATCH /api/habits/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HabitPatch {
    #[serde(default, deserialize_with = "present")]
    pub title: Option<Title>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Description>,
    #[serde(default, deserialize_with = "present")]
    pub category: Option<Skill>,
    #[serde(default, deserialize_with = "present")]
    pub frequency: Option<FrequencyName>,
    #[serde(default, deserialize_with = "present")]
    pub target_per_week: Option<TargetPerWeek>,
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<Metadata>,
}

/// `POST /api/habits/{id}/complete`: the day, when not today.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompletionDay {
    #[serde(default, deserialize_with = "present")]
    pub date: Option<chrono::NaiveDate>,
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::domain::json_body::parse_json_body;

    #[test]
    fn a_schedule_comes_from_its_two_fields() {
        let weekly = |n| Frequency::Weekly { target_per_week: n };
        let target = |n| Some(Bounded(n));
        for (current, name, target, expected) in [
            (None, None, None, Some(Frequency::Daily)),
            (
                None,
                Some(FrequencyName::Weekdays),
                None,
                Some(Frequency::Weekdays),
            ),
            (None, Some(FrequencyName::Weekly), None, Some(weekly(1))),
            (
                None,
                Some(FrequencyName::Weekly),
                target(3),
                Some(weekly(3)),
            ),
            (None, Some(FrequencyName::Daily), target(3), None),
            (None, None, target(3), None),
            (Some(weekly(4)), None, None, Some(weekly(4))),
            (Some(weekly(4)), None, target(2), Some(weekly(2))),
            (
                Some(weekly(4)),
                Some(FrequencyName::Daily),
                None,
                Some(Frequency::Daily),
            ),
            (
                Some(Frequency::Daily),
                Some(FrequencyName::Weekly),
                None,
                Some(weekly(1)),
            ),
            (Some(Frequency::Daily), None, target(2), None),
        ] {
            assert_eq!(
                schedule(current, name, target).ok(),
                expected,
                "{current:?} {name:?} {target:?}"
            );
        }
    }

    #[test]
    fn a_habit_refuses_server_fields_and_bad_targets() {
        assert!(parse_json_body::<NewHabit>(br#"{"title":"Run","category":"fitness"}"#).is_ok());
        for body in [
            r#"{"title":"Run","category":"fitness","frequency":"hourly"}"#,
            r#"{"title":"Run","category":"fitness","frequency":"weekly","target_per_week":8}"#,
            r#"{"title":"Run","category":"fitness","frequency":"weekly","target_per_week":0}"#,
            r#"{"title":"Run","category":"fitness","current_streak":40}"#,
            r#"{"title":"Run","category":"fitness","completed_today":true}"#,
        ] {
            assert!(
                parse_json_body::<NewHabit>(body.as_bytes()).is_err(),
                "{body}"
            );
        }
        assert!(parse_json_body::<HabitPatch>(br#"{"best_streak":9}"#).is_err());
        assert!(parse_json_body::<CompletionDay>(br#"{"date":"2026-02-30"}"#).is_err());
    }
}
