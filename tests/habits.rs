//! Habits end to end: completion once per local day, undo, history, streaks through DST nights,
//! a late day start and a vacation (on the worker's dev clock, `X-Dev-Now`), the streak bonus,
//! concurrent completions, replays, and pages while habits are added.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{Value, json};
use support::Owner;

fn new_habit(me: &mut Owner, body: Value) -> String {
    me.create("/api/habits", &body)["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

fn daily(me: &mut Owner, title: &str) -> String {
    new_habit(me, json!({"title": title, "category": "mindfulness"}))
}

/// Completes `habit` at the instant `at` (RFC 3339) on the dev clock.
fn complete_at(me: &mut Owner, habit: &str, at: &str) -> Value {
    me.write_with(
        "POST",
        &format!("/api/habits/{habit}/complete"),
        None,
        &[("x-dev-now", at)],
    )
    .expect_data(200)
}

fn set(me: &mut Owner, settings: Value, at: &str) {
    me.write_with(
        "PATCH",
        "/api/settings",
        Some(&settings),
        &[("x-dev-now", at)],
    )
    .expect_data(200);
}

#[test]
fn a_habit_is_completed_once_a_day_and_undone_with_reversing_entries() {
    let mut me = Owner::new("habit-undo");
    let id = daily(&mut me, "Meditate");
    let complete = format!("/api/habits/{id}/complete");
    let first = me.write("POST", &complete, None, None).expect_data(200);
    assert_eq!(first["completed_today"], true);
    assert_eq!(first["current_streak"], 1);
    assert_eq!(first["already_completed"], false);
    assert_eq!(
        (
            first["award"]["xp"].as_i64(),
            first["award"]["coins"].as_i64()
        ),
        (Some(10), Some(2))
    );
    assert_eq!(
        first["award"]["achievements"],
        json!([{"id": "first_habit", "xp": 10, "coins": 5}])
    );
    let again = me.write("POST", &complete, None, None).expect_data(200);
    assert_eq!(again["already_completed"], true);
    assert!(again["award"].is_null());

    let undone = me.write("DELETE", &complete, None, None).expect_data(200);
    assert_eq!(undone["completed_today"], false);
    assert_eq!(undone["current_streak"], 0);
    assert_eq!(
        (
            undone["award"]["xp"].as_i64(),
            undone["award"]["coins"].as_i64()
        ),
        (Some(-10), Some(-2))
    );
    let undone_again = me.write("DELETE", &complete, None, None).expect_data(200);
    assert!(undone_again["award"].is_null(), "nothing left to reverse");
    let progress = me.client.get("/api/progress").expect_data(200);
    assert_eq!(
        (progress["xp"].as_i64(), progress["coins"].as_i64()),
        (Some(10), Some(5)),
        "the achievement stays, the completion's own award is reversed"
    );
    let ledger = me.client.get("/api/ledger?currency=xp").expect_data(200);
    let amounts: Vec<i64> = ledger["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["amount"].as_i64())
        .collect();
    assert_eq!(
        amounts,
        vec![-10, 10, 10],
        "newest first: reversal, achievement, award"
    );

    let redone = me.write("POST", &complete, None, None).expect_data(200);
    assert_eq!(redone["already_completed"], false);
    assert_eq!(redone["award"]["xp"], 10);
    assert_eq!(me.client.get("/api/progress").expect_data(200)["xp"], 20);
    let today = redone["last_completed_on"]
        .as_str()
        .expect("day")
        .to_owned();
    let history = me
        .client
        .get(&format!("/api/habits/{id}/history?from={today}&to={today}"))
        .expect_data(200);
    assert_eq!(history["days"], json!([today]));
}

#[test]
fn only_today_and_yesterday_take_completions() {
    let mut me = Owner::new("habit-days");
    let id = daily(&mut me, "Journal");
    let at = "2026-06-10T12:00:00Z";
    let path = format!("/api/habits/{id}/complete");
    let late = me
        .write_with(
            "POST",
            &path,
            Some(&json!({"date": "2026-06-09"})),
            &[("x-dev-now", at)],
        )
        .expect_data(200);
    assert_eq!(late["last_completed_on"], "2026-06-09");
    assert_eq!(late["current_streak"], 1, "today is still open");
    assert_eq!(late["completed_today"], false);
    for date in ["2026-06-08", "2026-06-11", "June 10th"] {
        let error = me
            .write_with(
                "POST",
                &path,
                Some(&json!({"date": date})),
                &[("x-dev-now", at)],
            )
            .expect_error(400, "bad_request");
        assert!(error["fields"]["date"].is_string(), "{date}: {error}");
    }
    me.write_with(
        "DELETE",
        &format!("{path}?date=2026-06-08"),
        None,
        &[("x-dev-now", at)],
    )
    .expect_error(400, "bad_request");
    me.write_with("DELETE", &path, None, &[("x-dev-now", at)])
        .expect_error(404, "not_found");
    me.client
        .get(&format!(
            "/api/habits/{id}/history?from=2026-06-10&to=2026-06-01"
        ))
        .expect_error(400, "bad_request");
    me.client
        .get(&format!(
            "/api/habits/{id}/history?from=2020-01-01&to=2026-06-01"
        ))
        .expect_error(400, "bad_request");
    let history = me
        .client
        .get(&format!(
            "/api/habits/{id}/history?from=2026-06-01&to=2026-06-30"
        ))
        .expect_data(200);
    assert_eq!(history["days"], json!(["2026-06-09"]));
    me.write("POST", &path, Some(&json!({"day": "2026-06-09"})), None)
        .expect_error(400, "bad_request");
}

#[test]
fn a_streak_holds_through_new_york_springing_forward() {
    let mut me = Owner::new("habit-dst");
    set(
        &mut me,
        json!({"timezone": "America/New_York"}),
        "2026-03-06T12:00:00Z",
    );
    let id = daily(&mut me, "Read");
    // 00:30 local each night: EST (UTC-5) before 2026-03-08 02:00, EDT (UTC-4) after. A fixed
    // offset would put the EDT nights on the day before and see them as repeats.
    for (streak, at, day) in [
        (1, "2026-03-07T05:30:00Z", "2026-03-07"),
        (2, "2026-03-08T05:30:00Z", "2026-03-08"),
        (3, "2026-03-09T04:30:00Z", "2026-03-09"),
        (4, "2026-03-10T04:30:00Z", "2026-03-10"),
    ] {
        let done = complete_at(&mut me, &id, at);
        assert_eq!(done["already_completed"], false, "{at}");
        assert_eq!(done["last_completed_on"], day, "{at}");
        assert_eq!(done["current_streak"], streak, "{at}");
    }
    let history = me
        .client
        .get(&format!(
            "/api/habits/{id}/history?from=2026-03-01&to=2026-03-31"
        ))
        .expect_data(200);
    assert_eq!(
        history["days"],
        json!(["2026-03-07", "2026-03-08", "2026-03-09", "2026-03-10"])
    );
}

#[test]
fn a_late_day_start_keeps_the_small_hours_in_yesterday() {
    let mut me = Owner::new("habit-day-start");
    set(
        &mut me,
        json!({"timezone": "Europe/Berlin", "day_start_hour": 3}),
        "2026-03-28T12:00:00Z",
    );
    let id = daily(&mut me, "Walk");
    // Berlin springs forward on 2026-03-29 at 02:00.
    let evening = complete_at(&mut me, &id, "2026-03-28T12:00:00Z");
    assert_eq!(evening["last_completed_on"], "2026-03-28");
    let small_hours = complete_at(&mut me, &id, "2026-03-29T00:30:00Z"); // 01:30 CET
    assert_eq!(small_hours["already_completed"], true, "still the 28th");
    let morning = complete_at(&mut me, &id, "2026-03-29T01:30:00Z"); // 03:30 CEST
    assert_eq!(morning["already_completed"], false);
    assert_eq!(morning["last_completed_on"], "2026-03-29");
    assert_eq!(morning["current_streak"], 2);
}

#[test]
fn a_week_of_streak_earns_the_bonus_and_a_vacation_freezes_it() {
    let mut me = Owner::new("habit-streak");
    let id = daily(&mut me, "Push-ups");
    let mut bonus_day = Value::Null;
    for day in 1..=8 {
        let done = complete_at(&mut me, &id, &format!("2026-07-{day:02}T09:00:00Z"));
        assert_eq!(done["current_streak"], day);
        let expected_xp = if day >= 7 { 11 } else { 10 };
        assert_eq!(done["award"]["xp"], expected_xp, "day {day}");
        if day == 7 {
            bonus_day = done;
        }
    }
    let unlocked: Vec<&str> = bonus_day["award"]["achievements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert!(unlocked.contains(&"streak_7"), "{bonus_day}");
    assert_eq!(
        me.client.get("/api/progress").expect_data(200)["best_streak"],
        8
    );

    // On the 9th the user leaves until the 12th; back on the 13th the streak goes on.
    set(
        &mut me,
        json!({"vacation_until": "2026-07-12"}),
        "2026-07-09T20:00:00Z",
    );
    let settings = me.client.get("/api/settings").expect_data(200);
    assert_eq!(settings["vacation_since"], "2026-07-09");
    let back = complete_at(&mut me, &id, "2026-07-13T09:00:00Z");
    assert_eq!(back["current_streak"], 9);
    assert_eq!(back["best_streak"], 9);

    // Without a vacation, missed days break it.
    let other = daily(&mut me, "Sit-ups");
    complete_at(&mut me, &other, "2026-07-01T09:00:00Z");
    let broken = complete_at(&mut me, &other, "2026-07-04T09:00:00Z");
    assert_eq!(
        (
            broken["current_streak"].as_i64(),
            broken["best_streak"].as_i64()
        ),
        (Some(1), Some(1))
    );
    me.write_with(
        "PATCH",
        "/api/settings",
        Some(&json!({"vacation_since": "2026-06-01"})),
        &[],
    )
    .expect_error(400, "bad_request");
}

#[test]
fn concurrent_completions_award_once() {
    let mut me = Owner::new("habit-race");
    let id = daily(&mut me, "Floss");
    let path = format!("/api/habits/{id}/complete");
    let replies = me.concurrently(24, "POST", &path, None, &[]);
    assert!(
        replies.iter().all(|r| r.status == 200),
        "{:?}",
        replies.iter().find(|r| r.status != 200)
    );
    let awarded = replies
        .iter()
        .filter(|r| r.json()["data"]["already_completed"] == false)
        .count();
    assert_eq!(awarded, 1);
    let progress = me.client.get("/api/progress").expect_data(200);
    assert_eq!(
        (progress["xp"].as_i64(), progress["coins"].as_i64()),
        (Some(20), Some(7)),
        "one completion and first_habit"
    );
}

#[test]
fn a_replayed_completion_answers_the_first_response() {
    let mut me = Owner::new("habit-replay");
    let id = daily(&mut me, "Water");
    let path = format!("/api/habits/{id}/complete");
    let first = me.write("POST", &path, None, Some("water-1"));
    assert_eq!(first.status, 200);
    let again = me.write("POST", &path, None, Some("water-1"));
    assert_eq!(again.json(), first.json());
    me.write(
        "POST",
        &path,
        Some(&json!({"date": "2020-01-01"})),
        Some("water-1"),
    )
    .expect_error(409, "idempotency_conflict");
}

#[test]
fn pages_neither_repeat_nor_skip_while_habits_are_added() {
    let mut me = Owner::new("habit-pages");
    let mut created: Vec<String> = (0..5).map(|n| daily(&mut me, &format!("h{n}"))).collect();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/habits?limit=2&cursor={cursor}"),
            None => "/api/habits?limit=2".to_owned(),
        };
        let page = me.client.get(&path).expect_data(200);
        for item in page["items"].as_array().into_iter().flatten() {
            assert!(item["current_streak"].is_number());
            seen.push(item["id"].as_str().expect("id").to_owned());
        }
        if seen.len() == 2 {
            created.push(daily(&mut me, "added while paging"));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, created);
    me.client
        .get("/api/habits?cursor=forged")
        .expect_error(400, "bad_request");
}

#[test]
fn an_archived_habit_takes_no_completion_and_keeps_its_days() {
    let mut me = Owner::new("habit-archived");
    let id = daily(&mut me, "Stretch");
    let path = format!("/api/habits/{id}/complete");
    me.write("POST", &path, None, None).expect_data(200);
    let archived = me.write("DELETE", &format!("/api/habits/{id}"), None, None);
    assert_eq!(archived.status, 204, "{}", archived.text);
    me.write("DELETE", &path, None, None)
        .expect_error(404, "not_found");
    me.write("POST", &path, None, None)
        .expect_error(404, "not_found");
    me.write("POST", &format!("/api/habits/{id}/restore"), None, None)
        .expect_data(200);
    let habit = me.client.get(&format!("/api/habits/{id}")).expect_data(200);
    assert_eq!(
        habit["completed_today"], true,
        "the undo refused while archived changed nothing"
    );
    assert_eq!(habit["current_streak"], 1);
}
