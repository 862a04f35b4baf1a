//! The API's route table: one module per resource, each thin (parse → store/object → respond).

mod account;
mod admin;
mod app;
mod audio;
mod auth;
mod books;
mod content;
mod focus;
mod goals;
mod habits;
mod health;
mod me;
mod openapi;
mod progress;
mod quests;
mod rewards;
pub mod scheduled;
mod settings;
mod sync;
mod tokens;
mod workouts;

use std::rc::Rc;

use crate::http::Routes;
use crate::store::books::Books;
use crate::store::goals::Goals;
use crate::store::habits::Habits;
use crate::store::quests::Quests;
use crate::store::workouts::Workouts;

thread_local! {
    static ROUTES: Rc<Routes> = Rc::new(table());
}

/// The table, built once per isolate and shared by the requests it serves.
pub fn shared() -> Rc<Routes> {
    ROUTES.with(Rc::clone)
}

fn table() -> Routes {
    Routes::new()
        .get("/api/health", health::get)
        .get("/api/openapi.json", openapi::get)
        .get("/api/auth/providers", auth::providers)
        .signs_in()
        .get("/api/auth/signin/:provider", auth::sign_in)
        .signs_in()
        .get("/api/auth/callback/:provider", auth::callback)
        .signs_in()
        .post("/api/auth/dev/signin", auth::dev_sign_in)
        .signs_in()
        .quiet()
        .get("/api/auth/session", auth::session)
        .post("/api/auth/signout", auth::sign_out)
        .quiet()
        .post("/api/auth/signout-all", auth::sign_out_everywhere)
        .quiet()
        .get("/api/me/export", account::export)
        .delete("/api/me", account::erase)
        .get("/api/me/sessions", me::list_sessions)
        .delete("/api/me/sessions/:id", me::end_session)
        .get("/api/tokens", tokens::list)
        .post("/api/tokens", tokens::create)
        .quiet()
        .delete("/api/tokens/:id", tokens::revoke)
        .quiet()
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
        .get("/api/admin/users", admin::list_users)
        .get("/api/admin/users/:id", admin::get_user)
        .post(
            "/api/admin/users/:id/sessions/revoke",
            admin::revoke_sessions,
        )
        .get("/api/admin/audit", admin::audit_log)
        .get("/api/admin/stats", admin::stats)
        .get("/api/admin/errors", admin::errors)
        .get("/api/goals", content::list::<Goals>)
        .post("/api/goals", goals::create)
        .get("/api/goals/archived", content::archived::<Goals>)
        .get("/api/goals/:id", content::get::<Goals>)
        .add(worker::Method::Patch, "/api/goals/:id", goals::patch)
        .delete("/api/goals/:id", content::delete::<Goals>)
        .post("/api/goals/:id/restore", content::restore::<Goals>)
        .post("/api/goals/:id/complete", goals::complete)
        .get("/api/habits", habits::list)
        .post("/api/habits", habits::create)
        .get("/api/habits/archived", habits::archived)
        .get("/api/habits/:id", habits::get)
        .add(worker::Method::Patch, "/api/habits/:id", habits::patch)
        .delete("/api/habits/:id", content::delete::<Habits>)
        .post("/api/habits/:id/restore", habits::restore)
        .post("/api/habits/:id/complete", habits::complete)
        .delete("/api/habits/:id/complete", habits::undo)
        .get("/api/habits/:id/history", habits::history)
        .get("/api/quests", content::list::<Quests>)
        .post("/api/quests", quests::create)
        .get("/api/quests/archived", content::archived::<Quests>)
        .get("/api/quests/:id", content::get::<Quests>)
        .add(worker::Method::Patch, "/api/quests/:id", quests::patch)
        .delete("/api/quests/:id", content::delete::<Quests>)
        .post("/api/quests/:id/restore", content::restore::<Quests>)
        .post("/api/quests/:id/complete", quests::complete)
        .get("/api/workouts", content::list::<Workouts>)
        .post("/api/workouts", workouts::create)
        .get("/api/workouts/archived", content::archived::<Workouts>)
        .get("/api/workouts/:id", content::get::<Workouts>)
        .add(worker::Method::Patch, "/api/workouts/:id", workouts::patch)
        .delete("/api/workouts/:id", workouts::delete)
        .post("/api/workouts/:id/restore", workouts::restore)
        .get("/api/books", content::list::<Books>)
        .post("/api/books", books::create)
        .get("/api/books/archived", content::archived::<Books>)
        .get("/api/books/:id", content::get::<Books>)
        .add(worker::Method::Patch, "/api/books/:id", books::patch)
        .delete("/api/books/:id", content::delete::<Books>)
        .post("/api/books/:id/restore", content::restore::<Books>)
        .post("/api/focus/start", focus::start)
        .post("/api/focus/pause", focus::pause)
        .post("/api/focus/resume", focus::resume)
        .post("/api/focus/end", focus::end)
        .get("/api/focus/active", focus::get_active)
        .get("/api/focus", focus::history)
        .get("/api/focus/stats", focus::stats)
        .get("/api/audio", audio::list)
        .post("/api/audio", audio::upload)
        .get("/api/audio/:id", audio::download)
        .delete("/api/audio/:id", audio::delete)
        .post("/api/sync/poll", sync::poll)
        .quiet()
        .post("/api/sync/push", sync::push)
        .get("/api/sync/ws", sync::socket)
        .get("/api/settings", settings::get)
        .add(worker::Method::Patch, "/api/settings", settings::patch)
        .get("/", app::page)
        .get("/:file", app::file)
}
