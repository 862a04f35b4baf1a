//! The API's route table: one module per resource, each thin (parse → store/object → respond).

mod admin;
mod auth;
mod content;
mod goals;
mod health;
mod me;
mod openapi;
mod progress;
mod rewards;
mod settings;
mod tokens;

use crate::http::Routes;
use crate::store::goals::Goals;

pub fn table() -> Routes {
    Routes::new()
        .get("/api/health", health::get)
        .get("/api/openapi.json", openapi::get)
        .get("/api/auth/providers", auth::providers)
        .get("/api/auth/signin/:provider", auth::sign_in)
        .get("/api/auth/callback/:provider", auth::callback)
        .post("/api/auth/dev/signin", auth::dev_sign_in)
        .get("/api/auth/session", auth::session)
        .post("/api/auth/signout", auth::sign_out)
        .post("/api/auth/signout-all", auth::sign_out_everywhere)
        .get("/api/me/sessions", me::list_sessions)
        .delete("/api/me/sessions/:id", me::end_session)
        .get("/api/tokens", tokens::list)
        .post("/api/tokens", tokens::create)
        .delete("/api/tokens/:id", tokens::revoke)
        .get("/api/progress", progress::get)
        .get("/api/achievements", progress::achievements)
        .get("/api/ledger", progress::ledger)
        .get("/api/rewards", rewards::list)
        .post("/api/rewards", rewards::create)
        .post("/api/rewards/:id/redeem", rewards::redeem)
        .add(
            worker::Method::Patch,
            "/api/admin/users/:id",
            admin::update_user,
        )
        .post("/api/admin/users/:id/claim", admin::claim)
        .get("/api/goals", content::list::<Goals>)
        .post("/api/goals", goals::create)
        .get("/api/goals/archived", content::archived::<Goals>)
        .get("/api/goals/:id", content::get::<Goals>)
        .add(worker::Method::Patch, "/api/goals/:id", goals::patch)
        .delete("/api/goals/:id", content::delete::<Goals>)
        .post("/api/goals/:id/restore", content::restore::<Goals>)
        .post("/api/goals/:id/complete", goals::complete)
        .get("/api/settings", settings::get)
        .add(worker::Method::Patch, "/api/settings", settings::patch)
}
