//! What each action earns (API.md, Gamification). The numbers are part of the contract.

use serde::{Deserialize, Serialize};

/// XP and coins of one action, before achievements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    pub xp: i64,
    pub coins: i64,
}

/// A habit completion: 10 XP + 2 coins, plus 1 XP per full 7 days of the current streak (≤ +10).
pub fn habit_completed(current_streak_days: u32) -> Reward {
    let streak_bonus = i64::from((current_streak_days / 7).min(10));
    Reward {
        xp: 10 + streak_bonus,
        coins: 2,
    }
}

pub const GOAL_COMPLETED: Reward = Reward { xp: 50, coins: 10 };
pub const BOOK_FINISHED: Reward = Reward { xp: 100, coins: 20 };

/// Focus sessions under this many focused minutes earn nothing.
pub const FOCUS_MINIMUM_MINUTES: u32 = 5;

/// A finished focus session: 1 XP per focused minute + 1 coin per 10 minutes; nothing under 5.
pub fn focus_completed(focused_minutes: u32) -> Option<Reward> {
    (focused_minutes >= FOCUS_MINIMUM_MINUTES).then(|| Reward {
        xp: i64::from(focused_minutes),
        coins: i64::from(focused_minutes / 10),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Intensity {
    Low,
    Moderate,
    High,
}

impl Intensity {
    pub fn as_str(self) -> &'static str {
        match self {
            Intensity::Low => "low",
            Intensity::Moderate => "moderate",
            Intensity::High => "high",
        }
    }

    /// The multiplier in halves (1, 1.5, 2), so the arithmetic stays in integers.
    fn halves(self) -> u32 {
        match self {
            Intensity::Low => 2,
            Intensity::Moderate => 3,
            Intensity::High => 4,
        }
    }
}

pub const WORKOUT_MAX_XP: i64 = 100;

/// A workout: 5 XP per 10 minutes × intensity, rounded down, at most 100; 1 coin per 15 minutes.
pub fn workout_logged(duration_minutes: u32, intensity: Intensity) -> Reward {
    // 5/10 × halves/2 = halves/4 XP per minute.
    let xp = i64::from(duration_minutes) * i64::from(intensity.halves()) / 4;
    Reward {
        xp: xp.min(WORKOUT_MAX_XP),
        coins: i64::from(duration_minutes / 15),
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_habit_earns_a_streak_bonus_per_full_week_up_to_ten() {
        assert_eq!(habit_completed(0), Reward { xp: 10, coins: 2 });
        assert_eq!(habit_completed(6).xp, 10);
        assert_eq!(habit_completed(7).xp, 11);
        assert_eq!(habit_completed(29).xp, 14);
        assert_eq!(habit_completed(70).xp, 20);
        assert_eq!(habit_completed(700).xp, 20);
    }

    #[test]
    fn focus_pays_per_focused_minute_from_five_minutes() {
        assert_eq!(focus_completed(4), None);
        assert_eq!(focus_completed(5), Some(Reward { xp: 5, coins: 0 }));
        assert_eq!(focus_completed(25), Some(Reward { xp: 25, coins: 2 }));
    }

    #[test]
    fn workouts_scale_with_intensity_round_down_and_cap() {
        assert_eq!(
            workout_logged(30, Intensity::Low),
            Reward { xp: 15, coins: 2 }
        );
        assert_eq!(
            workout_logged(25, Intensity::Moderate),
            Reward { xp: 18, coins: 1 }
        );
        assert_eq!(
            workout_logged(45, Intensity::High),
            Reward { xp: 45, coins: 3 }
        );
        assert_eq!(workout_logged(1440, Intensity::High).xp, WORKOUT_MAX_XP);
        assert_eq!(
            workout_logged(1, Intensity::Low),
            Reward { xp: 0, coins: 0 }
        );
    }

    #[test]
    fn intensities_are_named_as_the_api_spells_them() {
        for (intensity, name) in [
            (Intensity::Low, "low"),
            (Intensity::Moderate, "moderate"),
            (Intensity::High, "high"),
        ] {
            assert_eq!(intensity.as_str(), name);
            assert_eq!(
                serde_json::to_value(intensity).ok(),
                Some(serde_json::Value::from(name))
            );
        }
    }

    #[test]
    fn goals_and_books_pay_fixed_amounts() {
        assert_eq!(GOAL_COMPLETED, Reward { xp: 50, coins: 10 });
        assert_eq!(BOOK_FINISHED, Reward { xp: 100, coins: 20 });
    }
}
