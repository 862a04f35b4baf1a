//! `/api/quests`: the shared content routes, plus creation, changes and completion, which pays
//! the quest's own reward once, and only before its deadline.

use worker::Response;

use super::content::{self, Awarded};
use crate::auth::{self, Caller};
use crate::domain::content::quest::{NewQuest, QuestPatch, QuestStatus, StoredQuestStatus};
use crate::domain::economy::{AwardRequest, CounterChange, EventType};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::time::Millis;
use crate::http::{RequestContext, ok};
use crate::store::content as store;
use crate::store::content::Kind;
use crate::store::quests::{self, Quest, Quests};

fn future_deadline(deadline: Millis, now: Millis) -> ApiResult<()> {
    if deadline <= now {
        return Err(ApiError::invalid_field("deadline", "must be in the future"));
    }
    Ok(())
}

pub async fn create(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let body: NewQuest = cx.json().await?;
    future_deadline(body.deadline, cx.now())?;
    let quest = quests::new_quest(&cx.item_id(body.id.as_ref())?, &body, cx.now());
    let status = body
        .status
        .map(StoredQuestStatus::from)
        .unwrap_or(StoredQuestStatus::Open);
    let db = cx.db()?;
    content::created(
        &cx,
        &caller,
        Quests::TABLE,
        (&quest, body.id.as_ref()),
        |record| quests::create(&db, &caller.user_id, &quest, status, record),
    )
    .await
}

/// A completed quest is settled: only deleting it remains.
pub async fn patch(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let id = content::item_id(&cx)?;
    let patch: QuestPatch = cx.json().await?;
    if let Some(deadline) = patch.deadline {
        future_deadline(deadline, cx.now())?;
    }
    let db = cx.db()?;
    if let Some(quest) = quests::update(&db, &caller.user_id, &id, &patch, cx.now()).await? {
        return ok(&quest);
    }
    match store::find::<Quests>(&db, &caller.user_id, &id).await? {
        Some(quest) if quest.is_active => Err(ApiError::new(
            ErrorKind::Conflict,
            "a completed quest cannot be changed",
        )),
        _ => Err(ApiError::not_found("quest")),
    }
}

/// `POST /api/quests/{id}/complete`: once per quest, keyed by its id, so a retry after a failure
/// between marking and awarding lands the award exactly once.
pub async fn complete(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    content::once_per_key(&cx, &caller, 200, complete_quest(&cx, &caller)).await
}

async fn complete_quest(cx: &RequestContext, caller: &Caller) -> ApiResult<Awarded<Quest>> {
    let id = content::item_id(cx)?;
    // The happy path is one write; the quest is read only when it did not apply.
    let quest = match quests::mark_completed(&cx.db()?, &caller.user_id, &id, cx.now()).await? {
        Some(quest) => quest,
        None => content::active_item::<Quests>(cx, caller).await?,
    };
    match quest.status {
        QuestStatus::Completed => {
            let request = AwardRequest {
                key: format!("quest:{}", quest.id),
                event_type: EventType::QuestCompleted,
                reason: format!("quest completed: {}", quest.title),
                source_id: Some(quest.id.clone()),
                xp: i64::from(quest.reward.xp.0),
                coins: i64::from(quest.reward.coins.0),
                skill: Some(quest.category),
                counters: CounterChange {
                    quests_completed: 1,
                    ..CounterChange::default()
                },
            };
            content::award_once(cx, &caller.user_id, quest, request).await
        }
        QuestStatus::Expired => Err(ApiError::new(
            ErrorKind::QuestExpired,
            "this quest's deadline has passed",
        )),
        QuestStatus::Abandoned => Err(ApiError::new(
            ErrorKind::Conflict,
            "an abandoned quest cannot be completed: reopen it first",
        )),
        // Not completed by the write yet open when read: it changed in between; a retry decides.
        QuestStatus::Open => Err(ApiError::new(
            ErrorKind::Conflict,
            "this quest changed while completing it: try again",
        )),
    }
}
