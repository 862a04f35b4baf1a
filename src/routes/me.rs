//! `/api/me/sessions`: the signed-in user's browser sessions, and ending one of them.

use serde::Serialize;
use worker::Response;

use crate::auth::{self, Caller, Credential};
use crate::config;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::id::parse_path_id;
use crate::http::{RequestContext, ok};
use crate::store::audit::AuditEvent;
use crate::store::sessions::{self, SessionSummary};

#[derive(Serialize)]
pub struct SessionItem {
    #[serde(flatten)]
    summary: SessionSummary,
    current: bool,
}

/// The caller's live sessions, newest first, the one making the request marked `current`.
pub async fn session_items(cx: &RequestContext, caller: &Caller) -> ApiResult<Vec<SessionItem>> {
    let current = match &caller.credential {
        Credential::Session { record, .. } => Some(record.session_id.as_str()),
        Credential::ApiToken { .. } => None,
    };
    let policy = config::session_policy(&cx.env)?;
    Ok(
        sessions::list(&cx.db()?, &caller.user_id, &policy, cx.now())
            .await?
            .into_iter()
            .map(|summary| SessionItem {
                current: current == Some(summary.id.as_str()),
                summary,
            })
            .collect(),
    )
}

pub async fn list_sessions(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    ok(&crate::domain::page::Page::complete(
        session_items(&cx, &caller).await?,
    ))
}

pub async fn end_session(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let id = parse_path_id(cx.param("id").unwrap_or_default())?;
    let ended =
        sessions::end_by_id(&cx.db()?, &cx.sessions_kv()?, &caller.user_id, id, cx.now()).await?;
    if !ended {
        return Err(ApiError::not_found("session"));
    }
    crate::progress::client::close_sockets(&cx, &caller.user_id, Some(id)).await;
    cx.audit(&AuditEvent::own(
        &caller.user_id,
        "session.end",
        serde_json::json!({"session_id": id}),
    ))
    .await?;
    Ok(Response::empty()?.with_status(204))
}
