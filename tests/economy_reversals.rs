//! Reversals end to end: an undo takes the whole award back or is refused (coins are never
//! earned by nothing), an undo that reaches the user's object before its award voids it, and a
//! completion a dying worker left between D1 and the object is finished by the Cron Trigger.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{Value, json};
use support::{Owner, ledger_sum as sum, worker};

fn habit(me: &mut Owner, title: &str) -> String {
    me.create(
        "/api/habits",
        &json!({"title": title, "category": "health"}),
    )["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

fn ledger(me: &mut Owner, currency: &str) -> Vec<Value> {
    support::ledger(&mut me.client, currency)
}

/// Sends every `(method, path)` of `writes` at once, each from a tab of `me`'s; none may fail
/// with a server error.
fn all_at_once(me: &Owner, writes: &[(&str, String)]) {
    let base = me.client.burst_tab();
    support::burst(|| {
        std::thread::scope(|scope| {
            for (method, path) in writes {
                let mut tab = base.burst_tab();
                let csrf = me.csrf.clone();
                scope.spawn(move || {
                    let reply = tab.send(
                        method,
                        path,
                        &[
                            ("x-csrf-token", csrf.as_str()),
                            ("content-type", "application/json"),
                        ],
                        None,
                    );
                    assert!(
                        matches!(reply.status, 200..=299 | 404 | 409),
                        "{method} {path}: {}",
                        reply.text
                    );
                });
            }
        })
    });
}

fn progress(me: &mut Owner) -> Value {
    me.client.get("/api/progress").expect_data(200)
}

fn completed_today(me: &mut Owner, habit: &str) -> bool {
    me.client
        .get(&format!("/api/habits/{habit}"))
        .expect_data(200)["completed_today"]
        .as_bool()
        .expect("completed_today")
}

/// A completion the object settled leaves no mark for the reconciliation (cleared after the
/// response); a repeat of it changes nothing.
#[test]
fn a_settled_completion_leaves_no_pending_mark() {
    let mut me = Owner::new("settled");
    let id = habit(&mut me, "Floss");
    let complete = format!("/api/habits/{id}/complete");
    me.write("POST", &complete, None, None).expect_data(200);
    me.write("POST", &complete, None, None).expect_data(200);
    let mut pending = Value::Null;
    for _ in 0..50 {
        pending = worker().d1(&format!(
            "select award_pending from habit_completions where habit_id = '{id}'"
        ))[0]["award_pending"]
            .clone();
        if pending.is_null() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        pending,
        Value::Null,
        "the mark is cleared once the award landed"
    );
}

#[test]
fn an_undo_whose_coins_were_spent_is_refused_and_the_day_stays_completed() {
    let mut me = Owner::new("spent-undo");
    let id = habit(&mut me, "Walk");
    let complete = format!("/api/habits/{id}/complete");
    let first = me.write("POST", &complete, None, None).expect_data(200);
    assert_eq!(first["award"]["coins"], 2);
    let coins = progress(&mut me)["coins"].as_i64().expect("coins");
    assert_eq!(coins, 7, "2 for the habit, 5 for first_habit");
    let reward = me.create("/api/rewards", &json!({"title": "Tea", "cost": 7}));
    let redeem = format!("/api/rewards/{}/redeem", reward["id"].as_str().expect("id"));
    me.write("POST", &redeem, None, None).expect_data(200);

    let refused = me
        .write("DELETE", &complete, None, None)
        .expect_error(409, "insufficient_coins");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("spent")),
        "{refused}"
    );
    assert!(completed_today(&mut me, &id), "the completion stands");
    assert_eq!(progress(&mut me)["coins"], 0);
    // The cycle that minted coins: completing again is a repeat, not a new award.
    let again = me.write("POST", &complete, None, None).expect_data(200);
    assert_eq!(again["already_completed"], true);
    assert!(again["award"].is_null());
    me.write("POST", &redeem, None, None)
        .expect_error(409, "insufficient_coins");

    // Coins earned again make the undo possible: it is refused, not recorded.
    let second = habit(&mut me, "Read");
    me.write(
        "POST",
        &format!("/api/habits/{second}/complete"),
        None,
        None,
    )
    .expect_data(200);
    let undone = me.write("DELETE", &complete, None, None).expect_data(200);
    assert_eq!(undone["award"]["coins"], -2);
    assert_eq!(undone["completed_today"], false);
    let rows = ledger(&mut me, "coins");
    assert_eq!(progress(&mut me)["coins"].as_i64(), Some(sum(&rows, &[])));
    assert_eq!(sum(&rows, &[]), 0);
}

/// Many users at once complete, redeem and undo in every order: no one ends up having redeemed
/// more than they earned net of reversals.
#[test]
fn under_concurrency_coins_redeemed_never_exceed_coins_earned_net_of_reversals() {
    let mut me = Owner::new("mint-race");
    let habits: Vec<String> = (0..6).map(|n| habit(&mut me, &format!("H{n}"))).collect();
    let reward = me.create("/api/rewards", &json!({"title": "Two", "cost": 2}));
    let redeem = format!("/api/rewards/{}/redeem", reward["id"].as_str().expect("id"));
    for _ in 0..3 {
        for id in &habits {
            let complete = format!("/api/habits/{id}/complete");
            all_at_once(
                &me,
                &[
                    ("POST", complete.clone()),
                    ("POST", redeem.clone()),
                    ("DELETE", complete.clone()),
                    ("POST", redeem.clone()),
                ],
            );
        }
    }
    let rows = ledger(&mut me, "coins");
    let earned = sum(&rows, &["habit_completed", "achievement"]);
    let reversed = -sum(&rows, &["reversal"]);
    let redeemed = -sum(&rows, &["reward_redeemed"]);
    assert!(
        redeemed <= earned - reversed,
        "{redeemed} > {earned} - {reversed}"
    );
    let coins = progress(&mut me)["coins"].as_i64().expect("coins");
    assert_eq!(coins, earned - reversed - redeemed);
    let live = habits
        .iter()
        .filter(|id| completed_today(&mut me, id))
        .count() as i64;
    assert_eq!(
        sum(&rows, &["habit_completed", "reversal"]),
        2 * live,
        "each day still completed earned its 2 coins once, each undone one nothing"
    );
}

/// A new habit completed by a request that fails after its D1 write, before the award (the
/// `X-Dev-Fault` hook): its id and its completion path.
fn completed_by_a_dying_worker(me: &mut Owner, title: &str) -> (String, String) {
    let id = habit(me, title);
    let complete = format!("/api/habits/{id}/complete");
    me.write_with(
        "POST",
        &complete,
        None,
        &[("x-dev-fault", "after-completion-write")],
    )
    .expect_error(503, "unavailable");
    (id, complete)
}

/// An undo that reaches the user's object before the award of the completion it undoes (the
/// completing worker died after D1, say) voids that award: when it comes, it lands as nothing.
#[test]
fn an_undo_that_arrives_before_its_award_voids_it() {
    let mut me = Owner::new("undo-first");
    let (id, complete) = completed_by_a_dying_worker(&mut me, "Stretch");
    let undone = me.write("DELETE", &complete, None, None).expect_data(200);
    assert!(undone["award"].is_null(), "nothing had landed to take back");
    assert_eq!(undone["completed_today"], false);
    // The award the dying request never sent, sent now under its key (the reconciliation would).
    worker().d1(&format!(
        "update habit_completions set undone_at = null, award_pending = 'award',
                created_at = '2000-01-01T00:00:00Z' where habit_id = '{id}'"
    ));
    worker().run_scheduled();
    let after = progress(&mut me);
    assert_eq!(
        (after["xp"].as_i64(), after["coins"].as_i64()),
        (Some(0), Some(0))
    );
    assert!(
        ledger(&mut me, "xp").is_empty(),
        "the voided award moved nothing"
    );
}

/// 120 complete/undo pairs, each sent at once: whichever reaches the object first, the totals
/// are what the surviving completions earn (and the achievements they unlocked).
#[test]
fn concurrent_complete_and_undo_pairs_leave_exactly_what_the_survivors_earn() {
    let mut me = Owner::new("pairs");
    let habits: Vec<String> = (0..120).map(|n| habit(&mut me, &format!("P{n}"))).collect();
    for chunk in habits.chunks(10) {
        let pairs: Vec<(&str, String)> = chunk
            .iter()
            .flat_map(|id| {
                let path = format!("/api/habits/{id}/complete");
                [("POST", path.clone()), ("DELETE", path)]
            })
            .collect();
        all_at_once(&me, &pairs);
    }
    let survivors = habits
        .iter()
        .filter(|id| completed_today(&mut me, id))
        .count() as i64;
    let (xp_rows, coin_rows) = (ledger(&mut me, "xp"), ledger(&mut me, "coins"));
    let after = progress(&mut me);
    assert_eq!(
        after["xp"].as_i64(),
        Some(10 * survivors + sum(&xp_rows, &["achievement"]))
    );
    assert_eq!(
        after["coins"].as_i64(),
        Some(2 * survivors + sum(&coin_rows, &["achievement"]))
    );
    assert_eq!(after["xp"].as_i64(), Some(sum(&xp_rows, &[])));
}

/// A worker that dies between the D1 write of a completion and the award (or of an undo's mark
/// and the reversal), with a client that never retries: the Cron Trigger finishes it, once.
#[test]
fn the_scheduled_reconciliation_finishes_what_a_dying_worker_left() {
    let mut me = Owner::new("reconcile");
    let (id, complete) = completed_by_a_dying_worker(&mut me, "Swim");
    assert_eq!(
        progress(&mut me)["xp"],
        0,
        "the award never reached the object"
    );
    assert!(completed_today(&mut me, &id), "D1 holds the completion");
    // The reconciliation leaves the last minute to requests still at work: age the row.
    let age = format!(
        "update habit_completions set created_at = '2000-01-01T00:00:00Z' where habit_id = '{id}'"
    );
    worker().d1(&age);
    worker().run_scheduled();
    worker().run_scheduled();
    let after = progress(&mut me);
    assert_eq!(
        (after["xp"].as_i64(), after["coins"].as_i64()),
        (Some(20), Some(7))
    );
    assert_eq!(
        sum(&ledger(&mut me, "coins"), &["habit_completed"]),
        2,
        "once"
    );
    let pending = worker().d1(&format!(
        "select award_pending from habit_completions where habit_id = '{id}'"
    ));
    assert_eq!(pending[0]["award_pending"], Value::Null);

    me.write_with(
        "DELETE",
        &complete,
        None,
        &[("x-dev-fault", "after-undo-mark")],
    )
    .expect_error(503, "unavailable");
    assert!(
        completed_today(&mut me, &id),
        "the undo is not done until the object says so"
    );
    worker().d1(&age);
    worker().run_scheduled();
    assert!(!completed_today(&mut me, &id));
    let after = progress(&mut me);
    assert_eq!(
        (after["xp"].as_i64(), after["coins"].as_i64()),
        (Some(10), Some(5))
    );
}
