//! Who is calling: a browser session (cookie, CSRF-checked on writes) or an API token (bearer,
//! no CSRF), and how a sign-in turns a vouched identity into a user and a session.
//!
//! Revocation is immediate everywhere: the caller is claimed from the isolate or KV, then checked
//! against its session or token row in D1 inside the request's first batch
//! (`store::credentials`), so sign-out, sign-out-everywhere, token revocation and disabling a
//! user take effect on the next request whatever KV still caches.

pub mod oauth;

use serde::Serialize;
use worker::{Method, Response};

use crate::config;
use crate::domain::cookie::{self, SESSION_COOKIE};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::secret::{
    API_TOKEN_PREFIX, constant_time_eq, encode_secret, looks_like_secret, sha256_hex,
};
use crate::domain::session::{SessionPolicy, SessionRecord};
use crate::domain::settings::Settings;
use crate::domain::time::Millis;
use crate::domain::user::{Role, User, VouchedIdentity};
use crate::http::{RequestContext, rate_limit};
use crate::progress::sockets::Lease;
use crate::random::random_bytes;
use crate::store::audit::AuditEvent;
use crate::store::credentials::{self, Prelude, Presented, refused};
use crate::store::db::Db;
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

/// The authenticated caller of a request: claimed, and checked by the request's first D1 batch
/// (or before it acts outside D1).
pub struct Caller {
    pub user_id: String,
    pub credential: Credential,
    /// The user's stored settings as this isolate last read them, if it has.
    claimed_settings: Option<Option<String>>,
    /// The request's database, whose credential check confirms this caller.
    db: Db,
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
    /// The user's settings with their defaults (zone, day start, vacation, ...): as this isolate
    /// last read them, checked by the request's batch (see `store::credentials`), or read now.
    pub async fn settings(&self) -> ApiResult<Settings> {
        let stored = self.db.caller_settings(&self.claimed_settings).await?;
        Ok(Settings::from_stored(stored.as_deref()))
    }

    /// The settings as D1 holds them now: for changing them, or showing them alone.
    pub async fn stored_settings(&self) -> ApiResult<Settings> {
        let stored = self.db.confirmed_user().await?.settings;
        Ok(Settings::from_stored(stored.as_deref()))
    }

    /// The user as D1 holds them now.
    pub async fn user(&self) -> ApiResult<User> {
        Ok(self.db.confirmed_user().await?.into_user())
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

    pub async fn require_admin(&self) -> ApiResult<()> {
        self.require_session()?;
        if self.user().await?.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorKind::Forbidden,
                "this needs the admin role",
            ))
        }
    }
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
        return Err(refused());
    }
    let ip = rate_limit::client_ip(&cx.request);
    if rate_limit::FAILED_AUTHENTICATIONS.with(|failed| failed.borrow().blocks(&ip, now.0)) {
        return Err(rate_limit::refusal(
            &cx.env,
            &rate_limit::AUTH_FAILURES_PER_IP,
        ));
    }
    let Some(caller) = identify(cx, now).await? else {
        return Err(rate_limit::failed_authentication(&cx.env, &ip, now.0, refused()).await);
    };
    cx.facts.borrow_mut().user_id = Some(caller.user_id.clone());
    rate_limit::spend(
        &cx.env,
        &rate_limit::PER_USER,
        format!("user:{}", caller.user_id),
    )
    .await?;
    Ok(caller)
}

/// The caller the request's credential claims, its check pending; `None` when no record of the
/// credential exists or it has expired by time.
async fn identify(cx: &RequestContext, now: Millis) -> ApiResult<Option<Caller>> {
    let db = cx.db()?;
    let kv = cx.sessions_kv()?;
    let (presented, credential) = if let Some(authorization) = cx.header("authorization") {
        let token = authorization.strip_prefix("Bearer ").filter(|t| {
            t.strip_prefix(API_TOKEN_PREFIX)
                .is_some_and(looks_like_secret)
        });
        let Some(token) = token else {
            return Ok(None);
        };
        let token_hash = sha256_hex(token);
        let mut kv_reads = 0;
        let claim = api_tokens::claim(&db, &kv, &token_hash, now, &mut kv_reads).await?;
        cx.facts.borrow_mut().kv_reads += kv_reads;
        let Some(claim) = claim else {
            return Ok(None);
        };
        if claim.expires_ms.is_some_and(|ends| ends <= now.0) {
            return Ok(None);
        }
        let method = cx.request.inner().method().to_ascii_uppercase();
        if !claim.scope.allows(&method, &cx.request.path()) {
            return Err(ApiError::new(
                ErrorKind::Forbidden,
                "this API token is read-only",
            ));
        }
        if let Some(statement) = api_tokens::record_use(&claim, &token_hash, now)? {
            cx.after_response(statement);
        }
        (
            Presented::Token {
                token_hash,
                user_id: claim.user_id,
            },
            Credential::ApiToken {
                id: claim.id,
                expires_at: claim.expires_ms.map(Millis),
            },
        )
    } else {
        let token = cx
            .header("cookie")
            .and_then(|header| cookie::read(&header, SESSION_COOKIE))
            .filter(|token| looks_like_secret(token));
        let Some(token) = token else {
            return Ok(None);
        };
        let token_hash = sha256_hex(&token);
        let policy = config::session_policy(&cx.env)?;
        let mut kv_reads = 0;
        let record = sessions::claim(&kv, &token_hash, &mut kv_reads).await?;
        cx.facts.borrow_mut().kv_reads += kv_reads;
        let Some(mut record) = record else {
            return Ok(None);
        };
        if !record.is_live(&policy, now) {
            sessions::end(&db, &kv, &record.session_id, &token_hash, now).await?;
            return Ok(None);
        }
        if is_write(&cx.request.method()) {
            let presented = cx.header("x-csrf-token").unwrap_or_default();
            if !constant_time_eq(&presented, &record.csrf_token) {
                return Err(ApiError::new(
                    ErrorKind::CsrfFailed,
                    "cookie-authenticated writes need the session's X-CSRF-Token",
                ));
            }
        }
        if record.needs_renewal(&policy, now) {
            let statement = sessions::renew(&kv, &token_hash, &mut record, &policy, now).await?;
            cx.after_response(statement);
        }
        (
            Presented::Session {
                session_id: record.session_id.clone(),
                token_hash: token_hash.clone(),
                user_id: record.user_id.clone(),
            },
            Credential::Session { record, token_hash },
        )
    };
    let guarded = is_write(&cx.request.method());
    let user_id = presented.user_id().to_owned();
    db.check_with_first_batch(Prelude::new(presented, now, guarded));
    Ok(Some(Caller {
        claimed_settings: credentials::recalled_settings(&user_id),
        user_id,
        credential,
        db,
    }))
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
    credentials::remember_settings(&user.id, user.settings.as_deref());
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
