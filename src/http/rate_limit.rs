//! Request budgets through the Workers rate-limiting binding: per client IP on the sign-in routes
//! and on failed authentications, per user everywhere else. The binding's `[[ratelimits]]` entries in wrangler.toml enforce the
//! numbers; the `RATE_LIMIT_*_PER_MINUTE` vars state the same numbers for `X-RateLimit-Limit`
//! (tests/config.rs checks that the two agree).

use std::cell::RefCell;

use worker::Env;

use crate::config;
use crate::domain::blocklist::Blocklist;
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

/// Failed authentications (a bad cookie, an unknown, revoked or expired token) per client IP: a
/// guesser gets a few tries a minute, and once refused, the isolate answers that address `429`
/// without looking any credential up until the minute is over (`FAILED_AUTHENTICATIONS`).
pub const AUTH_FAILURES_PER_IP: Budget = Budget {
    binding: "RATE_LIMIT_AUTH_FAILURES",
    limit_var: "RATE_LIMIT_AUTH_FAILURES_PER_MINUTE",
    period_seconds: 60,
};

pub const PER_USER: Budget = Budget {
    binding: "RATE_LIMIT_USER",
    limit_var: "RATE_LIMIT_USER_PER_MINUTE",
    period_seconds: 60,
};

/// The client's address: Cloudflare sets CF-Connecting-IP on every request at the edge; clients
/// cannot forge it.
pub fn client_ip(request: &worker::Request) -> String {
    request
        .headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .unwrap_or_default()
}

thread_local! {
    /// The addresses this isolate refuses credentials from, after their failed authentications
    /// ran out of budget.
    pub static FAILED_AUTHENTICATIONS: RefCell<Blocklist> = const { RefCell::new(Blocklist::new()) };
}

/// Counts a failed authentication from `ip`: `refusal` (the `401`) while the budget lasts, then
/// `429`, and the address is refused in this isolate for the rest of the period.
pub async fn failed_authentication(
    env: &Env,
    ip: &str,
    now_ms: u64,
    refusal: ApiError,
) -> ApiError {
    match spend(env, &AUTH_FAILURES_PER_IP, format!("ip:{ip}")).await {
        Ok(()) => refusal,
        Err(limited) => {
            let until =
                now_ms.saturating_add(u64::from(AUTH_FAILURES_PER_IP.period_seconds) * 1000);
            FAILED_AUTHENTICATIONS.with(|failed| failed.borrow_mut().block(ip, now_ms, until));
            limited
        }
    }
}

/// Spends one request of `key`'s budget, or refuses with `429`.
pub async fn spend(env: &Env, budget: &Budget, key: String) -> ApiResult<()> {
    let outcome = env.rate_limiter(budget.binding)?.limit(key).await?;
    if outcome.success {
        return Ok(());
    }
    Err(refusal(env, budget))
}

/// The `429` of a spent `budget`.
pub fn refusal(env: &Env, budget: &Budget) -> ApiError {
    let limit = config::value(env, budget.limit_var)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    ApiError::rate_limited(limit, budget.period_seconds)
}
