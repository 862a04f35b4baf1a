//! `/api/me`: the user's rights over their data. The export streams page by page, so an account
//! of any size is written out in bounded memory; the erasure removes the user everywhere and can
//! be run again to finish what an interrupted one began.

use futures_util::stream;
use serde::Serialize;
use serde_json::json;
use worker::{Bucket, Headers, Response};

use crate::auth::{self, Caller};
use crate::config;
use crate::domain::account::{EraseAccount, ExportFormat, csv_record};
use crate::domain::economy::view::ProgressView;
use crate::domain::entity::Entity;
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::settings::Settings;
use crate::domain::time::Millis;
use crate::http::{RequestContext, ok};
use crate::progress::client::ProgressClient;
use crate::store::audit::AuditEvent;
use crate::store::books::Books;
use crate::store::content::{self, Kind};
use crate::store::db::Db;
use crate::store::goals::Goals;
use crate::store::habits::{self, Habits};
use crate::store::quests::Quests;
use crate::store::workouts::Workouts;
use crate::store::{api_tokens, audio, erasure, focus};

/// Rows per page read while streaming an export or gathering what to erase.
const PAGE: u32 = 200;

/// The lists of an export: each entity's items (the settings are in the head), a habit's
/// completions after the habits, then the ledger and the shop of the user's object.
#[derive(Clone, Copy)]
enum Section {
    Items(Entity),
    HabitCompletions,
    Ledger,
    Rewards,
}

/// The sections in the order they are written.
fn sections() -> impl Iterator<Item = Section> {
    Entity::ALL
        .into_iter()
        .filter(|entity| *entity != Entity::Settings)
        .flat_map(|entity| {
            let completions = (entity == Entity::Habit).then_some(Section::HabitCompletions);
            std::iter::once(Section::Items(entity)).chain(completions)
        })
        .chain([Section::Ledger, Section::Rewards])
}

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::Items(entity) => entity.plural(),
            Section::HabitCompletions => "habit_completions",
            Section::Ledger => "ledger",
            Section::Rewards => "rewards",
        }
    }
}

/// A page of a section: its items as JSON, and where the next page starts (`None`: last page).
struct Encoded {
    items: Vec<String>,
    next: Option<String>,
}

/// Where the page after a full one starts; `None` after a short page (the last).
fn next_after<T>(items: &[T], position: impl Fn(&T) -> Option<String>) -> Option<String> {
    if items.len() == PAGE as usize {
        items.last().and_then(position)
    } else {
        None
    }
}

fn encode<T: Serialize>(items: &[T], next: Option<String>) -> ApiResult<Encoded> {
    let items = items
        .iter()
        .map(|item| {
            serde_json::to_string(item).map_err(|e| ApiError::internal(format!("export: {e}")))
        })
        .collect::<ApiResult<Vec<String>>>()?;
    Ok(Encoded { items, next })
}

#[derive(Serialize)]
struct ExportedTrack<'a> {
    #[serde(flatten)]
    track: &'a audio::Track,
    download_path: String,
}

/// The export's state between pages: which section, where in it, and whether it has written an
/// item yet (for the commas).
struct Export {
    db: Db,
    progress: ProgressClient,
    user_id: String,
    now: Millis,
    section: usize,
    after: Option<String>,
    opened: bool,
    wrote_item: bool,
    done: bool,
}

impl Export {
    async fn page(&self, section: Section) -> ApiResult<Encoded> {
        let (db, user, after) = (&self.db, self.user_id.as_str(), self.after.as_deref());
        match section {
            // Never listed by `sections`: the settings are in the head.
            Section::Items(Entity::Settings) => encode::<Settings>(&[], None),
            Section::Items(Entity::Goal) => self.content::<Goals>(after).await,
            Section::Items(Entity::Habit) => self.content::<Habits>(after).await,
            Section::Items(Entity::Quest) => self.content::<Quests>(after).await,
            Section::Items(Entity::Workout) => self.content::<Workouts>(after).await,
            Section::Items(Entity::Book) => self.content::<Books>(after).await,
            Section::HabitCompletions => {
                let rows = habits::completions(db, user, after, PAGE).await?;
                encode(&rows, next_after(&rows, |row| Some(row.position())))
            }
            Section::Items(Entity::FocusSession) => {
                let views: Vec<_> = focus::history(db, user, after, PAGE)
                    .await?
                    .into_iter()
                    .map(|row| super::focus::view(row, self.now))
                    .collect();
                encode(
                    &views,
                    next_after(&views, |view| Some(view.id().to_owned())),
                )
            }
            Section::Items(Entity::Audio) => {
                let tracks = audio::uploaded_by(db, user, after, PAGE).await?;
                let exported: Vec<ExportedTrack> = tracks
                    .iter()
                    .map(|track| ExportedTrack {
                        track,
                        download_path: format!("/api/audio/{}", track.id),
                    })
                    .collect();
                encode(
                    &exported,
                    next_after(&exported, |exported| Some(exported.track.id.clone())),
                )
            }
            Section::Ledger => {
                let before = after.and_then(|seq| seq.parse::<u64>().ok());
                let mut entries = self.progress.ledger(None, PAGE, before).await?;
                let next = next_after(&entries, |entry| entry.seq.map(|seq| seq.to_string()));
                for entry in &mut entries {
                    entry.seq = None;
                }
                encode(&entries, next)
            }
            Section::Rewards => {
                let rewards = self.progress.rewards(PAGE, self.after.clone()).await?;
                encode(
                    &rewards,
                    next_after(&rewards, |reward| Some(reward.id.clone())),
                )
            }
        }
    }

    async fn content<K: Kind>(&self, after: Option<&str>) -> ApiResult<Encoded> {
        let items = content::all::<K>(&self.db, &self.user_id, after, PAGE).await?;
        encode(
            &items,
            next_after(&items, |item| Some(K::id(item).to_owned())),
        )
    }

    /// The next piece of the document after its head, `None` once it is closed.
    async fn next_chunk(&mut self) -> ApiResult<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        let Some(section) = sections().nth(self.section) else {
            self.done = true;
            return Ok(Some(b"}}".to_vec()));
        };
        let mut chunk = String::new();
        if !self.opened {
            chunk.push_str(&format!(",\"{}\":[", section.name()));
            self.opened = true;
            self.wrote_item = false;
        }
        let page = self.page(section).await?;
        for item in page.items {
            if self.wrote_item {
                chunk.push(',');
            }
            chunk.push_str(&item);
            self.wrote_item = true;
        }
        match page.next {
            Some(next) => self.after = Some(next),
            None => {
                chunk.push(']');
                self.section += 1;
                self.after = None;
                self.opened = false;
            }
        }
        Ok(Some(chunk.into_bytes()))
    }
}

/// The small parts of the export, written before the lists.
#[derive(Serialize)]
struct ExportHead {
    format: &'static str,
    exported_at: String,
    user: crate::domain::user::User,
    settings: Settings,
    progress: ProgressView,
    achievements: Vec<crate::domain::economy::view::AchievementView>,
    sessions: Vec<super::me::SessionItem>,
    api_tokens: Vec<api_tokens::ApiTokenSummary>,
}

/// `GET /api/me/export`: all the user's data as one JSON document, or `?format=csv` for the
/// habit history. Written as it is read; a failure past the first page ends the body early (the
/// document then does not parse) and is logged with the request id.
pub async fn export(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let format = ExportFormat::parse(cx.query("format").as_deref())?;
    let db = cx.db()?;
    let day = &cx.now().to_rfc3339()[..10];
    let (body, content_type, extension) = match format {
        ExportFormat::Json => (
            json_export(&cx, &caller, db).await?,
            "application/json",
            "json",
        ),
        ExportFormat::Csv => (
            csv_export(&caller, db).await?,
            "text/csv; charset=utf-8",
            "csv",
        ),
    };
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    headers.set(
        "content-disposition",
        &format!("attachment; filename=\"passion-export-{day}.{extension}\""),
    )?;
    headers.set("cache-control", "no-store")?;
    Ok(body.with_headers(headers))
}

async fn json_export(cx: &RequestContext, caller: &Caller, db: Db) -> ApiResult<Response> {
    let user_id = caller.user_id.clone();
    let progress = ProgressClient::for_user(cx, &user_id)?;
    let head = ExportHead {
        format: "passion-edge-export/1",
        exported_at: cx.now().to_rfc3339(),
        user: caller.user().await?,
        settings: caller.stored_settings().await?,
        progress: progress.progress().await?,
        achievements: progress.achievements().await?,
        sessions: super::me::session_items(cx, caller).await?,
        api_tokens: api_tokens::list(&db, &user_id, cx.now()).await?,
    };
    let head =
        serde_json::to_string(&head).map_err(|e| ApiError::internal(format!("export: {e}")))?;
    // `{"data":{...head fields` — the head object stays open for the lists.
    let opening = format!("{{\"data\":{}", &head[..head.len() - 1]).into_bytes();
    let export = Export {
        db,
        progress,
        user_id,
        now: cx.now(),
        section: 0,
        after: None,
        opened: false,
        wrote_item: false,
        done: false,
    };
    let pages = stream::unfold(export, |mut export| async move {
        match export.next_chunk().await {
            Ok(chunk) => chunk.map(|chunk| (Ok(chunk), export)),
            Err(error) => {
                worker::console_error!("export of {} stopped: {}", export.user_id, error.message);
                export.done = true;
                Some((Err(worker::Error::RustError(error.message)), export))
            }
        }
    });
    let body = stream::iter([Ok::<Vec<u8>, worker::Error>(opening)]);
    Ok(Response::from_stream(futures_util::StreamExt::chain(
        body, pages,
    ))?)
}

const CSV_HEADER: [&str; 6] = [
    "day",
    "habit_id",
    "habit",
    "category",
    "completed_at",
    "undone_at",
];

/// The habit history as CSV, one record per completion, by habit and day.
async fn csv_export(caller: &Caller, db: Db) -> ApiResult<Response> {
    struct History {
        db: Db,
        user_id: String,
        after: Option<String>,
        done: bool,
    }
    let history = History {
        db,
        user_id: caller.user_id.clone(),
        after: None,
        done: false,
    };
    let header = stream::iter([Ok::<Vec<u8>, worker::Error>(
        csv_record(&CSV_HEADER).into_bytes(),
    )]);
    let pages = stream::unfold(history, |mut history| async move {
        if history.done {
            return None;
        }
        let page = habits::completions(
            &history.db,
            &history.user_id,
            history.after.as_deref(),
            PAGE,
        )
        .await;
        let rows = match page {
            Ok(rows) => rows,
            Err(error) => {
                history.done = true;
                return Some((Err(worker::Error::RustError(error.message)), history));
            }
        };
        history.done = rows.len() < PAGE as usize;
        history.after = rows.last().map(habits::CompletionRecord::position);
        let text: String = rows
            .iter()
            .map(|row| {
                csv_record(&[
                    &row.day,
                    &row.habit_id,
                    &row.habit_title,
                    row.habit_category.as_str(),
                    &row.completed_at,
                    row.undone_at.as_deref().unwrap_or_default(),
                ])
            })
            .collect();
        Some((Ok(text.into_bytes()), history))
    });
    Ok(Response::from_stream(futures_util::StreamExt::chain(
        header, pages,
    ))?)
}

/// What an erasure removed.
#[derive(Serialize)]
struct ErasedView {
    erased: bool,
    rows: u64,
    objects: u64,
}

/// Where an erasure stops on purpose where `DEV_AUTH` is on (`X-Dev-Fail-After`), so tests can
/// show that a retry finishes an interrupted one.
fn interrupted_after(cx: &RequestContext, step: &str) -> ApiResult<()> {
    if config::dev_auth_enabled(&cx.env) && cx.header("x-dev-fail-after").as_deref() == Some(step) {
        return Err(ApiError::new(
            ErrorKind::Unavailable,
            format!("erasure interrupted after {step} (X-Dev-Fail-After); send it again"),
        ));
    }
    Ok(())
}

/// Deletes every R2 object of the user: what their tracks name, and anything under their prefix.
async fn erase_objects(bucket: &Bucket, db: &Db, user_id: &str) -> ApiResult<u64> {
    let mut keys: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let tracks = audio::uploaded_by(db, user_id, after.as_deref(), PAGE).await?;
        after = tracks.last().map(|track| track.id.clone());
        let full = tracks.len() == PAGE as usize;
        keys.extend(tracks.into_iter().map(|track| track.object_key));
        if !full {
            break;
        }
    }
    let prefix = format!("users/{user_id}/");
    let mut cursor: Option<String> = None;
    loop {
        let mut listing = bucket.list().prefix(prefix.clone());
        if let Some(cursor) = cursor.take() {
            listing = listing.cursor(cursor);
        }
        let objects = listing.execute().await?;
        keys.extend(objects.objects().iter().map(|object| object.key()));
        match objects.cursor().filter(|_| objects.truncated()) {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    keys.sort();
    keys.dedup();
    for batch in keys.chunks(1000) {
        bucket.delete_multiple(batch.to_vec()).await?;
    }
    Ok(keys.len() as u64)
}

/// `DELETE /api/me {"confirm": email}`: erases the user's audio objects, then their progress
/// object's storage, then every D1 row in one batch (their sessions and tokens with it). Each step
/// can run again, and the session lasts until the last one, so a retry finishes the job; a later
/// sign-in starts a new, empty account.
pub async fn erase(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    caller.require_recent_sign_in(cx.now(), crate::config::recent_sign_in_ms(&cx.env)?)?;
    let body: EraseAccount = cx.json().await?;
    body.check(&caller.user().await?.email)?;
    let user_id = caller.user_id.clone();
    let db = cx.db()?;

    let objects = erase_objects(&cx.env.bucket("AUDIO")?, &db, &user_id).await?;
    interrupted_after(&cx, "objects")?;
    ProgressClient::for_user(&cx, &user_id)?.erase().await?;
    interrupted_after(&cx, "progress")?;
    let record = AuditEvent {
        actor_id: None,
        action: "account.erase",
        target_id: None,
        detail: json!({"objects": objects}),
    };
    let erased = erasure::erase(
        &db,
        &cx.sessions_kv()?,
        &user_id,
        (&cx.new_id()?, &cx.request_id, &record),
        cx.now(),
    )
    .await?;
    // The user's log line keeps no id of theirs either.
    cx.facts.borrow_mut().user_id = None;
    auth::with_cookie(
        ok(&ErasedView {
            erased: true,
            rows: erased.rows,
            objects,
        })?,
        &crate::domain::cookie::clear(crate::domain::cookie::SESSION_COOKIE),
    )
}
