//! The error log in D1: one row per server error (5xx), for operators to find by request id.

use super::db::{Db, Metered};
use crate::statement;
use serde::{Deserialize, Serialize};

use crate::domain::error::ApiResult;

/// A server error as `GET /api/admin/errors` shows it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorEntry {
    pub id: String,
    pub request_id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub error_type: String,
    pub message: String,
    pub user_id: Option<String>,
    pub created_at: String,
}

pub async fn record(db: &Db, entry: &ErrorEntry) -> ApiResult<()> {
    statement!("insert into error_log (id, request_id, method, path, status, error_type, message, user_id, created_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &entry.id,
        &entry.request_id,
        &entry.method,
        &entry.path,
        entry.status,
        &entry.error_type,
        &entry.message,
        &entry.user_id,
        &entry.created_at
    )?
    .run_in(db)
    .await?;
    Ok(())
}

/// A page of the log, newest first (ids are UUIDv7), before the id `before`.
pub async fn page(db: &Db, before: Option<&str>, limit: u32) -> ApiResult<Vec<ErrorEntry>> {
    statement!(
        "select id, request_id, method, path, status, error_type, message, user_id, created_at
           from error_log where (cast(?1 as text) is null or id < ?1) order by id desc limit ?2",
        before,
        limit
    )?
    .all_in(db)
    .await?
    .results::<ErrorEntry>()
}
