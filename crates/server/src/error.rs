//! API errors: every failure becomes an `application/problem+json` body with a stable `type`.
//! Client faults are 4xx with a useful detail; server faults are 5xx, logged, and say nothing of
//! the internals.

use crate::dto::Problem;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use faultmaven_engine::{EngineError, EngineErrorKind};

/// An error the API returns.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable slug, the last segment of the problem `type`.
    pub slug: &'static str,
    /// Short summary of the problem type.
    pub title: &'static str,
    /// What happened.
    pub detail: String,
}

impl ApiError {
    /// A new error.
    pub fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            slug,
            title,
            detail: detail.into(),
        }
    }

    /// 400 for a request that is malformed in some way.
    pub fn bad_request(slug: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, slug, title, detail)
    }

    /// The problem body.
    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("/problems/{}", self.slug),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(slug = self.slug, detail = %self.detail, "request failed");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match (&error, error.kind()) {
            (EngineError::UnknownSession(_), _) => Self::new(
                StatusCode::NOT_FOUND,
                "unknown-session",
                "Unknown session",
                error.to_string(),
            ),
            (EngineError::UnknownHypothesis(_), _) => Self::new(
                StatusCode::NOT_FOUND,
                "unknown-hypothesis",
                "Unknown hypothesis",
                error.to_string(),
            ),
            (EngineError::UnknownQuestion(_), _) => Self::new(
                StatusCode::NOT_FOUND,
                "unknown-question",
                "Unknown question",
                error.to_string(),
            ),
            (_, EngineErrorKind::Conflict) => Self::new(
                StatusCode::CONFLICT,
                "question-answered",
                "Question already answered",
                error.to_string(),
            ),
            (EngineError::EmptyRequest, _) => Self::bad_request(
                "empty-request",
                "Empty request",
                "send a `query` text field, at least one `file` part, or both",
            ),
            (_, EngineErrorKind::TooLarge) => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Input too large",
                error.to_string(),
            ),
            (_, EngineErrorKind::InvalidInput) => {
                Self::bad_request("invalid-input", "Invalid input", error.to_string())
            }
            (_, EngineErrorKind::NotFound) => Self::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                error.to_string(),
            ),
            (_, EngineErrorKind::Unavailable) => {
                tracing::error!(%error, "request refused: a required part is unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "audit-unavailable",
                    "Audit trail unavailable",
                    "the upload could not be recorded in the audit trail, so it was not kept; retry later",
                )
            }
            (_, EngineErrorKind::Internal) => {
                tracing::error!(%error, "engine failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "the server failed to process the request; it has been logged",
                )
            }
        }
    }
}
