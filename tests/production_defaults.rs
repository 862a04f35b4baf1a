//! The worker as `wrangler.toml` ships it: no dev sign-in, no CORS origins, no providers.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::json;
use support::{Worker, WorkerOptions};

/// The dev sign-in is not there, nor listed among the providers.
fn assert_no_dev_sign_in(client: &mut support::Client) {
    client
        .post_json("/api/auth/dev/signin", &json!({"email": "a@example.org"}))
        .expect_error(404, "not_found");
    let providers = client.get("/api/auth/providers").expect_data(200);
    assert_eq!(providers["items"], json!([]));
}

#[test]
fn without_dev_auth_the_dev_sign_in_does_not_exist() {
    let worker = Worker::start(
        "production-defaults",
        WorkerOptions {
            dev_auth: false,
            vars: Vec::new(),
            ..WorkerOptions::default()
        },
    );
    let mut client = worker.client();
    assert_no_dev_sign_in(&mut client);
    client
        .get("/api/auth/signin/google")
        .expect_error(404, "not_found");
    let foreign = client.send(
        "GET",
        "/api/health",
        &[("origin", "https://app.passion.test")],
        None,
    );
    foreign.expect_error(403, "forbidden");
}

/// A preview deploy that left `DEV_AUTH` on: outside `ENVIRONMENT=development` the dev sign-in
/// stays off (anyone could otherwise sign in as an admin's address), and health says why.
#[test]
fn dev_auth_outside_development_is_ignored_and_reported() {
    let worker = Worker::start(
        "dev-auth-in-production",
        WorkerOptions {
            vars: vec![("ENVIRONMENT".into(), "production".into())],
            ..WorkerOptions::default()
        },
    );
    let mut client = worker.client();
    assert_no_dev_sign_in(&mut client);
    let health = client.get("/api/health").expect_data(200);
    assert_eq!(health["status"], "misconfigured");
    assert!(
        health["problems"][0]
            .as_str()
            .is_some_and(|problem| problem.contains("DEV_AUTH")),
        "{health}"
    );
}
