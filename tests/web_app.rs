//! The web app's files, served by the worker beside the API: `/` and its scripts and styles
//! carry the app's CSP (which lets its scripts call this origin), the API keeps its own.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::worker;

const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

fn directives(csp: &str) -> Vec<&str> {
    csp.split(';').map(str::trim).collect()
}

#[test]
fn the_page_and_its_files_carry_the_apps_csp() {
    for (path, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
        ("/icon.svg", "image/svg+xml"),
    ] {
        let reply = worker().client().get(path);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("content-type"), Some(content_type), "{path}");
        let csp = reply.header("content-security-policy").expect("csp");
        let csp = directives(csp);
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(
                csp.contains(&directive),
                "{path}: {csp:?} lacks {directive}"
            );
        }
        assert!(reply.header("x-request-id").is_some(), "{path}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    }
    let page = worker().client().get("/").text;
    assert!(
        page.contains(r#"<script type="module" src="/app.js">"#),
        "{page}"
    );
    assert!(!page.contains("<script>"), "no inline script: {page}");
}

#[test]
fn an_unchanged_file_is_revalidated_with_a_304() {
    let first = worker().client().get("/app.js");
    let tag = first.header("etag").expect("etag").to_owned();
    assert_eq!(first.header("cache-control"), Some("no-cache"));
    let again = worker()
        .client()
        .send("GET", "/app.js", &[("if-none-match", &tag)], None);
    assert_eq!(again.status, 304);
    assert!(again.bytes.is_empty());
}

#[test]
fn what_is_not_the_apps_is_a_404_envelope_with_the_apis_csp() {
    // The OpenAPI document lives in the same assets, yet is the API's: only under /api.
    for path in [
        "/openapi.json",
        "/missing.js",
        "/.hidden.js",
        "/App.js",
        "/nowhere/deeper",
        "/api",
    ] {
        let reply = worker().client().get(path);
        reply.expect_error(404, "not_found");
        assert_eq!(
            reply.header("content-security-policy"),
            Some(API_CSP),
            "{path}"
        );
    }
    let api = worker().client().get("/api/health");
    assert_eq!(api.header("content-security-policy"), Some(API_CSP));
}
