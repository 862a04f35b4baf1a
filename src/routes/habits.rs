//! `/api/habits`: habits shown with their streaks and strength, computed from completions on the
//! user's calendar days; completing awards once per habit and day, undo reverses it.

use std::collections::BTreeSet;
use std::rc::Rc;

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use worker::{Env, Response};

use super::content::{self, Awarded, ListRequest};
use crate::auth::{self, Caller};
use crate::domain::calendar::completion_day_allowed;
use crate::domain::content::habit::{CompletionDay, HabitPatch, NewHabit, schedule};
use crate::domain::economy::{AwardOutcome, AwardRequest, CounterChange, EventType, rules};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::habit::{self, HabitStats};
use crate::domain::settings::Settings;
use crate::domain::time::Millis;
use crate::http::{RequestContext, ok};
use crate::progress::client::ProgressClient;
use crate::sql::ListPage;
use crate::store::content::Kind;
use crate::store::credentials::retry_on_settings_change;
use crate::store::db::Db;
use crate::store::habits::{self, HabitRecord, Habits, HabitsWithDays, PendingCompletion};
use crate::zone::LocalCalendar;

/// The longest range `history` answers, in days.
const MAX_HISTORY_DAYS: i64 = 1_000;

/// A habit as the API shows it.
#[derive(Serialize)]
pub struct Habit {
    #[serde(flatten)]
    record: HabitRecord,
    #[serde(flatten)]
    stats: HabitStats,
}

/// A user's habits with what their views need, and the user's calendar at the request.
struct Loaded {
    habits: Vec<HabitRecord>,
    loaded: HabitsWithDays,
    calendar: LocalCalendar,
    today: NaiveDate,
}

impl Loaded {
    fn new(cx: &RequestContext, loaded: HabitsWithDays) -> Loaded {
        Loaded::at(cx.clock(), loaded)
    }

    /// The habits as seen at `clock`.
    fn at(clock: Millis, mut loaded: HabitsWithDays) -> Loaded {
        let calendar = LocalCalendar::of(&loaded.settings);
        let today = calendar.day_of(clock);
        Loaded {
            habits: std::mem::take(&mut loaded.habits),
            loaded,
            calendar,
            today,
        }
    }

    fn days(&self, id: &str) -> BTreeSet<NaiveDate> {
        self.loaded.days.get(id).cloned().unwrap_or_default()
    }

    fn stats(&self, record: &HabitRecord, days: &BTreeSet<NaiveDate>) -> HabitStats {
        habit::Habit {
            frequency: record.schedule(),
            created_on: self.calendar.day_of(record.created_at),
            completions: days,
            vacation: self.loaded.settings.vacation(),
        }
        .stats(self.today)
    }

    fn view_with(&self, record: HabitRecord, days: &BTreeSet<NaiveDate>) -> Habit {
        Habit {
            stats: self.stats(&record, days),
            record,
        }
    }

    fn into_views(mut self) -> Vec<Habit> {
        let records = std::mem::take(&mut self.habits);
        records
            .into_iter()
            .map(|record| {
                let days = self.days(&record.id);
                self.view_with(record, &days)
            })
            .collect()
    }

    /// The one active habit of a by-id read, else `404`.
    fn active(&self) -> ApiResult<&HabitRecord> {
        self.habits
            .first()
            .filter(|habit| habit.is_active)
            .ok_or_else(|| ApiError::not_found("habit"))
    }
}

impl Habit {
    pub fn id(&self) -> &str {
        &self.record.id
    }
}

/// Habits read with their days, as the API shows them.
pub fn views_of(cx: &RequestContext, loaded: HabitsWithDays) -> Vec<Habit> {
    Loaded::new(cx, loaded).into_views()
}

/// A page of the user's active habits after `after`, as the API shows them.
pub async fn views_page(
    cx: &RequestContext,
    caller: &Caller,
    after: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<Habit>> {
    let page = ListPage::active(Habits::TABLE, &caller.user_id, after, limit);
    let loaded = habits::page_with_days(&cx.db()?, caller.settings().await?, &page).await?;
    Ok(Loaded::new(cx, loaded).into_views())
}

async fn view_of(cx: &RequestContext, caller: &Caller, record: HabitRecord) -> ApiResult<Habit> {
    let loaded =
        habits::with_days_of(&cx.db()?, &caller.user_id, caller.settings().await?, record).await?;
    Loaded::new(cx, loaded)
        .into_views()
        .pop()
        .ok_or_else(|| ApiError::not_found("habit"))
}

async fn list_of(cx: RequestContext, active: bool) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let request = ListRequest::of::<Habits>(&cx, active)?;
    let (db, caller, page) = (&cx.db()?, &caller, &request.page::<Habits>(&caller.user_id));
    let loaded = retry_on_settings_change(|| async move {
        let settings = caller.settings().await?;
        habits::page_with_days(db, settings, page).await
    })
    .await?;
    let views = Loaded::new(&cx, loaded).into_views();
    ok(&request.page_of::<Habits, _>(views, |habit| habit.record.id.clone()))
}

pub async fn list(cx: RequestContext) -> ApiResult<Response> {
    list_of(cx, true).await
}

pub async fn archived(cx: RequestContext) -> ApiResult<Response> {
    list_of(cx, false).await
}

async fn load(cx: &RequestContext, caller: &Caller) -> ApiResult<Loaded> {
    let (id, db) = (&content::item_id(cx)?, &cx.db()?);
    let loaded = retry_on_settings_change(|| async move {
        let settings = caller.settings().await?;
        habits::find_with_days(db, &caller.user_id, settings, id).await
    })
    .await?;
    Ok(Loaded::new(cx, loaded))
}

pub async fn get(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let loaded = load(&cx, &caller).await?;
    loaded.active()?;
    ok(&loaded.into_views().pop())
}

pub async fn create(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let body: NewHabit = cx.json().await?;
    let frequency = schedule(None, body.frequency, body.target_per_week)?;
    let record = habits::new_habit(&cx.item_id(body.id.as_ref())?, &body, frequency, cx.now());
    let db = cx.db()?;
    let view = Habit {
        record: record.clone(),
        stats: HabitStats::default(),
    };
    content::created(
        &cx,
        &caller,
        Habits::TABLE,
        (&view, body.id.as_ref()),
        |batch| habits::create(&db, &caller.user_id, &record, batch),
    )
    .await
}

pub async fn patch(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let patch: HabitPatch = cx.json().await?;
    let current = content::active_item::<Habits>(&cx, &caller).await?;
    let frequency = schedule(
        Some(current.schedule()),
        patch.frequency,
        patch.target_per_week,
    )?;
    let db = cx.db()?;
    let record = habits::update(
        &db,
        &caller.user_id,
        &current.id,
        &patch,
        frequency,
        cx.now(),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("habit"))?;
    ok(&view_of(&cx, &caller, record).await?)
}

pub async fn restore(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let record = content::restored::<Habits>(&cx, &caller).await?;
    ok(&view_of(&cx, &caller, record).await?)
}

/// A day of the query (`?date=`, `?from=`), or `None` when left out.
fn query_day(cx: &RequestContext, name: &str) -> ApiResult<Option<NaiveDate>> {
    cx.query(name)
        .map(|text| {
            text.parse::<NaiveDate>()
                .map_err(|_| ApiError::invalid_field(name, "must be a day, YYYY-MM-DD"))
        })
        .transpose()
}

/// A completion or undo day: today or yesterday on the user's calendar.
fn completion_day(requested: Option<NaiveDate>, today: NaiveDate) -> ApiResult<NaiveDate> {
    let day = requested.unwrap_or(today);
    if !completion_day_allowed(day, today) {
        return Err(ApiError::invalid_field(
            "date",
            format!("must be today ({today}) or yesterday in your time zone"),
        ));
    }
    Ok(day)
}

/// The habit of the path, the day a completion or undo is for (checked against today on the
/// user's calendar), and the user's settings, all without a read: the settings came with the
/// credential.
async fn requested_day(
    cx: &RequestContext,
    caller: &Caller,
    requested: Option<NaiveDate>,
) -> ApiResult<(String, NaiveDate, Settings)> {
    let id = content::item_id(cx)?;
    let settings = caller.settings().await?;
    let today = LocalCalendar::of(&settings).day_of(cx.clock());
    Ok((id, completion_day(requested, today)?, settings))
}

fn award_key(habit_id: &str, day: NaiveDate, generation: u32) -> String {
    format!("habit:{habit_id}:{day}:{generation}")
}

/// The award of a habit's completion of `day`, as its view (with the completion) shows it.
fn completion_award(view: &Habit, day: NaiveDate, generation: u32) -> AwardRequest {
    let streak_days = view.stats.current_streak * view.record.schedule().period_days();
    let reward = rules::habit_completed(streak_days);
    AwardRequest {
        key: award_key(&view.record.id, day, generation),
        event_type: EventType::HabitCompleted,
        reason: format!("habit completed: {} ({day})", view.record.title),
        source_id: Some(view.record.id.clone()),
        xp: reward.xp,
        coins: reward.coins,
        skill: Some(view.record.category),
        counters: CounterChange {
            habit_completions: 1,
            streak: u64::from(streak_days),
            ..CounterChange::default()
        },
    }
}

/// `POST /api/habits/{id}/complete`: once per habit and day. The completion row is idempotent and
/// the award key follows from it, so concurrent requests award once; the row stays marked pending
/// until the object applied the award, so a worker dying between the two leaves it to the next
/// attempt or to the scheduled reconciliation, never lost.
pub async fn complete(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let body: CompletionDay = cx.optional_json().await?;
    let complete = retry_on_settings_change(|| complete_habit(&cx, &caller, body.date));
    content::once_per_key(&cx, &caller, 200, complete).await
}

async fn complete_habit(
    cx: &RequestContext,
    caller: &Caller,
    requested: Option<NaiveDate>,
) -> ApiResult<Awarded<Habit>> {
    let (id, day, settings) = requested_day(cx, caller, requested).await?;
    let db = cx.db()?;
    let (completion, written) =
        habits::complete(&db, &caller.user_id, &id, day, settings, cx.now()).await?;
    let loaded = Loaded::new(cx, written);
    let record = loaded.active()?.clone();
    let days = loaded.days(&record.id);
    let view = loaded.view_with(record, &days);
    let request = completion_award(&view, day, completion.generation);
    dev_fault(cx, "after-completion-write")?;
    let awarded = content::award_once(cx, &caller.user_id, view, request).await?;
    // A repeat of a settled completion has nothing to clear: no write.
    if completion.award_pending {
        cx.after_response(habits::settled(
            &caller.user_id,
            &id,
            day,
            completion.generation,
            "award",
        )?);
    }
    Ok(awarded)
}

/// Where `DEV_AUTH` is on, `X-Dev-Fault: {point}` makes the request fail at `point`, as a worker
/// dying there would: the tests show what is left is finished later.
fn dev_fault(cx: &RequestContext, point: &str) -> ApiResult<()> {
    // The header first: the configuration is read only when a request asks for a fault.
    if cx.header("x-dev-fault").as_deref() == Some(point)
        && crate::config::dev_auth_enabled(&cx.env)
    {
        return Err(ApiError::unavailable(format!("fault injected at {point}")));
    }
    Ok(())
}

/// `DELETE /api/habits/{id}/complete?date=`: undoes a completion of today or yesterday with
/// reversing ledger entries, or `409 insufficient_coins` when its coins were spent (the day stays
/// completed). Undoing it again changes nothing (`award: null`).
pub async fn undo(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let requested = query_day(&cx, "date")?;
    let undone = retry_on_settings_change(|| undo_habit(&cx, &caller, requested)).await?;
    ok(&undone)
}

async fn undo_habit(
    cx: &RequestContext,
    caller: &Caller,
    requested: Option<NaiveDate>,
) -> ApiResult<Awarded<Habit>> {
    let (id, day, settings) = requested_day(cx, caller, requested).await?;
    let (db, user_id) = (cx.db()?, caller.user_id.as_str());
    let completion = habits::begin_undo(&db, user_id, &id, day)
        .await?
        .ok_or_else(|| ApiError::not_found("completion"))?;
    dev_fault(cx, "after-undo-mark")?;
    let (award, written) = if completion.undone {
        let record = content::active_item::<Habits>(cx, caller).await?;
        let written = habits::with_days_of(&db, user_id, settings, record).await?;
        (None, written)
    } else {
        let undo = PendingUndo {
            user_id,
            habit_id: &id,
            day,
            generation: completion.generation,
        };
        let client = ProgressClient::for_user(cx, user_id)?;
        undo.finish(&db, &client, settings, cx.now()).await?
    };
    let loaded = Loaded::new(cx, written);
    let record = loaded.active()?.clone();
    let days = loaded.days(&record.id);
    Ok(Awarded {
        item: loaded.view_with(record, &days),
        award,
        already_completed: None,
    })
}

/// A day being undone: its mark is in D1, the reversal is the object's to decide.
struct PendingUndo<'a> {
    user_id: &'a str,
    habit_id: &'a str,
    day: NaiveDate,
    generation: u32,
}

impl PendingUndo<'_> {
    /// Asks the object to take the award back, then makes D1 follow: the day undone (with the
    /// reversal's outcome and the habit read back), or, refused (`409`: its coins were spent),
    /// the mark cleared and the day still completed.
    async fn finish(
        &self,
        db: &Db,
        client: &ProgressClient,
        settings: Settings,
        now: Millis,
    ) -> ApiResult<(Option<AwardOutcome>, HabitsWithDays)> {
        let (user_id, habit_id, day, generation) =
            (self.user_id, self.habit_id, self.day, self.generation);
        let award = match content::reverse(client, award_key(habit_id, day, generation)).await {
            Err(error) if error.status() == 409 => {
                db.batch(vec![habits::settled(
                    user_id, habit_id, day, generation, "undo",
                )?])
                .await?;
                return Err(error);
            }
            other => other?,
        };
        let written = habits::undone(db, user_id, habit_id, day, generation, settings, now).await?;
        Ok((award, written))
    }
}

#[derive(Serialize)]
struct History {
    habit_id: String,
    from: NaiveDate,
    to: NaiveDate,
    days: Vec<NaiveDate>,
}

/// `GET /api/habits/{id}/history?from=&to=`: the completed days in a range (default: the 30
/// days up to today), at most 1000 days long.
pub async fn history(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let (from, to) = (query_day(&cx, "from")?, query_day(&cx, "to")?);
    let loaded = load(&cx, &caller).await?;
    let record = loaded.active()?;
    let to = to.unwrap_or(loaded.today);
    let from = from.unwrap_or(to - Duration::days(29));
    if from > to {
        return Err(ApiError::invalid_field("from", "must not be after to"));
    }
    if (to - from).num_days() >= MAX_HISTORY_DAYS {
        return Err(ApiError::invalid_field(
            "from",
            format!("the range may span at most {MAX_HISTORY_DAYS} days"),
        ));
    }
    let days = loaded.days(&record.id).range(from..=to).copied().collect();
    ok(&History {
        habit_id: record.id.clone(),
        from,
        to,
        days,
    })
}

/// Finishes the completions a worker left between D1 and the user's object (it died, or the
/// object did not answer): a pending award is applied under its key (once, whoever sends it
/// first), a pending undo is reversed or, refused, leaves the day completed. Those written in the
/// last minute are left to the requests still at work on them. How many were finished.
pub async fn reconcile(env: &Env, db: &Db, now: Millis) -> ApiResult<usize> {
    let pending = habits::pending(db, Millis(now.0.saturating_sub(60_000)), 100).await?;
    let mut finished = 0;
    for completion in &pending {
        match reconcile_one(env, db, now, completion).await {
            Ok(()) => finished += 1,
            Err(error) => worker::console_warn!(
                "reconcile habit {} {}: {}",
                completion.habit_id,
                completion.day,
                error.message
            ),
        }
    }
    Ok(finished)
}

async fn reconcile_one(
    env: &Env,
    db: &Db,
    now: Millis,
    pending: &PendingCompletion,
) -> ApiResult<()> {
    let (user_id, habit_id, generation) = (&pending.user_id, &pending.habit_id, pending.generation);
    let day = pending
        .day
        .parse::<NaiveDate>()
        .map_err(|_| ApiError::internal(format!("stored day {}", pending.day)))?;
    let settings = Settings::from_stored(pending.settings.as_deref());
    let client = ProgressClient::in_env(env, user_id, Rc::default())?;
    if pending.award_pending == "undo" {
        let undo = PendingUndo {
            user_id,
            habit_id,
            day,
            generation,
        };
        return match undo.finish(db, &client, settings, now).await {
            Ok(_) => Ok(()),
            // Refused: the mark is cleared and the day stays completed, as the request would.
            Err(error) if error.status() == 409 => Ok(()),
            Err(error) => Err(error),
        };
    }
    let loaded = Loaded::at(
        now,
        habits::find_with_days(db, user_id, settings, habit_id).await?,
    );
    let record = loaded
        .habits
        .first()
        .cloned()
        .ok_or_else(|| ApiError::not_found("habit"))?;
    let days = loaded.days(habit_id);
    let view = loaded.view_with(record, &days);
    let request = completion_award(&view, day, generation);
    client.award(None, request).await?;
    db.batch(vec![habits::settled(
        user_id, habit_id, day, generation, "award",
    )?])
    .await?;
    Ok(())
}
