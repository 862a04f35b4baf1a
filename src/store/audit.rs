//! The audit log in D1: appended to, never updated through the API.

use super::db::Statement;
use super::db::{Db, Metered};
use crate::statement;

use crate::domain::error::ApiResult;
use crate::domain::time::Millis;

/// What happened: who did it (`None` before anyone is signed in), to whom, and a small JSON
/// object of detail. Never a secret, and no e-mail address: a deleted account's rows must be
/// anonymous once its ids are cleared.
pub struct AuditEvent<'a> {
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub target_id: Option<&'a str>,
    pub detail: serde_json::Value,
}

impl<'a> AuditEvent<'a> {
    /// What a user did to their own account.
    pub fn own(user_id: &'a str, action: &'a str, detail: serde_json::Value) -> Self {
        AuditEvent {
            actor_id: Some(user_id),
            action,
            target_id: Some(user_id),
            detail,
        }
    }
}

/// The statement that appends `event` as the row `id` of request `request_id`.
pub fn append(
    id: &str,
    request_id: &str,
    event: &AuditEvent<'_>,
    now: Millis,
) -> ApiResult<Statement> {
    Ok(statement!(
        "insert into audit_log (id, actor_id, action, target_id, request_id, detail, created_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        id,
        event.actor_id,
        event.action,
        event.target_id,
        request_id,
        event.detail.to_string(),
        now.to_rfc3339()
    )?)
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
pub async fn page(db: &Db, before: Option<&str>, limit: u32) -> ApiResult<Vec<AuditRow>> {
    statement!(
        "select id, actor_id, action, target_id, request_id, detail, created_at from audit_log
          where (cast(?1 as text) is null or id < ?1) order by id desc limit ?2",
        before,
        limit
    )?
    .all_in(db)
    .await?
    .results::<AuditRow>()
}
