//! `/api/workouts`: the shared content routes; logging a workout awards once, keyed by its id.
//! Deleting one takes its award back (refused, `409`, when its coins were spent: the workout
//! stays); restoring it pays the award again under a key of the restore's own.

use worker::Response;

use super::content;
use crate::auth;
use crate::domain::content::workout::{FUTURE_TOLERANCE_SECONDS, NewWorkout, WorkoutPatch};
use crate::domain::economy::{AwardRequest, CounterChange, EventType, Skill, rules};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::time::Millis;
use crate::http::{RequestContext, ok};
use crate::progress::client::ProgressClient;
use crate::store::content as content_store;
use crate::store::content::Kind;
use crate::store::workouts::{self, Workout, Workouts};

fn not_in_future(performed_at: Option<Millis>, now: Millis) -> ApiResult<()> {
    if performed_at.is_some_and(|at| at > now.plus_seconds(FUTURE_TOLERANCE_SECONDS)) {
        return Err(ApiError::invalid_field(
            "performed_at",
            "must not be in the future",
        ));
    }
    Ok(())
}

fn award_for(workout: &Workout) -> Option<AwardRequest> {
    let reward = rules::workout_logged(workout.duration_minutes, workout.intensity);
    Some(AwardRequest {
        key: workout.award_key(),
        event_type: EventType::WorkoutLogged,
        reason: format!("workout logged: {}", workout.name),
        source_id: Some(workout.id.clone()),
        xp: reward.xp,
        coins: reward.coins,
        skill: Some(Skill::Fitness),
        counters: CounterChange {
            workouts_logged: 1,
            ..CounterChange::default()
        },
    })
}

pub async fn create(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let body: NewWorkout = cx.json().await?;
    not_in_future(body.performed_at, cx.now())?;
    let workout = workouts::new_workout(&cx.item_id(body.id.as_ref())?, &body, cx.now());
    let db = cx.db()?;
    let insert = |record| workouts::create(&db, &caller.user_id, &workout, record);
    content::created_awarding(
        &cx,
        &caller,
        Workouts::TABLE,
        (workout.clone(), body.id.as_ref()),
        insert,
        award_for,
    )
    .await
}

/// Corrects a logged workout; what logging it earned stays as it was.
pub async fn patch(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let id = content::item_id(&cx)?;
    let patch: WorkoutPatch = cx.json().await?;
    not_in_future(patch.performed_at, cx.now())?;
    let updated = workouts::update(&cx.db()?, &caller.user_id, &id, &patch, cx.now()).await?;
    updated.map_or_else(
        || Err(ApiError::not_found("workout")),
        |workout| ok(&workout),
    )
}

/// `DELETE /api/workouts/{id}`: takes the workout's award back, then deletes it. Deleting a
/// deleted workout changes nothing.
pub async fn delete(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let id = content::item_id(&cx)?;
    let db = cx.db()?;
    if let Some(workout) = content_store::find::<Workouts>(&db, &caller.user_id, &id).await?
        && workout.is_active
    {
        let client = ProgressClient::for_user(&cx, &caller.user_id)?;
        content::reverse(&client, workout.award_key()).await?;
        content_store::set_active::<Workouts>(&db, &caller.user_id, &id, false, cx.now()).await?;
        return Ok(Response::empty()?.with_status(204));
    }
    content::delete::<Workouts>(cx).await
}

/// `POST /api/workouts/{id}/restore`: the workout back, with its award paid again (once: a retry
/// of a restore that failed before the award lands it).
pub async fn restore(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let id = content::item_id(&cx)?;
    let db = cx.db()?;
    let restore_key = format!("workout:{id}:restored:{}", cx.now().0);
    let workout = match workouts::restore(&db, &caller.user_id, &id, &restore_key, cx.now()).await?
    {
        Some(workout) => workout,
        None => content::active_item::<Workouts>(&cx, &caller).await?,
    };
    if let Some(request) = award_for(&workout) {
        content::award(&cx, &caller.user_id, request).await?;
    }
    ok(&workout)
}
