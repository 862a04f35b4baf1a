//! `GET /api/health`: the build's version and whether the content store (D1, or Postgres where
//! the `CONTENT_DB` binding is configured) has every migration the code expects.

use std::cell::Cell;

use serde::Serialize;
use worker::Response;

use crate::domain::error::{ApiError, ApiResult};
use crate::domain::schema::{SchemaStatus, VERSION};
use crate::http::{RequestContext, ok};
use crate::store;
use crate::store::postgres::{self, Postgres};

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    schema: SchemaStatus,
    /// Configuration an operator should fix (the worker runs, with the unsafe part off).
    problems: Vec<&'static str>,
    /// The isolate's wasm memory, where the dev sign-in is on (the bench's soak watches it).
    #[serde(skip_serializing_if = "Option::is_none")]
    wasm_memory_bytes: Option<usize>,
}

thread_local! {
    /// The schema once seen current: migrations come with new code, so within this deploy it stays
    /// current, and health needs no D1 read again (probes cost nothing).
    static CURRENT_SCHEMA: Cell<Option<SchemaStatus>> = const { Cell::new(None) };
}

pub async fn get(cx: RequestContext) -> ApiResult<Response> {
    let schema = match Postgres::from_env(&cx.env)? {
        Some(content_db) => postgres_schema(&content_db).await?,
        None => d1_schema(&cx).await?,
    };
    let problems = crate::config::problems(&cx.env);
    ok(&Health {
        status: if problems.is_empty() {
            "ok"
        } else {
            "misconfigured"
        },
        problems,
        version: VERSION,
        schema,
        wasm_memory_bytes: crate::config::dev_auth_enabled(&cx.env).then(wasm_memory_bytes),
    })
}

async fn d1_schema(cx: &RequestContext) -> ApiResult<SchemaStatus> {
    let schema = match CURRENT_SCHEMA.with(Cell::get) {
        Some(schema) => schema,
        None => {
            let applied = store::schema::applied_migrations(&cx.db()?).await?;
            SchemaStatus::of_this_build(applied.iter().map(String::as_str))
        }
    };
    if !schema.is_current() {
        return Err(ApiError::unavailable(format!(
            "the database schema is behind the code: {} of {} migrations applied; \
             run `wrangler d1 migrations apply`",
            schema.applied, schema.expected
        )));
    }
    CURRENT_SCHEMA.with(|current| current.set(Some(schema)));
    Ok(schema)
}

/// Postgres is a server of its own that can be down while the worker runs, so unlike D1 its
/// ledger is read on every probe: the read is also the check that the database answers (a
/// `503` with `Retry-After` when it does not, and `200` again as soon as it does).
async fn postgres_schema(content_db: &Postgres) -> ApiResult<SchemaStatus> {
    let applied = postgres::schema::applied_migrations(content_db).await?;
    let schema = SchemaStatus::of_this_build(applied.iter().map(String::as_str));
    if !schema.is_current() {
        return Err(ApiError::unavailable(format!(
            "the Postgres schema is behind the code: {} of {} migrations applied; \
             run `scripts/postgres.sh migrate` with the database's URL",
            schema.applied, schema.expected
        )));
    }
    Ok(schema)
}

#[cfg(target_arch = "wasm32")]
fn wasm_memory_bytes() -> usize {
    core::arch::wasm32::memory_size::<0>() * 65_536
}

#[cfg(not(target_arch = "wasm32"))]
fn wasm_memory_bytes() -> usize {
    0
}
