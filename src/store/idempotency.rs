//! First responses to HTTP `Idempotency-Key`s of requests served from D1 (24 hours).

use super::db::Statement;
use super::db::{Db, Metered};
use crate::statement;
use serde::Deserialize;

use crate::domain::error::ApiResult;
use crate::domain::time::Millis;

pub const RETENTION_MS: u64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Deserialize)]
pub struct StoredResponse {
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
}

/// The live stored response of a key, if any.
pub async fn find(
    db: &Db,
    user_id: &str,
    key: &str,
    now: Millis,
) -> ApiResult<Option<StoredResponse>> {
    let cutoff = Millis(now.0.saturating_sub(RETENTION_MS)).to_rfc3339();
    statement!(
        "select fingerprint, status, body from idempotent_responses
          where user_id = ?1 and key = ?2 and created_at >= ?3",
        user_id,
        key,
        &cutoff
    )?
    .first_in::<StoredResponse>(db)
    .await
}

/// Statements for a creation's batch: drop an expired record of the key, then record this
/// response. The insert fails (and the whole batch with it) if a live record exists, so two
/// requests with one key cannot both create.
pub fn record(
    user_id: &str,
    key: &str,
    fingerprint: &str,
    status: u16,
    body: &str,
    now: Millis,
) -> ApiResult<Vec<Statement>> {
    let cutoff = Millis(now.0.saturating_sub(RETENTION_MS)).to_rfc3339();
    Ok(vec![
        statement!(
            "delete from idempotent_responses where user_id = ?1 and key = ?2 and created_at < ?3",
            user_id,
            key,
            &cutoff
        )?,
        statement!(
            "insert into idempotent_responses (user_id, key, fingerprint, status, body, created_at)
             values (?1, ?2, ?3, ?4, ?5, ?6)",
            user_id,
            key,
            fingerprint,
            status,
            body,
            now.to_rfc3339()
        )?,
    ])
}
