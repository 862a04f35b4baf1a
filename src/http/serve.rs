//! Serving one request: request id, origin check and CORS, the per-IP budget on sign-in routes,
//! route lookup, handler, error mapping, headers, log line.

use std::{cell::RefCell, rc::Rc};

use worker::{Date, Env, Request, Response};

use super::{
    context::RequestContext,
    cors::{self, OriginVerdict},
    envelope::{error_response, finish},
    log::{self, RequestLine},
    rate_limit,
    router::{RouteMatch, Routes, method_not_allowed, no_route},
};
use crate::config;
use crate::domain::error::ApiResult;
use crate::domain::id::uuid_v7;

pub async fn serve(request: Request, env: Env, routes: &Routes) -> Response {
    let started_ms = Date::now().as_millis();
    let request_id = new_request_id(started_ms);
    log::set_current_request(&request_id);
    let method = request.method();
    let path = request.path();
    let verdict = cors::judge(&request, &config::allowed_origins(&env));
    let log_user = Rc::new(RefCell::new(None));

    let outcome = dispatch(request, env, routes, &verdict, &request_id, &log_user).await;
    let (mut response, internal_error) = match outcome {
        Ok(response) => (response, None),
        Err(error) => (error_response(&error, &request_id), error.internal_detail),
    };
    if !matches!(verdict, OriginVerdict::Refused) {
        cors::decorate(&mut response, &verdict);
    }
    finish(&mut response, &request_id);

    let status = response.status_code();
    log::write(&RequestLine {
        time: log::now_rfc3339(),
        level: log::level_of(status),
        request_id: &request_id,
        method: method.as_ref(),
        path: &path,
        status,
        duration_ms: Date::now().as_millis().saturating_sub(started_ms),
        user_id: log_user.borrow().as_deref(),
        error: internal_error.as_deref(),
    });
    response
}

async fn dispatch(
    request: Request,
    env: Env,
    routes: &Routes,
    verdict: &OriginVerdict,
    request_id: &str,
    log_user: &Rc<RefCell<Option<String>>>,
) -> ApiResult<Response> {
    if matches!(verdict, OriginVerdict::Refused) {
        return Err(cors::refused());
    }
    if cors::is_preflight(&request) {
        return Ok(cors::preflight());
    }
    let method = request.method();
    let path = request.path();
    if path.starts_with("/api/auth/") {
        // Cloudflare sets CF-Connecting-IP on every request at the edge; clients cannot forge it.
        let ip = request
            .headers()
            .get("cf-connecting-ip")?
            .unwrap_or_default();
        rate_limit::spend(&env, &rate_limit::AUTH_PER_IP, format!("ip:{ip}")).await?;
    }
    match routes.find(&method, &path) {
        RouteMatch::Found { handler, params } => {
            let cx = RequestContext::new(
                request,
                env,
                params,
                request_id.to_owned(),
                Rc::clone(log_user),
            );
            handler(cx).await
        }
        RouteMatch::MethodNotAllowed { allow } => {
            let mut response = error_response(&method_not_allowed(&method, &allow), request_id);
            response.headers_mut().set("allow", &allow)?;
            Ok(response)
        }
        RouteMatch::NotFound => Err(no_route(&path)),
    }
}

fn new_request_id(now_ms: u64) -> String {
    let mut random = [0u8; 10];
    // getrandom maps to crypto.getRandomValues, which does not fail in workerd; should it ever,
    // the id is still unique to the millisecond, which is enough for a log key.
    let _ = getrandom::getrandom(&mut random);
    uuid_v7(now_ms, random)
}
