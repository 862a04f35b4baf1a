//! `/api/settings`: the full settings object with defaults; `PATCH` is a JSON merge patch.

use serde_json::Value;
use worker::Response;

use crate::auth;
use crate::domain::error::{ApiError, ApiResult};
use crate::http::{RequestContext, ok};
use crate::store::settings;
use crate::zone::{LocalCalendar, is_known_zone};

pub async fn get(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    ok(&caller.stored_settings().await?)
}

pub async fn patch(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let patch: Value = cx.json().await?;
    let current = caller.stored_settings().await?;
    let today = LocalCalendar::of(&current).day_of(cx.clock());
    let next = current.patched(&patch, is_known_zone, today)?;
    let encoded =
        serde_json::to_string(&next).map_err(|e| ApiError::internal(format!("settings: {e}")))?;
    settings::save(&cx.db()?, &caller.user_id, &encoded, cx.now()).await?;
    crate::store::credentials::remember_settings(&caller.user_id, Some(&encoded));
    ok(&next)
}
