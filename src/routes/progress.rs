//! `/api/progress`, `/api/achievements`, `/api/ledger`: the economy as the user sees it.

use std::collections::BTreeMap;

use worker::Response;

use crate::auth;
use crate::domain::economy::Currency;
use crate::domain::economy::view::{ProgressView, achievements_view};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::page::{PageRequest, encode_cursor};
use crate::http::envelope::Page;
use crate::http::{RequestContext, ok};
use crate::progress::client::{ProgressClient, unexpected};
use crate::progress::protocol::{Command, Reply};

pub async fn get(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    match ProgressClient::for_user(&cx, &caller.user.id)?
        .send(&Command::State)
        .await?
    {
        Reply::State { state } => ok(&ProgressView::of(&state)),
        other => Err(unexpected(&other)),
    }
}

pub async fn achievements(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let reply = ProgressClient::for_user(&cx, &caller.user.id)?
        .send(&Command::Achievements)
        .await?;
    let Reply::Achievements { unlocked } = reply else {
        return Err(unexpected(&reply));
    };
    let unlocked: BTreeMap<String, String> = unlocked
        .into_iter()
        .map(|u| (u.id, u.unlocked_at))
        .collect();
    ok(&Page::complete(achievements_view(&unlocked)))
}

const LEDGER_LIST: &str = "ledger";

pub async fn ledger(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let currency = cx
        .query("currency")
        .map(|text| {
            Currency::parse(&text)
                .ok_or_else(|| ApiError::invalid_field("currency", "must be xp or coins"))
        })
        .transpose()?;
    let page = PageRequest::parse(
        LEDGER_LIST,
        cx.query("limit").as_deref(),
        cx.query("cursor").as_deref(),
    )?;
    let before = page
        .after
        .map(|seq| {
            seq.parse::<u64>()
                .map_err(|_| ApiError::invalid_field("cursor", "is not a cursor of this list"))
        })
        .transpose()?;
    let command = Command::Ledger {
        currency,
        limit: page.limit + 1,
        before,
    };
    let reply = ProgressClient::for_user(&cx, &caller.user.id)?
        .send(&command)
        .await?;
    let Reply::Ledger { mut entries } = reply else {
        return Err(unexpected(&reply));
    };
    // One row more than the page tells whether another page exists.
    let next_cursor = if entries.len() > page.limit as usize {
        entries.truncate(page.limit as usize);
        entries
            .last()
            .and_then(|last| last.seq)
            .map(|seq| encode_cursor(LEDGER_LIST, &seq.to_string()))
    } else {
        None
    };
    for entry in &mut entries {
        entry.seq = None;
    }
    ok(&Page {
        items: entries,
        next_cursor,
    })
}
