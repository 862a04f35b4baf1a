//! A worker restart loses nothing acknowledged: the local D1, KV and Durable Object state
//! survive, and so do sessions, balances, the ledger and unlocked achievements.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::json;
use support::{Worker, WorkerOptions};

#[test]
fn balances_ledger_and_sessions_survive_a_restart() {
    let state = std::env::temp_dir().join(format!("passion-edge-restart-{}", std::process::id()));
    let options = WorkerOptions {
        keep_state: Some(state.clone()),
        vars: vec![("ADMIN_EMAILS".into(), "restart-admin@example.org".into())],
        ..WorkerOptions::default()
    };

    let before = Worker::start("restart-before", options.clone());
    let (mut admin, admin_csrf) = before.signed_in("restart-admin@example.org");
    let (mut user, _) = before.signed_in("restart-user@example.org");
    let user_id = user.get("/api/auth/session").expect_data(200)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
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
