//! Guessing credentials is not free: failed authentications spend a per-address budget, after
//! which the address gets `429` without any lookup; health answers from the isolate's memory.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{Value, json};
use support::{Owner, worker};

fn bearer(ip: &str, token: &str) -> support::Reply {
    worker().client().send(
        "GET",
        "/api/goals",
        &[
            ("authorization", &format!("Bearer {token}")),
            ("cf-connecting-ip", ip),
        ],
        None,
    )
}

#[test]
fn failed_authentications_from_one_address_run_out_of_budget() {
    let mut me = Owner::new("guessed");
    let real = me.token(&json!({"name": "real"}));
    let guesser = support::unique_ip();
    let guesses: Vec<u16> = (0..24)
        .map(|n| bearer(&guesser, &format!("pat_{:0>43}", n)).status)
        .collect();
    assert_eq!(&guesses[..20], &[401; 20], "the budget: 20 a minute");
    assert!(
        guesses[20..].iter().all(|&status| status == 429),
        "{guesses:?}"
    );
    let refused = bearer(&guesser, &real);
    assert_eq!(
        refused.status, 429,
        "a right guess after the budget learns nothing"
    );
    assert!(refused.header("retry-after").is_some());
    let cookie_guess = worker().client().send(
        "GET",
        "/api/goals",
        &[
            (
                "cookie",
                "__Host-passion_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ),
            ("cf-connecting-ip", &guesser),
        ],
        None,
    );
    assert_eq!(cookie_guess.status, 429, "cookies count the same");
    // Another address, and the owner's own requests, are not affected.
    bearer(&support::unique_ip(), &real).expect_data(200);
    me.client.get("/api/goals").expect_data(200);
}

/// A signed-out browser's other cookies are no credential: its `401`s spend no budget.
#[test]
fn requests_without_a_credential_spend_no_budget() {
    let mut me = Owner::new("no-credential");
    let real = me.token(&json!({"name": "real"}));
    let browser = support::unique_ip();
    for _ in 0..24 {
        let reply = worker().client().send(
            "GET",
            "/api/goals",
            &[
                ("cookie", "theme=dark; __Host-passion_preauth=x"),
                ("cf-connecting-ip", &browser),
            ],
            None,
        );
        assert_eq!(reply.status, 401, "{}", reply.text);
    }
    bearer(&browser, &real).expect_data(200);
}

#[test]
fn health_reads_the_database_once_per_isolate() {
    let mut client = worker().client();
    for _ in 0..5 {
        client.get("/api/health").expect_data(200);
    }
    let log = worker().log_text();
    let trips: Vec<u64> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line.get(line.find('{')?..)?).ok())
        .filter(|line| line["path"] == "/api/health" && line["status"] == 200)
        .map(|line| line["d1"]["round_trips"].as_u64().unwrap_or(0))
        .collect();
    assert!(trips.len() >= 5, "{trips:?}");
    assert_eq!(
        trips.iter().skip(1).filter(|&&n| n > 0).count(),
        0,
        "{trips:?}"
    );
}
