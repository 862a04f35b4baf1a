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
    /// The requests that landed, by key (what a reversal takes back).
    requests: BTreeMap<String, AwardRequest>,
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
        self.requests.insert(request.key.clone(), request.clone());
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
fn a_reversal_takes_back_the_whole_award_but_keeps_its_achievement() {
    let mut book = Book::default();
    let original = habit("h1", 1);
    book.award(&original).expect("award");
    let reversal = reverse(&book.state, Some(&original), "h1", "undo:h1").expect("reverses");
    let effects = reversal.effects;
    assert_eq!(effects.state.xp, 10, "the achievement's 10 XP stays");
    assert_eq!(effects.state.coins, 5, "the achievement's 5 coins stay");
    assert_eq!((effects.outcome.xp, effects.outcome.coins), (-10, -2));
    assert_eq!(effects.state.counters.habit_completions, 0);
    assert_eq!(effects.state.skills[&Skill::Health], 0);
    assert_eq!(reversal.voided, None);
    assert_eq!(reversal.request.key, "undo:h1");
    assert!(
        effects
            .movements
            .iter()
            .all(|m| m.event_type == EventType::Reversal && m.key == "undo:h1")
    );
    assert_eq!(
        effects
            .movements
            .iter()
            .map(|m| m.amount)
            .collect::<Vec<_>>(),
        [-10, -2]
    );
}

#[test]
fn a_reversal_of_an_award_whose_coins_were_spent_is_refused() {
    let mut book = Book::default();
    let original = habit("h1", 1);
    book.award(&original).expect("award");
    book.award(&award("spend", 0, -6)).expect("spend");
    assert_eq!(book.state.coins, 1);
    assert_eq!(
        reverse(&book.state, Some(&original), "h1", "undo"),
        Err(Refusal::InsufficientCoins)
    );
    book.award(&award("claim", -15, 0)).expect("claim");
    assert_eq!(
        reverse(&book.state, Some(&award("x", 10, 0)), "x", "undo"),
        Err(Refusal::InsufficientXp)
    );
}

#[test]
fn a_reversal_before_its_award_moves_nothing_and_voids_the_award_key() {
    let state = apply(&ProgressState::default(), &award("seed", 120, 3))
        .expect("seed")
        .state;
    let reversal = reverse(&state, None, "habit:h:1", "habit:h:1:undo").expect("reverses");
    assert!(reversal.effects.movements.is_empty());
    assert_eq!(reversal.effects.state, state);
    assert_eq!(
        (reversal.effects.outcome.xp, reversal.effects.outcome.coins),
        (0, 0)
    );
    assert_eq!(
        (
            reversal.effects.outcome.level_before,
            reversal.effects.outcome.level_after
        ),
        (2, 2)
    );
    let voided = reversal.voided.expect("voided");
    assert_eq!(voided.key, "habit:h:1");
    assert_eq!((voided.xp, voided.coins), (0, 0));
    assert_eq!(reversal.request.key, "habit:h:1:undo");
}

#[test]
fn counters_move_by_the_award_and_back_by_its_reversal() {
    let change = CounterChange {
        habit_completions: 2,
        goals_completed: 3,
        quests_completed: 4,
        focus_minutes: 5,
        books_finished: 6,
        workouts_logged: 7,
        streak: 9,
    };
    let start = Counters {
        habit_completions: 10,
        best_streak: 4,
        goals_completed: 20,
        quests_completed: 30,
        focus_minutes: 40,
        books_finished: 50,
        workouts_logged: 60,
    };
    let added = start.add(&change);
    assert_eq!(
        added,
        Counters {
            habit_completions: 12,
            best_streak: 9,
            goals_completed: 23,
            quests_completed: 34,
            focus_minutes: 45,
            books_finished: 56,
            workouts_logged: 67,
        }
    );
    assert_eq!(
        added.subtract(&change),
        Counters {
            best_streak: 9,
            ..start
        },
        "a best streak, once reached, stays"
    );
    assert_eq!(
        Counters::default().subtract(&change),
        Counters::default(),
        "never below zero"
    );
    assert_eq!(
        start
            .add(&CounterChange {
                streak: 2,
                ..CounterChange::default()
            })
            .best_streak,
        4
    );
}

#[test]
fn currencies_read_back_from_their_names() {
    for (currency, name) in [(Currency::Xp, "xp"), (Currency::Coins, "coins")] {
        assert_eq!(currency.as_str(), name);
        assert_eq!(Currency::parse(name), Some(currency));
    }
    assert_eq!(Currency::parse("gems"), None);
    assert_eq!(Currency::parse("XP"), None);
}

#[test]
fn event_types_are_named_as_their_ledger_rows_store_them() {
    for (event_type, name) in [
        (EventType::HabitCompleted, "habit_completed"),
        (EventType::GoalCompleted, "goal_completed"),
        (EventType::QuestCompleted, "quest_completed"),
        (EventType::BookFinished, "book_finished"),
        (EventType::FocusCompleted, "focus_completed"),
        (EventType::WorkoutLogged, "workout_logged"),
        (EventType::AdminClaim, "admin_claim"),
        (EventType::RewardRedeemed, "reward_redeemed"),
        (EventType::Achievement, "achievement"),
        (EventType::Reversal, "reversal"),
    ] {
        assert_eq!(event_type.as_str(), name);
        assert_eq!(
            serde_json::to_value(event_type).ok(),
            Some(serde_json::Value::from(name)),
            "as_str and serde agree"
        );
    }
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
            if let Ok(reversal) = reverse(&book.state, Some(original), &original.key, "undo") {
                book.ledger.extend(reversal.effects.movements);
                book.state = reversal.effects.state;
            }
            prop_assert_eq!(book.sum(Currency::Xp), book.state.xp as i64);
            prop_assert_eq!(book.sum(Currency::Coins), book.state.coins as i64);
        }

        /// Completions, their undos (delivered before or after them) and redemptions in any
        /// order, as the object applies them: coins redeemed never exceed coins earned net of
        /// reversals, and a completion undone (in either order) earns nothing.
        #[test]
        fn coins_redeemed_never_exceed_coins_earned_net_of_reversals(operations in proptest::collection::vec((0u8..3, 0usize..6, 1i64..12), 0..80)) {
            let mut book = Book::default();
            let mut undone = std::collections::BTreeSet::new();
            for (kind, habit_index, cost) in operations {
                let key = format!("habit:{habit_index}");
                match kind {
                    0 => { let _ = book.award(&habit(&key, 1)); }
                    1 => {
                        let undo_key = format!("{key}:undo");
                        if book.applied.contains_key(&undo_key) {
                            continue;
                        }
                        let original = book.requests.get(&key).cloned();
                        if let Ok(reversal) = reverse(&book.state, original.as_ref(), &key, &undo_key) {
                            book.ledger.extend(reversal.effects.movements);
                            book.state = reversal.effects.state;
                            book.applied.insert(undo_key, reversal.effects.outcome.clone());
                            if let Some(voided) = reversal.voided {
                                book.applied.insert(voided.key, reversal.effects.outcome);
                            }
                            undone.insert(key);
                        }
                    }
                    _ => { let _ = book.award(&AwardRequest { event_type: EventType::RewardRedeemed, ..award(&format!("redeem-{}", book.ledger.len()), 0, -cost) }); }
                }
                let by = |event: EventType| -> i64 {
                    book.ledger.iter().filter(|m| m.currency == Currency::Coins && m.event_type == event).map(|m| m.amount).sum()
                };
                let earned = by(EventType::HabitCompleted) + by(EventType::Achievement);
                let reversed = -by(EventType::Reversal);
                let redeemed = -by(EventType::RewardRedeemed);
                prop_assert!(redeemed <= earned - reversed);
                prop_assert_eq!(book.state.coins as i64, earned - reversed - redeemed);
            }
            let live = book.requests.keys().filter(|key| key.starts_with("habit:") && !undone.contains(*key)).count() as u64;
            prop_assert_eq!(book.state.counters.habit_completions, live);
        }
    }
}
