//! Admin end to end: the guard on every admin route, search and pages of users with their
//! standing, one user's detail, revoking a user's sessions at once, and the audit log.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::sync::OnceLock;

use serde_json::json;
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
    let mut cli = worker().client();
    cli.default_headers.push((
        "authorization".into(),
        format!("Bearer {}", token["token"].as_str().expect("token")),
    ));
    cli.get("/api/goals").expect_error(401, "unauthorized");

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
