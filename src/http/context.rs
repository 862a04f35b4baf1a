//! What a handler receives: the request, the bindings, path parameters and the request id, plus
//! the one JSON body parser of the API.

use serde::de::DeserializeOwned;
use worker::{D1Database, Env, Request};

use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::json_body::{MAX_JSON_BODY_BYTES, body_too_large, parse_json_body};

pub struct RequestContext {
    pub request: Request,
    pub env: Env,
    pub request_id: String,
    params: Vec<(String, String)>,
}

impl RequestContext {
    pub fn new(
        request: Request,
        env: Env,
        request_id: String,
        params: Vec<(String, String)>,
    ) -> Self {
        RequestContext {
            request,
            env,
            request_id,
            params,
        }
    }

    /// A path parameter of the matched route.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn db(&self) -> ApiResult<D1Database> {
        Ok(self.env.d1("DB")?)
    }

    /// The body as `T`: it must be declared `application/json`, at most 64 KiB (checked from
    /// `Content-Length` before reading, and again after), and parse without unknown fields.
    pub async fn json<T: DeserializeOwned>(&mut self) -> ApiResult<T> {
        let headers = self.request.headers();
        let content_type = headers.get("content-type")?.unwrap_or_default();
        if !is_json_media_type(&content_type) {
            return Err(ApiError::new(
                ErrorKind::UnsupportedMediaType,
                "the body must be application/json",
            ));
        }
        let declared_length = headers
            .get("content-length")?
            .and_then(|value| value.parse::<usize>().ok());
        if declared_length.is_some_and(|length| length > MAX_JSON_BODY_BYTES) {
            return Err(body_too_large());
        }
        let bytes = self.request.bytes().await?;
        parse_json_body(&bytes)
    }
}

fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}
