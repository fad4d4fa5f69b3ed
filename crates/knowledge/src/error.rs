//! The error type of the knowledge base, with a coarse kind for callers that map errors to HTTP
//! statuses or metrics.

use faultmaven_llm::LlmError;
use faultmaven_store::StoreError;
use std::path::PathBuf;

/// Errors from parsing runbooks, building the knowledge base and searching it.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    /// A runbook's text is not valid (front matter, a key, a code block).
    #[error("runbook {id:?}{}: {reason}", line.map(|line| format!(" line {line}")).unwrap_or_default())]
    InvalidRunbook {
        /// The runbook id (its file stem).
        id: String,
        /// 1-based line of the runbook text where the problem is, when it is tied to one.
        line: Option<usize>,
        /// What is wrong, for the author of the runbook.
        reason: String,
    },
    /// Two runbooks have the same id.
    #[error("runbook id {0:?} is used twice")]
    DuplicateRunbook(String),
    /// A runbook directory or file could not be read.
    #[error("cannot read runbooks from {path}: {source}")]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The embedder failed.
    #[error("embedding failed: {0}")]
    Embedding(#[from] LlmError),
    /// The embedder returned a different number of vectors than it was given texts.
    #[error("the embedder returned {returned} vectors for {expected} texts")]
    EmbeddingCount {
        /// Texts sent.
        expected: usize,
        /// Vectors received.
        returned: usize,
    },
    /// The vector index refused a runbook's vector (for example a dimension mismatch).
    #[error("vector index: {0}")]
    Index(#[from] StoreError),
}

/// The broad category of a [`KnowledgeError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KnowledgeErrorKind {
    /// A runbook as written is wrong; its author must fix it.
    InvalidRunbook,
    /// Runbook files could not be read.
    Io,
    /// The embedding model or the vector index failed or does not fit (wrong dimension).
    Retrieval,
}

impl KnowledgeError {
    /// The category of this error.
    pub fn kind(&self) -> KnowledgeErrorKind {
        match self {
            KnowledgeError::InvalidRunbook { .. } | KnowledgeError::DuplicateRunbook(_) => {
                KnowledgeErrorKind::InvalidRunbook
            }
            KnowledgeError::Io { .. } => KnowledgeErrorKind::Io,
            KnowledgeError::Embedding(_)
            | KnowledgeError::EmbeddingCount { .. }
            | KnowledgeError::Index(_) => KnowledgeErrorKind::Retrieval,
        }
    }

    /// An [`KnowledgeError::InvalidRunbook`].
    pub(crate) fn invalid(id: &str, line: Option<usize>, reason: impl Into<String>) -> Self {
        KnowledgeError::InvalidRunbook {
            id: id.to_owned(),
            line,
            reason: reason.into(),
        }
    }
}
