//! The web app (`web/`, built into the static assets beside the OpenAPI document): `/` is its one
//! page (it routes by the URL's fragment) and `/{file}` its scripts, styles and icons. They carry
//! the app's own CSP, which lets its scripts reach this origin; the API's CSP allows nothing.

use worker::{Headers, RequestInit, Response};

use crate::domain::error::{ApiError, ApiResult};
use crate::http::RequestContext;

/// Scripts and styles from this origin only, no inline code; `connect-src 'self'` covers the
/// sync socket of the same host; audio streams from `/api/audio`.
const APP_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     media-src 'self'; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The kinds of file the app is built into; anything else in the assets (the OpenAPI document)
/// is the API's and served under `/api`.
const SERVED: [(&str, &str); 5] = [
    (".html", "text/html; charset=utf-8"),
    (".js", "text/javascript; charset=utf-8"),
    (".css", "text/css; charset=utf-8"),
    (".svg", "image/svg+xml"),
    (".webmanifest", "application/manifest+json"),
];

pub async fn page(cx: RequestContext) -> ApiResult<Response> {
    asset(&cx, "index.html").await
}

pub async fn file(cx: RequestContext) -> ApiResult<Response> {
    let name = cx.param("file").unwrap_or_default().to_owned();
    asset(&cx, &name).await
}

async fn asset(cx: &RequestContext, name: &str) -> ApiResult<Response> {
    let well_formed = !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let Some((_, content_type)) = SERVED
        .iter()
        .find(|(extension, _)| well_formed && name.ends_with(extension))
    else {
        return Err(ApiError::not_found("file of the web app"));
    };
    // The assets answer `304` to a matching `If-None-Match` themselves.
    let forwarded = Headers::new();
    if let Some(tag) = cx.header("if-none-match") {
        forwarded.set("if-none-match", &tag)?;
    }
    let mut init = RequestInit::new();
    init.with_headers(forwarded);
    let stored = cx
        .env
        .assets("ASSETS")?
        .fetch(format!("https://assets.invalid/{name}"), Some(init))
        .await?;
    let status = stored.status_code();
    if status != 200 && status != 304 {
        return Err(ApiError::not_found("file of the web app"));
    }
    let headers = Headers::new();
    if let Some(tag) = stored.headers().get("etag")? {
        headers.set("etag", &tag)?;
    }
    headers.set("content-type", content_type)?;
    // File names carry no content hash: revalidate each time (a `304` when unchanged).
    headers.set("cache-control", "no-cache")?;
    headers.set("content-security-policy", APP_CSP)?;
    Ok(Response::builder()
        .with_status(status)
        .with_headers(headers)
        .body(stored.body().clone()))
}
