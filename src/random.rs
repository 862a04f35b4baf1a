//! Random bytes from the platform's CSPRNG (`crypto.getRandomValues`), for secrets, ids and keys.

use crate::domain::error::{ApiError, ApiResult};

pub fn random_bytes<const N: usize>() -> ApiResult<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}
