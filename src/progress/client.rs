//! The one way into a user's `UserProgress` object: a typed command, a typed reply, a timeout.

use std::{cell::RefCell, rc::Rc, time::Duration};

use futures_util::future::{Either, select};
use worker::{Delay, Method, Request, RequestInit, Stub};

use super::ROWS_WRITTEN_HEADER;
use super::protocol::{Command, Failure, Reply};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::http::RequestContext;
use crate::http::log::RequestFacts;

/// A panicking object never answers, so every call is bounded.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

pub struct ProgressClient {
    stub: Stub,
    facts: Rc<RefCell<RequestFacts>>,
}

impl ProgressClient {
    /// The client of `user_id`'s object, reporting into `cx`'s request log.
    pub fn for_user(cx: &RequestContext, user_id: &str) -> ApiResult<ProgressClient> {
        let stub = cx
            .env
            .durable_object("PROGRESS")?
            .id_from_name(user_id)?
            .get_stub()?;
        Ok(ProgressClient {
            stub,
            facts: Rc::clone(&cx.facts),
        })
    }

    pub async fn send(&self, command: &Command) -> ApiResult<Reply> {
        let body = serde_json::to_string(command)
            .map_err(|e| ApiError::internal(format!("encode command: {e}")))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(body.into()));
        let request = Request::new_with_init("https://progress/command", &init)?;
        let call = self.stub.fetch_with_request(request);
        let timeout = Delay::from(CALL_TIMEOUT);
        futures_util::pin_mut!(call, timeout);
        let mut response = match select(call, timeout).await {
            Either::Left((response, _)) => response?,
            Either::Right(_) => {
                return Err(ApiError::unavailable(
                    "the progress store did not answer in time",
                ));
            }
        };
        let rows_written = response
            .headers()
            .get(ROWS_WRITTEN_HEADER)?
            .and_then(|rows| rows.parse::<u64>().ok())
            .unwrap_or(0);
        self.facts.borrow_mut().object_rows_written += rows_written;
        if response.status_code() == 200 {
            return response
                .json::<Reply>()
                .await
                .map_err(|e| ApiError::internal(format!("progress reply: {e}")));
        }
        let failure: Failure = response
            .json()
            .await
            .map_err(|e| ApiError::internal(format!("progress failure: {e}")))?;
        Err(match ErrorKind::from_code(&failure.code) {
            Some(ErrorKind::Internal) | None => ApiError::internal(failure.message),
            Some(kind) => ApiError::new(kind, failure.message),
        })
    }

    /// Sends `command`, guarded by the request's `Idempotency-Key` when it has one.
    pub async fn send_once(
        &self,
        idempotency: Option<(String, String)>,
        command: Command,
    ) -> ApiResult<Reply> {
        match idempotency {
            Some((key, fingerprint)) => {
                self.send(&Command::Once {
                    key,
                    fingerprint,
                    command: Box::new(command),
                })
                .await
            }
            None => self.send(&command).await,
        }
    }
}

/// A reply of another shape than the command asks for: a bug, reported as such.
pub fn unexpected(reply: &Reply) -> ApiError {
    ApiError::internal(format!("unexpected progress reply: {reply:?}"))
}
