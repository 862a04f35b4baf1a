//! The HTTP layer every route stands on: health, envelopes, request ids, security headers, the
//! OpenAPI document.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::Value;
use support::worker;

#[test]
fn health_reports_the_version_and_a_current_schema() {
    let reply = worker().client().get("/api/health");
    let data = reply.expect_data(200);
    assert_eq!(data["status"], "ok");
    assert!(
        data["version"]
            .as_str()
            .is_some_and(|v| v.starts_with(env!("CARGO_PKG_VERSION")))
    );
    let migrations = std::fs::read_dir(support::root().join("migrations"))
        .expect("migrations dir")
        .count();
    assert_eq!(data["schema"]["expected"], migrations);
    assert_eq!(data["schema"]["applied"], migrations);
}

#[test]
fn every_response_carries_a_fresh_uuid_v7_request_id() {
    let mut client = worker().client();
    let first = client.get("/api/health");
    let second = client.get("/api/nothing-here");
    let ids: Vec<&str> = [&first, &second]
        .iter()
        .map(|reply| reply.header("x-request-id").expect("x-request-id"))
        .collect();
    assert_ne!(ids[0], ids[1]);
    for id in ids {
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(&id[14..15], "7", "{id} is not a v7 uuid");
    }
}

#[test]
fn an_unknown_route_is_a_404_envelope() {
    let reply = worker().client().get("/api/definitely/not/a/route");
    reply.expect_error(404, "not_found");
    let outside = worker().client().get("/");
    outside.expect_error(404, "not_found");
}

#[test]
fn a_wrong_method_is_a_405_envelope_with_allow() {
    let reply = worker().client().send("DELETE", "/api/health", &[], None);
    reply.expect_error(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET"));
}

#[test]
fn responses_carry_the_security_headers() {
    let reply = worker().client().get("/api/health");
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(reply.header("strict-transport-security").is_some());
    let csp = reply.header("content-security-policy").expect("csp");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let error = worker().client().get("/api/nope");
    assert_eq!(error.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn the_openapi_document_is_served_and_equals_the_source() {
    let reply = worker().client().get("/api/openapi.json");
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
    );
    let served = reply.json();
    let source = std::fs::read_to_string(support::root().join("openapi.yaml")).expect("yaml");
    let source: Value = serde_yaml::from_str(&source).expect("openapi.yaml parses");
    assert_eq!(served, source);
    assert_eq!(served["openapi"], "3.1.0");
}

#[test]
fn every_documented_operation_is_routed() {
    let document = worker().client().get("/api/openapi.json").json();
    let paths = document["paths"].as_object().expect("paths");
    for (path, operations) in paths {
        let concrete = path.replace("{id}", "01900000-0000-7000-8000-000000000000");
        for method in operations.as_object().expect("operations").keys() {
            let reply = worker()
                .client()
                .send(&method.to_ascii_uppercase(), &concrete, &[], None);
            let unrouted = reply.status == 405
                || (reply.status == 404
                    && reply.json()["error"]["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("no route")));
            assert!(
                !unrouted,
                "{method} {path} is documented but not routed: {}",
                reply.text
            );
        }
    }
}
