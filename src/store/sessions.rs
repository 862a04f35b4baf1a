//! Browser sessions: KV for the fast lookup by token digest (with a TTL), D1 as the authority.
//!
//! Why both: KV is eventually consistent across locations (about a minute), so a deleted KV key
//! may still be read elsewhere after sign-out. Every authenticated request therefore also reads
//! the session's D1 row joined with its user, in the one D1 query the request needs for the
//! user anyway: an ended session, or a disabled user, is refused everywhere from the next request.
//! KV alone decides nothing but "no such session"; expiry is checked in code from the record.

use super::db::Statement;
use crate::statement;
use std::cell::RefCell;

use super::credentials::Recent;
use super::db::{Db, Metered};
use serde::Deserialize;
use worker::KvStore;

use crate::domain::error::ApiResult;
use crate::domain::secret::sha256_hex;
use crate::domain::session::{SessionPolicy, SessionRecord};
use crate::domain::time::Millis;

fn kv_key(token_hash: &str) -> String {
    format!("session:{token_hash}")
}

/// Drops the KV copy of a session (the D1 row stays the authority).
pub async fn forget(kv: &KvStore, token_hash: &str) -> ApiResult<()> {
    forget_claim(token_hash);
    kv.delete(&kv_key(token_hash)).await?;
    Ok(())
}

pub struct NewSession<'a> {
    pub session_id: &'a str,
    pub token: &'a str,
    pub csrf_token: &'a str,
    pub user_id: &'a str,
    pub user_agent: &'a str,
}

pub async fn create(
    db: &Db,
    kv: &KvStore,
    new: &NewSession<'_>,
    policy: &SessionPolicy,
    now: Millis,
) -> ApiResult<SessionRecord> {
    let token_hash = sha256_hex(new.token);
    let record = SessionRecord {
        session_id: new.session_id.to_owned(),
        user_id: new.user_id.to_owned(),
        csrf_token: new.csrf_token.to_owned(),
        created_ms: now.0,
        last_seen_ms: now.0,
    };
    let absolute_end = Millis(now.0.saturating_add(policy.lifetime_ms));
    let user_agent: String = new.user_agent.chars().take(300).collect();
    statement!("insert into sessions (id, user_id, token_hash, user_agent, created_at, last_seen_at, expires_at)
         values (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
        new.session_id,
        new.user_id,
        &token_hash,
        &user_agent,
        now.to_rfc3339(),
        absolute_end.to_rfc3339()
    )?
    .run_in(db)
    .await?;
    write_record(kv, &token_hash, &record, policy, now).await?;
    Ok(record)
}

async fn write_record(
    kv: &KvStore,
    token_hash: &str,
    record: &SessionRecord,
    policy: &SessionPolicy,
    now: Millis,
) -> ApiResult<()> {
    kv.put(&kv_key(token_hash), record)?
        .expiration_ttl(record.kv_ttl_seconds(policy, now))
        .execute()
        .await?;
    CLAIMS.with(|claims| claims.borrow_mut().put(token_hash, record.clone()));
    Ok(())
}

thread_local! {
    /// Session records this isolate read or wrote, by token digest: a claim, checked by D1.
    static CLAIMS: RefCell<Recent<SessionRecord>> = RefCell::new(Recent::new());
}

/// When the session of `token_hash` ends if no request comes first, or `None` when it has ended
/// by time (KV's copy is what activity renews; an explicit end closes its sockets by itself).
pub async fn live_until(
    kv: &KvStore,
    token_hash: &str,
    policy: &SessionPolicy,
    now: Millis,
) -> ApiResult<Option<Millis>> {
    let record = kv.get(&kv_key(token_hash)).json::<SessionRecord>().await?;
    Ok(record
        .filter(|record| record.is_live(policy, now))
        .map(|record| record.expires_at(policy)))
}

/// The record of the session `token_hash` names, from this isolate or KV (counted in
/// `kv_reads`): who it claims to be. Only D1 says the session is still live
/// (`store::credentials`).
pub async fn claim(
    kv: &KvStore,
    token_hash: &str,
    kv_reads: &mut u32,
) -> ApiResult<Option<SessionRecord>> {
    if let Some(record) = CLAIMS.with(|claims| claims.borrow().get(token_hash)) {
        return Ok(Some(record));
    }
    *kv_reads += 1;
    let record = kv.get(&kv_key(token_hash)).json::<SessionRecord>().await?;
    if let Some(record) = &record {
        CLAIMS.with(|claims| claims.borrow_mut().put(token_hash, record.clone()));
    }
    Ok(record)
}

pub fn forget_claim(token_hash: &str) {
    CLAIMS.with(|claims| claims.borrow_mut().remove(token_hash));
}

/// Records activity on the session: KV's copy (and its TTL) now, and the statement that moves
/// D1's `last_seen_at`, for after the response.
pub async fn renew(
    kv: &KvStore,
    token_hash: &str,
    record: &mut SessionRecord,
    policy: &SessionPolicy,
    now: Millis,
) -> ApiResult<Statement> {
    record.last_seen_ms = now.0;
    write_record(kv, token_hash, record, policy, now).await?;
    statement!(
        "update sessions set last_seen_at = ?2 where id = ?1",
        &record.session_id,
        now.to_rfc3339()
    )
}

/// Ends one session: the D1 row first (the authority), then the KV record.
pub async fn end(
    db: &Db,
    kv: &KvStore,
    session_id: &str,
    token_hash: &str,
    now: Millis,
) -> ApiResult<()> {
    statement!(
        "update sessions set ended_at = ?2 where id = ?1 and ended_at is null",
        session_id,
        now.to_rfc3339()
    )?
    .run_in(db)
    .await?;
    forget(kv, token_hash).await?;
    Ok(())
}

/// Ends one of `user_id`'s sessions by id; false when the user has no such live session.
pub async fn end_by_id(
    db: &Db,
    kv: &KvStore,
    user_id: &str,
    session_id: &str,
    now: Millis,
) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct Ended {
        token_hash: String,
    }
    let ended = statement!(
        "update sessions set ended_at = ?3 where id = ?1 and user_id = ?2 and ended_at is null
         returning token_hash",
        session_id,
        user_id,
        now.to_rfc3339()
    )?
    .first_in::<Ended>(db)
    .await?;
    match ended {
        Some(Ended { token_hash }) => {
            forget(kv, &token_hash).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Ends every session and revokes every API token of a user, in one D1 batch; then clears KV.
pub async fn end_all(db: &Db, kv: &KvStore, user_id: &str, now: Millis) -> ApiResult<()> {
    let now = now.to_rfc3339();
    let results = db
        .batch(vec![
            statement!(
                "update sessions set ended_at = ?2 where user_id = ?1 and ended_at is null
                 returning token_hash",
                user_id,
                &now
            )?,
            statement!(
                "update api_tokens set revoked_at = ?2 where user_id = ?1 and revoked_at is null",
                user_id,
                &now
            )?,
        ])
        .await?;
    #[derive(Deserialize)]
    struct Ended {
        token_hash: String,
    }
    if let Some(sessions) = results.first() {
        for ended in sessions.results::<Ended>()? {
            forget(kv, &ended.token_hash).await?;
        }
    }
    Ok(())
}

#[derive(Debug, serde::Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: String,
    pub user_agent: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
}

/// The user's live sessions, newest first: not ended, not past their lifetime, and seen within
/// the inactivity timeout.
pub async fn list(
    db: &Db,
    user_id: &str,
    policy: &SessionPolicy,
    now: Millis,
) -> ApiResult<Vec<SessionSummary>> {
    let idle_cutoff = Millis(now.0.saturating_sub(policy.inactivity_ms));
    statement!(
        "select id, user_agent, created_at, last_seen_at, expires_at from sessions
          where user_id = ?1 and ended_at is null and expires_at > ?2 and last_seen_at >= ?3
          order by created_at desc limit 200",
        user_id,
        now.to_rfc3339(),
        idle_cutoff.to_rfc3339()
    )?
    .all_in(db)
    .await?
    .results::<SessionSummary>()
}
