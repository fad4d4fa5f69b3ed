//! Normalized records, produced by ingest parsers and consumed by analysis as a stream.
//!
//! Records borrow from the parser's buffers (`Cow`), so the hot path need not allocate per line;
//! a consumer that keeps something copies only what it keeps.

use crate::{AttachmentId, Timestamp};
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
    /// one-letter forms of glog and Android (V D I W E F).
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
            b"trace" | b"finest" | b"finer" | b"v" | b"verbose" => Self::Trace,
            b"debug" | b"dbg" | b"fine" | b"d" => Self::Debug,
            b"info" | b"information" | b"informational" | b"i" | b"config" => Self::Info,
            b"notice" | b"n" => Self::Notice,
            b"warn" | b"warning" | b"w" => Self::Warn,
            b"error" | b"err" | b"e" | b"failure" => Self::Error,
            b"fatal" | b"critical" | b"crit" | b"alert" | b"emerg" | b"emergency" | b"panic"
            | b"severe" | b"f" | b"c" => Self::Fatal,
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

/// Where parsers send records as they stream through an upload. Analysis implements it.
pub trait RecordSink {
    /// Receives one log record.
    fn log(&mut self, record: LogRecord<'_>);
    /// Receives one metric sample.
    fn metric(&mut self, sample: MetricSample<'_>);
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
