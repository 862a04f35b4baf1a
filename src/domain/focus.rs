//! Focus sessions as a state machine on server time: start → (pause ⇄ resume)* → end or abandon.
//! Focused time is wall time since the start minus paused time, capped at the planned time plus
//! 10 %, so ending a session at once earns nothing and overrunning earns no more than the plan.
//! A session left active past twice its planned time ends by itself at that instant.

use serde::{Deserialize, Serialize};

use super::content::present;
use super::error::{ApiError, ApiResult};
use super::id::ItemId;
use super::json_body::Bounded;
use super::time::Millis;

/// `POST /api/focus/start`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartFocus {
    pub planned_minutes: Bounded<1, 240>,
    #[serde(default, deserialize_with = "present")]
    pub mode: Option<FocusMode>,
    #[serde(default, deserialize_with = "present")]
    pub habit_id: Option<ItemId>,
    #[serde(default, deserialize_with = "present")]
    pub goal_id: Option<ItemId>,
    #[serde(default, deserialize_with = "present")]
    pub audio_id: Option<ItemId>,
}

/// `POST /api/focus/end`, body optional: `{"abandon": true}` ends without an award.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndFocus {
    #[serde(default)]
    pub abandon: bool,
}

/// `GET /api/focus/stats?days=1–365` (default 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsQuery {
    pub days: u32,
}

impl StatsQuery {
    pub fn parse(days: Option<&str>) -> ApiResult<StatsQuery> {
        let Some(text) = days else {
            return Ok(StatsQuery { days: 7 });
        };
        text.parse::<u32>()
            .ok()
            .filter(|days| (1..=365).contains(days))
            .map(|days| StatsQuery { days })
            .ok_or_else(|| ApiError::invalid_field("days", "must be an integer from 1 to 365"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FocusMode {
    Focus,
    Break,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FocusStatus {
    Running,
    Paused,
    Completed,
    Abandoned,
}

impl FocusStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FocusStatus::Running => "running",
            FocusStatus::Paused => "paused",
            FocusStatus::Completed => "completed",
            FocusStatus::Abandoned => "abandoned",
        }
    }

    pub fn is_active(self) -> bool {
        matches!(self, FocusStatus::Running | FocusStatus::Paused)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FocusAction {
    Pause,
    Resume,
    End { abandon: bool },
}

/// Why an action does not apply: the session is not in a state that takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongState(pub &'static str);

/// The timing of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FocusClock {
    pub status: FocusStatus,
    pub planned_minutes: u32,
    pub started_at: Millis,
    /// When the current pause began (only while paused).
    pub paused_at: Option<Millis>,
    /// Paused time before the current pause.
    pub paused_ms: u64,
    pub ended_at: Option<Millis>,
}

const MINUTE_MS: u64 = 60_000;

impl FocusClock {
    pub fn start(planned_minutes: u32, now: Millis) -> FocusClock {
        FocusClock {
            status: FocusStatus::Running,
            planned_minutes,
            started_at: now,
            paused_at: None,
            paused_ms: 0,
            ended_at: None,
        }
    }

    /// The most focused time a session can count: planned + 10 %.
    pub fn cap_ms(&self) -> u64 {
        u64::from(self.planned_minutes) * MINUTE_MS * 11 / 10
    }

    /// When an active session ends by itself: twice its planned time after the start.
    pub fn auto_end_at(&self) -> Millis {
        Millis(self.started_at.0 + u64::from(self.planned_minutes) * 2 * MINUTE_MS)
    }

    /// Paused time up to `at`, the current pause included.
    fn paused_until(&self, at: Millis) -> u64 {
        self.paused_ms
            + self
                .paused_at
                .map_or(0, |since| at.0.saturating_sub(since.0))
    }

    /// Focused time up to `at` (or the end), capped.
    pub fn focused_ms(&self, at: Millis) -> u64 {
        let until = self.ended_at.unwrap_or(at);
        until
            .0
            .saturating_sub(self.started_at.0)
            .saturating_sub(self.paused_until(until))
            .min(self.cap_ms())
    }

    pub fn focused_minutes(&self, at: Millis) -> u32 {
        u32::try_from(self.focused_ms(at) / MINUTE_MS).unwrap_or(u32::MAX)
    }

    /// The session after `action` at `now`.
    pub fn apply(&self, action: FocusAction, now: Millis) -> Result<FocusClock, WrongState> {
        let mut next = *self;
        match (self.status, action) {
            (FocusStatus::Running, FocusAction::Pause) => {
                next.status = FocusStatus::Paused;
                next.paused_at = Some(now);
            }
            (FocusStatus::Paused, FocusAction::Resume) => {
                next.status = FocusStatus::Running;
                next.paused_ms = self.paused_until(now);
                next.paused_at = None;
            }
            (FocusStatus::Running | FocusStatus::Paused, FocusAction::End { abandon }) => {
                next.paused_ms = self.paused_until(now);
                next.paused_at = None;
                next.ended_at = Some(now);
                next.status = if abandon {
                    FocusStatus::Abandoned
                } else {
                    FocusStatus::Completed
                };
            }
            (FocusStatus::Paused, FocusAction::Pause) => {
                return Err(WrongState("the session is already paused"));
            }
            (FocusStatus::Running, FocusAction::Resume) => {
                return Err(WrongState("the session is not paused"));
            }
            (FocusStatus::Completed | FocusStatus::Abandoned, _) => {
                return Err(WrongState("the session has ended"));
            }
        }
        Ok(next)
    }

    /// The session ended by itself, if it was left active past `auto_end_at`.
    pub fn expired(&self, now: Millis) -> Option<FocusClock> {
        let at = self.auto_end_at();
        if !self.status.is_active() || now < at {
            return None;
        }
        self.apply(FocusAction::End { abandon: false }, at).ok()
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    const T0: Millis = Millis(1_800_000_000_000);

    fn at(minutes: u64) -> Millis {
        Millis(T0.0 + minutes * MINUTE_MS)
    }

    #[test]
    fn a_start_is_validated() {
        use crate::domain::json_body::parse_json_body;
        let start: StartFocus = parse_json_body(br#"{"planned_minutes":25}"#).expect("valid");
        assert_eq!((start.planned_minutes.0, start.mode), (25, None));
        for body in [
            r#"{"planned_minutes":0}"#,
            r#"{"planned_minutes":241}"#,
            r#"{"planned_minutes":25,"mode":"nap"}"#,
            r#"{"planned_minutes":25,"habit_id":"h1"}"#,
            r#"{"planned_minutes":25,"goal_id":null}"#,
            r#"{"planned_minutes":25,"started_at":"2026-01-01T00:00:00Z"}"#,
        ] {
            assert!(
                parse_json_body::<StartFocus>(body.as_bytes()).is_err(),
                "{body}"
            );
        }
        assert_eq!(StatsQuery::parse(None).ok(), Some(StatsQuery { days: 7 }));
        assert_eq!(
            StatsQuery::parse(Some("365")).ok(),
            Some(StatsQuery { days: 365 })
        );
        for bad in ["0", "366", "-1", "7.5", "week"] {
            assert!(StatsQuery::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_transition_is_defined() {
        use FocusAction::*;
        use FocusStatus::*;
        let actions = [Pause, Resume, End { abandon: false }, End { abandon: true }];
        for status in [Running, Paused, Completed, Abandoned] {
            let clock = FocusClock {
                status,
                paused_at: (status == Paused).then_some(T0),
                ended_at: (!status.is_active()).then_some(at(1)),
                ..FocusClock::start(25, T0)
            };
            for action in actions {
                let expected = match (status, action) {
                    (Running, Pause) => Some(Paused),
                    (Paused, Resume) => Some(Running),
                    (Running | Paused, End { abandon: false }) => Some(Completed),
                    (Running | Paused, End { abandon: true }) => Some(Abandoned),
                    _ => None,
                };
                assert_eq!(
                    clock.apply(action, at(2)).ok().map(|c| c.status),
                    expected,
                    "{status:?} {action:?}"
                );
            }
        }
    }

    #[test]
    fn paused_time_does_not_count() {
        let clock = FocusClock::start(60, T0);
        let paused = clock.apply(FocusAction::Pause, at(10)).expect("pause");
        assert_eq!(
            paused.focused_minutes(at(40)),
            10,
            "a pause stops the count"
        );
        let resumed = paused.apply(FocusAction::Resume, at(30)).expect("resume");
        assert_eq!(resumed.focused_minutes(at(35)), 15);
        let again = resumed.apply(FocusAction::Pause, at(40)).expect("pause");
        let ended = again
            .apply(FocusAction::End { abandon: false }, at(50))
            .expect("end while paused");
        assert_eq!(ended.focused_minutes(at(500)), 20, "the end is final");
        assert_eq!(ended.paused_ms, 30 * MINUTE_MS);
    }

    #[test]
    fn focused_time_is_capped_at_the_plan_plus_ten_percent() {
        let clock = FocusClock::start(30, T0);
        let ended = clock
            .apply(FocusAction::End { abandon: false }, at(50))
            .expect("end");
        assert_eq!(ended.focused_minutes(at(50)), 33);
        let at_once = clock
            .apply(FocusAction::End { abandon: false }, Millis(T0.0 + 1_000))
            .expect("end");
        assert_eq!(at_once.focused_minutes(at(0)), 0);
    }

    #[test]
    fn a_forgotten_session_ends_at_twice_its_plan() {
        let clock = FocusClock::start(25, T0);
        assert_eq!(clock.expired(at(49)), None);
        let ended = clock.expired(at(300)).expect("expired");
        assert_eq!(ended.status, FocusStatus::Completed);
        assert_eq!(ended.ended_at, Some(at(50)));
        assert_eq!(ended.focused_minutes(at(300)), 27, "capped: 25 + 10 %");
        let paused = clock.apply(FocusAction::Pause, at(5)).expect("pause");
        let ended = paused.expired(at(300)).expect("expired while paused");
        assert_eq!(ended.focused_minutes(at(300)), 5);
        assert_eq!(ended.expired(at(400)), None, "once");
    }

    #[test]
    fn a_session_expires_at_the_very_instant_of_twice_its_plan() {
        let clock = FocusClock::start(25, T0);
        assert_eq!(clock.expired(Millis(at(50).0 - 1)), None);
        let ended = clock.expired(at(50)).expect("expired at the instant");
        assert_eq!(ended.ended_at, Some(at(50)));
    }

    #[test]
    fn only_running_and_paused_sessions_are_active() {
        use FocusStatus::*;
        for (status, name, active) in [
            (Running, "running", true),
            (Paused, "paused", true),
            (Completed, "completed", false),
            (Abandoned, "abandoned", false),
        ] {
            assert_eq!(status.as_str(), name);
            assert_eq!(status.is_active(), active, "{name}");
        }
    }
}
