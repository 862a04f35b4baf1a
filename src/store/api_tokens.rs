//! API tokens in D1: only the SHA-256 of a token is stored; a revoked token fails from the next
//! request on, since every bearer request reads its row.

use super::db::Statement;
use std::cell::RefCell;

use super::credentials::Recent;
use super::db::{Db, Metered};
use crate::statement;
use serde::{Deserialize, Serialize};
use worker::KvStore;

use crate::domain::api_token::{LAST_USED_RESOLUTION_MS, TokenScope};
use crate::domain::error::ApiResult;
use crate::domain::secret::sha256_hex;
use crate::domain::session::KV_MIN_TTL_SECONDS;
use crate::domain::time::Millis;

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
    kv: &KvStore,
    user_id: &str,
    new: &NewToken<'_>,
    quota: u32,
    now: Millis,
) -> ApiResult<ApiTokenSummary> {
    let created_at = now.to_rfc3339();
    let expires_at = new.expires_at.map(Millis::to_rfc3339);
    let insert = statement!(
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
    let guard = statement!(
        "insert into quota_guard (kind) select 'api_tokens'
          where (select count(*) from api_tokens
                  where user_id = ?1 and revoked_at is null
                    and (expires_at is null or expires_at > ?2)) > ?3",
        user_id,
        &created_at,
        quota
    )?
    .queued_behind(user_id);
    db.batch(vec![insert, guard]).await?;
    let claim = TokenClaim {
        id: new.id.to_owned(),
        user_id: user_id.to_owned(),
        scope: new.scope,
        expires_ms: new.expires_at.map(|at| at.0),
    };
    keep_claim(kv, &sha256_hex(new.token), &claim, now).await?;
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
    statement!(
        "select id, name, scope, created_at, expires_at, last_used_at from api_tokens
          where user_id = ?1 and revoked_at is null and (expires_at is null or expires_at > ?2)
          order by created_at desc limit 200",
        user_id,
        now.to_rfc3339()
    )?
    .all_in(db)
    .await?
    .results::<ApiTokenSummary>()
}

/// Revokes one of the user's tokens; false when the user has no such live token.
pub async fn revoke(
    db: &Db,
    kv: &KvStore,
    user_id: &str,
    id: &str,
    now: Millis,
) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct Revoked {
        token_hash: String,
    }
    let revoked = statement!("update api_tokens set revoked_at = ?3 where id = ?1 and user_id = ?2 and revoked_at is null
         returning token_hash",
        id,
        user_id,
        now.to_rfc3339()
    )?
    .first_in::<Revoked>(db)
    .await?;
    let Some(revoked) = revoked else {
        return Ok(false);
    };
    forget_claim(&revoked.token_hash);
    kv.delete(&kv_key(&revoked.token_hash)).await?;
    Ok(true)
}

/// What a token claims, kept in KV under its digest (written at creation, or at its first use
/// for tokens older than that) and in this isolate. It never changes; whether the token still
/// works is D1's to say (`store::credentials`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenClaim {
    pub id: String,
    pub user_id: String,
    pub scope: TokenScope,
    pub expires_ms: Option<u64>,
}

fn kv_key(token_hash: &str) -> String {
    format!("token:{token_hash}")
}

thread_local! {
    static CLAIMS: RefCell<Recent<TokenClaim>> = RefCell::new(Recent::new());
    /// When this isolate last recorded a token's use, by digest.
    static LAST_RECORDED: RefCell<Recent<u64>> = RefCell::new(Recent::new());
}

pub fn forget_claim(token_hash: &str) {
    CLAIMS.with(|claims| claims.borrow_mut().remove(token_hash));
}

async fn keep_claim(
    kv: &KvStore,
    token_hash: &str,
    claim: &TokenClaim,
    now: Millis,
) -> ApiResult<()> {
    let mut put = kv.put(&kv_key(token_hash), claim)?;
    if let Some(expires_ms) = claim.expires_ms {
        let seconds = expires_ms.saturating_sub(now.0) / 1000;
        put = put.expiration_ttl(seconds.max(KV_MIN_TTL_SECONDS));
    }
    put.execute().await?;
    CLAIMS.with(|claims| claims.borrow_mut().put(token_hash, claim.clone()));
    Ok(())
}

/// The claim of the token `token_hash` names: from this isolate, KV (counted in `kv_reads`),
/// or (a token that predates KV claims) D1. `None` for a token D1 does not know either.
pub async fn claim(
    db: &Db,
    kv: &KvStore,
    token_hash: &str,
    now: Millis,
    kv_reads: &mut u32,
) -> ApiResult<Option<TokenClaim>> {
    if let Some(claim) = CLAIMS.with(|claims| claims.borrow().get(token_hash)) {
        return Ok(Some(claim));
    }
    *kv_reads += 1;
    if let Some(claim) = kv.get(&kv_key(token_hash)).json::<TokenClaim>().await? {
        CLAIMS.with(|claims| claims.borrow_mut().put(token_hash, claim.clone()));
        return Ok(Some(claim));
    }
    #[derive(Deserialize)]
    struct Row {
        id: String,
        user_id: String,
        scope: TokenScope,
        expires_at: Option<String>,
    }
    let row = statement!(
        "select id, user_id, scope, expires_at from api_tokens
          where token_hash = ?1 and revoked_at is null and (expires_at is null or expires_at > ?2)",
        token_hash,
        now.to_rfc3339()
    )?
    .first_in::<Row>(db)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let claim = TokenClaim {
        id: row.id,
        user_id: row.user_id,
        scope: row.scope,
        expires_ms: row
            .expires_at
            .as_deref()
            .and_then(Millis::parse_rfc3339)
            .map(|at| at.0),
    };
    keep_claim(kv, token_hash, &claim, now).await?;
    Ok(Some(claim))
}

/// The statement that records the token's use, at most once a minute per isolate (its
/// `last_used_at` has that resolution anyway), for after the response.
pub fn record_use(
    claim: &TokenClaim,
    token_hash: &str,
    now: Millis,
) -> ApiResult<Option<Statement>> {
    let due = LAST_RECORDED.with(|recorded| {
        let mut recorded = recorded.borrow_mut();
        let due = recorded
            .get(token_hash)
            .is_none_or(|last| now.0.saturating_sub(last) >= LAST_USED_RESOLUTION_MS);
        if due {
            recorded.put(token_hash, now.0);
        }
        due
    });
    if !due {
        return Ok(None);
    }
    let cutoff = Millis(now.0.saturating_sub(LAST_USED_RESOLUTION_MS));
    Ok(Some(statement!(
        "update api_tokens set last_used_at = ?2
          where id = ?1 and (last_used_at is null or last_used_at < ?3)",
        &claim.id,
        now.to_rfc3339(),
        cutoff.to_rfc3339()
    )?))
}
