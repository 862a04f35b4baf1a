//! `/api/admin/*`: operations for users with the admin role; everyone else gets `403`.

use serde::Serialize;
use serde_json::json;
use worker::Response;

use crate::auth::{self, Caller};
use crate::domain::economy::view::{Claim, ProgressView};
use crate::domain::economy::{AwardOutcome, AwardRequest, CounterChange, EventType};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::id::parse_path_id;
use crate::domain::time::Millis;
use crate::domain::user::{Role, User, UserPatch};
use crate::http::{RequestContext, ok};
use crate::progress::client::{Applied, ProgressClient};
use crate::store::audit::{self, AuditEvent};
use crate::store::{errors, stats, users};

/// Records what an admin did to a user in the audit log.
async fn audited(
    cx: &RequestContext,
    caller: &Caller,
    action: &str,
    target_id: &str,
    detail: serde_json::Value,
) -> ApiResult<()> {
    cx.audit(&AuditEvent {
        actor_id: Some(&caller.user_id),
        action,
        target_id: Some(target_id),
        detail,
    })
    .await
}

#[derive(Serialize)]
struct Claimed {
    user_id: String,
    award: AwardOutcome,
    progress: ProgressView,
}

#[derive(Serialize)]
struct AdminUser {
    #[serde(flatten)]
    user: User,
    disabled: bool,
}

/// `PATCH /api/admin/users/{id}`: role and disabled. Disabling ends the user's sessions and
/// tokens at once (the user row is read by every request, and `end_all` marks them ended).
pub async fn update_user(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_admin().await?;
    let user_id = parse_path_id(cx.param("id").unwrap_or_default())?.to_owned();
    let patch: UserPatch = cx.json().await?;
    if patch.role.is_none() && patch.disabled.is_none() {
        return Err(ApiError::bad_request(
            "nothing to change: send role and/or disabled",
        ));
    }
    let locks_out_self = patch.role == Some(Role::User) || patch.disabled == Some(true);
    if user_id == caller.user_id && locks_out_self {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            "admins cannot demote or disable themselves: another admin can",
        ));
    }
    let db = cx.db()?;
    let now = cx.now();
    let Some(updated) = users::update(&db, &user_id, patch.role, patch.disabled, now).await? else {
        return Err(match users::find_by_id(&db, &user_id).await? {
            Some(_) => ApiError::new(
                ErrorKind::Conflict,
                "that would leave no enabled admin: make another admin first",
            ),
            None => ApiError::not_found("user"),
        });
    };
    if patch.disabled == Some(true) {
        auth::end_everything(&cx, &user_id).await?;
    }
    if let Some(role) = patch.role {
        audited(
            &cx,
            &caller,
            "admin.role_change",
            &user_id,
            json!({"role": role}),
        )
        .await?;
    }
    if let Some(disabled) = patch.disabled {
        let action = if disabled {
            "admin.disable"
        } else {
            "admin.enable"
        };
        audited(&cx, &caller, action, &user_id, json!({})).await?;
    }
    let disabled = updated.is_disabled();
    ok(&AdminUser {
        user: updated.into_user(),
        disabled,
    })
}

/// `POST /api/admin/users/{id}/claim`: an audited adjustment through the user's ledger.
pub async fn claim(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_admin().await?;
    let user_id = parse_path_id(cx.param("id").unwrap_or_default())?.to_owned();
    let body: Claim = cx.json().await?;
    if body.xp.0 == 0 && body.coins.0 == 0 {
        return Err(ApiError::invalid_field(
            "xp",
            "a claim must move XP or coins",
        ));
    }
    let db = cx.db()?;
    if users::find_by_id(&db, &user_id).await?.is_none() {
        return Err(ApiError::not_found("user"));
    }
    let request = AwardRequest {
        key: format!("claim:{}", cx.new_id()?),
        event_type: EventType::AdminClaim,
        reason: body.reason.as_str().to_owned(),
        source_id: Some(caller.user_id.clone()),
        xp: body.xp.0,
        coins: body.coins.0,
        skill: None,
        counters: CounterChange::default(),
    };
    let Applied { outcome, state, .. } = ProgressClient::for_user(&cx, &user_id)?
        .award(cx.idempotency()?, request)
        .await?;
    audited(
        &cx,
        &caller,
        "admin.claim",
        &user_id,
        json!({"xp": body.xp.0, "coins": body.coins.0, "reason": body.reason.as_str()}),
    )
    .await?;
    ok(&Claimed {
        user_id,
        award: outcome,
        progress: ProgressView::of(&state),
    })
}

/// A user in the admin list, with where they stand.
#[derive(Serialize)]
struct ListedUser {
    #[serde(flatten)]
    user: AdminUser,
    progress: Option<Standing>,
}

#[derive(Serialize)]
struct Standing {
    xp: u64,
    level: u32,
    coins: u64,
}

async fn progress_of(cx: &RequestContext, user_id: &str) -> ApiResult<ProgressView> {
    ProgressClient::for_user(cx, user_id)?.progress().await
}

/// `GET /api/admin/users?q=&limit=&cursor=`: users whose e-mail or name starts with `q`, each
/// with their standing, fetched from their objects concurrently (`null` if one does not answer).
pub async fn list_users(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_admin().await?;
    let query = cx.query("q").filter(|q| !q.trim().is_empty());
    if query.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid_field(
            "q",
            "must be at most 200 characters",
        ));
    }
    let page = cx.page_request("admin-users")?;
    let after = page.after_as::<String>()?;
    let rows = users::search(
        &cx.db()?,
        query.as_deref().map(str::trim),
        after.as_deref(),
        page.fetch_limit(),
    )
    .await?;
    let standings =
        futures_util::future::join_all(rows.iter().map(|row| progress_of(&cx, &row.id))).await;
    let listed: Vec<ListedUser> = rows
        .into_iter()
        .zip(standings)
        .map(|(row, progress)| {
            let disabled = row.is_disabled();
            ListedUser {
                user: AdminUser {
                    user: row.into_user(),
                    disabled,
                },
                progress: progress.ok().map(|p| Standing {
                    xp: p.xp,
                    level: p.level,
                    coins: p.coins,
                }),
            }
        })
        .collect();
    ok(&page.page("admin-users", listed, |u: &ListedUser| {
        u.user.user.id.clone()
    }))
}

#[derive(Serialize)]
struct UserDetail {
    #[serde(flatten)]
    user: AdminUser,
    progress: ProgressView,
    content: users::Holdings,
}

/// `GET /api/admin/users/{id}`: the user, their progress, what they hold and their live sessions.
pub async fn get_user(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_admin().await?;
    let user_id = parse_path_id(cx.param("id").unwrap_or_default())?.to_owned();
    let db = cx.db()?;
    let row = users::find_by_id(&db, &user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let content = users::holdings(&db, &user_id, cx.now())
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let progress = progress_of(&cx, &user_id).await?;
    let disabled = row.is_disabled();
    ok(&UserDetail {
        user: AdminUser {
            user: row.into_user(),
            disabled,
        },
        progress,
        content,
    })
}

#[derive(Serialize)]
struct Revoked {
    user_id: String,
    revoked: bool,
}

/// `POST /api/admin/users/{id}/sessions/revoke`: ends every session and token of the user and
/// closes their sockets, at once; audited.
pub async fn revoke_sessions(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_admin().await?;
    let user_id = parse_path_id(cx.param("id").unwrap_or_default())?.to_owned();
    let db = cx.db()?;
    if users::find_by_id(&db, &user_id).await?.is_none() {
        return Err(ApiError::not_found("user"));
    }
    auth::end_everything(&cx, &user_id).await?;
    audited(&cx, &caller, "admin.sessions_revoke", &user_id, json!({})).await?;
    ok(&Revoked {
        user_id,
        revoked: true,
    })
}

/// `GET /api/admin/audit`: the audit log, newest first.
pub async fn audit_log(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_admin().await?;
    let page = cx.page_request("audit")?;
    let before = page.after_as::<String>()?;
    let rows = audit::page(&cx.db()?, before.as_deref(), page.fetch_limit()).await?;
    ok(&page.page("audit", rows, |row: &audit::AuditRow| row.id.clone()))
}

#[derive(Serialize)]
struct StatsView {
    /// The UTC day the "today" figures count.
    day: String,
    #[serde(flatten)]
    stats: stats::Stats,
}

/// `GET /api/admin/stats`: users, users active today and awards earned today (UTC).
pub async fn stats(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_admin().await?;
    const DAY_MS: u64 = 24 * 60 * 60 * 1000;
    let now = cx.now().0;
    let day_start = Millis(now - now % DAY_MS).to_rfc3339();
    let stats = stats::since(&cx.db()?, &day_start).await?;
    ok(&StatsView {
        day: day_start[..10].to_owned(),
        stats,
    })
}

/// `GET /api/admin/errors`: recent server errors with their request ids, newest first.
pub async fn errors(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_admin().await?;
    let page = cx.page_request("errors")?;
    let before = page.after_as::<String>()?;
    let rows = errors::page(&cx.db()?, before.as_deref(), page.fetch_limit()).await?;
    ok(&page.page("errors", rows, |row: &errors::ErrorEntry| row.id.clone()))
}
