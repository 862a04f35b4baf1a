//! A request's credential, checked inside the request's first D1 batch instead of a round trip
//! of its own.
//!
//! Authentication first *claims* the caller without D1: a session's record (from this isolate or
//! KV) or a token's claim (isolate, KV, or on first use D1) says who the user is. D1 stays the
//! authority: the first batch the request sends starts with this module's prelude, a read of the
//! credential's row joined with its user (live: not ended, revoked, expired or disabled) and, on
//! writes, a guard that fails the whole batch when that row is missing. So a revoked session or
//! token is refused on its very next request, and writes sent with it change nothing.
//!
//! Settings the route used before its batch (the user's calendar for a completion) came with the
//! claim; the batch checks they are still the stored ones, or fails as `settings_changed`, and
//! the route runs once more with the settings just read (`retry_on_settings_change`).

use super::db::{Rows, Statement};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;

use worker::wasm_bindgen::JsValue;

use super::db::failed_by;
use super::users::UserRow;
use super::{api_tokens, sessions};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::time::Millis;
use crate::statement;

/// Where a request's credential check stands.
#[derive(Debug, Default)]
pub enum CredentialCheck {
    /// No credential to check: anonymous routes, work after a response.
    #[default]
    Nothing,
    /// Claimed; the next batch carries the check.
    Pending(Prelude),
    /// Checked live, with the user row when the batch that checked it returned it.
    Confirmed(Prelude, Option<UserRow>),
    Refused,
}

/// The credential as presented, with the user it claims.
#[derive(Clone, Debug)]
pub enum Presented {
    Session {
        session_id: String,
        token_hash: String,
        user_id: String,
    },
    Token {
        token_hash: String,
        user_id: String,
    },
}

impl Presented {
    pub fn user_id(&self) -> &str {
        match self {
            Presented::Session { user_id, .. } | Presented::Token { user_id, .. } => user_id,
        }
    }
}

/// The statements that check a credential in front of a batch.
#[derive(Clone, Debug)]
pub struct Prelude {
    presented: Presented,
    now: String,
    /// Writes follow: a refused credential must fail the batch, not only be noticed after it.
    pub guarded: bool,
    /// The settings the route used before the batch (the stored text, `None` for defaults).
    pub settings_in_use: Option<Option<String>>,
}

impl Prelude {
    pub fn new(presented: Presented, now: Millis, guarded: bool) -> Prelude {
        Prelude {
            presented,
            now: now.to_rfc3339(),
            guarded,
            settings_in_use: None,
        }
    }

    /// The check alone, as a read: confirming before the route acts outside D1.
    pub fn read_only(&self) -> Prelude {
        Prelude {
            guarded: false,
            settings_in_use: None,
            ..self.clone()
        }
    }

    pub fn user_id(&self) -> &str {
        self.presented.user_id()
    }

    /// The credential's live row joined with its user, as `from ... where`, and its values.
    fn live_row(&self) -> (&'static str, Vec<&str>) {
        match &self.presented {
            Presented::Session {
                session_id,
                token_hash,
                ..
            } => (
                "from sessions s join users u on u.id = s.user_id
                  where s.id = ?1 and s.token_hash = ?2 and s.ended_at is null
                    and s.expires_at > ?3 and u.disabled = 0",
                vec![session_id, token_hash, &self.now],
            ),
            Presented::Token { token_hash, .. } => (
                "from api_tokens t join users u on u.id = t.user_id
                  where t.token_hash = ?1 and t.revoked_at is null
                    and (t.expires_at is null or t.expires_at > ?2) and u.disabled = 0",
                vec![token_hash, &self.now],
            ),
        }
    }

    pub fn statements(&self) -> ApiResult<Vec<Statement>> {
        let (live, values) = self.live_row();
        let values: Vec<ApiResult<JsValue>> =
            values.iter().map(|v| Ok(JsValue::from_str(v))).collect();
        let bound = |sql: String| Statement::bound(&sql, &values);
        let mut statements = vec![bound(format!(
            "select u.id, u.email, u.name, u.role, u.disabled, u.created_at, u.settings {live}"
        ))?];
        if self.guarded {
            statements.push(bound(format!(
                "insert into request_guard (refused) select 'credential'
                  where not exists (select 1 {live})"
            ))?);
            if let Some(settings) = &self.settings_in_use {
                statements.push(statement!(
                    "insert into request_guard (refused) select 'settings'
                      from users where id = ?1 and settings is distinct from ?2",
                    self.user_id(),
                    settings
                )?);
            }
        }
        Ok(statements)
    }

    /// The user the check found, `None` when the credential is refused.
    pub fn read(&self, result: &Rows) -> ApiResult<Option<UserRow>> {
        Ok(result
            .results::<UserRow>()?
            .pop()
            .filter(|user| user.id == self.user_id()))
    }

    /// Drops the claim from this isolate: its credential was refused.
    pub fn forget(&self) {
        match &self.presented {
            Presented::Session { token_hash, .. } => sessions::forget_claim(token_hash),
            Presented::Token { token_hash, .. } => api_tokens::forget_claim(token_hash),
        }
    }
}

pub fn refused() -> ApiError {
    ApiError::new(
        ErrorKind::Unauthorized,
        "sign in or present a valid API token",
    )
}

/// A batch failed by the credential's guard (see migration 0015).
pub fn is_refusal(error: &ApiError) -> bool {
    failed_by(error, "credential_refused")
}

pub fn is_settings_change(error: &ApiError) -> bool {
    failed_by(error, "settings_changed")
}

const SETTINGS_CHANGED: &str = "settings changed while the request ran";

pub fn settings_changed() -> ApiError {
    ApiError {
        internal_detail: Some(SETTINGS_CHANGED.to_owned()),
        ..ApiError::unavailable("your settings changed while this request ran: send it again")
    }
}

/// Runs `work` again, once, when the settings it used changed before its batch ran (the batch
/// wrote nothing; the second run reads the settings the first one's check returned).
pub async fn retry_on_settings_change<T, F: Future<Output = ApiResult<T>>>(
    work: impl Fn() -> F,
) -> ApiResult<T> {
    match work().await {
        Err(error) if error.internal_detail.as_deref() == Some(SETTINGS_CHANGED) => work().await,
        other => other,
    }
}

/// A map of at most `CAPACITY` entries, emptied when full: an isolate's memory of claims it
/// may drop at any time (D1 decides, the map only saves a lookup).
pub struct Recent<V> {
    entries: HashMap<String, V>,
}

impl<V: Clone> Recent<V> {
    const CAPACITY: usize = 10_000;

    pub fn new() -> Self {
        Recent {
            entries: HashMap::new(),
        }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        self.entries.get(key).cloned()
    }

    pub fn put(&mut self, key: &str, value: V) {
        if self.entries.len() >= Self::CAPACITY && !self.entries.contains_key(key) {
            self.entries.clear();
        }
        self.entries.insert(key.to_owned(), value);
    }

    pub fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }
}

thread_local! {
    /// Users' stored settings as this isolate last read them, by user id.
    static SETTINGS: RefCell<Recent<Option<String>>> = RefCell::new(Recent::new());
}

pub fn remember_settings(user_id: &str, settings: Option<&str>) {
    SETTINGS.with(|known| known.borrow_mut().put(user_id, settings.map(str::to_owned)));
}

/// The settings this isolate last read for `user_id`: `None` when it has not.
pub fn recalled_settings(user_id: &str) -> Option<Option<String>> {
    SETTINGS.with(|known| known.borrow().get(user_id))
}
