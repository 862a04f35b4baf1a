//! `GET /api/openapi.json`: the contract, converted from `openapi.yaml` by `build.rs` into the
//! worker's static assets, which only the worker reads (`run_worker_first`), so the document gets
//! the same request id, CORS and security headers as every other response.

use worker::{Headers, Response};

use crate::domain::error::{ApiError, ApiResult};
use crate::http::RequestContext;

pub async fn get(cx: RequestContext) -> ApiResult<Response> {
    let mut document = cx
        .env
        .assets("ASSETS")?
        .fetch("https://assets.invalid/openapi.json", None)
        .await?;
    if document.status_code() != 200 {
        return Err(ApiError::internal(format!(
            "the OpenAPI document is missing from the assets: {}",
            document.status_code()
        )));
    }
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("cache-control", "public, max-age=300")?;
    Ok(Response::builder()
        .with_headers(headers)
        .fixed(document.bytes().await?))
}
