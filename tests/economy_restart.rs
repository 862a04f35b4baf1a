//! A worker restart loses nothing acknowledged: the local D1, KV and Durable Object state
//! survive, and so do sessions, balances, the ledger and unlocked achievements.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::path::PathBuf;

use serde_json::json;
use support::{Client, Worker, WorkerOptions, sqlite, sqlite_edit};

/// A worker whose state outlives it, with `{label}-admin@example.org` as admin, and its admin
/// (with the CSRF token) and a user (with their id) signed in.
struct Restartable {
    state: PathBuf,
    options: WorkerOptions,
    worker: Worker,
    admin: Client,
    admin_csrf: String,
    user: Client,
    user_id: String,
}

impl Restartable {
    fn start(label: &str) -> Restartable {
        let state =
            std::env::temp_dir().join(format!("passion-edge-{label}-{}", std::process::id()));
        let options = WorkerOptions {
            keep_state: Some(state.clone()),
            vars: vec![("ADMIN_EMAILS".into(), format!("{label}-admin@example.org"))],
            ..WorkerOptions::default()
        };
        let worker = Worker::start(&format!("{label}-before"), options.clone());
        let (admin, admin_csrf) = worker.signed_in(&format!("{label}-admin@example.org"));
        let (mut user, _) = worker.signed_in(&format!("{label}-user@example.org"));
        let user_id = user.get("/api/auth/session").expect_data(200)["user"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        Restartable {
            state,
            options,
            worker,
            admin,
            admin_csrf,
            user,
            user_id,
        }
    }
}

#[test]
fn balances_ledger_and_sessions_survive_a_restart() {
    let Restartable {
        state,
        options,
        worker: before,
        mut admin,
        admin_csrf,
        mut user,
        user_id,
    } = Restartable::start("restart");
    admin
        .post_json_with(
            &format!("/api/admin/users/{user_id}/claim"),
            &json!({"xp": 800, "coins": 12, "reason": "before restart"}),
            &[("x-csrf-token", &admin_csrf)],
        )
        .expect_data(200);
    let progress_before = user.get("/api/progress").expect_data(200);
    let ledger_before = user.get("/api/ledger").expect_data(200);
    let cookies = user.cookies.clone();
    before.stop();

    let after = Worker::start("restart-after", options);
    let mut user = after.client();
    user.cookies = cookies;
    assert_eq!(user.get("/api/progress").expect_data(200), progress_before);
    assert_eq!(user.get("/api/ledger").expect_data(200), ledger_before);
    assert_eq!(progress_before["xp"], 850, "800 claimed + level_5's 50");
    after.stop();
    let _ = std::fs::remove_dir_all(&state);
}

/// An `Idempotency-Key` reply the object stored in the protocol's first format (internally
/// tagged, `{"reply": "award", ...}`) still replays after an upgrade: the object's schema
/// migration rewrites it.
#[test]
fn a_reply_stored_in_the_first_format_replays_after_the_upgrade() {
    let claim = json!({"xp": 5, "coins": 3, "reason": "kept reply"});
    let Restartable {
        state,
        options,
        worker: before,
        mut admin,
        admin_csrf: csrf,
        user,
        user_id,
    } = Restartable::start("replies");
    let path = format!("/api/admin/users/{user_id}/claim");
    let headers = [
        ("x-csrf-token", csrf.as_str()),
        ("idempotency-key", "kept-reply-1"),
    ];
    let first = admin
        .post_json_with(&path, &claim, &headers)
        .expect_data(200);
    let objects = before.object_databases();
    let cookies = (admin.cookies.clone(), user.cookies.clone());
    before.stop();

    let holder = objects
        .iter()
        .find(|file| sqlite(file, "select count(*) from replies").is_ok_and(|rows| rows[0][0] == 1))
        .expect("the object holding the stored reply");
    sqlite_edit(
        holder,
        "update replies set reply = json_insert(json_extract(reply, '$.award'), '$.reply', 'award');
         update schema_version set version = 1;",
    )
    .expect("store the reply in the first format");
    let stored = sqlite(holder, "select reply from replies").expect("replies");
    assert!(
        stored[0][0]
            .as_str()
            .is_some_and(|r| r.contains(r#""reply":"award""#)),
        "first format: {stored:?}"
    );

    let after = Worker::start("replies-after", options);
    let mut admin = after.client();
    admin.cookies = cookies.0;
    let replayed = admin
        .post_json_with(&path, &claim, &headers)
        .expect_data(200);
    assert_eq!(replayed, first, "the replay is the first reply");
    let mut user = after.client();
    user.cookies = cookies.1;
    let ledger = user.get("/api/ledger?currency=coins").expect_data(200);
    let claims = ledger["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|entry| entry["event_type"] == "admin_claim")
        .count();
    assert_eq!(claims, 1, "the replay moved nothing: {ledger}");
    let stored = sqlite(holder, "select reply from replies").expect("replies");
    assert!(
        stored[0][0]
            .as_str()
            .is_some_and(|r| r.starts_with(r#"{"award":"#)),
        "migrated: {stored:?}"
    );
    after.stop();
    let _ = std::fs::remove_dir_all(&state);
}

/// Every ledger entry without a currency filter, paged `limit` at a time.
fn whole_ledger(client: &mut Client, limit: u32) -> Vec<serde_json::Value> {
    support::ledger_where(client, &format!("limit={limit}"))
}

/// An object whose ledger was written in the first layout (a row per currency, awards recorded
/// apart) is migrated in place: the same entries with the same ids in the same order, the same
/// totals, a completion still counts once and its award (found by its recorded request) is
/// still undone whole.
#[test]
fn a_ledger_of_the_first_layout_is_migrated_in_place() {
    let Restartable {
        state,
        options,
        worker: before,
        mut admin,
        admin_csrf,
        user: _,
        user_id,
    } = Restartable::start("ledger-layout");
    let (mut user, user_csrf) = before.signed_in("ledger-layout-user@example.org");
    let csrf = [("x-csrf-token", user_csrf.as_str())];
    admin
        .post_json_with(
            &format!("/api/admin/users/{user_id}/claim"),
            &json!({"xp": 40, "coins": 30, "reason": "first layout"}),
            &[("x-csrf-token", &admin_csrf)],
        )
        .expect_data(200);
    let habit = user
        .post_json_with(
            "/api/habits",
            &json!({"title": "stretch", "category": "health"}),
            &csrf,
        )
        .expect_data(201);
    let complete = format!("/api/habits/{}/complete", habit["id"].as_str().expect("id"));
    let award = user
        .post_json_with(&complete, &json!({}), &csrf)
        .expect_data(200)["award"]
        .clone();
    let reward = user
        .post_json_with("/api/rewards", &json!({"title": "tea", "cost": 7}), &csrf)
        .expect_data(201);
    let redeem = format!("/api/rewards/{}/redeem", reward["id"].as_str().expect("id"));
    user.post_json_with(&redeem, &json!({}), &csrf)
        .expect_data(200);
    let ledger_before = whole_ledger(&mut user, 200);
    let progress_before = user.get("/api/progress").expect_data(200);
    assert!(
        ledger_before.len() >= 5,
        "claim, completion and redemption: {ledger_before:?}"
    );
    let objects = before.object_databases();
    let cookies = user.cookies.clone();
    before.stop();

    let holder = objects
        .iter()
        .find(|file| sqlite(file, "select count(*) from entries").is_ok_and(|rows| rows[0][0] != 0))
        .expect("the object holding the ledger");
    sqlite_edit(
        holder,
        "create table ledger (
           seq integer primary key autoincrement,
           id text not null unique,
           currency text not null check (currency in ('xp', 'coins')),
           amount integer not null,
           balance_after integer not null check (balance_after >= 0),
           event_type text not null,
           reason text not null,
           source_id text,
           idempotency_key text not null,
           created_at text not null,
           unique (idempotency_key, currency)
         );
         create index ledger_by_currency on ledger (currency, seq);
         create table awards (key text primary key, request text not null, outcome text not null, created_at text not null) without rowid;
         insert into ledger (seq, id, currency, amount, balance_after, event_type, reason, source_id, idempotency_key, created_at)
           select seq * 2, xp_id, 'xp', xp, xp_after, event_type, reason, source_id, key, created_at from entries where xp_id is not null
           union all
           select seq * 2 + 1, coins_id, 'coins', coins, coins_after, event_type, reason, source_id, key, created_at from entries where coins_id is not null;
         insert into awards select key, request, outcome, created_at from entries where request is not null;
         drop table entries;
         update schema_version set version = 2;",
    )
    .expect("write the ledger in the first layout");

    let after = Worker::start("ledger-layout-after", options);
    let mut user = after.client();
    user.cookies = cookies;
    assert_eq!(
        whole_ledger(&mut user, 200),
        ledger_before,
        "the same entries, in order"
    );
    assert_eq!(
        whole_ledger(&mut user, 1),
        ledger_before,
        "paged one at a time"
    );
    assert_eq!(user.get("/api/progress").expect_data(200), progress_before);
    let replayed = user
        .post_json_with(&complete, &json!({}), &csrf)
        .expect_data(200);
    assert_eq!(replayed["already_completed"], true, "{replayed}");
    assert_eq!(
        whole_ledger(&mut user, 200),
        ledger_before,
        "a replay moves nothing"
    );
    let undone = user.delete(&complete, &csrf).expect_data(200);
    assert_eq!(
        undone["award"]["coins"],
        -award["coins"].as_i64().expect("coins")
    );
    let coins: i64 = whole_ledger(&mut user, 200)
        .iter()
        .filter(|entry| entry["currency"] == "coins")
        .map(|entry| entry["amount"].as_i64().expect("amount"))
        .sum();
    assert_eq!(
        json!(coins),
        user.get("/api/progress").expect_data(200)["coins"],
        "totals equal the ledger's sums"
    );
    after.stop();
    let _ = std::fs::remove_dir_all(&state);
}
