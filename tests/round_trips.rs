//! Every hot path makes one sequential D1 round trip, its credential checked inside it: counted
//! from the request's own log line (what D1 answered), never timed. And the check is as strict
//! as a round trip of its own: a session or token that D1 says has ended is refused on its very
//! next request, and a write sent with it changes nothing, whatever KV and the isolate remember.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Owner, Reply, Worker, unique_email, worker};

/// The log line of the request that answered `reply`.
fn log_line(worker: &Worker, reply: &Reply) -> Value {
    let id = reply
        .header("x-request-id")
        .expect("x-request-id")
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found = worker.log_text().lines().find_map(|line| {
            let start = line.find('{')?;
            let entry: Value = serde_json::from_str(&line[start..]).ok()?;
            (entry["request_id"] == id.as_str() && entry.get("status").is_some()).then_some(entry)
        });
        if let Some(entry) = found {
            return entry;
        }
        assert!(Instant::now() < deadline, "no log line for {id}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn round_trips(reply: &Reply) -> u64 {
    log_line(worker(), reply)["d1"]["round_trips"]
        .as_u64()
        .expect("round_trips")
}

fn token_of(owner: &mut Owner, scope: &str) -> String {
    owner.token(&json!({"name": "round trips", "scope": scope}))
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn each_hot_path_is_one_round_trip_to_d1() {
    let mut me = Owner::new("trips");
    let mut trips = Vec::new();
    let mut measure = |name: &str, reply: Reply, status: u16| {
        assert_eq!(reply.status, status, "{name}: {}", reply.text);
        trips.push((name.to_owned(), round_trips(&reply)));
    };

    let created = me.write(
        "POST",
        "/api/goals",
        Some(&json!({"title": "run", "category": "health"})),
        None,
    );
    let goal = created.expect_data(201)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    measure("create", created, 201);
    measure("list", me.client.get("/api/goals?limit=50"), 200);
    measure("get", me.client.get(&format!("/api/goals/{goal}")), 200);
    let update = me.write(
        "PATCH",
        &format!("/api/goals/{goal}"),
        Some(&json!({"title": "run far"})),
        None,
    );
    measure("update", update, 200);
    let habit = me.create(
        "/api/habits",
        &json!({"title": "read", "category": "learning"}),
    );
    let complete = format!("/api/habits/{}/complete", habit["id"].as_str().expect("id"));
    measure("complete", me.write("POST", &complete, None, None), 200);
    let head = me
        .write(
            "POST",
            "/api/sync/poll",
            Some(&json!({"cursor": null, "limit": 1000})),
            None,
        )
        .expect_data(200);
    let cursor = head["cursor"].clone();
    let empty = me.write(
        "POST",
        "/api/sync/poll",
        Some(&json!({"cursor": cursor, "limit": 100})),
        None,
    );
    assert_eq!(
        empty.expect_data(200)["changes"],
        json!([]),
        "nothing changed since"
    );
    measure("empty poll", empty, 200);
    me.create(
        "/api/goals",
        &json!({"title": "swim", "category": "health"}),
    );
    let changes = me.write(
        "POST",
        "/api/sync/poll",
        Some(&json!({"cursor": cursor, "limit": 100})),
        None,
    );
    measure("poll with a change", changes, 200);
    measure(
        "delete",
        me.write("DELETE", &format!("/api/goals/{goal}"), None, None),
        204,
    );

    let token = token_of(&mut me, "write");
    let listed = me.client.send(
        "GET",
        "/api/goals",
        &[("authorization", &bearer(&token))],
        None,
    );
    measure("list with a token", listed, 200);
    let body = json!({"title": "token goal", "category": "health"}).to_string();
    let headers = [
        ("authorization", bearer(&token)),
        ("content-type", "application/json".into()),
    ];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let made = me
        .client
        .send("POST", "/api/goals", &headers, Some(body.as_bytes()));
    measure("create with a token", made, 201);

    let over: Vec<_> = trips.iter().filter(|(_, n)| *n != 1).collect();
    assert!(over.is_empty(), "one round trip each: {trips:?}");
}

/// Ends the credential in D1 alone: KV and this isolate still hold its record.
fn end_in_d1_only(sql: &str) {
    worker().d1(sql);
}

#[test]
fn a_session_ended_in_d1_alone_is_refused_and_its_write_changes_nothing() {
    let email = unique_email("ended-in-d1");
    let mut me = Owner::on(worker(), &email);
    me.client.get("/api/goals").expect_data(200);
    let user = worker().d1(&format!("select id from users where email = '{email}'"))[0]["id"]
        .as_str()
        .expect("user id")
        .to_owned();
    end_in_d1_only(&format!(
        "update sessions set ended_at = '2026-01-01T00:00:00.000Z' where user_id = '{user}'"
    ));
    me.write(
        "POST",
        "/api/goals",
        Some(&json!({"title": "ghost", "category": "health"})),
        None,
    )
    .expect_error(401, "unauthorized");
    me.client
        .get("/api/goals")
        .expect_error(401, "unauthorized");
    let goals = worker().d1(&format!(
        "select count(*) as n from goals where user_id = '{user}'"
    ));
    assert_eq!(goals[0]["n"], 0, "the refused write wrote nothing");
    let log = worker().d1(&format!(
        "select count(*) as n from change_log where user_id = '{user}'"
    ));
    assert_eq!(log[0]["n"], 0, "nor its change-log entry");
}

#[test]
fn a_token_revoked_in_d1_alone_is_refused_and_its_write_changes_nothing() {
    let email = unique_email("revoked-in-d1");
    let mut me = Owner::on(worker(), &email);
    let token = token_of(&mut me, "write");
    let auth = [("authorization", bearer(&token))];
    let auth: Vec<(&str, &str)> = auth.iter().map(|(k, v)| (*k, v.as_str())).collect();
    me.client
        .send("GET", "/api/goals", &auth, None)
        .expect_data(200);
    end_in_d1_only(&format!(
        "update api_tokens set revoked_at = '2026-01-01T00:00:00.000Z' where name = 'round trips'
           and user_id = (select id from users where email = '{email}')"
    ));
    let mut headers = auth.clone();
    headers.push(("content-type", "application/json"));
    let body = json!({"title": "ghost", "category": "health"}).to_string();
    me.client
        .send("POST", "/api/goals", &headers, Some(body.as_bytes()))
        .expect_error(401, "unauthorized");
    me.client
        .send("GET", "/api/goals", &auth, None)
        .expect_error(401, "unauthorized");
    let goals = worker().d1(&format!(
        "select count(*) as n from goals where user_id = (select id from users where email = '{email}')"
    ));
    assert_eq!(goals[0]["n"], 0, "the refused write wrote nothing");
}

/// The calendar a completion is counted on came with the claim; when D1 holds other settings by
/// then (changed through another isolate), the completion counts on the stored calendar.
#[test]
fn a_completion_counts_on_the_stored_calendar_when_the_remembered_one_is_stale() {
    let email = unique_email("stale-settings");
    let mut me = Owner::on(worker(), &email);
    let habit = me.create(
        "/api/habits",
        &json!({"title": "walk", "category": "health"}),
    );
    let id = habit["id"].as_str().expect("id").to_owned();
    // 20:00 UTC on 1 March is already 2 March in Kiritimati (UTC+14).
    end_in_d1_only(&format!(
        "update users set settings = '{{\"timezone\":\"Pacific/Kiritimati\"}}' where email = '{email}'"
    ));
    let reply = me.write_with(
        "POST",
        &format!("/api/habits/{id}/complete"),
        None,
        &[("x-dev-now", "2026-03-01T20:00:00Z")],
    );
    reply.expect_data(200);
    let days = worker().d1(&format!(
        "select day from habit_completions where habit_id = '{id}'"
    ));
    assert_eq!(
        days,
        vec![json!({"day": "2026-03-02"})],
        "counted on Kiritimati's day"
    );
    assert_eq!(
        me.client.get("/api/settings").expect_data(200)["timezone"],
        "Pacific/Kiritimati"
    );
}

/// Every response that reached D1 carries the session's bookmark; sent back, the next request
/// reads at least what the first one wrote; a made-up bookmark is a `400`.
#[test]
fn a_bookmark_returned_is_accepted_back_and_a_made_up_one_is_refused() {
    let mut me = Owner::new("bookmark");
    let created = me.write(
        "POST",
        "/api/goals",
        Some(&json!({"title": "kept", "category": "health"})),
        None,
    );
    let bookmark = created
        .header("x-d1-bookmark")
        .expect("a write's bookmark")
        .to_owned();
    let id = created.expect_data(201)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let read = me.client.send(
        "GET",
        &format!("/api/goals/{id}"),
        &[("x-d1-bookmark", &bookmark)],
        None,
    );
    assert_eq!(read.expect_data(200)["title"], "kept");
    assert!(read.header("x-d1-bookmark").is_some(), "a read's bookmark");
    for made_up in ["not a bookmark", "", "00000001-zz"] {
        me.client
            .send("GET", "/api/goals", &[("x-d1-bookmark", made_up)], None)
            .expect_error(400, "bad_request");
    }
}

/// An empty poll reads what the page holds, not the account: the items of a log page are read
/// driven by the page, so 300 stored goals cost an empty poll nothing.
#[test]
fn an_empty_poll_reads_rows_by_the_page_not_by_the_account() {
    let email = unique_email("big-account");
    let mut me = Owner::on(worker(), &email);
    me.create(
        "/api/goals",
        &json!({"title": "first", "category": "health"}),
    );
    worker().d1(&format!(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 300)
         insert into goals (id, user_id, title, category, created_at, updated_at)
         select printf('00000000-0000-7000-8000-%012d', i), u.id, 'filler ' || i, 'health',
                '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'
           from n, users u where u.email = '{email}'"
    ));
    let mut cursor = Value::Null;
    loop {
        let page = me
            .write(
                "POST",
                "/api/sync/poll",
                Some(&json!({"cursor": cursor, "limit": 1000})),
                None,
            )
            .expect_data(200);
        cursor = page["cursor"].clone();
        if page["has_more"] == false {
            break;
        }
    }
    let empty = me.write(
        "POST",
        "/api/sync/poll",
        Some(&json!({"cursor": cursor, "limit": 100})),
        None,
    );
    assert_eq!(empty.expect_data(200)["changes"], json!([]));
    let read = log_line(worker(), &empty)["d1"]["rows_read"]
        .as_u64()
        .expect("rows_read");
    assert!(
        read < 100,
        "an empty poll read {read} rows of an account of 301 goals"
    );
}
