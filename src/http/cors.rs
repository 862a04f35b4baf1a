//! Origins: a request whose `Origin` is present and neither our own nor in `ALLOWED_ORIGINS` is
//! refused (`403`) before any handler runs; allowed origins get credentialed CORS, and their
//! preflights `204`. Others get no CORS headers at all.

use worker::{Headers, Request, Response};

use crate::domain::error::{ApiError, ErrorKind};
use crate::domain::origin::AllowedOrigins;

pub enum OriginVerdict {
    /// No `Origin` header: not a cross-origin browser request.
    Absent,
    SameOrigin,
    /// A cross-origin caller we serve, with its origin.
    Allowed(String),
    Refused,
}

pub fn judge(request: &Request, allowed: &AllowedOrigins) -> OriginVerdict {
    let Some(origin) = request.headers().get("origin").ok().flatten() else {
        return OriginVerdict::Absent;
    };
    let own = request.url().map(|url| url.origin().ascii_serialization());
    if own.is_ok_and(|own| own.eq_ignore_ascii_case(&origin)) {
        OriginVerdict::SameOrigin
    } else if allowed.allows(&origin) {
        OriginVerdict::Allowed(origin)
    } else {
        OriginVerdict::Refused
    }
}

pub fn refused() -> ApiError {
    ApiError::new(ErrorKind::Forbidden, "this origin is not allowed")
}

pub fn is_preflight(request: &Request) -> bool {
    request.method() == worker::Method::Options
        && request
            .headers()
            .has("access-control-request-method")
            .unwrap_or(false)
}

pub fn preflight() -> Response {
    let headers = Headers::new();
    let _ = headers.set(
        "access-control-allow-methods",
        "GET, POST, PUT, PATCH, DELETE",
    );
    let _ = headers.set(
        "access-control-allow-headers",
        "authorization, content-type, idempotency-key, x-csrf-token, x-d1-bookmark, range, if-none-match",
    );
    let _ = headers.set("access-control-max-age", "600");
    Response::builder()
        .with_status(204)
        .with_headers(headers)
        .empty()
}

/// Credentialed CORS for an allowed origin; `Vary: Origin` on every response so caches never
/// serve one origin's answer to another.
pub fn decorate(response: &mut Response, verdict: &OriginVerdict) {
    let headers = response.headers_mut();
    let _ = headers.append("vary", "Origin");
    if let OriginVerdict::Allowed(origin) = verdict {
        let _ = headers.set("access-control-allow-origin", origin);
        let _ = headers.set("access-control-allow-credentials", "true");
        let _ = headers.set(
            "access-control-expose-headers",
            "x-request-id, x-d1-bookmark, retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, content-range, accept-ranges, content-disposition, etag",
        );
    }
}
