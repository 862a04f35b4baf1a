//! The economy end to end: awards through the per-user Durable Object land exactly once, under
//! concurrency too; coins never go below zero; totals always equal the ledger's sums.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::sync::OnceLock;

use serde_json::{Value, json};
use support::{Client, Reply, Worker, WorkerOptions, unique_email};

const ADMINS: &[&str] = &[
    "economy-admin-1@example.org",
    "economy-admin-2@example.org",
    "economy-admin-3@example.org",
    "economy-admin-4@example.org",
    "economy-admin-5@example.org",
];

fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let mut options = WorkerOptions::default();
        options.vars.push(("ADMIN_EMAILS".into(), ADMINS.join(",")));
        Worker::start("economy", options)
    })
}

/// A signed-in client with its CSRF token and user id.
struct Member {
    client: Client,
    csrf: String,
    id: String,
}

fn member(email: &str) -> Member {
    let (mut client, csrf) = worker().signed_in(email);
    let id = client.get("/api/auth/session").expect_data(200)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    Member { client, csrf, id }
}

impl Member {
    fn post(&mut self, path: &str, body: &Value, idempotency_key: Option<&str>) -> Reply {
        let mut headers = vec![("x-csrf-token", self.csrf.as_str())];
        if let Some(key) = idempotency_key {
            headers.push(("idempotency-key", key));
        }
        self.client.post_json_with(path, body, &headers)
    }

    fn claim(&mut self, user: &str, xp: i64, coins: i64, key: Option<&str>) -> Reply {
        let body = json!({"xp": xp, "coins": coins, "reason": "test adjustment"});
        self.post(&format!("/api/admin/users/{user}/claim"), &body, key)
    }

    fn progress(&mut self) -> Value {
        self.client.get("/api/progress").expect_data(200)
    }

    /// Every ledger row of one currency, newest first, following cursors.
    fn ledger(&mut self, currency: &str) -> Vec<Value> {
        support::ledger(&mut self.client, currency)
    }

    fn assert_totals_equal_ledger_sums(&mut self) -> Value {
        let progress = self.progress();
        for currency in ["xp", "coins"] {
            let rows = self.ledger(currency);
            let sum: i64 = rows
                .iter()
                .map(|row| row["amount"].as_i64().expect("amount"))
                .sum();
            assert_eq!(
                Some(sum),
                progress[currency].as_i64(),
                "{currency} total vs ledger sum"
            );
            if let Some(newest) = rows.first() {
                assert_eq!(
                    newest["balance_after"], progress[currency],
                    "{currency} newest balance"
                );
            }
            assert!(
                rows.iter()
                    .all(|row| row["balance_after"].as_i64().is_some_and(|b| b >= 0))
            );
        }
        progress
    }
}

#[test]
fn a_new_user_starts_at_level_one_with_every_skill() {
    let mut user = member(&unique_email("fresh"));
    let progress = user.progress();
    assert_eq!(progress["xp"], 0);
    assert_eq!(progress["level"], 1);
    assert_eq!(progress["xp_into_level"], 0);
    assert_eq!(progress["xp_to_next_level"], 100);
    assert_eq!(progress["coins"], 0);
    assert_eq!(progress["achievements_unlocked"], 0);
    assert_eq!(progress["best_streak"], 0);
    let skills = progress["skills"].as_object().expect("skills");
    assert_eq!(skills.len(), 8);
    assert_eq!(skills["mindfulness"], json!({"xp": 0, "level": 1}));
    let catalog = user.client.get("/api/achievements").expect_data(200);
    let items = catalog["items"].as_array().expect("items");
    assert!(items.len() >= 10);
    assert!(items.iter().all(|a| a["unlocked_at"].is_null()));
    for id in [
        "first_habit",
        "streak_7",
        "streak_30",
        "habits_100",
        "first_goal",
        "first_quest",
        "focus_10h",
        "books_5",
        "level_5",
        "level_10",
    ] {
        let entry = items
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("{id}"));
        assert!(["bronze", "silver", "gold"].contains(&entry["tier"].as_str().unwrap_or_default()));
    }
}

#[test]
fn a_claim_moves_the_ledger_and_pays_level_achievements_in_the_same_award() {
    let mut admin = member(ADMINS[0]);
    let mut user = member(&unique_email("claimed"));
    let reply = admin.claim(&user.id, 700, 10, None);
    let data = reply.expect_data(200);
    let award = &data["award"];
    assert_eq!(
        (award["xp"].as_i64(), award["coins"].as_i64()),
        (Some(700), Some(10))
    );
    assert_eq!(
        (
            award["level_before"].as_i64(),
            award["level_after"].as_i64()
        ),
        (Some(1), Some(5))
    );
    assert_eq!(
        award["achievements"],
        json!([{"id": "level_5", "xp": 50, "coins": 20}])
    );

    let progress = user.assert_totals_equal_ledger_sums();
    assert_eq!(progress["xp"], 750);
    assert_eq!(progress["coins"], 30);
    assert_eq!(progress["level"], 5);
    assert_eq!(progress["achievements_unlocked"], 1);
    assert_eq!(
        progress["skills"]["learning"]["xp"], 0,
        "claims and achievements earn no skill XP"
    );

    let catalog = user.client.get("/api/achievements").expect_data(200);
    let level_5 = catalog["items"]
        .as_array()
        .and_then(|items| items.iter().find(|a| a["id"] == "level_5").cloned());
    assert!(level_5.is_some_and(|a| a["unlocked_at"].as_str().is_some_and(|t| t.ends_with('Z'))));

    let coins = user.ledger("coins");
    assert_eq!(coins.len(), 2);
    assert_eq!(coins[0]["event_type"], "achievement");
    assert_eq!(coins[1]["event_type"], "admin_claim");
    assert_eq!(coins[1]["reason"], "test adjustment");
    assert_eq!(coins[1]["source_id"], admin.id.as_str());
    for row in &coins {
        for field in [
            "id",
            "amount",
            "balance_after",
            "event_type",
            "reason",
            "created_at",
        ] {
            assert!(!row[field].is_null(), "{field}");
        }
        assert_eq!(row["id"].as_str().map(str::len), Some(36));
    }
}

#[test]
fn the_ledger_pages_newest_first_without_gaps() {
    let mut admin = member(ADMINS[0]);
    let mut user = member(&unique_email("pages"));
    for coins in 1..=5 {
        admin.claim(&user.id, 0, coins, None).expect_data(200);
    }
    let mut seen = Vec::new();
    let mut path = "/api/ledger?currency=coins&limit=2".to_owned();
    loop {
        let page = user.client.get(&path).expect_data(200);
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|row| row["amount"].as_i64().expect("amount")),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/ledger?currency=coins&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, [5, 4, 3, 2, 1]);
    let all = user.client.get("/api/ledger").expect_data(200);
    assert_eq!(all["items"].as_array().map(Vec::len), Some(5));
}

/// Runs `count` requests at once, each from a tab of `member`, and returns the replies. The
/// burst holds the harness's traffic lock, so no other test's request is in flight meanwhile
/// (wrangler's local proxy may drop one under such a burst; see `support::burst`).
fn at_once(
    member: &Member,
    count: usize,
    request: impl Fn(&mut Member, usize) -> Reply + Sync,
) -> Vec<Reply> {
    support::burst(|| {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..count)
                .map(|index| {
                    let mut tab = Member {
                        client: member.client.burst_tab(),
                        csrf: member.csrf.clone(),
                        id: member.id.clone(),
                    };
                    let request = &request;
                    scope.spawn(move || request(&mut tab, index))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("request thread"))
                .collect()
        })
    })
}

#[test]
fn two_hundred_identical_awards_at_once_apply_exactly_once() {
    let admin = member(ADMINS[1]);
    let mut user = member(&unique_email("identical"));
    let replies = at_once(&admin, 200, |tab, _| {
        tab.claim(&user.id, 3, 5, Some("same-award-key"))
    });
    let first = replies[0].expect_data(200);
    for reply in &replies {
        assert_eq!(
            reply.expect_data(200)["award"],
            first["award"],
            "every replay returns the first outcome"
        );
    }
    let progress = user.assert_totals_equal_ledger_sums();
    assert_eq!(
        (progress["xp"].as_i64(), progress["coins"].as_i64()),
        (Some(3), Some(5))
    );
    assert_eq!(user.ledger("coins").len(), 1);
}

#[test]
fn two_hundred_distinct_awards_at_once_all_apply() {
    let admin = member(ADMINS[2]);
    let mut user = member(&unique_email("distinct"));
    let replies = at_once(&admin, 200, |tab, index| {
        tab.claim(&user.id, 1, 1, Some(&format!("distinct-{index}")))
    });
    assert!(
        replies.iter().all(|r| r.status == 200),
        "{:?}",
        replies.iter().find(|r| r.status != 200)
    );
    let progress = user.assert_totals_equal_ledger_sums();
    assert_eq!(progress["coins"], 200);
    assert_eq!(progress["xp"], 200);
    let balances: Vec<i64> = user
        .ledger("coins")
        .iter()
        .map(|r| r["balance_after"].as_i64().unwrap_or(-1))
        .collect();
    let expected: Vec<i64> = (1..=200).rev().collect();
    assert_eq!(balances, expected, "each award saw the one before it");
}

#[test]
fn concurrent_redemptions_never_overdraw() {
    let mut admin = member(ADMINS[3]);
    let mut user = member(&unique_email("redeem"));
    admin.claim(&user.id, 0, 100, None).expect_data(200);
    let reward = user
        .post(
            "/api/rewards",
            &json!({"title": "Movie night", "cost": 30}),
            None,
        )
        .expect_data(201);
    let path = format!("/api/rewards/{}/redeem", reward["id"].as_str().expect("id"));
    let replies = at_once(&user, 20, |tab, index| {
        let key = format!("redeem-{index}");
        tab.client.send(
            "POST",
            &path,
            &[("x-csrf-token", &tab.csrf), ("idempotency-key", &key)],
            None,
        )
    });
    let redeemed = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(redeemed, 3, "100 coins buy three 30-coin rewards");
    for refused in replies.iter().filter(|r| r.status != 200) {
        refused.expect_error(409, "insufficient_coins");
    }
    let progress = user.assert_totals_equal_ledger_sums();
    assert_eq!(progress["coins"], 10);
    let listed = user.client.get("/api/rewards").expect_data(200);
    assert_eq!(listed["items"][0]["times_redeemed"], 3);
}

#[test]
fn a_claim_never_takes_a_balance_below_zero() {
    let mut admin = member(ADMINS[0]);
    let mut user = member(&unique_email("negative"));
    admin.claim(&user.id, 10, 5, None).expect_data(200);
    admin
        .claim(&user.id, 0, -6, None)
        .expect_error(409, "insufficient_coins");
    admin
        .claim(&user.id, -11, 0, None)
        .expect_error(409, "conflict");
    let progress = user.assert_totals_equal_ledger_sums();
    assert_eq!(
        (progress["xp"].as_i64(), progress["coins"].as_i64()),
        (Some(10), Some(5))
    );
    admin.claim(&user.id, -10, -5, None).expect_data(200);
    let coins_only = admin.post(
        &format!("/api/admin/users/{}/claim", user.id),
        &json!({"coins": 2, "reason": "coins only"}),
        None,
    );
    assert_eq!(coins_only.expect_data(200)["award"]["xp"], 0);
    let progress = user.assert_totals_equal_ledger_sums();
    assert_eq!(
        (progress["xp"].as_i64(), progress["coins"].as_i64()),
        (Some(0), Some(2))
    );
}

#[test]
fn an_idempotency_key_replays_the_first_response_and_refuses_another_body() {
    let mut user = member(&unique_email("idem"));
    let body = json!({"title": "Coffee", "cost": 5});
    let first = user.post("/api/rewards", &body, Some("create-coffee"));
    let again = user.post("/api/rewards", &body, Some("create-coffee"));
    assert_eq!(first.status, 201);
    assert_eq!(again.status, 201);
    assert_eq!(first.json()["data"], again.json()["data"]);
    let listed = user.client.get("/api/rewards").expect_data(200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    user.post(
        "/api/rewards",
        &json!({"title": "Tea", "cost": 5}),
        Some("create-coffee"),
    )
    .expect_error(409, "idempotency_conflict");
    let long_key = "k".repeat(256);
    user.post("/api/rewards", &body, Some(&long_key))
        .expect_error(400, "bad_request");
}

#[test]
fn another_users_reward_is_404_and_only_admins_claim() {
    let mut owner = member(&unique_email("owner"));
    let mut stranger = member(&unique_email("stranger"));
    let reward = owner
        .post("/api/rewards", &json!({"title": "Mine", "cost": 1}), None)
        .expect_data(201);
    let path = format!("/api/rewards/{}/redeem", reward["id"].as_str().expect("id"));
    stranger
        .client
        .send("POST", &path, &[("x-csrf-token", &stranger.csrf)], None)
        .expect_error(404, "not_found");
    stranger
        .claim(&owner.id, 10, 10, None)
        .expect_error(403, "forbidden");
    let mut admin = member(ADMINS[4]);
    admin
        .claim("01900000-0000-7000-8000-000000000000", 1, 1, None)
        .expect_error(404, "not_found");
    owner.assert_totals_equal_ledger_sums();
    assert_eq!(owner.progress()["coins"], 0);
}

#[test]
fn bad_input_is_a_400_in_the_envelope() {
    let mut admin = member(ADMINS[4]);
    let mut user = member(&unique_email("bad-input"));
    for path in [
        "/api/ledger?currency=gold",
        "/api/ledger?limit=0",
        "/api/ledger?limit=201",
        "/api/ledger?cursor=%%%",
        "/api/rewards?cursor=bm9wZQ",
        "/api/rewards?limit=x",
    ] {
        user.client.get(path).expect_error(400, "bad_request");
    }
    let other_list = user.client.get("/api/ledger?limit=1").expect_data(200);
    assert!(other_list["next_cursor"].is_null());
    for (body, field) in [
        (json!({"title": "x", "cost": 0}), "cost"),
        (json!({"title": "x", "cost": 100_001}), "cost"),
        (json!({"title": "", "cost": 1}), "title"),
        (json!({"title": "x"}), "cost"),
        (json!({"title": "x", "cost": 1, "owner": "me"}), "owner"),
    ] {
        let error = user
            .post("/api/rewards", &body, None)
            .expect_error(400, "bad_request");
        assert!(error["fields"][field].is_string(), "{body}");
    }
    user.client
        .send(
            "POST",
            "/api/rewards/not-a-uuid/redeem",
            &[("x-csrf-token", &user.csrf)],
            None,
        )
        .expect_error(400, "bad_request");
    for (body, field) in [
        (json!({"xp": 1, "coins": 1}), "reason"),
        (json!({"xp": "1", "coins": 1, "reason": "r"}), "xp"),
        (
            json!({"xp": 1, "coins": 1, "reason": "x".repeat(501)}),
            "reason",
        ),
        (json!({"xp": 0, "coins": 0, "reason": "nothing"}), "xp"),
        (json!({"reason": "nothing at all"}), "xp"),
    ] {
        let path = format!("/api/admin/users/{}/claim", user.id);
        let error = admin
            .post(&path, &body, None)
            .expect_error(400, "bad_request");
        assert!(error["fields"][field].is_string(), "{body}");
    }
    admin
        .post(
            "/api/admin/users/nope/claim",
            &json!({"xp": 1, "coins": 0, "reason": "r"}),
            None,
        )
        .expect_error(400, "bad_request");
}
