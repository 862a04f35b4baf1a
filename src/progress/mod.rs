//! The `UserProgress` Durable Object: one per user, the single writer of that user's XP and coin
//! ledger. The economy lands here with its issue; until then the class exists so the binding and
//! its SQLite migration are in place from the first deploy.

use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

#[durable_object]
pub struct UserProgress {
    _state: State,
}

impl DurableObject for UserProgress {
    fn new(state: State, _env: Env) -> Self {
        UserProgress { _state: state }
    }

    async fn fetch(&self, _request: Request) -> Result<Response> {
        Response::error("unknown progress command", 404)
    }
}
