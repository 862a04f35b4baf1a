//! `POST /api/sync/poll`: the user's changes since a cursor, each with the item's current state,
//! and the user's progress. A null cursor starts with a full copy of every active item, entity by
//! entity, then continues with the log from where the copy began, so changes made while a client
//! pages are never skipped.

use crate::store::db::{Rows, Statement};
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;
use worker::{Headers, Method, Request, RequestInit, Response};

use super::{focus, habits};
use crate::auth::{self, Caller};
use crate::domain::economy::view::ProgressView;
use crate::domain::entity::{ChangeOp, Entity};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::secret::sha256_hex;
use crate::domain::sync::{Operation, PollRequest, PushRequest, SyncCursor};
use crate::http::envelope::error_body;
use crate::http::serve::serve_inner;
use crate::http::{RequestContext, ok};
use crate::progress::client::ProgressClient;
use crate::sql::ListPage;
use crate::store::audio::{self, Track};
use crate::store::books::Books;
use crate::store::content::{self as content_store, Kind};
use crate::store::db::Db;
use crate::store::focus::{self as focus_store, FocusRow};
use crate::store::goals::Goals;
use crate::store::habits as habits_store;
use crate::store::quests::Quests;
use crate::store::sync::Ids;
use crate::store::workouts::Workouts;
use crate::store::{idempotency, sync};

#[derive(Serialize)]
struct ChangeView {
    entity: Entity,
    id: String,
    op: ChangeOp,
    data: Option<Value>,
}

#[derive(Serialize)]
struct Poll {
    cursor: String,
    has_more: bool,
    server_time: String,
    changes: Vec<ChangeView>,
    progress: ProgressView,
}

/// Items as `(id, JSON)` pairs, in their order.
fn to_values<T: Serialize>(items: Vec<T>, id: impl Fn(&T) -> String) -> Vec<(String, Value)> {
    items
        .into_iter()
        .filter_map(|item| Some((id(&item), serde_json::to_value(&item).ok()?)))
        .collect()
}

/// The statements reading `entity`'s items among `ids` (none for the settings, which came with
/// the credential).
fn item_statements(user_id: &str, entity: Entity, ids: Ids) -> ApiResult<Vec<Statement>> {
    Ok(match entity {
        Entity::Goal => vec![sync::items::<Goals>(user_id, ids)?],
        Entity::Quest => vec![sync::items::<Quests>(user_id, ids)?],
        Entity::Workout => vec![sync::items::<Workouts>(user_id, ids)?],
        Entity::Book => vec![sync::items::<Books>(user_id, ids)?],
        Entity::Habit => habits_store::many_with_days(user_id, ids)?,
        Entity::FocusSession => vec![sync::by_ids(
            user_id,
            focus_store::TABLE,
            focus_store::COLUMNS,
            ids,
        )?],
        Entity::Audio => vec![sync::by_ids(user_id, audio::TABLE, audio::COLUMNS, ids)?],
        Entity::Settings => Vec::new(),
    })
}

fn active_values<K: Kind>(results: &[Rows]) -> ApiResult<Vec<(String, Value)>> {
    let items = match results.first() {
        Some(result) => result.results::<K::Item>()?,
        None => Vec::new(),
    };
    let active = items
        .into_iter()
        .filter(|item| K::is_active(item))
        .collect();
    Ok(to_values(active, |item| K::id(item).to_owned()))
}

/// The current state of `entity`'s items that exist and are active, from what
/// `item_statements` read.
async fn current(
    cx: &RequestContext,
    caller: &Caller,
    entity: Entity,
    results: &[Rows],
) -> ApiResult<Vec<(String, Value)>> {
    let rows = |index: usize| results.get(index);
    Ok(match entity {
        Entity::Goal => active_values::<Goals>(results)?,
        Entity::Quest => active_values::<Quests>(results)?,
        Entity::Workout => active_values::<Workouts>(results)?,
        Entity::Book => active_values::<Books>(results)?,
        Entity::Habit => {
            let loaded = habits_store::decode_with_days(results, caller.settings().await?)?;
            to_values(habits::views_of(cx, loaded), |h| h.id().to_owned())
        }
        Entity::FocusSession => {
            let now = cx.clock();
            let sessions = match rows(0) {
                Some(result) => result.results::<FocusRow>()?,
                None => Vec::new(),
            };
            to_values(
                sessions
                    .into_iter()
                    .map(|row| focus::view(row, now))
                    .collect(),
                |s| s.id().to_owned(),
            )
        }
        Entity::Audio => {
            let tracks = match rows(0) {
                Some(result) => result.results::<Track>()?,
                None => Vec::new(),
            };
            to_values(tracks, |t| t.id.clone())
        }
        Entity::Settings => {
            let value = serde_json::to_value(caller.settings().await?)
                .map_err(|e| ApiError::internal(format!("settings: {e}")))?;
            vec![(caller.user_id.clone(), value)]
        }
    })
}

/// One page of a full copy of `entity`: up to `limit` active items after `after`, in id order,
/// read once in the shape the API shows them.
async fn copy_page(
    cx: &RequestContext,
    caller: &Caller,
    entity: Entity,
    after: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<(String, Value)>> {
    let db = cx.db()?;
    let user_id = caller.user_id.as_str();
    let now = cx.clock();
    Ok(match entity {
        Entity::Settings if after.is_none() => current(cx, caller, entity, &[]).await?,
        Entity::Settings => Vec::new(),
        Entity::Habit => to_values(habits::views_page(cx, caller, after, limit).await?, |h| {
            h.id().to_owned()
        }),
        Entity::Goal => active_page::<Goals>(&db, user_id, after, limit).await?,
        Entity::Quest => active_page::<Quests>(&db, user_id, after, limit).await?,
        Entity::Workout => active_page::<Workouts>(&db, user_id, after, limit).await?,
        Entity::Book => active_page::<Books>(&db, user_id, after, limit).await?,
        Entity::FocusSession => {
            let rows = sync::page::<FocusRow>(
                &db,
                user_id,
                focus_store::TABLE,
                focus_store::COLUMNS,
                after,
                limit,
            )
            .await?;
            to_values(
                rows.into_iter().map(|row| focus::view(row, now)).collect(),
                |s| s.id().to_owned(),
            )
        }
        Entity::Audio => to_values(
            sync::page::<Track>(&db, user_id, audio::TABLE, audio::COLUMNS, after, limit).await?,
            |t| t.id.clone(),
        ),
    })
}

async fn active_page<K: Kind>(
    db: &Db,
    user_id: &str,
    after: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<(String, Value)>> {
    let page = ListPage::active(K::TABLE, user_id, after, limit);
    let items = content_store::list::<K>(db, &page).await?;
    Ok(to_values(items, |item| K::id(item).to_owned()))
}

/// `POST /api/sync/poll`: the page, and alongside it the user's progress from their object.
pub async fn poll(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let body: PollRequest = cx.json().await?;
    let progress = ProgressClient::for_user(&cx, &caller.user_id)?;
    let (page, progress) = futures_util::future::join(
        poll_page(&cx, &caller, &body),
        progress.progress_beside_check(),
    )
    .await;
    let (cursor, has_more, changes) = page?;
    ok(&Poll {
        cursor,
        has_more,
        server_time: cx.now().to_rfc3339(),
        changes,
        progress: progress?,
    })
}

/// The page of a poll: its changes, the cursor after them, and whether more follow.
async fn poll_page(
    cx: &RequestContext,
    caller: &Caller,
    body: &PollRequest,
) -> ApiResult<(String, bool, Vec<ChangeView>)> {
    let limit = body.limit();
    let db = cx.db()?;
    // A log cursor's page is read with the log's state, before the cursor's MAC can be checked
    // (its key is in the same batch): rows the user owns, dropped unless the cursor holds.
    let claimed = body
        .cursor
        .as_deref()
        .map(SyncCursor::decode_unverified)
        .transpose()?;
    let ahead = match claimed {
        Some(SyncCursor::Log { seq }) => Some((seq, limit + 1)),
        _ => None,
    };
    let (read_ahead, counts) = match ahead {
        Some((after, limit)) => {
            let (counts, statements) =
                flatten(page_item_statements(&caller.user_id, after, limit)?);
            let read = sync::ReadAhead {
                after,
                limit,
                statements,
            };
            (Some(read), counts)
        }
        None => (None, Vec::new()),
    };
    let (sync::LogState { key, head, floor }, read_ahead) =
        sync::log_state(&db, &caller.user_id, read_ahead).await?;
    let mut read_ahead = read_ahead.map(|(rows, results)| (rows, split(&counts, results)));
    let position = match &body.cursor {
        None => SyncCursor::Copy {
            upto: head,
            entity: 0,
            after: None,
        },
        Some(text) => SyncCursor::decode(text, key.as_bytes())?,
    };
    let (SyncCursor::Copy { upto: seq, .. } | SyncCursor::Log { seq }) = position;
    if seq < floor {
        return Err(ApiError::new(
            ErrorKind::SyncReset,
            "this cursor is older than the change log keeps: poll again from a null cursor for a fresh copy",
        ));
    }
    let (mut changes, mut next) = (Vec::new(), position);
    if let SyncCursor::Copy {
        upto,
        entity,
        after,
    } = next
    {
        let (copied, after_copy) = copy(cx, caller, (upto, entity, after), limit).await?;
        changes = copied;
        next = after_copy;
    }
    // A copy that is done leaves the rest of the page to the log (from where the copy began), so
    // a small account arrives whole in one poll.
    let mut has_more = matches!(next, SyncCursor::Copy { .. });
    if let SyncCursor::Log { seq } = next {
        let room = limit.saturating_sub(u32::try_from(changes.len()).unwrap_or(u32::MAX));
        if room > 0 {
            let (mut rows, items) = match read_ahead.take() {
                Some(read) if ahead == Some((seq, room + 1)) => read,
                _ => {
                    let mut rows = sync::log(&db, &caller.user_id, seq, room + 1).await?;
                    let beyond = rows.split_off(rows.len().min(room as usize));
                    let items = read_items(&db, &caller.user_id, &rows).await?;
                    rows.extend(beyond);
                    (rows, items)
                }
            };
            has_more = rows.len() > room as usize;
            rows.truncate(room as usize);
            next = SyncCursor::Log {
                seq: rows.last().map_or(seq, |row| row.seq),
            };
            changes.extend(log_changes(cx, caller, rows, items).await?);
        } else {
            has_more = true;
        }
    }
    Ok((next.encode(key.as_bytes()), has_more, changes))
}

/// Copies active items from `(upto, entity, after)` on, entity after entity, until `limit` items
/// fill the page: the items, and where the next page starts (the log from `upto` once every
/// entity is copied).
async fn copy(
    cx: &RequestContext,
    caller: &Caller,
    (upto, mut entity, mut after): (u64, usize, Option<String>),
    limit: u32,
) -> ApiResult<(Vec<ChangeView>, SyncCursor)> {
    let mut changes = Vec::new();
    loop {
        let room = limit as usize - changes.len();
        let name = Entity::ALL[entity];
        let mut page = copy_page(cx, caller, name, after.as_deref(), room as u32 + 1).await?;
        let more_here = page.len() > room;
        page.truncate(room);
        let last = page.last().map(|(id, _)| id.clone());
        changes.extend(page.into_iter().map(|(id, data)| ChangeView {
            entity: name,
            id,
            op: ChangeOp::Upsert,
            data: Some(data),
        }));
        if more_here {
            return Ok((
                changes,
                SyncCursor::Copy {
                    upto,
                    entity,
                    after: last,
                },
            ));
        }
        if entity + 1 == Entity::ALL.len() {
            return Ok((changes, SyncCursor::Log { seq: upto }));
        }
        (entity, after) = (entity + 1, None);
        if changes.len() == limit as usize {
            return Ok((
                changes,
                SyncCursor::Copy {
                    upto,
                    entity,
                    after: None,
                },
            ));
        }
    }
}

/// What a poll read of the items a page of the log names, entity by entity.
type PageItems = BTreeMap<Entity, Vec<Rows>>;

/// The statements reading every entity's items upserted in the log page after `after`, entity
/// by entity.
fn page_item_statements(
    user_id: &str,
    after: u64,
    limit: u32,
) -> ApiResult<Vec<(Entity, Vec<Statement>)>> {
    Entity::ALL
        .into_iter()
        .map(|entity| {
            let ids = Ids::Logged {
                after,
                limit,
                entity,
            };
            Ok((entity, item_statements(user_id, entity, ids)?))
        })
        .collect()
}

/// Reads the items `rows` name, every entity in one batch.
async fn read_items(db: &Db, user_id: &str, rows: &[sync::Change]) -> ApiResult<PageItems> {
    let mut by_entity: BTreeMap<Entity, Vec<String>> = BTreeMap::new();
    for row in rows.iter().filter(|row| row.op == ChangeOp::Upsert) {
        by_entity
            .entry(row.entity)
            .or_default()
            .push(row.entity_id.clone());
    }
    let mut statements = Vec::new();
    for (entity, ids) in &mut by_entity {
        ids.sort();
        ids.dedup();
        let mine = item_statements(user_id, *entity, Ids::Listed(ids))?;
        statements.push((*entity, mine));
    }
    let (counts, statements) = flatten(statements);
    let results = if statements.is_empty() {
        Vec::new()
    } else {
        db.batch(statements).await?
    };
    Ok(split(&counts, results))
}

/// Every entity's statements in one list, and how many are each entity's.
fn flatten(statements: Vec<(Entity, Vec<Statement>)>) -> (Vec<(Entity, usize)>, Vec<Statement>) {
    let counts = statements
        .iter()
        .map(|(entity, mine)| (*entity, mine.len()))
        .collect();
    (
        counts,
        statements.into_iter().flat_map(|(_, s)| s).collect(),
    )
}

/// Hands each entity the results of its statements.
fn split(counts: &[(Entity, usize)], results: Vec<Rows>) -> PageItems {
    let mut results = results.into_iter();
    counts
        .iter()
        .map(|(entity, count)| (*entity, results.by_ref().take(*count).collect()))
        .collect()
}

/// The log's changes as the client applies them: one per item (its last), in log order, with the
/// item's current state from `items`. An upsert of an item that is gone or deleted by now is
/// sent as the delete it has become.
async fn log_changes(
    cx: &RequestContext,
    caller: &Caller,
    rows: Vec<sync::Change>,
    items: PageItems,
) -> ApiResult<Vec<ChangeView>> {
    let mut last: BTreeMap<(Entity, String), usize> = BTreeMap::new();
    for (index, row) in rows.iter().enumerate() {
        last.insert((row.entity, row.entity_id.clone()), index);
    }
    let named: BTreeSet<Entity> = rows.iter().map(|row| row.entity).collect();
    let mut states: BTreeMap<(Entity, String), Value> = BTreeMap::new();
    for entity in Entity::ALL
        .into_iter()
        .filter(|entity| named.contains(entity))
    {
        let results = items.get(&entity).map_or(&[][..], Vec::as_slice);
        for (id, value) in current(cx, caller, entity, results).await? {
            states.insert((entity, id), value);
        }
    }
    Ok(rows
        .into_iter()
        .enumerate()
        .filter(|(index, row)| last.get(&(row.entity, row.entity_id.clone())) == Some(index))
        .map(|(_, row)| {
            let data = states.remove(&(row.entity, row.entity_id.clone()));
            ChangeView {
                entity: row.entity,
                op: if data.is_some() {
                    ChangeOp::Upsert
                } else {
                    ChangeOp::Delete
                },
                id: row.entity_id,
                data,
            }
        })
        .collect())
}

#[derive(Serialize)]
struct OperationResult {
    idempotency_key: String,
    status: u16,
    body: Value,
}

#[derive(Serialize)]
struct Pushed {
    results: Vec<OperationResult>,
}

/// The outer request's credentials, carried into each operation.
const CARRIED_HEADERS: [&str; 5] = [
    "cookie",
    "authorization",
    "x-csrf-token",
    "origin",
    "cf-connecting-ip",
];

/// `POST /api/sync/push`: offline operations applied in order through the same routes and rules
/// as their own requests, each once per key: a replayed key answers its first result and
/// changes nothing. A failing operation is reported and the batch goes on.
pub async fn push(mut cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let body: PushRequest = cx.json().await?;
    let url = cx.request.url()?;
    let origin = url.origin().ascii_serialization();
    let routes = super::shared();
    let mut results = Vec::with_capacity(body.operations.0.len());
    for (index, operation) in body.operations.0.into_iter().enumerate() {
        let key = operation.idempotency_key.0.clone();
        let (status, body) = apply_once(&cx, &caller, &routes, &origin, index, operation).await?;
        results.push(OperationResult {
            idempotency_key: key,
            status,
            body,
        });
    }
    ok(&Pushed { results })
}

/// One operation, or the first result of its key. Only a success is recorded under the key
/// (namespaced apart from the header's keys): a refusal (a rate limit, a conflict, a server
/// failure) is what a retry must be free to try again, and no operation that answers a secret
/// reaches here (`OperationPath`).
async fn apply_once(
    cx: &RequestContext,
    caller: &Caller,
    routes: &crate::http::Routes,
    origin: &str,
    index: usize,
    operation: Operation,
) -> ApiResult<(u16, Value)> {
    let db = cx.db()?;
    let now = cx.now();
    let key = format!("push:{}", operation.idempotency_key.0);
    let body_text = operation
        .body
        .as_ref()
        .map(|body| Value::Object(body.clone()).to_string());
    let fingerprint = sha256_hex(&format!(
        "{} {}\n{}",
        operation.method.as_str(),
        operation.path.0,
        body_text.as_deref().unwrap_or("")
    ));
    if let Some(stored) = idempotency::find(&db, &caller.user_id, &key, now).await? {
        if stored.fingerprint != fingerprint {
            let conflict = ApiError::idempotency_conflict();
            return Ok((
                conflict.kind.status(),
                error_value(&conflict, &cx.request_id),
            ));
        }
        return Ok((
            stored.status,
            serde_json::from_str(&stored.body).unwrap_or(Value::Null),
        ));
    }
    let headers = Headers::new();
    for name in CARRIED_HEADERS {
        if let Some(value) = cx.header(name) {
            headers.set(name, &value)?;
        }
    }
    headers.set("idempotency-key", &operation.idempotency_key.0)?;
    let mut init = RequestInit::new();
    init.with_method(Method::from(operation.method.as_str().to_owned()))
        .with_headers(headers.clone());
    if let Some(text) = body_text {
        headers.set("content-type", "application/json")?;
        init.with_headers(headers).with_body(Some(text.into()));
    }
    let request = Request::new_with_init(&format!("{origin}{}", operation.path.0), &init)?;
    let request_id = format!("{}.{index}", cx.request_id);
    let mut response = serve_inner(request, cx.env.clone(), routes, &request_id, &cx.facts).await;
    let status = response.status_code();
    let text = response.text().await.unwrap_or_default();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    if (200..300).contains(&status) {
        let record = idempotency::record(
            &caller.user_id,
            &key,
            &fingerprint,
            status,
            &value.to_string(),
            now,
        )?;
        let _ = db.batch(record).await;
    }
    Ok((status, value))
}

fn error_value(error: &ApiError, request_id: &str) -> Value {
    serde_json::from_slice(&error_body(error, request_id)).unwrap_or(Value::Null)
}

/// `GET /api/sync/ws`: a WebSocket held by the user's object, told `{"type":"changed","cursor"}`
/// after every write of theirs. Auth as everywhere (cookie with its Origin checked, or bearer);
/// the socket closes when its session or token ends.
pub async fn socket(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let upgrade = cx.header("upgrade").unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(ApiError::bad_request(
            "this route only upgrades to a WebSocket (Upgrade: websocket)",
        ));
    }
    ProgressClient::for_user(&cx, &caller.user_id)?
        .open_socket(
            cx.request.headers(),
            caller.credential.id(),
            &caller
                .credential
                .socket_lease(&crate::config::session_policy(&cx.env)?),
        )
        .await
}
