//! The D1 database as one request uses it. Two things happen here for every statement:
//! - its result meta (rows read and written) is added up for the request's log line, so what a
//!   route costs in D1 is measured, not guessed;
//! - while the request's credential is only claimed (found in the isolate or in KV, not yet
//!   checked against D1, the authority), its check rides in front of the first statements sent,
//!   in the same batch: authentication costs no round trip of its own (see `store::credentials`).

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::d1::serde_wasm_bindgen;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1DatabaseSession, D1PreparedStatement, D1Result, Delay, Env};

use super::credentials::{self, CredentialCheck};
use super::postgres::{self, Connection, PgError, Postgres};
use super::users::UserRow;
use crate::domain::error::{ApiError, ApiResult};
use crate::sql::Dialect;

/// What a request's statements cost in D1.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct D1Usage {
    /// Calls to D1: a statement, or a batch of them.
    pub round_trips: u32,
    pub rows_read: u64,
    pub rows_written: u64,
}

/// A statement with its arguments bound (`?1`..), for whichever database the request's `Db`
/// runs on: `statement!(sql, arguments...)`.
#[macro_export]
macro_rules! statement {
    ($query:expr) => {
        $crate::domain::error::ApiResult::Ok($crate::store::db::Statement::new($query, Vec::new()))
    };
    ($query:expr, $($args:expr),* $(,)?) => {
        $crate::store::db::Statement::bound($query, &[$($crate::store::db::value(&$args)),*])
    };
}

/// One SQL statement and its arguments, not yet sent.
#[derive(Debug, Clone)]
pub struct Statement {
    sql: String,
    arguments: Vec<JsValue>,
    /// Runs only when the statement before it (in its batch) changed a row: the change-log entry
    /// of a write that may match nothing.
    after_a_change: bool,
    /// What this statement's batch queues behind (see `queued_behind`).
    queue: Option<String>,
}

impl Statement {
    pub fn new(sql: impl Into<String>, arguments: Vec<JsValue>) -> Statement {
        Statement {
            sql: sql.into(),
            arguments,
            after_a_change: false,
            queue: None,
        }
    }

    /// `sql` with `arguments`, the first failure to convert one as the error.
    pub fn bound(sql: &str, arguments: &[ApiResult<JsValue>]) -> ApiResult<Statement> {
        let values = arguments.iter().cloned().collect::<ApiResult<Vec<_>>>()?;
        Ok(Statement::new(sql, values))
    }

    /// This statement, run only if the one before it changed a row. Its SQL must be an
    /// `insert … select …` without a `where`: D1 adds `where changes() > 0`.
    pub fn after_a_change(mut self) -> Statement {
        self.after_a_change = true;
        self
    }

    /// This statement, in a batch that must not interleave with another batch queued behind
    /// `key`: a user's id for their writes (a quota's count, the change log's order), a name for
    /// an invariant across users. D1 runs one batch at a time anyway; on Postgres the batch's
    /// transaction first takes `key`'s lock, so those batches queue as on D1.
    pub fn queued_behind(mut self, key: &str) -> Statement {
        self.queue = Some(key.to_owned());
        self
    }

    fn on_d1(&self, d1: &D1) -> ApiResult<D1PreparedStatement> {
        let prepared = if self.after_a_change {
            d1.prepare(&format!("{} where changes() > 0", self.sql))
        } else {
            d1.prepare(&self.sql)
        };
        Ok(prepared.bind(&self.arguments)?)
    }

    /// The statement for Postgres: `$n` for `?n`, the same arguments.
    fn on_postgres(&self) -> postgres::Statement {
        let mut sql = String::with_capacity(self.sql.len());
        let mut chars = self.sql.chars().peekable();
        while let Some(c) = chars.next() {
            let numbered = c == '?' && chars.peek().is_some_and(char::is_ascii_digit);
            sql.push(if numbered { '$' } else { c });
        }
        postgres::Statement::of_values(sql, self.arguments.iter().collect())
    }
}

/// What one statement returned: its rows, read when asked for, and how many rows it changed.
pub struct Rows {
    result: Returned,
    changes: u64,
}

enum Returned {
    D1(D1Result),
    Postgres(postgres::Outcome),
    /// An `after_a_change` statement whose predecessor changed nothing.
    Skipped,
}

impl Rows {
    fn of_postgres(outcome: postgres::Outcome) -> Rows {
        Rows {
            changes: outcome.row_count(),
            result: Returned::Postgres(outcome),
        }
    }

    /// The rows as `T`.
    pub fn results<T: DeserializeOwned>(&self) -> ApiResult<Vec<T>> {
        match &self.result {
            Returned::D1(result) => Ok(result.results::<T>()?),
            Returned::Postgres(outcome) => Ok(outcome.rows::<T>()?),
            Returned::Skipped => Ok(Vec::new()),
        }
    }

    /// How many rows it inserted, updated or deleted.
    pub fn changes(&self) -> u64 {
        self.changes
    }
}

/// A statement argument as D1 takes it (`None` as `NULL`).
pub fn value<T: Serialize + ?Sized>(argument: &T) -> ApiResult<JsValue> {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    argument
        .serialize(&serializer)
        .map_err(|e| ApiError::internal(format!("bind: {e}")))
}

/// Whether `error` is a batch that the check constraint named `constraint` failed (the guard
/// tables of migrations 0014 and 0015 fail a transaction on purpose).
pub fn failed_by(error: &ApiError, constraint: &str) -> bool {
    error
        .internal_detail
        .as_deref()
        .is_some_and(|detail| detail.contains(constraint))
}

/// The request header (and response header) carrying a D1 Sessions API bookmark.
pub const BOOKMARK_HEADER: &str = "x-d1-bookmark";

/// D1 as a request reads it: through a session of the Sessions API, so reads may go to a read
/// replica yet never see the database older than the bookmark the client sent (its own last
/// write included); or the binding itself, for work outside a request.
pub enum D1 {
    Session(D1DatabaseSession),
    Binding(D1Database),
}

impl D1 {
    /// A session starting at `bookmark` (one this API returned), else at any replica.
    pub fn session(env: &Env, bookmark: Option<&str>) -> ApiResult<D1> {
        let start = bookmark.unwrap_or("first-unconstrained");
        Ok(D1::Session(env.d1("DB")?.with_session(Some(start))?))
    }

    /// The bookmark after everything this session read and wrote, for the client's next request.
    pub fn bookmark(&self) -> Option<String> {
        match self {
            D1::Session(session) => session.get_bookmark().ok().flatten(),
            D1::Binding(_) => None,
        }
    }

    fn prepare(&self, query: &str) -> D1PreparedStatement {
        match self {
            D1::Session(session) => session.prepare(query),
            D1::Binding(database) => database.prepare(query),
        }
    }

    async fn batch(&self, statements: Vec<D1PreparedStatement>) -> worker::Result<Vec<D1Result>> {
        match self {
            D1::Session(session) => session.batch(statements).await,
            D1::Binding(database) => database.batch(statements).await,
        }
    }
}

/// The SQL database a request's statements run on: D1, or Postgres where the worker has the
/// `CONTENT_DB` Hyperdrive binding (`store::postgres`). The same statements run on either.
#[derive(Clone)]
pub enum Database {
    D1(Rc<D1>),
    Postgres(Rc<Postgres>),
}

impl Database {
    /// The request's database: Postgres when configured, else a D1 session starting at
    /// `bookmark`.
    pub fn for_request(env: &Env, bookmark: Option<&str>) -> ApiResult<Database> {
        Ok(match Postgres::from_env(env)? {
            Some(postgres) => Database::Postgres(Rc::new(postgres)),
            None => Database::D1(Rc::new(D1::session(env, bookmark)?)),
        })
    }

    /// The database for work outside a request.
    fn detached(env: &Env) -> ApiResult<Database> {
        Ok(match Postgres::from_env(env)? {
            Some(postgres) => Database::Postgres(Rc::new(postgres)),
            None => Database::D1(Rc::new(D1::Binding(env.d1("DB")?))),
        })
    }

    /// The D1 bookmark after everything this request read and wrote (none on Postgres).
    pub fn bookmark(&self) -> Option<String> {
        match self {
            Database::D1(d1) => d1.bookmark(),
            Database::Postgres(_) => None,
        }
    }
}

/// Runs `statements` on one Postgres connection: a lone read alone; anything else in one
/// transaction that first takes the advisory locks of what it queues behind (`user`, the
/// request's, and its statements' `queued_behind`), in order, so two never wait on each other.
/// D1 runs one batch at a time; with one user's batches queued behind their lock, every
/// statement of a batch (read committed: each sees what committed before it) reads what D1
/// would: none of that user's changes land between them. Each `after_a_change` statement runs
/// only if the one before it changed a row. A deadlock (users locked by another path) is run
/// again.
async fn on_postgres(
    postgres: &Postgres,
    user: Option<&str>,
    statements: &[Statement],
) -> Result<Vec<Rows>, PgError> {
    postgres
        .with(async |connection: &Connection| {
            // A lone read is consistent by itself and needs no transaction's round trips.
            if let [statement] = statements
                && statement.queue.is_none()
                && statement.sql.trim_start().starts_with("select")
            {
                return Ok(vec![Rows::of_postgres(run(connection, statement).await?)]);
            }
            let users: BTreeSet<&str> = statements
                .iter()
                .filter_map(|s| s.queue.as_deref())
                .chain(user)
                .collect();
            let mut attempt = 1;
            loop {
                match in_transaction(connection, &users, statements).await {
                    Err(error) if error.is_serialization_failure() && attempt < ATTEMPTS => {
                        attempt += 1;
                        Delay::from(Duration::from_millis(u64::from(attempt) * 5)).await;
                    }
                    outcome => return outcome,
                }
            }
        })
        .await
}

/// How often a batch that deadlocked runs before its failure is the answer (a `503`, to be
/// retried later).
const ATTEMPTS: u32 = 4;

async fn in_transaction(
    connection: &Connection,
    users: &BTreeSet<&str>,
    statements: &[Statement],
) -> Result<Vec<Rows>, PgError> {
    connection
        .in_transaction(async |connection: &Connection| {
            for user in users {
                connection
                    .execute(
                        "select pg_advisory_xact_lock(hashtextextended($1, 0))",
                        (user,),
                    )
                    .await?;
            }
            let mut rows: Vec<Rows> = Vec::with_capacity(statements.len());
            for statement in statements {
                let changed = rows.last().is_some_and(|last| last.changes > 0);
                rows.push(if statement.after_a_change && !changed {
                    Rows {
                        result: Returned::Skipped,
                        changes: 0,
                    }
                } else {
                    Rows::of_postgres(run(connection, statement).await?)
                });
            }
            Ok(rows)
        })
        .await
}

/// Runs one statement; a failure that is no refusal and no outage (a statement Postgres cannot
/// run: a bug) names the statement in the log, without its arguments.
async fn run(connection: &Connection, statement: &Statement) -> Result<postgres::Outcome, PgError> {
    let run = connection.run(&statement.on_postgres()).await;
    if let Err(error @ PgError::Failed { .. }) = &run {
        worker::console_warn!("postgres: {error} in: {}", statement.sql);
    }
    run
}

/// Whether `text` has the shape of a D1 bookmark (hex groups joined by `-`), so a made-up
/// header is a `400`, never a failure inside D1.
pub fn is_bookmark(text: &str) -> bool {
    (1..=200).contains(&text.len())
        && text
            .split('-')
            .all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A request's database: counting into its `D1Usage`, checking its credential on the way.
pub struct Db {
    database: Database,
    usage: Rc<Cell<D1Usage>>,
    check: Rc<RefCell<CredentialCheck>>,
}

impl Db {
    pub fn new(
        database: Database,
        usage: Rc<Cell<D1Usage>>,
        check: Rc<RefCell<CredentialCheck>>,
    ) -> Db {
        Db {
            database,
            usage,
            check,
        }
    }

    /// The SQL its database speaks where the stores' statements differ (a list's search).
    pub fn dialect(&self) -> Dialect {
        match self.database {
            Database::D1(_) => Dialect::Sqlite,
            Database::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The database for work outside a request's reads (after a response, the cron), counted
    /// nowhere and checking nothing.
    pub fn detached(env: &Env) -> ApiResult<Db> {
        Ok(Db::new(
            Database::detached(env)?,
            Rc::default(),
            Rc::default(),
        ))
    }

    /// The batch's results, their meta read once: for the request's usage and each result's
    /// changes.
    fn count(&self, results: Vec<D1Result>) -> Vec<Rows> {
        let mut usage = self.usage.get();
        usage.round_trips += 1;
        let rows = results
            .into_iter()
            .map(|result| {
                let meta = result.meta().ok().flatten();
                let (read, written, changes) = meta.map_or((0, 0, 0), |meta| {
                    (
                        meta.rows_read.unwrap_or(0),
                        meta.rows_written.unwrap_or(0),
                        meta.changes.unwrap_or(0),
                    )
                });
                usage.rows_read += read as u64;
                usage.rows_written += written as u64;
                Rows {
                    result: Returned::D1(result),
                    changes: changes as u64,
                }
            })
            .collect();
        self.usage.set(usage);
        rows
    }

    async fn send(&self, statements: Vec<Statement>) -> ApiResult<Vec<Rows>> {
        match &self.database {
            Database::D1(d1) => {
                let prepared = statements
                    .iter()
                    .map(|statement| statement.on_d1(d1))
                    .collect::<ApiResult<Vec<_>>>()?;
                Ok(self.count(d1.batch(prepared).await?))
            }
            Database::Postgres(postgres) => {
                let user = self.credential_user();
                let rows = on_postgres(postgres, user.as_deref(), &statements).await;
                let mut usage = self.usage.get();
                usage.round_trips += 1;
                self.usage.set(usage);
                Ok(rows?)
            }
        }
    }

    /// The user the request's credential claims or proved, if it has one.
    fn credential_user(&self) -> Option<String> {
        match &*self.check.borrow() {
            CredentialCheck::Pending(prelude) | CredentialCheck::Confirmed(prelude, _) => {
                Some(prelude.user_id().to_owned())
            }
            CredentialCheck::Nothing | CredentialCheck::Refused => None,
        }
    }

    /// Puts the check of a claimed credential in front of the next batch.
    pub fn check_with_first_batch(&self, prelude: credentials::Prelude) {
        self.check.replace(CredentialCheck::Pending(prelude));
    }

    /// Runs `statements` as one transaction in one round trip, behind the credential's check
    /// while it is pending: a refused credential is `401` and, on a write, nothing was written.
    pub async fn batch(&self, statements: Vec<Statement>) -> ApiResult<Vec<Rows>> {
        let Some(prelude) = self.pending()? else {
            return self.send(statements).await;
        };
        let mut all = prelude.statements()?;
        let lead = all.len();
        all.extend(statements);
        match self.send(all).await {
            Ok(mut results) => {
                self.settle(&prelude, results.first())?;
                results.drain(..lead);
                Ok(results)
            }
            Err(error) if credentials::is_refusal(&error) => {
                self.refuse(&prelude);
                Err(credentials::refused())
            }
            Err(error) if credentials::is_settings_change(&error) => {
                // Nothing was written; read the credential (and the settings now stored) alone.
                self.check_alone(&prelude.read_only()).await?;
                Err(credentials::settings_changed())
            }
            Err(error) => {
                // The guard ran before the statement that failed: the credential is live.
                if prelude.guarded {
                    self.confirm(&prelude, None);
                }
                Err(error)
            }
        }
    }

    /// The prelude still to send, `None` once the credential is checked (or there is none).
    fn pending(&self) -> ApiResult<Option<credentials::Prelude>> {
        match &*self.check.borrow() {
            CredentialCheck::Pending(prelude) => Ok(Some(prelude.clone())),
            CredentialCheck::Refused => Err(credentials::refused()),
            CredentialCheck::Nothing | CredentialCheck::Confirmed(..) => Ok(None),
        }
    }

    /// Decides the check from the prelude's first result: refused without the live row;
    /// `settings_changed` when the settings the route used are no longer the stored ones.
    fn settle(&self, prelude: &credentials::Prelude, first: Option<&Rows>) -> ApiResult<UserRow> {
        let row = first.map(|result| prelude.read(result)).transpose()?;
        let Some(row) = row.flatten() else {
            self.refuse(prelude);
            return Err(credentials::refused());
        };
        let stale = prelude
            .settings_in_use
            .as_ref()
            .is_some_and(|used| *used != row.settings);
        self.confirm(prelude, Some(row.clone()));
        if stale {
            return Err(credentials::settings_changed());
        }
        Ok(row)
    }

    fn confirm(&self, prelude: &credentials::Prelude, row: Option<UserRow>) {
        if let Some(row) = &row {
            credentials::remember_settings(&row.id, row.settings.as_deref());
        }
        self.check
            .replace(CredentialCheck::Confirmed(prelude.read_only(), row));
    }

    fn refuse(&self, prelude: &credentials::Prelude) {
        prelude.forget();
        self.check.replace(CredentialCheck::Refused);
    }

    /// The check of `prelude` alone, as a read (with the same verdict on the settings in use).
    async fn check_alone(&self, prelude: &credentials::Prelude) -> ApiResult<UserRow> {
        let results = self.send(prelude.read_only().statements()?).await?;
        self.settle(prelude, results.first())
    }

    /// Checks a pending credential now, alone (a route about to act outside D1, or done without
    /// a statement); nothing to do once it is checked.
    pub async fn confirm_credential(&self) -> ApiResult<()> {
        if let Some(prelude) = self.pending()? {
            self.check_alone(&prelude).await?;
        }
        Ok(())
    }

    /// The caller's user row as D1 holds it now (read with the credential's check).
    pub async fn confirmed_user(&self) -> ApiResult<UserRow> {
        let prelude = match &*self.check.borrow() {
            CredentialCheck::Confirmed(_, Some(row)) => return Ok(row.clone()),
            CredentialCheck::Pending(prelude) | CredentialCheck::Confirmed(prelude, None) => {
                prelude.clone()
            }
            CredentialCheck::Refused => return Err(credentials::refused()),
            CredentialCheck::Nothing => {
                return Err(ApiError::internal("no credential to read the user with"));
            }
        };
        self.check_alone(&prelude).await
    }

    /// The stored settings a route may use now: those the check read, or `claimed` (the
    /// isolate's last read, then checked by the batch that checks the credential), or, with
    /// neither, read now.
    pub async fn caller_settings(
        &self,
        claimed: &Option<Option<String>>,
    ) -> ApiResult<Option<String>> {
        let known = match &mut *self.check.borrow_mut() {
            CredentialCheck::Confirmed(_, Some(row)) => Some(row.settings.clone()),
            CredentialCheck::Pending(prelude) if claimed.is_some() => {
                prelude.settings_in_use = claimed.clone();
                claimed.clone()
            }
            _ => None,
        };
        match known {
            Some(stored) => Ok(stored),
            None => Ok(self.confirmed_user().await?.settings),
        }
    }
}

/// Running a statement on a `Db`, counted (and checked, while the credential is pending).
pub trait Metered {
    async fn all_in(self, db: &Db) -> ApiResult<Rows>;
    async fn run_in(self, db: &Db) -> ApiResult<Rows>;
    async fn first_in<T: DeserializeOwned>(self, db: &Db) -> ApiResult<Option<T>>;
}

impl Metered for Statement {
    async fn all_in(self, db: &Db) -> ApiResult<Rows> {
        db.batch(vec![self])
            .await?
            .pop()
            .ok_or_else(|| ApiError::internal("D1 returned no result"))
    }

    async fn run_in(self, db: &Db) -> ApiResult<Rows> {
        self.all_in(db).await
    }

    /// The first row, read from the whole result so its meta is counted.
    async fn first_in<T: DeserializeOwned>(self, db: &Db) -> ApiResult<Option<T>> {
        Ok(self.all_in(db).await?.results::<T>()?.into_iter().next())
    }
}
