//! Serving one request: request id, route lookup, handler, error mapping, headers, log line.

use worker::{Date, Env, Request, Response};

use super::{
    context::RequestContext,
    envelope::{error_response, finish},
    log::{self, RequestLine},
    router::{RouteMatch, Routes, method_not_allowed, no_route},
};
use crate::domain::id::uuid_v7;

pub async fn serve(request: Request, env: Env, routes: &Routes) -> Response {
    let started_ms = Date::now().as_millis();
    let request_id = new_request_id(started_ms);
    log::set_current_request(&request_id);
    let method = request.method();
    let path = request.path();

    let mut allow = None;
    let outcome = match routes.find(&method, &path) {
        RouteMatch::Found { handler, params } => {
            handler(RequestContext::new(request, env, request_id.clone(), params)).await
        }
        RouteMatch::MethodNotAllowed { allow: methods } => {
            let error = method_not_allowed(&method, &methods);
            allow = Some(methods);
            Err(error)
        }
        RouteMatch::NotFound => Err(no_route(&path)),
    };

    let (mut response, internal_error) = match outcome {
        Ok(response) => (response, None),
        Err(error) => (error_response(&error, &request_id), error.internal_detail),
    };
    if let Some(methods) = allow {
        let _ = response.headers_mut().set("allow", &methods);
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
        user_id: None,
        error: internal_error.as_deref(),
    });
    response
}

fn new_request_id(now_ms: u64) -> String {
    let mut random = [0u8; 10];
    // getrandom maps to crypto.getRandomValues, which does not fail in workerd; should it ever,
    // the id is still unique to the millisecond, which is enough for a log key.
    let _ = getrandom::getrandom(&mut random);
    uuid_v7(now_ms, random)
}
