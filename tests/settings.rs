//! Settings end to end: defaults, JSON merge patches, validation of every field, zones checked
//! against the runtime's IANA database.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{Value, json};
use support::{Client, unique_email, worker};

fn patch(client: &mut Client, csrf: &str, body: &Value) -> support::Reply {
    client.send(
        "PATCH",
        "/api/settings",
        &[
            ("content-type", "application/merge-patch+json"),
            ("x-csrf-token", csrf),
        ],
        Some(body.to_string().as_bytes()),
    )
}

#[test]
fn a_new_user_gets_the_full_object_with_defaults() {
    let (mut client, _) = worker().signed_in(&unique_email("defaults"));
    let settings = client.get("/api/settings").expect_data(200);
    assert_eq!(settings["theme"], "system");
    assert_eq!(settings["timezone"], "UTC");
    assert_eq!(settings["language"], "en");
    assert_eq!(
        settings["notifications"],
        json!({"email": true, "push": false, "reminders": false, "reminder_time": "09:00"})
    );
    assert_eq!(
        settings["onboarding"],
        json!({"completed": false, "interests": []})
    );
    assert_eq!(settings["feature_flags"], json!({}));
    assert_eq!(settings["day_start_hour"], 0);
    assert!(settings["vacation_until"].is_null());
    assert!(
        settings["accent_color"]
            .as_str()
            .is_some_and(|c| c.starts_with('#'))
    );
}

#[test]
fn a_merge_patch_changes_what_it_names_and_null_resets() {
    let (mut client, csrf) = worker().signed_in(&unique_email("patch"));
    let changed = patch(
        &mut client,
        &csrf,
        &json!({"theme": "dark", "timezone": "America/New_York", "notifications": {"push": true},
                "onboarding": {"interests": ["fitness", "learning"]}, "feature_flags": {"beta.sync": true},
                "day_start_hour": 4, "vacation_until": "2026-12-24", "language": "pt-BR", "accent_color": "#FF8800"}),
    )
    .expect_data(200);
    assert_eq!(changed["theme"], "dark");
    assert_eq!(changed["notifications"]["push"], true);
    assert_eq!(
        changed["notifications"]["email"], true,
        "siblings keep their values"
    );
    assert_eq!(
        client.get("/api/settings").expect_data(200),
        changed,
        "the change is stored"
    );

    let reset = patch(
        &mut client,
        &csrf,
        &json!({"theme": null, "feature_flags": {"beta.sync": null}}),
    )
    .expect_data(200);
    assert_eq!(reset["theme"], "system");
    assert_eq!(reset["feature_flags"], json!({}));
    assert_eq!(reset["timezone"], "America/New_York");

    let (mut other, _) = worker().signed_in(&unique_email("patch-other"));
    assert_eq!(
        other.get("/api/settings").expect_data(200)["theme"],
        "system",
        "settings are per user"
    );
}

#[test]
fn zones_come_from_the_iana_database() {
    let (mut client, csrf) = worker().signed_in(&unique_email("zones"));
    for zone in [
        "Europe/Berlin",
        "Australia/Lord_Howe",
        "Pacific/Kiritimati",
        "UTC",
    ] {
        patch(&mut client, &csrf, &json!({"timezone": zone})).expect_data(200);
    }
    for zone in ["Mars/Olympus", "Europe/Berlin ", "", "GMT+25"] {
        let error =
            patch(&mut client, &csrf, &json!({"timezone": zone})).expect_error(400, "bad_request");
        assert!(error["fields"]["timezone"].is_string(), "{zone}");
    }
}

#[test]
fn every_bad_value_is_a_400_naming_its_field() {
    let (mut client, csrf) = worker().signed_in(&unique_email("bad-settings"));
    let before = client.get("/api/settings").expect_data(200);
    let cases = [
        (json!({"theme": "neon"}), "theme"),
        (json!({"accent_color": "blue"}), "accent_color"),
        (json!({"language": "english!"}), "language"),
        (
            json!({"notifications": {"reminder_time": "7pm"}}),
            "notifications.reminder_time",
        ),
        (json!({"notifications": {"fax": true}}), "notifications.fax"),
        (
            json!({"onboarding": {"completed": "yes"}}),
            "onboarding.completed",
        ),
        (json!({"day_start_hour": -1}), "day_start_hour"),
        (json!({"vacation_until": "next week"}), "vacation_until"),
        (json!({"feature_flags": {"x": "on"}}), "feature_flags.x"),
        (json!({"wallpaper": "cats"}), "wallpaper"),
    ];
    for (body, field) in cases {
        let error = patch(&mut client, &csrf, &body).expect_error(400, "bad_request");
        let fields = error["fields"].as_object().cloned().unwrap_or_default();
        assert!(
            fields.keys().any(|k| k.starts_with(field)),
            "{body}: {error}"
        );
    }
    patch(&mut client, &csrf, &json!(["not", "an", "object"])).expect_error(400, "bad_request");
    assert_eq!(
        client.get("/api/settings").expect_data(200),
        before,
        "refused patches change nothing"
    );
}

#[test]
fn settings_need_a_session_and_cookie_writes_need_csrf() {
    worker()
        .client()
        .get("/api/settings")
        .expect_error(401, "unauthorized");
    let (mut client, _) = worker().signed_in(&unique_email("settings-csrf"));
    patch(&mut client, "wrong", &json!({"theme": "dark"})).expect_error(403, "csrf_failed");
    let plain = client.send(
        "PATCH",
        "/api/settings",
        &[("content-type", "text/plain")],
        Some(b"{}"),
    );
    assert!(plain.status == 403 || plain.status == 415, "{}", plain.text);
}
