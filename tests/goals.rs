//! Goals end to end: CRUD and validation, ownership, soft delete and restore, pagination while
//! items are added, completion awarding exactly once, Idempotency-Key replays.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{Value, json};
use support::Owner;

fn owner(label: &str) -> Owner {
    Owner::new(label)
}

fn goal(title: &str) -> Value {
    json!({"title": title, "category": "learning"})
}

#[test]
fn a_goal_is_created_read_changed_and_listed() {
    let mut me = owner("goal-crud");
    let created = me.create(
        "/api/goals",
        &json!({"title": "  Read 12 books ", "description": "one a month", "category": "learning",
                                    "target_date": "2027-01-01", "metadata": {"color": "teal"}}),
    );
    assert_eq!(created["title"], "Read 12 books");
    assert_eq!(created["status"], "active");
    assert_eq!(created["is_active"], true);
    assert!(created["deleted_at"].is_null() && created["completed_at"].is_null());
    assert_eq!(created["metadata"], json!({"color": "teal"}));
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(
        me.client.get(&format!("/api/goals/{id}")).expect_data(200),
        created
    );

    let patched = me
        .write(
            "PATCH",
            &format!("/api/goals/{id}"),
            Some(&json!({"title": "Read 10 books", "target_date": null})),
            None,
        )
        .expect_data(200);
    assert_eq!(patched["title"], "Read 10 books");
    assert!(patched["target_date"].is_null());
    assert_eq!(
        patched["description"], "one a month",
        "untouched fields stay"
    );
    let listed = me.client.get("/api/goals").expect_data(200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["items"][0]["title"], "Read 10 books");
}

#[test]
fn bad_goals_are_400_naming_the_field() {
    let mut me = owner("goal-bad");
    for (body, field) in [
        (json!({"category": "learning"}), "title"),
        (json!({"title": "", "category": "learning"}), "title"),
        (
            json!({"title": "x".repeat(201), "category": "learning"}),
            "title",
        ),
        (json!({"title": "x", "category": "cooking"}), "category"),
        (
            json!({"title": "x", "category": "learning", "description": "d".repeat(5001)}),
            "description",
        ),
        (
            json!({"title": "x", "category": "learning", "status": "completed"}),
            "status",
        ),
        (
            json!({"title": "x", "category": "learning", "target_date": "tomorrow"}),
            "target_date",
        ),
        (
            json!({"title": "x", "category": "learning", "metadata": "notes"}),
            "metadata",
        ),
        (
            json!({"title": "x", "category": "learning", "metadata": {"k": "v".repeat(9000)}}),
            "metadata",
        ),
        (
            json!({"title": "x", "category": "learning", "id": "01900000-0000-4000-8000-000000000000"}),
            "id",
        ),
    ] {
        let error = me
            .write("POST", "/api/goals", Some(&body), None)
            .expect_error(400, "bad_request");
        let fields = error["fields"].as_object().cloned().unwrap_or_default();
        assert!(
            fields.keys().any(|k| k.starts_with(field)),
            "{body}: {error}"
        );
    }
    let id = me.create("/api/goals", &goal("ok"))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for body in [
        json!({"status": "completed"}),
        json!({"is_active": false}),
        json!({"created_at": "2020-01-01T00:00:00Z"}),
    ] {
        me.write("PATCH", &format!("/api/goals/{id}"), Some(&body), None)
            .expect_error(400, "bad_request");
    }
    me.client
        .get("/api/goals/not-a-uuid")
        .expect_error(400, "bad_request");
    me.client
        .get("/api/goals?limit=0")
        .expect_error(400, "bad_request");
}

#[test]
fn another_users_goal_is_404_on_every_route() {
    let mut me = owner("goal-mine");
    let mut other = owner("goal-theirs");
    let id = me.create("/api/goals", &goal("private"))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/api/goals/{id}");
    other.client.get(&path).expect_error(404, "not_found");
    other
        .write("PATCH", &path, Some(&json!({"title": "mine now"})), None)
        .expect_error(404, "not_found");
    other
        .write("DELETE", &path, None, None)
        .expect_error(404, "not_found");
    other
        .write("POST", &format!("{path}/restore"), None, None)
        .expect_error(404, "not_found");
    other
        .write("POST", &format!("{path}/complete"), None, None)
        .expect_error(404, "not_found");
    assert_eq!(
        other.client.get("/api/goals").expect_data(200)["items"],
        json!([])
    );
    assert_eq!(me.client.get(&path).expect_data(200)["title"], "private");
}

#[test]
fn a_deleted_goal_is_archived_until_restored() {
    let mut me = owner("goal-archive");
    let id = me.create("/api/goals", &goal("someday"))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/api/goals/{id}");
    assert_eq!(me.write("DELETE", &path, None, None).status, 204);
    assert_eq!(
        me.write("DELETE", &path, None, None).status,
        204,
        "deleting twice is harmless"
    );
    assert_eq!(
        me.client.get("/api/goals").expect_data(200)["items"],
        json!([])
    );
    let archived = me.client.get("/api/goals/archived").expect_data(200);
    assert_eq!(archived["items"][0]["id"], id.as_str());
    assert_eq!(archived["items"][0]["is_active"], false);
    assert!(archived["items"][0]["deleted_at"].is_string());
    me.write("PATCH", &path, Some(&json!({"title": "x"})), None)
        .expect_error(404, "not_found");
    me.write("POST", &format!("{path}/complete"), None, None)
        .expect_error(404, "not_found");

    let restored = me
        .write("POST", &format!("{path}/restore"), None, None)
        .expect_data(200);
    assert_eq!(restored["is_active"], true);
    assert!(restored["deleted_at"].is_null());
    assert_eq!(
        me.client.get("/api/goals").expect_data(200)["items"][0]["id"],
        id.as_str()
    );
}

#[test]
fn pages_have_no_gaps_or_duplicates_while_goals_are_added() {
    let mut me = owner("goal-pages");
    for n in 0..5 {
        me.create("/api/goals", &goal(&format!("goal {n}")));
    }
    let mut seen = Vec::new();
    let mut path = "/api/goals?limit=2".to_owned();
    let mut added = 0;
    loop {
        let page = me.client.get(&path).expect_data(200);
        seen.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|g| g["title"].as_str().unwrap_or("").to_owned()),
        );
        if added < 2 {
            me.create("/api/goals", &goal(&format!("late {added}")));
            added += 1;
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/goals?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    for n in 0..5 {
        assert!(
            seen.contains(&format!("goal {n}")),
            "goal {n} was skipped: {seen:?}"
        );
    }
}

#[test]
fn completing_a_goal_awards_once_and_counts_to_its_skill() {
    let mut me = owner("goal-complete");
    let id = me.create(
        "/api/goals",
        &json!({"title": "Ship it", "category": "productivity"}),
    )["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/api/goals/{id}/complete");
    let first = me.write("POST", &path, None, None).expect_data(200);
    assert_eq!(first["status"], "completed");
    assert!(first["completed_at"].is_string());
    assert_eq!(first["already_completed"], false);
    let award = &first["award"];
    assert_eq!(
        (award["xp"].as_i64(), award["coins"].as_i64()),
        (Some(50), Some(10))
    );
    assert_eq!(
        award["achievements"],
        json!([{"id": "first_goal", "xp": 10, "coins": 5}])
    );

    let again = me.write("POST", &path, None, None).expect_data(200);
    assert_eq!(again["already_completed"], true);
    assert!(again["award"].is_null());
    let progress = me.client.get("/api/progress").expect_data(200);
    assert_eq!(
        (progress["xp"].as_i64(), progress["coins"].as_i64()),
        (Some(60), Some(15))
    );
    assert_eq!(progress["skills"]["productivity"]["xp"], 50);
}

#[test]
fn concurrent_completions_award_exactly_once() {
    let mut me = owner("goal-race");
    let id = me.create("/api/goals", &goal("race"))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/api/goals/{id}/complete");
    // No Idempotency-Key: every request reaches the award, and only the award's own key (the
    // goal's id) keeps it to one.
    let replies = me.concurrently(24, "POST", &path, None, &[]);
    assert!(
        replies.iter().all(|r| r.status == 200),
        "{:?}",
        replies.iter().find(|r| r.status != 200)
    );
    let progress = me.client.get("/api/progress").expect_data(200);
    assert_eq!(
        progress["coins"], 15,
        "50 XP + 10 coins once, plus first_goal's 5 coins"
    );
    let ledger = me.client.get("/api/ledger?currency=coins").expect_data(200);
    assert_eq!(ledger["items"].as_array().map(Vec::len), Some(2));
}

#[test]
fn an_abandoned_goal_cannot_be_completed() {
    let mut me = owner("goal-abandoned");
    let id = me.create(
        "/api/goals",
        &json!({"title": "x", "category": "social", "status": "abandoned"}),
    )["id"]
        .as_str()
        .expect("id")
        .to_owned();
    me.write("POST", &format!("/api/goals/{id}/complete"), None, None)
        .expect_error(409, "conflict");
    me.write(
        "PATCH",
        &format!("/api/goals/{id}"),
        Some(&json!({"status": "active"})),
        None,
    )
    .expect_data(200);
    me.write("POST", &format!("/api/goals/{id}/complete"), None, None)
        .expect_data(200);
}

#[test]
fn an_idempotency_key_creates_once_and_replays_the_first_response() {
    let mut me = owner("goal-idem");
    let body = goal("once");
    let first = me.write("POST", "/api/goals", Some(&body), Some("create-once"));
    let again = me.write("POST", "/api/goals", Some(&body), Some("create-once"));
    assert_eq!(first.status, 201);
    assert_eq!(again.status, 201);
    assert_eq!(
        first.text, again.text,
        "the replay is the first response, byte for byte"
    );
    assert_eq!(
        me.client.get("/api/goals").expect_data(200)["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    me.write(
        "POST",
        "/api/goals",
        Some(&goal("other")),
        Some("create-once"),
    )
    .expect_error(409, "idempotency_conflict");
}
