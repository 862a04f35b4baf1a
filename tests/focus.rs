//! Focus sessions end to end: the state machine over HTTP, focused time without pauses and
//! capped, no reward under 5 minutes, the automatic end of a forgotten session (exactly once),
//! links to the user's own items, one active session under concurrent starts, history and stats.
//! Timing runs on the worker's dev clock (`X-Dev-Now`), plus one short real pause.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Owner, Reply};

const T0: &str = "2026-05-04T08:00:00Z";

/// `minutes` after T0, on the dev clock.
fn at(minutes: i64) -> String {
    let t0 = chrono::DateTime::parse_from_rfc3339(T0).expect("T0");
    (t0 + chrono::Duration::minutes(minutes))
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn focus(me: &mut Owner, action: &str, body: Option<&Value>, minute: i64) -> Reply {
    me.write_with(
        "POST",
        &format!("/api/focus/{action}"),
        body,
        &[("x-dev-now", &at(minute))],
    )
}

fn start(me: &mut Owner, planned: u32, minute: i64) -> Value {
    focus(
        me,
        "start",
        Some(&json!({"planned_minutes": planned})),
        minute,
    )
    .expect_data(201)
}

fn progress(me: &mut Owner) -> (i64, i64) {
    let progress = me.client.get("/api/progress").expect_data(200);
    (
        progress["xp"].as_i64().unwrap_or(-1),
        progress["coins"].as_i64().unwrap_or(-1),
    )
}

#[test]
fn a_session_moves_through_its_states_and_wrong_moves_are_409() {
    let mut me = Owner::new("focus-states");
    for action in ["pause", "resume", "end"] {
        focus(&mut me, action, None, 0).expect_error(404, "not_found");
    }
    let session = start(&mut me, 25, 0);
    assert_eq!(session["status"], "running");
    assert_eq!(session["mode"], "focus");
    assert_eq!(session["started_at"], at(0));
    focus(&mut me, "start", Some(&json!({"planned_minutes": 10})), 1)
        .expect_error(409, "focus_session_active");
    focus(&mut me, "resume", None, 1).expect_error(409, "conflict");
    let paused = focus(&mut me, "pause", None, 10).expect_data(200);
    assert_eq!(paused["status"], "paused");
    focus(&mut me, "pause", None, 11).expect_error(409, "conflict");
    let active = me
        .write_with("GET", "/api/focus/active", None, &[("x-dev-now", &at(15))])
        .expect_data(200);
    assert_eq!(
        (
            active["status"].as_str(),
            active["focused_minutes"].as_i64()
        ),
        (Some("paused"), Some(10))
    );
    let resumed = focus(&mut me, "resume", None, 20).expect_data(200);
    assert_eq!(resumed["status"], "running");
    assert_eq!(resumed["paused_seconds"], 600);
    // 10 minutes before the pause and 15 after it: 25 focused minutes, 25 XP and 2 coins.
    let ended = focus(&mut me, "end", None, 35).expect_data(200);
    assert_eq!(ended["status"], "completed");
    assert_eq!(ended["focused_minutes"], 25);
    assert_eq!(ended["ended_at"], at(35));
    assert!(ended["auto_ends_at"].is_null());
    assert_eq!(
        (
            ended["award"]["xp"].as_i64(),
            ended["award"]["coins"].as_i64()
        ),
        (Some(25), Some(2))
    );
    assert_eq!(progress(&mut me), (25, 2));
    assert_eq!(
        me.client.get("/api/progress").expect_data(200)["skills"]["productivity"]["xp"],
        25
    );
    focus(&mut me, "end", None, 36).expect_error(404, "not_found");
    assert!(
        me.client
            .get("/api/focus/active")
            .expect_data(200)
            .is_null()
    );
}

#[test]
fn focused_time_is_capped_short_sessions_earn_nothing_and_abandoning_earns_nothing() {
    let mut me = Owner::new("focus-rules");
    start(&mut me, 30, 0);
    let overrun = focus(&mut me, "end", None, 55).expect_data(200);
    assert_eq!(overrun["focused_minutes"], 33, "30 planned + 10 %");
    assert_eq!(overrun["award"]["xp"], 33);

    start(&mut me, 60, 100);
    let at_once = focus(&mut me, "end", None, 104).expect_data(200);
    assert_eq!(at_once["focused_minutes"], 4);
    assert!(at_once["award"].is_null(), "under 5 minutes earns nothing");

    start(&mut me, 60, 200);
    let abandoned = focus(&mut me, "end", Some(&json!({"abandon": true})), 250).expect_data(200);
    assert_eq!(abandoned["status"], "abandoned");
    assert!(abandoned["award"].is_null());

    let rest = focus(
        &mut me,
        "start",
        Some(&json!({"planned_minutes": 15, "mode": "break"})),
        300,
    )
    .expect_data(201);
    assert_eq!(rest["mode"], "break");
    assert!(focus(&mut me, "end", None, 315).expect_data(200)["award"].is_null());
    assert_eq!(progress(&mut me).0, 33);
    focus(&mut me, "end", Some(&json!({"abandon": "yes"})), 316).expect_error(400, "bad_request");
}

#[test]
fn a_forgotten_session_ends_by_itself_once() {
    let mut me = Owner::new("focus-forgotten");
    start(&mut me, 25, 0);
    // Seen an hour later: it ended at 50 minutes, paid on the capped 27.
    let seen = me.concurrently(
        4,
        "GET",
        "/api/focus/active",
        None,
        &[("x-dev-now", &at(60))],
    );
    for reply in &seen {
        assert!(reply.expect_data(200).is_null(), "{}", reply.text);
    }
    let history = me.client.get("/api/focus").expect_data(200);
    let ended = &history["items"][0];
    assert_eq!(ended["status"], "completed");
    assert_eq!(ended["ended_at"], at(50));
    assert_eq!(ended["focused_minutes"], 27);
    assert_eq!(progress(&mut me), (27, 2));
    let ledger = me.client.get("/api/ledger?currency=xp").expect_data(200);
    assert_eq!(
        ledger["items"].as_array().map(Vec::len),
        Some(1),
        "awarded once"
    );
    // A new session may start at once.
    start(&mut me, 10, 61);
}

#[test]
fn a_real_pause_is_not_focused_time() {
    let mut me = Owner::new("focus-real-pause");
    me.write(
        "POST",
        "/api/focus/start",
        Some(&json!({"planned_minutes": 5})),
        None,
    )
    .expect_data(201);
    me.write("POST", "/api/focus/pause", None, None)
        .expect_data(200);
    std::thread::sleep(Duration::from_millis(1_500));
    let resumed = me
        .write("POST", "/api/focus/resume", None, None)
        .expect_data(200);
    let paused = resumed["paused_seconds"].as_i64().unwrap_or(-1);
    assert!((1..=30).contains(&paused), "paused {paused} s");
    let ended = me
        .write("POST", "/api/focus/end", None, None)
        .expect_data(200);
    assert_eq!(ended["focused_minutes"], 0);
    assert!(ended["award"].is_null());
}

#[test]
fn sessions_link_only_the_users_own_items() {
    let mut me = Owner::new("focus-links");
    let mut other = Owner::new("focus-links-other");
    let habit = me.create(
        "/api/habits",
        &json!({"title": "Deep work", "category": "learning"}),
    );
    let foreign = other.create(
        "/api/goals",
        &json!({"title": "Theirs", "category": "finance"}),
    );
    for (field, id) in [
        ("goal_id", foreign["id"].clone()),
        ("audio_id", json!("01a213e4-c2ce-7bc3-9696-c4d01d35c4f4")),
    ] {
        focus(
            &mut me,
            "start",
            Some(&json!({"planned_minutes": 20, field: id})),
            0,
        )
        .expect_error(404, "not_found");
    }
    focus(
        &mut me,
        "start",
        Some(&json!({"planned_minutes": 20, "goal_id": "nope"})),
        0,
    )
    .expect_error(400, "bad_request");
    let linked = focus(
        &mut me,
        "start",
        Some(&json!({"planned_minutes": 20, "habit_id": habit["id"]})),
        0,
    )
    .expect_data(201);
    assert_eq!(linked["habit_id"], habit["id"]);
    focus(&mut me, "end", None, 20).expect_data(200);
    let csrf = me.csrf.clone();
    let track = me
        .client
        .send(
            "POST",
            "/api/audio?title=rain",
            &[("content-type", "audio/ogg"), ("x-csrf-token", &csrf)],
            Some(b"OggS\x00\x02\x00\x00\x00\x00\x00\x00 rain"),
        )
        .expect_data(201);
    let with_sound = focus(
        &mut me,
        "start",
        Some(&json!({"planned_minutes": 20, "mode": "break", "audio_id": track["id"]})),
        30,
    )
    .expect_data(201);
    assert_eq!(with_sound["audio_id"], track["id"]);
    focus(&mut me, "end", None, 35).expect_data(200);
    let progress = me.client.get("/api/progress").expect_data(200);
    assert_eq!(
        progress["skills"]["learning"]["xp"], 20,
        "the linked habit's skill"
    );
}

#[test]
fn concurrent_starts_leave_one_active_session() {
    let mut me = Owner::new("focus-race");
    let replies = me.concurrently(
        12,
        "POST",
        "/api/focus/start",
        Some(&json!({"planned_minutes": 25})),
        &[],
    );
    let started = replies.iter().filter(|r| r.status == 201).count();
    let refused = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!(
        (started, refused),
        (1, 11),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let history = me.client.get("/api/focus").expect_data(200);
    assert_eq!(history["items"].as_array().map(Vec::len), Some(1));
}

#[test]
fn stats_count_focused_minutes_per_local_day() {
    let mut me = Owner::new("focus-stats");
    me.write_with(
        "PATCH",
        "/api/settings",
        Some(&json!({"timezone": "America/New_York"})),
        &[],
    )
    .expect_data(200);
    // 08:00Z is 04:00 in New York (EDT): the 4th there. 23:00 local on the 4th is 03:00Z on the 5th.
    start(&mut me, 30, 0);
    focus(&mut me, "end", None, 30).expect_data(200);
    start(&mut me, 20, 19 * 60);
    focus(&mut me, "end", None, 19 * 60 + 20).expect_data(200);
    start(&mut me, 45, 24 * 60);
    focus(&mut me, "end", None, 24 * 60 + 45).expect_data(200);
    let stats = me
        .write_with(
            "GET",
            "/api/focus/stats?days=3",
            None,
            &[("x-dev-now", &at(25 * 60))],
        )
        .expect_data(200);
    assert_eq!(stats["from"], "2026-05-03");
    assert_eq!(stats["to"], "2026-05-05");
    assert_eq!(stats["total_focused_minutes"], 95);
    assert_eq!(stats["sessions"], 3);
    assert_eq!(
        stats["per_day"],
        json!([
            {"date": "2026-05-03", "focused_minutes": 0, "sessions": 0},
            {"date": "2026-05-04", "focused_minutes": 50, "sessions": 2},
            {"date": "2026-05-05", "focused_minutes": 45, "sessions": 1},
        ])
    );
    for days in ["0", "366", "x"] {
        me.client
            .get(&format!("/api/focus/stats?days={days}"))
            .expect_error(400, "bad_request");
    }
}

#[test]
fn history_pages_newest_first() {
    let mut me = Owner::new("focus-history");
    for n in 0..3 {
        start(&mut me, 10, n * 100);
        focus(&mut me, "end", None, n * 100 + 10).expect_data(200);
    }
    let first = me.client.get("/api/focus?limit=2").expect_data(200);
    let items = first["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["started_at"], at(200));
    let cursor = first["next_cursor"].as_str().expect("cursor").to_owned();
    let rest = me
        .client
        .get(&format!("/api/focus?limit=2&cursor={cursor}"))
        .expect_data(200);
    assert_eq!(rest["items"][0]["started_at"], at(0));
    assert!(rest["next_cursor"].is_null());
    let mut stranger = Owner::new("focus-history-stranger");
    assert_eq!(
        stranger.client.get("/api/focus").expect_data(200)["items"],
        json!([])
    );
}
