//! Pending OAuth sign-ins in KV, ten minutes each, taken (read and deleted) by the callback.

use serde::{Deserialize, Serialize};
use worker::KvStore;

use crate::auth::oauth::ProviderId;
use crate::domain::error::ApiResult;

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

/// The pending sign-in of a state, deleted as it is read so it can be used once.
pub async fn take(kv: &KvStore, state_hash: &str) -> ApiResult<Option<PendingSignIn>> {
    let key = key(state_hash);
    let pending = kv.get(&key).json::<PendingSignIn>().await?;
    if pending.is_some() {
        kv.delete(&key).await?;
    }
    Ok(pending)
}
