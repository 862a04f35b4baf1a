//! API tokens are never the whole account: a scope (read or write), an optional expiry, and the
//! routes only a browser session reaches (token management, sign-out everywhere, erasure, admin);
//! erasure also needs a recent sign-in.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{Value, json};
use support::{Client, Owner, Worker, WorkerOptions, unique_email, worker};

fn token(me: &mut Owner, body: Value) -> Value {
    me.write("POST", "/api/tokens", Some(&body), None)
        .expect_data(201)
}

/// A client that presents `token` (a `POST /api/tokens` reply) on every request.
fn bearer_on(worker: &Worker, token: &Value) -> Client {
    let mut client = worker.client();
    client.default_headers.push((
        "authorization".into(),
        format!("Bearer {}", token["token"].as_str().expect("token")),
    ));
    client
}

fn write(client: &mut Client, method: &str, path: &str, body: Option<&Value>) -> support::Reply {
    let text = body.map(Value::to_string);
    client.send(
        method,
        path,
        &[("content-type", "application/json")],
        text.as_deref().map(str::as_bytes),
    )
}

#[test]
fn a_read_token_reads_and_polls_and_writes_nothing() {
    let mut me = Owner::new("read-token");
    me.create(
        "/api/goals",
        &json!({"title": "seen", "category": "learning"}),
    );
    let read = token(&mut me, json!({"name": "dashboard", "scope": "read"}));
    assert_eq!(read["scope"], "read");
    assert!(read["expires_at"].is_null());
    let mut dashboard = bearer_on(worker(), &read);
    let goals = dashboard.get("/api/goals").expect_data(200);
    assert_eq!(goals["items"].as_array().map(Vec::len), Some(1));
    write(
        &mut dashboard,
        "POST",
        "/api/sync/poll",
        Some(&json!({"cursor": null})),
    )
    .expect_data(200);
    for (method, path, body) in [
        (
            "POST",
            "/api/goals",
            Some(json!({"title": "no", "category": "learning"})),
        ),
        ("PATCH", "/api/settings", Some(json!({"theme": "dark"}))),
        (
            "POST",
            "/api/sync/push",
            Some(
                json!({"operations": [{"idempotency_key": "k", "method": "POST", "path": "/api/goals", "body": {"title": "no", "category": "learning"}}]}),
            ),
        ),
        ("POST", "/api/auth/signout", None),
    ] {
        let refused =
            write(&mut dashboard, method, path, body.as_ref()).expect_error(403, "forbidden");
        assert!(
            refused["message"]
                .as_str()
                .is_some_and(|m| m.contains("read-only")),
            "{path}"
        );
    }
    let goals = me.client.get("/api/goals").expect_data(200);
    assert_eq!(
        goals["items"].as_array().map(Vec::len),
        Some(1),
        "nothing written"
    );
}

#[test]
fn a_token_never_manages_tokens_signs_out_everywhere_or_erases() {
    let email = unique_email("write-token");
    let mut me = Owner::on(worker(), &email);
    let made = token(&mut me, json!({"name": "script"}));
    assert_eq!(made["scope"], "write", "read-write unless asked otherwise");
    let mut script = bearer_on(worker(), &made);
    write(
        &mut script,
        "POST",
        "/api/goals",
        Some(&json!({"title": "ok", "category": "learning"})),
    )
    .expect_data(201);
    let id = made["id"].as_str().expect("id");
    for (method, path, body) in [
        (
            "POST",
            "/api/tokens".to_owned(),
            Some(json!({"name": "minted"})),
        ),
        ("GET", "/api/tokens".to_owned(), None),
        ("DELETE", format!("/api/tokens/{id}"), None),
        ("POST", "/api/auth/signout-all".to_owned(), None),
        (
            "DELETE",
            "/api/me".to_owned(),
            Some(json!({"confirm": email})),
        ),
    ] {
        let refused =
            write(&mut script, method, &path, body.as_ref()).expect_error(403, "forbidden");
        assert!(
            refused["message"]
                .as_str()
                .is_some_and(|m| m.contains("browser session")),
            "{path}"
        );
    }
    me.client.get("/api/auth/session").expect_data(200);
    let listed = me.client.get("/api/tokens").expect_data(200);
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "none minted"
    );
}

#[test]
fn an_admins_token_is_not_an_admin() {
    let admin = unique_email("token-admin");
    let mut options = WorkerOptions::default();
    options.vars.push(("ADMIN_EMAILS".into(), admin.clone()));
    let worker = Worker::start("token-admin", options);
    let mut me = Owner::on(&worker, &admin);
    me.client.get("/api/admin/users").expect_data(200);
    let made = token(&mut me, json!({"name": "admin script"}));
    bearer_on(&worker, &made)
        .get("/api/admin/users")
        .expect_error(403, "forbidden");
    worker.stop();
}

#[test]
fn an_expired_token_is_refused_and_no_longer_listed() {
    let mut me = Owner::new("expiring-token");
    let made = token(&mut me, json!({"name": "week", "expires_in_days": 7}));
    let expires = made["expires_at"].as_str().expect("expires_at");
    let created = made["created_at"].as_str().expect("created_at");
    assert!(expires > created, "{expires} after {created}");
    let mut script = bearer_on(worker(), &made);
    script.get("/api/goals").expect_data(200);
    worker().d1(&format!(
        "update api_tokens set expires_at = '2001-01-01T00:00:00.000Z' where id = '{}'",
        made["id"].as_str().expect("id")
    ));
    script.get("/api/goals").expect_error(401, "unauthorized");
    assert_eq!(
        me.client.get("/api/tokens").expect_data(200)["items"],
        json!([])
    );
    me.write(
        "POST",
        "/api/tokens",
        Some(&json!({"name": "x", "expires_in_days": 0})),
        None,
    )
    .expect_error(400, "bad_request");
}

/// Erasing the account needs a sign-in of the last `RECENT_SIGN_IN_MINUTES` (here 3 s).
#[test]
fn erasure_needs_a_recent_sign_in() {
    let mut options = WorkerOptions::default();
    options
        .vars
        .push(("RECENT_SIGN_IN_MINUTES".into(), "0.05".into()));
    let worker = Worker::start("recent-sign-in", options);
    let email = unique_email("stale-session");
    let mut me = Owner::on(&worker, &email);
    std::thread::sleep(std::time::Duration::from_secs(4));
    let refused = me
        .write("DELETE", "/api/me", Some(&json!({"confirm": email})), None)
        .expect_error(403, "forbidden");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("sign in again"))
    );
    me.client.get("/api/auth/session").expect_data(200);
    let mut fresh = Owner::on(&worker, &email);
    let erased = fresh.write("DELETE", "/api/me", Some(&json!({"confirm": email})), None);
    assert!(erased.status < 300, "{}", erased.text);
    worker.stop();
}
