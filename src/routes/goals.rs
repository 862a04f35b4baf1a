//! `/api/goals`: the shared content routes, plus creation, changes, and completion, which awards
//! once per goal.

use worker::Response;

use super::content::{self, Awarded};
use crate::auth::{self, Caller};
use crate::domain::content::goal::{GoalPatch, GoalStatus, NewGoal};
use crate::domain::economy::{AwardRequest, CounterChange, EventType, rules};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::http::{RequestContext, ok};
use crate::store::content::Kind;
use crate::store::goals::{self, Goal, Goals};

pub async fn create(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let body: NewGoal = cx.json().await?;
    let goal = goals::new_goal(&cx.item_id(body.id.as_ref())?, &body, cx.now());
    let db = cx.db()?;
    content::created(
        &cx,
        &caller,
        Goals::TABLE,
        (&goal, body.id.as_ref()),
        |record| goals::create(&db, &caller.user_id, &goal, record),
    )
    .await
}

pub async fn patch(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let id = content::item_id(&cx)?;
    let patch: GoalPatch = cx.json().await?;
    let updated = goals::update(&cx.db()?, &caller.user_id, &id, &patch, cx.now()).await?;
    // A deleted goal is restored before it can be changed.
    updated.map_or_else(|| Err(ApiError::not_found("goal")), |goal| ok(&goal))
}

/// `POST /api/goals/{id}/complete`: once per goal. The award's key is the goal's, so a retry
/// after a failure between marking and awarding lands the award exactly once.
pub async fn complete(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    content::once_per_key(&cx, &caller, 200, complete_goal(&cx, &caller)).await
}

async fn complete_goal(cx: &RequestContext, caller: &Caller) -> ApiResult<Awarded<Goal>> {
    let goal = content::active_item::<Goals>(cx, caller).await?;
    if goal.status == GoalStatus::Abandoned {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            "an abandoned goal cannot be completed: reactivate it first",
        ));
    }
    let goal = goals::mark_completed(&cx.db()?, &caller.user_id, &goal.id, cx.now())
        .await?
        .unwrap_or(goal);
    let request = AwardRequest {
        key: format!("goal:{}", goal.id),
        event_type: EventType::GoalCompleted,
        reason: format!("goal completed: {}", goal.title),
        source_id: Some(goal.id.clone()),
        xp: rules::GOAL_COMPLETED.xp,
        coins: rules::GOAL_COMPLETED.coins,
        skill: Some(goal.category),
        counters: CounterChange {
            goals_completed: 1,
            ..CounterChange::default()
        },
    };
    content::award_once(cx, &caller.user_id, goal, request).await
}
