//! The error type every provider and embedder in this crate returns.

use std::path::PathBuf;

/// What `scripts/fetch-models` is for, repeated in every "model missing" error so the fix is one
/// copy-paste away.
pub const FETCH_MODELS_HINT: &str = "run scripts/fetch-models";

/// Errors from loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// A model file is not on disk; the models are downloaded by `scripts/fetch-models`.
    #[error("model file missing: {path} ({hint})")]
    ModelMissing {
        /// The file or directory that was expected.
        path: PathBuf,
        /// How to get it.
        hint: &'static str,
    },
    /// The model files exist but could not be read or understood.
    #[error("cannot load model from {path}: {message}")]
    Load {
        /// The file being loaded.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The request cannot be served as asked (for example a prompt that leaves no room to generate).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Tokenising, running the model or sampling failed.
    #[error("inference failed: {0}")]
    Inference(String),
    /// The provider's queue is full; the caller should retry later or fall back.
    #[error("model is busy: queue full")]
    Busy,
    /// The generation was cancelled before it produced a result.
    #[error("generation cancelled")]
    Cancelled,
    /// A remote provider could not be reached (DNS, refused connection, TLS, reset).
    #[error("cannot reach {provider}: {message}")]
    Connect {
        /// The provider's name.
        provider: String,
        /// What the HTTP client reported.
        message: String,
    },
    /// A remote provider did not answer in time.
    #[error("{provider} timed out: {which}")]
    Timeout {
        /// The provider's name.
        provider: String,
        /// Which limit was hit (connect, overall, idle between chunks).
        which: &'static str,
    },
    /// A remote provider answered with an error status (after any retries).
    #[error("{provider} answered HTTP {status}: {detail}")]
    Status {
        /// The provider's name.
        provider: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the error body, for diagnosis.
        detail: String,
    },
    /// A remote provider's answer does not follow its wire format (bad JSON, a malformed
    /// stream chunk, a stream that ended early, an error event).
    #[error("{provider} sent a malformed answer: {message}")]
    Protocol {
        /// The provider's name.
        provider: String,
        /// What was wrong.
        message: String,
    },
}

/// The broad category of an [`LlmError`], for mapping to HTTP statuses and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LlmErrorKind {
    /// See [`LlmError::ModelMissing`].
    ModelMissing,
    /// See [`LlmError::Load`].
    Load,
    /// See [`LlmError::InvalidRequest`].
    InvalidRequest,
    /// See [`LlmError::Inference`].
    Inference,
    /// See [`LlmError::Busy`].
    Busy,
    /// See [`LlmError::Cancelled`].
    Cancelled,
    /// A remote provider is unreachable, too slow or failing ([`LlmError::Connect`],
    /// [`LlmError::Timeout`], [`LlmError::Status`] with 429 or 5xx).
    Unavailable,
    /// A remote provider refused the request ([`LlmError::Status`] with another 4xx, for example
    /// a wrong key or model) or answered outside its wire format ([`LlmError::Protocol`]).
    Remote,
}

impl LlmError {
    /// The category of this error.
    pub fn kind(&self) -> LlmErrorKind {
        match self {
            LlmError::ModelMissing { .. } => LlmErrorKind::ModelMissing,
            LlmError::Load { .. } => LlmErrorKind::Load,
            LlmError::InvalidRequest(_) => LlmErrorKind::InvalidRequest,
            LlmError::Inference(_) => LlmErrorKind::Inference,
            LlmError::Busy => LlmErrorKind::Busy,
            LlmError::Cancelled => LlmErrorKind::Cancelled,
            LlmError::Connect { .. } | LlmError::Timeout { .. } => LlmErrorKind::Unavailable,
            LlmError::Status { status, .. } if *status == 429 || *status >= 500 => {
                LlmErrorKind::Unavailable
            }
            LlmError::Status { .. } | LlmError::Protocol { .. } => LlmErrorKind::Remote,
        }
    }

    /// A [`LlmError::ModelMissing`] for `path` with the standard hint.
    pub fn model_missing(path: impl Into<PathBuf>) -> Self {
        LlmError::ModelMissing {
            path: path.into(),
            hint: FETCH_MODELS_HINT,
        }
    }

    /// A [`LlmError::Load`] for `path`, keeping the message of the underlying error.
    pub(crate) fn load(path: impl Into<PathBuf>, error: impl std::fmt::Display) -> Self {
        LlmError::Load {
            path: path.into(),
            message: error.to_string(),
        }
    }

    /// A [`LlmError::Inference`] keeping the message of the underlying error.
    pub(crate) fn inference(error: impl std::fmt::Display) -> Self {
        LlmError::Inference(error.to_string())
    }
}

/// Returns `Ok(())` if `path` exists, else the standard [`LlmError::ModelMissing`].
pub(crate) fn require_exists(path: &std::path::Path) -> Result<(), LlmError> {
    if path.exists() {
        Ok(())
    } else {
        Err(LlmError::model_missing(path))
    }
}
