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
    // One row per award key, carrying both currencies and the award's record: an award writes
    // its row and one index row (the key) instead of a row and three index rows per currency,
    // the sequence counter and a separate record. Ids and order of existing entries are kept.
    "create table entries (
       seq integer primary key,
       key text not null unique,
       xp integer not null default 0,
       xp_after integer check (xp_after >= 0),
       xp_id text,
       coins integer not null default 0,
       coins_after integer check (coins_after >= 0),
       coins_id text,
       event_type text not null,
       reason text not null,
       source_id text,
       created_at text not null,
       request text,
       outcome text
     );
     insert into entries (seq, key, xp, xp_after, xp_id, coins, coins_after, coins_id, event_type, reason, source_id, created_at)
       select min(seq), idempotency_key,
              coalesce(sum(case when currency = 'xp' then amount end), 0),
              max(case when currency = 'xp' then balance_after end),
              max(case when currency = 'xp' then id end),
              coalesce(sum(case when currency = 'coins' then amount end), 0),
              max(case when currency = 'coins' then balance_after end),
              max(case when currency = 'coins' then id end),
              min(event_type), min(reason), min(source_id), min(created_at)
         from ledger group by idempotency_key;
     insert into entries (key, event_type, reason, created_at)
       select key, '', '', created_at from awards where key not in (select key from entries) order by created_at, key;
     update entries set request = a.request, outcome = a.outcome from awards a where a.key = entries.key;
     drop table ledger;
     drop table awards;",
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
        "select request, outcome from entries where key = ? and request is not null",
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

/// Writes what an award decided: one ledger row per key its movements carry (the award's own,
/// and one per achievement it unlocked), the award's record on its own key's row, the new state
/// and new unlocks.
pub fn record_award(
    sql: &SqlStorage,
    request: &AwardRequest,
    movements: &[Movement],
    state: &ProgressState,
    outcome: &AwardOutcome,
    now: Millis,
) -> ApiResult<()> {
    let created_at = now.to_rfc3339();
    let mut recorded = false;
    let mut rest = movements;
    while let Some(first) = rest.first() {
        let same_key = rest.iter().take_while(|m| m.key == first.key).count();
        let (group, tail) = rest.split_at(same_key);
        rest = tail;
        let own = first.key == request.key;
        recorded |= own;
        let mut row = EntryRow::new(first, now);
        for movement in group {
            row.add(movement, now)?;
        }
        if own {
            row.record(request, outcome)?;
        }
        row.insert(sql)?;
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
    if !recorded {
        record_applied(sql, request, outcome, now)?;
    }
    Ok(())
}

/// Records that `request`'s key has been applied, with its outcome, and moves nothing: a replay
/// answers that. It is a void award: a reversal that came before its award, and the mark under
/// that award's key; or an award of nothing.
pub fn record_applied(
    sql: &SqlStorage,
    request: &AwardRequest,
    outcome: &AwardOutcome,
    now: Millis,
) -> ApiResult<()> {
    let mut row = EntryRow {
        key: request.key.clone(),
        event_type: request.event_type.as_str(),
        reason: request.reason.clone(),
        source_id: request.source_id.clone(),
        created_at: now.to_rfc3339(),
        ..EntryRow::default()
    };
    row.record(request, outcome)?;
    row.insert(sql)
}

/// One row of `entries`: what one key moved in each currency.
#[derive(Default)]
struct EntryRow {
    key: String,
    xp: Option<(i64, u64, String)>,
    coins: Option<(i64, u64, String)>,
    event_type: &'static str,
    reason: String,
    source_id: Option<String>,
    created_at: String,
    record: Option<(SqlStorageValue, SqlStorageValue)>,
}

impl EntryRow {
    fn new(movement: &Movement, now: Millis) -> Self {
        EntryRow {
            key: movement.key.clone(),
            event_type: movement.event_type.as_str(),
            reason: movement.reason.clone(),
            source_id: movement.source_id.clone(),
            created_at: now.to_rfc3339(),
            ..EntryRow::default()
        }
    }

    /// Adds a movement of the row's key; each entry keeps an id of its own for the API.
    fn add(&mut self, movement: &Movement, now: Millis) -> ApiResult<()> {
        let mut random = [0u8; 10];
        getrandom::getrandom(&mut random)
            .map_err(|e| ApiError::internal(format!("random: {e}")))?;
        let id = uuid_v7(now.0, random);
        let entry = Some((movement.amount, movement.balance_after, id));
        match movement.currency {
            Currency::Xp => self.xp = entry,
            Currency::Coins => self.coins = entry,
        }
        Ok(())
    }

    fn record(&mut self, request: &AwardRequest, outcome: &AwardOutcome) -> ApiResult<()> {
        self.record = Some((json(request)?, json(outcome)?));
        Ok(())
    }

    fn insert(self, sql: &SqlStorage) -> ApiResult<()> {
        let side = |entry: Option<(i64, u64, String)>| match entry {
            Some((amount, after, id)) => [
                SqlStorageValue::Integer(amount),
                int(after),
                SqlStorageValue::String(id),
            ],
            None => [
                SqlStorageValue::Integer(0),
                SqlStorageValue::Null,
                SqlStorageValue::Null,
            ],
        };
        let (request, outcome) = self
            .record
            .unwrap_or((SqlStorageValue::Null, SqlStorageValue::Null));
        let mut values = vec![text(&self.key)];
        values.extend(side(self.xp));
        values.extend(side(self.coins));
        values.extend([
            text(self.event_type),
            SqlStorageValue::String(self.reason),
            self.source_id
                .map_or(SqlStorageValue::Null, SqlStorageValue::String),
            SqlStorageValue::String(self.created_at),
            request,
            outcome,
        ]);
        exec(
            sql,
            "insert into entries (key, xp, xp_after, xp_id, coins, coins_after, coins_id, event_type, reason, source_id, created_at, request, outcome)
             values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )?;
        Ok(())
    }
}

pub fn unlocks(sql: &SqlStorage) -> ApiResult<Vec<Unlock>> {
    rows(
        sql,
        "select id, unlocked_at from achievements order by unlocked_at, id",
        vec![],
    )
}

/// Ledger entries, newest first, before position `before`. A row holds up to two entries (its
/// XP, then its coins); an entry's position is `2 × seq + 1` for coins and `2 × seq` for XP.
pub fn ledger(
    sql: &SqlStorage,
    currency: Option<Currency>,
    limit: u32,
    before: Option<u64>,
) -> ApiResult<Vec<LedgerEntry>> {
    #[derive(Deserialize)]
    struct Row {
        seq: u64,
        xp: i64,
        xp_after: Option<u64>,
        xp_id: Option<String>,
        coins: i64,
        coins_after: Option<u64>,
        coins_id: Option<String>,
        event_type: String,
        reason: String,
        source_id: Option<String>,
        created_at: String,
    }
    let wants = |c: Currency| currency.is_none_or(|wanted| wanted == c);
    let rows = rows::<Row>(
        sql,
        "select seq, xp, xp_after, xp_id, coins, coins_after, coins_id, event_type, reason, source_id, created_at
           from entries
          where (?1 is null or seq <= ?1)
            and ((?2 and xp_id is not null) or (?3 and coins_id is not null))
          order by seq desc limit ?4",
        vec![
            before.map_or(SqlStorageValue::Null, |position| int(position / 2)),
            SqlStorageValue::Integer(i64::from(wants(Currency::Xp))),
            SqlStorageValue::Integer(i64::from(wants(Currency::Coins))),
            // One row more: the row at `before` may have given its other entry already.
            int(u64::from(limit) + 1),
        ],
    )?;
    let mut entries = Vec::new();
    for row in rows {
        let sides = [
            (Currency::Coins, 1, row.coins, row.coins_after, row.coins_id),
            (Currency::Xp, 0, row.xp, row.xp_after, row.xp_id),
        ];
        for (side, offset, amount, after, id) in sides {
            let position = row.seq * 2 + offset;
            let (Some(after), Some(id)) = (after, id) else {
                continue;
            };
            if !wants(side) || before.is_some_and(|before| position >= before) {
                continue;
            }
            entries.push(LedgerEntry {
                seq: Some(position),
                id,
                currency: side,
                amount,
                balance_after: after,
                event_type: row.event_type.clone(),
                reason: row.reason.clone(),
                source_id: row.source_id.clone(),
                created_at: row.created_at.clone(),
            });
        }
    }
    entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(entries)
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
