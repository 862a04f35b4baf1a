//! A worker whose D1 database lacks a migration says so on `/api/health` with `503`.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{Worker, WorkerOptions};

#[test]
fn health_is_503_while_a_migration_is_unapplied() {
    let worker = Worker::start(
        "schema-behind",
        WorkerOptions {
            skip_migrations: true,
            ..WorkerOptions::default()
        },
    );
    let reply = worker.client().get("/api/health");
    let error = reply.expect_error(503, "unavailable");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("0 of")),
        "{error}"
    );
}
