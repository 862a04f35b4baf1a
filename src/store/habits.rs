//! Habits and their completions in D1. A habit's view needs its completions and the user's
//! settings (zone, day start, vacation): every read fetches habits and completions in one batch,
//! and the settings are the caller's, which came with the credential.

use super::db::{Db, Metered, value};
use super::db::{Rows, Statement};
use crate::statement;
use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::content::{self, Kind, flag, log_change, stored_metadata};
use super::sync::Ids;
use crate::domain::content::Metadata;
use crate::domain::content::filter::{self, Filter};
use crate::domain::content::habit::{FrequencyName, HabitPatch, NewHabit};
use crate::domain::economy::Skill;
use crate::domain::entity::{ChangeOp, Entity};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::habit::Frequency;
use crate::domain::settings::Settings;
use crate::domain::time::Millis;
use crate::sql::ListPage;

pub struct Habits;

impl Kind for Habits {
    const TABLE: &'static str = "habits";
    const ENTITY: Entity = Entity::Habit;
    const COLUMNS: &'static str = "id, title, description, category, frequency, target_per_week, metadata, is_active, deleted_at, created_at, updated_at";
    const FILTERS: &'static [Filter] = filter::HABIT_FILTERS;
    type Item = HabitRecord;

    fn id(habit: &HabitRecord) -> &str {
        &habit.id
    }

    fn is_active(habit: &HabitRecord) -> bool {
        habit.is_active
    }
}

/// A habit as stored; the API shows it with its statistics.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HabitRecord {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: Skill,
    pub frequency: FrequencyName,
    pub target_per_week: Option<u8>,
    #[serde(deserialize_with = "stored_metadata")]
    pub metadata: Metadata,
    #[serde(deserialize_with = "flag")]
    pub is_active: bool,
    pub deleted_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl HabitRecord {
    pub fn schedule(&self) -> Frequency {
        self.frequency.with_target(self.target_per_week)
    }
}

/// Completed (not undone) days per habit.
pub type CompletedDays = BTreeMap<String, BTreeSet<NaiveDate>>;

/// Habits with what their views need.
pub struct HabitsWithDays {
    pub habits: Vec<HabitRecord>,
    pub settings: Settings,
    pub days: CompletedDays,
}

#[derive(Deserialize)]
struct DayRow {
    habit_id: String,
    day: String,
}

fn read_days(result: Option<&Rows>) -> ApiResult<CompletedDays> {
    let mut days = CompletedDays::new();
    for row in result
        .map(Rows::results::<DayRow>)
        .transpose()?
        .unwrap_or_default()
    {
        if let Ok(day) = row.day.parse::<NaiveDate>() {
            days.entry(row.habit_id).or_default().insert(day);
        }
    }
    Ok(days)
}

/// `habits` (a statement reading habit rows) and the statement reading their completed days.
fn with_days_statements(
    habits: Statement,
    habit_ids_sql: &str,
    bind: Vec<wasm_bindgen::JsValue>,
) -> ApiResult<Vec<Statement>> {
    let completions = Statement::new(
        format!(
            "with wanted(wanted_id) as ({habit_ids_sql})
             select habit_id, day from wanted cross join habit_completions
              where habit_id = wanted_id and user_id = ?1 and undone_at is null
              order by habit_id, day"
        ),
        bind,
    );
    Ok(vec![habits, completions])
}

/// What `with_days_statements` read.
pub fn decode_with_days(results: &[Rows], settings: Settings) -> ApiResult<HabitsWithDays> {
    Ok(HabitsWithDays {
        habits: match results.first() {
            Some(result) => result.results::<HabitRecord>()?,
            None => Vec::new(),
        },
        settings,
        days: read_days(results.get(1))?,
    })
}

/// `habits` (a statement reading habit rows) with the habits' completed days, in one round trip.
async fn with_days(
    db: &Db,
    settings: Settings,
    habits: Statement,
    habit_ids_sql: &str,
    bind: Vec<wasm_bindgen::JsValue>,
) -> ApiResult<HabitsWithDays> {
    let statements = with_days_statements(habits, habit_ids_sql, bind)?;
    decode_with_days(&db.batch(statements).await?, settings)
}

/// The statements reading the user's habits among `ids` (active or not) with their days.
pub fn many_with_days(user_id: &str, ids: Ids) -> ApiResult<Vec<Statement>> {
    let habits = crate::store::sync::items::<Habits>(user_id, ids)?;
    with_days_statements(habits, ids.subquery(), ids.bindings(user_id))
}

/// One of the user's habits (active or not) with its completed days.
pub async fn find_with_days(
    db: &Db,
    user_id: &str,
    settings: Settings,
    id: &str,
) -> ApiResult<HabitsWithDays> {
    with_days(
        db,
        settings,
        content::select::<Habits>(user_id, id)?,
        "select ?2",
        vec![user_id.into(), id.into()],
    )
    .await
}

/// A page of the user's habits (as `content::select_page`) with their days.
pub async fn page_with_days(
    db: &Db,
    settings: Settings,
    page: &ListPage<'_>,
) -> ApiResult<HabitsWithDays> {
    let ids = page.select(db.dialect(), "id");
    with_days(
        db,
        settings,
        content::select_page::<Habits>(db, page)?,
        &ids.sql,
        ids.arguments.iter().map(value).collect::<ApiResult<_>>()?,
    )
    .await
}

/// What the view of `habit`, just written, needs.
pub async fn with_days_of(
    db: &Db,
    user_id: &str,
    settings: Settings,
    habit: HabitRecord,
) -> ApiResult<HabitsWithDays> {
    let mut loaded = find_with_days(db, user_id, settings, &habit.id).await?;
    loaded.habits = vec![habit];
    Ok(loaded)
}

/// The habit `create` will write.
pub fn new_habit(id: &str, habit: &NewHabit, frequency: Frequency, now: Millis) -> HabitRecord {
    let (frequency, target_per_week) = FrequencyName::of(frequency);
    HabitRecord {
        id: id.to_owned(),
        title: habit.title.as_str().to_owned(),
        description: habit
            .description
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        category: habit.category,
        frequency,
        target_per_week,
        metadata: habit.metadata.clone().unwrap_or_default(),
        is_active: true,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    }
}

pub async fn create(
    db: &Db,
    user_id: &str,
    habit: &HabitRecord,
    extra: Vec<Statement>,
) -> ApiResult<()> {
    let insert = statement!("insert into habits (id, user_id, title, description, category, frequency, target_per_week, metadata, created_at, updated_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        &habit.id,
        user_id,
        &habit.title,
        &habit.description,
        &habit.category,
        &habit.frequency,
        habit.target_per_week,
        habit.metadata.to_stored(),
        &habit.created_at
    )?;
    content::create::<Habits>(db, user_id, &habit.id, insert, habit.created_at, extra).await
}

/// Applies a patch (with the schedule already merged with the stored one) to an active habit.
pub async fn update(
    db: &Db,
    user_id: &str,
    id: &str,
    patch: &HabitPatch,
    frequency: Frequency,
    now: Millis,
) -> ApiResult<Option<HabitRecord>> {
    let (frequency, target_per_week) = FrequencyName::of(frequency);
    let statement = statement!(
        &format!(
            "update habits set
               title = coalesce(?3, title),
               description = coalesce(?4, description),
               category = coalesce(?5, category),
               frequency = ?6,
               target_per_week = ?7,
               metadata = coalesce(?8, metadata),
               updated_at = ?9
             where id = ?1 and user_id = ?2 and is_active = 1
             returning {}",
            Habits::COLUMNS
        ),
        id,
        user_id,
        patch.title.as_ref().map(|t| t.as_str()),
        patch.description.as_ref().map(|d| d.as_str()),
        patch.category.map(|c| c.as_str()),
        frequency,
        target_per_week,
        patch.metadata.as_ref().map(Metadata::to_stored),
        &now
    )?;
    content::write::<Habits>(db, user_id, id, ChangeOp::Upsert, statement, now).await
}

#[derive(Deserialize)]
struct CompletionRow {
    generation: u32,
    undone_at: Option<String>,
    award_pending: Option<String>,
}

/// A completion's state after a write: its generation (part of its award key), whether it is
/// undone, and whether its award still waits for the object (`award_pending` 'award').
pub struct Completion {
    pub generation: u32,
    pub undone: bool,
    pub award_pending: bool,
}

fn completion_of(result: Option<&Rows>) -> ApiResult<Option<Completion>> {
    let row = match result {
        Some(result) => result.results::<CompletionRow>()?.into_iter().next(),
        None => None,
    };
    Ok(row.map(|row| Completion {
        generation: row.generation,
        undone: row.undone_at.is_some(),
        award_pending: row.award_pending.as_deref() == Some("award"),
    }))
}

fn read_completion(user_id: &str, habit_id: &str, day: NaiveDate) -> ApiResult<Statement> {
    Ok(statement!(
        "select generation, undone_at, award_pending from habit_completions
          where habit_id = ?1 and day = ?2 and user_id = ?3",
        habit_id,
        day,
        user_id
    )?)
}

/// Runs `write` on a completion row, logs a change of the habit if it changed one, and reads the
/// row back with the habit and its completed days, in one batch: the route needs no read before
/// its write (the user's settings come with the credential).
async fn write_completion(
    db: &Db,
    user_id: &str,
    habit_id: &str,
    day: NaiveDate,
    write: Statement,
    settings: Settings,
    now: Millis,
) -> ApiResult<(Option<Completion>, HabitsWithDays)> {
    let results = db
        .batch(vec![
            write,
            log_change(user_id, Habits::ENTITY, habit_id, ChangeOp::Upsert, now)?,
            read_completion(user_id, habit_id, day)?,
            content::select::<Habits>(user_id, habit_id)?,
            statement!(
                "select habit_id, day from habit_completions
                  where user_id = ?1 and habit_id = ?2 and undone_at is null order by day",
                user_id,
                habit_id
            )?,
        ])
        .await?;
    let loaded = HabitsWithDays {
        habits: match results.get(3) {
            Some(result) => result.results::<HabitRecord>()?,
            None => Vec::new(),
        },
        settings,
        days: read_days(results.get(4))?,
    };
    Ok((completion_of(results.get(2))?, loaded))
}

/// Records the completion of an active habit on `day`, and reads the habit back with its days.
/// Completing a completed day changes nothing; completing an undone one starts its next
/// generation. Either way the award is pending until `settled`. `404` for a habit that is not the
/// user's or not active.
pub async fn complete(
    db: &Db,
    user_id: &str,
    habit_id: &str,
    day: NaiveDate,
    settings: Settings,
    now: Millis,
) -> ApiResult<(Completion, HabitsWithDays)> {
    let upsert = statement!(
        "insert into habit_completions (habit_id, day, user_id, created_at, award_pending)
         select ?1, ?2, ?3, ?4, 'award'
          where exists (select 1 from habits where id = ?1 and user_id = ?3 and is_active = 1)
         on conflict (habit_id, day) do update
           set generation = habit_completions.generation + 1, undone_at = null,
               created_at = excluded.created_at, award_pending = 'award'
           where habit_completions.undone_at is not null",
        habit_id,
        day,
        user_id,
        &now
    )?;
    let (completion, loaded) =
        write_completion(db, user_id, habit_id, day, upsert, settings, now).await?;
    let completion = completion
        .filter(|completion| !completion.undone)
        .ok_or_else(|| ApiError::not_found("habit"))?;
    Ok((completion, loaded))
}

/// Marks the completed `day` of an active habit as being undone (it stays completed until
/// `undone`, or until the reversal is refused and the mark `settled`): the day's completion, or
/// `None` if it was never completed. `404` for a habit that is not the user's or not active.
pub async fn begin_undo(
    db: &Db,
    user_id: &str,
    habit_id: &str,
    day: NaiveDate,
) -> ApiResult<Option<Completion>> {
    let mark = statement!(
        "update habit_completions set award_pending = 'undo'
          where habit_id = ?1 and day = ?2 and user_id = ?3 and undone_at is null
            and exists (select 1 from habits where id = ?1 and user_id = ?3 and is_active = 1)",
        habit_id,
        day,
        user_id
    )?;
    let results = db
        .batch(vec![
            mark,
            read_completion(user_id, habit_id, day)?,
            content::select::<Habits>(user_id, habit_id)?,
        ])
        .await?;
    let active = match results.get(2) {
        Some(result) => result.results::<HabitRecord>()?,
        None => Vec::new(),
    }
    .first()
    .is_some_and(|habit| habit.is_active);
    if !active {
        return Err(ApiError::not_found("habit"));
    }
    completion_of(results.get(1))
}

/// The object took the award of `generation` back: the day is undone. Reads the habit back with
/// its days.
pub async fn undone(
    db: &Db,
    user_id: &str,
    habit_id: &str,
    day: NaiveDate,
    generation: u32,
    settings: Settings,
    now: Millis,
) -> ApiResult<HabitsWithDays> {
    let update = statement!(
        "update habit_completions set undone_at = ?5, award_pending = null
          where habit_id = ?1 and day = ?2 and user_id = ?3 and generation = ?4
            and award_pending = 'undo'",
        habit_id,
        day,
        user_id,
        generation,
        &now
    )?;
    let (_, loaded) = write_completion(db, user_id, habit_id, day, update, settings, now).await?;
    Ok(loaded)
}

/// The statement that settles a completion's award (`pending` 'award' once the object applied
/// it, 'undo' once it refused the reversal): the row no longer waits for the object.
pub fn settled(
    user_id: &str,
    habit_id: &str,
    day: NaiveDate,
    generation: u32,
    pending: &str,
) -> ApiResult<Statement> {
    Ok(statement!(
        "update habit_completions set award_pending = null
          where habit_id = ?1 and day = ?2 and user_id = ?3 and generation = ?4
            and award_pending = ?5",
        habit_id,
        day,
        user_id,
        generation,
        pending
    )?)
}

/// A completion the user's object may not have settled, for the reconciliation.
#[derive(Debug, Deserialize)]
pub struct PendingCompletion {
    pub user_id: String,
    pub habit_id: String,
    pub day: String,
    pub generation: u32,
    pub award_pending: String,
    /// The user's stored settings (their calendar).
    pub settings: Option<String>,
}

/// Completions left pending since before `before` (a worker died between D1 and the object),
/// oldest first.
pub async fn pending(db: &Db, before: Millis, limit: u32) -> ApiResult<Vec<PendingCompletion>> {
    statement!(
        "select c.user_id, c.habit_id, c.day, c.generation, c.award_pending, u.settings
           from habit_completions c join users u on u.id = c.user_id
          where c.award_pending is not null and c.created_at < ?1
          order by c.created_at limit ?2",
        before,
        limit
    )?
    .all_in(db)
    .await?
    .results::<PendingCompletion>()
}

/// A day's completion of a habit, with the habit's title and category: the export's history.
#[derive(Debug, Serialize, Deserialize)]
pub struct CompletionRecord {
    pub habit_id: String,
    pub habit_title: String,
    pub habit_category: Skill,
    pub day: String,
    pub generation: u32,
    pub completed_at: String,
    pub undone_at: Option<String>,
}

impl CompletionRecord {
    /// Where the next page starts: after this habit and day.
    pub fn position(&self) -> String {
        format!("{} {}", self.habit_id, self.day)
    }
}

/// A page of the user's completions, undone ones too, by habit and day, after `after` (a
/// `position`).
pub async fn completions(
    db: &Db,
    user_id: &str,
    after: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<CompletionRecord>> {
    let (habit_id, day) = after
        .and_then(|position| position.split_once(' '))
        .unwrap_or_default();
    statement!(
        "select c.habit_id, h.title as habit_title, h.category as habit_category, c.day,
                c.generation, c.created_at as completed_at, c.undone_at
           from habit_completions c join habits h on h.id = c.habit_id
          where c.user_id = ?1 and (c.habit_id, c.day) > (?2, ?3)
          order by c.habit_id, c.day limit ?4",
        user_id,
        habit_id,
        day,
        limit
    )?
    .all_in(db)
    .await?
    .results::<CompletionRecord>()
}
