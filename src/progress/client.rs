//! The one way into a user's `UserProgress` object: a typed command, a typed reply, a timeout.

use std::{cell::RefCell, collections::BTreeMap, rc::Rc, time::Duration};

use futures_util::future::{Either, select};
use worker::{Delay, Env, Headers, Method, Request, RequestInit, Response, Stub};

use super::protocol::{Command, Failure, LedgerEntry, Reply, Reward};
use super::sockets::{Changed, Close, LEASE_HEADER, Lease, SESSION_HEADER};
use super::{ROWS_WRITTEN_HEADER, SOCKETS_HEADER};
use crate::domain::economy::view::{AchievementView, ProgressView, achievements_view};
use crate::domain::economy::{AwardOutcome, AwardRequest, Currency, ProgressState};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::sync::SyncCursor;
use crate::http::RequestContext;
use crate::http::log::RequestFacts;
use crate::store::db::Db;

/// What an award or a reversal did.
pub struct Applied {
    pub outcome: AwardOutcome,
    pub state: ProgressState,
    /// The key was applied before: `outcome` is that first outcome and nothing changed.
    pub replayed: bool,
}

impl Applied {
    fn of(reply: Reply) -> ApiResult<Applied> {
        match reply {
            Reply::Award {
                outcome,
                state,
                replayed,
            } => Ok(Applied {
                outcome,
                state,
                replayed,
            }),
            other => Err(unexpected(&other)),
        }
    }
}

/// A panicking object never answers, so every call is bounded.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

pub struct ProgressClient {
    stub: Stub,
    facts: Rc<RefCell<RequestFacts>>,
    /// The request's database, when its caller's credential must be checked before a command.
    caller_db: Option<Db>,
}

impl ProgressClient {
    /// The client of `user_id`'s object, reporting into `cx`'s request log.
    pub fn for_user(cx: &RequestContext, user_id: &str) -> ApiResult<ProgressClient> {
        let mut client = ProgressClient::in_env(&cx.env, user_id, Rc::clone(&cx.facts))?;
        client.caller_db = Some(cx.db()?);
        Ok(client)
    }

    /// The client of `user_id`'s object, reporting into `facts`.
    pub fn in_env(
        env: &Env,
        user_id: &str,
        facts: Rc<RefCell<RequestFacts>>,
    ) -> ApiResult<ProgressClient> {
        let stub = env
            .durable_object("PROGRESS")?
            .id_from_name(user_id)?
            .get_stub()?;
        Ok(ProgressClient {
            stub,
            facts,
            caller_db: None,
        })
    }

    /// Sends `command` once the caller's credential is checked: a read alongside the check (its
    /// reply is dropped if the check refuses), anything else after it.
    async fn send(&self, command: &Command) -> ApiResult<Reply> {
        if command.is_read() {
            let (confirmed, reply) =
                futures_util::future::join(self.confirm_caller(), self.call(command)).await;
            confirmed?;
            return reply;
        }
        self.confirm_caller().await?;
        self.call(command).await
    }

    /// Checks the caller's credential, if it is still pending: nothing reaches the object for
    /// a caller D1 refuses.
    async fn confirm_caller(&self) -> ApiResult<()> {
        match &self.caller_db {
            Some(db) => db.confirm_credential().await,
            None => Ok(()),
        }
    }

    async fn call(&self, command: &Command) -> ApiResult<Reply> {
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
        let number = |name: &str| {
            response
                .headers()
                .get(name)
                .ok()
                .flatten()
                .and_then(|value| value.parse::<u64>().ok())
        };
        let (rows_written, sockets) = (number(ROWS_WRITTEN_HEADER), number(SOCKETS_HEADER));
        {
            let mut facts = self.facts.borrow_mut();
            facts.object_calls += 1;
            facts.object_rows_written += rows_written.unwrap_or(0);
            if sockets.is_some() {
                facts.object_sockets = sockets;
            }
        }
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
            Some(kind) => ApiError {
                fields: failure.fields,
                ..ApiError::new(kind, failure.message)
            },
        })
    }

    /// Where the user stands, as the API shows it.
    pub async fn progress(&self) -> ApiResult<ProgressView> {
        Self::view(self.send(&Command::State).await?)
    }

    /// As `progress`, for a route whose own D1 batch checks the caller meanwhile: no check of its
    /// own (the request still answers only once its caller is checked, see `http::serve`).
    pub async fn progress_beside_check(&self) -> ApiResult<ProgressView> {
        Self::view(self.call(&Command::State).await?)
    }

    fn view(reply: Reply) -> ApiResult<ProgressView> {
        match reply {
            Reply::State { state } => Ok(ProgressView::of(&state)),
            other => Err(unexpected(&other)),
        }
    }

    /// The achievement catalog with the user's unlock times.
    pub async fn achievements(&self) -> ApiResult<Vec<AchievementView>> {
        let reply = self.send(&Command::Achievements).await?;
        let Reply::Achievements { unlocked } = reply else {
            return Err(unexpected(&reply));
        };
        let unlocked: BTreeMap<String, String> = unlocked
            .into_iter()
            .map(|u| (u.id, u.unlocked_at))
            .collect();
        Ok(achievements_view(&unlocked))
    }

    /// Applies `request` once per its key (and once per the request's `Idempotency-Key`).
    pub async fn award(
        &self,
        idempotency: Option<(String, String)>,
        request: AwardRequest,
    ) -> ApiResult<Applied> {
        Applied::of(
            self.send_once(idempotency, Command::Award { request })
                .await?,
        )
    }

    /// Takes back the award of `original_key`, once per `key`.
    pub async fn reverse(&self, original_key: String, key: String) -> ApiResult<Applied> {
        Applied::of(self.send(&Command::Reverse { original_key, key }).await?)
    }

    /// Ledger entries, newest first, before the position `before`.
    pub async fn ledger(
        &self,
        currency: Option<Currency>,
        limit: u32,
        before: Option<u64>,
    ) -> ApiResult<Vec<LedgerEntry>> {
        let command = Command::Ledger {
            currency,
            limit,
            before,
        };
        match self.send(&command).await? {
            Reply::Ledger { entries } => Ok(entries),
            other => Err(unexpected(&other)),
        }
    }

    /// The shop's rewards, newest first, before the id `before`.
    pub async fn rewards(&self, limit: u32, before: Option<String>) -> ApiResult<Vec<Reward>> {
        match self.send(&Command::Rewards { limit, before }).await? {
            Reply::Rewards { rewards } => Ok(rewards),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn create_reward(
        &self,
        idempotency: Option<(String, String)>,
        id: String,
        title: String,
        cost: u32,
    ) -> ApiResult<Reward> {
        let command = Command::CreateReward { id, title, cost };
        match self.send_once(idempotency, command).await? {
            Reply::Reward { reward } => Ok(reward),
            other => Err(unexpected(&other)),
        }
    }

    /// Spends a reward's cost once per `key`: the reward and the coins left.
    pub async fn redeem(
        &self,
        idempotency: Option<(String, String)>,
        reward_id: String,
        key: String,
    ) -> ApiResult<(Reward, u64)> {
        match self
            .send_once(idempotency, Command::Redeem { reward_id, key })
            .await?
        {
            Reply::Redeemed { reward, coins } => Ok((reward, coins)),
            other => Err(unexpected(&other)),
        }
    }

    /// Sends `command`, guarded by the request's `Idempotency-Key` when it has one.
    async fn send_once(
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

    /// Hands a WebSocket upgrade of `session_id` (a session or token id) to the object.
    pub async fn open_socket(
        &self,
        headers: &Headers,
        session_id: &str,
        lease: &Lease,
    ) -> ApiResult<Response> {
        self.confirm_caller().await?;
        // A copy: the request's own headers are immutable.
        let headers = headers.clone();
        headers.set(SESSION_HEADER, session_id)?;
        let lease = serde_json::to_string(lease)
            .map_err(|e| ApiError::internal(format!("encode lease: {e}")))?;
        headers.set(LEASE_HEADER, &lease)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Get).with_headers(headers);
        let request = Request::new_with_init("https://progress/ws", &init)?;
        let mut response = self.stub.fetch_with_request(request).await?;
        if response.status_code() == 101 {
            return Ok(response);
        }
        let failure: Failure = response
            .json()
            .await
            .map_err(|e| ApiError::internal(format!("progress failure: {e}")))?;
        Err(ApiError::new(
            ErrorKind::from_code(&failure.code).unwrap_or(ErrorKind::Internal),
            failure.message,
        ))
    }

    async fn post(&self, path: &str, body: String) -> ApiResult<Response> {
        self.confirm_caller().await?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(body.into()));
        let request = Request::new_with_init(&format!("https://progress{path}"), &init)?;
        Ok(self.stub.fetch_with_request(request).await?)
    }

    /// Deletes everything the object holds (the user's account is being erased).
    pub async fn erase(&self) -> ApiResult<()> {
        let response = self.post("/erase", String::new()).await?;
        if response.status_code() != 200 {
            return Err(ApiError::internal(format!(
                "erasing the progress store answered {}",
                response.status_code()
            )));
        }
        Ok(())
    }

    /// Tells the user's sockets that something changed.
    pub async fn notify(&self, changed: &Changed) -> ApiResult<()> {
        self.post(
            "/notify",
            serde_json::to_string(changed).unwrap_or_default(),
        )
        .await?;
        Ok(())
    }

    /// Closes the sockets of one session, or all of the user's.
    pub async fn close_sockets(&self, close: &Close) -> ApiResult<()> {
        self.post("/close", serde_json::to_string(close).unwrap_or_default())
            .await?;
        Ok(())
    }
}

/// Tells `user_id`'s sockets, after a write of theirs, where the change log now ends. Runs after
/// the response is sent; a failure only delays the client's next poll, so it is logged and left.
pub async fn notify_changed(env: Env, user_id: String) {
    let result = async {
        let (crate::store::sync::LogState { key, head, .. }, _) =
            crate::store::sync::log_state(&Db::detached(&env)?, &user_id, None).await?;
        let cursor = SyncCursor::Log { seq: head }.encode(key.as_bytes());
        ProgressClient::in_env(&env, &user_id, Rc::default())?
            .notify(&Changed { cursor })
            .await
    }
    .await;
    if let Err(error) = result {
        worker::console_warn!("notify {user_id}: {}", error.message);
    }
}

/// Closes sockets whose session just ended (`None`: all of the user's). The session has ended
/// already, so a failure here is logged and left: such a socket hears only "changed", and its
/// polls are refused.
pub async fn close_sockets(cx: &RequestContext, user_id: &str, session_id: Option<&str>) {
    let close = Close {
        session_id: session_id.map(str::to_owned),
    };
    let result = match ProgressClient::for_user(cx, user_id) {
        Ok(client) => client.close_sockets(&close).await,
        Err(error) => Err(error),
    };
    if let Err(error) = result {
        worker::console_warn!("close sockets of {user_id}: {}", error.message);
    }
}

/// A reply of another shape than the command asks for: a bug, reported as such.
fn unexpected(reply: &Reply) -> ApiError {
    ApiError::internal(format!("unexpected progress reply: {reply:?}"))
}
