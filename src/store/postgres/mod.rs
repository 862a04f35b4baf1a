//! Postgres as the SQL database instead of D1 (issue 18): reached through a Hyperdrive binding,
//! chosen by that binding's presence alone (`CONTENT_DB` in wrangler.toml; without it D1 holds
//! everything, as before). `store::db` sends the same statements to either. The schema is
//! `migrations/postgres/`, applied by `scripts/postgres.sh migrate`, which records each
//! migration in `schema_migrations`.
//!
//! - `client`: the connection of one unit of work (`Postgres::with`), statements, transactions.
//! - `error`: what failed, sorted into retry later (503), a constraint by name, or a bug.
//! - `schema`: which migrations the database has applied, for `/api/health`.
//! - `pg.js`: the JavaScript glue around npm `pg`, bundled by `scripts/esbuild-worker.sh`.

mod client;
mod error;
pub mod schema;

pub use client::{Connection, Outcome, Postgres, Statement};
pub use error::PgError;
