//! Goals: what a user may send when creating or changing one. `completed` is reached only through
//! `POST /api/goals/{id}/complete`, which awards; a PATCH cannot set it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Description, Metadata, nullable, present};
use crate::domain::economy::Skill;
use crate::domain::id::ChosenId;
use crate::domain::text::Title;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GoalStatus {
    Active,
    Completed,
    Abandoned,
}

impl GoalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GoalStatus::Active => "active",
            GoalStatus::Completed => "completed",
            GoalStatus::Abandoned => "abandoned",
        }
    }
}

/// The statuses a client may set directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SettableGoalStatus {
    Active,
    Abandoned,
}

impl From<SettableGoalStatus> for GoalStatus {
    fn from(status: SettableGoalStatus) -> Self {
        match status {
            SettableGoalStatus::Active => GoalStatus::Active,
            SettableGoalStatus::Abandoned => GoalStatus::Abandoned,
        }
    }
}

/// `POST /api/goals`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGoal {
    /// Chosen by the client so later operations can name the item before it is created.
    #[serde(default, deserialize_with = "present")]
    pub id: Option<ChosenId>,
    pub title: Title,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Description>,
    pub category: Skill,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<SettableGoalStatus>,
    #[serde(default, deserialize_with = "present")]
    pub target_date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<Metadata>,
}

/// `PATCH /api/goals/{id}`: every field optional; `target_date: null` clears it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalPatch {
    #[serde(default, deserialize_with = "present")]
    pub title: Option<Title>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Description>,
    #[serde(default, deserialize_with = "present")]
    pub category: Option<Skill>,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<SettableGoalStatus>,
    #[serde(default, deserialize_with = "nullable")]
    pub target_date: Option<Option<NaiveDate>>,
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
    fn a_goal_needs_a_title_and_a_category() {
        let goal: NewGoal = parse_json_body(br#"{"title":"Run a marathon","category":"fitness","target_date":"2027-04-01","metadata":{"color":"red"}}"#)
            .expect("valid");
        assert_eq!(goal.category, Skill::Fitness);
        assert!(goal.status.is_none());
        for (body, field) in [
            (r#"{"category":"fitness"}"#, "title"),
            (r#"{"title":"x"}"#, "category"),
            (r#"{"title":"x","category":"cooking"}"#, "category"),
            (
                r#"{"title":"x","category":"health","status":"completed"}"#,
                "status",
            ),
            (
                r#"{"title":"x","category":"health","target_date":"2027-02-30"}"#,
                "target_date",
            ),
            (
                r#"{"title":"x","category":"health","metadata":[1]}"#,
                "metadata",
            ),
            (r#"{"title":"x","category":"health","id":"mine"}"#, "id"),
            (
                r#"{"title":"x","category":"health","is_active":false}"#,
                "is_active",
            ),
        ] {
            let error = parse_json_body::<NewGoal>(body.as_bytes()).expect_err(body);
            assert!(
                error
                    .fields
                    .is_some_and(|f| f.keys().any(|k| k.starts_with(field))),
                "{body}"
            );
        }
    }

    #[test]
    fn descriptions_keep_their_lines() {
        let goal: NewGoal = parse_json_body(
            br#"{"title":"x","category":"health","description":"line one\nline two\t."}"#,
        )
        .expect("valid");
        assert_eq!(
            goal.description.map(|d| d.as_str().to_owned()),
            Some("line one\nline two\t.".into())
        );
        assert!(
            parse_json_body::<NewGoal>(
                br#"{"title":"x","category":"health","description":"bell\u0007"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn metadata_is_bounded_to_8_kib() {
        let big = format!(
            r#"{{"title":"x","category":"health","metadata":{{"k":"{}"}}}}"#,
            "v".repeat(8 * 1024)
        );
        assert!(parse_json_body::<NewGoal>(big.as_bytes()).is_err());
    }

    #[test]
    fn a_patch_can_clear_the_target_date_but_not_complete_the_goal() {
        let patch: GoalPatch = parse_json_body(br#"{"target_date":null}"#).expect("valid");
        assert_eq!(patch.target_date, Some(None));
        let untouched: GoalPatch = parse_json_body(br#"{"title":"New"}"#).expect("valid");
        assert_eq!(untouched.target_date, None);
        assert!(parse_json_body::<GoalPatch>(br#"{"status":"completed"}"#).is_err());
        assert!(
            parse_json_body::<GoalPatch>(br#"{"title":null}"#).is_err(),
            "null is not a title"
        );
        assert!(
            parse_json_body::<GoalPatch>(br#"{"completed_at":"2026-01-01T00:00:00Z"}"#).is_err()
        );
    }
}
