//! Sync polling end to end: a first full copy of every kind of item, then deltas for every entity
//! and op, paging with `has_more`, writes while paging lose nothing, users see only their own
//! changes, and forged or foreign cursors are refused.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use support::Owner;

fn poll(me: &mut Owner, cursor: &Value, limit: u32) -> Value {
    me.write(
        "POST",
        "/api/sync/poll",
        Some(&json!({"cursor": cursor, "limit": limit})),
        None,
    )
    .expect_data(200)
}

/// Polls from `cursor` until `has_more` is false; the changes in order and the last cursor.
fn drain(me: &mut Owner, cursor: Value, limit: u32) -> (Vec<Value>, Value) {
    let mut cursor = cursor;
    let mut changes = Vec::new();
    for _ in 0..200 {
        let page = poll(me, &cursor, limit);
        assert!(page["progress"]["level"].is_number(), "{page}");
        assert!(
            page["server_time"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
        let items = page["changes"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= limit as usize);
        changes.extend(items);
        cursor = page["cursor"].clone();
        if page["has_more"] == false {
            return (changes, cursor);
        }
    }
    panic!("the poll never ended");
}

/// A new device learns a small account in one poll: a page fills across entities, and once the
/// copy is done the log follows in the same page.
#[test]
fn a_first_poll_fills_its_page_across_entities() {
    let mut me = Owner::new("sync-one-page");
    let goal = me.create("/api/goals", &json!({"title": "g", "category": "health"}));
    let habit = me.create("/api/habits", &json!({"title": "h", "category": "health"}));
    let book = me.create("/api/books", &json!({"title": "b"}));
    let page = poll(&mut me, &Value::Null, 100);
    assert_eq!(page["has_more"], false, "{page}");
    let ids: BTreeSet<&str> = page["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|change| change["id"].as_str())
        .collect();
    for item in [&goal, &habit, &book] {
        assert!(ids.contains(item["id"].as_str().expect("id")), "{page}");
    }
    // Pages of 2 are full until the copy ends: never one entity per page.
    let first = poll(&mut me, &Value::Null, 2);
    assert_eq!(
        first["changes"].as_array().map(Vec::len),
        Some(2),
        "{first}"
    );
    assert_eq!(first["has_more"], true);
    let (rest, cursor) = drain(&mut me, first["cursor"].clone(), 2);
    assert!(rest.len() >= 2, "the other items follow: {rest:?}");
    let quiet = poll(&mut me, &cursor, 100);
    assert_eq!(quiet["changes"], json!([]), "{quiet}");
}

fn upload_track(me: &mut Owner) -> Value {
    let csrf = me.csrf.clone();
    me.client
        .send(
            "POST",
            "/api/audio?title=waves",
            &[("content-type", "audio/flac"), ("x-csrf-token", &csrf)],
            Some(b"fLaC\x00\x00\x00\x22\x10\x00\x10\x00 waves"),
        )
        .expect_data(201)
}

#[test]
fn a_first_poll_copies_everything_then_deltas_follow() {
    let mut me = Owner::new("sync-copy");
    me.write(
        "PATCH",
        "/api/settings",
        Some(&json!({"theme": "dark"})),
        None,
    )
    .expect_data(200);
    let goal = me.create("/api/goals", &json!({"title": "g", "category": "health"}));
    let habit = me.create("/api/habits", &json!({"title": "h", "category": "health"}));
    let quest = me.create(
        "/api/quests",
        &json!({"title": "q", "category": "social", "deadline": "2099-01-01T00:00:00Z", "reward": {"xp": 1, "coins": 1}}),
    );
    let workout = me.create(
        "/api/workouts",
        &json!({"name": "w", "duration_minutes": 20}),
    );
    let book = me.create("/api/books", &json!({"title": "b"}));
    let deleted = me.create(
        "/api/goals",
        &json!({"title": "gone", "category": "health"}),
    );
    let deleted_path = format!("/api/goals/{}", deleted["id"].as_str().expect("id"));
    assert_eq!(me.write("DELETE", &deleted_path, None, None).status, 204);
    me.write(
        "POST",
        "/api/focus/start",
        Some(&json!({"planned_minutes": 5})),
        None,
    )
    .expect_data(201);
    let track = upload_track(&mut me);

    let (copy, cursor) = drain(&mut me, Value::Null, 2);
    let seen: BTreeMap<String, Value> = copy
        .iter()
        .map(|c| (c["id"].as_str().unwrap_or_default().to_owned(), c.clone()))
        .collect();
    for (entity, item) in [
        ("goal", &goal),
        ("habit", &habit),
        ("quest", &quest),
        ("workout", &workout),
        ("book", &book),
        ("audio", &track),
    ] {
        let change = &seen[item["id"].as_str().expect("id")];
        assert_eq!(
            (change["entity"].as_str(), change["op"].as_str()),
            (Some(entity), Some("upsert"))
        );
        assert_eq!(change["data"]["id"], item["id"]);
    }
    assert!(
        !seen.contains_key(deleted["id"].as_str().expect("id")),
        "a deleted goal is not copied"
    );
    let entities: BTreeSet<&str> = copy.iter().filter_map(|c| c["entity"].as_str()).collect();
    assert!(
        entities.contains("settings") && entities.contains("focus_session"),
        "{entities:?}"
    );
    let settings = copy
        .iter()
        .find(|c| c["entity"] == "settings")
        .expect("settings");
    assert_eq!(settings["data"]["theme"], "dark");
    assert_eq!(
        habit["current_streak"],
        seen[habit["id"].as_str().expect("id")]["data"]["current_streak"]
    );

    // Changes after the copy: one of each op, from the log.
    let quest_path = format!("/api/quests/{}", quest["id"].as_str().expect("id"));
    assert_eq!(me.write("DELETE", &quest_path, None, None).status, 204);
    me.write(
        "POST",
        &format!("/api/habits/{}/complete", habit["id"].as_str().expect("id")),
        None,
        None,
    )
    .expect_data(200);
    me.write("POST", &format!("{deleted_path}/restore"), None, None)
        .expect_data(200);
    me.write("POST", "/api/focus/end", None, None)
        .expect_data(200);
    let (delta, _) = drain(&mut me, cursor, 50);
    let by_id: BTreeMap<&str, &Value> = delta
        .iter()
        .filter_map(|c| Some((c["id"].as_str()?, c)))
        .collect();
    let quest_change = by_id[quest["id"].as_str().expect("id")];
    assert_eq!(
        (quest_change["op"].as_str(), quest_change["data"].is_null()),
        (Some("delete"), true)
    );
    let habit_change = by_id[habit["id"].as_str().expect("id")];
    assert_eq!(habit_change["data"]["completed_today"], true);
    assert_eq!(by_id[deleted["id"].as_str().expect("id")]["op"], "upsert");
    assert!(
        delta
            .iter()
            .any(|c| c["entity"] == "focus_session" && c["data"]["status"] == "completed")
    );
    assert_eq!(delta.len(), by_id.len(), "one change per item");
}

#[test]
fn writes_while_paging_are_never_skipped() {
    let mut me = Owner::new("sync-paging");
    let mut created = BTreeSet::new();
    for n in 0..5 {
        created.insert(
            me.create("/api/books", &json!({"title": format!("b{n}")}))["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let mut cursor = Value::Null;
    let mut seen = BTreeSet::new();
    for round in 0..200 {
        let page = poll(&mut me, &cursor, 2);
        for change in page["changes"].as_array().into_iter().flatten() {
            if change["entity"] == "book" {
                seen.insert(change["id"].as_str().unwrap_or_default().to_owned());
            }
        }
        if round < 6 {
            created.insert(
                me.create("/api/books", &json!({"title": format!("added {round}")}))["id"]
                    .as_str()
                    .expect("id")
                    .to_owned(),
            );
        }
        cursor = page["cursor"].clone();
        if page["has_more"] == false && round >= 6 {
            break;
        }
    }
    assert_eq!(seen, created);
}

#[test]
fn users_see_only_their_own_changes_and_cursors() {
    let mut me = Owner::new("sync-mine");
    let mut other = Owner::new("sync-other");
    me.create(
        "/api/goals",
        &json!({"title": "mine", "category": "health"}),
    );
    let (_, my_cursor) = drain(&mut me, Value::Null, 100);
    let (theirs, _) = drain(&mut other, Value::Null, 100);
    assert!(
        theirs.iter().all(|c| c["entity"] == "settings"),
        "{theirs:?}"
    );
    let error = other
        .write(
            "POST",
            "/api/sync/poll",
            Some(&json!({"cursor": my_cursor})),
            None,
        )
        .expect_error(400, "bad_request");
    assert!(error["fields"]["cursor"].is_string());
    let text = my_cursor.as_str().expect("cursor");
    let (payload, tag) = text.split_once('.').expect("two parts");
    let mut forged_payload = payload.to_owned();
    forged_payload.push('A');
    for forged in [
        format!("{forged_payload}.{tag}"),
        "garbage".into(),
        format!("{payload}."),
    ] {
        me.write(
            "POST",
            "/api/sync/poll",
            Some(&json!({"cursor": forged})),
            None,
        )
        .expect_error(400, "bad_request");
    }
    for limit in [0, 1001] {
        me.write(
            "POST",
            "/api/sync/poll",
            Some(&json!({"cursor": null, "limit": limit})),
            None,
        )
        .expect_error(400, "bad_request");
    }
}

fn push(me: &mut Owner, operations: Value) -> Vec<Value> {
    me.write(
        "POST",
        "/api/sync/push",
        Some(&json!({ "operations": operations })),
        None,
    )
    .expect_data(200)["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_pushed_batch_applies_in_order_once_and_reports_each_operation() {
    let mut me = Owner::new("sync-push");
    let goal = me.create(
        "/api/goals",
        &json!({"title": "offline", "category": "learning"}),
    );
    let goal_id = goal["id"].as_str().expect("id");
    let operations = json!([
        {"idempotency_key": "op-1", "method": "POST", "path": "/api/books", "body": {"title": "Offline book"}},
        {"idempotency_key": "op-2", "method": "POST", "path": format!("/api/goals/{goal_id}/complete")},
        {"idempotency_key": "op-3", "method": "PATCH", "path": "/api/books/01a213e4-c2ce-7bc3-9696-c4d01d35c4f4", "body": {"title": "x"}},
        {"idempotency_key": "op-4", "method": "POST", "path": "/api/workouts", "body": {"name": "Run", "duration_minutes": 0}},
        {"idempotency_key": "op-5", "method": "PATCH", "path": "/api/settings", "body": {"theme": "light"}},
        {"idempotency_key": "op-6", "method": "DELETE", "path": format!("/api/goals/{goal_id}")},
    ]);
    let first = push(&mut me, operations.clone());
    let statuses: Vec<i64> = first.iter().filter_map(|r| r["status"].as_i64()).collect();
    assert_eq!(statuses, vec![201, 200, 404, 400, 200, 204]);
    assert_eq!(first[0]["body"]["data"]["title"], "Offline book");
    assert_eq!(first[1]["body"]["data"]["award"]["xp"], 50);
    assert_eq!(first[2]["body"]["error"]["type"], "not_found");
    assert!(first[3]["body"]["error"]["fields"]["duration_minutes"].is_string());
    assert!(first[5]["body"].is_null());
    assert_eq!(first[4]["idempotency_key"], "op-5");

    let again = push(&mut me, operations);
    let statuses_again: Vec<i64> = again.iter().filter_map(|r| r["status"].as_i64()).collect();
    assert_eq!(
        statuses_again, statuses,
        "a replayed batch answers as the first"
    );
    for index in [0, 1, 4, 5] {
        assert_eq!(
            again[index], first[index],
            "a success replays its first result"
        );
    }
    let books = me.client.get("/api/books").expect_data(200);
    assert_eq!(
        books["items"].as_array().map(Vec::len),
        Some(1),
        "created once"
    );
    let progress = me.client.get("/api/progress").expect_data(200);
    assert_eq!(progress["xp"], 60, "awarded once: 50 + first_goal's 10");
    assert_eq!(
        me.client.get("/api/settings").expect_data(200)["theme"],
        "light"
    );

    let reused = push(
        &mut me,
        json!([{"idempotency_key": "op-1", "method": "POST", "path": "/api/books", "body": {"title": "Another"}}]),
    );
    assert_eq!(reused[0]["status"], 409);
    assert_eq!(reused[0]["body"]["error"]["type"], "idempotency_conflict");

    for bad in [
        json!([{"idempotency_key": "n", "method": "POST", "path": "/api/sync/push", "body": {"operations": []}}]),
        json!([{"idempotency_key": "g", "method": "GET", "path": "/api/goals"}]),
        json!([{"idempotency_key": "a", "method": "POST", "path": "/api/auth/signout"}]),
        json!([{"idempotency_key": "d", "method": "POST", "path": "/api/./sync/push", "body": {"operations": []}}]),
        json!([{"idempotency_key": "e", "method": "POST", "path": "/api/%2e/auth/signout-all"}]),
        json!([{"idempotency_key": "f", "method": "POST", "path": "/api/goals/../auth/signout-all"}]),
        json!([{"idempotency_key": "t", "method": "POST", "path": "/api/tokens", "body": {"name": "offline"}}]),
        json!([{"idempotency_key": "u", "method": "POST", "path": "/api/./tokens", "body": {"name": "offline"}}]),
        json!([{"idempotency_key": "m", "method": "DELETE", "path": "/api/me", "body": {"confirm": "x"}}]),
        json!([]),
    ] {
        me.write(
            "POST",
            "/api/sync/push",
            Some(&json!({ "operations": bad })),
            None,
        )
        .expect_error(400, "bad_request");
    }
}

/// Dot segments cannot smuggle a refused route in, and neither signing out nor making a token
/// happens inside a push: the session still works and no token exists afterwards.
#[test]
fn a_push_reaches_neither_sign_out_nor_tokens_through_dot_segments() {
    let mut me = Owner::new("sync-push-dots");
    for path in ["/api/%2e/auth/signout-all", "/api/./tokens"] {
        me.write(
            "POST",
            "/api/sync/push",
            Some(&json!({"operations": [{"idempotency_key": "k", "method": "POST", "path": path, "body": {"name": "x"}}]})),
            None,
        )
        .expect_error(400, "bad_request");
    }
    me.client.get("/api/auth/session").expect_data(200);
    assert_eq!(
        me.client.get("/api/tokens").expect_data(200)["items"],
        json!([])
    );
    let stored = support::worker()
        .d1(r"select body from idempotent_responses where body like '%pat\_%' escape '\'");
    assert!(stored.is_empty(), "no token at rest: {stored:?}");
}

/// A refused operation (here: not enough coins) is not recorded under its key, so the same
/// operation succeeds once the refusal no longer holds.
#[test]
fn a_refused_pushed_operation_may_be_retried_under_its_key() {
    let mut me = Owner::new("sync-push-retry");
    let reward = me.create("/api/rewards", &json!({"title": "Treat", "cost": 10}));
    let redeem = json!([{"idempotency_key": "redeem-1", "method": "POST",
        "path": format!("/api/rewards/{}/redeem", reward["id"].as_str().expect("id"))}]);
    let refused = push(&mut me, redeem.clone());
    assert_eq!(refused[0]["status"], 409);
    assert_eq!(refused[0]["body"]["error"]["type"], "insufficient_coins");
    let goal = me.create(
        "/api/goals",
        &json!({"title": "earn", "category": "finance"}),
    );
    me.write(
        "POST",
        &format!("/api/goals/{}/complete", goal["id"].as_str().expect("id")),
        None,
        None,
    )
    .expect_data(200);
    let retried = push(&mut me, redeem.clone());
    assert_eq!(retried[0]["status"], 200, "{retried:?}");
    let replayed = push(&mut me, redeem);
    assert_eq!(replayed[0], retried[0], "the success is what replays");
    assert_eq!(me.client.get("/api/progress").expect_data(200)["coins"], 5);
}

#[test]
fn a_pushed_operation_acts_as_its_user_only() {
    let mut me = Owner::new("sync-push-mine");
    let mut other = Owner::new("sync-push-other");
    let theirs = other.create(
        "/api/goals",
        &json!({"title": "theirs", "category": "social"}),
    );
    let results = push(
        &mut me,
        json!([{"idempotency_key": "steal", "method": "DELETE", "path": format!("/api/goals/{}", theirs["id"].as_str().expect("id"))}]),
    );
    assert_eq!(results[0]["status"], 404);
    other
        .client
        .get(&format!(
            "/api/goals/{}",
            theirs["id"].as_str().expect("id")
        ))
        .expect_data(200);
}

fn upgrade_request(me: &Owner) -> (tungstenite::http::Request<()>, String) {
    support::upgrade_request(support::worker(), me)
}

fn socket(me: &Owner) -> support::Socket {
    support::open_socket(support::worker(), me)
}

#[test]
fn a_write_from_another_client_is_pushed_to_the_socket() {
    let mut me = Owner::new("sync-ws");
    // The same user on another device: a token (made first: every write is pushed).
    let token = me
        .write("POST", "/api/tokens", Some(&json!({"name": "phone"})), None)
        .expect_data(201);
    let mut phone = support::worker().client();
    phone.default_headers.push((
        "authorization".into(),
        format!("Bearer {}", token["token"].as_str().expect("token")),
    ));
    let mut live = socket(&me);
    live.send(tungstenite::Message::text("ping")).expect("ping");
    match live.read().expect("pong") {
        tungstenite::Message::Text(text) => assert_eq!(text.as_str(), "pong"),
        other => panic!("{other:?}"),
    }
    let goal = phone
        .post_json(
            "/api/goals",
            &json!({"title": "from the phone", "category": "health"}),
        )
        .expect_data(201);
    let notice = support::next_text(&mut live).expect("a notice");
    assert_eq!(notice["type"], "changed");
    let cursor = notice["cursor"].as_str().expect("cursor").to_owned();
    // The notice's cursor is where the log ends now: polling from just before sees the goal.
    let (changes, _) = drain(&mut me, Value::Null, 100);
    assert!(changes.iter().any(|c| c["id"] == goal["id"]));
    let after = poll(&mut me, &json!(cursor), 10);
    assert_eq!(
        after["changes"],
        json!([]),
        "nothing after the notice's cursor"
    );

    // An award pushes too.
    phone
        .post_json(
            &format!("/api/goals/{}/complete", goal["id"].as_str().expect("id")),
            &json!({}),
        )
        .expect_data(200);
    assert_eq!(
        support::next_text(&mut live).expect("a notice")["type"],
        "changed"
    );

    // Another user's writes are not pushed here; this user's sign-out closes the socket.
    let mut other = Owner::new("sync-ws-other");
    other.create(
        "/api/goals",
        &json!({"title": "theirs", "category": "health"}),
    );
    me.write("POST", "/api/auth/signout", None, None)
        .expect_data(200);
    assert_eq!(
        support::next_text(&mut live),
        None,
        "closed, with no notice of the other user's write"
    );
}

#[test]
fn a_socket_needs_a_session_and_an_upgrade() {
    let mut anonymous = support::worker().client();
    anonymous
        .get("/api/sync/ws")
        .expect_error(401, "unauthorized");
    let mut me = Owner::new("sync-ws-plain");
    me.client
        .get("/api/sync/ws")
        .expect_error(400, "bad_request");
}

#[test]
fn a_user_holds_at_most_twenty_sockets() {
    let me = Owner::new("sync-ws-many");
    let sockets: Vec<_> = (0..20).map(|_| socket(&me)).collect();
    let (request, address) = upgrade_request(&me);
    let stream = std::net::TcpStream::connect(&address).expect("connect");
    match tungstenite::client(request, stream) {
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response))) => {
            assert_eq!(response.status(), 409);
        }
        other => panic!(
            "the 21st socket was not refused: {:?}",
            other.map(|(_, r)| r.status())
        ),
    }
    drop(sockets);
}

#[test]
fn deltas_cover_workouts_books_and_audio() {
    let mut me = Owner::new("sync-kinds");
    let (_, cursor) = drain(&mut me, Value::Null, 100);
    let workout = me.create(
        "/api/workouts",
        &json!({"name": "Swim", "duration_minutes": 30}),
    );
    let book = me.create("/api/books", &json!({"title": "Emma"}));
    let track = upload_track(&mut me);
    let (created, cursor) = drain(&mut me, cursor, 100);
    let kinds: Vec<(&str, &str)> = created
        .iter()
        .filter_map(|c| Some((c["entity"].as_str()?, c["op"].as_str()?)))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("workout", "upsert"),
            ("book", "upsert"),
            ("audio", "upsert")
        ]
    );
    assert_eq!(created[2]["data"]["title"], "waves");

    let workout_path = format!("/api/workouts/{}", workout["id"].as_str().expect("id"));
    me.write(
        "PATCH",
        &workout_path,
        Some(&json!({"calories": 250})),
        None,
    )
    .expect_data(200);
    let book_path = format!("/api/books/{}", book["id"].as_str().expect("id"));
    assert_eq!(me.write("DELETE", &book_path, None, None).status, 204);
    let track_path = format!("/api/audio/{}", track["id"].as_str().expect("id"));
    assert_eq!(me.write("DELETE", &track_path, None, None).status, 204);
    let (changed, _) = drain(&mut me, cursor, 100);
    let ops: Vec<(&str, &str)> = changed
        .iter()
        .filter_map(|c| Some((c["entity"].as_str()?, c["op"].as_str()?)))
        .collect();
    assert_eq!(
        ops,
        vec![
            ("workout", "upsert"),
            ("book", "delete"),
            ("audio", "delete")
        ]
    );
    assert_eq!(changed[0]["data"]["calories"], 250);
}

#[test]
fn signing_out_everywhere_closes_every_socket_and_a_bearer_socket_works() {
    let mut me = Owner::new("sync-ws-all");
    let token = me
        .write("POST", "/api/tokens", Some(&json!({"name": "cli"})), None)
        .expect_data(201);
    let mut cookie_socket = socket(&me);
    let (mut request, address) = upgrade_request(&me);
    request.headers_mut().remove("cookie");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", token["token"].as_str().expect("token"))
            .parse()
            .expect("header"),
    );
    let stream = std::net::TcpStream::connect(&address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    let (mut bearer_socket, response) = tungstenite::client(request, stream).expect("upgrade");
    assert_eq!(response.status(), 101);
    me.write("POST", "/api/auth/signout-all", None, None)
        .expect_data(200);
    assert_eq!(
        support::next_text(&mut cookie_socket),
        None,
        "the session's socket closed"
    );
    assert_eq!(
        support::next_text(&mut bearer_socket),
        None,
        "the token's socket closed"
    );
}
