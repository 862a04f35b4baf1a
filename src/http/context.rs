//! What a handler receives: the request, the bindings, path parameters and the request id, plus
//! the one JSON body parser of the API.

use crate::store::db::Statement;
use std::{cell::RefCell, rc::Rc};

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use worker::{Date, Env, KvStore, Request};

use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::id::{ChosenId, uuid_v7};
use crate::domain::json_body::{MAX_JSON_BODY_BYTES, body_too_large, parse_json_body};
use crate::domain::page::PageRequest;
use crate::domain::time::Millis;
use crate::http::log::RequestFacts;
use crate::random::random_bytes;
use crate::store::audit::{self, AuditEvent};
use crate::store::db::{Database, Db, Metered};

pub struct RequestContext {
    pub request: Request,
    pub env: Env,
    params: Vec<(String, String)>,
    pub request_id: String,
    /// The JSON body as read by `json`, for idempotency fingerprints.
    raw_body: Vec<u8>,
    /// Facts for the request's log line (user, storage rows).
    pub facts: Rc<RefCell<RequestFacts>>,
}

impl RequestContext {
    pub fn new(
        request: Request,
        env: Env,
        params: Vec<(String, String)>,
        request_id: String,
        facts: Rc<RefCell<RequestFacts>>,
    ) -> Self {
        RequestContext {
            request,
            env,
            params,
            request_id,
            raw_body: Vec::new(),
            facts,
        }
    }

    /// The request's `Idempotency-Key` (1–255 printable ASCII) and a fingerprint of the request
    /// it guards (method, path, body), or `None` without the header. Call after `json`.
    pub fn idempotency(&self) -> ApiResult<Option<(String, String)>> {
        self.creation_key(None)
    }

    /// The key guarding a creation: the `Idempotency-Key`, else the id the client chose for the
    /// item (repeating a creation with its id answers the first response), with the request's
    /// fingerprint.
    pub fn creation_key(&self, chosen: Option<&ChosenId>) -> ApiResult<Option<(String, String)>> {
        let key = match self.header("idempotency-key") {
            Some(key) => {
                let printable = key.bytes().all(|b| (0x20..0x7f).contains(&b));
                if key.is_empty() || key.len() > 255 || !printable {
                    return Err(ApiError::bad_request(
                        "Idempotency-Key must be 1 to 255 printable ASCII characters",
                    ));
                }
                key
            }
            // Apart from the header's keys, which a client picks freely.
            None => match chosen {
                Some(id) => format!("id:{}", id.as_str()),
                None => return Ok(None),
            },
        };
        // The query is part of what a request asks (an upload's title); a streamed body (audio)
        // is not read here and counts by its declared type and length.
        let url = self.request.url()?;
        let mut request = format!(
            "{} {}?{}\n{}\n{}\n",
            self.request.method(),
            url.path(),
            url.query().unwrap_or_default(),
            self.header("content-type").unwrap_or_default(),
            self.header("content-length").unwrap_or_default(),
        )
        .into_bytes();
        request.extend_from_slice(&self.raw_body);
        let fingerprint = crate::domain::secret::sha256_hex_bytes(&request);
        Ok(Some((key, fingerprint)))
    }

    /// The id of an item this request creates: the one its client chose, else a new one.
    pub fn item_id(&self, chosen: Option<&ChosenId>) -> ApiResult<String> {
        match chosen {
            Some(id) => Ok(id.as_str().to_owned()),
            None => self.new_id(),
        }
    }

    pub fn now(&self) -> Millis {
        Millis(Date::now().as_millis())
    }

    /// The instant the user-facing rules read (calendar days, focus timing): `now`, or where
    /// `DEV_AUTH` is on, the `X-Dev-Now` header (RFC 3339), so tests can live through a DST
    /// night, a late check-in or a forgotten focus session without waiting for them.
    pub fn clock(&self) -> Millis {
        if crate::config::dev_auth_enabled(&self.env)
            && let Some(at) = self
                .header("x-dev-now")
                .and_then(|v| Millis::parse_rfc3339(&v))
        {
            return at;
        }
        self.now()
    }

    /// A fresh UUIDv7.
    pub fn new_id(&self) -> ApiResult<String> {
        Ok(uuid_v7(self.now().0, random_bytes()?))
    }

    /// Appends `event` to the audit log, tagged with this request.
    pub async fn audit(&self, event: &AuditEvent<'_>) -> ApiResult<()> {
        let db = self.db()?;
        audit::append(&self.new_id()?, &self.request_id, event, self.now())?
            .run_in(&db)
            .await?;
        Ok(())
    }

    /// Runs `statement` after the response is sent (bookkeeping a retry or the reconciliation
    /// would redo if it were lost).
    pub fn after_response(&self, statement: Statement) {
        self.facts.borrow_mut().after_response.push(statement);
    }

    pub fn sessions_kv(&self) -> ApiResult<KvStore> {
        Ok(self.env.kv("SESSIONS")?)
    }

    /// A query parameter, `None` when absent.
    pub fn query(&self, name: &str) -> Option<String> {
        let url = self.request.url().ok()?;
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    /// Every query parameter, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.request
            .url()
            .map(|url| url.query_pairs().into_owned().collect())
            .unwrap_or_default()
    }

    /// `?limit=` and `?cursor=` of a request for `list`.
    pub fn page_request(&self, list: &str) -> ApiResult<PageRequest> {
        PageRequest::parse(
            list,
            self.query("limit").as_deref(),
            self.query("cursor").as_deref(),
        )
    }

    /// `scheme://host[:port]` of this request.
    pub fn own_origin(&self) -> ApiResult<String> {
        Ok(self.request.url()?.origin().ascii_serialization())
    }

    /// A request header, `None` when absent.
    pub fn header(&self, name: &str) -> Option<String> {
        self.request.headers().get(name).ok().flatten()
    }

    /// A path parameter of the matched route.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The D1 database, its use counted into this request's log line.
    pub fn db(&self) -> ApiResult<Db> {
        request_db(&self.env, &self.facts)
    }

    /// The body as `T`: it must be declared `application/json`, at most 64 KiB (refused from
    /// `Content-Length` before reading, and by a reader that stops at the limit), and parse
    /// without unknown fields. Only once the caller is known: an anonymous request is `401`
    /// before a byte of its body is read.
    pub async fn json<T: DeserializeOwned>(&mut self) -> ApiResult<T> {
        self.require_caller()?;
        self.public_json().await
    }

    /// As `json`, for a body that may be left out: no body is `T::default()`.
    pub async fn optional_json<T: DeserializeOwned + Default>(&mut self) -> ApiResult<T> {
        self.require_caller()?;
        self.read_body().await?;
        if self.raw_body.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        self.require_json_type()?;
        parse_json_body(&self.raw_body)
    }

    /// As `json`, for the one route whose body comes before any caller: the dev sign-in.
    pub async fn public_json<T: DeserializeOwned>(&mut self) -> ApiResult<T> {
        self.require_json_type()?;
        self.read_body().await?;
        parse_json_body(&self.raw_body)
    }

    fn require_caller(&self) -> ApiResult<()> {
        if self.facts.borrow().user_id.is_none() {
            return Err(ApiError::new(
                ErrorKind::Unauthorized,
                "sign in first: no body is read before its caller is known",
            ));
        }
        Ok(())
    }

    fn require_json_type(&self) -> ApiResult<()> {
        let content_type = self
            .request
            .headers()
            .get("content-type")?
            .unwrap_or_default();
        if !is_json_media_type(&content_type) {
            return Err(ApiError::new(
                ErrorKind::UnsupportedMediaType,
                "the body must be application/json (or application/merge-patch+json)",
            ));
        }
        Ok(())
    }

    /// Reads the body up to the limit and no further: a body without `Content-Length`
    /// (chunked) is refused as soon as it passes 64 KiB, not read whole into memory first.
    async fn read_body(&mut self) -> ApiResult<()> {
        let declared_length = self
            .request
            .headers()
            .get("content-length")?
            .and_then(|value| value.parse::<usize>().ok());
        if declared_length.is_some_and(|length| length > MAX_JSON_BODY_BYTES) {
            return Err(body_too_large());
        }
        if self.request.inner().body().is_none() {
            return Ok(());
        }
        let mut stream = self.request.stream()?;
        let mut body = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > MAX_JSON_BODY_BYTES {
                return Err(body_too_large());
            }
            body.extend_from_slice(&chunk);
        }
        self.raw_body = body;
        Ok(())
    }
}

/// `application/json`, or `application/merge-patch+json` (RFC 7396) for settings patches.
fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("application/merge-patch+json")
}

/// The D1 database of the request `facts` describe: its session is made on first use (a route
/// that never reaches D1 makes none), from the bookmark the request brought, and shared by
/// every `Db` of the request, its replayed operations included.
pub fn request_db(env: &Env, facts: &Rc<RefCell<RequestFacts>>) -> ApiResult<Db> {
    let mut facts = facts.borrow_mut();
    let session = match &facts.database {
        Some(database) => database.clone(),
        None => {
            let database = Database::for_request(env, facts.d1_bookmark.as_deref())?;
            facts.database = Some(database.clone());
            database
        }
    };
    Ok(Db::new(
        session,
        Rc::clone(&facts.d1),
        Rc::clone(&facts.credential),
    ))
}
