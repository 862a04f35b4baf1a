//! Postgres connections dropped mid-request (the server terminating the worker's backends over
//! and over while creations run): every answer is the creation or a clean `503` with
//! `Retry-After`, never a `500`; nothing is half-written (each stored goal has its one change-log
//! entry, and no entry lacks its goal); the same creation sent again after a `503` lands exactly
//! once; and the next request succeeds.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use support::postgres::rows;
use support::postgres::{Cluster, postgres_migrations};
use support::postgres_worker;
use support::{Owner, WorkerOptions, unique_email};

const CREATIONS: usize = 60;

fn chosen_id(n: usize) -> String {
    format!("01a23590-0000-7000-8000-{n:012}")
}

#[test]
fn dropped_connections_are_clean_503s_and_never_half_written_changes() {
    let cluster = Cluster::start("outage");
    let url = cluster.database("outage", postgres_migrations().len());
    let worker = postgres_worker::start("postgres-outage", &url, WorkerOptions::default());
    let mut me = Owner::on(&worker, &unique_email("outage"));
    let user_id = me.client.get("/api/auth/session").expect_data(200)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let killing = AtomicBool::new(true);
    let (answers, killed) = std::thread::scope(|scope| {
        let killer = scope.spawn(|| {
            let mut killed = 0;
            while killing.load(Ordering::Relaxed) {
                let terminated = rows(
                    &url,
                    "select pg_terminate_backend(pid) as done from pg_stat_activity
                      where datname = current_database() and pid <> pg_backend_pid()
                        and backend_type = 'client backend'",
                )
                .unwrap_or_default();
                killed += terminated.len();
                std::thread::sleep(Duration::from_millis(600));
            }
            killed
        });
        let answers: Vec<(usize, u16, Option<String>)> = (0..CREATIONS)
            .map(|n| {
                let reply = me.write(
                    "POST",
                    "/api/goals",
                    Some(&json!({"id": chosen_id(n), "title": format!("goal {n}"), "category": "health"})),
                    None,
                );
                let retry_after = reply.header("retry-after").map(str::to_owned);
                (n, reply.status, retry_after)
            })
            .collect();
        killing.store(false, Ordering::Relaxed);
        (answers, killer.join().expect("killer"))
    });
    println!("{killed} backends terminated during {CREATIONS} creations");
    assert!(killed > 0, "the test dropped no connection");

    let unavailable: Vec<usize> = answers
        .iter()
        .filter(|(_, status, _)| *status == 503)
        .map(|(n, _, _)| *n)
        .collect();
    for (n, status, retry_after) in &answers {
        assert!(
            matches!(status, 201 | 503),
            "creation {n}: {status}; log:\n{}",
            worker.log_text()
        );
        if *status == 503 {
            assert!(
                retry_after
                    .as_deref()
                    .and_then(|s| s.parse::<u32>().ok())
                    .is_some_and(|s| s > 0),
                "creation {n}: a 503 without Retry-After"
            );
        }
    }
    println!(
        "{} of {CREATIONS} creations answered 503 with Retry-After",
        unavailable.len()
    );
    assert!(
        !unavailable.is_empty(),
        "no creation met a dropped connection"
    );

    let stored = |sql: &str| -> Vec<String> {
        rows(&url, sql)
            .expect("psql")
            .iter()
            .map(|row: &Value| row["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let goals = || {
        stored(&format!(
            "select id from goals where user_id = '{user_id}' order by id"
        ))
    };
    let logged = || {
        stored(&format!(
            "select entity_id as id from change_log
              where user_id = '{user_id}' and entity = 'goal' order by entity_id"
        ))
    };
    // A write either landed with its change-log entry or not at all.
    assert_eq!(
        goals(),
        logged(),
        "each goal with exactly one change-log entry"
    );
    for (n, status, _) in &answers {
        if *status == 201 {
            assert!(
                goals().contains(&chosen_id(*n)),
                "acknowledged goal {n} is stored"
            );
        }
    }

    // Sent again, each refused creation lands once: anew, or as its first (committed) answer.
    for n in &unavailable {
        let again = me.write(
            "POST",
            "/api/goals",
            Some(&json!({"id": chosen_id(*n), "title": format!("goal {n}"), "category": "health"})),
            None,
        );
        assert_eq!(again.status, 201, "creation {n} again: {}", again.text);
    }
    let all: Vec<String> = (0..CREATIONS).map(chosen_id).collect();
    assert_eq!(goals(), all);
    assert_eq!(logged(), all);
    assert_eq!(
        me.client.get("/api/goals?limit=200").expect_data(200)["items"]
            .as_array()
            .map(Vec::len),
        Some(CREATIONS)
    );
}
