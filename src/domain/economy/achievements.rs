//! The achievements catalog, as data: each entry has a stable id, a badge tier, a rule over the
//! user's counters or level, and a reward paid once when it unlocks.

use serde::Serialize;

use super::Counters;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Bronze,
    Silver,
    Gold,
}

/// What must be true for an achievement to unlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    HabitCompletions(u64),
    BestStreak(u64),
    GoalsCompleted(u64),
    QuestsCompleted(u64),
    FocusMinutes(u64),
    BooksFinished(u64),
    WorkoutsLogged(u64),
    Level(u32),
}

impl Rule {
    pub fn holds(self, counters: &Counters, level: u32) -> bool {
        match self {
            Rule::HabitCompletions(n) => counters.habit_completions >= n,
            Rule::BestStreak(n) => counters.best_streak >= n,
            Rule::GoalsCompleted(n) => counters.goals_completed >= n,
            Rule::QuestsCompleted(n) => counters.quests_completed >= n,
            Rule::FocusMinutes(n) => counters.focus_minutes >= n,
            Rule::BooksFinished(n) => counters.books_finished >= n,
            Rule::WorkoutsLogged(n) => counters.workouts_logged >= n,
            Rule::Level(n) => level >= n,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Achievement {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub tier: Tier,
    pub rule: Rule,
    pub xp: i64,
    pub coins: i64,
}

const fn entry(
    id: &'static str,
    name: &'static str,
    description: &'static str,
    tier: Tier,
    rule: Rule,
) -> Achievement {
    let (xp, coins) = match tier {
        Tier::Bronze => (10, 5),
        Tier::Silver => (50, 20),
        Tier::Gold => (150, 50),
    };
    Achievement {
        id,
        name,
        description,
        tier,
        rule,
        xp,
        coins,
    }
}

/// Every achievement, in display order. Ids are stable: they key unlocks forever.
pub const CATALOG: &[Achievement] = &[
    entry(
        "first_habit",
        "First step",
        "Complete a habit for the first time.",
        Tier::Bronze,
        Rule::HabitCompletions(1),
    ),
    entry(
        "streak_7",
        "One week strong",
        "Keep a habit streak for 7 days.",
        Tier::Silver,
        Rule::BestStreak(7),
    ),
    entry(
        "streak_30",
        "Unbreakable",
        "Keep a habit streak for 30 days.",
        Tier::Gold,
        Rule::BestStreak(30),
    ),
    entry(
        "habits_100",
        "Creature of habit",
        "Complete habits 100 times.",
        Tier::Gold,
        Rule::HabitCompletions(100),
    ),
    entry(
        "first_goal",
        "Goal getter",
        "Complete a goal.",
        Tier::Bronze,
        Rule::GoalsCompleted(1),
    ),
    entry(
        "first_quest",
        "Adventurer",
        "Complete a quest.",
        Tier::Bronze,
        Rule::QuestsCompleted(1),
    ),
    entry(
        "focus_10h",
        "Deep worker",
        "Focus for 10 hours in all.",
        Tier::Silver,
        Rule::FocusMinutes(600),
    ),
    entry(
        "first_workout",
        "Warmed up",
        "Log a workout.",
        Tier::Bronze,
        Rule::WorkoutsLogged(1),
    ),
    entry(
        "books_5",
        "Bookworm",
        "Finish 5 books.",
        Tier::Silver,
        Rule::BooksFinished(5),
    ),
    entry(
        "level_5",
        "Rising",
        "Reach level 5.",
        Tier::Silver,
        Rule::Level(5),
    ),
    entry(
        "level_10",
        "Seasoned",
        "Reach level 10.",
        Tier::Gold,
        Rule::Level(10),
    ),
];

pub fn find(id: &str) -> Option<&'static Achievement> {
    CATALOG.iter().find(|achievement| achievement.id == id)
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn the_catalog_has_the_contracted_entries_with_unique_ids() {
        for id in [
            "first_habit",
            "streak_7",
            "streak_30",
            "habits_100",
            "first_goal",
            "first_quest",
            "focus_10h",
            "books_5",
            "level_5",
            "level_10",
        ] {
            assert!(find(id).is_some(), "{id}");
        }
        let mut ids: Vec<&str> = CATALOG.iter().map(|a| a.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATALOG.len());
    }

    #[test]
    fn rules_read_counters_and_level() {
        let counters = Counters {
            best_streak: 7,
            focus_minutes: 599,
            ..Counters::default()
        };
        assert!(Rule::BestStreak(7).holds(&counters, 1));
        assert!(!Rule::BestStreak(30).holds(&counters, 1));
        assert!(!Rule::FocusMinutes(600).holds(&counters, 1));
        assert!(Rule::Level(5).holds(&counters, 5));
        assert!(!Rule::Level(10).holds(&counters, 9));
    }

    #[test]
    fn tiers_set_the_reward() {
        assert_eq!(
            (find("first_habit").map(|a| (a.xp, a.coins))),
            Some((10, 5))
        );
        assert_eq!((find("level_10").map(|a| (a.xp, a.coins))), Some((150, 50)));
    }
}
