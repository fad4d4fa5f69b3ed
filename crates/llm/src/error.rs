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
