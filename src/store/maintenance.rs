//! What the Cron Trigger removes, so no table grows without bound: idempotency records past
//! their 24 hours, OAuth state uses past their state's life, sessions and tokens ended a month
//! ago, old server errors, and change-log entries older than the log keeps (the user's
//! `sync_floor` remembers where, so an older cursor is answered 410, never a silent gap). Each
//! run removes at most `BATCH` rows of each; the next run goes on.

use super::db::Db;
use crate::statement;

use crate::domain::error::ApiResult;
use crate::domain::time::Millis;

use super::idempotency::RETENTION_MS;

/// Rows of each kind one run removes at most.
const BATCH: u32 = 5_000;
const DAY_MS: u64 = 24 * 60 * 60 * 1000;
/// Ended sessions, revoked or expired tokens and server errors are kept this long (for the
/// user's session list, the admin's error list and audits).
const KEPT_ENDED_MS: u64 = 30 * DAY_MS;

/// Rows removed by one run, by what they were.
#[derive(Debug, Default)]
pub struct Purged {
    pub rows: u64,
}

pub async fn purge(db: &Db, now: Millis, change_log_retention_ms: u64) -> ApiResult<Purged> {
    let before = |age: u64| Millis(now.0.saturating_sub(age)).to_rfc3339();
    let (replies, states, ended, log) = (
        before(RETENTION_MS),
        before(DAY_MS),
        before(KEPT_ENDED_MS),
        before(change_log_retention_ms),
    );
    let statements = vec![
        statement!("delete from idempotent_responses where (user_id, key) in
               (select user_id, key from idempotent_responses where created_at < ?1 limit ?2)",
            &replies,
            BATCH
        )?,
        statement!("delete from oauth_state_uses where state_hash in
               (select state_hash from oauth_state_uses where used_at < ?1 limit ?2)",
            &states,
            BATCH
        )?,
        statement!("delete from sessions where id in
               (select id from sessions where ended_at < ?1 or expires_at < ?1 limit ?2)",
            &ended,
            BATCH
        )?,
        statement!("delete from api_tokens where id in
               (select id from api_tokens where revoked_at < ?1 or expires_at < ?1 limit ?2)",
            &ended,
            BATCH
        )?,
        statement!("delete from error_log where id in
               (select id from error_log where created_at < ?1 limit ?2)",
            &ended,
            BATCH
        )?,
        // The oldest entries by sequence are the oldest in time: no index on the time needed.
        // The floor moves first, in the same transaction as the delete it records.
        // Compaction takes the oldest entries, so what it removes is above the floor already.
        statement!("update users set sync_floor = coalesce(
               (select max(seq) from (select seq, user_id, created_at from change_log order by seq limit ?2) as doomed
                 where doomed.user_id = users.id and doomed.created_at < ?1), sync_floor)
              where id in (select user_id from (select user_id, created_at from change_log order by seq limit ?2) as oldest
                            where created_at < ?1)",
            &log,
            BATCH
        )?,
        statement!("delete from change_log where seq in
               (select seq from (select seq, created_at from change_log order by seq limit ?2) as oldest
                 where created_at < ?1)",
            &log,
            BATCH
        )?,
    ];
    let floor_update = statements.len() - 2;
    let results = db.batch(statements).await?;
    let rows = results
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != floor_update)
        .map(|(_, result)| result.changes())
        .sum();
    Ok(Purged { rows })
}
