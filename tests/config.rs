//! `wrangler.toml` declares every binding, keeps the dev sign-in off, and states the rate limits
//! it enforces.
#![cfg(not(target_arch = "wasm32"))]

mod support;

fn wrangler_toml() -> String {
    std::fs::read_to_string(support::root().join("wrangler.toml")).expect("wrangler.toml")
}

/// The value of `key = "..."` in the `[vars]` table.
fn var(toml: &str, key: &str) -> Option<String> {
    let vars = toml.split("[vars]").nth(1)?.split("\n[").next()?;
    vars.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim() == key).then(|| value.trim().trim_matches('"').to_owned())
    })
}

#[test]
fn every_binding_of_the_product_is_declared() {
    let toml = wrangler_toml();
    for needle in [
        "binding = \"DB\"",
        "binding = \"SESSIONS\"",
        "binding = \"AUDIO\"",
        "name = \"PROGRESS\"",
        "class_name = \"UserProgress\"",
        "new_sqlite_classes = [\"UserProgress\"]",
        "name = \"RATE_LIMIT_AUTH\"",
        "name = \"RATE_LIMIT_USER\"",
        "name = \"RATE_LIMIT_AUTH_FAILURES\"",
    ] {
        assert!(toml.contains(needle), "wrangler.toml lacks {needle}");
    }
    for name in [
        "ENVIRONMENT",
        "DEV_AUTH",
        "ALLOWED_ORIGINS",
        "ADMIN_EMAILS",
        "SESSION_INACTIVITY_TIMEOUT_MINUTES",
    ] {
        assert!(var(&toml, name).is_some(), "[vars] lacks {name}");
    }
}

#[test]
fn production_never_turns_the_dev_sign_in_on() {
    assert_eq!(var(&wrangler_toml(), "DEV_AUTH").as_deref(), Some("off"));
}

#[test]
fn the_stated_rate_limits_are_the_enforced_ones() {
    let toml = wrangler_toml();
    for (binding, var_name) in [
        ("RATE_LIMIT_AUTH", "RATE_LIMIT_AUTH_PER_MINUTE"),
        ("RATE_LIMIT_USER", "RATE_LIMIT_USER_PER_MINUTE"),
        (
            "RATE_LIMIT_AUTH_FAILURES",
            "RATE_LIMIT_AUTH_FAILURES_PER_MINUTE",
        ),
    ] {
        let entry = toml
            .split("[[ratelimits]]")
            .find(|entry| entry.contains(&format!("name = \"{binding}\"")))
            .unwrap_or_else(|| panic!("no [[ratelimits]] {binding}"));
        let stated = var(&toml, var_name).unwrap_or_else(|| panic!("no {var_name}"));
        assert!(
            entry.contains(&format!("limit = {stated},")) && entry.contains("period = 60"),
            "{binding} enforces something other than {stated} per minute:\n{entry}"
        );
    }
}
