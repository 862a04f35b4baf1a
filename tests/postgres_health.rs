//! `/api/health` with Postgres as the content store (the `CONTENT_DB` Hyperdrive binding): it
//! reports the Postgres schema, says when that schema is behind the code, and answers `503` with
//! `Retry-After` while the database cannot be reached (not a `500`, not a hang, and wrangler dev
//! keeps serving), then `200` again as soon as it is back.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::WorkerOptions;
use support::postgres::{Cluster, postgres_migrations};
use support::postgres_worker;

/// An unreachable database must be answered well before the client's own timeout (30 s).
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

#[test]
fn health_reports_the_postgres_schema_and_503_while_postgres_is_down_until_it_is_back() {
    let expected = postgres_migrations().len();
    let cluster = Cluster::start("health");
    let url = cluster.database("content", expected);
    let worker = postgres_worker::start("postgres-health", &url, WorkerOptions::default());
    let mut client = worker.client();

    let health = client.get("/api/health").expect_data(200);
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(
        health["schema"],
        json!({ "expected": expected, "applied": expected })
    );

    cluster.stop();
    for attempt in 1..=2 {
        let started = Instant::now();
        let reply = client
            .send_once("GET", "/api/health", &[], None)
            .unwrap_or_else(|error| {
                panic!(
                    "wrangler dev stopped answering with Postgres down (attempt {attempt}): \
                     {error}; log:\n{}",
                    worker.log_text()
                )
            });
        assert!(
            started.elapsed() < ANSWER_WITHIN,
            "took {:?}",
            started.elapsed()
        );
        reply.expect_error(503, "unavailable");
        let retry_after = reply
            .header("retry-after")
            .and_then(|s| s.parse::<u32>().ok());
        assert!(
            retry_after.is_some_and(|seconds| seconds > 0),
            "Retry-After: {:?}",
            reply.header("retry-after")
        );
    }
    // Routes that do not need Postgres still work meanwhile.
    assert_eq!(client.get("/api/openapi.json").status, 200);

    cluster.start_again();
    let health = client.get("/api/health").expect_data(200);
    assert_eq!(
        health["schema"],
        json!({ "expected": expected, "applied": expected })
    );
}

#[test]
fn health_is_503_while_the_postgres_schema_lacks_the_last_migration() {
    let expected = postgres_migrations().len();
    let cluster = Cluster::start("behind");
    let url = cluster.database("behind", expected - 1);
    let worker = postgres_worker::start("postgres-behind", &url, WorkerOptions::default());

    // D1 has every migration (the harness applies them): only Postgres is behind.
    let reply = worker.client().get("/api/health");
    let error = reply.expect_error(503, "unavailable");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Postgres")
            && message.contains(&format!("{} of {expected}", expected - 1)),
        "{message}"
    );
}
