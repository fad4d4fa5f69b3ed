//! The error type every store in this crate returns, with a coarse kind for callers that map
//! errors to HTTP statuses or metrics.

use std::path::PathBuf;

/// Errors from session stores and vector indexes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The SQLite database failed (cannot open, locked for too long, disk full, corrupt file).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A session could not be written as JSON, or a stored row is not a valid session.
    #[error("session serialization: {0}")]
    Serialization(#[from] serde_json::Error),
    /// A session cannot be stored faithfully: it would not read back as the same value (for
    /// example a score that is NaN, which JSON cannot represent).
    #[error("session cannot be stored: {0}")]
    Unrepresentable(String),
    /// The directory that should hold the database could not be created.
    #[error("cannot create directory {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The database was written by a newer FaultMaven whose schema this build does not know.
    #[error(
        "database schema version {found} is newer than the newest this build knows ({supported})"
    )]
    SchemaTooNew {
        /// Version recorded in the database.
        found: i64,
        /// Newest version this build can migrate to.
        supported: i64,
    },
    /// A vector does not have the index's dimension.
    #[error("vector has {actual} dimensions, the index holds {expected}")]
    DimensionMismatch {
        /// The index's dimension.
        expected: usize,
        /// The rejected vector's length.
        actual: usize,
    },
    /// A vector cannot be indexed (all zeros, or a NaN or infinite component).
    #[error("invalid vector for {id:?}: {reason}")]
    InvalidVector {
        /// The id it was upserted under.
        id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The blocking task that ran the query panicked or was cancelled.
    #[error("storage task failed: {0}")]
    Task(String),
}

/// The broad category of a [`StoreError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreErrorKind {
    /// The backend is unavailable or failed; retrying later may work (HTTP 503).
    Unavailable,
    /// Stored data is unreadable or newer than this build understands (HTTP 500).
    Corrupt,
    /// The caller passed something the store cannot take (HTTP 400 or a bug in the caller).
    InvalidInput,
}

impl StoreError {
    /// The category of this error.
    pub fn kind(&self) -> StoreErrorKind {
        match self {
            StoreError::Sqlite(_) | StoreError::Io { .. } | StoreError::Task(_) => {
                StoreErrorKind::Unavailable
            }
            StoreError::Serialization(_) | StoreError::SchemaTooNew { .. } => {
                StoreErrorKind::Corrupt
            }
            StoreError::Unrepresentable(_)
            | StoreError::DimensionMismatch { .. }
            | StoreError::InvalidVector { .. } => StoreErrorKind::InvalidInput,
        }
    }
}
