//! `/api/focus`: one active session per user, acted on by start, pause, resume and end. Times are
//! the server's; a session left active past twice its plan is ended by the next request that
//! sees it (awarding on the capped time), exactly once: the end is a compare-and-set and the
//! award's key is the session's id.

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use worker::Response;

use super::content::{self, Awarded};
use crate::auth::{self, Caller};
use crate::domain::economy::{AwardOutcome, AwardRequest, CounterChange, EventType, Skill, rules};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::focus::{
    EndFocus, FocusAction, FocusClock, FocusMode, FocusStatus, StartFocus, StatsQuery, WrongState,
};
use crate::domain::time::Millis;
use crate::http::{RequestContext, ok};
use crate::store::content as content_store;
use crate::store::focus::{self, FocusRow, Links};
use crate::zone::LocalCalendar;

/// A session as the API shows it, with its focused time so far.
#[derive(Serialize)]
pub struct FocusSession {
    #[serde(flatten)]
    row: FocusRow,
    focused_minutes: u32,
    paused_seconds: u64,
    /// When an active session will end by itself; `null` once it has ended.
    auto_ends_at: Option<String>,
}

pub fn view(row: FocusRow, now: Millis) -> FocusSession {
    let clock = row.clock();
    let until = clock.ended_at.unwrap_or(now);
    let paused = clock.paused_ms
        + clock
            .paused_at
            .map_or(0, |since| until.0.saturating_sub(since.0));
    FocusSession {
        focused_minutes: clock.focused_minutes(now),
        paused_seconds: paused / 1000,
        auto_ends_at: clock
            .status
            .is_active()
            .then(|| clock.auto_end_at().to_rfc3339()),
        row,
    }
}

impl FocusSession {
    pub fn id(&self) -> &str {
        &self.row.id
    }
}

fn no_active_session() -> ApiError {
    ApiError::not_found("active focus session")
}

/// What ending `row` as `ended` earns: focus mode, at least 5 focused minutes, not abandoned.
async fn award_for(
    cx: &RequestContext,
    caller: &Caller,
    row: &FocusRow,
    ended: &FocusClock,
) -> ApiResult<Option<AwardOutcome>> {
    if row.mode != FocusMode::Focus || ended.status != FocusStatus::Completed {
        return Ok(None);
    }
    let minutes = ended.focused_minutes(ended.ended_at.unwrap_or(ended.started_at));
    let Some(reward) = rules::focus_completed(minutes) else {
        return Ok(None);
    };
    let skill = focus::linked_category(&cx.db()?, &caller.user_id, row)
        .await?
        .unwrap_or(Skill::Productivity);
    let request = AwardRequest {
        key: format!("focus:{}", row.id),
        event_type: EventType::FocusCompleted,
        reason: format!("focus session: {minutes} minutes"),
        source_id: Some(row.id.clone()),
        xp: reward.xp,
        coins: reward.coins,
        skill: Some(skill),
        counters: CounterChange {
            focus_minutes: u64::from(minutes),
            ..CounterChange::default()
        },
    };
    let (outcome, replayed) = content::award(cx, &caller.user_id, request).await?;
    Ok((!replayed).then_some(outcome))
}

/// Moves `row` to `next`; `None` if a concurrent request changed the session first. An ending
/// awards first, keyed by the session: if the write then fails, a retry writes it and the award
/// is not paid twice.
async fn apply(
    cx: &RequestContext,
    caller: &Caller,
    row: &FocusRow,
    next: FocusClock,
    now: Millis,
) -> ApiResult<Option<(FocusRow, Option<AwardOutcome>)>> {
    let award = award_for(cx, caller, row, &next).await?;
    let written = focus::transition(&cx.db()?, &caller.user_id, row, &next, now).await?;
    Ok(written.map(|row| (row, award)))
}

fn changed_meanwhile() -> ApiError {
    ApiError::new(
        ErrorKind::Conflict,
        "the session changed meanwhile: try again",
    )
}

/// The user's active session, after ending it if it was left past twice its plan (then the
/// ended session and its award, or nothing if a concurrent request ended it first).
async fn active(
    cx: &RequestContext,
    caller: &Caller,
    now: Millis,
) -> ApiResult<Result<FocusRow, Option<(FocusRow, Option<AwardOutcome>)>>> {
    let Some(row) = focus::active(&cx.db()?, &caller.user_id).await? else {
        return Ok(Err(None));
    };
    match row.clock().expired(now) {
        Some(ended) => Ok(Err(apply(cx, caller, &row, ended, now).await?)),
        None => Ok(Ok(row)),
    }
}

pub async fn start(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let body: StartFocus = cx.json().await?;
    content::once_per_key(&cx, &caller, 201, start_session(&cx, &caller, body)).await
}

async fn start_session(
    cx: &RequestContext,
    caller: &Caller,
    body: StartFocus,
) -> ApiResult<FocusSession> {
    let now = cx.clock();
    if let Ok(row) = active(cx, caller, now).await? {
        return Err(ApiError::new(
            ErrorKind::FocusSessionActive,
            format!(
                "focus session {} is {}: end it first",
                row.id,
                row.status.as_str()
            ),
        ));
    }
    let clock = FocusClock::start(body.planned_minutes.0, now);
    let row = FocusRow {
        id: cx.new_id()?,
        mode: body.mode.unwrap_or(FocusMode::Focus),
        planned_minutes: clock.planned_minutes,
        status: clock.status,
        started_at: now,
        paused_at: None,
        paused_ms: 0,
        ended_at: None,
        habit_id: body.habit_id.map(|id| id.0),
        goal_id: body.goal_id.map(|id| id.0),
        audio_id: body.audio_id.map(|id| id.0),
        created_at: now,
        updated_at: now,
    };
    let links = Links {
        habit_id: row.habit_id.as_deref(),
        goal_id: row.goal_id.as_deref(),
        audio_id: row.audio_id.as_deref(),
    };
    let db = cx.db()?;
    let quota = crate::config::item_quota_per_kind(&cx.env)?;
    let guard = content_store::quota_guard(focus::TABLE, &caller.user_id, quota)?;
    let started = match focus::start(&db, &caller.user_id, &row, &links, guard).await {
        Err(error) if content_store::is_over_quota(&error) => {
            return Err(ApiError::new(
                ErrorKind::QuotaExceeded,
                format!("at most {quota} focus sessions per user (ITEM_QUOTA_PER_KIND)"),
            ));
        }
        other => other?,
    };
    match started {
        Some(row) => Ok(view(row, now)),
        None => Err(ApiError::new(
            ErrorKind::FocusSessionActive,
            "another focus session started meanwhile: end it first",
        )),
    }
}

async fn act(cx: RequestContext, caller: Caller, action: FocusAction) -> ApiResult<Response> {
    let now = cx.clock();
    let row = match active(&cx, &caller, now).await? {
        Ok(row) => row,
        // Ending a session that had just ended by itself answers that ending.
        Err(Some((row, award))) if matches!(action, FocusAction::End { .. }) => {
            return ok(&Awarded {
                item: view(row, now),
                award,
                already_completed: None,
            });
        }
        Err(_) => return Err(no_active_session()),
    };
    let next = row
        .clock()
        .apply(action, now)
        .map_err(|WrongState(problem)| ApiError::new(ErrorKind::Conflict, problem))?;
    let (row, award) = apply(&cx, &caller, &row, next, now)
        .await?
        .ok_or_else(changed_meanwhile)?;
    match action {
        FocusAction::End { .. } => ok(&Awarded {
            item: view(row, now),
            award,
            already_completed: None,
        }),
        FocusAction::Pause | FocusAction::Resume => ok(&view(row, now)),
    }
}

pub async fn pause(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    act(cx, caller, FocusAction::Pause).await
}

pub async fn resume(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    act(cx, caller, FocusAction::Resume).await
}

pub async fn end(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let body: EndFocus = cx.optional_json().await?;
    act(
        cx,
        caller,
        FocusAction::End {
            abandon: body.abandon,
        },
    )
    .await
}

/// `GET /api/focus/active`: the running or paused session, or `null`.
pub async fn get_active(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let now = cx.clock();
    let session = active(&cx, &caller, now)
        .await?
        .ok()
        .map(|row| view(row, now));
    ok(&session)
}

/// `GET /api/focus`: every session, newest first.
pub async fn history(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let now = cx.clock();
    let page = cx.page_request("focus")?;
    let before = page.after_as::<String>()?;
    let rows = focus::history(
        &cx.db()?,
        &caller.user_id,
        before.as_deref(),
        page.fetch_limit(),
    )
    .await?;
    let views = rows.into_iter().map(|row| view(row, now)).collect();
    ok(&page.page("focus", views, |session: &FocusSession| {
        session.row.id.clone()
    }))
}

#[derive(Serialize)]
struct Day {
    date: NaiveDate,
    focused_minutes: u32,
    sessions: u32,
}

#[derive(Serialize)]
struct Stats {
    days: u32,
    from: NaiveDate,
    to: NaiveDate,
    total_focused_minutes: u32,
    sessions: u32,
    per_day: Vec<Day>,
}

/// `GET /api/focus/stats?days=N`: completed focus sessions of the last N days of the user's
/// calendar (today included), in total and per day.
pub async fn stats(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let query = StatsQuery::parse(cx.query("days").as_deref())?;
    let db = cx.db()?;
    let now = cx.clock();
    let settings = caller.settings().await?;
    let calendar = LocalCalendar::of(&settings);
    let to = calendar.day_of(now);
    let from = to - Duration::days(i64::from(query.days) - 1);
    // A day and more of margin for zone offsets and day starts; the days are then exact.
    let since = Millis(
        now.0
            .saturating_sub((u64::from(query.days) + 2) * 86_400_000),
    );
    let mut per_day: Vec<Day> = from
        .iter_days()
        .take_while(|day| *day <= to)
        .map(|date| Day {
            date,
            focused_minutes: 0,
            sessions: 0,
        })
        .collect();
    for row in focus::completed_since(&db, &caller.user_id, since).await? {
        let clock = row.clock();
        let day = calendar.day_of(clock.started_at);
        if let Some(slot) = per_day.iter_mut().find(|slot| slot.date == day) {
            slot.focused_minutes += clock.focused_minutes(now);
            slot.sessions += 1;
        }
    }
    ok(&Stats {
        days: query.days,
        from,
        to,
        total_focused_minutes: per_day.iter().map(|d| d.focused_minutes).sum(),
        sessions: per_day.iter().map(|d| d.sessions).sum(),
        per_day,
    })
}
