//! Where format parsers put their results: records (redacted on the way out), issues and
//! counts. Parsers never talk to the sink directly, so no record can skip redaction.

use crate::Redactor;
use faultmaven_model::{
    CodeSnippet, ConfigEntry, LogRecord, MetricSample, ParseIssue, RecordSink, SpanRecord,
};
use std::fmt;

/// Counts and issues of one attachment.
#[derive(Debug)]
pub(crate) struct Tally {
    pub records: u64,
    pub issues: Vec<ParseIssue>,
    pub issues_truncated: bool,
    pub max_issues: usize,
}

impl Tally {
    pub fn new(max_issues: usize) -> Self {
        Self {
            records: 0,
            issues: Vec::new(),
            issues_truncated: false,
            max_issues,
        }
    }

    /// Records an issue; the text is only formatted when it is kept.
    pub fn issue(&mut self, line: Option<u64>, reason: fmt::Arguments<'_>) {
        self.issue_redacted(line, reason, None);
    }

    /// Records an issue whose text goes through `redactor` when it is kept.
    pub fn issue_redacted(
        &mut self,
        line: Option<u64>,
        reason: fmt::Arguments<'_>,
        redactor: Option<&Redactor>,
    ) {
        if self.issues.len() >= self.max_issues {
            self.issues_truncated = true;
            return;
        }
        let reason = reason.to_string();
        let reason = match redactor {
            Some(redactor) => redactor
                .redact_cow(std::borrow::Cow::Owned(reason))
                .into_owned(),
            None => reason,
        };
        self.issues.push(ParseIssue { line, reason });
    }
}

/// The parsers' view of the outside: the sink, the redactor and the tally.
pub(crate) struct Output<'a> {
    pub sink: &'a mut dyn RecordSink,
    pub redactor: &'a Redactor,
    pub tally: &'a mut Tally,
}

impl Output<'_> {
    /// Redacts the record's text and passes it on.
    pub fn log(&mut self, mut record: LogRecord<'_>) {
        record.message = without_nul(self.redactor.redact_cow(record.message));
        record.source = record
            .source
            .map(|source| without_nul(self.redactor.redact_cow(source)));
        for (key, value) in &mut record.attributes {
            let taken = std::mem::take(value);
            *value = without_nul(self.redactor.redact_field_cow(key, taken));
            *key = without_nul(std::mem::take(key));
        }
        self.tally.records += 1;
        self.sink.log(record);
    }

    /// Redacts label values and passes the sample on.
    pub fn metric(&mut self, mut sample: MetricSample<'_>) {
        sample.name = without_nul(sample.name);
        for (key, value) in &mut sample.labels {
            let taken = std::mem::take(value);
            *value = without_nul(self.redactor.redact_field_cow(key, taken));
            *key = without_nul(std::mem::take(key));
        }
        self.tally.records += 1;
        self.sink.metric(sample);
    }

    /// Redacts a configuration value (the whole value when its key names a secret) and passes
    /// the entry on.
    pub fn config(&mut self, mut entry: ConfigEntry<'_>) {
        let key = crate::config_files::last_key(&entry.path);
        entry.value = if names_an_upstream(key, &entry.value) {
            self.redactor.redact_cow(entry.value)
        } else {
            self.redactor.redact_field_cow(key, entry.value)
        };
        entry.value = without_nul(entry.value);
        entry.path = without_nul(self.redactor.redact_cow(entry.path));
        entry.document_label = entry
            .document_label
            .map(|label| self.redactor.redact_cow(label));
        self.tally.records += 1;
        self.sink.config(entry);
    }

    /// Redacts the operation name (URLs carry tokens) and attribute values, then passes the
    /// span on.
    pub fn span(&mut self, mut span: SpanRecord<'_>) {
        span.operation = without_nul(self.redactor.redact_cow(span.operation));
        for (key, value) in &mut span.attributes {
            let taken = std::mem::take(value);
            *value = without_nul(self.redactor.redact_field_cow(key, taken));
        }
        self.tally.records += 1;
        self.sink.span(span);
    }

    /// Redacts the snippet's text, exception and frames (paths name users, messages carry
    /// secrets like any log line) and passes it on.
    pub fn code(&mut self, mut snippet: CodeSnippet<'_>) {
        snippet.text = without_nul(self.redactor.redact_cow(snippet.text));
        snippet.exception = snippet
            .exception
            .map(|exception| without_nul(self.redactor.redact_cow(exception)));
        for frame in &mut snippet.frames {
            frame.function = self.redact_owned(std::mem::take(&mut frame.function));
            frame.module = frame.module.take().map(|module| self.redact_owned(module));
            frame.file = frame.file.take().map(|file| self.redact_owned(file));
        }
        self.tally.records += 1;
        self.sink.code(snippet);
    }

    fn redact_owned(&self, text: String) -> String {
        without_nul(self.redactor.redact_cow(std::borrow::Cow::Owned(text))).into_owned()
    }

    /// Records a problem with one line (or the whole file when `line` is `None`). The text is
    /// redacted like a record: issues reach the response and the store, and some quote the
    /// upload (serde's errors quote the string they refused, a parser may quote a field).
    pub fn issue(&mut self, line: Option<u64>, reason: fmt::Arguments<'_>) {
        self.tally.issue_redacted(line, reason, Some(self.redactor));
    }
}

/// nginx's `proxy_pass`, `fastcgi_pass`, `grpc_pass`... name an upstream address, not a
/// password: the value is scanned like text (a password inside a URL is still caught).
fn names_an_upstream(key: &str, value: &str) -> bool {
    key.ends_with("_pass")
        && (value.starts_with('$')
            || value.starts_with("unix:")
            || value.get(..12).unwrap_or(value).contains("://"))
}

/// Replaces NUL characters with U+FFFD. Lines keep NUL while they are parsed (byte-exact
/// formats such as journald's binary fields need it), but no record carries one onward: text
/// stores (PostgreSQL `text`/`jsonb`) reject it.
fn without_nul(text: std::borrow::Cow<'_, str>) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        std::borrow::Cow::Owned(text.replace('\0', "\u{fffd}"))
    } else {
        text
    }
}
