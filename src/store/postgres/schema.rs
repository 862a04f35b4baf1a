//! Which migrations of `migrations/postgres/` the content database has applied, from the
//! `schema_migrations (name text primary key, ...)` table `scripts/postgres.sh migrate` keeps.

use serde::Deserialize;

use super::{Connection, PgError, Postgres};

/// SQLSTATE undefined_table.
const UNDEFINED_TABLE: &str = "42P01";

pub async fn applied_migrations(postgres: &Postgres) -> Result<Vec<String>, PgError> {
    #[derive(Deserialize)]
    struct Row {
        name: String,
    }
    postgres
        .with(async |connection: &Connection| {
            // A database no migration has touched has no ledger yet; asking is one round trip
            // either way, so the missing table is read as "nothing applied" rather than checked
            // for first.
            match connection
                .query::<Row>("select name from schema_migrations order by name", ())
                .await
            {
                Ok(rows) => Ok(rows.into_iter().map(|row| row.name).collect()),
                Err(error) if error.sqlstate() == Some(UNDEFINED_TABLE) => Ok(Vec::new()),
                Err(error) => Err(error),
            }
        })
        .await
}
