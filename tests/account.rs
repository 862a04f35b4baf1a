//! Data rights end to end: the export holds every kind of a populated account's data and nothing
//! of anyone else's, page after page; the CSV history; erasing an account removes its D1 rows,
//! its progress object's storage, its R2 objects and its sessions, and a retry finishes an
//! erasure interrupted half-way.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::sync::OnceLock;

use serde_json::{Value, json};
use support::{Owner, Worker, WorkerOptions, sqlite, unique_email};

const ADMIN: &str = "account-suite-admin@example.org";
const MP3: &[u8] = b"ID3\x04\x00\x00\x00\x00\x00\x00 some audio bytes";

fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let mut options = WorkerOptions::default();
        options.vars.push(("ADMIN_EMAILS".into(), ADMIN.into()));
        Worker::start("account", options)
    })
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("id").to_owned()
}

fn user_id(owner: &mut Owner) -> String {
    id_of(&owner.client.get("/api/auth/session").expect_data(200)["user"])
}

fn upload(owner: &mut Owner, title: &str) -> Value {
    let csrf = owner.csrf.clone();
    owner
        .client
        .send(
            "POST",
            &format!("/api/audio?title={title}"),
            &[("content-type", "audio/mpeg"), ("x-csrf-token", &csrf)],
            Some(MP3),
        )
        .expect_data(201)
}

/// Every kind of data: content (one goal archived), a completion, a focus session, a workout's
/// award in the ledger, an achievement, a reward, an audio track, a token, changed settings.
struct Populated {
    owner: Owner,
    id: String,
    ids: Vec<(&'static str, String)>,
}

fn populate(label: &str) -> Populated {
    let mut owner = Owner::on(worker(), &unique_email(label));
    let id = user_id(&mut owner);
    let mut ids = Vec::new();
    let goal = owner.create(
        "/api/goals",
        &json!({"title": "Run, a marathon", "category": "fitness"}),
    );
    let archived = owner.write(
        "DELETE",
        &format!("/api/goals/{}", id_of(&goal)),
        None,
        None,
    );
    assert_eq!(archived.status, 204, "{}", archived.text);
    ids.push(("goals", id_of(&goal)));
    let habit = owner.create(
        "/api/habits",
        &json!({"title": "=Stretch, daily", "category": "health"}),
    );
    owner
        .write(
            "POST",
            &format!("/api/habits/{}/complete", id_of(&habit)),
            None,
            None,
        )
        .expect_data(200);
    ids.push(("habits", id_of(&habit)));
    let quest = owner.create(
        "/api/quests",
        &json!({"title": "Fix the bike", "category": "productivity",
                "deadline": "2030-01-01T00:00:00Z", "reward": {"xp": 10, "coins": 50}}),
    );
    owner
        .write(
            "POST",
            &format!("/api/quests/{}/complete", id_of(&quest)),
            None,
            None,
        )
        .expect_data(200);
    ids.push(("quests", id_of(&quest)));
    let workout = owner.create(
        "/api/workouts",
        &json!({"name": "Intervals", "duration_minutes": 30, "intensity": "high"}),
    );
    ids.push(("workouts", id_of(&workout)));
    let book = owner.create(
        "/api/books",
        &json!({"title": "Dune", "status": "finished"}),
    );
    ids.push(("books", id_of(&book)));
    let started = owner
        .write_with(
            "POST",
            "/api/focus/start",
            Some(&json!({"planned_minutes": 25})),
            &[("x-dev-now", "2026-03-02T09:00:00.000Z")],
        )
        .expect_data(201);
    owner
        .write_with(
            "POST",
            "/api/focus/end",
            None,
            &[("x-dev-now", "2026-03-02T09:25:00.000Z")],
        )
        .expect_data(200);
    ids.push(("focus_sessions", id_of(&started)));
    let reward = owner.create("/api/rewards", &json!({"title": "Movie night", "cost": 5}));
    owner
        .write(
            "POST",
            &format!("/api/rewards/{}/redeem", id_of(&reward)),
            None,
            None,
        )
        .expect_data(200);
    ids.push(("rewards", id_of(&reward)));
    ids.push(("audio_tracks", id_of(&upload(&mut owner, "rain"))));
    ids.push((
        "api_tokens",
        id_of(&owner.create("/api/tokens", &json!({"name": "extension"}))),
    ));
    owner
        .write(
            "PATCH",
            "/api/settings",
            Some(&json!({"timezone": "Europe/Berlin"})),
            None,
        )
        .expect_data(200);
    Populated { owner, id, ids }
}

#[test]
fn the_export_holds_every_kind_of_data_and_nothing_of_another_user() {
    let mut other = Owner::on(worker(), &unique_email("export-other"));
    other.create(
        "/api/goals",
        &json!({"title": "the other user's secret", "category": "health"}),
    );
    let other_id = user_id(&mut other);
    let mut me = populate("export");

    let reply = me.owner.client.get("/api/me/export");
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment; filename=\"passion-export-")
                && d.ends_with(".json\"")),
        "{:?}",
        reply.headers
    );
    let data = reply.expect_data(200);
    assert_eq!(data["format"], "passion-edge-export/1");
    assert_eq!(data["user"]["id"], me.id.as_str());
    assert_eq!(data["settings"]["timezone"], "Europe/Berlin");
    for (section, id) in &me.ids {
        let items = data[*section].as_array().expect(section);
        assert!(
            items.iter().any(|item| item["id"] == id.as_str()),
            "{section} lacks {id}: {items:?}"
        );
    }
    assert_eq!(data["goals"][0]["is_active"], false, "archived goals too");
    let completion = &data["habit_completions"][0];
    assert_eq!(completion["habit_title"], "=Stretch, daily");
    assert!(completion["undone_at"].is_null());
    assert_eq!(data["focus_sessions"][0]["status"], "completed");
    let track = &data["audio_tracks"][0];
    assert_eq!(
        track["download_path"],
        format!("/api/audio/{}", track["id"].as_str().unwrap())
    );
    let ledger = data["ledger"].as_array().expect("ledger");
    for event in [
        "quest_completed",
        "workout_logged",
        "reward_redeemed",
        "habit_completed",
    ] {
        assert!(
            ledger.iter().any(|entry| entry["event_type"] == event),
            "{event} missing from {ledger:?}"
        );
    }
    assert!(ledger.iter().all(|entry| entry.get("seq").is_none()));
    assert_eq!(data["rewards"][0]["times_redeemed"], 1);
    assert!(data["progress"]["xp"].as_u64().unwrap_or(0) > 0);
    assert!(
        data["achievements"]
            .as_array()
            .expect("achievements")
            .iter()
            .any(|a| a["unlocked_at"].is_string()),
        "the first completion unlocks an achievement"
    );
    assert!(!data["sessions"].as_array().expect("sessions").is_empty());
    assert!(!reply.text.contains("pat_"), "no token secrets");
    assert!(!reply.text.contains(&other_id));
    assert!(!reply.text.contains("the other user's secret"));
}

#[test]
fn a_large_export_streams_every_page_in_order() {
    let mut me = Owner::on(worker(), &unique_email("export-large"));
    let id = user_id(&mut me);
    // More goals than one page holds (200), written straight into D1 to keep the test quick.
    worker().d1(&format!(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 450)
         insert into goals (id, user_id, title, category, created_at, updated_at)
         select '00000000-0000-7000-8000-' || substr('00000000000' || i, length('00000000000' || i) - 11, 12), '{id}', 'goal ' || i, 'health',
                '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' from n"
    ));
    let data = me.client.get("/api/me/export").expect_data(200);
    let titles: Vec<&str> = data["goals"]
        .as_array()
        .expect("goals")
        .iter()
        .map(|goal| goal["title"].as_str().unwrap_or_default())
        .collect();
    let expected: Vec<String> = (1..=450).map(|i| format!("goal {i}")).collect();
    assert_eq!(titles, expected);
}

#[test]
fn the_habit_history_exports_as_csv() {
    let mut me = populate("export-csv");
    let reply = me.owner.client.get("/api/me/export?format=csv");
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    let lines: Vec<&str> = reply.text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "day,habit_id,habit,category,completed_at,undone_at"
    );
    let habit = &me.ids[1].1;
    assert!(
        lines[1].contains(&format!(",{habit},\"'=Stretch, daily\",health,")),
        "quoted and defused: {}",
        lines[1]
    );
    assert_eq!(lines.len(), 3, "one completion and a final line break");
    me.owner
        .client
        .get("/api/me/export?format=xml")
        .expect_error(400, "bad_request");
}

/// Rows of `user_id` left in any D1 table with a user column, and in the users table.
fn rows_left(user_id: &str) -> i64 {
    let tables = [
        "habit_completions",
        "focus_sessions",
        "audio_tracks",
        "goals",
        "habits",
        "quests",
        "workouts",
        "books",
        "change_log",
        "idempotent_responses",
        "api_tokens",
        "user_identities",
        "sessions",
    ];
    let mut sql: Vec<String> = tables
        .iter()
        .map(|table| format!("(select count(*) from {table} where user_id = '{user_id}')"))
        .collect();
    sql.push(format!(
        "(select count(*) from users where id = '{user_id}')"
    ));
    sql.push(format!(
        "(select count(*) from audit_log where actor_id = '{user_id}' or target_id = '{user_id}')"
    ));
    sql.push(format!(
        "(select count(*) from error_log where user_id = '{user_id}')"
    ));
    let rows = worker().d1(&format!("select {} as n", sql.join(" + ")));
    rows[0]["n"].as_i64().expect("count")
}

/// The progress object's SQLite files holding a ledger row of `source_id`.
fn objects_with_ledger_of(source_id: &str) -> Vec<std::path::PathBuf> {
    worker()
        .object_databases()
        .into_iter()
        .filter(|file| {
            sqlite(
                file,
                &format!("select count(*) from entries where source_id = '{source_id}'"),
            )
            .is_ok_and(|rows| rows[0][0] != 0)
        })
        .collect()
}

fn tables_in(file: &std::path::Path) -> Vec<Value> {
    sqlite(
        file,
        "select name from sqlite_master where type = 'table' and name not like '_cf_%'",
    )
    .unwrap_or_default()
}

#[test]
fn erasing_an_account_removes_it_everywhere_and_a_retry_finishes_an_interrupted_one() {
    let someone_else = unique_email("someone-else");
    let mut me = populate("erase");
    let workout = me.ids[3].1.clone();
    let email_of_me = me.owner.client.get("/api/auth/session").expect_data(200)["user"]["email"]
        .as_str()
        .expect("email")
        .to_owned();
    let mut second_browser = Owner::on(worker(), &email_of_me);
    let token = me.owner.create("/api/tokens", &json!({"name": "script"}))["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let track = me
        .ids
        .iter()
        .find(|(s, _)| *s == "audio_tracks")
        .unwrap()
        .1
        .clone();
    let object_key = worker().d1(&format!(
        "select object_key from audio_tracks where id = '{track}'"
    ))[0]["object_key"]
        .as_str()
        .expect("object key")
        .to_owned();
    let objects = objects_with_ledger_of(&workout);
    assert_eq!(
        objects.len(),
        1,
        "one progress object holds the workout's award"
    );
    assert!(rows_left(&me.id) > 10);

    let erase = |owner: &mut Owner, confirm: &str, fail_after: Option<&str>| {
        let body = json!({ "confirm": confirm });
        match fail_after {
            Some(step) => owner.write_with(
                "DELETE",
                "/api/me",
                Some(&body),
                &[("x-dev-fail-after", step)],
            ),
            None => owner.write("DELETE", "/api/me", Some(&body), None),
        }
    };
    let refused = erase(&mut me.owner, &someone_else, None).expect_error(400, "bad_request");
    assert!(refused["fields"]["confirm"].is_string(), "{refused}");
    me.owner
        .write(
            "DELETE",
            "/api/me",
            Some(&json!({"confirm": email_of_me, "now": true})),
            None,
        )
        .expect_error(400, "bad_request");

    // Interrupted after the objects: they are gone, everything else is still there.
    erase(&mut me.owner, &email_of_me, Some("objects")).expect_error(503, "unavailable");
    assert!(
        worker().r2_object(&object_key).is_none(),
        "the audio object is deleted first"
    );
    assert!(rows_left(&me.id) > 10);
    me.owner.client.get("/api/progress").expect_data(200);
    // Interrupted after the progress object: its storage is empty, the session still works.
    erase(&mut me.owner, &email_of_me.to_uppercase(), Some("progress"))
        .expect_error(503, "unavailable");
    assert!(objects_with_ledger_of(&workout).is_empty());
    assert_eq!(tables_in(&objects[0]), Vec::<Value>::new());
    me.owner.client.get("/api/auth/session").expect_data(200);

    // The retry finishes the job.
    let erased = erase(&mut me.owner, &email_of_me, None).expect_data(200);
    assert_eq!(erased["erased"], true);
    assert!(erased["rows"].as_u64().unwrap_or(0) > 10, "{erased}");
    assert_eq!(rows_left(&me.id), 0);
    assert!(tables_in(&objects[0]).is_empty(), "the object stays empty");
    me.owner
        .client
        .get("/api/goals")
        .expect_error(401, "unauthorized");
    second_browser
        .client
        .get("/api/goals")
        .expect_error(401, "unauthorized");
    let mut bearer = worker().client();
    let authorization = format!("Bearer {token}");
    let reply = bearer.send(
        "GET",
        "/api/goals",
        &[("authorization", &authorization)],
        None,
    );
    assert_eq!(reply.status, 401, "{}", reply.text);

    // The audit keeps one anonymous record.
    let mut admin = Owner::on(worker(), ADMIN);
    let audit = admin.client.get("/api/admin/audit?limit=200");
    assert!(!audit.text.contains(&me.id), "no row names the erased user");
    let entries = audit.expect_data(200)["items"].clone();
    let record = entries
        .as_array()
        .expect("items")
        .iter()
        .find(|entry| entry["action"] == "account.erase")
        .cloned()
        .expect("an account.erase row");
    assert!(
        record["actor_id"].is_null() && record["target_id"].is_null(),
        "{record}"
    );

    // The same identity starts over with a new, empty account.
    let mut again = Owner::on(worker(), &email_of_me);
    let new_id = user_id(&mut again);
    assert_ne!(new_id, me.id);
    assert_eq!(again.client.get("/api/progress").expect_data(200)["xp"], 0);
    assert_eq!(
        again.client.get("/api/goals/archived").expect_data(200)["items"],
        json!([])
    );
}
