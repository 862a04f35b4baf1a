//! Identity and security end to end: OAuth sign-in against local OpenID providers, sessions,
//! CSRF, origins and CORS, API tokens, revocation, rate limits.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::sync::OnceLock;

use serde_json::{Value, json};
use support::{
    ALLOWED_EXTENSION_ORIGIN, ALLOWED_WEB_ORIGIN, AZURE_CLIENT_ID, Client, GOOGLE_CLIENT_ID, Oidc,
    Reply, Worker, WorkerOptions, unique_email,
};
use url::Url;

fn env() -> &'static (Oidc, Worker) {
    static ENV: OnceLock<(Oidc, Worker)> = OnceLock::new();
    ENV.get_or_init(|| {
        let oidc = Oidc::start();
        let mut options = WorkerOptions::default();
        options.vars.extend(oidc.worker_vars());
        options.vars.push((
            "ADMIN_EMAILS".into(),
            "boss@example.org,auth-admin@example.org".into(),
        ));
        let worker = Worker::start("auth", options);
        (oidc, worker)
    })
}

fn oidc() -> &'static Oidc {
    &env().0
}

fn worker() -> &'static Worker {
    &env().1
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let url = Url::parse(url).expect("absolute URL");
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Starts a sign-in in `browser`; returns the provider's authorize URL and the state.
fn begin(browser: &mut Client, provider: &str, redirect_to: &str) -> (String, String) {
    let reply = browser.get(&format!(
        "/api/auth/signin/{provider}?redirect_to={redirect_to}"
    ));
    assert_eq!(reply.status, 302, "{}", reply.text);
    let authorize = reply.header("location").expect("location").to_owned();
    let state = query_param(&authorize, "state").expect("state");
    (authorize, state)
}

/// What the provider's authorize endpoint does in the browser: redirect to our callback.
fn authorize(authorize_url: &str) -> String {
    let reply = Client::new("").get(authorize_url);
    assert_eq!(reply.status, 302, "{}", reply.text);
    reply
        .header("location")
        .expect("callback location")
        .to_owned()
}

/// A whole sign-in: begin, plan the provider's answer, authorize, callback.
fn sign_in_via(provider: &str, plan: Value) -> (Client, Reply) {
    let mut browser = worker().client();
    let (authorize_url, state) = begin(&mut browser, provider, "/app/today");
    oidc().plan(&state, plan);
    let callback = authorize(&authorize_url);
    let reply = browser.get(&callback);
    (browser, reply)
}

/// A `redirect_to` outside ASCII comes back percent-encoded, the way the browser asked for it,
/// never as raw UTF-8 bytes a browser reads as Latin-1.
#[test]
fn a_non_ascii_redirect_target_comes_back_percent_encoded() {
    let mut browser = worker().client();
    let (authorize_url, state) = begin(&mut browser, "google", "/%E4%BD%A0?tab=%C3%A9");
    let email = unique_email("unicode-redirect");
    oidc().plan(&state, json!({"sub": format!("u-{email}"), "email": email}));
    let reply = browser.get(&authorize(&authorize_url));
    assert_eq!(reply.status, 302, "{}", reply.text);
    assert_eq!(reply.header("location"), Some("/%E4%BD%A0?tab=%C3%A9"));
    assert!(session_cookie(&reply).is_some());
}

/// Creates an API token through a signed-in browser and returns the secret.
fn create_token(browser: &mut Client, csrf: &str) -> String {
    browser
        .post_json_with(
            "/api/tokens",
            &json!({"name": "cli"}),
            &[("x-csrf-token", csrf)],
        )
        .expect_data(201)["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

fn assert_token_refused(token: &str) {
    worker()
        .client()
        .send(
            "GET",
            "/api/tokens",
            &[("authorization", &format!("Bearer {token}"))],
            None,
        )
        .expect_error(401, "unauthorized");
}

fn session_cookie(reply: &Reply) -> Option<String> {
    reply
        .headers
        .get("set-cookie")
        .into_iter()
        .flatten()
        .find(|cookie| {
            cookie.starts_with("__Host-passion_session=") && !cookie.contains("Max-Age=0")
        })
        .cloned()
}

#[test]
fn the_enabled_providers_are_listed() {
    let data = worker()
        .client()
        .get("/api/auth/providers")
        .expect_data(200);
    assert_eq!(data["items"], json!(["google", "azure", "dev"]));
}

#[test]
fn a_google_style_sign_in_creates_a_session_with_a_safe_cookie() {
    let mut browser = worker().client();
    let (authorize_url, state) = begin(&mut browser, "google", "/app/today");
    for (param, expected) in [
        ("client_id", Some(GOOGLE_CLIENT_ID)),
        ("response_type", Some("code")),
        ("code_challenge_method", Some("S256")),
    ] {
        assert_eq!(
            query_param(&authorize_url, param).as_deref(),
            expected,
            "{param}"
        );
    }
    assert!(query_param(&authorize_url, "nonce").is_some_and(|n| n.len() >= 32));
    assert!(query_param(&authorize_url, "scope").is_some_and(|s| s.contains("openid")));
    assert!(browser.cookies.contains_key("__Host-passion_preauth"));

    let email = unique_email("google");
    oidc().plan(
        &state,
        json!({"sub": format!("g-{email}"), "email": email, "name": "Ada G"}),
    );
    let reply = browser.get(&authorize(&authorize_url));
    assert_eq!(reply.status, 302, "{}", reply.text);
    assert_eq!(reply.header("location"), Some("/app/today"));
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    let cookie = session_cookie(&reply).expect("a session cookie");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    let token = cookie.split(';').next().unwrap_or_default();
    assert!(
        token.len() >= "__Host-passion_session=".len() + 43,
        "{cookie}"
    );

    let session = browser.get("/api/auth/session").expect_data(200);
    assert_eq!(session["user"]["email"], email.as_str());
    assert_eq!(session["user"]["name"], "Ada G");
    assert_eq!(session["user"]["role"], "user");
    assert!(
        session["csrf_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 32)
    );
    assert!(
        session["expires_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
}

#[test]
fn an_azure_style_sign_in_checks_the_tenant_issuer() {
    let email = unique_email("azure");
    let mut browser = worker().client();
    let (authorize_url, state) = begin(&mut browser, "azure", "/");
    assert_eq!(
        query_param(&authorize_url, "client_id").as_deref(),
        Some(AZURE_CLIENT_ID)
    );
    assert!(authorize_url.starts_with(&oidc().azure));
    oidc().plan(&state, json!({"sub": format!("a-{email}"), "email": email}));
    let reply = browser.get(&authorize(&authorize_url));
    assert_eq!(reply.status, 302, "{}", reply.text);
    let session = browser.get("/api/auth/session").expect_data(200);
    assert_eq!(session["user"]["email"], email.as_str());
}

#[test]
fn the_same_identity_signs_in_to_the_same_user_and_email_alone_never_merges() {
    let email = unique_email("same");
    let first = sign_in_via("google", json!({"sub": "same-sub-1", "email": email}));
    let again = sign_in_via("google", json!({"sub": "same-sub-1", "email": email}));
    let other_provider = sign_in_via("azure", json!({"sub": "same-sub-1", "email": email}));
    let id = |(mut browser, _): (Client, Reply)| {
        browser.get("/api/auth/session").expect_data(200)["user"]["id"].clone()
    };
    let (first, again, other) = (id(first), id(again), id(other_provider));
    assert_eq!(first, again);
    assert_ne!(
        first, other,
        "another issuer with the same e-mail is another user"
    );
}

#[test]
fn verified_admin_emails_get_the_admin_role_and_unverified_ones_do_not() {
    let (mut admin, _) = sign_in_via(
        "google",
        json!({"sub": "boss-verified", "email": "boss@example.org"}),
    );
    assert_eq!(
        admin.get("/api/auth/session").expect_data(200)["user"]["role"],
        "admin"
    );
    let (mut pretender, _) = sign_in_via(
        "azure",
        json!({"sub": "boss-unverified", "email": "boss@example.org", "email_verified": false}),
    );
    assert_eq!(
        pretender.get("/api/auth/session").expect_data(200)["user"]["role"],
        "user"
    );
}

fn assert_refused(reply: &Reply) {
    assert!(
        reply.status == 400 || reply.status == 401,
        "expected a refusal: {} {}",
        reply.status,
        reply.text
    );
    reply.expect_error(
        reply.status,
        if reply.status == 400 {
            "bad_request"
        } else {
            "unauthorized"
        },
    );
    assert!(
        session_cookie(reply).is_none(),
        "a refused sign-in set a session"
    );
}

#[test]
fn a_bad_id_token_is_refused_without_a_session() {
    let cases = [
        ("wrong nonce", json!({"claims": {"nonce": "not-the-nonce"}})),
        ("no nonce", json!({"drop": ["nonce"]})),
        ("wrong aud", json!({"claims": {"aud": "someone-else"}})),
        (
            "wrong iss",
            json!({"claims": {"iss": "https://evil.example.org"}}),
        ),
        ("expired", json!({"claims": {"exp": 1_000_000_000}})),
        ("no email", json!({"drop": ["email"]})),
    ];
    for (_label, overrides) in cases {
        let email = unique_email("bad-token");
        let mut plan = json!({"sub": format!("bad-{email}"), "email": email});
        for (key, value) in overrides.as_object().expect("object") {
            plan[key] = value.clone();
        }
        let (mut browser, reply) = sign_in_via("google", plan);
        assert_refused(&reply);
        browser
            .get("/api/auth/session")
            .expect_error(401, "unauthorized");
    }
}

#[test]
fn an_azure_token_from_another_tenant_issuer_is_refused() {
    let email = unique_email("tenant");
    let (_, reply) = sign_in_via(
        "azure",
        json!({"sub": format!("t-{email}"), "email": email,
               "claims": {"iss": format!("{}/00000000-0000-0000-0000-000000000001/v2.0", oidc().azure)}}),
    );
    assert_refused(&reply);
}

#[test]
fn state_must_exist_be_unused_and_come_from_the_same_browser() {
    let mut browser = worker().client();
    assert_refused(&browser.get("/api/auth/callback/google?code=abc"));
    let unknown = format!(
        "/api/auth/callback/google?code=abc&state={}",
        "A".repeat(43)
    );
    assert_refused(&browser.get(&unknown));

    // Replayed: the second use of a state is refused even though the first succeeded.
    let email = unique_email("replay");
    let (authorize_url, state) = begin(&mut browser, "google", "/");
    oidc().plan(&state, json!({"sub": format!("r-{email}"), "email": email}));
    let callback = authorize(&authorize_url);
    assert_eq!(browser.get(&callback).status, 302);
    let mut again = worker().client();
    again.cookies = browser.cookies.clone();
    again.cookies.remove("__Host-passion_session");
    assert_refused(&again.get(&callback));

    // Another browser (no pre-auth cookie of this flow) cannot finish the sign-in.
    let mut victim = worker().client();
    let (authorize_url, state) = begin(&mut victim, "google", "/");
    oidc().plan(
        &state,
        json!({"sub": "other-browser", "email": unique_email("other")}),
    );
    let callback = authorize(&authorize_url);
    let mut attacker = worker().client();
    assert_refused(&attacker.get(&callback));
    attacker
        .cookies
        .insert("__Host-passion_preauth".into(), "B".repeat(43));
    assert_refused(&attacker.get(&callback));
}

#[test]
fn a_callback_for_the_other_provider_is_refused() {
    let mut browser = worker().client();
    let (authorize_url, state) = begin(&mut browser, "google", "/");
    oidc().plan(
        &state,
        json!({"sub": "mixup", "email": unique_email("mixup")}),
    );
    let callback = authorize(&authorize_url);
    let mixed = callback.replace("/api/auth/callback/google", "/api/auth/callback/azure");
    assert_refused(&browser.get(&mixed));
}

#[test]
fn a_provider_error_or_a_failing_token_endpoint_leaves_no_session() {
    let mut browser = worker().client();
    let (_, state) = begin(&mut browser, "google", "/");
    let reply = browser.get(&format!(
        "/api/auth/callback/google?error=access_denied&state={state}"
    ));
    assert_refused(&reply);

    let email = unique_email("token-fail");
    let (_, reply) = sign_in_via(
        "google",
        json!({"sub": "t", "email": email, "token_status": 500}),
    );
    assert_refused(&reply);
}

#[test]
fn open_redirects_are_refused_at_sign_in() {
    for target in [
        "https://evil.example.org/",
        "//evil.example.org",
        "javascript:alert(1)",
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
        let reply = worker()
            .client()
            .get(&format!("/api/auth/signin/google?redirect_to={encoded}"));
        let error = reply.expect_error(400, "bad_request");
        assert!(error["fields"]["redirect_to"].is_string(), "{target}");
    }
    let allowed: String =
        url::form_urlencoded::byte_serialize(format!("{ALLOWED_WEB_ORIGIN}/welcome").as_bytes())
            .collect();
    let reply = worker()
        .client()
        .get(&format!("/api/auth/signin/google?redirect_to={allowed}"));
    assert_eq!(reply.status, 302);
}

#[test]
fn an_unknown_provider_is_404() {
    worker()
        .client()
        .get("/api/auth/signin/github")
        .expect_error(404, "not_found");
}

#[test]
fn cookie_writes_need_the_csrf_token_and_bearer_writes_do_not() {
    let (mut browser, csrf) = worker().signed_in(&unique_email("csrf"));
    let body = json!({"name": "laptop"});
    browser
        .post_json("/api/tokens", &body)
        .expect_error(403, "csrf_failed");
    browser
        .post_json_with("/api/tokens", &body, &[("x-csrf-token", "wrong")])
        .expect_error(403, "csrf_failed");
    let created = browser
        .post_json_with("/api/tokens", &body, &[("x-csrf-token", &csrf)])
        .expect_data(201);
    let token = created["token"].as_str().expect("token").to_owned();

    let mut script = worker().client();
    let bearer = format!("Bearer {token}");
    script
        .post_json_with(
            "/api/tokens",
            &json!({"name": "from script"}),
            &[("authorization", &bearer)],
        )
        .expect_error(403, "forbidden");
}

#[test]
fn api_tokens_are_shown_once_listed_without_secret_and_revoked_at_once() {
    let (mut browser, csrf) = worker().signed_in(&unique_email("tokens"));
    let created = browser
        .post_json_with(
            "/api/tokens",
            &json!({"name": "extension"}),
            &[("x-csrf-token", &csrf)],
        )
        .expect_data(201);
    let token = created["token"].as_str().expect("token");
    assert!(token.starts_with("pat_") && token.len() == 47, "{token}");
    let id = created["id"].as_str().expect("id");

    let mut script = worker().client();
    let bearer = format!("Bearer {token}");
    script
        .send("GET", "/api/goals", &[("authorization", &bearer)], None)
        .expect_data(200);
    // The use is recorded after the response is sent.
    let mut listed = browser.get("/api/tokens").expect_data(200);
    for _ in 0..50 {
        if listed["items"][0]["last_used_at"].is_string() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        listed = browser.get("/api/tokens").expect_data(200);
    }
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id);
    assert!(items[0].get("token").is_none() && !listed.to_string().contains(&token[4..]));
    assert!(items[0]["last_used_at"].is_string(), "use is recorded");

    let path = format!("/api/tokens/{id}");
    assert_eq!(
        browser.delete(&path, &[("x-csrf-token", &csrf)]).status,
        204
    );
    script
        .send("GET", "/api/goals", &[("authorization", &bearer)], None)
        .expect_error(401, "unauthorized");
    browser
        .delete(&path, &[("x-csrf-token", &csrf)])
        .expect_error(404, "not_found");
    browser
        .delete("/api/tokens/not-a-uuid", &[("x-csrf-token", &csrf)])
        .expect_error(400, "bad_request");
}

#[test]
fn malformed_bearer_tokens_are_401() {
    for header in [
        "Bearer",
        "Bearer pat_short",
        "Basic abc",
        "Bearer pat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        worker()
            .client()
            .send("GET", "/api/tokens", &[("authorization", header)], None)
            .expect_error(401, "unauthorized");
    }
}

#[test]
fn sign_out_ends_the_session_and_clears_the_cookie() {
    let (mut browser, csrf) = worker().signed_in(&unique_email("signout"));
    let stolen = browser.cookies.clone();
    let reply = browser.send(
        "POST",
        "/api/auth/signout",
        &[("x-csrf-token", &csrf)],
        None,
    );
    reply.expect_data(200);
    let cleared = reply
        .headers
        .get("set-cookie")
        .expect("set-cookie")
        .join("\n");
    assert!(
        cleared.contains("__Host-passion_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    browser
        .get("/api/auth/session")
        .expect_error(401, "unauthorized");
    let mut replayed = worker().client();
    replayed.cookies = stolen;
    replayed
        .get("/api/auth/session")
        .expect_error(401, "unauthorized");
}

#[test]
fn sign_out_everywhere_ends_every_session_and_token() {
    let email = unique_email("everywhere");
    let (mut laptop, csrf) = worker().signed_in(&email);
    let (mut phone, _) = worker().signed_in(&email);
    let token = create_token(&mut laptop, &csrf);
    let sessions = laptop.get("/api/me/sessions").expect_data(200);
    assert_eq!(sessions["items"].as_array().map(Vec::len), Some(2));

    laptop
        .send(
            "POST",
            "/api/auth/signout-all",
            &[("x-csrf-token", &csrf)],
            None,
        )
        .expect_data(200);
    phone
        .get("/api/auth/session")
        .expect_error(401, "unauthorized");
    laptop
        .get("/api/auth/session")
        .expect_error(401, "unauthorized");
    assert_token_refused(&token);
}

#[test]
fn a_user_can_list_and_end_their_own_sessions_only() {
    let email = unique_email("sessions");
    let (mut laptop, csrf) = worker().signed_in(&email);
    let (mut phone, _) = worker().signed_in(&email);
    let listed = laptop.get("/api/me/sessions").expect_data(200);
    let items = listed["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 2);
    let current: Vec<&Value> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    let other = items
        .iter()
        .find(|s| s["current"] == false)
        .expect("the phone's session");
    for field in ["id", "created_at", "last_seen_at", "user_agent"] {
        assert!(other.get(field).is_some(), "{field}");
    }

    let (mut stranger, stranger_csrf) = worker().signed_in(&unique_email("stranger"));
    let path = format!("/api/me/sessions/{}", other["id"].as_str().expect("id"));
    stranger
        .delete(&path, &[("x-csrf-token", &stranger_csrf)])
        .expect_error(404, "not_found");
    phone.get("/api/auth/session").expect_data(200);

    assert_eq!(laptop.delete(&path, &[("x-csrf-token", &csrf)]).status, 204);
    phone
        .get("/api/auth/session")
        .expect_error(401, "unauthorized");
    laptop.get("/api/auth/session").expect_data(200);
}

#[test]
fn a_disabled_user_is_refused_everywhere_at_once() {
    let email = unique_email("disabled");
    let (mut browser, csrf) = worker().signed_in(&email);
    let token = create_token(&mut browser, &csrf);
    let user_id = browser.get("/api/auth/session").expect_data(200)["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (mut admin, admin_csrf) = worker().signed_in("auth-admin@example.org");
    let disabled = admin.send(
        "PATCH",
        &format!("/api/admin/users/{user_id}"),
        &[
            ("content-type", "application/json"),
            ("x-csrf-token", &admin_csrf),
        ],
        Some(br#"{"disabled": true}"#),
    );
    assert_eq!(disabled.expect_data(200)["disabled"], true);
    browser
        .get("/api/auth/session")
        .expect_error(401, "unauthorized");
    assert_token_refused(&token);
    worker()
        .client()
        .post_json("/api/auth/dev/signin", &json!({"email": email}))
        .expect_error(401, "unauthorized");
}

#[test]
fn foreign_origins_are_refused_and_allowed_ones_get_credentialed_cors() {
    let mut client = worker().client();
    let refused = client.send(
        "GET",
        "/api/auth/providers",
        &[("origin", "https://evil.example.org")],
        None,
    );
    refused.expect_error(403, "forbidden");
    assert!(refused.header("access-control-allow-origin").is_none());

    for origin in [ALLOWED_WEB_ORIGIN, ALLOWED_EXTENSION_ORIGIN] {
        let reply = client.send("GET", "/api/auth/providers", &[("origin", origin)], None);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("access-control-allow-origin"), Some(origin));
        assert_eq!(
            reply.header("access-control-allow-credentials"),
            Some("true")
        );
    }
    let plain = client.get("/api/auth/providers");
    assert!(plain.header("access-control-allow-origin").is_none());
}

#[test]
fn preflights_are_answered_for_allowed_origins_only() {
    let preflight = |origin: &str| {
        worker().client().send(
            "OPTIONS",
            "/api/tokens",
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "content-type, x-csrf-token",
                ),
            ],
            None,
        )
    };
    let allowed = preflight(ALLOWED_WEB_ORIGIN);
    assert_eq!(allowed.status, 204, "{}", allowed.text);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some(ALLOWED_WEB_ORIGIN)
    );
    assert_eq!(
        allowed.header("access-control-allow-credentials"),
        Some("true")
    );
    let headers = allowed
        .header("access-control-allow-headers")
        .expect("allow-headers");
    assert!(headers.contains("x-csrf-token") && headers.contains("authorization"));
    assert!(
        allowed
            .header("access-control-allow-methods")
            .is_some_and(|m| m.contains("POST"))
    );

    let denied = preflight("https://evil.example.org");
    assert_eq!(denied.status, 403);
    assert!(denied.header("access-control-allow-origin").is_none());
}

/// Sends `path` until the first 429, returning it and how many requests passed before it. The
/// limiter counts in fixed one-minute windows, so a window may reset once during the run: within
/// twice the budget a 429 must come, and never before the budget is spent.
fn exhaust(client: &mut Client, path: &str, budget: usize) -> (Reply, usize) {
    for passed in 0..=2 * budget + 1 {
        let reply = client.get(path);
        if reply.status == 429 {
            return (reply, passed);
        }
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    panic!("no 429 within {} requests", 2 * budget + 2);
}

/// `exhaust` from eight tabs of `client` at once: a budget of hundreds is spent within one or
/// two windows whatever one request costs (on Postgres through a local Hyperdrive that does not
/// pool, a request waits for its own connections). How many passed in all before the first 429.
fn exhaust_together(client: &Client, path: &str, budget: usize) -> (Reply, usize) {
    let sent = AtomicUsize::new(0);
    let passed = AtomicUsize::new(0);
    let limited: Mutex<Option<Reply>> = Mutex::new(None);
    support::burst(|| {
        std::thread::scope(|scope| {
            for _ in 0..8 {
                let (mut tab, sent, passed, limited) =
                    (client.burst_tab(), &sent, &passed, &limited);
                scope.spawn(move || {
                    while limited.lock().expect("lock").is_none()
                        && sent.fetch_add(1, Ordering::SeqCst) <= 2 * budget + 1
                    {
                        let reply = tab.get(path);
                        if reply.status == 429 {
                            limited.lock().expect("lock").get_or_insert(reply);
                        } else {
                            assert_eq!(reply.status, 200, "{}", reply.text);
                            passed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
            }
        })
    });
    let limited = limited.into_inner().expect("lock");
    let passed = passed.into_inner();
    (
        limited.unwrap_or_else(|| panic!("no 429 within {} requests", 2 * budget + 2)),
        passed,
    )
}

#[test]
fn sign_in_routes_are_rate_limited_per_ip_with_headers() {
    let mut client = worker().client();
    let (limited, passed) = exhaust(&mut client, "/api/auth/providers", 30);
    assert!(passed >= 30, "only {passed} passed before the 429");
    limited.expect_error(429, "rate_limited");
    assert_eq!(limited.header("retry-after"), Some("60"));
    assert_eq!(limited.header("x-ratelimit-limit"), Some("30"));
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    assert!(limited.header("x-ratelimit-reset").is_some());
    worker()
        .client()
        .get("/api/auth/providers")
        .expect_data(200);
}

#[test]
fn session_checks_spend_the_users_budget_not_the_ips() {
    let (mut browser, _) = worker().signed_in(&unique_email("session-checks"));
    for _ in 0..40 {
        browser.get("/api/auth/session").expect_data(200);
    }
}

#[test]
fn each_user_has_a_request_budget() {
    let (browser, _) = worker().signed_in(&unique_email("budget"));
    let (limited, passed) = exhaust_together(&browser, "/api/tokens", 600);
    assert!(passed >= 600, "only {passed} passed before the 429");
    limited.expect_error(429, "rate_limited");
    assert_eq!(limited.header("x-ratelimit-limit"), Some("600"));
    let (mut other, _) = worker().signed_in(&unique_email("budget-other"));
    other.get("/api/tokens").expect_data(200);
}

#[test]
fn requests_without_credentials_are_401() {
    for path in ["/api/auth/session", "/api/tokens", "/api/me/sessions"] {
        worker()
            .client()
            .get(path)
            .expect_error(401, "unauthorized");
    }
    let mut forged = worker().client();
    forged
        .cookies
        .insert("__Host-passion_session".into(), "C".repeat(43));
    forged
        .get("/api/auth/session")
        .expect_error(401, "unauthorized");
}
