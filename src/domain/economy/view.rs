//! The economy as the API shows it: `Progress` and the achievements catalog with unlock times.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::achievements::{CATALOG, Tier};
use super::levels::{level_of, standing};
use super::{ProgressState, Skill};
use crate::domain::text::Text;

#[derive(Debug, Clone, Serialize)]
pub struct SkillView {
    pub xp: u64,
    pub level: u32,
}

/// `Progress` of API.md.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressView {
    pub xp: u64,
    pub level: u32,
    pub xp_into_level: u64,
    pub xp_to_next_level: u64,
    pub coins: u64,
    pub skills: BTreeMap<&'static str, SkillView>,
    pub achievements_unlocked: usize,
    pub best_streak: u64,
}

impl ProgressView {
    pub fn of(state: &ProgressState) -> ProgressView {
        let standing = standing(state.xp);
        ProgressView {
            xp: state.xp,
            level: standing.level,
            xp_into_level: standing.xp_into_level,
            xp_to_next_level: standing.xp_to_next_level,
            coins: state.coins,
            skills: Skill::ALL
                .into_iter()
                .map(|skill| {
                    let xp = state.skills.get(&skill).copied().unwrap_or(0);
                    (
                        skill.as_str(),
                        SkillView {
                            xp,
                            level: level_of(xp),
                        },
                    )
                })
                .collect(),
            achievements_unlocked: state.unlocked.len(),
            best_streak: state.counters.best_streak,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AchievementView {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub tier: Tier,
    pub xp: i64,
    pub coins: i64,
    pub unlocked_at: Option<String>,
}

/// The whole catalog, each entry with its unlock time from `unlocked` (id → time) or null.
pub fn achievements_view(unlocked: &BTreeMap<String, String>) -> Vec<AchievementView> {
    CATALOG
        .iter()
        .map(|a| AchievementView {
            id: a.id,
            name: a.name,
            description: a.description,
            tier: a.tier,
            xp: a.xp,
            coins: a.coins,
            unlocked_at: unlocked.get(a.id).cloned(),
        })
        .collect()
}

/// `POST /api/rewards`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateReward {
    #[serde(default, deserialize_with = "crate::domain::content::present")]
    pub id: Option<crate::domain::id::ChosenId>,
    pub title: super::super::text::Title,
    pub cost: RewardCost,
}

/// A reward's price: 1–100000 coins.
pub type RewardCost = crate::domain::json_body::Bounded<1, 100_000>;

/// `POST /api/admin/users/{id}/claim`: an adjustment through the user's ledger.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    #[serde(default)]
    pub xp: ClaimAmount,
    #[serde(default)]
    pub coins: ClaimAmount,
    pub reason: Text<1, 500>,
}

/// A signed adjustment of at most a million either way; absent is zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClaimAmount(pub i64);

impl<'de> Deserialize<'de> for ClaimAmount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let amount = crate::domain::json_body::integer(deserializer)?;
        if amount.abs() <= 1_000_000 {
            Ok(ClaimAmount(amount))
        } else {
            Err(serde::de::Error::custom(
                "must be an integer from -1000000 to 1000000",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::domain::json_body::parse_json_body;

    #[test]
    fn progress_lists_every_skill_with_its_level() {
        let mut state = ProgressState {
            xp: 260,
            coins: 3,
            ..ProgressState::default()
        };
        state.skills.insert(Skill::Learning, 120);
        let view = ProgressView::of(&state);
        assert_eq!(
            (view.level, view.xp_into_level, view.xp_to_next_level),
            (3, 10, 190)
        );
        assert_eq!(view.skills.len(), 8);
        assert_eq!(view.skills["learning"].level, 2);
        assert_eq!(view.skills["finance"].xp, 0);
    }

    #[test]
    fn the_achievements_view_lists_the_whole_catalog_with_unlock_times() {
        let unlocked =
            BTreeMap::from([("first_habit".to_owned(), "2026-03-08T10:00:00Z".to_owned())]);
        let view = achievements_view(&unlocked);
        assert_eq!(
            view.iter().map(|a| a.id).collect::<Vec<_>>(),
            CATALOG.iter().map(|a| a.id).collect::<Vec<_>>()
        );
        let first = &view[0];
        assert_eq!(
            (first.id, first.name, first.tier, first.xp, first.coins),
            ("first_habit", "First step", Tier::Bronze, 10, 5)
        );
        assert_eq!(first.unlocked_at.as_deref(), Some("2026-03-08T10:00:00Z"));
        assert!(view[1..].iter().all(|a| a.unlocked_at.is_none()));
    }

    #[test]
    fn reward_and_claim_bodies_are_validated_field_by_field() {
        assert!(parse_json_body::<CreateReward>(br#"{"title":"Movie night","cost":50}"#).is_ok());
        for (body, field) in [
            (r#"{"title":"x","cost":0}"#, "cost"),
            (r#"{"title":"x","cost":100001}"#, "cost"),
            (r#"{"title":"x","cost":1.5}"#, "cost"),
            (r#"{"title":"x","cost":"5"}"#, "cost"),
            (r#"{"title":"","cost":5}"#, "title"),
            (r#"{"title":"x","cost":5,"id":"y"}"#, "id"),
            (r#"{"xp":1,"coins":1,"reason":""}"#, "reason"),
            (r#"{"xp":2000000,"coins":1,"reason":"r"}"#, "xp"),
        ] {
            let error = if field == "reason" || field == "xp" {
                parse_json_body::<Claim>(body.as_bytes()).expect_err(body)
            } else {
                parse_json_body::<CreateReward>(body.as_bytes()).expect_err(body)
            };
            assert!(
                error.fields.is_some_and(|f| f.contains_key(field)),
                "{body}"
            );
        }
    }
}
