//! Settings on the user row, each change logged for sync in the same D1 batch.

use super::db::Db;
use crate::statement;

use crate::domain::error::ApiResult;
use crate::domain::time::Millis;

pub async fn save(db: &Db, user_id: &str, settings_json: &str, now: Millis) -> ApiResult<()> {
    let now = now.to_rfc3339();
    db.batch(vec![
        statement!(
            "update users set settings = ?2, updated_at = ?3 where id = ?1",
            user_id,
            settings_json,
            &now
        )?,
        statement!(
            "insert into change_log (user_id, entity, entity_id, op, created_at)
             values (?1, 'settings', ?1, 'upsert', ?2)",
            user_id,
            &now
        )?,
    ])
    .await?;
    Ok(())
}
