//! Serving one request: request id, origin check and CORS, the per-IP budget on sign-in routes,
//! route lookup, handler, error mapping, headers, log line.

use crate::store::db::Statement;
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use worker::{Context, Date, Env, Request, Response};

use super::{
    context::RequestContext,
    cors::{self, OriginVerdict},
    envelope::{error_response, finish},
    log::{self, RequestFacts, RequestLine},
    rate_limit,
    router::{RouteMatch, Routes, method_not_allowed, no_route},
};
use crate::config;
use crate::domain::error::{ApiError, ApiResult};
use crate::domain::id::uuid_v7;
use crate::http::context::request_db;
use crate::progress::client::notify_changed;
use crate::store::credentials::CredentialCheck;
use crate::store::db::{BOOKMARK_HEADER, D1Usage, Db, is_bookmark};
use crate::store::errors::{self, ErrorEntry};

pub async fn serve(request: Request, env: Env, ctx: &Context, routes: &Routes) -> Response {
    let started_ms = Date::now().as_millis();
    let request_id = new_request_id(started_ms);
    log::set_current_request(&request_id);
    // worker::Method turns methods it does not know into GET; the raw name keeps them apart.
    let method = request.inner().method().to_ascii_uppercase();
    let path = request.path();
    let verdict = cors::judge(&request, &config::allowed_origins(&env));
    let facts = Rc::new(RefCell::new(RequestFacts::default()));
    let after_env = env.clone();

    let outcome = dispatch(request, env, routes, &method, &verdict, &request_id, &facts).await;
    let (mut response, failure) = match outcome {
        Ok(response) => (response, None),
        Err(error) => (error_response(&error, &request_id), Some(error)),
    };
    let internal_error = failure
        .as_ref()
        .and_then(|error| error.internal_detail.as_deref());
    if !matches!(verdict, OriginVerdict::Refused) {
        cors::decorate(&mut response, &verdict);
    }
    finish(&mut response, &request_id);

    let status = response.status_code();
    let mut facts = facts.borrow_mut();
    // A user whose object just said it holds no socket has no one to tell.
    if let Some(user_id) = facts.user_id.clone()
        && status < 400
        && facts.notifies
        && facts.object_sockets != Some(0)
    {
        facts.object_calls += 1;
        ctx.wait_until(notify_changed(after_env.clone(), user_id));
    }
    let deferred = std::mem::take(&mut facts.after_response);
    if let Some(database) = &facts.database {
        if let Some(bookmark) = database.bookmark() {
            let _ = response.headers_mut().set(BOOKMARK_HEADER, &bookmark);
        }
        if !deferred.is_empty() {
            let usage = Rc::default();
            let db = Db::new(database.clone(), Rc::clone(&usage), Rc::default());
            ctx.wait_until(run_after_response(db, usage, request_id.clone(), deferred));
        }
    }
    if status >= 500 {
        let entry = ErrorEntry {
            id: new_request_id(Date::now().as_millis()),
            request_id: request_id.clone(),
            method: method.clone(),
            path: path.clone(),
            status,
            error_type: failure
                .as_ref()
                .map_or("internal", |error| error.kind.code())
                .to_owned(),
            message: internal_error
                .or(failure.as_ref().map(|error| error.message.as_str()))
                .unwrap_or_default()
                .to_owned(),
            user_id: facts.user_id.clone(),
            created_at: log::now_rfc3339(),
        };
        ctx.wait_until(record_error(after_env, entry));
    }
    log::write(&RequestLine {
        time: log::now_rfc3339(),
        level: log::level_of(status),
        request_id: &request_id,
        method: &method,
        path: &path,
        status,
        duration_ms: Date::now().as_millis().saturating_sub(started_ms),
        user_id: facts.user_id.as_deref(),
        object_rows_written: facts.object_rows_written,
        object_calls: facts.object_calls,
        kv_reads: facts.kv_reads,
        d1: facts.d1.get(),
        error: internal_error,
    });
    response
}

/// Serves `request` inside another request (an operation of an offline replay): the same route
/// table, checks and handlers, reporting into the outer request's log facts; no CORS and no log
/// line of its own.
pub async fn serve_inner(
    request: Request,
    env: Env,
    routes: &Routes,
    request_id: &str,
    facts: &Rc<RefCell<RequestFacts>>,
) -> Response {
    let method = request.inner().method().to_ascii_uppercase();
    let verdict = cors::judge(&request, &config::allowed_origins(&env));
    match dispatch(request, env, routes, &method, &verdict, request_id, facts).await {
        Ok(response) => response,
        Err(error) => error_response(&error, request_id),
    }
}

async fn dispatch(
    request: Request,
    env: Env,
    routes: &Routes,
    method_name: &str,
    verdict: &OriginVerdict,
    request_id: &str,
    facts: &Rc<RefCell<RequestFacts>>,
) -> ApiResult<Response> {
    if matches!(verdict, OriginVerdict::Refused) {
        return Err(cors::refused());
    }
    if cors::is_preflight(&request) {
        return Ok(cors::preflight());
    }
    let method = request.method();
    let known_method = (method.as_ref() == method_name).then_some(&method);
    let path = request.path();
    match routes.find(known_method, &path) {
        RouteMatch::Found { route, params } => {
            if route.signs_in {
                // Cloudflare sets CF-Connecting-IP on every request at the edge; clients cannot
                // forge it.
                let ip = request
                    .headers()
                    .get("cf-connecting-ip")?
                    .unwrap_or_default();
                rate_limit::spend(&env, &rate_limit::AUTH_PER_IP, format!("ip:{ip}")).await?;
            }
            {
                let mut facts = facts.borrow_mut();
                facts.notifies |= route.notifies;
                if facts.database.is_none() {
                    facts.d1_bookmark = bookmark(&request)?;
                }
            }
            let cx = RequestContext::new(
                request,
                env.clone(),
                params,
                request_id.to_owned(),
                Rc::clone(facts),
            );
            let outcome = (route.handler)(cx).await;
            // A route that answered (or failed) before sending a statement has its caller
            // checked now: a refused credential hears `401`, whatever the route would have said.
            let pending = matches!(
                *facts.borrow().credential.borrow(),
                CredentialCheck::Pending(_)
            );
            if pending {
                request_db(&env, facts)?.confirm_credential().await?;
            }
            outcome
        }
        RouteMatch::MethodNotAllowed { allow } => {
            let mut response = error_response(&method_not_allowed(method_name, &allow), request_id);
            response.headers_mut().set("allow", &allow)?;
            Ok(response)
        }
        RouteMatch::NotFound => Err(no_route(&path)),
    }
}

/// Runs what a request deferred, in its D1 session, after its response is sent, and logs what
/// that cost in a line of its own (the request's line is written by then).
async fn run_after_response(
    db: Db,
    usage: Rc<Cell<D1Usage>>,
    request_id: String,
    statements: Vec<Statement>,
) {
    if let Err(error) = db.batch(statements).await {
        worker::console_warn!("after the response: {}", error.message);
    }
    log::write_after_response(&request_id, usage.get());
}

/// Keeps a server error for `GET /api/admin/errors`, after the response is sent. A failure here
/// (D1 itself failing, a schema behind the code) leaves the request log line as the only record.
async fn record_error(env: Env, entry: ErrorEntry) {
    let result = match Db::detached(&env) {
        Ok(db) => errors::record(&db, &entry).await,
        Err(error) => Err(error),
    };
    if let Err(error) = result {
        worker::console_warn!("error log {}: {}", entry.request_id, error.message);
    }
}

/// The request's `X-D1-Bookmark`, when it has one: it must be one this API returned.
fn bookmark(request: &Request) -> ApiResult<Option<String>> {
    let Some(bookmark) = request.headers().get(BOOKMARK_HEADER)? else {
        return Ok(None);
    };
    if !is_bookmark(&bookmark) {
        return Err(ApiError::bad_request(
            "X-D1-Bookmark must be a bookmark this API returned (or left out)",
        ));
    }
    Ok(Some(bookmark))
}

fn new_request_id(now_ms: u64) -> String {
    let mut random = [0u8; 10];
    // getrandom maps to crypto.getRandomValues, which does not fail in workerd; should it ever,
    // the id is still unique to the millisecond, which is enough for a log key.
    let _ = getrandom::getrandom(&mut random);
    uuid_v7(now_ms, random)
}
