//! The worker's configuration, read from vars and secrets into typed values. Read per request:
//! it costs a few property reads and keeps one source of truth (the environment).

use worker::Env;

use crate::domain::audio::DEFAULT_QUOTA_BYTES;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::origin::AllowedOrigins;
use crate::domain::session::{DEFAULT_RECENT_SIGN_IN_MINUTES, SessionPolicy, parse_minutes};

/// A var or secret, or `None` when unset or blank.
pub fn value(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.to_string())
        .or_else(|_| env.secret(name).map(|s| s.to_string()))
        .ok()
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

pub fn allowed_origins(env: &Env) -> AllowedOrigins {
    AllowedOrigins::parse(&value(env, "ALLOWED_ORIGINS").unwrap_or_default())
}

pub fn admin_emails(env: &Env) -> String {
    value(env, "ADMIN_EMAILS").unwrap_or_default()
}

/// The dev sign-in (and `X-Dev-Now`, `X-Dev-Fault`): `DEV_AUTH` on, honoured only where
/// `ENVIRONMENT` is `development`, so a preview deploy with the var left on gives nobody an
/// address they do not own.
pub fn dev_auth_enabled(env: &Env) -> bool {
    dev_auth_requested(env) && is_development(env)
}

fn dev_auth_requested(env: &Env) -> bool {
    value(env, "DEV_AUTH").is_some_and(|v| v.eq_ignore_ascii_case("on"))
}

fn is_development(env: &Env) -> bool {
    value(env, "ENVIRONMENT").is_some_and(|v| v.eq_ignore_ascii_case("development"))
}

/// What an operator should fix in the configuration, for `/api/health`.
pub fn problems(env: &Env) -> Vec<&'static str> {
    let mut problems = Vec::new();
    if dev_auth_requested(env) && !is_development(env) {
        problems.push("DEV_AUTH is on but ENVIRONMENT is not development: the dev sign-in is off");
    }
    problems
}

pub fn session_policy(env: &Env) -> ApiResult<SessionPolicy> {
    SessionPolicy::from_vars(
        value(env, "SESSION_INACTIVITY_TIMEOUT_MINUTES").as_deref(),
        value(env, "SESSION_LIFETIME_MINUTES").as_deref(),
    )
    .map_err(|problem| ApiError::internal(format!("configuration: {problem}")))
}

/// How recent a sign-in erasing the account needs (`RECENT_SIGN_IN_MINUTES`, default 10).
pub fn recent_sign_in_ms(env: &Env) -> ApiResult<u64> {
    parse_minutes(
        value(env, "RECENT_SIGN_IN_MINUTES").as_deref(),
        DEFAULT_RECENT_SIGN_IN_MINUTES,
        "RECENT_SIGN_IN_MINUTES",
    )
    .map_err(|problem| ApiError::internal(format!("configuration: {problem}")))
}

/// Items of one kind (goals, habits, quests, workouts, books, focus sessions) one user may store,
/// deleted ones included (`ITEM_QUOTA_PER_KIND`, default 5000).
pub fn item_quota_per_kind(env: &Env) -> ApiResult<u32> {
    count_var(env, "ITEM_QUOTA_PER_KIND", 5_000)
}

/// How long the change log keeps an entry, in ms (`CHANGE_LOG_RETENTION_DAYS`, default 30; a
/// client whose cursor is older starts again from a null cursor).
pub fn change_log_retention_ms(env: &Env) -> ApiResult<u64> {
    Ok(u64::from(count_var(env, "CHANGE_LOG_RETENTION_DAYS", 30)?) * 24 * 60 * 60 * 1000)
}

/// Live API tokens one user may hold (`TOKEN_QUOTA`, default 50).
pub fn token_quota(env: &Env) -> ApiResult<u32> {
    count_var(env, "TOKEN_QUOTA", 50)
}

fn count_var(env: &Env, name: &str, default: u32) -> ApiResult<u32> {
    match value(env, name) {
        None => Ok(default),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|count| *count > 0)
            .ok_or_else(|| ApiError::internal(format!("configuration: {name} must be a count"))),
    }
}

/// Bytes one user's own audio tracks may hold (`AUDIO_QUOTA_BYTES`, default 500 MiB).
pub fn audio_quota_bytes(env: &Env) -> ApiResult<u64> {
    match value(env, "AUDIO_QUOTA_BYTES") {
        None => Ok(DEFAULT_QUOTA_BYTES),
        Some(text) => text.parse::<u64>().map_err(|_| {
            ApiError::internal("configuration: AUDIO_QUOTA_BYTES must be a byte count")
        }),
    }
}
