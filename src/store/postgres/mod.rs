//! Postgres as the content store (issue 18), beside D1: reached through a Hyperdrive binding,
//! chosen by that binding's presence alone (`CONTENT_DB` in wrangler.toml; without it D1 holds
//! everything, as before). The schema is `migrations/postgres/`, applied by
//! `scripts/postgres.sh migrate`, which records each migration in `schema_migrations`.
//!
//! - `client`: the connection of one unit of work (`Postgres::with`), statements, transactions.
//! - `error`: what failed, sorted into retry later (503), a constraint by name, or a bug.
//! - `schema`: which migrations the database has applied, for `/api/health`.
//! - `pg.js`: the JavaScript glue around npm `pg`, bundled by `scripts/esbuild-worker.sh`.

// Health is the first user; the content repositories written against this API come next.
#![allow(
    dead_code,
    unused_imports,
    reason = "the Postgres store's API, used by /api/health and the content repositories to come"
)]

mod client;
mod error;
pub mod schema;

pub use client::{BINDING, Connection, Outcome, Postgres, Statement};
pub use error::{PgError, RETRY_AFTER_SECONDS, Violation, ViolationKind};
