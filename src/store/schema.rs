//! Which migrations wrangler has applied, from the `d1_migrations` table it keeps in D1.

use super::db::{Db, Metered};
use crate::statement;
use serde::Deserialize;

use crate::domain::error::ApiResult;

pub async fn applied_migrations(db: &Db) -> ApiResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        name: String,
    }
    #[derive(Deserialize)]
    struct Count {
        n: u32,
    }
    // A database no migration has touched has no `d1_migrations` table yet, and reading a missing
    // table is an error, so ask the catalog first.
    let tracked = statement!(
        "select count(*) as n from sqlite_master where type = 'table' and name = 'd1_migrations'"
    )?
    .first_in::<Count>(db)
    .await?
    .map_or(0, |count| count.n);
    if tracked == 0 {
        return Ok(Vec::new());
    }
    let rows = statement!("select name from d1_migrations order by id")?
        .all_in(db)
        .await?
        .results::<Row>()?;
    Ok(rows.into_iter().map(|row| row.name).collect())
}
