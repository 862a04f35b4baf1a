#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::collections::BTreeMap;

use super::*;

/// The Durable Object's semantics in memory: a key applies once, later uses get the first outcome.
#[derive(Default)]
struct Book {
    state: ProgressState,
    ledger: Vec<Movement>,
    applied: BTreeMap<String, AwardOutcome>,
}

impl Book {
    fn award(&mut self, request: &AwardRequest) -> Result<AwardOutcome, Refusal> {
        if let Some(outcome) = self.applied.get(&request.key) {
            return Ok(outcome.clone());
        }
        let effects = apply(&self.state, request)?;
        self.ledger.extend(effects.movements);
        self.state = effects.state;
        self.applied
            .insert(request.key.clone(), effects.outcome.clone());
        Ok(effects.outcome)
    }

    fn sum(&self, currency: Currency) -> i64 {
        self.ledger
            .iter()
            .filter(|m| m.currency == currency)
            .map(|m| m.amount)
            .sum()
    }
}

fn award(key: &str, xp: i64, coins: i64) -> AwardRequest {
    AwardRequest {
        key: key.into(),
        event_type: EventType::AdminClaim,
        reason: "test".into(),
        source_id: None,
        xp,
        coins,
        skill: None,
        counters: CounterChange::default(),
    }
}

fn habit(key: &str, streak: u64) -> AwardRequest {
    let reward = rules::habit_completed(u32::try_from(streak).unwrap_or(u32::MAX));
    AwardRequest {
        key: key.into(),
        event_type: EventType::HabitCompleted,
        reason: "habit".into(),
        source_id: Some("habit-1".into()),
        xp: reward.xp,
        coins: reward.coins,
        skill: Some(Skill::Health),
        counters: CounterChange {
            habit_completions: 1,
            streak,
            ..CounterChange::default()
        },
    }
}

#[test]
fn a_first_habit_pays_its_reward_and_unlocks_first_habit_in_one_outcome() {
    let effects = apply(&ProgressState::default(), &habit("h1", 1)).expect("applies");
    assert_eq!(effects.outcome.xp, 10);
    assert_eq!(effects.outcome.coins, 2);
    assert_eq!(
        effects.outcome.achievements,
        vec![UnlockedAchievement {
            id: "first_habit".into(),
            xp: 10,
            coins: 5
        }]
    );
    assert_eq!(effects.state.xp, 20, "totals include the achievement");
    assert_eq!(effects.state.coins, 7);
    assert_eq!(
        effects.state.skills[&Skill::Health],
        10,
        "achievement XP is not skill XP"
    );
    assert_eq!(effects.movements.len(), 4);
    assert_eq!(effects.movements.last().map(|m| m.balance_after), Some(7));
}

#[test]
fn an_achievement_unlocks_only_once() {
    let mut book = Book::default();
    book.award(&habit("h1", 1)).expect("first");
    let second = book.award(&habit("h2", 2)).expect("second");
    assert!(second.achievements.is_empty());
}

#[test]
fn achievement_xp_can_unlock_a_level_achievement_in_the_same_outcome() {
    let mut book = Book::default();
    // 690 XP is level 4; the first goal's 50 + its bronze 10 reach 750 (level 5), whose own
    // achievement then pays too.
    book.award(&award("seed", 690, 0)).expect("seed");
    let goal = AwardRequest {
        counters: CounterChange {
            goals_completed: 1,
            ..CounterChange::default()
        },
        ..award("goal", 50, 10)
    };
    let outcome = book.award(&goal).expect("goal");
    let ids: Vec<&str> = outcome.achievements.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["first_goal", "level_5"]);
    assert_eq!((outcome.level_before, outcome.level_after), (4, 5));
}

#[test]
fn a_spend_beyond_the_balance_is_refused_and_changes_nothing() {
    let mut book = Book::default();
    book.award(&award("a", 0, 5)).expect("earn");
    assert_eq!(
        book.award(&award("b", 0, -6)),
        Err(Refusal::InsufficientCoins)
    );
    assert_eq!(book.award(&award("c", -1, 0)), Err(Refusal::InsufficientXp));
    assert_eq!(book.state.coins, 5);
    assert!(book.award(&award("d", 0, -5)).is_ok());
    assert_eq!(book.state.coins, 0);
    assert_eq!(book.sum(Currency::Coins), 0);
}

#[test]
fn a_reversal_takes_back_the_award_but_never_below_zero() {
    let mut book = Book::default();
    let original = habit("h1", 1);
    book.award(&original).expect("award");
    book.award(&award("spend", 0, -6)).expect("spend");
    assert_eq!(book.state.coins, 1);
    let (_, effects) = reverse(&book.state, &original, "undo:h1");
    assert_eq!(effects.state.xp, 10, "the achievement's 10 XP stays");
    assert_eq!(effects.state.coins, 0, "only the 1 coin left is taken back");
    assert_eq!(effects.outcome.coins, -1);
    assert_eq!(effects.state.counters.habit_completions, 0);
    assert_eq!(effects.state.skills[&Skill::Health], 0);
    assert!(
        effects
            .movements
            .iter()
            .all(|m| m.event_type == EventType::Reversal)
    );
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn request() -> impl Strategy<Value = AwardRequest> {
        (0u8..12, -50i64..200, -30i64..60, 0u8..3, 0u64..40).prop_map(
            |(key, xp, coins, kind, streak)| {
                let mut request = award(&format!("k{key}"), xp, coins);
                match kind {
                    0 => request.counters.habit_completions = 1,
                    1 => request.counters.focus_minutes = xp.unsigned_abs(),
                    _ => request.skill = Some(Skill::Learning),
                }
                request.counters.streak = streak;
                request
            },
        )
    }

    proptest! {
        #[test]
        fn totals_always_equal_ledger_sums_and_never_go_negative(requests in proptest::collection::vec(request(), 0..60)) {
            let mut book = Book::default();
            for request in &requests {
                let _ = book.award(request);
                prop_assert_eq!(book.sum(Currency::Xp), book.state.xp as i64);
                prop_assert_eq!(book.sum(Currency::Coins), book.state.coins as i64);
                prop_assert!(book.ledger.iter().all(|m| m.balance_after < u64::MAX / 2));
            }
        }

        /// Awards (never refused) with distinct keys, each possibly delivered again later.
        #[test]
        fn replaying_with_duplicates_gives_the_same_totals(amounts in proptest::collection::vec((0i64..200, 0i64..60, 0u64..40), 0..40), repeats in proptest::collection::vec(0usize..40, 0..40)) {
            let requests: Vec<AwardRequest> = amounts
                .iter()
                .enumerate()
                .map(|(index, &(xp, coins, streak))| AwardRequest {
                    counters: CounterChange { habit_completions: 1, streak, ..CounterChange::default() },
                    ..award(&format!("award-{index}"), xp, coins)
                })
                .collect();
            let mut once = Book::default();
            for request in &requests {
                let _ = once.award(request);
            }
            let mut with_duplicates = Book::default();
            for (index, request) in requests.iter().enumerate() {
                let _ = with_duplicates.award(request);
                for &again in repeats.iter().filter(|&&r| r <= index) {
                    let _ = with_duplicates.award(&requests[again]);
                }
            }
            prop_assert_eq!(&once.state, &with_duplicates.state);
            prop_assert_eq!(once.ledger.len(), with_duplicates.ledger.len());
        }

        #[test]
        fn a_reversal_keeps_totals_equal_to_ledger_sums(requests in proptest::collection::vec(request(), 1..30), undo in 0usize..30) {
            let mut book = Book::default();
            for request in &requests {
                let _ = book.award(request);
            }
            let original = &requests[undo % requests.len()];
            let (_, effects) = reverse(&book.state, original, "undo");
            book.ledger.extend(effects.movements);
            book.state = effects.state;
            prop_assert_eq!(book.sum(Currency::Xp), book.state.xp as i64);
            prop_assert_eq!(book.sum(Currency::Coins), book.state.coins as i64);
        }
    }
}
