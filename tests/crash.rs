//! A crash loses nothing acknowledged and lands nothing twice: workerd is killed (SIGKILL) while
//! 200 awards to one user and 200 habit completions of as many users are in flight, then
//! restarted on the same state. Every award answered `2xx` is in the ledger, totals equal the
//! ledger's sums, and sending every request again with its `Idempotency-Key` lands each once.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Client, Worker, WorkerOptions, ledger};

const ADMIN: &str = "crash-admin@example.org";
const COUNT: usize = 200;

/// One request of the burst: who sends it, where, with which key.
struct Job {
    client: usize,
    path: String,
    body: Value,
    key: String,
}

/// Signed-in clients with their CSRF tokens; the same cookies work after the restart.
struct Caller {
    client: Client,
    csrf: String,
}

fn send(caller: &Caller, job: &Job, base: &str) -> Result<u16, String> {
    let mut client = caller.client.burst_tab();
    client.base = base.to_owned();
    let text = job.body.to_string();
    client
        .send_once(
            "POST",
            &job.path,
            &[
                ("content-type", "application/json"),
                ("x-csrf-token", &caller.csrf),
                ("idempotency-key", &job.key),
            ],
            Some(text.as_bytes()),
        )
        .map(|reply| reply.status)
}

fn sum(rows: &[Value], event: Option<&str>) -> i64 {
    support::ledger_sum(rows, event.as_slice())
}

#[test]
fn a_killed_runtime_loses_no_acknowledged_award_and_a_retry_lands_each_once() {
    let state = std::env::temp_dir().join(format!("passion-edge-crash-{}", std::process::id()));
    let options = WorkerOptions {
        keep_state: Some(state.clone()),
        vars: vec![("ADMIN_EMAILS".into(), ADMIN.into())],
        ..WorkerOptions::default()
    };
    let before = Worker::start("crash-before", options.clone());
    let (admin, admin_csrf) = before.signed_in(ADMIN);
    let (mut target, _) = before.signed_in("crash-target@example.org");
    let target_id = target.get("/api/auth/session").expect_data(200)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut callers = vec![Caller {
        client: admin,
        csrf: admin_csrf,
    }];
    let mut jobs: Vec<Job> = (0..COUNT)
        .map(|n| Job {
            client: 0,
            path: format!("/api/admin/users/{target_id}/claim"),
            body: json!({"xp": 1, "coins": 1, "reason": format!("claim {n}")}),
            key: format!("claim-{n}"),
        })
        .collect();
    for n in 0..COUNT {
        let (mut client, csrf) = before.signed_in(&format!("crash-user-{n}@example.org"));
        let habit = client
            .post_json_with(
                "/api/habits",
                &json!({"title": "Crash-proof", "category": "health"}),
                &[("x-csrf-token", &csrf)],
            )
            .expect_data(201);
        jobs.push(Job {
            client: callers.len(),
            path: format!("/api/habits/{}/complete", habit["id"].as_str().expect("id")),
            body: json!({}),
            key: format!("complete-{n}"),
        });
        callers.push(Caller { client, csrf });
    }
    // Claims and completions interleaved, so both are in flight when the runtime dies.
    let (claims, completions) = jobs.split_at(COUNT);
    let order: Vec<&Job> = claims
        .iter()
        .zip(completions)
        .flat_map(|(claim, completion)| [claim, completion])
        .collect();

    let answered: Mutex<Vec<(usize, Result<u16, String>)>> = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    support::burst(|| {
        std::thread::scope(|scope| {
            for _ in 0..40 {
                scope.spawn(|| {
                    loop {
                        let index = {
                            let mut next = next.lock().expect("next");
                            *next += 1;
                            *next - 1
                        };
                        let Some(job) = order.get(index) else { return };
                        let outcome = send(&callers[job.client], job, &before.base);
                        answered.lock().expect("answered").push((index, outcome));
                    }
                });
            }
            // Let a part of the burst land, then kill the runtime under the rest.
            std::thread::sleep(Duration::from_millis(1_500));
            assert!(before.kill_runtime() > 0, "no workerd to kill");
        })
    });
    before.stop();
    let answered = answered.into_inner().expect("answered");
    let acknowledged: Vec<&Job> = answered
        .iter()
        .filter(|(_, outcome)| {
            outcome
                .as_ref()
                .is_ok_and(|status| (200..300).contains(status))
        })
        .map(|(index, _)| order[*index])
        .collect();
    let acknowledged_claims = acknowledged.iter().filter(|job| job.client == 0).count();
    let acknowledged_completions: Vec<&&Job> =
        acknowledged.iter().filter(|job| job.client != 0).collect();
    eprintln!(
        "acknowledged before the kill: {acknowledged_claims} claims, {} completions, of {}",
        acknowledged_completions.len(),
        order.len()
    );
    assert!(
        !acknowledged.is_empty() && acknowledged.len() < order.len(),
        "the kill must come while requests are in flight"
    );

    let after = Worker::start("crash-after", options);
    let rebase = |caller: &mut Caller| caller.client.base = after.base.clone();
    callers.iter_mut().for_each(rebase);
    target.base = after.base.clone();
    let claimed = sum(&ledger(&mut target, "coins"), Some("admin_claim"));
    assert!(
        claimed >= acknowledged_claims as i64,
        "{acknowledged_claims} claims answered 2xx, {claimed} in the ledger"
    );
    for job in &acknowledged_completions {
        let completed = sum(
            &ledger(&mut callers[job.client].client, "coins"),
            Some("habit_completed"),
        );
        assert_eq!(completed, 2, "an acknowledged completion is in its ledger");
    }

    // Every request again, with its key: each lands exactly once.
    for job in &order {
        let status = send(&callers[job.client], job, &after.base).expect("the worker answers");
        assert!(
            (200..300).contains(&status),
            "{} {}: {status}",
            job.path,
            job.key
        );
    }
    // A completion's award left between D1 and the object by the kill is the reconciliation's.
    after.d1("update habit_completions set created_at = '2000-01-01T00:00:00.000Z'");
    after.run_scheduled();
    let xp = ledger(&mut target, "xp");
    let coins = ledger(&mut target, "coins");
    assert_eq!(
        sum(&coins, Some("admin_claim")),
        COUNT as i64,
        "each claim once"
    );
    let progress = target.get("/api/progress").expect_data(200);
    assert_eq!(progress["xp"].as_i64(), Some(sum(&xp, None)));
    assert_eq!(progress["coins"].as_i64(), Some(sum(&coins, None)));
    for caller in callers.iter_mut().skip(1) {
        let coins = ledger(&mut caller.client, "coins");
        assert_eq!(
            sum(&coins, Some("habit_completed")),
            2,
            "each completion once"
        );
        let progress = caller.client.get("/api/progress").expect_data(200);
        assert_eq!(progress["coins"].as_i64(), Some(sum(&coins, None)));
    }
    after.stop();
    let _ = std::fs::remove_dir_all(&state);
}
