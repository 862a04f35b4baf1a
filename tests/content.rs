//! Every content kind end to end: CRUD, validation, ownership, soft delete and restore; then the
//! awards of quests, workouts and books, with their exact amounts, once.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Owner, in_seconds};

/// An RFC 3339 time `seconds` from now (negative: in the past).
struct KindCase {
    path: &'static str,
    valid: Value,
    /// A change and a field it must show.
    patch: (Value, &'static str),
    /// Bodies that must be refused, each naming a field.
    invalid: Vec<(Value, &'static str)>,
}

fn with(base: &Value, extra: Value) -> Value {
    let mut body = base.clone();
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

fn kinds() -> Vec<KindCase> {
    let goal = json!({"title": "Run a marathon", "category": "fitness"});
    let habit = json!({"title": "Stretch", "category": "health", "frequency": "daily"});
    let quest = json!({"title": "Fix the bike", "category": "productivity",
                       "deadline": in_seconds(86_400), "reward": {"xp": 40, "coins": 8}});
    let workout = json!({"name": "Intervals", "duration_minutes": 30, "intensity": "high"});
    let book = json!({"title": "Dune", "author": "Frank Herbert"});
    vec![
        KindCase {
            path: "/api/goals",
            invalid: vec![
                (with(&goal, json!({"title": ""})), "title"),
                (with(&goal, json!({"category": "cooking"})), "category"),
                (with(&goal, json!({"status": "completed"})), "status"),
                (
                    with(&goal, json!({"description": "x".repeat(5001)})),
                    "description",
                ),
            ],
            patch: (json!({"title": "Run two"}), "title"),
            valid: goal,
        },
        KindCase {
            path: "/api/habits",
            invalid: vec![
                (with(&habit, json!({"frequency": "hourly"})), "frequency"),
                (
                    with(&habit, json!({"target_per_week": 3})),
                    "target_per_week",
                ),
                (
                    with(&habit, json!({"frequency": "weekly", "target_per_week": 8})),
                    "target_per_week",
                ),
                (
                    with(&habit, json!({"current_streak": 50})),
                    "current_streak",
                ),
                (with(&habit, json!({"metadata": "tag"})), "metadata"),
            ],
            patch: (
                json!({"frequency": "weekly", "target_per_week": 3}),
                "target_per_week",
            ),
            valid: habit,
        },
        KindCase {
            path: "/api/quests",
            invalid: vec![
                (
                    with(&quest, json!({"reward": {"xp": 1001, "coins": 0}})),
                    "reward.xp",
                ),
                (
                    with(&quest, json!({"reward": {"xp": 0, "coins": 501}})),
                    "reward.coins",
                ),
                (
                    with(&quest, json!({"deadline": in_seconds(-60)})),
                    "deadline",
                ),
                (with(&quest, json!({"deadline": "next week"})), "deadline"),
                (with(&quest, json!({"status": "completed"})), "status"),
            ],
            patch: (json!({"reward": {"xp": 50, "coins": 9}}), "reward"),
            valid: quest,
        },
        KindCase {
            path: "/api/workouts",
            invalid: vec![
                (
                    with(&workout, json!({"duration_minutes": 0})),
                    "duration_minutes",
                ),
                (
                    with(&workout, json!({"duration_minutes": 1441})),
                    "duration_minutes",
                ),
                (
                    with(&workout, json!({"duration_minutes": 2.5})),
                    "duration_minutes",
                ),
                (with(&workout, json!({"intensity": "brutal"})), "intensity"),
                (with(&workout, json!({"calories": 20001})), "calories"),
                (
                    with(&workout, json!({"performed_at": in_seconds(3600)})),
                    "performed_at",
                ),
                (with(&workout, json!({"name": "x".repeat(201)})), "name"),
            ],
            patch: (json!({"calories": 320}), "calories"),
            valid: workout,
        },
        KindCase {
            path: "/api/books",
            invalid: vec![
                (with(&book, json!({"author": "a".repeat(201)})), "author"),
                (with(&book, json!({"status": "done"})), "status"),
                (with(&book, json!({"rating": 6})), "rating"),
                (with(&book, json!({"pages": 0})), "pages"),
                (
                    with(
                        &book,
                        json!({"started_on": "2026-03-02", "finished_on": "2026-03-01"}),
                    ),
                    "finished_on",
                ),
            ],
            patch: (json!({"rating": 4}), "rating"),
            valid: book,
        },
    ]
}

/// A PATCH of books answers the book with an `award` beside its fields; the fields compare.
fn fields_of(item: &Value) -> Value {
    let mut item = item.clone();
    if let Some(object) = item.as_object_mut() {
        object.remove("award");
    }
    item
}

#[test]
fn every_kind_is_created_changed_deleted_restored_and_private() {
    let mut me = Owner::new("kinds");
    let mut stranger = Owner::new("kinds-stranger");
    for kind in kinds() {
        let path = kind.path;
        let created = fields_of(&me.create(path, &kind.valid));
        let id = created["id"].as_str().expect("id").to_owned();
        assert_eq!(created["is_active"], true, "{path}");
        assert!(created["deleted_at"].is_null(), "{path}");
        assert_eq!(created["metadata"], json!({}), "{path}");
        assert!(
            created["created_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
        let item = format!("{path}/{id}");
        assert_eq!(me.client.get(&item).expect_data(200), created, "{path}");

        let (patch, field) = &kind.patch;
        let patched = fields_of(&me.write("PATCH", &item, Some(patch), None).expect_data(200));
        assert_eq!(patched[field], patch[field], "{path}");
        assert_eq!(fields_of(&me.client.get(&item).expect_data(200)), patched);
        let listed = me.client.get(path).expect_data(200);
        assert!(
            listed["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i["id"] == id.as_str()))
        );

        let mut routes = vec![
            ("GET", item.clone(), None),
            ("PATCH", item.clone(), Some(patch)),
            ("DELETE", item.clone(), None),
            ("POST", format!("{item}/restore"), None),
        ];
        if matches!(path, "/api/goals" | "/api/habits" | "/api/quests") {
            routes.push(("POST", format!("{item}/complete"), None));
        }
        if path == "/api/habits" {
            routes.push(("DELETE", format!("{item}/complete"), None));
            routes.push(("GET", format!("{item}/history"), None));
        }
        for (method, target, body) in routes {
            stranger
                .write(method, &target, body, None)
                .expect_error(404, "not_found");
        }
        assert_eq!(
            stranger.client.get(path).expect_data(200)["items"],
            json!([]),
            "{path}"
        );

        assert_eq!(me.write("DELETE", &item, None, None).status, 204);
        assert_eq!(
            me.write("DELETE", &item, None, None).status,
            204,
            "{path}: again"
        );
        me.client.get(&item).expect_error(404, "not_found");
        me.write("PATCH", &item, Some(patch), None)
            .expect_error(404, "not_found");
        let archived = me.client.get(&format!("{path}/archived")).expect_data(200);
        assert_eq!(archived["items"][0]["id"], id.as_str(), "{path}");
        assert_eq!(archived["items"][0]["is_active"], false);
        assert!(archived["items"][0]["deleted_at"].is_string());
        assert!(
            !me.client.get(path).expect_data(200)["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i["id"] == id.as_str()))
        );
        let restored = me
            .write("POST", &format!("{item}/restore"), None, None)
            .expect_data(200);
        assert_eq!(restored["is_active"], true, "{path}");
        assert!(restored["deleted_at"].is_null());
        me.client.get(&item).expect_data(200);

        for (body, field) in kind.invalid {
            let error = me
                .write("POST", path, Some(&body), None)
                .expect_error(400, "bad_request");
            assert!(
                error["fields"].get(field).is_some(),
                "{path}: {body} should name {field}: {error}"
            );
        }
        let error = me
            .write(
                "POST",
                path,
                Some(&with(&kind.valid, json!({"id": "mine"}))),
                None,
            )
            .expect_error(400, "bad_request");
        assert!(error["fields"].get("id").is_some(), "{path}");
        me.client
            .get(&format!("{path}/not-a-uuid"))
            .expect_error(400, "bad_request");
    }
}

#[test]
fn a_quest_pays_its_reward_once_before_its_deadline() {
    let mut me = Owner::new("quest");
    let quest = me.create(
        "/api/quests",
        &json!({"title": "Paint the fence", "category": "creativity",
                "deadline": in_seconds(3600), "reward": {"xp": 120, "coins": 30},
                "metadata": {"color": "white"}}),
    );
    assert_eq!(quest["status"], "open");
    assert_eq!(quest["reward"], json!({"xp": 120, "coins": 30}));
    let complete = format!("/api/quests/{}/complete", quest["id"].as_str().expect("id"));
    let first = me.write("POST", &complete, None, None).expect_data(200);
    assert_eq!(first["status"], "completed");
    assert!(first["completed_at"].is_string());
    assert_eq!(first["already_completed"], false);
    assert_eq!(
        (
            first["award"]["xp"].as_i64(),
            first["award"]["coins"].as_i64()
        ),
        (Some(120), Some(30))
    );
    assert_eq!(
        first["award"]["achievements"],
        json!([{"id": "first_quest", "xp": 10, "coins": 5}])
    );
    let again = me.write("POST", &complete, None, None).expect_data(200);
    assert_eq!(again["already_completed"], true);
    assert!(again["award"].is_null());
    let progress = me.client.get("/api/progress").expect_data(200);
    assert_eq!(
        (progress["xp"].as_i64(), progress["coins"].as_i64()),
        (Some(130), Some(35))
    );
    assert_eq!(progress["skills"]["creativity"]["xp"], 120);
    me.write(
        "PATCH",
        &format!("/api/quests/{}", quest["id"].as_str().expect("id")),
        Some(&json!({"reward": {"xp": 1000, "coins": 500}})),
        None,
    )
    .expect_error(409, "conflict");
}

#[test]
fn a_quest_past_its_deadline_is_expired_until_it_gets_a_new_one() {
    let mut me = Owner::new("quest-expiry");
    let quest = me.create(
        "/api/quests",
        &json!({"title": "Quick one", "category": "social",
                "deadline": in_seconds(2), "reward": {"xp": 10, "coins": 1}}),
    );
    let item = format!("/api/quests/{}", quest["id"].as_str().expect("id"));
    std::thread::sleep(Duration::from_millis(2_500));
    assert_eq!(me.client.get(&item).expect_data(200)["status"], "expired");
    me.write("POST", &format!("{item}/complete"), None, None)
        .expect_error(409, "quest_expired");
    assert_eq!(me.client.get("/api/progress").expect_data(200)["xp"], 0);

    let reopened = me
        .write(
            "PATCH",
            &item,
            Some(&json!({"deadline": in_seconds(600)})),
            None,
        )
        .expect_data(200);
    assert_eq!(reopened["status"], "open");
    me.write("PATCH", &item, Some(&json!({"status": "abandoned"})), None)
        .expect_data(200);
    me.write("POST", &format!("{item}/complete"), None, None)
        .expect_error(409, "conflict");
    me.write("PATCH", &item, Some(&json!({"status": "open"})), None)
        .expect_data(200);
    let done = me
        .write("POST", &format!("{item}/complete"), None, None)
        .expect_data(200);
    assert_eq!(done["award"]["xp"], 10);
}

#[test]
fn logging_a_workout_awards_by_duration_and_intensity() {
    let mut me = Owner::new("workout");
    // (minutes, intensity) → (XP, coins): 5 XP per 10 minutes × 1, 1.5 or 2, rounded down,
    // at most 100; a coin per 15 minutes.
    let cases = [
        (30, "moderate", 22, 2),
        (45, "high", 45, 3),
        (10, "low", 5, 0),
        (7, "low", 3, 0),
        (300, "high", 100, 20),
    ];
    let (mut xp, mut coins) = (0, 0);
    for (index, (minutes, intensity, award_xp, award_coins)) in cases.into_iter().enumerate() {
        let logged = me.create(
            "/api/workouts",
            &json!({"name": format!("session {index}"), "duration_minutes": minutes, "intensity": intensity}),
        );
        assert_eq!(logged["duration_minutes"], minutes);
        assert!(
            logged["performed_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
        let award = &logged["award"];
        assert_eq!(
            (award["xp"].as_i64(), award["coins"].as_i64()),
            (Some(award_xp), Some(award_coins)),
            "{minutes} min {intensity}"
        );
        xp += award_xp;
        coins += award_coins;
        for achievement in award["achievements"].as_array().into_iter().flatten() {
            xp += achievement["xp"].as_i64().unwrap_or_default();
            coins += achievement["coins"].as_i64().unwrap_or_default();
        }
    }
    let progress = me.client.get("/api/progress").expect_data(200);
    assert_eq!(
        (progress["xp"].as_i64(), progress["coins"].as_i64()),
        (Some(xp), Some(coins))
    );
    assert_eq!(progress["skills"]["fitness"]["xp"], 175);

    let past = me.create(
        "/api/workouts",
        &json!({"name": "Yesterday's swim", "duration_minutes": 20, "performed_at": "2026-01-01T07:00:00+02:00"}),
    );
    assert_eq!(past["performed_at"], "2026-01-01T05:00:00.000Z");
    assert_eq!(past["intensity"], "moderate");
}

/// Deleting a workout takes its award back (refused while its coins are spent), restoring pays
/// it again, and no cycle of the two pays twice.
#[test]
fn deleting_a_workout_takes_its_award_back_and_restoring_pays_it_again() {
    let mut me = Owner::new("workout-delete");
    let progress = |me: &mut Owner| {
        let p = me.client.get("/api/progress").expect_data(200);
        (
            p["xp"].as_i64().unwrap_or(-1),
            p["coins"].as_i64().unwrap_or(-1),
        )
    };
    let logged = me.create(
        "/api/workouts",
        &json!({"name": "Run", "duration_minutes": 60, "intensity": "high"}),
    );
    let path = format!("/api/workouts/{}", logged["id"].as_str().expect("id"));
    // 60 XP + 4 coins, and first_workout's 10 XP + 5 coins, which stay.
    assert_eq!(progress(&mut me), (70, 9));
    let reward = me.create("/api/rewards", &json!({"title": "Smoothie", "cost": 9}));
    let redeem = format!("/api/rewards/{}/redeem", reward["id"].as_str().expect("id"));
    me.write("POST", &redeem, None, None).expect_data(200);
    me.write("DELETE", &path, None, None)
        .expect_error(409, "insufficient_coins");
    me.client.get(&path).expect_data(200);

    me.write(
        "POST",
        "/api/workouts",
        Some(&json!({"name": "Walk", "duration_minutes": 60, "intensity": "low"})),
        None,
    )
    .expect_data(201);
    assert_eq!(progress(&mut me), (100, 4));
    for _ in 0..3 {
        assert_eq!(me.write("DELETE", &path, None, None).status, 204);
        assert_eq!(
            progress(&mut me),
            (40, 0),
            "the run's 60 XP and 4 coins taken back"
        );
        assert_eq!(me.write("DELETE", &path, None, None).status, 204);
        assert_eq!(
            progress(&mut me),
            (40, 0),
            "deleting again takes nothing more"
        );
        me.write("POST", &format!("{path}/restore"), None, None)
            .expect_data(200);
        assert_eq!(progress(&mut me), (100, 4), "restored, paid again");
        me.write("POST", &format!("{path}/restore"), None, None)
            .expect_data(200);
        assert_eq!(
            progress(&mut me),
            (100, 4),
            "restoring again pays nothing more"
        );
    }
}

#[test]
fn a_replayed_workout_is_logged_and_awarded_once() {
    let mut me = Owner::new("workout-replay");
    let body = json!({"name": "Row", "duration_minutes": 40, "intensity": "high"});
    let first = me.write("POST", "/api/workouts", Some(&body), Some("row-1"));
    assert_eq!(first.status, 201);
    let again = me.write("POST", "/api/workouts", Some(&body), Some("row-1"));
    assert_eq!((again.status, again.json()), (201, first.json()));
    me.write(
        "POST",
        "/api/workouts",
        Some(&json!({"name": "Row", "duration_minutes": 41})),
        Some("row-1"),
    )
    .expect_error(409, "idempotency_conflict");
    let listed = me.client.get("/api/workouts").expect_data(200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    let ledger = me.client.get("/api/ledger?currency=xp").expect_data(200);
    let workout_entries = ledger["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["event_type"] == "workout_logged")
        .count();
    assert_eq!(workout_entries, 1);

    // A correction keeps what logging earned.
    let id = first.json()["data"]["id"].as_str().expect("id").to_owned();
    let patched = me
        .write(
            "PATCH",
            &format!("/api/workouts/{id}"),
            Some(&json!({"duration_minutes": 600})),
            None,
        )
        .expect_data(200);
    assert_eq!(patched["duration_minutes"], 600);
    assert_eq!(
        me.client.get("/api/progress").expect_data(200)["skills"]["fitness"]["xp"],
        40
    );
}

#[test]
fn finishing_a_book_awards_once_however_often_it_moves() {
    let mut me = Owner::new("book");
    let book = me.create("/api/books", &json!({"title": "Middlemarch", "pages": 880}));
    assert_eq!(book["status"], "want_to_read");
    assert!(book["award"].is_null());
    let item = format!("/api/books/{}", book["id"].as_str().expect("id"));
    let reading = me
        .write(
            "PATCH",
            &item,
            Some(&json!({"status": "reading", "started_on": "2026-10-01"})),
            None,
        )
        .expect_data(200);
    assert!(reading["award"].is_null());
    let finished = me
        .write(
            "PATCH",
            &item,
            Some(&json!({"status": "finished", "rating": 5})),
            None,
        )
        .expect_data(200);
    assert_eq!(finished["status"], "finished");
    assert_eq!(
        (
            finished["award"]["xp"].as_i64(),
            finished["award"]["coins"].as_i64()
        ),
        (Some(100), Some(20))
    );
    for status in ["reading", "finished", "abandoned", "finished"] {
        let moved = me
            .write("PATCH", &item, Some(&json!({"status": status})), None)
            .expect_data(200);
        assert!(moved["award"].is_null(), "{status}");
    }
    me.write(
        "PATCH",
        &item,
        Some(&json!({"finished_on": "2026-09-30"})),
        None,
    )
    .expect_error(400, "bad_request");

    let read_before = me.create(
        "/api/books",
        &json!({"title": "Emma", "status": "finished", "finished_on": "2026-05-01"}),
    );
    assert_eq!(read_before["award"]["xp"], 100);
    let progress = me.client.get("/api/progress").expect_data(200);
    assert_eq!(
        (progress["xp"].as_i64(), progress["coins"].as_i64()),
        (Some(200), Some(40))
    );
    assert_eq!(progress["skills"]["learning"]["xp"], 200);
}
