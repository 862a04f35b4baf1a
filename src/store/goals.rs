//! Goals in D1, every query scoped by `user_id`. Each write appends to the change log in the same
//! batch, and only when it changed a row (`changes()` of the statement before it).

use serde::{Deserialize, Serialize};
use worker::{D1Database, D1PreparedStatement, query};

use crate::domain::content::Metadata;
use crate::domain::content::goal::{GoalPatch, GoalStatus, NewGoal};
use crate::domain::error::ApiResult;
use crate::domain::time::Millis;

const COLUMNS: &str = "id, title, description, category, status, target_date, metadata, is_active, deleted_at, completed_at, created_at, updated_at";

#[derive(Debug, Deserialize)]
struct GoalRow {
    id: String,
    title: String,
    description: String,
    category: String,
    status: GoalStatus,
    target_date: Option<String>,
    metadata: String,
    is_active: i64,
    deleted_at: Option<String>,
    completed_at: Option<String>,
    created_at: String,
    updated_at: String,
}

/// A goal as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub status: GoalStatus,
    pub target_date: Option<String>,
    pub metadata: Metadata,
    pub is_active: bool,
    pub deleted_at: Option<String>,
    pub completed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<GoalRow> for Goal {
    fn from(row: GoalRow) -> Self {
        Goal {
            metadata: Metadata::from_stored(&row.metadata),
            is_active: row.is_active != 0,
            id: row.id,
            title: row.title,
            description: row.description,
            category: row.category,
            status: row.status,
            target_date: row.target_date,
            deleted_at: row.deleted_at,
            completed_at: row.completed_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn log_change(
    db: &D1Database,
    user_id: &str,
    id: &str,
    op: &str,
    now: &str,
) -> ApiResult<D1PreparedStatement> {
    Ok(query!(
        db,
        "insert into change_log (user_id, entity, entity_id, op, created_at)
         select ?1, 'goal', ?2, ?3, ?4 where changes() > 0",
        user_id,
        id,
        op,
        now
    )?)
}

/// The goal `create` will write, as the response shows it.
pub fn new_goal(id: &str, goal: &NewGoal, now: Millis) -> Goal {
    let now = now.to_rfc3339();
    Goal {
        id: id.to_owned(),
        title: goal.title.as_str().to_owned(),
        description: goal
            .description
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        category: goal.category.as_str().to_owned(),
        status: goal
            .status
            .map(GoalStatus::from)
            .unwrap_or(GoalStatus::Active),
        target_date: goal.target_date.map(|d| d.to_string()),
        metadata: goal.metadata.clone().unwrap_or_default(),
        is_active: true,
        deleted_at: None,
        completed_at: None,
        created_at: now.clone(),
        updated_at: now,
    }
}

/// Inserts `goal` with its change-log entry and `extra` statements (an idempotency record) in
/// one batch: all of them or none.
pub async fn create(
    db: &D1Database,
    user_id: &str,
    goal: &Goal,
    extra: Vec<D1PreparedStatement>,
) -> ApiResult<()> {
    let mut statements = vec![
        query!(
            db,
            "insert into goals (id, user_id, title, description, category, status, target_date, metadata, created_at, updated_at)
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
        )?,
        log_change(db, user_id, &goal.id, "upsert", &goal.created_at)?,
    ];
    statements.extend(extra);
    db.batch(statements).await?;
    Ok(())
}

pub async fn find(db: &D1Database, user_id: &str, id: &str) -> ApiResult<Option<Goal>> {
    let row = query!(
        db,
        &format!("select {COLUMNS} from goals where id = ?1 and user_id = ?2"),
        id,
        user_id
    )?
    .first::<GoalRow>(None)
    .await?;
    Ok(row.map(Goal::from))
}

/// A page of the user's active (or deleted) goals, oldest first, after the id `after`.
pub async fn list(
    db: &D1Database,
    user_id: &str,
    active: bool,
    after: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<Goal>> {
    let rows = query!(
        db,
        &format!(
            "select {COLUMNS} from goals
              where user_id = ?1 and is_active = ?2 and (?3 is null or id > ?3)
              order by id limit ?4"
        ),
        user_id,
        i64::from(active),
        after,
        limit
    )?
    .all()
    .await?
    .results::<GoalRow>()?;
    Ok(rows.into_iter().map(Goal::from).collect())
}

/// Runs `update` (which must end in `returning {COLUMNS}`) and logs the change in one batch.
async fn write(
    db: &D1Database,
    user_id: &str,
    id: &str,
    op: &str,
    update: D1PreparedStatement,
    now: &str,
) -> ApiResult<Option<Goal>> {
    let results = db
        .batch(vec![update, log_change(db, user_id, id, op, now)?])
        .await?;
    let row = match results.first() {
        Some(result) => result.results::<GoalRow>()?.into_iter().next(),
        None => None,
    };
    Ok(row.map(Goal::from))
}

/// Applies a patch to an active goal; `None` when the user has no such active goal.
pub async fn update(
    db: &D1Database,
    user_id: &str,
    id: &str,
    patch: &GoalPatch,
    now: Millis,
) -> ApiResult<Option<Goal>> {
    let now = now.to_rfc3339();
    let target_date = patch.target_date.map(|d| d.map(|d| d.to_string()));
    let statement = query!(
        db,
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
             returning {COLUMNS}"
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
    write(db, user_id, id, "upsert", statement, &now).await
}

/// Soft-deletes (`active = false`) or restores (`true`) a goal; `None` if it is not in the
/// opposite state.
pub async fn set_active(
    db: &D1Database,
    user_id: &str,
    id: &str,
    active: bool,
    now: Millis,
) -> ApiResult<Option<Goal>> {
    let now = now.to_rfc3339();
    let statement = query!(
        db,
        &format!(
            "update goals set is_active = ?3, deleted_at = case when ?3 = 1 then null else ?4 end, updated_at = ?4
             where id = ?1 and user_id = ?2 and is_active = 1 - ?3
             returning {COLUMNS}"
        ),
        id,
        user_id,
        i64::from(active),
        &now
    )?;
    write(
        db,
        user_id,
        id,
        if active { "upsert" } else { "delete" },
        statement,
        &now,
    )
    .await
}

/// Marks an active goal completed; `None` if it was not active (already completed, abandoned
/// or deleted).
pub async fn mark_completed(
    db: &D1Database,
    user_id: &str,
    id: &str,
    now: Millis,
) -> ApiResult<Option<Goal>> {
    let now = now.to_rfc3339();
    let statement = query!(
        db,
        &format!(
            "update goals set status = 'completed', completed_at = ?3, updated_at = ?3
             where id = ?1 and user_id = ?2 and is_active = 1 and status = 'active'
             returning {COLUMNS}"
        ),
        id,
        user_id,
        &now
    )?;
    write(db, user_id, id, "upsert", statement, &now).await
}
