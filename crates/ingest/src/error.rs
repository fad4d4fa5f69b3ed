//! Why ingesting an upload failed as a whole. Problems with single lines are not errors: they
//! become `ParseIssue`s in the attachment summary.

/// A failure that stops parsing an upload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// A compressed upload expands beyond the configured limit (a likely decompression bomb).
    #[error("the upload expands to more than {limit} bytes once decompressed")]
    DecompressedTooLarge {
        /// The limit, in decompressed bytes.
        limit: u64,
    },
    /// The compressed stream is damaged or truncated.
    #[error("the compressed upload is corrupt: {reason}")]
    Corrupt {
        /// What the decompressor reported.
        reason: String,
    },
    /// A compressed stream or archive member expands far more than real data does.
    #[error("the data expands more than {limit} times its compressed size (a likely decompression bomb)")]
    CompressionRatioTooHigh {
        /// The largest ratio accepted.
        limit: u64,
    },
    /// A zip file is larger than the configured limit.
    #[error("the zip archive is larger than {limit} bytes")]
    ZipTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Archives and compression are nested deeper than the configured limit.
    #[error("archives and compression are nested more than {limit} levels deep")]
    NestedTooDeep {
        /// The deepest nesting accepted.
        limit: usize,
    },
}

/// Coarse classes of [`IngestError`], for mapping to HTTP statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IngestErrorKind {
    /// A size limit was exceeded.
    TooLarge,
    /// The upload cannot be read as sent.
    InvalidInput,
}

impl IngestError {
    /// The class of the error.
    pub fn kind(&self) -> IngestErrorKind {
        match self {
            Self::DecompressedTooLarge { .. }
            | Self::CompressionRatioTooHigh { .. }
            | Self::ZipTooLarge { .. } => IngestErrorKind::TooLarge,
            Self::NestedTooDeep { .. } => IngestErrorKind::InvalidInput,
            Self::Corrupt { .. } => IngestErrorKind::InvalidInput,
        }
    }
}
