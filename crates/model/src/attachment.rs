//! What the ingest stage reports about each uploaded file.

use crate::AttachmentId;
use serde::{Deserialize, Serialize};

/// What an attachment holds, as detected from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// Log lines or log records.
    Log,
    /// Metric samples or series.
    Metric,
    /// Distributed-tracing spans.
    Trace,
    /// A configuration file.
    Config,
    /// Source code or a stack trace on its own.
    Code,
    /// An archive (zip, tar); each member is reported as its own attachment.
    Archive,
    /// Nothing we recognise; kept as plain text lines.
    Unknown,
}

impl DataKind {
    /// The lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Log => "log",
            Self::Metric => "metric",
            Self::Trace => "trace",
            Self::Config => "config",
            Self::Code => "code",
            Self::Archive => "archive",
            Self::Unknown => "unknown",
        }
    }
}

/// Whether an attachment is the data under investigation or known-good data to compare with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentRole {
    /// Data from the incident (multipart field `file`).
    #[default]
    Incident,
    /// Known-good data from before the incident (multipart field `baseline`).
    Baseline,
}

/// A problem with part of an attachment. Parsers report these and carry on: one bad line never
/// fails a whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseIssue {
    /// 1-based line number where the problem is, when it is tied to a line.
    pub line: Option<u64>,
    /// What is wrong, lowercase, for a human.
    pub reason: String,
}

/// Everything the response says about one uploaded file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentSummary {
    /// `a1`, `a2`, ... in upload order.
    pub id: AttachmentId,
    /// The file name the client sent (only a hint for detection).
    pub name: String,
    /// Incident data or baseline.
    pub role: AttachmentRole,
    /// What the content was detected to be.
    pub kind: DataKind,
    /// The detected format, e.g. `json_lines`, `plain_text_log`, `prometheus_text`, `csv_metrics`.
    pub format: String,
    /// Bytes received (after decompression, when the upload was compressed).
    pub bytes: u64,
    /// Lines seen.
    pub lines: u64,
    /// Records produced (log records, metric samples, ...).
    pub records: u64,
    /// Problems met while parsing; capped, see `issues_truncated`.
    pub issues: Vec<ParseIssue>,
    /// True when more issues occurred than were kept.
    pub issues_truncated: bool,
}
