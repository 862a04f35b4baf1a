//! The level curve of API.md: level 1 at 0 XP; going from level L to L+1 costs
//! `100 + 50 × (L − 1)` XP. Skills level on the same curve.

use serde::Serialize;

/// XP needed to go from `level` to the next.
pub fn cost_of_next_level(level: u32) -> u64 {
    100 + 50 * u64::from(level.saturating_sub(1))
}

/// Total XP at which `level` begins: `100(L−1) + 25(L−1)(L−2)`.
pub fn threshold(level: u32) -> u64 {
    let steps = u64::from(level.max(1) - 1);
    100 * steps + 25 * steps * steps.saturating_sub(1)
}

/// Where `xp` stands on the curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LevelStanding {
    pub level: u32,
    /// XP earned since the current level began.
    pub xp_into_level: u64,
    /// XP still needed for the next level.
    pub xp_to_next_level: u64,
}

pub fn standing(xp: u64) -> LevelStanding {
    // The threshold grows quadratically, so the level is about sqrt(xp / 25); start from an
    // estimate below it and step up, which takes a step or two.
    let estimate = ((xp as f64) / 25.0).sqrt() as u32;
    let mut level = estimate.saturating_sub(2).max(1);
    while threshold(level + 1) <= xp {
        level += 1;
    }
    while level > 1 && threshold(level) > xp {
        level -= 1;
    }
    let xp_into_level = xp - threshold(level);
    LevelStanding {
        level,
        xp_into_level,
        xp_to_next_level: cost_of_next_level(level) - xp_into_level,
    }
}

pub fn level_of(xp: u64) -> u32 {
    standing(xp).level
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn the_curve_matches_the_contract() {
        assert_eq!(level_of(0), 1);
        assert_eq!(level_of(99), 1);
        assert_eq!(level_of(100), 2);
        assert_eq!(threshold(3), 100 + 150);
        assert_eq!(level_of(249), 2);
        assert_eq!(level_of(250), 3);
        assert_eq!(threshold(5), 100 + 150 + 200 + 250);
        assert_eq!(level_of(700), 5);
        assert_eq!(threshold(10), 2_700);
        assert_eq!(level_of(2_699), 9);
    }

    #[test]
    fn standing_splits_xp_around_the_level() {
        assert_eq!(
            standing(260),
            LevelStanding {
                level: 3,
                xp_into_level: 10,
                xp_to_next_level: 190
            }
        );
        assert_eq!(
            standing(0),
            LevelStanding {
                level: 1,
                xp_into_level: 0,
                xp_to_next_level: 100
            }
        );
    }

    #[test]
    fn the_curve_holds_far_beyond_any_reachable_balance() {
        // 100(L−1) + 25(L−1)(L−2), checked first: a wrong curve fails here instead of looping.
        assert_eq!(threshold(60_000_000), 90_000_001_499_999_950);
        for xp in [
            1_000_000_000_000,
            1_000_000_000_000_000,
            100_000_000_000_000_000,
        ] {
            let s = standing(xp);
            assert_eq!(threshold(s.level) + s.xp_into_level, xp, "{xp}");
            assert!(s.xp_into_level < cost_of_next_level(s.level), "{xp}");
        }
        assert_eq!(level_of(threshold(60_000_000)), 60_000_000);
        assert_eq!(level_of(threshold(60_000_000) - 1), 59_999_999);
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn levels_are_monotonic_in_xp(a in 0u64..50_000_000, b in 0u64..50_000_000) {
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            proptest::prop_assert!(level_of(low) <= level_of(high));
        }

        #[test]
        fn standing_is_consistent_with_the_curve(xp in 0u64..50_000_000) {
            let s = standing(xp);
            proptest::prop_assert_eq!(threshold(s.level) + s.xp_into_level, xp);
            proptest::prop_assert_eq!(s.xp_into_level + s.xp_to_next_level, cost_of_next_level(s.level));
            proptest::prop_assert!(s.xp_to_next_level > 0);
            proptest::prop_assert_eq!(level_of(xp + s.xp_to_next_level), s.level + 1);
        }
    }
}
