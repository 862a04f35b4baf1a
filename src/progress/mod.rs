//! The `UserProgress` Durable Object: one per user (`id_from_name(user_id)`), the single writer
//! of that user's XP and coin ledger, totals, skills, counters, achievements, rewards shop and
//! idempotency records.
//!
//! A Durable Object handles one event at a time between `.await`s, and a command here has no
//! `.await` after its body is read: every award for a user is serialized without locks. Each
//! command runs as one SQLite transaction (`store::in_transaction`). Nothing in this module may
//! panic: a panic in an object leaves its caller hanging, so every failure is a reply.

use std::cell::Cell;

pub mod client;
pub mod protocol;
pub mod sockets;
mod store;

use worker::{
    Date, DurableObject, Env, Request, Response, Result, SqlStorage, State, WebSocket,
    WebSocketIncomingMessage, durable_object,
};

use crate::domain::economy::{self, AwardRequest, EventType, Refusal};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::time::Millis;
use protocol::{Command, Failure, Reply, Reward};

/// Tells the caller how many SQLite rows a command wrote, for its request log.
pub const ROWS_WRITTEN_HEADER: &str = "x-rows-written";
/// Tells the caller how many sockets the user holds, so a write with none sends no notice.
pub const SOCKETS_HEADER: &str = "x-sockets";

/// How long an HTTP `Idempotency-Key` keeps its first reply.
const REPLY_RETENTION_MS: u64 = 24 * 60 * 60 * 1000;

#[durable_object]
pub struct UserProgress {
    state: State,
    env: Env,
    sql: SqlStorage,
    /// Whether the schema is in place: not yet, or not since an erasure emptied the storage.
    migrated: Cell<bool>,
}

impl UserProgress {
    /// Sets the alarm for the earliest socket lease, unless one is set sooner.
    async fn schedule_expiry(&self) -> Result<()> {
        let Some(next) = sockets::next_end(&self.state) else {
            return Ok(());
        };
        let storage = self.state.storage();
        let next = i64::try_from(next).unwrap_or(i64::MAX);
        if storage.get_alarm().await?.is_some_and(|set| set <= next) {
            return Ok(());
        }
        let offset = next.saturating_sub(i64::try_from(Date::now().as_millis()).unwrap_or(0));
        storage.set_alarm(offset.max(0)).await
    }

    fn ensure_schema(&self) {
        if self.migrated.get() {
            return;
        }
        match store::migrate(&self.sql) {
            Ok(()) => self.migrated.set(true),
            Err(error) => worker::console_error!("UserProgress schema migration failed: {error}"),
        }
    }

    /// Closes every socket and deletes all storage, tables included. A command arriving later
    /// finds an empty object.
    async fn erase(&self) -> Result<Response> {
        sockets::close(&self.state, &sockets::Close { session_id: None });
        self.state.storage().delete_all().await?;
        self.migrated.set(false);
        Response::empty()
    }
}

impl DurableObject for UserProgress {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        UserProgress {
            state,
            env,
            sql,
            migrated: Cell::new(false),
        }
    }

    async fn fetch(&self, mut request: Request) -> Result<Response> {
        match request.path().as_str() {
            "/ws" => {
                let headers = request.headers();
                let session_id = headers.get(sockets::SESSION_HEADER)?.unwrap_or_default();
                let lease = headers
                    .get(sockets::LEASE_HEADER)?
                    .and_then(|text| serde_json::from_str(&text).ok())
                    .unwrap_or_default();
                return match sockets::accept(&self.state, &session_id, lease)? {
                    Some(response) => {
                        self.schedule_expiry().await?;
                        Ok(response)
                    }
                    None => failure(&ApiError::new(
                        ErrorKind::Conflict,
                        format!("at most {} live sockets per user", sockets::MAX_SOCKETS),
                    )),
                };
            }
            "/notify" => {
                sockets::notify(&self.state, &request.json::<sockets::Changed>().await?);
                return Response::empty();
            }
            "/close" => {
                sockets::close(&self.state, &request.json::<sockets::Close>().await?);
                return Response::empty();
            }
            "/erase" => return self.erase().await,
            _ => {}
        }
        self.ensure_schema();
        let command = match request.json::<Command>().await {
            Ok(command) => command,
            Err(error) => return failure(&ApiError::bad_request(format!("bad command: {error}"))),
        };
        let sql = self.sql.clone();
        let now = Millis(Date::now().as_millis());
        store::take_rows_written();
        let mut response =
            match store::in_transaction(&self.state.storage(), move || execute(&sql, command, now))
            {
                Ok(reply) => Response::from_json(&reply)?,
                Err(error) => failure(&error)?,
            };
        let headers = response.headers_mut();
        headers.set(ROWS_WRITTEN_HEADER, &store::take_rows_written().to_string())?;
        headers.set(
            SOCKETS_HEADER,
            &self.state.get_websockets().len().to_string(),
        )?;
        Ok(response)
    }

    async fn websocket_message(
        &self,
        socket: WebSocket,
        _message: WebSocketIncomingMessage,
    ) -> Result<()> {
        sockets::received(&socket)
    }

    async fn websocket_close(
        &self,
        socket: WebSocket,
        code: usize,
        reason: String,
        _was_clean: bool,
    ) -> Result<()> {
        sockets::answer_close(&socket, code, &reason);
        Ok(())
    }

    /// A socket lease ran out: its session may have ended by time.
    async fn alarm(&self) -> Result<Response> {
        sockets::expire(&self.state, &self.env, Millis(Date::now().as_millis())).await?;
        self.schedule_expiry().await?;
        Response::empty()
    }
}

fn failure(error: &ApiError) -> Result<Response> {
    if let Some(detail) = &error.internal_detail {
        worker::console_error!("UserProgress: {detail}");
    }
    Ok(Response::from_json(&Failure {
        code: error.kind.code().to_owned(),
        message: error.message.clone(),
        fields: error.fields.clone(),
    })?
    .with_status(error.status()))
}

/// A refusal as the API says it: why the coins, or the XP, were short.
fn refused(refusal: Refusal, coins: &str, xp: &str) -> ApiError {
    match refusal {
        Refusal::InsufficientCoins => ApiError::new(ErrorKind::InsufficientCoins, coins),
        Refusal::InsufficientXp => ApiError::new(ErrorKind::Conflict, xp),
    }
}

fn execute(sql: &SqlStorage, command: Command, now: Millis) -> ApiResult<Reply> {
    match command {
        Command::Award { request } => award(sql, &request, now),
        Command::Reverse { original_key, key } => reverse(sql, &original_key, &key, now),
        Command::State => Ok(Reply::State {
            state: store::load_state(sql)?,
        }),
        Command::Achievements => Ok(Reply::Achievements {
            unlocked: store::unlocks(sql)?,
        }),
        Command::Ledger {
            currency,
            limit,
            before,
        } => Ok(Reply::Ledger {
            entries: store::ledger(sql, currency, limit, before)?,
        }),
        Command::Rewards { limit, before } => Ok(Reply::Rewards {
            rewards: store::rewards(sql, limit, before.as_deref())?,
        }),
        Command::CreateReward { id, title, cost } => {
            if store::find_reward(sql, &id)?.is_some() {
                return Err(ApiError::taken_id());
            }
            let reward = Reward {
                id,
                title,
                cost,
                times_redeemed: 0,
                created_at: now.to_rfc3339(),
            };
            store::insert_reward(sql, &reward)?;
            Ok(Reply::Reward { reward })
        }
        Command::Redeem { reward_id, key } => redeem(sql, &reward_id, &key, now),
        Command::Once {
            key,
            fingerprint,
            command,
        } => once(sql, &key, &fingerprint, *command, now),
    }
}

/// Applies an award once per key; a known key returns its first outcome and changes nothing.
fn award(sql: &SqlStorage, request: &AwardRequest, now: Millis) -> ApiResult<Reply> {
    if let Some(reply) = replay(sql, &request.key)? {
        return Ok(reply);
    }
    let effects = economy::apply(&store::load_state(sql)?, request).map_err(|refusal| {
        refused(
            refusal,
            "not enough coins: balances never go below zero",
            "not enough XP: balances never go below zero",
        )
    })?;
    commit(sql, request, effects, now)
}

/// Takes back the award of `original_key` once per `key`: whole, or refused when its coins were
/// spent. A reversal that arrives before its award voids the award's key, so the late award
/// replays as nothing (a `replayed` reply: this reversal changed nothing either).
fn reverse(sql: &SqlStorage, original_key: &str, key: &str, now: Millis) -> ApiResult<Reply> {
    if let Some(reply) = replay(sql, key)? {
        return Ok(reply);
    }
    let original = store::find_award(sql, original_key)?;
    let reversal = economy::reverse(
        &store::load_state(sql)?,
        original.as_ref().map(|recorded| &recorded.request),
        original_key,
        key,
    )
    .map_err(|refusal| {
        refused(
            refusal,
            "the coins this award paid were spent: undoing it would take back coins you no longer have",
            "the XP this award paid is no longer there to take back",
        )
    })?;
    let Some(voided) = reversal.voided else {
        return commit(sql, &reversal.request, reversal.effects, now);
    };
    let nothing = reversal.effects.outcome;
    store::record_applied(sql, &reversal.request, &nothing, now)?;
    store::record_applied(sql, &voided, &nothing, now)?;
    Ok(Reply::Award {
        outcome: nothing,
        state: reversal.effects.state,
        replayed: true,
    })
}

/// The first outcome of an award key applied before, with the current state.
fn replay(sql: &SqlStorage, key: &str) -> ApiResult<Option<Reply>> {
    Ok(match store::find_award(sql, key)? {
        Some(recorded) => Some(Reply::Award {
            outcome: recorded.outcome,
            state: store::load_state(sql)?,
            replayed: true,
        }),
        None => None,
    })
}

/// Records what the economy decided for `request` and replies with it.
fn commit(
    sql: &SqlStorage,
    request: &AwardRequest,
    effects: economy::Effects,
    now: Millis,
) -> ApiResult<Reply> {
    store::record_award(
        sql,
        request,
        &effects.movements,
        &effects.state,
        &effects.outcome,
        now,
    )?;
    Ok(Reply::Award {
        outcome: effects.outcome,
        state: effects.state,
        replayed: false,
    })
}

/// Spends a reward's cost in coins, refused when the balance is short.
fn redeem(sql: &SqlStorage, reward_id: &str, key: &str, now: Millis) -> ApiResult<Reply> {
    let reward =
        store::find_reward(sql, reward_id)?.ok_or_else(|| ApiError::not_found("reward"))?;
    if store::find_award(sql, key)?.is_none() {
        let request = AwardRequest {
            key: key.to_owned(),
            event_type: EventType::RewardRedeemed,
            reason: format!("redeemed: {}", reward.title),
            source_id: Some(reward.id.clone()),
            xp: 0,
            coins: -i64::from(reward.cost),
            skill: None,
            counters: economy::CounterChange::default(),
        };
        award(sql, &request, now)?;
        store::count_redemption(sql, reward_id)?;
    }
    let coins = store::load_state(sql)?.coins;
    let reward =
        store::find_reward(sql, reward_id)?.ok_or_else(|| ApiError::not_found("reward"))?;
    Ok(Reply::Redeemed { reward, coins })
}

/// The HTTP `Idempotency-Key` contract, inside the same transaction as the command it guards.
fn once(
    sql: &SqlStorage,
    key: &str,
    fingerprint: &str,
    command: Command,
    now: Millis,
) -> ApiResult<Reply> {
    if matches!(command, Command::Once { .. }) {
        return Err(ApiError::bad_request(
            "an idempotent command cannot nest another",
        ));
    }
    if let Some(stored) = store::find_reply(sql, key)? {
        let fresh = now.0.saturating_sub(stored.created_at.0) < REPLY_RETENTION_MS;
        if fresh && stored.fingerprint == fingerprint {
            return serde_json::from_str(&stored.reply)
                .map_err(|e| ApiError::internal(format!("stored reply: {e}")));
        }
        if fresh {
            return Err(ApiError::idempotency_conflict());
        }
    }
    let reply = execute(sql, command, now)?;
    let encoded =
        serde_json::to_string(&reply).map_err(|e| ApiError::internal(format!("encode: {e}")))?;
    store::store_reply(sql, key, fingerprint, &encoded, now)?;
    Ok(reply)
}
