//! `/api/tokens`: personal access tokens (`pat_…`), shown once at creation.

use serde::Serialize;
use serde_json::json;
use worker::Response;

use crate::auth;
use crate::domain::api_token::CreateApiToken;
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::id::parse_path_id;
use crate::domain::page::Page;
use crate::domain::secret::api_token;
use crate::http::{RequestContext, created, ok};
use crate::random::random_bytes;
use crate::store::api_tokens::{self, NewToken};
use crate::store::audit::AuditEvent;

/// `POST /api/tokens`: from a browser session only (a token never mints tokens).
pub async fn create(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_session()?;
    let body: CreateApiToken = cx.json().await?;
    let token = api_token(&random_bytes::<32>()?);
    let now = cx.now();
    let quota = crate::config::token_quota(&cx.env)?;
    let new = NewToken {
        id: &cx.new_id()?,
        name: body.name.as_str(),
        scope: body.scope,
        token: &token,
        expires_at: body.expires_at(now),
    };
    let summary = match api_tokens::create(
        &cx.db()?,
        &cx.sessions_kv()?,
        &caller.user_id,
        &new,
        quota,
        now,
    )
    .await
    {
        Err(error) if crate::store::content::is_over_quota(&error) => {
            return Err(ApiError::new(
                ErrorKind::QuotaExceeded,
                format!("at most {quota} live API tokens per user (TOKEN_QUOTA): revoke one first"),
            ));
        }
        other => other?,
    };
    cx.audit(&AuditEvent::own(
        &caller.user_id,
        "token.create",
        json!({"token_id": summary.id, "name": summary.name, "scope": summary.scope}),
    ))
    .await?;
    #[derive(Serialize)]
    struct Created {
        #[serde(flatten)]
        summary: api_tokens::ApiTokenSummary,
        token: String,
    }
    created(&Created { summary, token })
}

pub async fn list(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_session()?;
    let tokens = api_tokens::list(&cx.db()?, &caller.user_id, cx.now()).await?;
    ok(&Page::complete(tokens))
}

pub async fn revoke(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_session()?;
    let id = parse_path_id(cx.param("id").unwrap_or_default())?;
    if !api_tokens::revoke(&cx.db()?, &cx.sessions_kv()?, &caller.user_id, id, cx.now()).await? {
        return Err(ApiError::not_found("API token"));
    }
    crate::progress::client::close_sockets(&cx, &caller.user_id, Some(id)).await;
    cx.audit(&AuditEvent::own(
        &caller.user_id,
        "token.revoke",
        json!({"token_id": id}),
    ))
    .await?;
    Ok(Response::empty()?.with_status(204))
}
