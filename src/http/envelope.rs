//! The response envelope: `{"data": ...}` for success, `{"error": {...}}` for failure, and the
//! headers every response carries. The only place an `ApiError` becomes HTTP.

use serde::Serialize;
use worker::{Headers, Response};

use crate::domain::error::{ApiError, ApiResult};

/// `200` with `{"data": payload}`.
pub fn ok<T: Serialize>(payload: &T) -> ApiResult<Response> {
    with_status(200, payload)
}

/// `201` with `{"data": payload}`.
pub fn created<T: Serialize>(payload: &T) -> ApiResult<Response> {
    with_status(201, payload)
}

fn with_status<T: Serialize>(status: u16, payload: &T) -> ApiResult<Response> {
    Ok(json_response(status, &data_body(payload)?))
}

/// The text of `{"data": payload}`, as a response carries it (and an idempotency record keeps it).
pub fn data_body<T: Serialize>(payload: &T) -> ApiResult<String> {
    #[derive(Serialize)]
    struct Data<'a, T> {
        data: &'a T,
    }
    serde_json::to_string(&Data { data: payload })
        .map_err(|e| ApiError::internal(format!("encode response: {e}")))
}

/// A JSON response with this exact body.
pub fn json_response(status: u16, body: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(body.as_bytes().to_vec())
}

/// The error envelope for `error`, tagged with the request id.
/// The error envelope of `error`, as JSON.
pub fn error_body(error: &ApiError, request_id: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct Envelope<'a> {
        error: Body<'a>,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        message: &'a str,
        status: u16,
        request_id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        fields: Option<&'a std::collections::BTreeMap<String, String>>,
    }
    let envelope = Envelope {
        error: Body {
            kind: error.kind.code(),
            message: &error.message,
            status: error.status(),
            request_id,
            fields: error.fields.as_ref(),
        },
    };
    serde_json::to_vec(&envelope).unwrap_or_default()
}

pub fn error_response(error: &ApiError, request_id: &str) -> Response {
    let body = error_body(error, request_id);
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    if let Some(seconds) = error.retry_after {
        let _ = headers.set("retry-after", &seconds.to_string());
    }
    if let (Some(limit), Some(reset)) = (error.rate_limit, error.retry_after) {
        let _ = headers.set("x-ratelimit-limit", &limit.to_string());
        let _ = headers.set("x-ratelimit-remaining", "0");
        let _ = headers.set("x-ratelimit-reset", &reset.to_string());
    }
    Response::builder()
        .with_status(error.status())
        .with_headers(headers)
        .fixed(body)
}

/// Headers on every response: the request id, and defences that cost nothing for a JSON API.
pub fn finish(response: &mut Response, request_id: &str) {
    let headers = response.headers_mut();
    let is_json = headers
        .get("content-type")
        .ok()
        .flatten()
        .is_some_and(|value| value.starts_with("application/json"));
    let _ = headers.set("x-request-id", request_id);
    let _ = headers.set("x-content-type-options", "nosniff");
    let _ = headers.set(
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    );
    // The web app's files bring a CSP of their own (routes/app.rs); everything else is the API's.
    if !headers.has("content-security-policy").unwrap_or(false) {
        let _ = headers.set(
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
        );
    }
    let _ = headers.set("x-frame-options", "DENY");
    let _ = headers.set("referrer-policy", "no-referrer");
    if is_json && !headers.has("cache-control").unwrap_or(false) {
        let _ = headers.set("cache-control", "no-store");
    }
}

impl From<worker::Error> for ApiError {
    fn from(error: worker::Error) -> Self {
        ApiError::internal(error.to_string())
    }
}

impl From<worker::KvError> for ApiError {
    fn from(error: worker::KvError) -> Self {
        ApiError::internal(format!("KV: {error}"))
    }
}
