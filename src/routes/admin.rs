//! `/api/admin/*`: operations for users with the admin role; everyone else gets `403`.

use serde::Serialize;
use serde_json::json;
use worker::Response;

use crate::auth;
use crate::domain::economy::view::{Claim, ProgressView};
use crate::domain::economy::{AwardOutcome, AwardRequest, CounterChange, EventType};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::id::parse_path_id;
use crate::domain::user::{User, UserPatch};
use crate::http::{RequestContext, ok};
use crate::progress::client::{ProgressClient, unexpected};
use crate::progress::protocol::{Command, Reply};
use crate::store::{audit, sessions, users};

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
    caller.require_admin()?;
    let user_id = parse_path_id(cx.param("id").unwrap_or_default())?.to_owned();
    let patch: UserPatch = cx.json().await?;
    if patch.role.is_none() && patch.disabled.is_none() {
        return Err(ApiError::bad_request(
            "nothing to change: send role and/or disabled",
        ));
    }
    let db = cx.db()?;
    let now = cx.now();
    let updated = users::update(&db, &user_id, patch.role, patch.disabled, now)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if patch.disabled == Some(true) {
        sessions::end_all(&db, &cx.sessions_kv()?, &user_id, now).await?;
        crate::progress::client::close_sockets(&cx, &user_id, None).await;
    }
    audit::append(
        &db,
        &audit::AuditEntry {
            id: &cx.new_id()?,
            actor_id: Some(&caller.user.id),
            action: "admin.user_update",
            target_id: Some(&user_id),
            request_id: &cx.request_id,
            detail: &json!({"role": patch.role, "disabled": patch.disabled}),
        },
        now,
    )
    .await?;
    let disabled = updated.is_disabled();
    ok(&AdminUser {
        user: updated.into_user(),
        disabled,
    })
}

/// `POST /api/admin/users/{id}/claim`: an audited adjustment through the user's ledger.
pub async fn claim(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_admin()?;
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
        source_id: Some(caller.user.id.clone()),
        xp: body.xp.0,
        coins: body.coins.0,
        skill: None,
        counters: CounterChange::default(),
    };
    let reply = ProgressClient::for_user(&cx, &user_id)?
        .send_once(cx.idempotency()?, Command::Award { request })
        .await?;
    let Reply::Award { outcome, state, .. } = reply else {
        return Err(unexpected(&reply));
    };
    audit::append(
        &db,
        &audit::AuditEntry {
            id: &cx.new_id()?,
            actor_id: Some(&caller.user.id),
            action: "admin.claim",
            target_id: Some(&user_id),
            request_id: &cx.request_id,
            detail: &json!({"xp": body.xp.0, "coins": body.coins.0, "reason": body.reason.as_str()}),
        },
        cx.now(),
    )
    .await?;
    ok(&Claimed {
        user_id,
        award: outcome,
        progress: ProgressView::of(&state),
    })
}
