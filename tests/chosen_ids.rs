//! Ids a client chooses on creation: the item takes it, a repeat answers the first response, a
//! taken id is a conflict, and an offline queue creates an item and acts on it in one push.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use support::{Owner, ledger};

/// A UUIDv7 of now, as a client makes one (its random part unique to this run).
fn v7() -> String {
    static MADE: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&MADE.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    random[8..].copy_from_slice(&(now.subsec_nanos() as u16).to_be_bytes());
    random[0] ^= std::process::id() as u8;
    uuid::Builder::from_unix_timestamp_millis(now.as_millis() as u64, &random)
        .into_uuid()
        .hyphenated()
        .to_string()
}

fn kinds() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/api/goals",
            json!({"title": "Sail", "category": "fitness"}),
        ),
        (
            "/api/habits",
            json!({"title": "Stretch", "category": "health", "frequency": "daily"}),
        ),
        (
            "/api/quests",
            json!({"title": "Fix the bike", "category": "productivity",
                   "deadline": "2099-01-01T00:00:00Z", "reward": {"xp": 5, "coins": 1}}),
        ),
        (
            "/api/workouts",
            json!({"name": "Row", "duration_minutes": 20, "intensity": "low"}),
        ),
        (
            "/api/books",
            json!({"title": "Dune", "author": "Frank Herbert"}),
        ),
    ]
}

fn with_id(body: &Value, id: &str) -> Value {
    let mut body = body.clone();
    body["id"] = json!(id);
    body
}

#[test]
fn every_kind_takes_the_id_its_client_chose_and_answers_a_repeat_with_the_first_response() {
    let mut me = Owner::new("chosen");
    for (path, body) in kinds() {
        let id = v7();
        let first = me.create(path, &with_id(&body, &id));
        assert_eq!(first["id"], id.as_str(), "{path}");
        let read = me.client.get(&format!("{path}/{id}")).expect_data(200);
        assert_eq!(read["id"], id.as_str(), "{path}");
        // A retry after a lost response: the same body again, no Idempotency-Key.
        let again = me.create(path, &with_id(&body, &id));
        assert_eq!(again, first, "{path}");
        let listed = me.client.get(path).expect_data(200);
        let copies = listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|item| item["id"] == id.as_str())
            .count();
        assert_eq!(copies, 1, "{path}");
    }
}

#[test]
fn a_taken_id_is_a_conflict_for_another_body_and_for_another_user() {
    let mut me = Owner::new("chosen-taken");
    let mut other = Owner::new("chosen-other");
    let id = v7();
    let habit = json!({"title": "Read", "category": "learning", "frequency": "daily"});
    me.create("/api/habits", &with_id(&habit, &id));

    let changed = json!({"title": "Write", "category": "learning", "frequency": "daily"});
    me.write("POST", "/api/habits", Some(&with_id(&changed, &id)), None)
        .expect_error(409, "idempotency_conflict");
    let refused = other
        .write("POST", "/api/habits", Some(&with_id(&habit, &id)), None)
        .expect_error(409, "conflict");
    assert_eq!(refused["fields"]["id"], "is taken");
    // Under a key of its own the insert itself decides.
    me.write(
        "POST",
        "/api/habits",
        Some(&with_id(&habit, &id)),
        Some("k1"),
    )
    .expect_error(409, "conflict");
    // The other user cannot read the item through the conflict.
    other
        .client
        .get(&format!("/api/habits/{id}"))
        .expect_error(404, "not_found");
    let title = me.client.get(&format!("/api/habits/{id}")).expect_data(200)["title"].clone();
    assert_eq!(title, "Read");
}

#[test]
fn a_reward_takes_a_chosen_id_once() {
    let mut me = Owner::new("chosen-reward");
    let id = v7();
    let reward = json!({"id": id, "title": "Cinema", "cost": 30});
    let first = me.create("/api/rewards", &reward);
    assert_eq!(first["id"], id.as_str());
    assert_eq!(me.create("/api/rewards", &reward), first);
    let other = json!({"id": id, "title": "Cake", "cost": 5});
    me.write("POST", "/api/rewards", Some(&other), None)
        .expect_error(409, "idempotency_conflict");
    let taken = me
        .write("POST", "/api/rewards", Some(&other), Some("fresh-key"))
        .expect_error(409, "conflict");
    assert_eq!(taken["fields"]["id"], "is taken");
    let shop = me.client.get("/api/rewards").expect_data(200);
    assert_eq!(shop["items"].as_array().map(Vec::len), Some(1), "{shop}");
}

#[test]
fn a_chosen_id_must_be_a_lowercase_uuid_v7() {
    let mut me = Owner::new("chosen-bad");
    let habit = json!({"title": "Read", "category": "learning", "frequency": "daily"});
    let v4 = uuid::Uuid::from_u128(0x0190_0000_0000_4000_8000_0000_0000_0000).to_string();
    for bad in [
        json!(v4),
        json!(v7().to_uppercase()),
        json!("x"),
        json!(7),
        json!(null),
    ] {
        let mut body = habit.clone();
        body["id"] = bad.clone();
        let error = me
            .write("POST", "/api/habits", Some(&body), None)
            .expect_error(400, "bad_request");
        assert!(error["fields"]["id"].is_string(), "{bad}: {error}");
    }
}

#[test]
fn an_offline_queue_creates_a_habit_and_completes_it_in_one_push_once() {
    let mut me = Owner::new("chosen-push");
    let id = v7();
    let operations = json!({"operations": [
        {"idempotency_key": format!("create-{id}"), "method": "POST", "path": "/api/habits",
         "body": {"id": id, "title": "Floss", "category": "health", "frequency": "daily"}},
        {"idempotency_key": format!("complete-{id}"), "method": "POST",
         "path": format!("/api/habits/{id}/complete"), "body": null},
    ]});
    let first = me
        .write("POST", "/api/sync/push", Some(&operations), None)
        .expect_data(200);
    let statuses: Vec<_> = first["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|result| result["status"].as_u64())
        .collect();
    assert_eq!(statuses, [Some(201), Some(200)], "{first}");
    assert_eq!(first["results"][1]["body"]["data"]["award"]["xp"], 10);

    // The queue sends it again (the first answer was lost): nothing lands twice.
    let replayed = me
        .write("POST", "/api/sync/push", Some(&operations), None)
        .expect_data(200);
    assert_eq!(replayed, first);
    let habit = me.client.get(&format!("/api/habits/{id}")).expect_data(200);
    assert_eq!(habit["completed_today"], true);
    let awards = ledger(&mut me.client, "xp")
        .into_iter()
        .filter(|row| row["source_id"] == id.as_str() && row["event_type"] == "habit_completed")
        .count();
    assert_eq!(awards, 1);
}
