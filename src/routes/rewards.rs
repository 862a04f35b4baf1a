//! `/api/rewards`: the user's rewards shop; redeeming spends coins, never below zero.

use serde::Serialize;
use worker::Response;

use crate::auth;
use crate::domain::economy::view::CreateReward;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::id::parse_path_id;
use crate::http::{RequestContext, created, ok};
use crate::progress::client::ProgressClient;
use crate::progress::protocol::Reward;

const REWARDS_LIST: &str = "rewards";

pub async fn list(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let page = cx.page_request(REWARDS_LIST)?;
    let before = page.after_as::<String>()?;
    if let Some(id) = &before {
        parse_path_id(id)
            .map_err(|_| ApiError::invalid_field("cursor", "is not a cursor of this list"))?;
    }
    let rewards = ProgressClient::for_user(&cx, &caller.user_id)?
        .rewards(page.fetch_limit(), before)
        .await?;
    ok(&page.page(REWARDS_LIST, rewards, |reward| reward.id.clone()))
}

pub async fn create(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let body: CreateReward = cx.json().await?;
    let reward = ProgressClient::for_user(&cx, &caller.user_id)?
        .create_reward(
            cx.creation_key(body.id.as_ref())?,
            cx.item_id(body.id.as_ref())?,
            body.title.into_string(),
            body.cost.0,
        )
        .await?;
    created(&reward)
}

#[derive(Serialize)]
struct Redemption {
    reward: Reward,
    coins_spent: u32,
    coins: u64,
}

pub async fn redeem(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let reward_id = parse_path_id(cx.param("id").unwrap_or_default())?.to_owned();
    let key = format!("redeem:{}", cx.new_id()?);
    let (reward, coins) = ProgressClient::for_user(&cx, &caller.user_id)?
        .redeem(cx.idempotency()?, reward_id, key)
        .await?;
    ok(&Redemption {
        coins_spent: reward.cost,
        reward,
        coins,
    })
}
