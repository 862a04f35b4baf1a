//! Sessions end after inactivity and after their lifetime, whatever the activity. The timeouts
//! are set to seconds here (the vars take fractions of minutes).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::{
    sync::OnceLock,
    thread::sleep,
    time::{Duration, Instant},
};

use support::{Worker, WorkerOptions, unique_email};

fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let mut options = WorkerOptions::default();
        options.vars.extend([
            // 6 s without a request, 24 s in all: wide enough margins for a loaded machine.
            ("SESSION_INACTIVITY_TIMEOUT_MINUTES".into(), "0.1".into()),
            ("SESSION_LIFETIME_MINUTES".into(), "0.4".into()),
        ]);
        Worker::start("session-expiry", options)
    })
}

#[test]
fn a_session_ends_after_the_inactivity_timeout() {
    let (mut browser, _) = worker().signed_in(&unique_email("idle"));
    browser.get("/api/auth/session").expect_data(200);
    sleep(Duration::from_millis(8_000));
    browser
        .get("/api/auth/session")
        .expect_error(401, "unauthorized");
}

#[test]
fn activity_renews_a_session_but_not_past_its_lifetime() {
    let (mut browser, _) = worker().signed_in(&unique_email("active"));
    let signed_in = Instant::now();
    // Requests every second keep it alive well past the 6 s inactivity timeout ...
    while signed_in.elapsed() < Duration::from_secs(12) {
        sleep(Duration::from_millis(1_000));
        browser.get("/api/auth/session").expect_data(200);
    }
    // ... until 24 s after sign-in, when it ends however active it is.
    let mut ended = false;
    for _ in 0..20 {
        sleep(Duration::from_millis(1_000));
        if browser.get("/api/auth/session").status == 401 {
            ended = true;
            break;
        }
    }
    assert!(ended, "the session outlived its 24 s lifetime");
}
