//! The D1 database as one request uses it: every statement's result meta (rows read and written)
//! is added up for the request's log line, so what a route costs in D1 is measured, not guessed.

use std::cell::Cell;
use std::ops::Deref;
use std::rc::Rc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

use crate::domain::error::ApiResult;

/// What a request's statements cost in D1.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct D1Usage {
    /// Calls to D1: a statement, or a batch of them.
    pub round_trips: u32,
    pub rows_read: u64,
    pub rows_written: u64,
}

/// A D1 database counting into a request's `D1Usage`. It derefs to `D1Database`, so `query!`
/// prepares statements on it as on the binding; run them with `Metered` and `Db::batch`.
pub struct Db {
    d1: D1Database,
    usage: Rc<Cell<D1Usage>>,
}

impl Deref for Db {
    type Target = D1Database;

    fn deref(&self) -> &D1Database {
        &self.d1
    }
}

impl Db {
    pub fn new(d1: D1Database, usage: Rc<Cell<D1Usage>>) -> Db {
        Db { d1, usage }
    }

    /// The database for work after a response is sent, counted nowhere.
    pub fn detached(env: &Env) -> ApiResult<Db> {
        Ok(Db::new(env.d1("DB")?, Rc::default()))
    }

    fn count<'a>(&self, results: impl IntoIterator<Item = &'a D1Result>) {
        let mut usage = self.usage.get();
        usage.round_trips += 1;
        for meta in results
            .into_iter()
            .filter_map(|result| result.meta().ok().flatten())
        {
            usage.rows_read += meta.rows_read.unwrap_or(0) as u64;
            usage.rows_written += meta.rows_written.unwrap_or(0) as u64;
        }
        self.usage.set(usage);
    }

    /// Runs `statements` as one transaction in one round trip.
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> ApiResult<Vec<D1Result>> {
        let results = self.d1.batch(statements).await?;
        self.count(&results);
        Ok(results)
    }
}

/// Running a statement on a `Db`, counted.
pub trait Metered {
    async fn all_in(self, db: &Db) -> ApiResult<D1Result>;
    async fn run_in(self, db: &Db) -> ApiResult<D1Result>;
    async fn first_in<T: DeserializeOwned>(self, db: &Db) -> ApiResult<Option<T>>;
}

impl Metered for D1PreparedStatement {
    async fn all_in(self, db: &Db) -> ApiResult<D1Result> {
        let result = self.all().await?;
        db.count([&result]);
        Ok(result)
    }

    async fn run_in(self, db: &Db) -> ApiResult<D1Result> {
        let result = self.run().await?;
        db.count([&result]);
        Ok(result)
    }

    /// The first row, read from the whole result so its meta is counted.
    async fn first_in<T: DeserializeOwned>(self, db: &Db) -> ApiResult<Option<T>> {
        Ok(self.all_in(db).await?.results::<T>()?.into_iter().next())
    }
}
