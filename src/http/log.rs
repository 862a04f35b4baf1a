//! One JSON log line per request, and one per panic. Only the path is logged, never the query,
//! headers, cookies or bodies, so tokens and OAuth codes cannot leak into logs.

use crate::store::db::Statement;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::Serialize;

use crate::store::credentials::CredentialCheck;
use crate::store::db::{D1Usage, Database};

thread_local! {
    /// The request being served, for the panic hook: a panic aborts the instance, so the hook is
    /// the last chance to tie it to a request id.
    static CURRENT_REQUEST_ID: RefCell<String> = const { RefCell::new(String::new()) };
}

/// What a request learns about itself while it runs, for its log line.
#[derive(Default)]
pub struct RequestFacts {
    pub user_id: Option<String>,
    /// Calls to users' Durable Objects (commands, and the notice after a write).
    pub object_calls: u32,
    /// Whether the matched route, on success, changes what the user's sockets should hear of.
    pub notifies: bool,
    /// KV reads (a credential this isolate did not remember).
    pub kv_reads: u32,
    /// SQLite rows the user's Durable Object wrote for this request.
    pub object_rows_written: u64,
    /// Sockets the user's object said it holds, if the request called it.
    pub object_sockets: Option<u64>,
    /// What the request's D1 statements cost (shared with its `Db`).
    pub d1: Rc<Cell<D1Usage>>,
    /// The request's database, once it has one (a D1 session is shared with its `Db`s and its
    /// replayed operations, so they read in one order).
    pub database: Option<Database>,
    /// The `X-D1-Bookmark` the request brought, where its session starts.
    pub d1_bookmark: Option<String>,
    /// Where the request's credential check stands (shared with its `Db`).
    pub credential: Rc<RefCell<CredentialCheck>>,
    /// D1 writes that need not delay the response, run in one batch once it is sent.
    pub after_response: Vec<Statement>,
}

#[derive(Serialize)]
pub struct RequestLine<'a> {
    pub time: String,
    pub level: &'static str,
    pub request_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "is_zero")]
    pub object_rows_written: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub object_calls: u32,
    pub kv_reads: u32,
    pub d1: D1Usage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}

fn is_zero<N: Default + PartialEq>(n: &N) -> bool {
    *n == N::default()
}

pub fn now_rfc3339() -> String {
    String::from(js_sys::Date::new_0().to_iso_string())
}

pub fn set_current_request(request_id: &str) {
    CURRENT_REQUEST_ID.with(|current| {
        if let Ok(mut current) = current.try_borrow_mut() {
            current.clear();
            current.push_str(request_id);
        }
    });
}

pub fn write(line: &RequestLine<'_>) {
    if let Ok(text) = serde_json::to_string(line) {
        if line.status >= 500 {
            worker::console_error!("{text}");
        } else {
            worker::console_log!("{text}");
        }
    }
}

/// What a request's deferred statements cost, logged once they ran: `{"request_id", "after_response": {"d1": ...}}`.
pub fn write_after_response(request_id: &str, d1: D1Usage) {
    #[derive(Serialize)]
    struct AfterResponse {
        d1: D1Usage,
    }
    #[derive(Serialize)]
    struct Line<'a> {
        request_id: &'a str,
        after_response: AfterResponse,
    }
    let line = Line {
        request_id,
        after_response: AfterResponse { d1 },
    };
    if let Ok(text) = serde_json::to_string(&line) {
        worker::console_log!("{text}");
    }
}

pub fn level_of(status: u16) -> &'static str {
    match status {
        500.. => "error",
        400..=499 => "warn",
        _ => "info",
    }
}

/// Logs panics as JSON with the request id; the runtime then answers the request with a 500.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        #[derive(Serialize)]
        struct PanicLine<'a> {
            time: String,
            level: &'static str,
            request_id: &'a str,
            panic: String,
        }
        let request_id = CURRENT_REQUEST_ID.with(|current| {
            current
                .try_borrow()
                .map(|id| id.clone())
                .unwrap_or_default()
        });
        let line = PanicLine {
            time: now_rfc3339(),
            level: "error",
            request_id: &request_id,
            panic: info.to_string(),
        };
        if let Ok(text) = serde_json::to_string(&line) {
            worker::console_error!("{text}");
        }
    }));
}
