//! The audit log in D1: appended to, never updated through the API.

use worker::{D1Database, query};

use crate::domain::error::ApiResult;
use crate::domain::time::Millis;

pub struct AuditEntry<'a> {
    pub id: &'a str,
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub target_id: Option<&'a str>,
    pub request_id: &'a str,
    /// A small JSON object.
    pub detail: &'a serde_json::Value,
}

pub async fn append(db: &D1Database, entry: &AuditEntry<'_>, now: Millis) -> ApiResult<()> {
    query!(
        db,
        "insert into audit_log (id, actor_id, action, target_id, request_id, detail, created_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        entry.id,
        entry.actor_id,
        entry.action,
        entry.target_id,
        entry.request_id,
        entry.detail.to_string(),
        now.to_rfc3339()
    )?
    .run()
    .await?;
    Ok(())
}

/// An audit entry as the admin API shows it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct AuditRow {
    pub id: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_id: Option<String>,
    pub request_id: String,
    #[serde(deserialize_with = "crate::store::content::stored_json")]
    pub detail: serde_json::Value,
    pub created_at: String,
}

/// A page of the log, newest first (ids are UUIDv7), before the id `before`.
pub async fn page(db: &D1Database, before: Option<&str>, limit: u32) -> ApiResult<Vec<AuditRow>> {
    Ok(query!(
        db,
        "select id, actor_id, action, target_id, request_id, detail, created_at from audit_log
          where (?1 is null or id < ?1) order by id desc limit ?2",
        before,
        limit
    )?
    .all()
    .await?
    .results::<AuditRow>()?)
}
