//! One account cannot fill the database: per-user quotas checked inside the write (concurrent
//! creations cannot overrun them), and a Cron Trigger that removes what has expired and compacts
//! the change log, answering a cursor from before the compaction with `410 sync_reset`.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::sync::OnceLock;

use serde_json::{Value, json};
use support::{Owner, Worker, WorkerOptions, unique_email};

fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let mut options = WorkerOptions::default();
        options.vars.extend([
            ("ITEM_QUOTA_PER_KIND".into(), "3".into()),
            ("TOKEN_QUOTA".into(), "2".into()),
            ("CHANGE_LOG_RETENTION_DAYS".into(), "1".into()),
        ]);
        Worker::start("quotas", options)
    })
}

fn owner(label: &str) -> Owner {
    Owner::on(worker(), &unique_email(label))
}

fn goal(n: usize) -> Value {
    json!({"title": format!("goal {n}"), "category": "learning"})
}

#[test]
fn items_of_a_kind_stop_at_the_quota_deleted_ones_included() {
    let mut me = owner("item-quota");
    let first = me.create("/api/goals", &goal(0));
    me.create("/api/goals", &goal(1));
    me.create("/api/goals", &goal(2));
    let refused = me
        .write("POST", "/api/goals", Some(&goal(3)), None)
        .expect_error(409, "quota_exceeded");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("ITEM_QUOTA_PER_KIND") && m.contains('3')),
        "{refused}"
    );
    let path = format!("/api/goals/{}", first["id"].as_str().expect("id"));
    assert_eq!(me.write("DELETE", &path, None, None).status, 204);
    me.write("POST", "/api/goals", Some(&goal(4)), Some("key-1"))
        .expect_error(409, "quota_exceeded");
    // Another kind has its own quota; nothing was half-written.
    me.create("/api/books", &json!({"title": "b"}));
    let archived = me.client.get("/api/goals/archived").expect_data(200);
    let listed = me.client.get("/api/goals").expect_data(200);
    let total = archived["items"].as_array().map_or(0, Vec::len)
        + listed["items"].as_array().map_or(0, Vec::len);
    assert_eq!(total, 3);
}

#[test]
fn concurrent_creations_never_overrun_the_quota() {
    let me = owner("quota-race");
    let replies = me.concurrently(
        8,
        "POST",
        "/api/habits",
        Some(&json!({"title": "h", "category": "health"})),
        &[],
    );
    let created = replies.iter().filter(|reply| reply.status == 201).count();
    let refused = replies
        .iter()
        .filter(|reply| reply.status == 409 && reply.text.contains("quota_exceeded"))
        .count();
    assert_eq!((created, refused), (3, 5), "{replies:?}");
}

#[test]
fn live_tokens_and_focus_sessions_have_quotas_too() {
    let mut me = owner("token-quota");
    let first = me.create("/api/tokens", &json!({"name": "a"}));
    me.create("/api/tokens", &json!({"name": "b"}));
    me.write("POST", "/api/tokens", Some(&json!({"name": "c"})), None)
        .expect_error(409, "quota_exceeded");
    let path = format!("/api/tokens/{}", first["id"].as_str().expect("id"));
    assert_eq!(me.write("DELETE", &path, None, None).status, 204);
    me.create("/api/tokens", &json!({"name": "c"}));

    for _ in 0..3 {
        me.create("/api/focus/start", &json!({"planned_minutes": 5}));
        me.write("POST", "/api/focus/end", None, None)
            .expect_data(200);
    }
    me.write(
        "POST",
        "/api/focus/start",
        Some(&json!({"planned_minutes": 5})),
        None,
    )
    .expect_error(409, "quota_exceeded");
}

fn poll(me: &mut Owner, cursor: &Value) -> support::Reply {
    me.write(
        "POST",
        "/api/sync/poll",
        Some(&json!({ "cursor": cursor })),
        None,
    )
}

#[test]
fn the_cron_trigger_removes_what_has_expired_and_compacts_the_log() {
    let mut me = owner("compaction");
    let user = me.client.get("/api/auth/session").expect_data(200)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    me.write(
        "POST",
        "/api/books",
        Some(&json!({"title": "kept"})),
        Some("old-key"),
    )
    .expect_data(201);
    let first = poll(&mut me, &Value::Null).expect_data(200);
    assert_eq!(first["has_more"], false);
    let old_cursor = first["cursor"].clone();
    me.create("/api/books", &json!({"title": "later"}));
    worker().d1(&format!(
        "update change_log set created_at = '2000-01-01T00:00:00.000Z' where user_id = '{user}';
         update idempotent_responses set created_at = '2000-01-01T00:00:00.000Z' where user_id = '{user}'"
    ));
    worker().run_scheduled();
    let left = worker().d1(&format!(
        "select (select count(*) from change_log where user_id = '{user}') as log,
                (select count(*) from idempotent_responses where user_id = '{user}') as replies"
    ));
    assert_eq!(
        (left[0]["log"].as_i64(), left[0]["replies"].as_i64()),
        (Some(0), Some(0))
    );

    let reset = poll(&mut me, &old_cursor).expect_error(410, "sync_reset");
    assert!(
        reset["message"]
            .as_str()
            .is_some_and(|m| m.contains("null cursor"))
    );
    let fresh = poll(&mut me, &Value::Null).expect_data(200);
    let titles: Vec<&str> = fresh["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|change| change["data"]["title"].as_str())
        .collect();
    assert!(
        titles.contains(&"kept") && titles.contains(&"later"),
        "{fresh}"
    );
    // The next change after the compaction is polled as ever.
    let cursor = fresh["cursor"].clone();
    me.create("/api/books", &json!({"title": "after"}));
    let next = poll(&mut me, &cursor).expect_data(200);
    assert_eq!(next["changes"][0]["data"]["title"], "after");
}
