//! Browser sessions: KV for the fast lookup by token digest (with a TTL), D1 as the authority.
//!
//! Why both: KV is eventually consistent across locations (about a minute), so a deleted KV key
//! may still be read elsewhere after sign-out. Every authenticated request therefore also reads
//! the session's D1 row joined with its user, in the one D1 query the request needs for the
//! user anyway: an ended session, or a disabled user, is refused everywhere from the next request.
//! KV alone decides nothing but "no such session"; expiry is checked in code from the record.

use super::db::{Db, Metered};
use serde::Deserialize;
use worker::{KvStore, query};

use crate::domain::error::ApiResult;
use crate::domain::secret::sha256_hex;
use crate::domain::session::{SessionPolicy, SessionRecord};
use crate::domain::time::Millis;

use super::users::UserRow;

fn kv_key(token_hash: &str) -> String {
    format!("session:{token_hash}")
}

/// Drops the KV copy of a session (the D1 row stays the authority).
pub async fn forget(kv: &KvStore, token_hash: &str) -> ApiResult<()> {
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
    query!(
        db,
        "insert into sessions (id, user_id, token_hash, user_agent, created_at, last_seen_at, expires_at)
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
    Ok(())
}

/// A live session and its user, after the D1 check.
pub struct ActiveSession {
    pub record: SessionRecord,
    pub token_hash: String,
    pub user: UserRow,
}

/// Finds the live session of `token`, ending it if it has expired, and renews it (at most once
/// per renewal interval). `None` for unknown, ended or expired sessions and disabled users.
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

pub async fn authenticate(
    db: &Db,
    kv: &KvStore,
    token: &str,
    policy: &SessionPolicy,
    now: Millis,
) -> ApiResult<Option<ActiveSession>> {
    let token_hash = sha256_hex(token);
    let Some(mut record) = kv.get(&kv_key(&token_hash)).json::<SessionRecord>().await? else {
        return Ok(None);
    };
    if !record.is_live(policy, now) {
        end(db, kv, &record.session_id, &token_hash, now).await?;
        return Ok(None);
    }
    #[derive(Deserialize)]
    struct SessionState {
        ended: i64,
    }
    let result = query!(
        db,
        "select s.ended_at is not null as ended, u.id, u.email, u.name, u.role, u.disabled, u.created_at, u.settings
           from sessions s join users u on u.id = s.user_id
          where s.id = ?1 and s.token_hash = ?2",
        &record.session_id,
        &token_hash
    )?
    .all_in(db)
    .await?;
    // One row, read twice: as the session's state and as its user.
    let ended = result
        .results::<SessionState>()?
        .pop()
        .is_none_or(|s| s.ended != 0);
    let Some(user) = result
        .results::<UserRow>()?
        .pop()
        .filter(|user| !ended && !user.is_disabled())
    else {
        return Ok(None);
    };
    if record.needs_renewal(policy, now) {
        record.last_seen_ms = now.0;
        write_record(kv, &token_hash, &record, policy, now).await?;
        query!(
            db,
            "update sessions set last_seen_at = ?2 where id = ?1",
            &record.session_id,
            now.to_rfc3339()
        )?
        .run_in(db)
        .await?;
    }
    Ok(Some(ActiveSession {
        record,
        token_hash,
        user,
    }))
}

/// Ends one session: the D1 row first (the authority), then the KV record.
pub async fn end(
    db: &Db,
    kv: &KvStore,
    session_id: &str,
    token_hash: &str,
    now: Millis,
) -> ApiResult<()> {
    query!(
        db,
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
    let ended = query!(
        db,
        "update sessions set ended_at = ?3 where id = ?1 and user_id = ?2 and ended_at is null
         returning token_hash",
        session_id,
        user_id,
        now.to_rfc3339()
    )?
    .first::<String>(Some("token_hash"))
    .await?;
    match ended {
        Some(token_hash) => {
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
            query!(
                db,
                "update sessions set ended_at = ?2 where user_id = ?1 and ended_at is null
                 returning token_hash",
                user_id,
                &now
            )?,
            query!(
                db,
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
    Ok(query!(
        db,
        "select id, user_agent, created_at, last_seen_at, expires_at from sessions
          where user_id = ?1 and ended_at is null and expires_at > ?2 and last_seen_at >= ?3
          order by created_at desc limit 200",
        user_id,
        now.to_rfc3339(),
        idle_cutoff.to_rfc3339()
    )?
    .all_in(db)
    .await?
    .results::<SessionSummary>()?)
}
