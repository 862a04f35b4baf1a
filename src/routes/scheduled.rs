//! The Cron Trigger's work (wrangler.toml `[triggers] crons`): what requests left unfinished is
//! finished, and what has expired is removed (`store::maintenance`). Each step logs its failure
//! and leaves its rows for the next run.

use worker::{Date, Env};

use crate::domain::time::Millis;
use crate::routes::habits;
use crate::store::db::Db;
use crate::store::maintenance;

pub async fn run(env: Env) {
    let now = Millis(Date::now().as_millis());
    let db = match Db::detached(&env) {
        Ok(db) => db,
        Err(error) => {
            worker::console_error!("scheduled: {}", error.message);
            return;
        }
    };
    match habits::reconcile(&env, &db, now).await {
        Ok(finished) => worker::console_log!("scheduled: {finished} pending awards finished"),
        Err(error) => worker::console_error!("scheduled: reconcile: {}", error.message),
    }
    let purged = match crate::config::change_log_retention_ms(&env) {
        Ok(retention) => maintenance::purge(&db, now, retention).await,
        Err(error) => Err(error),
    };
    match purged {
        Ok(purged) => worker::console_log!("scheduled: {} expired rows removed", purged.rows),
        Err(error) => worker::console_error!("scheduled: purge: {}", error.message),
    }
}
