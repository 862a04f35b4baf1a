//! What every content kind shares in D1: reading one item or a page of them, soft delete and
//! restore, and the change log. Every query is scoped by `user_id`; every write appends to the
//! change log in the same batch, and only when it changed a row (`changes()` of the statement
//! before it). A kind's own module writes its insert and update statements.

use super::db::Statement;
use super::db::{Db, Metered, value};
use crate::statement;
use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::domain::content::Metadata;
use crate::domain::content::filter::Filter;
use crate::domain::entity::{ChangeOp, Entity};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::time::Millis;
use crate::sql::{ListPage, Select};

/// A content kind stored in its own table, with the common columns `id`, `user_id`, `metadata`,
/// `is_active`, `deleted_at`, `created_at` and `updated_at`.
pub trait Kind {
    /// The table, also the path segment under `/api`.
    const TABLE: &'static str;
    /// The entity it is in the change log and in errors.
    const ENTITY: Entity;
    /// The columns an item is read from, in `select` and `returning`.
    const COLUMNS: &'static str;
    /// The filters its lists take.
    const FILTERS: &'static [Filter];
    /// An item as the API shows it, read straight from a row.
    type Item: DeserializeOwned + Serialize;

    fn id(item: &Self::Item) -> &str;
    fn is_active(item: &Self::Item) -> bool;
}

/// `is_active` and other flags: SQLite stores them as 0 or 1; an item's own JSON (a stored
/// response) has `true` or `false`.
pub fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    struct Flag;
    impl Visitor<'_> for Flag {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean or 0/1")
        }
        fn visit_bool<E: de::Error>(self, flag: bool) -> Result<bool, E> {
            Ok(flag)
        }
        fn visit_i64<E: de::Error>(self, number: i64) -> Result<bool, E> {
            Ok(number != 0)
        }
        fn visit_u64<E: de::Error>(self, number: u64) -> Result<bool, E> {
            Ok(number != 0)
        }
        fn visit_f64<E: de::Error>(self, number: f64) -> Result<bool, E> {
            Ok(number != 0.0)
        }
    }
    deserializer.deserialize_any(Flag)
}

/// `metadata` is stored as JSON text; an item's own JSON has the object.
pub fn stored_metadata<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Metadata, D::Error> {
    struct Stored;
    impl<'de> Visitor<'de> for Stored {
        type Value = Metadata;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("metadata as JSON text or an object")
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<Metadata, E> {
            Ok(Metadata::from_stored(text))
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Metadata, A::Error> {
            Metadata::deserialize(MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_any(Stored)
}

/// Appends `(entity, id, op)` to the user's change log if the statement before it changed a row.
pub fn log_change(
    user_id: &str,
    entity: Entity,
    id: &str,
    op: ChangeOp,
    now: Millis,
) -> ApiResult<Statement> {
    Ok(statement!(
        "insert into change_log (user_id, entity, entity_id, op, created_at)
         select ?1, ?2, ?3, ?4, ?5",
        user_id,
        entity.code(),
        id,
        op.as_str(),
        now
    )?
    .after_a_change()
    .queued_behind(user_id))
}

/// Runs `insert` with its change-log entry and `extra` statements (an idempotency record) in one
/// batch: all of them or none.
pub async fn create<K: Kind>(
    db: &Db,
    user_id: &str,
    id: &str,
    insert: Statement,
    now: Millis,
    extra: Vec<Statement>,
) -> ApiResult<()> {
    let mut statements = vec![
        insert,
        log_change(user_id, K::ENTITY, id, ChangeOp::Upsert, now)?,
    ];
    statements.extend(extra);
    db.batch(statements).await?;
    Ok(())
}

/// The statement that fails a creation's batch when the user then holds more than `quota` items
/// of `table` (deleted ones count: they are stored too). See migration 0014.
pub fn quota_guard(table: &str, user_id: &str, quota: u32) -> ApiResult<Statement> {
    Ok(statement!(
        &format!(
            "insert into quota_guard (kind) select ?1
              where (select count(*) from {table} where user_id = ?2) > ?3"
        ),
        table,
        user_id,
        quota
    )?
    .queued_behind(user_id))
}

/// Whether `error` is a batch that `quota_guard` failed.
pub fn is_over_quota(error: &ApiError) -> bool {
    super::db::failed_by(error, "quota_exceeded")
}

/// Whether `error` is a creation's batch refused because the item's id is stored already (in
/// D1's words, or Postgres's: the primary key's constraint).
pub fn is_taken_id(error: &ApiError, table: &str) -> bool {
    super::db::failed_by(error, &format!("UNIQUE constraint failed: {table}.id"))
        || super::db::failed_by(error, &format!("\"{table}_pkey\""))
}

/// The statement that reads one of the user's items, active or not.
pub fn select<K: Kind>(user_id: &str, id: &str) -> ApiResult<Statement> {
    Ok(statement!(
        &format!(
            "select {} from {} where id = ?1 and user_id = ?2",
            K::COLUMNS,
            K::TABLE
        ),
        id,
        user_id
    )?)
}

pub async fn find<K: Kind>(db: &Db, user_id: &str, id: &str) -> ApiResult<Option<K::Item>> {
    select::<K>(user_id, id)?.first_in::<K::Item>(db).await
}

/// `statement` prepared on D1.
pub fn prepared(statement: &Select) -> ApiResult<Statement> {
    let arguments: Vec<_> = statement.arguments.iter().map(value).collect();
    Statement::bound(&statement.sql, &arguments)
}

/// The statement that reads a page of a list: the user's active (or deleted) items meeting the
/// page's conditions, oldest first. Ids are UUIDv7, so new items sort last.
pub fn select_page<K: Kind>(db: &Db, page: &ListPage) -> ApiResult<Statement> {
    prepared(&page.select(db.dialect(), K::COLUMNS))
}

/// Runs `update` (which must end in `returning {COLUMNS}`) and logs the change in one batch; the
/// item as written, or `None` if the update matched no row.
pub async fn write<K: Kind>(
    db: &Db,
    user_id: &str,
    id: &str,
    op: ChangeOp,
    update: Statement,
    now: Millis,
) -> ApiResult<Option<K::Item>> {
    let results = db
        .batch(vec![update, log_change(user_id, K::ENTITY, id, op, now)?])
        .await?;
    Ok(match results.first() {
        Some(result) => result.results::<K::Item>()?.into_iter().next(),
        None => None,
    })
}

/// Soft-deletes (`active = false`) or restores (`true`) an item; `None` if it is not in the
/// opposite state.
pub async fn set_active<K: Kind>(
    db: &Db,
    user_id: &str,
    id: &str,
    active: bool,
    now: Millis,
) -> ApiResult<Option<K::Item>> {
    let statement = statement!(&format!(
            "update {} set is_active = ?3, deleted_at = case when ?3 = 1 then null else ?4 end, updated_at = ?4
             where id = ?1 and user_id = ?2 and is_active = 1 - ?3
             returning {}",
            K::TABLE,
            K::COLUMNS
        ),
        id,
        user_id,
        i64::from(active),
        &now
    )?;
    let op = if active {
        ChangeOp::Upsert
    } else {
        ChangeOp::Delete
    };
    write::<K>(db, user_id, id, op, statement, now).await
}

pub async fn list<K: Kind>(db: &Db, page: &ListPage<'_>) -> ApiResult<Vec<K::Item>> {
    select_page::<K>(db, page)?
        .all_in(db)
        .await?
        .results::<K::Item>()
}

/// A JSON object a query builds (`json_object(...)`), read as `T`.
pub fn stored_json<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    deserializer: D,
) -> Result<T, D::Error> {
    serde_json::from_str(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
}

/// A page of all the user's items, archived ones too, in id order after `after`: the export.
pub async fn all<K: Kind>(
    db: &Db,
    user_id: &str,
    after: Option<&str>,
    limit: u32,
) -> ApiResult<Vec<K::Item>> {
    statement!(
        &format!(
            "select {} from {} where user_id = ?1 and (cast(?2 as text) is null or id > ?2) order by id limit ?3",
            K::COLUMNS,
            K::TABLE
        ),
        user_id,
        after,
        limit
    )?
    .all_in(db)
    .await?
    .results::<K::Item>()
}
