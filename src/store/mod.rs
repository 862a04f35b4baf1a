//! D1, KV and R2 access: the only code that writes SQL. Every user-owned query is scoped by
//! `user_id`.

pub mod api_tokens;
pub mod audio;
pub mod audit;
pub mod books;
pub mod content;
pub mod credentials;
pub mod db;
pub mod entities;
pub mod erasure;
pub mod errors;
pub mod focus;
pub mod goals;
pub mod habits;
pub mod idempotency;
pub mod maintenance;
pub mod oauth_states;
pub mod postgres;
pub mod quests;
pub mod schema;
pub mod sessions;
pub mod settings;
pub mod stats;
pub mod sync;
pub mod users;
pub mod workouts;
