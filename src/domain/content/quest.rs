//! Quests: a task with a deadline and a reward the user sets. `completed` is reached only through
//! `POST /api/quests/{id}/complete`, which awards; `expired` is not stored but read from the
//! deadline, so it needs no job to flip it.

use serde::{Deserialize, Serialize};

use super::{Description, Metadata, present};
use crate::domain::economy::Skill;
use crate::domain::id::ChosenId;
use crate::domain::json_body::Bounded;
use crate::domain::text::Title;
use crate::domain::time::Millis;

/// A quest's status as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoredQuestStatus {
    Open,
    Completed,
    Abandoned,
}

/// A quest's status as the API shows it: an open quest past its deadline is expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestStatus {
    Open,
    Completed,
    Expired,
    Abandoned,
}

impl StoredQuestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StoredQuestStatus::Open => "open",
            StoredQuestStatus::Completed => "completed",
            StoredQuestStatus::Abandoned => "abandoned",
        }
    }

    pub fn at(self, deadline: Millis, now: Millis) -> QuestStatus {
        match self {
            StoredQuestStatus::Open if now >= deadline => QuestStatus::Expired,
            StoredQuestStatus::Open => QuestStatus::Open,
            StoredQuestStatus::Completed => QuestStatus::Completed,
            StoredQuestStatus::Abandoned => QuestStatus::Abandoned,
        }
    }
}

/// The statuses a client may set directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SettableQuestStatus {
    Open,
    Abandoned,
}

impl From<SettableQuestStatus> for StoredQuestStatus {
    fn from(status: SettableQuestStatus) -> Self {
        match status {
            SettableQuestStatus::Open => StoredQuestStatus::Open,
            SettableQuestStatus::Abandoned => StoredQuestStatus::Abandoned,
        }
    }
}

/// What completing the quest pays: 0–1000 XP and 0–500 coins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestReward {
    pub xp: Bounded<0, 1000>,
    pub coins: Bounded<0, 500>,
}

/// `POST /api/quests`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewQuest {
    /// Chosen by the client so later operations can name the item before it is created.
    #[serde(default, deserialize_with = "present")]
    pub id: Option<ChosenId>,
    pub title: Title,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Description>,
    pub category: Skill,
    pub deadline: Millis,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<SettableQuestStatus>,
    pub reward: QuestReward,
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<Metadata>,
}

/// `PATCH /api/quests/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestPatch {
    #[serde(default, deserialize_with = "present")]
    pub title: Option<Title>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Description>,
    #[serde(default, deserialize_with = "present")]
    pub category: Option<Skill>,
    #[serde(default, deserialize_with = "present")]
    pub deadline: Option<Millis>,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<SettableQuestStatus>,
    #[serde(default, deserialize_with = "present")]
    pub reward: Option<QuestReward>,
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<Metadata>,
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::domain::json_body::parse_json_body;

    const VALID: &str = r#"{"title":"Clean the garage","category":"productivity","deadline":"2027-01-01T18:00:00+01:00","reward":{"xp":120,"coins":30}}"#;

    #[test]
    fn a_quest_takes_a_deadline_and_a_bounded_reward() {
        let quest: NewQuest = parse_json_body(VALID.as_bytes()).expect("valid");
        assert_eq!(quest.deadline.to_rfc3339(), "2027-01-01T17:00:00.000Z");
        assert_eq!((quest.reward.xp.0, quest.reward.coins.0), (120, 30));
        for (body, field) in [
            (VALID.replace("120", "1001"), "reward.xp"),
            (VALID.replace("30}", "501}"), "reward.coins"),
            (VALID.replace("30}", "-1}"), "reward.coins"),
            (
                VALID.replace("\"coins\":30", "\"coins\":30,\"gems\":1"),
                "reward.gems",
            ),
            (
                VALID.replace("2027-01-01T18:00:00+01:00", "tomorrow"),
                "deadline",
            ),
            (
                VALID.replace("\"category\"", "\"status\":\"completed\",\"category\""),
                "status",
            ),
            (
                VALID.replace("\"category\"", "\"status\":\"expired\",\"category\""),
                "status",
            ),
        ] {
            let error = parse_json_body::<NewQuest>(body.as_bytes()).expect_err(&body);
            assert!(
                error.fields.is_some_and(|f| f.contains_key(field)),
                "{body} should name {field}"
            );
        }
    }

    #[test]
    fn an_open_quest_expires_at_its_deadline() {
        let deadline = Millis(1_000);
        assert_eq!(
            StoredQuestStatus::Open.at(deadline, Millis(999)),
            QuestStatus::Open
        );
        assert_eq!(
            StoredQuestStatus::Open.at(deadline, Millis(1_000)),
            QuestStatus::Expired
        );
        assert_eq!(
            StoredQuestStatus::Completed.at(deadline, Millis(5_000)),
            QuestStatus::Completed
        );
        assert_eq!(
            StoredQuestStatus::Abandoned.at(deadline, Millis(5_000)),
            QuestStatus::Abandoned
        );
    }
}
