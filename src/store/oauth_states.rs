//! Pending OAuth sign-ins in KV, ten minutes each, taken (read and deleted) by the callback.

use super::db::Db;
use crate::statement;
use serde::{Deserialize, Serialize};
use worker::KvStore;

use crate::auth::oauth::ProviderId;
use crate::domain::error::ApiResult;
use crate::domain::time::Millis;

/// How long a sign-in may take between redirect and callback.
pub const PENDING_SIGN_IN_SECONDS: u64 = 600;

#[derive(Debug, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub provider: ProviderId,
    pub pkce_verifier: String,
    pub nonce: String,
    pub redirect_to: String,
    /// SHA-256 of the pre-auth cookie of the browser that started the flow.
    pub browser_hash: String,
    pub created_ms: u64,
}

fn key(state_hash: &str) -> String {
    format!("oauth:{state_hash}")
}

pub async fn put(kv: &KvStore, state_hash: &str, pending: &PendingSignIn) -> ApiResult<()> {
    kv.put(&key(state_hash), pending)?
        .expiration_ttl(PENDING_SIGN_IN_SECONDS)
        .execute()
        .await?;
    Ok(())
}

/// The pending sign-in of a state, spent as it is read: `None` for an unknown or expired state,
/// and for one already spent, which D1 decides (a KV delete is not seen everywhere at once).
pub async fn take(
    kv: &KvStore,
    db: &Db,
    state_hash: &str,
    now: Millis,
) -> ApiResult<Option<PendingSignIn>> {
    let key = key(state_hash);
    let Some(pending) = kv.get(&key).json::<PendingSignIn>().await? else {
        return Ok(None);
    };
    kv.delete(&key).await?;
    let spent_before =
        Millis(now.0.saturating_sub(2 * PENDING_SIGN_IN_SECONDS * 1000)).to_rfc3339();
    let results = db
        .batch(vec![
            statement!(
                "delete from oauth_state_uses where used_at < ?1",
                &spent_before
            )?,
            statement!(
                "insert into oauth_state_uses (state_hash, used_at) values (?1, ?2) on conflict do nothing",
                state_hash,
                now.to_rfc3339()
            )?,
        ])
        .await?;
    let first_use = results.get(1).is_some_and(|result| result.changes() == 1);
    Ok(first_use.then_some(pending))
}
