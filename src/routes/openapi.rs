//! `GET /api/openapi.json`: the contract, converted from `openapi.yaml` by `build.rs`.

use worker::{Headers, Response};

use crate::domain::error::ApiResult;
use crate::http::RequestContext;

const OPENAPI_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

pub async fn get(_cx: RequestContext) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("cache-control", "public, max-age=300")?;
    Ok(Response::builder()
        .with_headers(headers)
        .fixed(OPENAPI_JSON.as_bytes().to_vec()))
}
