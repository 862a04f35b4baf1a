//! `/api/auth/*`: providers, OAuth sign-in and callback, the dev sign-in, the session, sign-out.

use serde::Serialize;
use serde_json::json;
use worker::{Headers, Response};

use crate::auth::oauth::{Provider, ProviderId};
use crate::auth::{self, Credential, SessionView};
use crate::config;
use crate::domain::cookie::{self, PRE_AUTH_COOKIE, SESSION_COOKIE};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::oidc::{Expectations, verify_id_token};
use crate::domain::origin::parse_redirect_target;
use crate::domain::page::Page;
use crate::domain::secret::{encode_secret, looks_like_secret, sha256_hex};
use crate::domain::user::{DevSignIn, VouchedIdentity};
use crate::http::{RequestContext, ok};
use crate::progress::client::close_sockets;
use crate::random::random_bytes;
use crate::store::audit::AuditEvent;
use crate::store::oauth_states::{self, PENDING_SIGN_IN_SECONDS, PendingSignIn};
use crate::store::sessions;

/// The dev sign-in's issuer: its users never collide with a real provider's.
const DEV_ISSUER: &str = "urn:passion-edge:dev";

/// `GET /api/auth/providers`: the names of the enabled sign-in providers, as a list payload.
pub async fn providers(cx: RequestContext) -> ApiResult<Response> {
    let mut enabled: Vec<&'static str> = ProviderId::ALL
        .into_iter()
        .filter(|id| Provider::configured(&cx.env, *id).is_some())
        .map(ProviderId::as_str)
        .collect();
    if config::dev_auth_enabled(&cx.env) {
        enabled.push("dev");
    }
    ok(&Page::complete(enabled))
}

fn provider_of(cx: &RequestContext) -> ApiResult<Provider> {
    let disabled = || ApiError::not_found("sign-in provider");
    let id = cx
        .param("provider")
        .and_then(ProviderId::parse)
        .ok_or_else(disabled)?;
    Provider::configured(&cx.env, id).ok_or_else(disabled)
}

fn callback_uri(cx: &RequestContext, provider: ProviderId) -> ApiResult<String> {
    let origin = match config::value(&cx.env, "OAUTH_REDIRECT_ORIGIN") {
        Some(origin) => origin,
        None => cx.own_origin()?,
    };
    Ok(format!("{origin}/api/auth/callback/{}", provider.as_str()))
}

/// `GET /api/auth/signin/{provider}`: `302` to the provider, with the pre-auth cookie set.
pub async fn sign_in(cx: RequestContext) -> ApiResult<Response> {
    let provider = provider_of(&cx)?;
    let redirect_to = parse_redirect_target(
        &cx.query("redirect_to").unwrap_or_default(),
        &config::allowed_origins(&cx.env),
        &cx.own_origin()?,
    )
    .map_err(|problem| ApiError::invalid_field("redirect_to", problem))?;
    let state = encode_secret(&random_bytes::<32>()?);
    let nonce = encode_secret(&random_bytes::<32>()?);
    let browser = encode_secret(&random_bytes::<32>()?);
    let (authorize_url, pkce_verifier) =
        provider.authorize(&callback_uri(&cx, provider.id)?, &state, &nonce)?;
    oauth_states::put(
        &cx.sessions_kv()?,
        &sha256_hex(&state),
        &PendingSignIn {
            provider: provider.id,
            pkce_verifier,
            nonce,
            redirect_to,
            browser_hash: sha256_hex(&browser),
            created_ms: cx.now().0,
        },
    )
    .await?;
    let headers = Headers::new();
    headers.set("location", &authorize_url)?;
    headers.append(
        "set-cookie",
        &cookie::set(PRE_AUTH_COOKIE, &browser, PENDING_SIGN_IN_SECONDS),
    )?;
    Ok(Response::builder()
        .with_status(302)
        .with_headers(headers)
        .empty())
}

fn refused(message: &str) -> ApiError {
    ApiError::new(
        ErrorKind::Unauthorized,
        format!("sign-in refused: {message}"),
    )
}

/// `GET /api/auth/callback/{provider}`: checks everything, then starts a session and `302`s to
/// where the sign-in began. Any failure is a 400/401, leaves no session, and is audited.
pub async fn callback(cx: RequestContext) -> ApiResult<Response> {
    let error = match complete_sign_in(&cx).await {
        Ok(response) => return Ok(response),
        Err(error) => error,
    };
    let provider: String = cx
        .param("provider")
        .unwrap_or_default()
        .chars()
        .take(32)
        .collect();
    let recorded = cx
        .audit(&AuditEvent {
            actor_id: None,
            action: "auth.sign_in_failed",
            target_id: None,
            detail: json!({"provider": provider, "reason": error.message}),
        })
        .await;
    if let Err(audit_error) = recorded {
        worker::console_warn!("audit of a failed sign-in: {}", audit_error.message);
    }
    Err(error)
}

async fn complete_sign_in(cx: &RequestContext) -> ApiResult<Response> {
    let provider = provider_of(cx)?;
    let state = cx
        .query("state")
        .filter(|state| looks_like_secret(state))
        .ok_or_else(|| ApiError::bad_request("sign-in refused: missing or malformed state"))?;
    // Taken before anything else is checked, so a state is spent even by a failed attempt.
    let pending = oauth_states::take(&cx.sessions_kv()?, &cx.db()?, &sha256_hex(&state), cx.now())
        .await?
        .ok_or_else(|| ApiError::bad_request("sign-in refused: unknown, used or expired state"))?;
    if pending.provider != provider.id {
        return Err(ApiError::bad_request(
            "sign-in refused: this state belongs to another provider's sign-in",
        ));
    }
    let browser = cx
        .header("cookie")
        .and_then(|header| cookie::read(&header, PRE_AUTH_COOKIE))
        .unwrap_or_default();
    if sha256_hex(&browser) != pending.browser_hash {
        return Err(ApiError::bad_request(
            "sign-in refused: the sign-in was started in another browser",
        ));
    }
    if cx.now().0.saturating_sub(pending.created_ms) > PENDING_SIGN_IN_SECONDS * 1000 {
        return Err(ApiError::bad_request(
            "sign-in refused: the sign-in took too long",
        ));
    }
    if let Some(error) = cx.query("error") {
        let error: String = error
            .chars()
            .filter(char::is_ascii_graphic)
            .take(64)
            .collect();
        return Err(refused(&format!("the provider answered {error}")));
    }
    let code = cx
        .query("code")
        .filter(|code| !code.is_empty() && code.len() <= 4096)
        .ok_or_else(|| ApiError::bad_request("sign-in refused: missing code"))?;

    let id_token = provider
        .exchange(
            &callback_uri(cx, provider.id)?,
            &code,
            &pending.pkce_verifier,
        )
        .await?;
    let identity = verify_id_token(
        &id_token,
        &Expectations {
            issuer: &provider.issuer,
            client_id: &provider.client_id,
            nonce: &pending.nonce,
            now: cx.now(),
        },
    )
    .map_err(|problem| refused(&problem))?;

    // Every header but the cookie is set before the session row is written: nothing may fail
    // after it (the target is percent-encoded ASCII, `parse_redirect_target`).
    let headers = Headers::new();
    headers.set("location", &pending.redirect_to)?;
    headers.set("referrer-policy", "no-referrer")?;
    let (_, session_cookie) = auth::start_session(
        cx,
        &VouchedIdentity {
            issuer: &identity.issuer,
            subject: &identity.subject,
            email: &identity.email,
            email_verified: identity.email_verified,
            name: &identity.name,
        },
    )
    .await?;
    headers.append("set-cookie", &session_cookie)?;
    headers.append("set-cookie", &cookie::clear(PRE_AUTH_COOKIE))?;
    Ok(Response::builder()
        .with_status(302)
        .with_headers(headers)
        .empty())
}

/// `POST /api/auth/dev/signin`: only where `DEV_AUTH` is `on`; elsewhere the route does not exist.
pub async fn dev_sign_in(mut cx: RequestContext) -> ApiResult<Response> {
    if !config::dev_auth_enabled(&cx.env) {
        return Err(crate::http::router::no_route(&cx.request.path()));
    }
    let body: DevSignIn = cx.public_json().await?;
    let name = body.display_name();
    let (view, session_cookie) = auth::start_session(
        &cx,
        &VouchedIdentity {
            issuer: DEV_ISSUER,
            subject: body.email.as_str(),
            email: &body.email,
            email_verified: true,
            name: &name,
        },
    )
    .await?;
    auth::with_cookie(ok(&view)?, &session_cookie)
}

/// `GET /api/auth/session`.
pub async fn session(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let Credential::Session { record, .. } = &caller.credential else {
        return Err(ApiError::new(
            ErrorKind::Unauthorized,
            "API tokens have no browser session",
        ));
    };
    let policy = config::session_policy(&cx.env)?;
    ok(&SessionView::new(caller.user().await?, record, &policy))
}

#[derive(Serialize)]
struct SignedOut {
    signed_out: bool,
}

/// `POST /api/auth/signout`: ends this session (or, with a bearer token, revokes that token).
pub async fn sign_out(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let db = cx.db()?;
    match &caller.credential {
        Credential::Session { record, token_hash } => {
            sessions::end(
                &db,
                &cx.sessions_kv()?,
                &record.session_id,
                token_hash,
                cx.now(),
            )
            .await?;
        }
        Credential::ApiToken { id, .. } => {
            crate::store::api_tokens::revoke(
                &db,
                &cx.sessions_kv()?,
                &caller.user_id,
                id,
                cx.now(),
            )
            .await?;
        }
    }
    close_sockets(&cx, &caller.user_id, Some(caller.credential.id())).await;
    let credential = match caller.credential {
        Credential::Session { .. } => "session",
        Credential::ApiToken { .. } => "token",
    };
    cx.audit(&AuditEvent::own(
        &caller.user_id,
        "auth.sign_out",
        json!({"credential": credential, "id": caller.credential.id()}),
    ))
    .await?;
    auth::with_cookie(
        ok(&SignedOut { signed_out: true })?,
        &cookie::clear(SESSION_COOKIE),
    )
}

/// `POST /api/auth/signout-all`: ends every session and API token of the user; from a browser
/// session only.
pub async fn sign_out_everywhere(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_session()?;
    auth::end_everything(&cx, &caller.user_id).await?;
    cx.audit(&AuditEvent::own(
        &caller.user_id,
        "auth.sign_out_everywhere",
        json!({}),
    ))
    .await?;
    auth::with_cookie(
        ok(&SignedOut { signed_out: true })?,
        &cookie::clear(SESSION_COOKIE),
    )
}
