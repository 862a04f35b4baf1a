//! The Postgres connection of one unit of work: a `pg.Client` (pg.js) opened through the
//! Hyperdrive binding, which pools the real connections to the database, so a connection per
//! request is cheap. `Postgres::with` opens it, runs the work, and ends the client before it
//! returns: nothing is left running after the response (no `waitUntil`, no detached task).
//!
//! Statements take `$1..$n` parameters from any `Serialize` list (a tuple, an array, a `Vec`,
//! or `()` for none); rows decode with serde into the caller's types. int8 arrives as a number
//! (or a BigInt past 2^53) and decodes into `i64`; date and timestamp columns arrive as
//! Postgres's text. A list of statements runs in one transaction, rolled back on any error.

use std::time::Duration;

use futures_util::future::{Either, select};
use js_sys::{Array, Promise, Reflect};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use worker::d1::serde_wasm_bindgen;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Delay, Env};

use super::error::PgError;
use crate::domain::error::{ApiError, ApiResult};

/// The `[[hyperdrive]]` binding whose presence makes Postgres the content store.
pub const BINDING: &str = "CONTENT_DB";

/// Connecting includes authentication (SCRAM) to Hyperdrive; past this, the database counts as
/// unavailable rather than slow.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A statement that has not answered by then fails (and the client is ended), so a request never
/// waits on a stuck database.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Ending sends Terminate and waits for the socket to close; a connection that broke may never
/// say so, and the response does not wait longer than this for it.
const END_TIMEOUT: Duration = Duration::from_secs(1);

#[wasm_bindgen(module = "/src/store/postgres/pg.js")]
extern "C" {
    /// A connected `pg.Client`; its own `query` and `end` are bound below.
    type PgClient;

    /// Resolves to a connected `PgClient`.
    #[wasm_bindgen(js_name = connect)]
    fn pg_connect(
        connection_string: &str,
        connect_timeout_ms: u32,
        query_timeout_ms: u32,
    ) -> Promise;

    /// `client.query(text, values)`: resolves to pg's result (`rows`, `rowCount`, `command`).
    #[wasm_bindgen(method, catch)]
    fn query(this: &PgClient, text: &str, values: &Array) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method)]
    fn end(this: &PgClient) -> Promise;
}

/// The content store's Postgres, as the binding describes it. Holds no connection.
pub struct Postgres {
    connection_string: String,
}

impl Postgres {
    /// Postgres when the worker has the `CONTENT_DB` binding, `None` when it has not (D1 holds
    /// the content). A `CONTENT_DB` that is not a Hyperdrive binding is a configuration error.
    pub fn from_env(env: &Env) -> ApiResult<Option<Postgres>> {
        let bound = Reflect::get(env, &JsValue::from_str(BINDING))
            .map_err(|_| ApiError::internal(format!("configuration: cannot read {BINDING}")))?;
        if bound.is_undefined() {
            return Ok(None);
        }
        let hyperdrive = env.hyperdrive(BINDING).map_err(|error| {
            ApiError::internal(format!(
                "configuration: {BINDING} is not a Hyperdrive binding: {error}"
            ))
        })?;
        Ok(Some(Postgres {
            connection_string: hyperdrive.connection_string(),
        }))
    }

    /// Opens a connection, runs `work` on it and ends the connection, whatever `work` returned,
    /// before returning its result. A database out of reach fails here with
    /// `PgError::Unavailable` (a `503` with `Retry-After` as an `ApiError`).
    pub async fn with<T, E: From<PgError>>(
        &self,
        work: impl AsyncFnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let connection = self.connect().await?;
        let outcome = work(&connection).await;
        connection.end().await;
        outcome
    }

    async fn connect(&self) -> Result<Connection, PgError> {
        let connecting = pg_connect(
            &self.connection_string,
            millis(CONNECT_TIMEOUT),
            millis(STATEMENT_TIMEOUT),
        );
        let client = JsFuture::from(connecting).await.map_err(classify)?;
        Ok(Connection {
            client: client.unchecked_into(),
        })
    }
}

fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

/// One open connection, inside `Postgres::with`.
pub struct Connection {
    client: PgClient,
}

impl Connection {
    /// The rows of `sql`, each decoded into a `T` (a struct whose fields are the columns).
    pub async fn query<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: impl Serialize,
    ) -> Result<Vec<T>, PgError> {
        self.run(&Statement::new(sql, params)?).await?.rows()
    }

    /// Runs `sql`; the number of rows it inserted, updated, deleted or returned.
    pub async fn execute(&self, sql: &str, params: impl Serialize) -> Result<u64, PgError> {
        Ok(self.run(&Statement::new(sql, params)?).await?.row_count())
    }

    /// Runs one statement.
    pub async fn run(&self, statement: &Statement) -> Result<Outcome, PgError> {
        let pending = self
            .client
            .query(&statement.sql, &statement.params)
            .map_err(classify)?;
        let result = JsFuture::from(pending).await.map_err(classify)?;
        Ok(Outcome(result))
    }

    /// Runs `work` between `begin` and `commit`. When `work` fails the transaction is rolled back
    /// and its error returned.
    pub async fn in_transaction<T, E: From<PgError>>(
        &self,
        work: impl AsyncFnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        self.execute("begin", ()).await?;
        match work(self).await {
            Ok(value) => {
                self.execute("commit", ()).await?;
                Ok(value)
            }
            Err(error) => {
                // The error that ended the work is the one to report; a rollback that fails too
                // (the connection is gone) leaves nothing behind, the server aborts the
                // transaction when its connection closes.
                let _ = self.execute("rollback", ()).await;
                Err(error)
            }
        }
    }

    async fn end(self) {
        let ended = JsFuture::from(self.client.end());
        let limit = Delay::from(END_TIMEOUT);
        futures_util::pin_mut!(ended, limit);
        if let Either::Right(_) = select(ended, limit).await {
            worker::console_warn!("postgres: the client did not end within {END_TIMEOUT:?}");
        }
    }
}

/// A statement and its parameters, encoded for pg.
pub struct Statement {
    sql: String,
    params: Array,
}

impl Statement {
    /// `sql` with `params` for `$1..$n`: a tuple (`(user_id, limit)`, `(id,)`), an array or `Vec`
    /// (of `serde_json::Value`, say), or `()` for none. `None` binds `null`; a map or struct binds
    /// its JSON (for `json`/`jsonb` columns); bytes bind as `bytea`. A list *inside* the list
    /// binds as a Postgres array (`id = any($1::text[])`), so a JSON array meant for a `jsonb`
    /// column goes as its text (`serde_json::to_string`). Integers beyond 2^53 are refused here
    /// rather than rounded: bind them as text (`$1::int8` parses it).
    pub fn new(sql: impl Into<String>, params: impl Serialize) -> Result<Statement, PgError> {
        let serializer = serde_wasm_bindgen::Serializer::new()
            .serialize_missing_as_null(true)
            .serialize_maps_as_objects(true);
        let value = params
            .serialize(&serializer)
            .map_err(|error| PgError::failed(format!("encode parameters: {error}")))?;
        let params = if value.is_null() || value.is_undefined() {
            Array::new()
        } else {
            value
                .dyn_into::<Array>()
                .map_err(|_| PgError::failed("parameters must be a tuple, an array, a Vec or ()"))?
        };
        Ok(Statement {
            sql: sql.into(),
            params,
        })
    }
}

impl Statement {
    /// `sql` with `values` for `$1..$n`, already JavaScript values (the store's statements).
    pub fn of_values(sql: impl Into<String>, values: Vec<&JsValue>) -> Statement {
        Statement {
            sql: sql.into(),
            params: values.into_iter().collect(),
        }
    }
}

/// What one statement returned.
pub struct Outcome(JsValue);

impl Outcome {
    /// Every row, decoded.
    pub fn rows<T: DeserializeOwned>(&self) -> Result<Vec<T>, PgError> {
        serde_wasm_bindgen::from_value(self.field("rows"))
            .map_err(|error| PgError::failed(format!("decode rows: {error}")))
    }

    /// Rows inserted, updated, deleted or returned (`0` for statements that count none).
    pub fn row_count(&self) -> u64 {
        self.field("rowCount")
            .as_f64()
            .filter(|count| *count >= 0.0)
            .map_or(0, |count| count as u64)
    }

    fn field(&self, name: &str) -> JsValue {
        Reflect::get(&self.0, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
    }
}

/// A pg rejection as a `PgError`. An ErrorResponse from the server (pg's `DatabaseError`)
/// carries a severity and a five-character SQLSTATE, classified by `PgError::from_sqlstate`; a
/// `TypeError` or `RangeError` is this code's mistake (a parameter pg cannot encode); anything
/// else comes from the connection (refused, reset, closed while connecting, timed out), which
/// another request may find working again.
fn classify(error: JsValue) -> PgError {
    let text = |name: &str| {
        Reflect::get(&error, &JsValue::from_str(name))
            .ok()
            .and_then(|value| value.as_string())
    };
    let message = text("message").unwrap_or_else(|| format!("{error:?}"));
    if let (Some(_), Some(code)) = (text("severity"), text("code"))
        && code.len() == 5
    {
        let detail = match text("detail") {
            Some(detail) => format!("{message} ({detail})"),
            None => message,
        };
        return PgError::from_sqlstate(&code, text("constraint"), detail);
    }
    if error.is_instance_of::<js_sys::TypeError>() || error.is_instance_of::<js_sys::RangeError>() {
        return PgError::failed(message);
    }
    let detail = match text("code") {
        Some(code) => format!("{code}: {message}"),
        None => message,
    };
    PgError::Unavailable { detail }
}
