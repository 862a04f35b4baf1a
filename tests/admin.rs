//! Admin end to end: the guard on every admin route, search and pages of users with their
//! standing, one user's detail, revoking a user's sessions at once, and the audit log.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::sync::OnceLock;

use serde_json::{Value, json};
use support::{Owner, Worker, WorkerOptions, unique_email};

const ADMIN: &str = "admin-suite-admin@example.org";

fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let mut options = WorkerOptions::default();
        options.vars.push(("ADMIN_EMAILS".into(), ADMIN.into()));
        Worker::start("admin", options)
    })
}

/// A request with the created token `token` (the `POST /api/tokens` reply) is refused.
fn assert_token_refused(token: &Value) {
    let mut cli = worker().client();
    cli.default_headers.push((
        "authorization".into(),
        format!("Bearer {}", token["token"].as_str().expect("token")),
    ));
    cli.get("/api/goals").expect_error(401, "unauthorized");
}

fn id_of(owner: &mut Owner) -> String {
    owner.client.get("/api/auth/session").expect_data(200)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[test]
fn every_admin_route_refuses_other_users() {
    let mut user = Owner::on(worker(), &unique_email("admin-guard"));
    let id = id_of(&mut user);
    for (method, path, body) in [
        ("GET", "/api/admin/users".to_owned(), None),
        ("GET", format!("/api/admin/users/{id}"), None),
        (
            "PATCH",
            format!("/api/admin/users/{id}"),
            Some(json!({"role": "admin"})),
        ),
        (
            "POST",
            format!("/api/admin/users/{id}/claim"),
            Some(json!({"xp": 1, "reason": "x"})),
        ),
        (
            "POST",
            format!("/api/admin/users/{id}/sessions/revoke"),
            None,
        ),
        ("GET", "/api/admin/audit".to_owned(), None),
        ("GET", "/api/admin/stats".to_owned(), None),
        ("GET", "/api/admin/errors".to_owned(), None),
    ] {
        user.write(method, &path, body.as_ref(), None)
            .expect_error(403, "forbidden");
    }
}

#[test]
fn admins_search_page_and_read_users() {
    let mut admin = Owner::on(worker(), ADMIN);
    let tag = format!("zq{}", std::process::id());
    let mut members: Vec<Owner> = (0..3)
        .map(|n| Owner::on(worker(), &format!("{tag}-{n}@example.org")))
        .collect();
    members[0].create("/api/goals", &json!({"title": "g", "category": "health"}));
    members[0].create("/api/books", &json!({"title": "b", "status": "finished"}));
    let first_id = id_of(&mut members[0]);

    let mut seen = Vec::new();
    let mut path = format!("/api/admin/users?q={}&limit=2", tag.to_uppercase());
    loop {
        let page = admin.client.get(&path).expect_data(200);
        for user in page["items"].as_array().into_iter().flatten() {
            assert!(
                user["email"].as_str().is_some_and(|e| e.starts_with(&tag)),
                "{user}"
            );
            assert!(user["progress"]["level"].is_number());
            seen.push(user["id"].as_str().unwrap_or_default().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/admin/users?q={tag}&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    let listed = admin
        .client
        .get(&format!("/api/admin/users?q={tag}"))
        .expect_data(200);
    let first = listed["items"]
        .as_array()
        .and_then(|items| items.iter().find(|u| u["id"] == first_id.as_str()).cloned())
        .expect("listed");
    assert_eq!(first["progress"]["xp"], 100, "the finished book");
    let none = admin.client.get("/api/admin/users?q=%25").expect_data(200);
    assert_eq!(none["items"], json!([]), "a wildcard is matched literally");
    let long = admin
        .client
        .get(&format!("/api/admin/users?q={}", "0".repeat(200)))
        .expect_data(200);
    assert_eq!(
        long["items"],
        json!([]),
        "a long prefix is fine (D1 caps LIKE patterns)"
    );
    admin
        .client
        .get(&format!("/api/admin/users?q={}", "0".repeat(201)))
        .expect_error(400, "bad_request");

    let detail = admin
        .client
        .get(&format!("/api/admin/users/{first_id}"))
        .expect_data(200);
    assert_eq!(detail["content"]["goals"], 1);
    assert_eq!(detail["content"]["books"], 1);
    assert_eq!(detail["content"]["live_sessions"], 1);
    assert_eq!(detail["progress"]["coins"], 20);
    assert_eq!(detail["disabled"], false);
    admin
        .client
        .get("/api/admin/users/01a213e4-c2ce-7bc3-9696-c4d01d35c4f4")
        .expect_error(404, "not_found");
}

#[test]
fn revoking_a_users_sessions_signs_them_out_everywhere_and_is_audited() {
    let mut admin = Owner::on(worker(), ADMIN);
    let mut user = Owner::on(worker(), &unique_email("admin-revoke"));
    let id = id_of(&mut user);
    let token = user
        .write("POST", "/api/tokens", Some(&json!({"name": "cli"})), None)
        .expect_data(201);
    let revoked = admin
        .write(
            "POST",
            &format!("/api/admin/users/{id}/sessions/revoke"),
            None,
            None,
        )
        .expect_data(200);
    assert_eq!(revoked["revoked"], true);
    user.client
        .get("/api/auth/session")
        .expect_error(401, "unauthorized");
    assert_token_refused(&token);

    let log = admin
        .client
        .get("/api/admin/audit?limit=50")
        .expect_data(200);
    let entry = log["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|e| e["action"] == "admin.sessions_revoke" && e["target_id"] == id.as_str())
                .cloned()
        })
        .expect("an audit row");
    assert!(entry["actor_id"].is_string());
    assert!(entry["request_id"].is_string());
    assert!(entry["detail"].is_object());
    let newest_first: Vec<&str> = log["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["id"].as_str())
        .collect();
    let mut sorted = newest_first.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(newest_first, sorted);
}

/// The audit rows (newest first, up to 1,000) that `keep` picks.
fn audit_rows(admin: &mut Owner, keep: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut path = "/api/admin/audit?limit=200".to_owned();
    for _ in 0..5 {
        let page = admin.client.get(&path).expect_data(200);
        rows.extend(
            page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| keep(e))
                .cloned(),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/admin/audit?limit=200&cursor={cursor}"),
            None => break,
        }
    }
    rows
}

#[test]
fn every_security_event_writes_an_audit_row() {
    let mut admin = Owner::on(worker(), ADMIN);
    let admin_id = id_of(&mut admin);
    let mut user = Owner::on(worker(), &unique_email("admin-events"));
    let id = id_of(&mut user);
    let token = user
        .write("POST", "/api/tokens", Some(&json!({"name": "cli"})), None)
        .expect_data(201);
    let token_id = token["id"].as_str().expect("token id").to_owned();
    let revoked = user.write("DELETE", &format!("/api/tokens/{token_id}"), None, None);
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    user.write("POST", "/api/auth/signout", None, None)
        .expect_data(200);
    let failed = worker()
        .client()
        .get("/api/auth/callback/google?code=c&state=forged-state-of-an-attacker-000000000");
    assert!(matches!(failed.status, 400 | 404), "{}", failed.text);
    let failed_request = failed
        .header("x-request-id")
        .expect("request id")
        .to_owned();
    let target = format!("/api/admin/users/{id}");
    admin
        .write("PATCH", &target, Some(&json!({"role": "admin"})), None)
        .expect_data(200);
    admin
        .write(
            "PATCH",
            &target,
            Some(&json!({"role": "user", "disabled": true})),
            None,
        )
        .expect_data(200);
    admin
        .write("PATCH", &target, Some(&json!({"disabled": false})), None)
        .expect_data(200);
    admin
        .write(
            "POST",
            &format!("{target}/claim"),
            Some(&json!({"xp": 5, "reason": "bug bounty"})),
            None,
        )
        .expect_data(200);

    let rows = audit_rows(&mut admin, |e| {
        e["target_id"] == id.as_str() || e["request_id"] == failed_request.as_str()
    });
    let actions: Vec<&str> = rows
        .iter()
        .filter_map(|e| e["action"].as_str())
        .rev()
        .collect();
    assert_eq!(
        actions,
        [
            "auth.sign_in",
            "token.create",
            "token.revoke",
            "auth.sign_out",
            "auth.sign_in_failed",
            "admin.role_change",
            "admin.role_change",
            "admin.disable",
            "admin.enable",
            "admin.claim",
        ],
        "{rows:#?}"
    );
    for row in &rows {
        assert!(
            row["request_id"].is_string() && row["created_at"].is_string(),
            "{row}"
        );
        let actor = if row["action"]
            .as_str()
            .is_some_and(|a| a.starts_with("admin."))
        {
            json!(admin_id)
        } else if row["action"] == "auth.sign_in_failed" {
            Value::Null
        } else {
            json!(id)
        };
        assert_eq!(row["actor_id"], actor, "{row}");
    }
    let token_rows: Vec<&Value> = rows
        .iter()
        .filter(|e| {
            e["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("token."))
        })
        .collect();
    assert!(
        token_rows
            .iter()
            .all(|e| e["detail"]["token_id"] == token_id.as_str())
    );
    assert!(
        !rows.iter().any(|e| e.to_string().contains("pat_")),
        "no secrets"
    );
    let roles: Vec<&Value> = rows
        .iter()
        .filter(|e| e["action"] == "admin.role_change")
        .map(|e| &e["detail"]["role"])
        .collect();
    assert_eq!(roles, [&json!("user"), &json!("admin")]);

    // Append-only: no route changes or removes a row.
    for method in ["DELETE", "PATCH", "PUT"] {
        let reply = admin.write(method, "/api/admin/audit", Some(&json!({})), None);
        assert_eq!(reply.status, 405, "{method}: {}", reply.text);
    }
}

#[test]
fn stats_count_users_activity_and_awards_of_today() {
    let mut admin = Owner::on(worker(), ADMIN);
    let before = admin.client.get("/api/admin/stats").expect_data(200);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    let today = chrono::DateTime::from_timestamp(now.as_secs() as i64, 0)
        .expect("a time")
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(before["day"], today.as_str());
    let mut user = Owner::on(worker(), &unique_email("admin-stats"));
    user.create(
        "/api/workouts",
        &json!({"name": "Row", "duration_minutes": 30, "intensity": "high"}),
    );
    let habit = user.create("/api/habits", &json!({"title": "h", "category": "health"}));
    user.write(
        "POST",
        &format!("/api/habits/{}/complete", habit["id"].as_str().expect("id")),
        None,
        None,
    )
    .expect_data(200);
    let after = admin.client.get("/api/admin/stats").expect_data(200);
    let grew =
        |field: &str| after[field].as_u64().unwrap_or(0) - before[field].as_u64().unwrap_or(0);
    assert!(grew("users") >= 1, "{before} → {after}");
    assert!(grew("awards_today") >= 2, "{before} → {after}");
    assert!(after["active_today"].as_u64().unwrap_or(0) >= 2, "{after}");
    assert!(after["active_today"].as_u64() <= after["users"].as_u64());
}

#[test]
fn server_errors_are_logged_with_their_request_ids() {
    let mut admin = Owner::on(worker(), ADMIN);
    let mut user = Owner::on(worker(), &unique_email("admin-errors"));
    let goal = user.create("/api/goals", &json!({"title": "g", "category": "health"}));
    let goal_id = goal["id"].as_str().expect("id").to_owned();
    // A row the code cannot read (a category that is no skill), as a bad manual fix might leave.
    worker().d1(&format!(
        "update goals set category = 'cooking' where id = '{goal_id}'"
    ));
    let failed = user.client.get(&format!("/api/goals/{goal_id}"));
    assert_eq!(failed.status, 500, "{}", failed.text);
    let request_id = failed
        .header("x-request-id")
        .expect("request id")
        .to_owned();
    let body = failed.json();
    assert_eq!(body["error"]["type"], "internal");
    assert!(
        !failed.text.contains("title"),
        "no internals reach the client"
    );

    // The log is written after the response is sent.
    let mut entry = None;
    for _ in 0..50 {
        let page = admin
            .client
            .get("/api/admin/errors?limit=200")
            .expect_data(200);
        entry = page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["request_id"] == request_id.as_str())
            .cloned();
        if entry.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let entry = entry.expect("the error is logged");
    assert_eq!(entry["status"], 500);
    assert_eq!(entry["method"], "GET");
    assert_eq!(entry["path"], format!("/api/goals/{goal_id}"));
    assert_eq!(entry["error_type"], "internal");
    assert_eq!(entry["user_id"], id_of(&mut user).as_str());
    assert!(
        entry["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{entry}"
    );
}

#[test]
fn disabling_a_user_cuts_their_session_token_and_socket_at_once() {
    let mut admin = Owner::on(worker(), ADMIN);
    let mut user = Owner::on(worker(), &unique_email("admin-disable"));
    let id = id_of(&mut user);
    let token = user
        .write("POST", "/api/tokens", Some(&json!({"name": "cli"})), None)
        .expect_data(201);
    let mut socket = support::open_socket(worker(), &user);
    let disabled = admin
        .write(
            "PATCH",
            &format!("/api/admin/users/{id}"),
            Some(&json!({"disabled": true})),
            None,
        )
        .expect_data(200);
    assert_eq!(disabled["disabled"], true);
    assert_eq!(support::next_text(&mut socket), None, "the socket closed");
    user.client
        .get("/api/auth/session")
        .expect_error(401, "unauthorized");
    assert_token_refused(&token);
}

/// No admin can lock everyone out: an admin neither demotes nor disables themselves, and two
/// admins demoting each other at once leave one of them an admin.
#[test]
fn the_last_enabled_admin_cannot_be_demoted_or_disabled() {
    let (first, second) = ("lockout-one@example.org", "lockout-two@example.org");
    let mut options = WorkerOptions::default();
    options
        .vars
        .push(("ADMIN_EMAILS".into(), format!("{first},{second}")));
    let worker = Worker::start("admin-lockout", options);
    let mut one = Owner::on(&worker, first);
    let mut two = Owner::on(&worker, second);
    let (one_id, two_id) = (id_of(&mut one), id_of(&mut two));
    for body in [json!({"role": "user"}), json!({"disabled": true})] {
        let refused = one
            .write(
                "PATCH",
                &format!("/api/admin/users/{one_id}"),
                Some(&body),
                None,
            )
            .expect_error(409, "conflict");
        assert!(
            refused["message"]
                .as_str()
                .is_some_and(|m| m.contains("themselves"))
        );
    }
    // Each demotes the other at the same moment: one wins, the other is refused.
    let patch = |admin: &Owner, target: &str, body: Value| {
        let mut tab = Owner {
            client: admin.client.burst_tab(),
            csrf: admin.csrf.clone(),
        };
        tab.write(
            "PATCH",
            &format!("/api/admin/users/{target}"),
            Some(&body),
            None,
        )
    };
    let replies = support::burst(|| {
        std::thread::scope(|scope| {
            let a = scope.spawn(|| patch(&one, &two_id, json!({"role": "user"})));
            let b = scope.spawn(|| patch(&two, &one_id, json!({"disabled": true})));
            [a.join().expect("a"), b.join().expect("b")]
        })
    });
    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    assert!(
        statuses == [200, 409]
            || statuses == [200, 403]
            || statuses == [409, 200]
            || statuses == [401, 200],
        "exactly one change lands: {statuses:?} {replies:?}"
    );
    let admins = worker.d1("select count(*) as n from users where role = 'admin' and disabled = 0");
    assert_eq!(admins[0]["n"], 1, "one enabled admin remains");
    worker.stop();
}
