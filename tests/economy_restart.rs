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
