//! Who is calling: a browser session (cookie, CSRF-checked on writes) or an API token (bearer,
//! no CSRF), and how a sign-in turns a vouched identity into a user and a session.
//!
//! Revocation is immediate everywhere: every request reads its session or token row in D1
//! together with the user (see `store::sessions`), so sign-out, sign-out-everywhere, token
//! revocation and disabling a user take effect on the next request whatever KV still caches.

pub mod oauth;

use serde::Serialize;
use worker::{Method, Response};

use crate::config;
use crate::domain::cookie::{self, SESSION_COOKIE};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::secret::{API_TOKEN_PREFIX, constant_time_eq, encode_secret, looks_like_secret};
use crate::domain::session::{SessionPolicy, SessionRecord};
use crate::domain::settings::Settings;
use crate::domain::time::Millis;
use crate::domain::user::{Role, User, VouchedIdentity};
use crate::http::context::random_bytes;
use crate::http::{RequestContext, rate_limit};
use crate::progress::sockets::Lease;
use crate::store::audit::AuditEvent;
use crate::store::{api_tokens, sessions, users};

pub enum Credential {
    Session {
        record: SessionRecord,
        token_hash: String,
    },
    /// An API token, within its scope (checked when it authenticated).
    ApiToken {
        id: String,
        expires_at: Option<Millis>,
    },
}

/// The authenticated caller of a request.
pub struct Caller {
    pub user: User,
    pub credential: Credential,
    /// The user's stored settings, read with the credential: no route reads them again.
    stored_settings: Option<String>,
}

impl Credential {
    /// How long a socket opened with this credential may stay open.
    pub fn socket_lease(&self, policy: &SessionPolicy) -> Lease {
        match self {
            Credential::Session { record, token_hash } => Lease {
                ends_ms: Some(record.expires_at(policy).0),
                session_key: Some(token_hash.clone()),
            },
            Credential::ApiToken { expires_at, .. } => Lease {
                ends_ms: expires_at.map(|at| at.0),
                session_key: None,
            },
        }
    }

    /// The session's or the token's id.
    pub fn id(&self) -> &str {
        match self {
            Credential::Session { record, .. } => &record.session_id,
            Credential::ApiToken { id, .. } => id,
        }
    }
}

impl Caller {
    /// The user's settings with their defaults (zone, day start, vacation, ...).
    pub fn settings(&self) -> Settings {
        Settings::from_stored(self.stored_settings.as_deref())
    }

    /// Token management, signing out everywhere, erasure and admin work: a browser session only,
    /// so a leaked token is never the whole account.
    pub fn require_session(&self) -> ApiResult<&SessionRecord> {
        match &self.credential {
            Credential::Session { record, .. } => Ok(record),
            Credential::ApiToken { .. } => Err(ApiError::new(
                ErrorKind::Forbidden,
                "this needs a browser session: an API token cannot manage tokens, sign out \
                 everywhere, erase the account or act as an admin",
            )),
        }
    }

    /// As `require_session`, for a session signed in at most `within_ms` before `now`.
    pub fn require_recent_sign_in(&self, now: Millis, within_ms: u64) -> ApiResult<()> {
        let record = self.require_session()?;
        if now.0.saturating_sub(record.created_ms) > within_ms {
            return Err(ApiError::new(
                ErrorKind::Forbidden,
                format!(
                    "sign in again first: this needs a sign-in of the last {} minutes",
                    within_ms.div_ceil(60_000)
                ),
            ));
        }
        Ok(())
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        self.require_session()?;
        if self.user.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorKind::Forbidden,
                "this needs the admin role",
            ))
        }
    }
}

fn unauthorized() -> ApiError {
    ApiError::new(
        ErrorKind::Unauthorized,
        "sign in or present a valid API token",
    )
}

/// Authenticates the request, enforces CSRF on cookie writes, and spends the user's budget. A
/// credential that fails (a bad cookie, an unknown, revoked or expired token) spends the client
/// address's budget of failed authentications; past it, the address gets `429` and, in this
/// isolate, no lookup at all until the period is over.
pub async fn authenticate(cx: &RequestContext) -> ApiResult<Caller> {
    let now = cx.now();
    // Only a credential that was presented and failed counts against the address: a signed-out
    // browser's other cookies are no guess.
    let session_cookie = cx
        .header("cookie")
        .is_some_and(|header| cookie::read(&header, SESSION_COOKIE).is_some());
    if cx.header("authorization").is_none() && !session_cookie {
        return Err(unauthorized());
    }
    let ip = rate_limit::client_ip(&cx.request);
    if rate_limit::FAILED_AUTHENTICATIONS.with(|failed| failed.borrow().blocks(&ip, now.0)) {
        return Err(rate_limit::refusal(
            &cx.env,
            &rate_limit::AUTH_FAILURES_PER_IP,
        ));
    }
    let Some(caller) = identify(cx, now).await? else {
        return Err(rate_limit::failed_authentication(&cx.env, &ip, now.0, unauthorized()).await);
    };
    cx.facts.borrow_mut().user_id = Some(caller.user.id.clone());
    rate_limit::spend(
        &cx.env,
        &rate_limit::PER_USER,
        format!("user:{}", caller.user.id),
    )
    .await?;
    Ok(caller)
}

/// The caller the request's credential names, or `None` when the credential is refused.
async fn identify(cx: &RequestContext, now: Millis) -> ApiResult<Option<Caller>> {
    let db = cx.db()?;
    let caller = if let Some(authorization) = cx.header("authorization") {
        let token = authorization
            .strip_prefix("Bearer ")
            .filter(|t| {
                t.strip_prefix(API_TOKEN_PREFIX)
                    .is_some_and(looks_like_secret)
            })
            .map(str::to_owned);
        let Some(token) = token else {
            return Ok(None);
        };
        let Some((token, mut user)) = api_tokens::authenticate(&db, &token, now).await? else {
            return Ok(None);
        };
        let method = cx.request.inner().method().to_ascii_uppercase();
        if !token.scope.allows(&method, &cx.request.path()) {
            return Err(ApiError::new(
                ErrorKind::Forbidden,
                "this API token is read-only",
            ));
        }
        Caller {
            stored_settings: user.settings.take(),
            user: user.into_user(),
            credential: Credential::ApiToken {
                id: token.id,
                expires_at: token.expires_at,
            },
        }
    } else {
        let token = cx
            .header("cookie")
            .and_then(|header| cookie::read(&header, SESSION_COOKIE))
            .filter(|token| looks_like_secret(token));
        let Some(token) = token else {
            return Ok(None);
        };
        let policy = config::session_policy(&cx.env)?;
        let Some(mut session) =
            sessions::authenticate(&db, &cx.sessions_kv()?, &token, &policy, now).await?
        else {
            return Ok(None);
        };
        if is_write(&cx.request.method()) {
            let presented = cx.header("x-csrf-token").unwrap_or_default();
            if !constant_time_eq(&presented, &session.record.csrf_token) {
                return Err(ApiError::new(
                    ErrorKind::CsrfFailed,
                    "cookie-authenticated writes need the session's X-CSRF-Token",
                ));
            }
        }
        Caller {
            stored_settings: session.user.settings.take(),
            user: session.user.into_user(),
            credential: Credential::Session {
                record: session.record,
                token_hash: session.token_hash,
            },
        }
    };
    Ok(Some(caller))
}

fn is_write(method: &Method) -> bool {
    matches!(
        method,
        Method::Post | Method::Put | Method::Patch | Method::Delete
    )
}

/// `GET /api/auth/session`: the user, the CSRF token for writes, and when the session ends.
#[derive(Serialize)]
pub struct SessionView {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: String,
}

impl SessionView {
    pub fn new(user: User, record: &SessionRecord, policy: &SessionPolicy) -> Self {
        SessionView {
            user,
            csrf_token: record.csrf_token.clone(),
            expires_at: record.expires_at(policy).to_rfc3339(),
        }
    }
}

/// Finds or creates the user, refuses disabled users, and starts a new session. Returns the
/// session view and the `Set-Cookie` value carrying the new token.
pub async fn start_session(
    cx: &RequestContext,
    identity: &VouchedIdentity<'_>,
) -> ApiResult<(SessionView, String)> {
    let now = cx.now();
    let db = cx.db()?;
    let role = if identity.email_verified {
        Role::at_sign_in(identity.email, &config::admin_emails(&cx.env))
    } else {
        Role::User
    };
    let user = users::sign_in(&db, identity, role, &cx.new_id()?, now).await?;
    if user.is_disabled() {
        return Err(ApiError::new(
            ErrorKind::Unauthorized,
            "this account is disabled",
        ));
    }
    let policy = config::session_policy(&cx.env)?;
    let token = encode_secret(&random_bytes::<32>()?);
    let record = sessions::create(
        &db,
        &cx.sessions_kv()?,
        &sessions::NewSession {
            session_id: &cx.new_id()?,
            token: &token,
            csrf_token: &encode_secret(&random_bytes::<32>()?),
            user_id: &user.id,
            user_agent: &cx.header("user-agent").unwrap_or_default(),
        },
        &policy,
        now,
    )
    .await?;
    cx.facts.borrow_mut().user_id = Some(user.id.clone());
    cx.audit(&AuditEvent::own(
        &user.id,
        "auth.sign_in",
        serde_json::json!({"issuer": identity.issuer, "session_id": record.session_id}),
    ))
    .await?;
    let cookie = cookie::set(SESSION_COOKIE, &token, policy.lifetime_ms / 1000);
    Ok((SessionView::new(user.into_user(), &record, &policy), cookie))
}

/// Appends a `Set-Cookie` to a response.
/// Ends every session and API token of `user_id` and closes their sockets, at once: sign-out
/// everywhere, an admin's revocation, disabling a user.
pub async fn end_everything(cx: &RequestContext, user_id: &str) -> ApiResult<()> {
    sessions::end_all(&cx.db()?, &cx.sessions_kv()?, user_id, cx.now()).await?;
    crate::progress::client::close_sockets(cx, user_id, None).await;
    Ok(())
}

pub fn with_cookie(mut response: Response, set_cookie: &str) -> ApiResult<Response> {
    response.headers_mut().append("set-cookie", set_cookie)?;
    Ok(response)
}
