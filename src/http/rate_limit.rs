//! Request budgets through the Workers rate-limiting binding: per client IP on the sign-in routes,
//! per user everywhere else. The binding's `[[ratelimits]]` entries in wrangler.toml enforce the
//! numbers; the `RATE_LIMIT_*_PER_MINUTE` vars state the same numbers for `X-RateLimit-Limit`
//! (tests/config.rs checks that the two agree).

use worker::Env;

use crate::config;
use crate::domain::error::{ApiError, ApiResult};

pub struct Budget {
    binding: &'static str,
    limit_var: &'static str,
    /// Every `[[ratelimits]]` period here is a minute.
    period_seconds: u32,
}

pub const AUTH_PER_IP: Budget = Budget {
    binding: "RATE_LIMIT_AUTH",
    limit_var: "RATE_LIMIT_AUTH_PER_MINUTE",
    period_seconds: 60,
};

pub const PER_USER: Budget = Budget {
    binding: "RATE_LIMIT_USER",
    limit_var: "RATE_LIMIT_USER_PER_MINUTE",
    period_seconds: 60,
};

/// Spends one request of `key`'s budget, or refuses with `429`.
pub async fn spend(env: &Env, budget: &Budget, key: String) -> ApiResult<()> {
    let outcome = env.rate_limiter(budget.binding)?.limit(key).await?;
    if outcome.success {
        return Ok(());
    }
    let limit = config::value(env, budget.limit_var)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Err(ApiError::rate_limited(limit, budget.period_seconds))
}
