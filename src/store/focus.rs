//! Focus sessions in D1. Transitions are compare-and-set on the state they were computed from
//! (`status` and `updated_at`), so concurrent actions on one session cannot both apply.

use super::db::Statement;
use super::db::{Db, Metered};
use crate::statement;
use serde::{Deserialize, Serialize};

use super::content::{flag, log_change};
use crate::domain::economy::Skill;
use crate::domain::entity::{ChangeOp, Entity};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::focus::{FocusClock, FocusMode, FocusStatus};
use crate::domain::time::Millis;

const ENTITY: Entity = Entity::FocusSession;
/// The table of focus sessions.
pub const TABLE: &str = "focus_sessions";
pub const COLUMNS: &str = "id, mode, planned_minutes, status, started_at, paused_at, paused_ms, ended_at, habit_id, goal_id, audio_id, created_at, updated_at";

/// A session as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FocusRow {
    pub id: String,
    pub mode: FocusMode,
    pub planned_minutes: u32,
    pub status: FocusStatus,
    pub started_at: Millis,
    pub paused_at: Option<Millis>,
    #[serde(skip_serializing)]
    pub paused_ms: u64,
    pub ended_at: Option<Millis>,
    pub habit_id: Option<String>,
    pub goal_id: Option<String>,
    pub audio_id: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl FocusRow {
    pub fn clock(&self) -> FocusClock {
        FocusClock {
            status: self.status,
            planned_minutes: self.planned_minutes,
            started_at: self.started_at,
            paused_at: self.paused_at,
            paused_ms: self.paused_ms,
            ended_at: self.ended_at,
        }
    }
}

/// The user's active (running or paused) session, if any.
pub async fn active(db: &Db, user_id: &str) -> ApiResult<Option<FocusRow>> {
    statement!(
        &format!(
            "select {COLUMNS} from focus_sessions
              where user_id = ?1 and status in ('running', 'paused')"
        ),
        user_id
    )?
    .first_in::<FocusRow>(db)
    .await
}

/// What a new session links to; each must be the user's, else `404`.
pub struct Links<'a> {
    pub habit_id: Option<&'a str>,
    pub goal_id: Option<&'a str>,
    pub audio_id: Option<&'a str>,
}

/// Starts `row` unless the user has an active session (`None` then), in one batch that also
/// checks the links.
/// Starts `row` unless another session is active, its links are not the user's, or `guard` (the
/// quota's, `content::quota_guard`) fails the batch.
pub async fn start(
    db: &Db,
    user_id: &str,
    row: &FocusRow,
    links: &Links<'_>,
    guard: Statement,
) -> ApiResult<Option<FocusRow>> {
    // A condition's value: 0/1 from D1, a boolean from Postgres.
    #[derive(Deserialize)]
    struct Owned {
        #[serde(deserialize_with = "flag")]
        habit: bool,
        #[serde(deserialize_with = "flag")]
        goal: bool,
        #[serde(deserialize_with = "flag")]
        audio: bool,
    }
    let results = db
        .batch(vec![
            statement!("select
                   (cast(?2 as text) is null or exists (select 1 from habits where id = ?2 and user_id = ?1 and is_active = 1)) as habit,
                   (cast(?3 as text) is null or exists (select 1 from goals where id = ?3 and user_id = ?1 and is_active = 1)) as goal,
                   (cast(?4 as text) is null or exists (select 1 from audio_tracks where id = ?4 and (user_id = ?1 or scope = 'library'))) as audio",
                user_id,
                links.habit_id,
                links.goal_id,
                links.audio_id
            )?,
            statement!("insert into focus_sessions (id, user_id, mode, planned_minutes, status, started_at, habit_id, goal_id, audio_id, created_at, updated_at)
                 select ?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7, ?8, ?5, ?5
                  where not exists (select 1 from focus_sessions where user_id = ?2 and status in ('running', 'paused'))
                    and (cast(?6 as text) is null or exists (select 1 from habits where id = ?6 and user_id = ?2 and is_active = 1))
                    and (cast(?7 as text) is null or exists (select 1 from goals where id = ?7 and user_id = ?2 and is_active = 1))
                    and (cast(?8 as text) is null or exists (select 1 from audio_tracks where id = ?8 and (user_id = ?2 or scope = 'library')))",
                &row.id,
                user_id,
                mode_str(row.mode),
                row.planned_minutes,
                &row.started_at,
                links.habit_id,
                links.goal_id,
                links.audio_id
            )?,
            log_change(user_id, ENTITY, &row.id, ChangeOp::Upsert, row.started_at)?,
            statement!(&format!("select {COLUMNS} from focus_sessions where id = ?1 and user_id = ?2"),
                &row.id,
                user_id
            )?,
            guard,
        ])
        .await?;
    if let Some(owned) = match results.first() {
        Some(result) => result.results::<Owned>()?.into_iter().next(),
        None => None,
    } {
        for (found, what) in [
            (owned.habit, "habit"),
            (owned.goal, "goal"),
            (owned.audio, "audio track"),
        ] {
            if !found {
                return Err(ApiError::not_found(what));
            }
        }
    }
    Ok(match results.get(3) {
        Some(result) => result.results::<FocusRow>()?.into_iter().next(),
        None => None,
    })
}

fn mode_str(mode: FocusMode) -> &'static str {
    match mode {
        FocusMode::Focus => "focus",
        FocusMode::Break => "break",
    }
}

/// Writes `next` over `current` if the session is still as `current` was; `None` if it changed.
pub async fn transition(
    db: &Db,
    user_id: &str,
    current: &FocusRow,
    next: &FocusClock,
    now: Millis,
) -> ApiResult<Option<FocusRow>> {
    let results = db
        .batch(vec![
            statement!(&format!(
                    "update focus_sessions set status = ?4, paused_at = ?5, paused_ms = ?6, ended_at = ?7,
                       focused_seconds = ?8, updated_at = ?9
                     where id = ?1 and user_id = ?2 and status = ?3 and updated_at = ?10
                     returning {COLUMNS}"
                ),
                &current.id,
                user_id,
                current.status.as_str(),
                next.status.as_str(),
                next.paused_at,
                next.paused_ms,
                next.ended_at,
                next.ended_at.map(|at| next.focused_ms(at) / 1000),
                &now,
                &current.updated_at
            )?,
            log_change(user_id, ENTITY, &current.id, ChangeOp::Upsert, now)?,
        ])
        .await?;
    Ok(match results.first() {
        Some(result) => result.results::<FocusRow>()?.into_iter().next(),
        None => None,
    })
}

/// A page of the user's sessions, newest first, before the id `before`.
pub async fn history(
    db: &Db,
    user_id: &str,
    before: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<FocusRow>> {
    statement!(
        &format!(
            "select {COLUMNS} from focus_sessions
              where user_id = ?1 and (cast(?2 as text) is null or id < ?2)
              order by id desc limit ?3"
        ),
        user_id,
        before,
        limit
    )?
    .all_in(db)
    .await?
    .results::<FocusRow>()
}

/// Completed focus-mode sessions started at or after `since`.
pub async fn completed_since(db: &Db, user_id: &str, since: Millis) -> ApiResult<Vec<FocusRow>> {
    statement!(
        &format!(
            "select {COLUMNS} from focus_sessions
              where user_id = ?1 and status = 'completed' and mode = 'focus' and started_at >= ?2
              order by started_at"
        ),
        user_id,
        since
    )?
    .all_in(db)
    .await?
    .results::<FocusRow>()
}

/// The category of a linked habit or goal, for the skill a focus award counts to.
pub async fn linked_category(db: &Db, user_id: &str, row: &FocusRow) -> ApiResult<Option<Skill>> {
    #[derive(Deserialize)]
    struct Category {
        category: Skill,
    }
    Ok(statement!(
        "select category from habits where id = ?2 and user_id = ?1
         union all select category from goals where id = ?3 and user_id = ?1
         limit 1",
        user_id,
        &row.habit_id,
        &row.goal_id
    )?
    .first_in::<Category>(db)
    .await?
    .map(|c| c.category))
}
