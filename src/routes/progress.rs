//! `/api/progress`, `/api/achievements`, `/api/ledger`: the economy as the user sees it.

use worker::Response;

use crate::auth;
use crate::domain::economy::Currency;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::page::Page;
use crate::http::{RequestContext, ok};
use crate::progress::client::ProgressClient;

pub async fn get(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    ok(&ProgressClient::for_user(&cx, &caller.user_id)?
        .progress()
        .await?)
}

pub async fn achievements(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let achievements = ProgressClient::for_user(&cx, &caller.user_id)?
        .achievements()
        .await?;
    ok(&Page::complete(achievements))
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
    let page = cx.page_request(LEDGER_LIST)?;
    let entries = ProgressClient::for_user(&cx, &caller.user_id)?
        .ledger(currency, page.fetch_limit(), page.after_as::<u64>()?)
        .await?;
    let mut page = page.page(LEDGER_LIST, entries, |entry| {
        entry.seq.map(|seq| seq.to_string()).unwrap_or_default()
    });
    for entry in &mut page.items {
        entry.seq = None;
    }
    ok(&page)
}
