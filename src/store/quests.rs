//! Quests in D1. `expired` is computed by the query from the deadline and D1's clock, the same
//! clock the completing update checks, so a quest shown open can be completed.

use super::db::Db;
use super::db::Statement;
use crate::statement;
use serde::{Deserialize, Serialize};

use super::content::{self, Kind, flag, stored_json, stored_metadata};
use crate::domain::content::Metadata;
use crate::domain::content::filter::{self, Filter};
use crate::domain::content::quest::{
    NewQuest, QuestPatch, QuestReward, QuestStatus, StoredQuestStatus,
};
use crate::domain::economy::Skill;
use crate::domain::entity::{ChangeOp, Entity};
use crate::domain::error::ApiResult;
use crate::domain::time::Millis;

pub struct Quests;

/// D1's clock in the format deadlines are stored in, so the two compare as text.
macro_rules! d1_now {
    () => {
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    };
}

impl Kind for Quests {
    const TABLE: &'static str = "quests";
    const ENTITY: Entity = Entity::Quest;
    const FILTERS: &'static [Filter] = filter::QUEST_FILTERS;
    const COLUMNS: &'static str = concat!(
        "id, title, description, category, deadline,
         case when status = 'open' and deadline <= ",
        d1_now!(),
        " then 'expired' else status end as status,
         json_object('xp', reward_xp, 'coins', reward_coins) as reward,
         metadata, is_active, deleted_at, completed_at, created_at, updated_at"
    );
    type Item = Quest;

    fn id(quest: &Quest) -> &str {
        &quest.id
    }

    fn is_active(quest: &Quest) -> bool {
        quest.is_active
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Quest {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: Skill,
    pub deadline: Millis,
    pub status: QuestStatus,
    #[serde(deserialize_with = "stored_json")]
    pub reward: QuestReward,
    #[serde(deserialize_with = "stored_metadata")]
    pub metadata: Metadata,
    #[serde(deserialize_with = "flag")]
    pub is_active: bool,
    pub deleted_at: Option<Millis>,
    pub completed_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// The quest `create` will write, as the response shows it.
pub fn new_quest(id: &str, quest: &NewQuest, now: Millis) -> Quest {
    let status = quest
        .status
        .map(StoredQuestStatus::from)
        .unwrap_or(StoredQuestStatus::Open);
    Quest {
        id: id.to_owned(),
        title: quest.title.as_str().to_owned(),
        description: quest
            .description
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        category: quest.category,
        deadline: quest.deadline,
        status: status.at(quest.deadline, now),
        reward: quest.reward,
        metadata: quest.metadata.clone().unwrap_or_default(),
        is_active: true,
        deleted_at: None,
        completed_at: None,
        created_at: now,
        updated_at: now,
    }
}

pub async fn create(
    db: &Db,
    user_id: &str,
    quest: &Quest,
    stored_status: StoredQuestStatus,
    extra: Vec<Statement>,
) -> ApiResult<()> {
    let insert = statement!("insert into quests (id, user_id, title, description, category, deadline, status, reward_xp, reward_coins, metadata, created_at, updated_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        &quest.id,
        user_id,
        &quest.title,
        &quest.description,
        &quest.category,
        &quest.deadline,
        stored_status.as_str(),
        quest.reward.xp.0,
        quest.reward.coins.0,
        quest.metadata.to_stored(),
        &quest.created_at
    )?;
    content::create::<Quests>(db, user_id, &quest.id, insert, quest.created_at, extra).await
}

/// Applies a patch to an active quest that is not completed; `None` when there is none.
pub async fn update(
    db: &Db,
    user_id: &str,
    id: &str,
    patch: &QuestPatch,
    now: Millis,
) -> ApiResult<Option<Quest>> {
    let statement = statement!(
        &format!(
            "update quests set
               title = coalesce(?3, title),
               description = coalesce(?4, description),
               category = coalesce(?5, category),
               deadline = coalesce(?6, deadline),
               status = coalesce(?7, status),
               reward_xp = coalesce(?8, reward_xp),
               reward_coins = coalesce(?9, reward_coins),
               metadata = coalesce(?10, metadata),
               updated_at = ?11
             where id = ?1 and user_id = ?2 and is_active = 1 and status <> 'completed'
             returning {}",
            Quests::COLUMNS
        ),
        id,
        user_id,
        patch.title.as_ref().map(|t| t.as_str()),
        patch.description.as_ref().map(|d| d.as_str()),
        patch.category.map(|c| c.as_str()),
        patch.deadline,
        patch.status.map(|s| StoredQuestStatus::from(s).as_str()),
        patch.reward.map(|r| r.xp.0),
        patch.reward.map(|r| r.coins.0),
        patch.metadata.as_ref().map(Metadata::to_stored),
        &now
    )?;
    content::write::<Quests>(db, user_id, id, ChangeOp::Upsert, statement, now).await
}

/// Completes an open quest before its deadline; `None` if it is not one.
pub async fn mark_completed(
    db: &Db,
    user_id: &str,
    id: &str,
    now: Millis,
) -> ApiResult<Option<Quest>> {
    let statement = statement!(
        &format!(
            "update quests set status = 'completed', completed_at = ?3, updated_at = ?3
             where id = ?1 and user_id = ?2 and is_active = 1 and status = 'open' and deadline > {}
             returning {}",
            d1_now!(),
            Quests::COLUMNS
        ),
        id,
        user_id,
        &now
    )?;
    content::write::<Quests>(db, user_id, id, ChangeOp::Upsert, statement, now).await
}
