//! Browser sessions: how long they live and when their record is renewed.
//!
//! A session ends after `inactivity` without a request, and in any case `lifetime` after it
//! began. Activity renews it, but the record is rewritten at most once per renewal interval
//! (a minute, or a quarter of a very short test timeout) so steady traffic costs no KV writes.

use serde::{Deserialize, Serialize};

use super::time::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub inactivity_ms: u64,
    pub lifetime_ms: u64,
}

pub const DEFAULT_INACTIVITY_MINUTES: f64 = 30.0;
pub const DEFAULT_LIFETIME_MINUTES: f64 = 7.0 * 24.0 * 60.0;
/// KV refuses a TTL under a minute.
pub const KV_MIN_TTL_SECONDS: u64 = 60;

impl SessionPolicy {
    /// From the vars `SESSION_INACTIVITY_TIMEOUT_MINUTES` and `SESSION_LIFETIME_MINUTES`; both take
    /// fractions (`0.05` is three seconds), so tests can expire sessions quickly.
    pub fn from_vars(inactivity: Option<&str>, lifetime: Option<&str>) -> Result<Self, String> {
        let minutes = parse_minutes;
        Ok(SessionPolicy {
            inactivity_ms: minutes(
                inactivity,
                DEFAULT_INACTIVITY_MINUTES,
                "SESSION_INACTIVITY_TIMEOUT_MINUTES",
            )?,
            lifetime_ms: minutes(
                lifetime,
                DEFAULT_LIFETIME_MINUTES,
                "SESSION_LIFETIME_MINUTES",
            )?,
        })
    }

    pub fn renewal_interval_ms(&self) -> u64 {
        (self.inactivity_ms / 4).min(60_000)
    }
}

/// How recent a session's sign-in must be for erasing the account, unless
/// `RECENT_SIGN_IN_MINUTES` says otherwise.
pub const DEFAULT_RECENT_SIGN_IN_MINUTES: f64 = 10.0;

/// A var of minutes (fractions allowed, more than 0, at most a year) in milliseconds.
pub fn parse_minutes(text: Option<&str>, default: f64, name: &str) -> Result<u64, String> {
    let value = match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => default,
        Some(text) => text
            .parse::<f64>()
            .map_err(|_| format!("{name} must be a number of minutes"))?,
    };
    if !(value.is_finite() && value > 0.0 && value <= 525_600.0) {
        return Err(format!("{name} must be more than 0 and at most a year"));
    }
    Ok((value * 60_000.0).round() as u64)
}

/// What KV keeps under the hash of a session token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub session_id: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_ms: u64,
    pub last_seen_ms: u64,
}

impl SessionRecord {
    /// When the session ends if no request comes first.
    pub fn expires_at(&self, policy: &SessionPolicy) -> Millis {
        let idle_end = self.last_seen_ms.saturating_add(policy.inactivity_ms);
        let absolute_end = self.created_ms.saturating_add(policy.lifetime_ms);
        Millis(idle_end.min(absolute_end))
    }

    pub fn is_live(&self, policy: &SessionPolicy, now: Millis) -> bool {
        now < self.expires_at(policy)
    }

    pub fn needs_renewal(&self, policy: &SessionPolicy, now: Millis) -> bool {
        now.0.saturating_sub(self.last_seen_ms) >= policy.renewal_interval_ms()
    }

    /// The KV TTL for this record written at `now`: until it expires, but never under KV's
    /// minimum. Expiry itself is checked in code, so a longer TTL only delays cleanup.
    pub fn kv_ttl_seconds(&self, policy: &SessionPolicy, now: Millis) -> u64 {
        let remaining_ms = self.expires_at(policy).0.saturating_sub(now.0);
        remaining_ms.div_ceil(1000).max(KV_MIN_TTL_SECONDS)
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn policy() -> SessionPolicy {
        SessionPolicy::from_vars(None, None).expect("defaults")
    }

    fn record(created_ms: u64, last_seen_ms: u64) -> SessionRecord {
        SessionRecord {
            session_id: "s".into(),
            user_id: "u".into(),
            csrf_token: "c".into(),
            created_ms,
            last_seen_ms,
        }
    }

    #[test]
    fn the_defaults_are_thirty_minutes_and_seven_days() {
        assert_eq!(policy().inactivity_ms, 30 * 60_000);
        assert_eq!(policy().lifetime_ms, 7 * 24 * 3_600_000);
    }

    #[test]
    fn fractional_minutes_allow_second_scale_timeouts() {
        let quick = SessionPolicy::from_vars(Some("0.05"), Some("0.5")).expect("valid");
        assert_eq!(quick.inactivity_ms, 3_000);
        assert_eq!(quick.lifetime_ms, 30_000);
        assert_eq!(quick.renewal_interval_ms(), 750);
    }

    #[test]
    fn nonsense_timeouts_are_configuration_errors() {
        for bad in ["0", "-1", "abc", "NaN", "inf", "9999999"] {
            assert!(SessionPolicy::from_vars(Some(bad), None).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_session_ends_after_inactivity() {
        let session = record(0, 1_000);
        let idle_end = 1_000 + 30 * 60_000;
        assert!(session.is_live(&policy(), Millis(idle_end - 1)));
        assert!(!session.is_live(&policy(), Millis(idle_end)));
    }

    #[test]
    fn activity_never_extends_a_session_past_its_lifetime() {
        let lifetime = policy().lifetime_ms;
        let session = record(0, lifetime - 1_000);
        assert_eq!(session.expires_at(&policy()), Millis(lifetime));
        assert!(!session.is_live(&policy(), Millis(lifetime)));
    }

    #[test]
    fn the_record_is_renewed_at_most_once_a_minute() {
        let session = record(0, 100_000);
        assert!(!session.needs_renewal(&policy(), Millis(159_999)));
        assert!(session.needs_renewal(&policy(), Millis(160_000)));
    }

    #[test]
    fn the_kv_ttl_covers_the_session_but_respects_the_kv_minimum() {
        let session = record(0, 0);
        assert_eq!(session.kv_ttl_seconds(&policy(), Millis(0)), 30 * 60);
        let quick = SessionPolicy::from_vars(Some("0.05"), None).expect("valid");
        assert_eq!(session.kv_ttl_seconds(&quick, Millis(0)), 60);
    }
}
