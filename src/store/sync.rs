//! What sync reads: the user's change log after a sequence number (an index range scan on
//! `(user_id, seq)`), the user's cursor key, and items by id or in id order for each entity.

use super::db::{Db, Metered};
use super::db::{Rows, Statement};
use crate::domain::secret::hex;
use crate::random::random_bytes;
use crate::statement;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use worker::wasm_bindgen::JsValue;

use super::content::Kind;
use crate::domain::entity::{ChangeOp, Entity};
use crate::domain::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct Change {
    pub seq: u64,
    pub entity: Entity,
    pub entity_id: String,
    pub op: ChangeOp,
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
fn key_statements(user_id: &str) -> ApiResult<Vec<Statement>> {
    Ok(vec![
        statement!(
            "update users set sync_key = ?2 where id = ?1 and sync_key is null",
            user_id,
            hex(&random_bytes::<32>()?)
        )?,
        statement!(
            "select sync_key, sync_floor from users where id = ?1",
            user_id
        )?,
    ])
}

/// A page of the log to read with the log's state: up to `limit` changes after `after`, and
/// `statements` that read what they name.
pub struct ReadAhead {
    pub after: u64,
    pub limit: u32,
    pub statements: Vec<Statement>,
}

/// The user's `LogState` and, with `ahead`, its page and what its statements read, all in one
/// round trip.
pub async fn log_state(
    db: &Db,
    user_id: &str,
    ahead: Option<ReadAhead>,
) -> ApiResult<(LogState, Option<(Vec<Change>, Vec<Rows>)>)> {
    let mut statements = key_statements(user_id)?;
    statements.push(statement!(
        "select coalesce(max(seq), 0) as head from change_log where user_id = ?1",
        user_id
    )?);
    let reads_ahead = ahead.is_some();
    if let Some(ahead) = ahead {
        statements.push(log_statement(user_id, ahead.after, ahead.limit)?);
        statements.extend(ahead.statements);
    }
    let mut results = db.batch(statements).await?;
    let page = if reads_ahead && results.len() > 3 {
        let rest = results.split_off(4);
        let changes = results
            .get(3)
            .map(Rows::results::<Change>)
            .transpose()?
            .unwrap_or_default();
        Some((changes, rest))
    } else {
        None
    };
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
    let state = LogState {
        // A log compacted to nothing still ends where it ended.
        head: head.max(floor),
        floor,
        key: key.map(|k| k.sync_key).unwrap_or_default(),
    };
    Ok((state, page))
}

fn log_statement(user_id: &str, after: u64, limit: u32) -> ApiResult<Statement> {
    statement!(
        "select seq, entity, entity_id, op from change_log
          where user_id = ?1 and seq > ?2 order by seq limit ?3",
        user_id,
        after,
        limit
    )
}

/// Up to `limit` of the user's changes after `after`.
pub async fn log(db: &Db, user_id: &str, after: u64, limit: u32) -> ApiResult<Vec<Change>> {
    log_statement(user_id, after, limit)?
        .all_in(db)
        .await?
        .results::<Change>()
}

/// The ids of the user's items a read is for: listed, or upserted in a page of the change log
/// (so the page and its items are read in one batch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ids<'a> {
    Listed(&'a [String]),
    Logged {
        after: u64,
        limit: u32,
        entity: Entity,
    },
}

impl Ids<'_> {
    /// The ids as a subquery of `?2` and on, `?1` being the user.
    pub fn subquery(&self) -> &'static str {
        match self {
            Ids::Listed(_) => "select value from json_each(?2)",
            Ids::Logged { .. } => {
                "select entity_id from (select entity_id, entity, op from change_log
                  where user_id = ?1 and seq > ?2 order by seq limit ?3) as logged
                  where entity = ?4 and op = 'upsert'"
            }
        }
    }

    /// The values of `?1` (`user_id`) and on.
    pub fn bindings(&self, user_id: &str) -> Vec<JsValue> {
        match self {
            Ids::Listed(ids) => vec![
                user_id.into(),
                serde_json::to_string(ids)
                    .unwrap_or_else(|_| "[]".into())
                    .into(),
            ],
            Ids::Logged {
                after,
                limit,
                entity,
            } => vec![
                user_id.into(),
                (*after as f64).into(),
                f64::from(*limit).into(),
                entity.code().into(),
            ],
        }
    }
}

/// The statement reading rows of `table` (as `columns`) among `ids`, the user's. The ids drive
/// the read (`cross join` keeps SQLite from scanning the user's rows and probing the ids
/// instead): its cost follows the ids, not the size of the account.
pub fn by_ids(user_id: &str, table: &str, columns: &str, ids: Ids) -> ApiResult<Statement> {
    Ok(Statement::new(
        format!(
            "with wanted(wanted_id) as ({})
             select {columns} from wanted cross join {table}
              where id = wanted_id and user_id = ?1",
            ids.subquery()
        ),
        ids.bindings(user_id),
    ))
}

/// The statement reading a content kind's items among `ids`.
pub fn items<K: Kind>(user_id: &str, ids: Ids) -> ApiResult<Statement> {
    by_ids(user_id, K::TABLE, K::COLUMNS, ids)
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
    statement!(
        &format!(
            "select {columns} from {table}
              where user_id = ?1 and (cast(?2 as text) is null or id > ?2)
              order by id limit ?3"
        ),
        user_id,
        after,
        limit
    )?
    .all_in(db)
    .await?
    .results::<T>()
}
