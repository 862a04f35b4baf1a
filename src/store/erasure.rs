//! Erasing a user from D1: every row of theirs in one batch (D1 runs a batch as one
//! transaction), their ids cleared from the audit and error logs, and one anonymous audit row.

use super::db::{Db, Metered, Rows};
use crate::statement;
use serde::{Deserialize, Serialize};
use worker::KvStore;

use super::audit::{self, AuditEvent};
use super::entities;
use super::sessions;
use crate::domain::error::ApiResult;
use crate::domain::time::Millis;

/// Tables with a `user_id` column besides the entities' (`entities::tables`): a habit's
/// completions (removed before their habits), and what is kept about the user's requests and
/// credentials.
const OWNED_TABLES_BEFORE: [&str; 1] = ["habit_completions"];
const OWNED_TABLES_AFTER: [&str; 5] = [
    "change_log",
    "idempotent_responses",
    "api_tokens",
    "user_identities",
    "sessions",
];

/// What the erasure removed from D1.
#[derive(Debug, Default, Serialize)]
pub struct Erased {
    pub rows: u64,
}

/// Deletes every row of `user_id`, clears the id from the logs, and appends `record` (which must
/// name no one), at once. Running it again for a user already gone changes nothing but the
/// record.
pub async fn erase(
    db: &Db,
    kv: &KvStore,
    user_id: &str,
    record: (&str, &str, &AuditEvent<'_>),
    now: Millis,
) -> ApiResult<Erased> {
    #[derive(Deserialize)]
    struct Session {
        token_hash: String,
    }
    let live_sessions = statement!(
        "select token_hash from sessions where user_id = ?1",
        user_id
    )?
    .all_in(db)
    .await?
    .results::<Session>()?;

    let owned: Vec<&str> = OWNED_TABLES_BEFORE
        .into_iter()
        .chain(entities::tables())
        .chain(OWNED_TABLES_AFTER)
        .collect();
    let mut statements = Vec::with_capacity(owned.len() + 5);
    for table in &owned {
        statements.push(statement!(
            &format!("delete from {table} where user_id = ?1"),
            user_id
        )?);
    }
    statements.push(statement!("delete from users where id = ?1", user_id)?);
    statements.push(statement!(
        "update audit_log set actor_id = null where actor_id = ?1",
        user_id
    )?);
    statements.push(statement!(
        "update audit_log set target_id = null where target_id = ?1",
        user_id
    )?);
    statements.push(statement!(
        "update error_log set user_id = null where user_id = ?1",
        user_id
    )?);
    let (id, request_id, event) = record;
    statements.push(audit::append(id, request_id, event, now)?);
    let deletions = owned.len() + 1;
    let results = db.batch(statements).await?;
    let rows = results.iter().take(deletions).map(Rows::changes).sum();
    // The rows are gone, so these sessions are refused already; their KV copies just go sooner.
    for session in live_sessions {
        sessions::forget(kv, &session.token_hash).await?;
    }
    Ok(Erased { rows })
}
