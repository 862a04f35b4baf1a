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
