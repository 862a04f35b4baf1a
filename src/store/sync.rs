//! What sync reads: the user's change log after a sequence number (an index range scan on
//! `(user_id, seq)`), the user's cursor key, and items by id or in id order for each entity.

use super::db::{Db, Metered};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use worker::{D1PreparedStatement, query};

use super::content::Kind;
use crate::domain::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct Change {
    pub seq: u64,
    pub entity: String,
    pub entity_id: String,
    pub op: String,
}

#[derive(Deserialize)]
struct Key {
    sync_key: String,
    sync_floor: u64,
}

/// What a poll needs of the user's log: the cursor key (made on first use), the last sequence
/// number, and the floor below which the scheduled compaction removed changes.
pub struct LogState {
    pub key: String,
    pub head: u64,
    pub floor: u64,
}

#[derive(Deserialize)]
struct Head {
    head: u64,
}

/// Statements that give the user a cursor key on first use and read it.
fn key_statements(db: &Db, user_id: &str) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        query!(
            db,
            "update users set sync_key = lower(hex(randomblob(32))) where id = ?1 and sync_key is null",
            user_id
        )?,
        query!(
            db,
            "select sync_key, sync_floor from users where id = ?1",
            user_id
        )?,
    ])
}

/// The user's `LogState`, in one round trip.
pub async fn log_state(db: &Db, user_id: &str) -> ApiResult<LogState> {
    let mut statements = key_statements(db, user_id)?;
    statements.push(query!(
        db,
        "select coalesce(max(seq), 0) as head from change_log where user_id = ?1",
        user_id
    )?);
    let results = db.batch(statements).await?;
    let key = match results.get(1) {
        Some(result) => result.results::<Key>()?.into_iter().next(),
        None => None,
    };
    let head = match results.get(2) {
        Some(result) => result.results::<Head>()?.into_iter().next(),
        None => None,
    }
    .map_or(0, |h| h.head);
    let floor = key.as_ref().map_or(0, |k| k.sync_floor);
    Ok(LogState {
        // A log compacted to nothing still ends where it ended.
        head: head.max(floor),
        floor,
        key: key.map(|k| k.sync_key).unwrap_or_default(),
    })
}

/// Up to `limit` of the user's changes after `after`.
pub async fn log(db: &Db, user_id: &str, after: u64, limit: u32) -> ApiResult<Vec<Change>> {
    Ok(query!(
        db,
        "select seq, entity, entity_id, op from change_log
          where user_id = ?1 and seq > ?2 order by seq limit ?3",
        user_id,
        after,
        limit
    )?
    .all_in(db)
    .await?
    .results::<Change>()?)
}

/// Rows of `table` (read as `columns`) among `ids`, the user's.
pub async fn by_ids<T: DeserializeOwned>(
    db: &Db,
    user_id: &str,
    table: &str,
    columns: &str,
    ids: &[String],
) -> ApiResult<Vec<T>> {
    let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    Ok(query!(
        db,
        &format!(
            "select {columns} from {table}
              where user_id = ?1 and id in (select value from json_each(?2))"
        ),
        user_id,
        &ids
    )?
    .all_in(db)
    .await?
    .results::<T>()?)
}

/// A content kind's items among `ids`.
pub async fn items<K: Kind>(db: &Db, user_id: &str, ids: &[String]) -> ApiResult<Vec<K::Item>> {
    by_ids::<K::Item>(db, user_id, K::TABLE, K::COLUMNS, ids).await
}

/// Up to `limit` of the user's rows of `table` after the id `after`, in id order: the pages of a
/// full copy.
pub async fn page<T: DeserializeOwned>(
    db: &Db,
    user_id: &str,
    table: &str,
    columns: &str,
    after: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<T>> {
    Ok(query!(
        db,
        &format!(
            "select {columns} from {table}
              where user_id = ?1 and (?2 is null or id > ?2)
              order by id limit ?3"
        ),
        user_id,
        after,
        limit
    )?
    .all_in(db)
    .await?
    .results::<T>()?)
}
