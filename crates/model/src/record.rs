//! Normalized records, produced by ingest parsers and consumed by analysis as a stream.
//!
//! Records borrow from the parser's buffers (`Cow`), so the hot path need not allocate per line;
//! a consumer that keeps something copies only what it keeps.

use crate::{AttachmentId, AttachmentRole, Timestamp};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Severity of a log record, normalized from whatever the source used
/// (`WARN`, `warning`, `W`, syslog priority 4, ... all become `Warn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Finest detail.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation.
    Info,
    /// Normal but significant (syslog notice).
    Notice,
    /// Something unexpected that did not fail.
    Warn,
    /// An operation failed.
    Error,
    /// The process or a major part of it cannot go on (fatal, critical, alert, emergency, panic).
    Fatal,
}

impl Level {
    /// Parses common spellings case-insensitively: trace, debug/dbg, info/information, notice,
    /// warn/warning, error/err, fatal/critical/crit/alert/emerg/emergency/panic/severe, and the
    /// one-letter forms of glog and Android (V D I W E F), and Serilog's three-letter forms
    /// (VRB DBG INF WRN ERR FTL).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() > 11 {
            return None;
        }
        let mut buf = [0u8; 11];
        for (slot, byte) in buf.iter_mut().zip(text.bytes()) {
            *slot = byte.to_ascii_lowercase();
        }
        let lower = &buf[..text.len()];
        Some(match lower {
            b"trace" | b"finest" | b"finer" | b"v" | b"verbose" | b"vrb" => Self::Trace,
            b"debug" | b"dbg" | b"fine" | b"d" => Self::Debug,
            b"info" | b"information" | b"informational" | b"inf" | b"i" | b"config" => Self::Info,
            b"notice" | b"n" => Self::Notice,
            b"warn" | b"warning" | b"wrn" | b"w" => Self::Warn,
            b"error" | b"err" | b"e" | b"failure" => Self::Error,
            b"fatal" | b"critical" | b"crit" | b"alert" | b"emerg" | b"emergency" | b"panic"
            | b"severe" | b"ftl" | b"f" | b"c" => Self::Fatal,
            _ => return None,
        })
    }

    /// The level of a syslog severity (RFC 5424: 0 emergency … 7 debug), as journald's
    /// `PRIORITY`, a structured log's `severity` number and a syslog `<PRI>` carry it.
    pub fn from_syslog_severity(severity: u8) -> Option<Self> {
        Some(match severity {
            0..=2 => Self::Fatal,
            3 => Self::Error,
            4 => Self::Warn,
            5 => Self::Notice,
            6 => Self::Info,
            7 => Self::Debug,
            _ => return None,
        })
    }

    /// True for `Error` and `Fatal`.
    pub fn is_error(self) -> bool {
        self >= Self::Error
    }

    /// Lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Notice => "notice",
            Self::Warn => "warn",
            Self::Error => "error",
            Self::Fatal => "fatal",
        }
    }
}

/// One log record: a line, or several lines joined (a stack trace and its message).
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord<'a> {
    /// Which upload it came from.
    pub attachment: AttachmentId,
    /// First line of the record in the upload, 1-based.
    pub first_line: u64,
    /// Last line of the record (equal to `first_line` for single-line records).
    pub last_line: u64,
    /// When it happened, if the record says.
    pub timestamp: Option<Timestamp>,
    /// Severity, if the record says or it can be inferred from an explicit field.
    pub level: Option<Level>,
    /// The emitting component, logger, service or process, if known.
    pub source: Option<Cow<'a, str>>,
    /// The message text without the header (timestamp, level, source), already redacted.
    pub message: Cow<'a, str>,
    /// Other structured fields (JSON keys, logfmt pairs), already redacted.
    pub attributes: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// One metric observation.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSample<'a> {
    /// Which upload it came from.
    pub attachment: AttachmentId,
    /// Line of the upload it was read from, 1-based.
    pub line: u64,
    /// Metric name, e.g. `http_requests_total` or a CSV column header.
    pub name: Cow<'a, str>,
    /// Labels, sorted by key, e.g. `[("instance", "web-1"), ("job", "api")]`.
    pub labels: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// When it was observed; `None` for a snapshot without a timestamp (Prometheus scrape text).
    pub timestamp: Option<Timestamp>,
    /// The value.
    pub value: f64,
}

/// The role of a span in its call, as OpenTelemetry names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    /// Not stated by the source.
    #[default]
    Unspecified,
    /// Work inside one service.
    Internal,
    /// The callee side of a request (handles it).
    Server,
    /// The caller side of a request (waits for the callee).
    Client,
    /// Sends a message to a queue.
    Producer,
    /// Receives a message from a queue.
    Consumer,
}

/// One span of a distributed trace (OTLP, Jaeger, Zipkin, CSV span tables all normalize to it).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanRecord<'a> {
    /// Which upload it came from.
    pub attachment: AttachmentId,
    /// Line of the upload where the span starts (1-based), or its 1-based index in a JSON
    /// document that has no useful line structure; findings cite it with the span id.
    pub line: u64,
    /// Trace id as in the upload (hex for OTLP/Jaeger/Zipkin).
    pub trace_id: Cow<'a, str>,
    /// Span id as in the upload.
    pub span_id: Cow<'a, str>,
    /// Parent span id; `None` for a root span.
    pub parent_span_id: Option<Cow<'a, str>>,
    /// Emitting service (`service.name`, Jaeger process serviceName, Zipkin localEndpoint).
    pub service: Cow<'a, str>,
    /// Operation or span name, e.g. `GET /api/orders`.
    pub operation: Cow<'a, str>,
    /// Server, client, ...
    pub kind: SpanKind,
    /// Start time.
    pub start: Timestamp,
    /// Duration in nanoseconds.
    pub duration_ns: u64,
    /// True when the span reports an error (OTLP status ERROR, `error=true` tag, HTTP >= 500).
    pub is_error: bool,
    /// Other attributes (pod, host, peer service, http status, ...), already redacted.
    pub attributes: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// One key of a configuration document, flattened to a path.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEntry<'a> {
    /// Which upload it came from.
    pub attachment: AttachmentId,
    /// Line of the upload where the key is, 1-based, when the format tells.
    pub line: Option<u64>,
    /// Which document of a multi-document file (YAML `---`), 0-based.
    pub document: u32,
    /// What the document is, when recognised, e.g. `Deployment default/web` for a Kubernetes
    /// manifest, `nginx`, `Dockerfile`.
    pub document_label: Option<Cow<'a, str>>,
    /// Key path, e.g. `spec.containers[0].resources.limits.memory`, `database.url`, `server.listen`.
    pub path: Cow<'a, str>,
    /// The value as text, already redacted (secrets become typed placeholders).
    pub value: Cow<'a, str>,
}

/// One frame of a stack trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackFrame {
    /// Function or method, e.g. `com.shop.OrderService.place` or `handler`.
    pub function: String,
    /// The module, package or class the function belongs to, when the frame says
    /// (`com.shop.OrderService`, `net/http`, `App\\Controller\\OrderController`).
    pub module: Option<String>,
    /// Source file, when the frame says.
    pub file: Option<String>,
    /// Source line, when the frame says.
    pub line: Option<u32>,
    /// Line of the upload the frame was read from, 1-based, so findings can cite it.
    pub upload_line: u64,
}

/// A code snippet or a stack trace pasted on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeSnippet<'a> {
    /// Which upload it came from.
    pub attachment: AttachmentId,
    /// First line of the snippet in the upload, 1-based.
    pub first_line: u64,
    /// Last line, inclusive.
    pub last_line: u64,
    /// Detected language, e.g. `java`, `python`, `go`, `javascript`, `csharp`, `ruby`, `rust`.
    pub language: Option<Cow<'a, str>>,
    /// Exception type and message when it is a stack trace, e.g. `java.lang.NullPointerException`.
    pub exception: Option<Cow<'a, str>>,
    /// Frames, innermost first, when it is a stack trace.
    pub frames: Vec<StackFrame>,
    /// The text, already redacted.
    pub text: Cow<'a, str>,
}

/// Where parsers send records as they stream through an upload. Analysis implements it.
///
/// Spans, config entries and code snippets have default no-op receivers so a sink that only
/// cares about logs and metrics (a test, a small tool) need not name them.
pub trait RecordSink {
    /// Receives one log record.
    fn log(&mut self, record: LogRecord<'_>);
    /// Receives one metric sample.
    fn metric(&mut self, sample: MetricSample<'_>);
    /// Receives one trace span.
    fn span(&mut self, span: SpanRecord<'_>) {
        let _ = span;
    }
    /// Receives one configuration key.
    fn config(&mut self, entry: ConfigEntry<'_>) {
        let _ = entry;
    }
    /// Receives one code snippet or stand-alone stack trace.
    fn code(&mut self, snippet: CodeSnippet<'_>) {
        let _ = snippet;
    }
    /// Hears of an attachment found inside an upload (an archive member, named
    /// `bundle.zip!/var/log/app.log`) before its first record arrives.
    fn attachment(&mut self, id: AttachmentId, role: AttachmentRole, name: &str) {
        let _ = (id, role, name);
    }
}

fn owned(pairs: Vec<(Cow<'_, str>, Cow<'_, str>)>) -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
    pairs
        .into_iter()
        .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
        .collect()
}

fn owned_str(text: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(text.into_owned())
}

/// A sink that keeps every kind of record, owned, for tests, snapshots and small tools.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollectedRecords {
    /// Log records in arrival order.
    pub logs: Vec<LogRecord<'static>>,
    /// Metric samples in arrival order.
    pub metrics: Vec<MetricSample<'static>>,
    /// Spans in arrival order.
    pub spans: Vec<SpanRecord<'static>>,
    /// Configuration entries in arrival order.
    pub configs: Vec<ConfigEntry<'static>>,
    /// Code snippets in arrival order.
    pub code: Vec<CodeSnippet<'static>>,
}

impl RecordSink for CollectedRecords {
    fn log(&mut self, record: LogRecord<'_>) {
        self.logs.push(LogRecord {
            source: record.source.map(owned_str),
            message: owned_str(record.message),
            attributes: owned(record.attributes),
            ..record
        });
    }

    fn metric(&mut self, sample: MetricSample<'_>) {
        self.metrics.push(MetricSample {
            name: owned_str(sample.name),
            labels: owned(sample.labels),
            ..sample
        });
    }

    fn span(&mut self, span: SpanRecord<'_>) {
        self.spans.push(SpanRecord {
            trace_id: owned_str(span.trace_id),
            span_id: owned_str(span.span_id),
            parent_span_id: span.parent_span_id.map(owned_str),
            service: owned_str(span.service),
            operation: owned_str(span.operation),
            attributes: owned(span.attributes),
            ..span
        });
    }

    fn config(&mut self, entry: ConfigEntry<'_>) {
        self.configs.push(ConfigEntry {
            document_label: entry.document_label.map(owned_str),
            path: owned_str(entry.path),
            value: owned_str(entry.value),
            ..entry
        });
    }

    fn code(&mut self, snippet: CodeSnippet<'_>) {
        self.code.push(CodeSnippet {
            language: snippet.language.map(owned_str),
            exception: snippet.exception.map(owned_str),
            text: owned_str(snippet.text),
            ..snippet
        });
    }
}

/// A sink that keeps everything, for tests and small tools.
impl RecordSink for (Vec<LogRecord<'static>>, Vec<MetricSample<'static>>) {
    fn log(&mut self, record: LogRecord<'_>) {
        self.0.push(LogRecord {
            source: record.source.map(|s| Cow::Owned(s.into_owned())),
            message: Cow::Owned(record.message.into_owned()),
            attributes: record
                .attributes
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
            ..record
        });
    }

    fn metric(&mut self, sample: MetricSample<'_>) {
        self.1.push(MetricSample {
            name: Cow::Owned(sample.name.into_owned()),
            labels: sample
                .labels
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
            ..sample
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_spellings() {
        assert_eq!(Level::parse("WARNING"), Some(Level::Warn));
        assert_eq!(Level::parse(" err "), Some(Level::Error));
        assert_eq!(Level::parse("E"), Some(Level::Error));
        assert_eq!(Level::parse("CRITICAL"), Some(Level::Fatal));
        assert_eq!(Level::parse("information"), Some(Level::Info));
        assert_eq!(Level::parse("hello"), None);
        assert_eq!(Level::parse("an extremely long word"), None);
        assert!(Level::Fatal.is_error() && !Level::Warn.is_error());
    }
}
