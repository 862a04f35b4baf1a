//! `/api/settings`: the full settings object with defaults; `PATCH` is a JSON merge patch.

use serde_json::Value;
use worker::Response;

use crate::auth;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::settings::Settings;
use crate::http::{RequestContext, ok};
use crate::store::settings;
use crate::zone::{LocalCalendar, is_known_zone};

pub async fn get(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let stored = settings::load(&cx.db()?, &caller.user.id).await?;
    ok(&Settings::from_stored(stored.as_deref()))
}

pub async fn patch(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let patch: Value = cx.json().await?;
    let db = cx.db()?;
    let current = Settings::from_stored(settings::load(&db, &caller.user.id).await?.as_deref());
    let today = LocalCalendar::of(&current).day_of(cx.clock());
    let next = current.patched(&patch, is_known_zone, today)?;
    let encoded =
        serde_json::to_string(&next).map_err(|e| ApiError::internal(format!("settings: {e}")))?;
    settings::save(&db, &caller.user.id, &encoded, cx.now()).await?;
    ok(&next)
}
