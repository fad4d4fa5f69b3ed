//! Findings: facts the analysis stage established, each pointing at its evidence.

use crate::{AttachmentId, FindingId, Suspect, Timestamp};
use serde::{Deserialize, Serialize};

/// How much a finding matters to the investigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Context worth knowing.
    Info,
    /// Unusual; may be related.
    Low,
    /// Likely related to the problem.
    Medium,
    /// Very likely part of the problem.
    High,
    /// Outage-level signal (fatal errors, crash loops, a metric at its limit).
    Critical,
}

/// What kind of fact a finding states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A log template at error or fatal level (how often, where).
    ErrorTemplate,
    /// A log template at warning level.
    WarningTemplate,
    /// The rate of a template or level jumped in a time window.
    LogBurst,
    /// A template present in the incident data and absent from the baseline.
    NewTemplate,
    /// A template present in the baseline and absent from the incident data.
    VanishedTemplate,
    /// An exception or stack trace (type, top frames, count).
    Exception,
    /// Metric points far outside the series' robust range.
    MetricAnomaly,
    /// A metric's level moved and stayed.
    MetricShift,
    /// A bounded resource (disk, memory, a queue with a limit) rising towards its limit:
    /// when it will be full at the current rate.
    MetricSaturation,
    /// A template's rate differs from the baseline's beyond chance (a statistical test).
    FrequencyShift,
    /// Entities (requests, blocks, sessions, ...) whose events deviate from the others.
    EntityAnomaly,
    /// Spans slower or failing more than usual.
    TraceAnomaly,
    /// A configuration value that looks wrong or differs from the baseline.
    ConfigIssue,
    /// Log lines that report operations (queries, lock waits, GC pauses, requests) taking
    /// far longer than such operations should, read from the durations in their text.
    SlowOperation,
}

/// A pointer into the uploaded data that supports a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Evidence {
    /// A range of lines of an upload.
    LogLines {
        /// The upload.
        attachment: AttachmentId,
        /// First line, 1-based.
        first_line: u64,
        /// Last line, inclusive.
        last_line: u64,
        /// The (redacted) text of the first line, cut to a few hundred characters.
        excerpt: Option<String>,
    },
    /// One point of a metric series.
    MetricPoint {
        /// The upload.
        attachment: AttachmentId,
        /// Series identity: name and labels, e.g. `cpu_usage{pod="web-1"}`.
        series: String,
        /// When, if the series is timed.
        timestamp: Option<Timestamp>,
        /// The observed value.
        value: f64,
        /// Line of the upload the point was read from, 1-based.
        line: u64,
    },
    /// One span of a trace.
    Span {
        /// The upload.
        attachment: AttachmentId,
        /// Trace id as in the upload.
        trace_id: String,
        /// Span id as in the upload.
        span_id: String,
    },
    /// One key of a configuration document.
    ConfigKey {
        /// The upload.
        attachment: AttachmentId,
        /// Key path, e.g. `spec.containers[0].resources.limits.memory`.
        path: String,
        /// Line of the upload, 1-based, when known.
        line: Option<u64>,
    },
}

impl Evidence {
    /// The upload this evidence points into.
    pub fn attachment(&self) -> AttachmentId {
        match self {
            Self::LogLines { attachment, .. }
            | Self::MetricPoint { attachment, .. }
            | Self::Span { attachment, .. }
            | Self::ConfigKey { attachment, .. } => *attachment,
        }
    }
}

/// A fact established by analysis, with the evidence for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// `F1`, `F2`, ... unique within a session.
    pub id: FindingId,
    /// What kind of fact.
    pub kind: FindingKind,
    /// How much it matters.
    pub severity: Severity,
    /// One line a human understands, e.g. "Template E17 'Connection refused to <*>' 412 times
    /// from 14:03".
    pub title: String,
    /// A few sentences: counts, window, comparison.
    pub detail: String,
    /// Strength of the signal in [0, 1], comparable across findings, used for ranking.
    pub score: f64,
    /// Start of the window the finding covers, when the data is timed.
    pub first_seen: Option<Timestamp>,
    /// End of that window.
    pub last_seen: Option<Timestamp>,
    /// Entities the finding is about (component, host, service, series), when known.
    pub subjects: Vec<Suspect>,
    /// Template id when the finding is about a log template.
    pub template_id: Option<u32>,
    /// Pointers into the data; never empty.
    pub evidence: Vec<Evidence>,
    /// Every entity (request id, block id, session, pod, ...) the finding flags, with its
    /// score; empty for findings that are not about groups of entities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<EntityScore>,
}

/// One entity flagged by an entity-grouped anomaly finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityScore {
    /// What kind of identifier, e.g. `blk_-<n>`, `request_id`, `uuid`.
    pub kind: String,
    /// The identifier as in the data (already redacted by ingest).
    pub id: String,
    /// How anomalous in [0, 1]; comparable within one finding.
    pub score: f64,
    /// Why it was flagged, in a few words ("rare transition E3 -> E9").
    pub reason: String,
    /// The upload of the line that shows the anomaly.
    pub attachment: AttachmentId,
    /// That line, 1-based.
    pub line: u64,
}

/// Lines of one template per time bucket, for plotting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateHistogram {
    /// Width of every bucket, in seconds.
    pub bucket_seconds: i64,
    /// Start of the first incident bucket (shared by every template of one analysis).
    pub start: Timestamp,
    /// Incident lines per bucket, from `start`.
    pub counts: Vec<u64>,
    /// Start of the first baseline bucket, when the baseline is timed.
    pub baseline_start: Option<Timestamp>,
    /// Baseline lines per bucket of the same width, from `baseline_start`.
    pub baseline_counts: Vec<u64>,
}

/// One mined log template, for the response and the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateSummary {
    /// Stable within one analysis: 1, 2, ...
    pub id: u32,
    /// The template text, variables as `<*>`.
    pub template: String,
    /// Lines matched in incident uploads.
    pub count: u64,
    /// Lines matched in baseline uploads.
    pub baseline_count: u64,
    /// Most severe level seen on a matching line.
    pub level: Option<crate::Level>,
    /// First matching line: upload and line number.
    pub first_attachment: AttachmentId,
    /// First matching line number, 1-based.
    pub first_line: u64,
    /// Lines per time bucket, when the lines carry timestamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<TemplateHistogram>,
}
