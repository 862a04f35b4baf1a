//! `/api/goals`: CRUD with soft delete and restore, and completion, which awards once per goal.

use serde::Serialize;
use worker::Response;

use crate::auth::{self, Caller};
use crate::domain::content::goal::{GoalPatch, GoalStatus, NewGoal};
use crate::domain::economy::{AwardOutcome, AwardRequest, CounterChange, EventType, Skill, rules};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::id::parse_path_id;
use crate::http::envelope::{data_body, json_response};
use crate::http::{RequestContext, ok};
use crate::progress::client::{ProgressClient, unexpected};
use crate::progress::protocol::{Command, Reply};
use crate::store::goals::{self, Goal};
use crate::store::idempotency::{self, StoredResponse};

const ACTIVE_LIST: &str = "goals";
const ARCHIVED_LIST: &str = "goals-archived";

async fn list_of(cx: RequestContext, active: bool) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let name = if active { ACTIVE_LIST } else { ARCHIVED_LIST };
    let page = cx.page_request(name)?;
    let after = page.after_as::<String>()?;
    let goals = goals::list(
        &cx.db()?,
        &caller.user.id,
        active,
        after.as_deref(),
        page.fetch_limit(),
    )
    .await?;
    ok(&page.page(name, goals, |goal| goal.id.clone()))
}

pub async fn list(cx: RequestContext) -> ApiResult<Response> {
    list_of(cx, true).await
}

pub async fn archived(cx: RequestContext) -> ApiResult<Response> {
    list_of(cx, false).await
}

/// The stored first response of an Idempotency-Key, or a conflict if it guarded another request.
fn replay(stored: StoredResponse, fingerprint: &str) -> ApiResult<Response> {
    if stored.fingerprint != fingerprint {
        return Err(ApiError::idempotency_conflict());
    }
    Ok(json_response(stored.status, &stored.body))
}

pub async fn create(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let body: NewGoal = cx.json().await?;
    let idempotency = cx.idempotency()?;
    let (db, now, user_id) = (cx.db()?, cx.now(), caller.user.id.as_str());
    if let Some((key, fingerprint)) = &idempotency
        && let Some(stored) = idempotency::find(&db, user_id, key, now).await?
    {
        return replay(stored, fingerprint);
    }
    let goal = goals::new_goal(&cx.new_id()?, &body, now);
    let response_body = data_body(&goal)?;
    let record = match &idempotency {
        Some((key, fingerprint)) => {
            idempotency::record(&db, user_id, key, fingerprint, 201, &response_body, now)?
        }
        None => Vec::new(),
    };
    match goals::create(&db, user_id, &goal, record).await {
        Ok(()) => Ok(json_response(201, &response_body)),
        // A concurrent request with the same key won the record: answer with its response.
        Err(error) => match &idempotency {
            Some((key, fingerprint)) => match idempotency::find(&db, user_id, key, now).await? {
                Some(stored) => replay(stored, fingerprint),
                None => Err(error),
            },
            None => Err(error),
        },
    }
}

/// The `{id}` of the path, checked to be a UUID before any query.
fn goal_id(cx: &RequestContext) -> ApiResult<String> {
    Ok(parse_path_id(cx.param("id").unwrap_or_default())?.to_owned())
}

async fn owned(cx: &RequestContext, caller: &Caller) -> ApiResult<(String, Option<Goal>)> {
    let id = goal_id(cx)?;
    let goal = goals::find(&cx.db()?, &caller.user.id, &id).await?;
    Ok((id, goal))
}

/// A deleted goal is only in `archived` (and `restore`), so reading it by id is `404`.
pub async fn get(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    match owned(&cx, &caller).await? {
        (_, Some(goal)) if goal.is_active => ok(&goal),
        _ => Err(ApiError::not_found("goal")),
    }
}

pub async fn patch(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let id = goal_id(&cx)?;
    let patch: GoalPatch = cx.json().await?;
    let updated = goals::update(&cx.db()?, &caller.user.id, &id, &patch, cx.now()).await?;
    // A deleted goal is restored before it can be changed.
    updated.map_or_else(|| Err(ApiError::not_found("goal")), |goal| ok(&goal))
}

pub async fn delete(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let id = goal_id(&cx)?;
    let db = cx.db()?;
    // The write decides; the goal is read only to tell "already deleted" from "not yours".
    if goals::set_active(&db, &caller.user.id, &id, false, cx.now())
        .await?
        .is_some()
    {
        return Ok(Response::empty()?.with_status(204));
    }
    // Deleting a deleted goal changes nothing and says so the same way.
    match goals::find(&db, &caller.user.id, &id).await? {
        Some(goal) if !goal.is_active => Ok(Response::empty()?.with_status(204)),
        _ => Err(ApiError::not_found("goal")),
    }
}

pub async fn restore(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let id = goal_id(&cx)?;
    let db = cx.db()?;
    if let Some(goal) = goals::set_active(&db, &caller.user.id, &id, true, cx.now()).await? {
        return ok(&goal);
    }
    match goals::find(&db, &caller.user.id, &id).await? {
        Some(goal) if goal.is_active => ok(&goal),
        _ => Err(ApiError::not_found("goal")),
    }
}

#[derive(Serialize)]
struct Completion {
    goal: Goal,
    award: Option<AwardOutcome>,
    already_completed: bool,
}

/// `POST /api/goals/{id}/complete`: once per goal. The award's key is the goal's, so a retry
/// after a failure between marking and awarding lands the award exactly once.
pub async fn complete(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let idempotency = cx.idempotency()?;
    let (db, now) = (cx.db()?, cx.now());
    if let Some((key, fingerprint)) = &idempotency
        && let Some(stored) = idempotency::find(&db, &caller.user.id, key, now).await?
    {
        return replay(stored, fingerprint);
    }
    let response_body = data_body(&complete_goal(&cx, &caller).await?)?;
    if let Some((key, fingerprint)) = &idempotency {
        // The completion itself is idempotent by the goal's award key, so the record may follow
        // it; a concurrent twin that recorded first makes this insert fail harmlessly.
        let record = idempotency::record(
            &db,
            &caller.user.id,
            key,
            fingerprint,
            200,
            &response_body,
            now,
        )?;
        let _ = db.batch(record).await;
    }
    Ok(json_response(200, &response_body))
}

async fn complete_goal(cx: &RequestContext, caller: &Caller) -> ApiResult<Completion> {
    let (id, goal) = owned(cx, caller).await?;
    let goal = goal.ok_or_else(|| ApiError::not_found("goal"))?;
    if !goal.is_active {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            "this goal is deleted: restore it first",
        ));
    }
    if goal.status == GoalStatus::Abandoned {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            "an abandoned goal cannot be completed: reactivate it first",
        ));
    }
    let db = cx.db()?;
    let goal = match goals::mark_completed(&db, &caller.user.id, &id, cx.now()).await? {
        Some(goal) => goal,
        None => goals::find(&db, &caller.user.id, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("goal"))?,
    };
    let request = AwardRequest {
        key: format!("goal:{id}"),
        event_type: EventType::GoalCompleted,
        reason: format!("goal completed: {}", goal.title),
        source_id: Some(id.clone()),
        xp: rules::GOAL_COMPLETED.xp,
        coins: rules::GOAL_COMPLETED.coins,
        skill: Skill::parse(&goal.category),
        counters: CounterChange {
            goals_completed: 1,
            ..CounterChange::default()
        },
    };
    let reply = ProgressClient::for_user(cx, &caller.user.id)?
        .send(&Command::Award { request })
        .await?;
    let Reply::Award {
        outcome, replayed, ..
    } = reply
    else {
        return Err(unexpected(&reply));
    };
    Ok(Completion {
        goal,
        award: (!replayed).then_some(outcome),
        already_completed: replayed,
    })
}
