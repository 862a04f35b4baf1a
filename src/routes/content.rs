//! What every content kind's routes share: lists, reading one item, soft delete and restore, a
//! creation guarded by `Idempotency-Key`, and awarding through the user's progress object.

use crate::store::db::Statement;
use std::future::Future;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::Response;

use crate::auth::{self, Caller};
use crate::config;
use crate::domain::content::filter::{self, Condition};
use crate::domain::economy::{AwardOutcome, AwardRequest};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::id::{ChosenId, parse_path_id};
use crate::domain::page::{Page, PageRequest};
use crate::http::envelope::{data_body, json_response};
use crate::http::{RequestContext, ok};
use crate::progress::client::ProgressClient;
use crate::sql::ListPage;
use crate::store::content::{self, Kind};
use crate::store::idempotency::{self, StoredResponse};

/// An item with the award its action earned; `already_completed` on an awarding action that had
/// been done before (no new award).
#[derive(Serialize)]
pub struct Awarded<T> {
    #[serde(flatten)]
    pub item: T,
    pub award: Option<AwardOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub already_completed: Option<bool>,
}

/// The `{id}` of the path, checked to be a UUID before any query.
pub fn item_id(cx: &RequestContext) -> ApiResult<String> {
    Ok(parse_path_id(cx.param("id").unwrap_or_default())?.to_owned())
}

fn list_name<K: Kind>(active: bool) -> String {
    if active {
        K::TABLE.to_owned()
    } else {
        format!("{}-archived", K::TABLE)
    }
}

/// A request for a page of a kind's active (or archived) list: its size and cursor, the id to
/// continue after, and the conditions its filters set.
pub struct ListRequest {
    pub page: PageRequest,
    after: Option<String>,
    conditions: Vec<Condition>,
    active: bool,
}

impl ListRequest {
    pub fn of<K: Kind>(cx: &RequestContext, active: bool) -> ApiResult<ListRequest> {
        let page = cx.page_request(&list_name::<K>(active))?;
        let after = page.after_as::<String>()?;
        let query = cx.query_pairs();
        let conditions = filter::conditions(
            K::FILTERS,
            query
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
            cx.now(),
        )?;
        Ok(ListRequest {
            page,
            after,
            conditions,
            active,
        })
    }

    /// The page of `user_id`'s items it asks for (one more than the page, to learn whether
    /// another follows).
    pub fn page<'a, K: Kind>(&'a self, user_id: &'a str) -> ListPage<'a> {
        ListPage {
            table: K::TABLE,
            user_id,
            active: self.active,
            conditions: &self.conditions,
            after: self.after.as_deref(),
            limit: self.page.fetch_limit(),
        }
    }

    /// Shapes fetched items into the page.
    pub fn page_of<K: Kind, T: Serialize>(
        &self,
        items: Vec<T>,
        id: impl Fn(&T) -> String,
    ) -> Page<T> {
        self.page.page(&list_name::<K>(self.active), items, id)
    }
}

async fn list_of<K: Kind>(cx: RequestContext, active: bool) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let request = ListRequest::of::<K>(&cx, active)?;
    let items = content::list::<K>(&cx.db()?, &request.page::<K>(&caller.user_id)).await?;
    ok(&request.page_of::<K, _>(items, |item| K::id(item).to_owned()))
}

/// `GET /api/{kind}`: the active items.
pub async fn list<K: Kind>(cx: RequestContext) -> ApiResult<Response> {
    list_of::<K>(cx, true).await
}

/// `GET /api/{kind}/archived`: the deleted items.
pub async fn archived<K: Kind>(cx: RequestContext) -> ApiResult<Response> {
    list_of::<K>(cx, false).await
}

/// One of the caller's items that is not deleted; a deleted one is only in `archived` (and
/// `restore`), so reading it by id is `404`.
pub async fn active_item<K: Kind>(cx: &RequestContext, caller: &Caller) -> ApiResult<K::Item> {
    match content::find::<K>(&cx.db()?, &caller.user_id, &item_id(cx)?).await? {
        Some(item) if K::is_active(&item) => Ok(item),
        _ => Err(ApiError::not_found(K::ENTITY.code())),
    }
}

pub async fn get<K: Kind>(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    ok(&active_item::<K>(&cx, &caller).await?)
}

/// `DELETE /api/{kind}/{id}`: a soft delete; deleting a deleted item changes nothing and answers
/// the same.
pub async fn delete<K: Kind>(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let id = item_id(&cx)?;
    let db = cx.db()?;
    // The write decides; the item is read only to tell "already deleted" from "not yours".
    let deleted = content::set_active::<K>(&db, &caller.user_id, &id, false, cx.now())
        .await?
        .is_some()
        || content::find::<K>(&db, &caller.user_id, &id)
            .await?
            .is_some_and(|item| !K::is_active(&item));
    if deleted {
        Ok(Response::empty()?.with_status(204))
    } else {
        Err(ApiError::not_found(K::ENTITY.code()))
    }
}

/// Brings a deleted item back; restoring an active one changes nothing.
pub async fn restored<K: Kind>(cx: &RequestContext, caller: &Caller) -> ApiResult<K::Item> {
    let id = item_id(cx)?;
    let db = cx.db()?;
    if let Some(item) = content::set_active::<K>(&db, &caller.user_id, &id, true, cx.now()).await? {
        return Ok(item);
    }
    match content::find::<K>(&db, &caller.user_id, &id).await? {
        Some(item) if K::is_active(&item) => Ok(item),
        _ => Err(ApiError::not_found(K::ENTITY.code())),
    }
}

pub async fn restore<K: Kind>(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    ok(&restored::<K>(&cx, &caller).await?)
}

/// The stored first response of an Idempotency-Key, or a conflict if it guarded another request.
fn replayed(stored: StoredResponse, fingerprint: &str) -> ApiResult<StoredResponse> {
    if stored.fingerprint != fingerprint {
        return Err(ApiError::idempotency_conflict());
    }
    Ok(stored)
}

/// Creates `item` of `table` by `insert`, once per `Idempotency-Key` (or, without one, per id
/// the client `chosen`) and within the user's quota of the kind: the key's record and the
/// quota's guard go into the creation's batch, so two requests with one key cannot both create,
/// and concurrent creations cannot overrun the quota. An id already taken is a conflict.
/// `None` when this request created it, or the first response's body when it is a replay.
pub async fn create_once<T, F, Fut>(
    cx: &RequestContext,
    caller: &Caller,
    table: &'static str,
    (item, chosen): (&T, Option<&ChosenId>),
    insert: F,
) -> ApiResult<Option<String>>
where
    T: Serialize,
    F: FnOnce(Vec<Statement>) -> Fut,
    Fut: Future<Output = ApiResult<()>>,
{
    let idempotency = cx.creation_key(chosen)?;
    let (db, now, user_id) = (cx.db()?, cx.now(), caller.user_id.as_str());
    let quota = config::item_quota_per_kind(&cx.env)?;
    let guard = content::quota_guard(table, user_id, quota)?;
    let over_quota = || {
        ApiError::new(
            ErrorKind::QuotaExceeded,
            format!(
                "at most {quota} {table} per user, deleted ones included (ITEM_QUOTA_PER_KIND)"
            ),
        )
    };
    let Some((key, fingerprint)) = idempotency else {
        return match insert(vec![guard]).await {
            Ok(()) => Ok(None),
            Err(error) if content::is_over_quota(&error) => Err(over_quota()),
            Err(error) if content::is_taken_id(&error, table) => Err(ApiError::taken_id()),
            Err(error) => Err(error),
        };
    };
    if let Some(stored) = idempotency::find(&db, user_id, &key, now).await? {
        return Ok(Some(replayed(stored, &fingerprint)?.body));
    }
    let mut record = idempotency::record(user_id, &key, &fingerprint, 201, &data_body(item)?, now)?;
    record.push(guard);
    match insert(record).await {
        Ok(()) => Ok(None),
        // A concurrent request with the same key won the record: answer with its response.
        Err(error) => match idempotency::find(&db, user_id, &key, now).await? {
            Some(stored) => Ok(Some(replayed(stored, &fingerprint)?.body)),
            None if content::is_over_quota(&error) => Err(over_quota()),
            None if content::is_taken_id(&error, table) => Err(ApiError::taken_id()),
            None => Err(error),
        },
    }
}

/// `201` with the created item, or the first response of a replayed key.
pub async fn created<T, F, Fut>(
    cx: &RequestContext,
    caller: &Caller,
    table: &'static str,
    (item, chosen): (&T, Option<&ChosenId>),
    insert: F,
) -> ApiResult<Response>
where
    T: Serialize,
    F: FnOnce(Vec<Statement>) -> Fut,
    Fut: Future<Output = ApiResult<()>>,
{
    Ok(
        match create_once(cx, caller, table, (item, chosen), insert).await? {
            None => json_response(201, &data_body(item)?),
            Some(body) => json_response(201, &body),
        },
    )
}

/// A creation that may award (logging a workout, adding a finished book): `201` with the item and
/// the award `award_for` says it earns. A replayed key answers the stored item with the award
/// sent again under its same key, which returns the first outcome, or lands it if the first
/// request failed before it did.
pub async fn created_awarding<T, F, Fut>(
    cx: &RequestContext,
    caller: &Caller,
    table: &'static str,
    (item, chosen): (T, Option<&ChosenId>),
    insert: F,
    award_for: fn(&T) -> Option<AwardRequest>,
) -> ApiResult<Response>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(Vec<Statement>) -> Fut,
    Fut: Future<Output = ApiResult<()>>,
{
    #[derive(Deserialize)]
    struct Stored<T> {
        data: T,
    }
    let item = match create_once(cx, caller, table, (&item, chosen), insert).await? {
        None => item,
        Some(body) => {
            serde_json::from_str::<Stored<T>>(&body)
                .map_err(|e| ApiError::internal(format!("stored creation: {e}")))?
                .data
        }
    };
    let award = match award_for(&item) {
        Some(request) => Some(award(cx, &caller.user_id, request).await?.0),
        None => None,
    };
    let body = data_body(&Awarded {
        item,
        award,
        already_completed: None,
    })?;
    Ok(json_response(201, &body))
}

/// Runs an action once per `Idempotency-Key` and answers `status` with its result. The action
/// keeps itself from applying twice (an award key, the one-active-session rule), so the record
/// may follow it; a concurrent twin that recorded first makes this insert fail harmlessly.
pub async fn once_per_key<T, Fut>(
    cx: &RequestContext,
    caller: &Caller,
    status: u16,
    action: Fut,
) -> ApiResult<Response>
where
    T: Serialize,
    Fut: Future<Output = ApiResult<T>>,
{
    let idempotency = cx.idempotency()?;
    let (db, now, user_id) = (cx.db()?, cx.now(), caller.user_id.as_str());
    if let Some((key, fingerprint)) = &idempotency
        && let Some(stored) = idempotency::find(&db, user_id, key, now).await?
    {
        let stored = replayed(stored, fingerprint)?;
        return Ok(json_response(stored.status, &stored.body));
    }
    let body = data_body(&action.await?)?;
    if let Some((key, fingerprint)) = &idempotency {
        let record = idempotency::record(user_id, key, fingerprint, status, &body, now)?;
        let _ = db.batch(record).await;
    }
    Ok(json_response(status, &body))
}

/// Applies an award in the user's progress object: its outcome, and whether the key had been
/// applied before (the outcome is then that first one and nothing changed).
pub async fn award(
    cx: &RequestContext,
    user_id: &str,
    request: AwardRequest,
) -> ApiResult<(AwardOutcome, bool)> {
    let applied = ProgressClient::for_user(cx, user_id)?
        .award(None, request)
        .await?;
    Ok((applied.outcome, applied.replayed))
}

/// Reverses an award; `None` if it was reversed before or had not landed (it then never will).
pub async fn reverse(
    client: &ProgressClient,
    original_key: String,
) -> ApiResult<Option<AwardOutcome>> {
    let key = format!("{original_key}:undo");
    let applied = client.reverse(original_key, key).await?;
    Ok((!applied.replayed).then_some(applied.outcome))
}

/// An action's item with its award: `already_completed` when the key had been applied before.
pub async fn award_once<T>(
    cx: &RequestContext,
    user_id: &str,
    item: T,
    request: AwardRequest,
) -> ApiResult<Awarded<T>> {
    let (outcome, replayed) = award(cx, user_id, request).await?;
    Ok(Awarded {
        item,
        award: (!replayed).then_some(outcome),
        already_completed: Some(replayed),
    })
}
