//! What can go wrong talking to Postgres, sorted by what the caller should do about it: try again
//! later (the database is unreachable or busy: `503` with `Retry-After`), handle a constraint the
//! store expects to meet (a unique or check violation, by constraint name), or treat it as a bug.
//! Every variant becomes an `ApiError` through `From`, so `?` works in an `ApiResult` function.

use std::fmt;

use crate::domain::error::ApiError;

/// Seconds a client waits before trying again when Postgres is out of reach: a restart or a
/// failover takes a few seconds, and Hyperdrive reconnects on the next request.
pub const RETRY_AFTER_SECONDS: u32 = 2;

/// A failed Postgres call.
#[derive(Debug, Clone, PartialEq)]
pub enum PgError {
    /// The database could not be reached, the connection broke or timed out, or the server
    /// refused the work for now (shutting down, too many connections, a serialization failure):
    /// the same request may succeed later.
    Unavailable { detail: String },
    /// An integrity constraint refused the statement (SQLSTATE class 23).
    Violation(Violation),
    /// Anything else: a statement the server rejected, a row that does not decode, a
    /// misconfiguration (wrong password, missing database). A bug or an operator's to fix.
    Failed {
        sqlstate: Option<String>,
        detail: String,
    },
}

/// An integrity constraint that refused a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub kind: ViolationKind,
    /// The constraint's name as the migration declares it (`habits_pkey`, `items_within_quota`),
    /// empty when the server names none (a not-null violation).
    pub constraint: String,
    /// The server's message and detail, for the log.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// SQLSTATE 23505.
    Unique,
    /// SQLSTATE 23514.
    Check,
    /// SQLSTATE 23503.
    ForeignKey,
    /// SQLSTATE 23502.
    NotNull,
    /// Another code of class 23 (restrict_violation, exclusion_violation).
    Other,
}

impl PgError {
    pub fn failed(detail: impl Into<String>) -> PgError {
        PgError::Failed {
            sqlstate: None,
            detail: detail.into(),
        }
    }

    /// The error the server sent with SQLSTATE `code`, classified.
    pub fn from_sqlstate(code: &str, constraint: Option<String>, detail: String) -> PgError {
        let violation = |kind| {
            PgError::Violation(Violation {
                kind,
                constraint: constraint.clone().unwrap_or_default(),
                detail: detail.clone(),
            })
        };
        match code {
            "23505" => violation(ViolationKind::Unique),
            "23514" => violation(ViolationKind::Check),
            "23503" => violation(ViolationKind::ForeignKey),
            "23502" => violation(ViolationKind::NotNull),
            _ if code.starts_with("23") => violation(ViolationKind::Other),
            _ if is_transient(code) => PgError::Unavailable {
                detail: format!("{code}: {detail}"),
            },
            _ => PgError::Failed {
                sqlstate: Some(code.to_owned()),
                detail,
            },
        }
    }

    /// Whether the transaction lost to a concurrent one (a serialization failure or a deadlock)
    /// and, run again, may pass.
    pub fn is_serialization_failure(&self) -> bool {
        matches!(self, PgError::Unavailable { detail }
            if detail.starts_with("40001") || detail.starts_with("40P01"))
    }

    /// The violation, when a constraint refused the statement.
    pub fn violation(&self) -> Option<&Violation> {
        match self {
            PgError::Violation(violation) => Some(violation),
            _ => None,
        }
    }

    /// Whether the unique constraint (or primary key) `constraint` refused the statement.
    pub fn is_unique_violation(&self, constraint: &str) -> bool {
        self.violation()
            .is_some_and(|v| v.kind == ViolationKind::Unique && v.constraint == constraint)
    }

    /// Whether the check constraint `constraint` refused the statement.
    pub fn is_check_violation(&self, constraint: &str) -> bool {
        self.violation()
            .is_some_and(|v| v.kind == ViolationKind::Check && v.constraint == constraint)
    }

    /// The SQLSTATE the server sent, when it sent one.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            PgError::Violation(violation) => Some(match violation.kind {
                ViolationKind::Unique => "23505",
                ViolationKind::Check => "23514",
                ViolationKind::ForeignKey => "23503",
                ViolationKind::NotNull => "23502",
                ViolationKind::Other => "23000",
            }),
            PgError::Failed { sqlstate, .. } => sqlstate.as_deref(),
            PgError::Unavailable { .. } => None,
        }
    }

    pub fn is_unavailable(&self) -> bool {
        matches!(self, PgError::Unavailable { .. })
    }
}

/// SQLSTATEs after which the same statement may succeed later: connection exceptions (08),
/// insufficient resources (53: too many connections, out of memory, disk full), the server
/// shutting down or starting up (57P01..57P03), a statement timeout or cancel (57014), and a
/// serialization failure or deadlock (40001, 40P01), which Postgres asks the client to retry.
fn is_transient(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "57014" | "40001" | "40P01"
        )
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PgError::Unavailable { detail } => write!(f, "Postgres unavailable: {detail}"),
            PgError::Violation(Violation {
                kind,
                constraint,
                detail,
            }) => write!(
                f,
                "Postgres: {kind:?} violation of {constraint:?}: {detail}"
            ),
            PgError::Failed {
                sqlstate: Some(code),
                detail,
            } => write!(f, "Postgres {code}: {detail}"),
            PgError::Failed {
                sqlstate: None,
                detail,
            } => write!(f, "Postgres: {detail}"),
        }
    }
}

impl std::error::Error for PgError {}

impl From<PgError> for ApiError {
    /// Unreachable → `503 unavailable` with `Retry-After`; anything else → `500`, its detail in
    /// the log only. A violation reaching this point is one the store did not expect: a bug.
    fn from(error: PgError) -> ApiError {
        match &error {
            PgError::Unavailable { .. } => ApiError {
                retry_after: Some(RETRY_AFTER_SECONDS),
                internal_detail: Some(error.to_string()),
                ..ApiError::unavailable("the database is unavailable: try again shortly")
            },
            PgError::Violation(_) | PgError::Failed { .. } => ApiError::internal(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::domain::error::ErrorKind;

    fn from_server(code: &str, constraint: Option<&str>) -> PgError {
        PgError::from_sqlstate(code, constraint.map(str::to_owned), "detail".into())
    }

    #[test]
    fn a_unique_violation_names_its_constraint() {
        let error = from_server("23505", Some("habits_pkey"));
        assert!(error.is_unique_violation("habits_pkey"));
        assert!(!error.is_unique_violation("goals_pkey"));
        assert!(!error.is_check_violation("habits_pkey"));
        assert_eq!(error.sqlstate(), Some("23505"));
    }

    #[test]
    fn a_check_violation_is_told_apart_from_a_unique_one() {
        let error = from_server("23514", Some("items_within_quota"));
        assert!(error.is_check_violation("items_within_quota"));
        assert!(!error.is_unique_violation("items_within_quota"));
        assert_eq!(
            error.violation().map(|v| v.kind),
            Some(ViolationKind::Check)
        );
    }

    #[test]
    fn connection_and_load_failures_are_worth_retrying() {
        for code in [
            "08006", "08001", "53300", "57P01", "57P03", "57014", "40001", "40P01",
        ] {
            assert!(from_server(code, None).is_unavailable(), "{code}");
        }
    }

    #[test]
    fn statement_and_configuration_errors_are_not_worth_retrying() {
        for code in ["42P01", "42601", "28P01", "3D000", "22P02", "XX000"] {
            let error = from_server(code, None);
            assert!(!error.is_unavailable(), "{code}");
            assert_eq!(error.sqlstate(), Some(code));
        }
    }

    #[test]
    fn unavailable_is_a_503_with_retry_after_and_keeps_the_detail_from_the_client() {
        let error = ApiError::from(PgError::Unavailable {
            detail: "Connection terminated unexpectedly".into(),
        });
        assert_eq!(error.kind, ErrorKind::Unavailable);
        assert_eq!(error.status(), 503);
        assert_eq!(error.retry_after, Some(RETRY_AFTER_SECONDS));
        assert!(!error.message.contains("terminated"));
        assert!(
            error
                .internal_detail
                .is_some_and(|d| d.contains("terminated"))
        );
    }

    #[test]
    fn an_unexpected_violation_is_an_internal_error() {
        let error = ApiError::from(from_server("23505", Some("users_pkey")));
        assert_eq!(error.status(), 500);
        assert_eq!(error.retry_after, None);
        assert!(
            error
                .internal_detail
                .is_some_and(|d| d.contains("users_pkey"))
        );
    }
}
