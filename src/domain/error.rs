//! The one error type of the API. Every failure becomes an `ApiError`; `http::envelope` turns it
//! into the JSON error envelope in one place. Internal details never reach the client.

use std::collections::BTreeMap;

/// What kind of failure, which fixes the HTTP status and the `type` of the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Unauthorized,
    CsrfFailed,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    QuestExpired,
    InsufficientCoins,
    IdempotencyConflict,
    FocusSessionActive,
    QuotaExceeded,
    /// A sync cursor from before the change log was compacted: poll again from a null cursor.
    SyncReset,
    PayloadTooLarge,
    UnsupportedMediaType,
    RangeNotSatisfiable,
    RateLimited,
    Internal,
    Unavailable,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        use ErrorKind::*;
        match self {
            BadRequest => 400,
            Unauthorized => 401,
            CsrfFailed | Forbidden => 403,
            NotFound => 404,
            MethodNotAllowed => 405,
            Conflict | QuestExpired | InsufficientCoins | IdempotencyConflict
            | FocusSessionActive | QuotaExceeded => 409,
            SyncReset => 410,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            RangeNotSatisfiable => 416,
            RateLimited => 429,
            Internal => 500,
            Unavailable => 503,
        }
    }

    /// The envelope's `type`.
    pub fn code(self) -> &'static str {
        use ErrorKind::*;
        match self {
            BadRequest => "bad_request",
            Unauthorized => "unauthorized",
            CsrfFailed => "csrf_failed",
            Forbidden => "forbidden",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            Conflict => "conflict",
            QuestExpired => "quest_expired",
            InsufficientCoins => "insufficient_coins",
            IdempotencyConflict => "idempotency_conflict",
            FocusSessionActive => "focus_session_active",
            QuotaExceeded => "quota_exceeded",
            SyncReset => "sync_reset",
            PayloadTooLarge => "payload_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            RangeNotSatisfiable => "range_not_satisfiable",
            RateLimited => "rate_limited",
            Internal => "internal",
            Unavailable => "unavailable",
        }
    }
}

impl ErrorKind {
    const ALL: [ErrorKind; 19] = [
        ErrorKind::BadRequest,
        ErrorKind::Unauthorized,
        ErrorKind::CsrfFailed,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::MethodNotAllowed,
        ErrorKind::Conflict,
        ErrorKind::QuestExpired,
        ErrorKind::InsufficientCoins,
        ErrorKind::IdempotencyConflict,
        ErrorKind::FocusSessionActive,
        ErrorKind::QuotaExceeded,
        ErrorKind::SyncReset,
        ErrorKind::PayloadTooLarge,
        ErrorKind::UnsupportedMediaType,
        ErrorKind::RangeNotSatisfiable,
        ErrorKind::RateLimited,
        ErrorKind::Internal,
        ErrorKind::Unavailable,
    ];

    /// The kind of an envelope `type` (errors cross the Durable Object boundary by code).
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// A failure as the client sees it, plus (for internal errors) a detail that only goes to the log.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    /// Body field → what is wrong with it.
    pub fields: Option<BTreeMap<String, String>>,
    /// Seconds for `Retry-After` (429 and 503).
    pub retry_after: Option<u32>,
    /// The request budget that was exhausted, for `X-RateLimit-Limit` (429).
    pub rate_limit: Option<u32>,
    /// Logged with the request id, never sent.
    pub internal_detail: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            fields: None,
            retry_after: None,
            rate_limit: None,
            internal_detail: None,
        }
    }

    /// `429`: the budget of `limit` requests per `period_seconds` is spent.
    pub fn rate_limited(limit: u32, period_seconds: u32) -> Self {
        ApiError {
            retry_after: Some(period_seconds),
            rate_limit: Some(limit),
            ..Self::new(
                ErrorKind::RateLimited,
                format!("too many requests: at most {limit} per {period_seconds} seconds"),
            )
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    /// A `400` naming the body field that is wrong.
    pub fn invalid_field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        let field = field.into();
        let problem = problem.into();
        let mut fields = BTreeMap::new();
        let message = format!("{field}: {problem}");
        fields.insert(field, problem);
        ApiError {
            fields: Some(fields),
            ..Self::bad_request(message)
        }
    }

    /// A client-chosen id that names an item already stored: the client's or another user's (an
    /// id is unguessable, so telling which reveals nothing the client did not know).
    pub fn taken_id() -> Self {
        ApiError {
            fields: Some([("id".to_owned(), "is taken".to_owned())].into()),
            ..Self::new(
                ErrorKind::Conflict,
                "an item with this id exists: choose another id, or repeat the same creation",
            )
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("{what} not found"))
    }

    /// An unexpected failure: the client gets a generic message, the log gets `detail`.
    pub fn internal(detail: impl Into<String>) -> Self {
        ApiError {
            internal_detail: Some(detail.into()),
            ..Self::new(ErrorKind::Internal, "internal error")
        }
    }

    /// `409`: an `Idempotency-Key` seen before guarded a different request.
    pub fn idempotency_conflict() -> Self {
        Self::new(
            ErrorKind::IdempotencyConflict,
            "this Idempotency-Key was used with another request",
        )
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.kind.code(),
            self.status(),
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn every_conflict_flavour_is_a_409_and_nothing_else_is() {
        let conflicts = [
            ErrorKind::Conflict,
            ErrorKind::QuestExpired,
            ErrorKind::InsufficientCoins,
            ErrorKind::IdempotencyConflict,
            ErrorKind::FocusSessionActive,
            ErrorKind::QuotaExceeded,
        ];
        for kind in ErrorKind::ALL {
            assert_eq!(
                kind.status() == 409,
                conflicts.contains(&kind),
                "{}",
                kind.code()
            );
        }
    }

    #[test]
    fn every_kind_round_trips_through_its_code() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(ErrorKind::from_code("nope"), None);
    }

    #[test]
    fn an_internal_error_hides_its_detail_from_the_message() {
        let error = ApiError::internal("D1_ERROR: no such table: users");
        assert_eq!(error.message, "internal error");
        assert_eq!(error.status(), 500);
        assert_eq!(
            error.internal_detail.as_deref(),
            Some("D1_ERROR: no such table: users")
        );
    }

    #[test]
    fn an_invalid_field_names_the_field() {
        let error = ApiError::invalid_field("title", "must be 1 to 200 characters");
        assert_eq!(error.status(), 400);
        let fields = error.fields.expect("fields");
        assert_eq!(fields["title"], "must be 1 to 200 characters");
    }
}
