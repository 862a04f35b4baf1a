//! The rules of Passion Edge as plain Rust: no worker types, no clock, no randomness. Time and
//! random bytes come in as arguments, so everything here is tested natively and on wasm32.

pub mod account;
pub mod api_token;
pub mod audio;
pub mod blocklist;
pub mod calendar;
pub mod content;
pub mod cookie;
pub mod economy;
pub mod entity;
pub mod error;
pub mod focus;
pub mod habit;
pub mod id;
pub mod json_body;
pub mod oidc;
pub mod origin;
pub mod page;
pub mod schema;
pub mod secret;
pub mod session;
pub mod settings;
pub mod sync;
pub mod text;
pub mod time;
pub mod user;
