//! Service-wide figures for operators, counted in D1 (no per-request counters to keep).

use super::db::{Db, Metered};
use crate::statement;
use serde::{Deserialize, Serialize};

use crate::domain::error::{ApiError, ApiResult};

/// Users, users active since `since`, and award-earning events recorded since `since`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Stats {
    pub users: u64,
    pub active_today: u64,
    pub awards_today: u64,
}

/// Awards live in each user's own object, out of reach of one query; what earns them is in D1:
/// completions not undone, completed goals and quests, logged workouts, finished books, focus
/// sessions of five minutes or more, and admin claims.
pub async fn since(db: &Db, since: &str) -> ApiResult<Stats> {
    statement!(
        "select
           (select count(*) from users) as users,
           (select count(*) from (
              select user_id from sessions where last_seen_at >= ?1
              union select user_id from api_tokens where last_used_at >= ?1) as active) as active_today,
           (select count(*) from habit_completions where created_at >= ?1 and undone_at is null)
           + (select count(*) from goals where completed_at >= ?1)
           + (select count(*) from quests where completed_at >= ?1)
           + (select count(*) from workouts where created_at >= ?1)
           + (select count(*) from books where status = 'finished' and updated_at >= ?1)
           + (select count(*) from focus_sessions
               where mode = 'focus' and status = 'completed' and ended_at >= ?1
                 and focused_seconds >= 300)
           + (select count(*) from audit_log where action = 'admin.claim' and created_at >= ?1)
             as awards_today",
        since
    )?
    .first_in::<Stats>(db)
    .await?
    .ok_or_else(|| ApiError::internal("the stats query returned no row"))
}
