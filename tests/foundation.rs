//! The HTTP layer every route stands on: health, envelopes, request ids, security headers, the
//! OpenAPI document.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{Value, json};
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
    let migrations = support::migrations("migrations").len();
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
    let outside = worker().client().get("/not/the/app");
    outside.expect_error(404, "not_found");
}

#[test]
fn a_wrong_method_is_a_405_envelope_with_allow() {
    let reply = worker().client().send("DELETE", "/api/health", &[], None);
    reply.expect_error(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET"));
}

#[test]
fn a_method_the_worker_does_not_know_is_a_405_not_a_get() {
    let reply = worker().client().send("QUERY", "/api/health", &[], None);
    let error = reply.expect_error(405, "method_not_allowed");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("QUERY"))
    );
    assert_eq!(reply.header("allow"), Some("GET"));
    worker()
        .client()
        .send("QUERY", "/api/nowhere", &[], None)
        .expect_error(404, "not_found");
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
        // Every `{parameter}` becomes a well-formed id that names nothing.
        let concrete: String = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "01900000-0000-7000-8000-000000000000"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
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

#[test]
fn malformed_json_is_a_400() {
    let mut client = worker().client();
    for body in ["{", "nope", "", "[1]", "{\"email\": \"a@b.org\"} trailing"] {
        let reply = client.send(
            "POST",
            "/api/auth/dev/signin",
            &[("content-type", "application/json")],
            Some(body.as_bytes()),
        );
        reply.expect_error(400, "bad_request");
    }
}

#[test]
fn an_unknown_body_field_is_a_400_naming_it() {
    let reply = worker().client().post_json(
        "/api/auth/dev/signin",
        &json!({"email": "a@example.org", "role": "admin"}),
    );
    let error = reply.expect_error(400, "bad_request");
    assert_eq!(error["fields"]["role"], "unknown field");
}

#[test]
fn invalid_and_missing_fields_are_named() {
    let cases = [
        (json!({"email": "not-an-address"}), "email"),
        (json!({"email": 42}), "email"),
        (json!({"name": "Ada"}), "email"),
        (json!({"email": "a@example.org", "name": ""}), "name"),
        (
            json!({"email": "a@example.org", "name": "x".repeat(101)}),
            "name",
        ),
    ];
    for (body, field) in cases {
        let reply = worker().client().post_json("/api/auth/dev/signin", &body);
        let error = reply.expect_error(400, "bad_request");
        assert!(error["fields"][field].is_string(), "{body}: {error}");
    }
}

#[test]
fn a_body_over_64_kib_is_a_413() {
    let name = "n".repeat(70 * 1024);
    let reply = worker().client().post_json(
        "/api/auth/dev/signin",
        &json!({"email": "a@example.org", "name": name}),
    );
    reply.expect_error(413, "payload_too_large");
}

#[test]
fn a_body_that_is_not_json_is_a_415() {
    let reply = worker().client().send(
        "POST",
        "/api/auth/dev/signin",
        &[("content-type", "text/plain")],
        Some(br#"{"email":"a@example.org"}"#),
    );
    reply.expect_error(415, "unsupported_media_type");
}

/// Sends `body` in chunks of 4 KiB without `Content-Length` over a raw connection; the status.
fn chunked_post(path: &str, headers: &[(&str, &str)], body: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let address = worker().base.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("head");
    for chunk in body.chunks(4096) {
        // The worker may answer (and close) before the last chunk: later writes may fail.
        if stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .and_then(|()| stream.write_all(chunk))
            .and_then(|()| stream.write_all(b"\r\n"))
            .is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    text.split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"))
}

/// A body without `Content-Length` is read only up to the limit, and only for a known caller:
/// an anonymous one is `401` whatever it sends, a signed-in one `413` past 64 KiB.
#[test]
fn a_chunked_body_is_read_only_for_a_caller_and_only_up_to_the_limit() {
    let big = format!(r#"{{"abandon": true, "pad": "{}"}}"#, "x".repeat(70 * 1024));
    assert_eq!(chunked_post("/api/focus/end", &[], big.as_bytes()), 401);
    assert_eq!(chunked_post("/api/goals", &[], big.as_bytes()), 401);
    let mut me = support::Owner::new("chunked");
    let token = me
        .write(
            "POST",
            "/api/tokens",
            Some(&json!({"name": "chunks"})),
            None,
        )
        .expect_data(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let bearer = format!("Bearer {token}");
    let auth = [("authorization", bearer.as_str())];
    assert_eq!(chunked_post("/api/goals", &auth, big.as_bytes()), 413);
    let small = br#"{"title": "chunked", "category": "learning"}"#;
    assert_eq!(chunked_post("/api/goals", &auth, small), 201);
}
