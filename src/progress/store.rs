//! The object's SQLite storage: schema, reads, and the writes of one command. Everything here is
//! synchronous; `in_transaction` runs a command's reads and writes as one SQLite transaction,
//! rolled back whole when it fails, so an award lands completely or not at all.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use worker::wasm_bindgen::{self, JsCast, JsValue, prelude::*};
use worker::{SqlCursor, SqlStorage, SqlStorageValue, Storage};

use super::protocol::{LedgerEntry, Reward, Unlock};
use crate::domain::economy::{AwardOutcome, AwardRequest, Currency, Movement, ProgressState};
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::id::uuid_v7;
use crate::domain::time::Millis;

/// The schema, by version. The constructor brings a fresh or older object up to date.
const MIGRATIONS: &[&str] = &[
    "create table ledger (
       seq integer primary key autoincrement,
       id text not null unique,
       currency text not null check (currency in ('xp', 'coins')),
       amount integer not null,
       balance_after integer not null check (balance_after >= 0),
       event_type text not null,
       reason text not null,
       source_id text,
       idempotency_key text not null,
       created_at text not null,
       unique (idempotency_key, currency)
     );
     create index ledger_by_currency on ledger (currency, seq);
     create table state (id integer primary key check (id = 1), body text not null);
     create table awards (key text primary key, request text not null, outcome text not null, created_at text not null) without rowid;
     create table achievements (id text primary key, unlocked_at text not null) without rowid;
     create table rewards (
       id text primary key,
       title text not null,
       cost integer not null check (cost > 0),
       times_redeemed integer not null default 0,
       created_at text not null
     );
     create table replies (key text primary key, fingerprint text not null, reply text not null, created_at text not null) without rowid;",
    // Replies were stored internally tagged (`{"reply": "award", ...}`); the protocol is
    // externally tagged now (`{"award": {...}}`), and a replay must still read them.
    "update replies set reply = json_object(json_extract(reply, '$.reply'), json(json_remove(reply, '$.reply')))
      where json_type(reply, '$.reply') = 'text';",
];

pub fn migrate(sql: &SqlStorage) -> ApiResult<()> {
    exec(
        sql,
        "create table if not exists schema_version (version integer not null)",
        None,
    )?;
    #[derive(Deserialize)]
    struct Version {
        version: i64,
    }
    let current = rows::<Version>(sql, "select version from schema_version", vec![])?
        .first()
        .map_or(0, |v| v.version);
    let current = usize::try_from(current).unwrap_or(0);
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(current) {
        exec(sql, migration, None)?;
        exec(sql, "delete from schema_version", None)?;
        exec(
            sql,
            "insert into schema_version (version) values (?)",
            vec![SqlStorageValue::from(
                i64::try_from(index + 1).unwrap_or(i64::MAX),
            )],
        )?;
    }
    Ok(())
}

thread_local! {
    /// Rows written by the command being executed (an object runs one at a time).
    static ROWS_WRITTEN: Cell<u64> = const { Cell::new(0) };
}

/// Rows written since the last call.
pub fn take_rows_written() -> u64 {
    ROWS_WRITTEN.with(|rows| rows.replace(0))
}

/// Every statement of the object goes through here, so its writes are counted.
fn exec(
    sql: &SqlStorage,
    query: &str,
    bindings: impl Into<Option<Vec<SqlStorageValue>>>,
) -> ApiResult<SqlCursor> {
    let cursor = sql.exec(query, bindings)?;
    let written = u64::try_from(cursor.rows_written()).unwrap_or(0);
    ROWS_WRITTEN.with(|rows| rows.set(rows.get() + written));
    Ok(cursor)
}

fn rows<T: DeserializeOwned>(
    sql: &SqlStorage,
    query: &str,
    bindings: Vec<SqlStorageValue>,
) -> ApiResult<Vec<T>> {
    Ok(exec(sql, query, bindings)?.to_array::<T>()?)
}

fn int(value: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

fn text(value: &str) -> SqlStorageValue {
    SqlStorageValue::from(value)
}

fn json<T: serde::Serialize>(value: &T) -> ApiResult<SqlStorageValue> {
    serde_json::to_string(value)
        .map(SqlStorageValue::String)
        .map_err(|e| ApiError::internal(format!("encode: {e}")))
}

fn decode<T: DeserializeOwned>(text: &str) -> ApiResult<T> {
    serde_json::from_str(text).map_err(|e| ApiError::internal(format!("decode: {e}")))
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(extends = js_sys::Object)]
    type SyncTransactions;
    #[wasm_bindgen(method, catch, js_name = transactionSync)]
    fn transaction_sync(
        this: &SyncTransactions,
        work: &js_sys::Function,
    ) -> Result<JsValue, JsValue>;
}

/// Runs `work` as one SQLite transaction: committed when it returns `Ok`, rolled back whole when
/// it returns `Err`. worker 0.8 does not bind `transactionSync`, hence the extern above.
pub fn in_transaction<T: 'static>(
    storage: &Storage,
    work: impl FnOnce() -> ApiResult<T> + 'static,
) -> ApiResult<T> {
    let result: Rc<RefCell<Option<ApiResult<T>>>> = Rc::new(RefCell::new(None));
    let slot = Rc::clone(&result);
    let callback = Closure::once_into_js(move || -> Result<JsValue, JsValue> {
        let outcome = work();
        let failed = outcome.is_err();
        slot.replace(Some(outcome));
        if failed {
            Err(JsValue::from_str("rolled back"))
        } else {
            Ok(JsValue::UNDEFINED)
        }
    });
    let transactions: &SyncTransactions = storage.as_raw().unchecked_ref();
    let committed = transactions.transaction_sync(callback.unchecked_ref());
    let outcome = result.borrow_mut().take();
    match (outcome, committed) {
        (Some(outcome), _) => outcome,
        (None, Err(error)) => Err(ApiError::internal(format!("transaction: {error:?}"))),
        (None, Ok(_)) => Err(ApiError::internal("transaction ran nothing")),
    }
}

pub fn load_state(sql: &SqlStorage) -> ApiResult<ProgressState> {
    #[derive(Deserialize)]
    struct Row {
        body: String,
    }
    match rows::<Row>(sql, "select body from state where id = 1", vec![])?.first() {
        Some(row) => decode(&row.body),
        None => Ok(ProgressState::default()),
    }
}

/// A recorded award: its request (for reversals) and its outcome (for replays).
pub struct RecordedAward {
    pub request: AwardRequest,
    pub outcome: AwardOutcome,
}

pub fn find_award(sql: &SqlStorage, key: &str) -> ApiResult<Option<RecordedAward>> {
    #[derive(Deserialize)]
    struct Row {
        request: String,
        outcome: String,
    }
    rows::<Row>(
        sql,
        "select request, outcome from awards where key = ?",
        vec![text(key)],
    )?
    .first()
    .map(|row| {
        Ok(RecordedAward {
            request: decode(&row.request)?,
            outcome: decode(&row.outcome)?,
        })
    })
    .transpose()
}

/// Writes what an award decided: its ledger rows, the new state, new unlocks, and its record.
pub fn record_award(
    sql: &SqlStorage,
    request: &AwardRequest,
    movements: &[Movement],
    state: &ProgressState,
    outcome: &AwardOutcome,
    now: Millis,
) -> ApiResult<()> {
    let created_at = now.to_rfc3339();
    for movement in movements {
        let mut random = [0u8; 10];
        getrandom::getrandom(&mut random)
            .map_err(|e| ApiError::internal(format!("random: {e}")))?;
        exec(
            sql,
            "insert into ledger (id, currency, amount, balance_after, event_type, reason, source_id, idempotency_key, created_at)
             values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                text(&uuid_v7(now.0, random)),
                text(movement.currency.as_str()),
                SqlStorageValue::Integer(movement.amount),
                int(movement.balance_after),
                text(movement.event_type.as_str()),
                text(&movement.reason),
                movement.source_id.clone().map_or(SqlStorageValue::Null, SqlStorageValue::String),
                text(&movement.key),
                text(&created_at),
            ],
        )?;
    }
    exec(
        sql,
        "insert into state (id, body) values (1, ?) on conflict (id) do update set body = excluded.body",
        vec![json(state)?],
    )?;
    for unlocked in &outcome.achievements {
        exec(
            sql,
            "insert or ignore into achievements (id, unlocked_at) values (?, ?)",
            vec![text(&unlocked.id), text(&created_at)],
        )?;
    }
    record_applied(sql, request, outcome, now)
}

/// Records that `request`'s key has been applied, with its outcome: a replay answers that. Alone
/// (no movement, no state), it is a void award: a reversal that came before its award, and the
/// mark under that award's key.
pub fn record_applied(
    sql: &SqlStorage,
    request: &AwardRequest,
    outcome: &AwardOutcome,
    now: Millis,
) -> ApiResult<()> {
    exec(
        sql,
        "insert into awards (key, request, outcome, created_at) values (?, ?, ?, ?)",
        vec![
            text(&request.key),
            json(request)?,
            json(outcome)?,
            text(&now.to_rfc3339()),
        ],
    )?;
    Ok(())
}

pub fn unlocks(sql: &SqlStorage) -> ApiResult<Vec<Unlock>> {
    rows(
        sql,
        "select id, unlocked_at from achievements order by unlocked_at, id",
        vec![],
    )
}

pub fn ledger(
    sql: &SqlStorage,
    currency: Option<Currency>,
    limit: u32,
    before: Option<u64>,
) -> ApiResult<Vec<LedgerEntry>> {
    rows(
        sql,
        "select seq, id, currency, amount, balance_after, event_type, reason, source_id, created_at
           from ledger
          where (?1 is null or currency = ?1) and (?2 is null or seq < ?2)
          order by seq desc limit ?3",
        vec![
            currency.map_or(SqlStorageValue::Null, |c| text(c.as_str())),
            before.map_or(SqlStorageValue::Null, int),
            int(u64::from(limit)),
        ],
    )
}

pub fn rewards(sql: &SqlStorage, limit: u32, before: Option<&str>) -> ApiResult<Vec<Reward>> {
    rows(
        sql,
        "select id, title, cost, times_redeemed, created_at from rewards
          where ?1 is null or id < ?1 order by id desc limit ?2",
        vec![
            before.map_or(SqlStorageValue::Null, text),
            int(u64::from(limit)),
        ],
    )
}

pub fn find_reward(sql: &SqlStorage, id: &str) -> ApiResult<Option<Reward>> {
    Ok(rows::<Reward>(
        sql,
        "select id, title, cost, times_redeemed, created_at from rewards where id = ?",
        vec![text(id)],
    )?
    .into_iter()
    .next())
}

pub fn insert_reward(sql: &SqlStorage, reward: &Reward) -> ApiResult<()> {
    exec(
        sql,
        "insert into rewards (id, title, cost, created_at) values (?, ?, ?, ?)",
        vec![
            text(&reward.id),
            text(&reward.title),
            int(u64::from(reward.cost)),
            text(&reward.created_at),
        ],
    )?;
    Ok(())
}

pub fn count_redemption(sql: &SqlStorage, reward_id: &str) -> ApiResult<()> {
    exec(
        sql,
        "update rewards set times_redeemed = times_redeemed + 1 where id = ?",
        vec![text(reward_id)],
    )?;
    Ok(())
}

/// A stored reply to an HTTP `Idempotency-Key`.
pub struct StoredReply {
    pub fingerprint: String,
    pub reply: String,
    pub created_at: Millis,
}

pub fn find_reply(sql: &SqlStorage, key: &str) -> ApiResult<Option<StoredReply>> {
    #[derive(Deserialize)]
    struct Row {
        fingerprint: String,
        reply: String,
        created_at: String,
    }
    Ok(rows::<Row>(
        sql,
        "select fingerprint, reply, created_at from replies where key = ?",
        vec![text(key)],
    )?
    .into_iter()
    .next()
    .map(|row| StoredReply {
        fingerprint: row.fingerprint,
        reply: row.reply,
        created_at: Millis::parse_rfc3339(&row.created_at).unwrap_or(Millis(0)),
    }))
}

pub fn store_reply(
    sql: &SqlStorage,
    key: &str,
    fingerprint: &str,
    reply: &str,
    now: Millis,
) -> ApiResult<()> {
    exec(
        sql,
        "insert into replies (key, fingerprint, reply, created_at) values (?, ?, ?, ?)
         on conflict (key) do update set fingerprint = excluded.fingerprint, reply = excluded.reply,
           created_at = excluded.created_at",
        vec![
            text(key),
            text(fingerprint),
            text(reply),
            text(&now.to_rfc3339()),
        ],
    )?;
    Ok(())
}
