//! Goals in D1.

use super::db::Db;
use super::db::Statement;
use crate::statement;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::content::{self, Kind, flag, stored_metadata};
use crate::domain::content::Metadata;
use crate::domain::content::filter::{self, Filter};
use crate::domain::content::goal::{GoalPatch, GoalStatus, NewGoal};
use crate::domain::economy::Skill;
use crate::domain::entity::{ChangeOp, Entity};
use crate::domain::error::ApiResult;
use crate::domain::time::Millis;

pub struct Goals;

impl Kind for Goals {
    const TABLE: &'static str = "goals";
    const ENTITY: Entity = Entity::Goal;
    const COLUMNS: &'static str = "id, title, description, category, status, target_date, metadata, is_active, deleted_at, completed_at, created_at, updated_at";
    const FILTERS: &'static [Filter] = filter::GOAL_FILTERS;
    type Item = Goal;

    fn id(goal: &Goal) -> &str {
        &goal.id
    }

    fn is_active(goal: &Goal) -> bool {
        goal.is_active
    }
}

/// A goal as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Goal {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: Skill,
    pub status: GoalStatus,
    pub target_date: Option<NaiveDate>,
    #[serde(deserialize_with = "stored_metadata")]
    pub metadata: Metadata,
    #[serde(deserialize_with = "flag")]
    pub is_active: bool,
    pub deleted_at: Option<Millis>,
    pub completed_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// The goal `create` will write, as the response shows it.
pub fn new_goal(id: &str, goal: &NewGoal, now: Millis) -> Goal {
    Goal {
        id: id.to_owned(),
        title: goal.title.as_str().to_owned(),
        description: goal
            .description
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        category: goal.category,
        status: goal
            .status
            .map(GoalStatus::from)
            .unwrap_or(GoalStatus::Active),
        target_date: goal.target_date,
        metadata: goal.metadata.clone().unwrap_or_default(),
        is_active: true,
        deleted_at: None,
        completed_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// Inserts `goal` with `extra` statements (an idempotency record) in one batch.
pub async fn create(db: &Db, user_id: &str, goal: &Goal, extra: Vec<Statement>) -> ApiResult<()> {
    let insert = statement!("insert into goals (id, user_id, title, description, category, status, target_date, metadata, created_at, updated_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        &goal.id,
        user_id,
        &goal.title,
        &goal.description,
        &goal.category,
        goal.status.as_str(),
        &goal.target_date,
        goal.metadata.to_stored(),
        &goal.created_at
    )?;
    content::create::<Goals>(db, user_id, &goal.id, insert, goal.created_at, extra).await
}

/// Applies a patch to an active goal; `None` when the user has no such active goal.
pub async fn update(
    db: &Db,
    user_id: &str,
    id: &str,
    patch: &GoalPatch,
    now: Millis,
) -> ApiResult<Option<Goal>> {
    let target_date = patch.target_date;
    let statement = statement!(
        &format!(
            "update goals set
               title = coalesce(?3, title),
               description = coalesce(?4, description),
               category = coalesce(?5, category),
               status = coalesce(?6, status),
               target_date = case when ?7 then ?8 else target_date end,
               metadata = coalesce(?9, metadata),
               updated_at = ?10
             where id = ?1 and user_id = ?2 and is_active = 1
             returning {}",
            Goals::COLUMNS
        ),
        id,
        user_id,
        patch.title.as_ref().map(|t| t.as_str()),
        patch.description.as_ref().map(|d| d.as_str()),
        patch.category.map(|c| c.as_str()),
        patch.status.map(|s| GoalStatus::from(s).as_str()),
        target_date.is_some(),
        target_date.flatten(),
        patch.metadata.as_ref().map(Metadata::to_stored),
        &now
    )?;
    content::write::<Goals>(db, user_id, id, ChangeOp::Upsert, statement, now).await
}

/// Marks an active goal completed; `None` if it was not active (already completed, abandoned
/// or deleted).
pub async fn mark_completed(
    db: &Db,
    user_id: &str,
    id: &str,
    now: Millis,
) -> ApiResult<Option<Goal>> {
    let statement = statement!(
        &format!(
            "update goals set status = 'completed', completed_at = ?3, updated_at = ?3
             where id = ?1 and user_id = ?2 and is_active = 1 and status = 'active'
             returning {}",
            Goals::COLUMNS
        ),
        id,
        user_id,
        &now
    )?;
    content::write::<Goals>(db, user_id, id, ChangeOp::Upsert, statement, now).await
}
