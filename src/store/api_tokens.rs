//! API tokens in D1: only the SHA-256 of a token is stored; a revoked token fails from the next
//! request on, since every bearer request reads its row.

use super::db::{Db, Metered};
use serde::{Deserialize, Serialize};
use worker::query;

use crate::domain::api_token::{LAST_USED_RESOLUTION_MS, TokenScope};
use crate::domain::error::ApiResult;
use crate::domain::secret::sha256_hex;
use crate::domain::time::Millis;

use super::users::UserRow;

#[derive(Debug, Serialize, Deserialize)]
pub struct ApiTokenSummary {
    pub id: String,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// A token to store: only the hash of `token` is kept.
pub struct NewToken<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub scope: TokenScope,
    pub token: &'a str,
    pub expires_at: Option<Millis>,
}

/// Stores `new`, or fails as `content::is_over_quota` says when the user would then hold more
/// than `quota` live tokens.
pub async fn create(
    db: &Db,
    user_id: &str,
    new: &NewToken<'_>,
    quota: u32,
    now: Millis,
) -> ApiResult<ApiTokenSummary> {
    let created_at = now.to_rfc3339();
    let expires_at = new.expires_at.map(Millis::to_rfc3339);
    let insert = query!(
        db,
        "insert into api_tokens (id, user_id, name, token_hash, created_at, scope, expires_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        new.id,
        user_id,
        new.name,
        sha256_hex(new.token),
        &created_at,
        new.scope.as_str(),
        expires_at.as_deref()
    )?;
    // Live tokens only count: revoked and expired ones no longer work (see migration 0014).
    let guard = query!(
        db,
        "insert into quota_guard (kind) select 'api_tokens'
          where (select count(*) from api_tokens
                  where user_id = ?1 and revoked_at is null
                    and (expires_at is null or expires_at > ?2)) > ?3",
        user_id,
        &created_at,
        quota
    )?;
    db.batch(vec![insert, guard]).await?;
    Ok(ApiTokenSummary {
        id: new.id.to_owned(),
        name: new.name.to_owned(),
        scope: new.scope,
        created_at,
        expires_at,
        last_used_at: None,
    })
}

/// The user's tokens that still work (neither revoked nor expired), newest first.
pub async fn list(db: &Db, user_id: &str, now: Millis) -> ApiResult<Vec<ApiTokenSummary>> {
    Ok(query!(
        db,
        "select id, name, scope, created_at, expires_at, last_used_at from api_tokens
          where user_id = ?1 and revoked_at is null and (expires_at is null or expires_at > ?2)
          order by created_at desc limit 200",
        user_id,
        now.to_rfc3339()
    )?
    .all_in(db)
    .await?
    .results::<ApiTokenSummary>()?)
}

/// Revokes one of the user's tokens; false when the user has no such live token.
pub async fn revoke(db: &Db, user_id: &str, id: &str, now: Millis) -> ApiResult<bool> {
    let revoked = query!(
        db,
        "update api_tokens set revoked_at = ?3 where id = ?1 and user_id = ?2 and revoked_at is null
         returning id",
        id,
        user_id,
        now.to_rfc3339()
    )?
    .first::<String>(Some("id"))
    .await?;
    Ok(revoked.is_some())
}

/// A live token as authentication reads it.
pub struct LiveToken {
    pub id: String,
    pub scope: TokenScope,
    pub expires_at: Option<Millis>,
}

/// The live (not revoked, not expired) token `token` and its enabled user; records use at most
/// once a minute.
pub async fn authenticate(
    db: &Db,
    token: &str,
    now: Millis,
) -> ApiResult<Option<(LiveToken, UserRow)>> {
    #[derive(Deserialize)]
    struct TokenState {
        token_id: String,
        token_scope: TokenScope,
        token_expires_at: Option<String>,
        last_used_at: Option<String>,
    }
    let result = query!(
        db,
        "select t.id as token_id, t.scope as token_scope, t.expires_at as token_expires_at, t.last_used_at,
                u.id, u.email, u.name, u.role, u.disabled, u.created_at, u.settings
           from api_tokens t join users u on u.id = t.user_id
          where t.token_hash = ?1 and t.revoked_at is null
            and (t.expires_at is null or t.expires_at > ?2)",
        sha256_hex(token),
        now.to_rfc3339()
    )?
    .all_in(db)
    .await?;
    // One row, read twice: as the token's state and as its user.
    let (Some(token), Some(user)) = (
        result.results::<TokenState>()?.pop(),
        result.results::<UserRow>()?.pop(),
    ) else {
        return Ok(None);
    };
    if user.is_disabled() {
        return Ok(None);
    }
    let stale = token
        .last_used_at
        .as_deref()
        .and_then(Millis::parse_rfc3339)
        .is_none_or(|last| now.0.saturating_sub(last.0) >= LAST_USED_RESOLUTION_MS);
    if stale {
        query!(
            db,
            "update api_tokens set last_used_at = ?2 where id = ?1",
            &token.token_id,
            now.to_rfc3339()
        )?
        .run_in(db)
        .await?;
    }
    Ok(Some((
        LiveToken {
            id: token.token_id,
            scope: token.token_scope,
            expires_at: token
                .token_expires_at
                .as_deref()
                .and_then(Millis::parse_rfc3339),
        },
        user,
    )))
}
