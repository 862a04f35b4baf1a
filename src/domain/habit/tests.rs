#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
}

fn days(texts: &[&str]) -> BTreeSet<NaiveDate> {
    texts.iter().map(|t| day(t)).collect()
}

fn stats(frequency: Frequency, created: &str, done: &[&str], today: &str) -> HabitStats {
    let completions = days(done);
    Habit {
        frequency,
        created_on: day(created),
        completions: &completions,
        vacation: None,
    }
    .stats(day(today))
}

#[test]
fn consecutive_days_make_a_streak_and_today_is_still_open() {
    let s = stats(
        Frequency::Daily,
        "2026-03-01",
        &["2026-03-05", "2026-03-06", "2026-03-07"],
        "2026-03-08",
    );
    assert_eq!((s.current_streak, s.best_streak), (3, 3));
    assert!(!s.completed_today);
    assert_eq!(s.last_completed_on, Some(day("2026-03-07")));
    let s = stats(
        Frequency::Daily,
        "2026-03-01",
        &["2026-03-06", "2026-03-07", "2026-03-08"],
        "2026-03-08",
    );
    assert_eq!(s.current_streak, 3);
    assert!(s.completed_today);
}

#[test]
fn a_missed_day_breaks_the_streak_but_not_the_best() {
    let s = stats(
        Frequency::Daily,
        "2026-03-01",
        &["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-05"],
        "2026-03-05",
    );
    assert_eq!((s.current_streak, s.best_streak), (1, 3));
    let s = stats(
        Frequency::Daily,
        "2026-03-01",
        &["2026-03-01"],
        "2026-03-05",
    );
    assert_eq!(s.current_streak, 0);
}

/// The days around New York's spring-forward night (2026-03-08) and Berlin's fall-back night
/// (2026-10-25) are ordinary dates here: a streak through them neither breaks nor doubles.
#[test]
fn streaks_run_straight_through_dst_changes() {
    let s = stats(
        Frequency::Daily,
        "2026-03-06",
        &["2026-03-07", "2026-03-08", "2026-03-09"],
        "2026-03-09",
    );
    assert_eq!(s.current_streak, 3);
    let s = stats(
        Frequency::Daily,
        "2026-10-23",
        &["2026-10-24", "2026-10-25", "2026-10-26"],
        "2026-10-26",
    );
    assert_eq!(s.current_streak, 3);
}

#[test]
fn weekday_habits_skip_weekends() {
    // Thursday 5th, Friday 6th, Monday 9th: the weekend neither breaks nor counts.
    let s = stats(
        Frequency::Weekdays,
        "2026-03-01",
        &["2026-03-05", "2026-03-06", "2026-03-09"],
        "2026-03-09",
    );
    assert_eq!(s.current_streak, 3);
    // Saturday today: the streak from Friday stands.
    let s = stats(
        Frequency::Weekdays,
        "2026-03-01",
        &["2026-03-05", "2026-03-06"],
        "2026-03-07",
    );
    assert_eq!(s.current_streak, 2);
}

#[test]
fn weekly_habits_count_weeks_that_meet_their_target() {
    let weekly = Frequency::Weekly { target_per_week: 2 };
    // Weeks of Feb 23 (2 done) and Mar 2 (2 done); the week of Mar 9 is open with 1 done.
    let done = [
        "2026-02-24",
        "2026-02-26",
        "2026-03-03",
        "2026-03-04",
        "2026-03-09",
    ];
    let s = stats(weekly, "2026-02-23", &done, "2026-03-10");
    assert_eq!((s.current_streak, s.best_streak), (2, 2));
    assert_eq!(weekly.period_days(), 7);
    // One completion short in the week of Mar 2 breaks it.
    let s = stats(
        weekly,
        "2026-02-23",
        &["2026-02-24", "2026-02-26", "2026-03-03"],
        "2026-03-10",
    );
    assert_eq!(s.current_streak, 0);
}

#[test]
fn a_vacation_freezes_a_streak_instead_of_breaking_it() {
    let completions = days(&["2026-03-01", "2026-03-02", "2026-03-06"]);
    let habit = Habit {
        frequency: Frequency::Daily,
        created_on: day("2026-03-01"),
        completions: &completions,
        vacation: Some(Vacation {
            since: day("2026-03-03"),
            until: day("2026-03-05"),
        }),
    };
    assert_eq!(habit.stats(day("2026-03-06")).current_streak, 3);
    let without = Habit {
        vacation: None,
        ..habit
    };
    assert_eq!(without.stats(day("2026-03-06")).current_streak, 1);
}

#[test]
fn strength_follows_loops_score() {
    // Daily for one half-life from zero: 1 − 0.5 = 50.
    let thirteen: Vec<String> = (1..=13).map(|d| format!("2026-03-{d:02}")).collect();
    let refs: Vec<&str> = thirteen.iter().map(String::as_str).collect();
    assert_eq!(
        stats(Frequency::Daily, "2026-03-01", &refs, "2026-03-13").strength,
        50
    );
    // Then 13 days without: halves.
    assert_eq!(
        stats(Frequency::Daily, "2026-03-01", &refs, "2026-03-26").strength,
        25
    );
    assert_eq!(
        stats(Frequency::Daily, "2026-03-01", &[], "2026-03-26").strength,
        0
    );
}

#[test]
fn a_day_missed_outside_the_vacation_still_breaks_the_streak() {
    let completions = days(&["2026-03-01", "2026-03-02", "2026-03-04", "2026-03-08"]);
    let habit = |since: &str, until: &str| Habit {
        frequency: Frequency::Daily,
        created_on: day("2026-03-01"),
        completions: &completions,
        vacation: Some(Vacation {
            since: day(since),
            until: day(until),
        }),
    };
    // The 3rd is missed before a vacation of the 5th–7th, the 5th–7th after one of the 2nd.
    assert_eq!(
        habit("2026-03-05", "2026-03-07")
            .stats(day("2026-03-04"))
            .current_streak,
        1
    );
    assert_eq!(
        habit("2026-03-01", "2026-03-02")
            .stats(day("2026-03-08"))
            .current_streak,
        1
    );
    assert_eq!(
        habit("2026-03-03", "2026-03-07")
            .stats(day("2026-03-08"))
            .current_streak,
        4
    );
}

#[test]
fn a_vacation_holds_strength_where_it_is_and_its_completions_still_count() {
    let thirteen: Vec<String> = (1..=13).map(|d| format!("2026-03-{d:02}")).collect();
    let refs: Vec<&str> = thirteen.iter().map(String::as_str).collect();
    let completions = days(&refs);
    let habit = Habit {
        frequency: Frequency::Daily,
        created_on: day("2026-03-01"),
        completions: &completions,
        vacation: Some(Vacation {
            since: day("2026-03-14"),
            until: day("2026-03-26"),
        }),
    };
    assert_eq!(
        habit.stats(day("2026-03-26")).strength,
        50,
        "frozen, not halved"
    );
    let completions = days(&["2026-03-01"]);
    let habit = Habit {
        completions: &completions,
        vacation: Some(Vacation {
            since: day("2026-03-01"),
            until: day("2026-03-01"),
        }),
        ..habit
    };
    // One check-in on a vacation day: 1 − 0.5^(1/13) ≈ 5 %.
    assert_eq!(habit.stats(day("2026-03-01")).strength, 5);
}

#[test]
fn strength_rises_more_slowly_the_fewer_completions_the_schedule_asks_for() {
    // Fourteen days done in a row: m = 0.5^(√(per day) / 13), strength = 1 − m^14.
    let fourteen: Vec<String> = (1..=14).map(|d| format!("2026-03-{d:02}")).collect();
    let refs: Vec<&str> = fourteen.iter().map(String::as_str).collect();
    for (frequency, strength) in [
        (Frequency::Daily, 53),
        (Frequency::Weekdays, 47),
        (Frequency::Weekly { target_per_week: 3 }, 39),
        (Frequency::Weekly { target_per_week: 7 }, 53),
    ] {
        assert_eq!(
            stats(frequency, "2026-03-01", &refs, "2026-03-14").strength,
            strength,
            "{frequency:?}"
        );
    }
}

#[test]
fn statistics_look_back_ten_years_at_most() {
    let ten: Vec<String> = (1..=10).map(|d| format!("2000-01-{d:02}")).collect();
    let refs: Vec<&str> = ten.iter().map(String::as_str).collect();
    let s = stats(Frequency::Daily, "2000-01-01", &refs, "2026-03-01");
    assert_eq!((s.current_streak, s.best_streak), (0, 0));
    assert_eq!(s.last_completed_on, Some(day("2000-01-10")));
    let s = stats(Frequency::Daily, "2000-01-01", &refs, "2000-01-10");
    assert_eq!((s.current_streak, s.best_streak), (10, 10));
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn habit_input() -> impl Strategy<Value = (Frequency, BTreeSet<NaiveDate>, i64)> {
        let frequency = prop_oneof![
            Just(Frequency::Daily),
            Just(Frequency::Weekdays),
            (1u8..=7).prop_map(|target_per_week| Frequency::Weekly { target_per_week }),
        ];
        (
            frequency,
            proptest::collection::btree_set(0i64..120, 0..90),
            0i64..120,
        )
            .prop_map(|(f, offsets, today)| {
                let origin = day("2026-01-01");
                (
                    f,
                    offsets
                        .into_iter()
                        .map(|o| origin + Duration::days(o))
                        .collect(),
                    today,
                )
            })
    }

    proptest! {
        #[test]
        fn the_current_streak_never_exceeds_the_best_and_strength_stays_in_range((frequency, completions, today) in habit_input()) {
            let today = day("2026-01-01") + Duration::days(today);
            let habit = Habit { frequency, created_on: day("2026-01-01"), completions: &completions, vacation: None };
            let s = habit.stats(today);
            prop_assert!(s.current_streak <= s.best_streak);
            prop_assert!(s.strength <= 100);
            prop_assert_eq!(s.completed_today, completions.contains(&today));
        }

        #[test]
        fn completing_today_never_lowers_the_streak((frequency, completions, today) in habit_input()) {
            let today = day("2026-01-01") + Duration::days(today);
            let before = Habit { frequency, created_on: day("2026-01-01"), completions: &completions, vacation: None }.stats(today);
            let mut with_today = completions.clone();
            with_today.insert(today);
            let after = Habit { frequency, created_on: day("2026-01-01"), completions: &with_today, vacation: None }.stats(today);
            prop_assert!(after.current_streak >= before.current_streak);
            prop_assert!(after.strength >= before.strength);
        }

        #[test]
        fn a_vacation_never_lowers_the_streak((frequency, completions, today) in habit_input(), since in 0i64..120, length in 0i64..30) {
            let origin = day("2026-01-01");
            let today = origin + Duration::days(today);
            let vacation = Vacation { since: origin + Duration::days(since), until: origin + Duration::days(since + length) };
            let plain = Habit { frequency, created_on: origin, completions: &completions, vacation: None }.stats(today);
            let resting = Habit { frequency, created_on: origin, completions: &completions, vacation: Some(vacation) }.stats(today);
            prop_assert!(resting.current_streak >= plain.current_streak);
        }
    }
}
