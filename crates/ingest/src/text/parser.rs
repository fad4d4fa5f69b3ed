//! The text-log parsers: `TextLogParser` assembles records (header by the learned layout,
//! continuation lines joined), `PlainTextParser` makes one record per line.

use super::header::{find_timestamp, parse_header, Header};
use super::traces::{
    is_continuation_line, is_go_frame, is_goroutine_header, is_python_exception_line,
    is_trace_start, TraceLanguage,
};
use super::TextLayout;
use crate::format::{FormatParser, ParserSettings};
use crate::output::Output;
use crate::timestamp::YearResolver;
use faultmaven_model::{LogRecord, Timestamp};
use std::borrow::Cow;

/// Where a record is inside a multi-line trace, to join the lines that only make sense there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TraceState {
    None,
    /// Inside a Python traceback: the final `ValueError: ...` line still belongs to it.
    Python,
    /// Inside a Go goroutine dump: unindented `pkg.func(...)` lines belong to it.
    Go,
}

/// The record being assembled: its first line is kept until the next line shows whether more
/// lines follow.
struct Pending {
    active: bool,
    first_line: u64,
    last_line: u64,
    line_count: usize,
    text: String,
    header: Header,
    timestamp: Option<Timestamp>,
    /// The message and its continuation lines, used once a second line arrives.
    joined: String,
    multiline: bool,
    trace: TraceState,
}

/// Parses plain-text logs, and stack traces on their own, into log records.
pub(crate) struct TextLogParser {
    settings: ParserSettings,
    layout: TextLayout,
    years: YearResolver,
    pending: Pending,
    in_private_key: Option<usize>,
}

/// A line that starts a PEM private key block without ending it. The SIMD substring search
/// is built once: this runs on every line.
fn opens_private_key_block(line: &str) -> bool {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    let finder = FINDER.get_or_init(|| memchr::memmem::Finder::new(b"PRIVATE KEY-----"));
    finder.find(line.as_bytes()).is_some()
        && line.contains("-----BEGIN")
        && !line.contains("-----END")
}

/// Longest PEM block body masked line by line before giving up on finding its end.
const MAX_PRIVATE_KEY_LINES: usize = 200;
const PRIVATE_KEY_PLACEHOLDER: &str = "<REDACTED:private_key>";

impl TextLogParser {
    pub fn new(settings: &ParserSettings, layout: TextLayout) -> Self {
        Self {
            settings: settings.clone(),
            layout,
            years: YearResolver::new(settings.base_year),
            pending: Pending {
                active: false,
                first_line: 0,
                last_line: 0,
                line_count: 0,
                text: String::new(),
                header: Header::default(),
                timestamp: None,
                joined: String::new(),
                multiline: false,
                trace: TraceState::None,
            },
            in_private_key: None,
        }
    }

    fn flush(&mut self, out: &mut Output<'_>) {
        let pending = &mut self.pending;
        if !pending.active {
            return;
        }
        pending.active = false;
        let text = pending.text.as_str();
        let message = if pending.multiline {
            pending.joined.trim_end()
        } else {
            text[pending.header.message_start.min(text.len())..].trim_end()
        };
        let attributes = pending
            .header
            .attributes
            .iter()
            .flatten()
            .map(|(name, range)| (Cow::Borrowed(*name), Cow::Borrowed(&text[range.clone()])))
            .collect();
        out.log(LogRecord {
            attachment: self.settings.attachment,
            first_line: pending.first_line,
            last_line: pending.last_line,
            timestamp: pending.timestamp,
            level: pending.header.level,
            source: pending
                .header
                .source
                .clone()
                .map(|range| Cow::Borrowed(&text[range])),
            message: Cow::Borrowed(message),
            attributes,
        });
    }

    fn start(&mut self, number: u64, line: &str, header: Header) {
        let timestamp = header
            .timestamp
            .as_ref()
            .and_then(|parts| self.years.resolve(parts));
        let pending = &mut self.pending;
        pending.active = true;
        pending.first_line = number;
        pending.last_line = number;
        pending.line_count = 1;
        pending.text.clear();
        pending.text.push_str(line);
        pending.header = header;
        pending.timestamp = timestamp;
        pending.multiline = false;
        pending.trace = match is_trace_start(line) {
            Some(TraceLanguage::Python) => TraceState::Python,
            Some(TraceLanguage::Go) => TraceState::Go,
            _ => TraceState::None,
        };
    }

    /// Appends a continuation line; returns false when the record is full.
    fn append(&mut self, number: u64, line: &str, out: &mut Output<'_>) -> bool {
        let pending = &mut self.pending;
        let current_bytes = if pending.multiline {
            pending.joined.len()
        } else {
            pending.text.len() - pending.header.message_start.min(pending.text.len())
        };
        if pending.line_count >= self.settings.max_record_lines
            || current_bytes + 1 + line.len() > self.settings.max_record_bytes
        {
            out.issue(
                Some(number),
                format_args!(
                    "record starting at line {} exceeds {} lines or {} bytes; split here",
                    pending.first_line,
                    self.settings.max_record_lines,
                    self.settings.max_record_bytes
                ),
            );
            return false;
        }
        if !pending.multiline {
            pending.joined.clear();
            let start = pending.header.message_start.min(pending.text.len());
            pending.joined.push_str(&pending.text[start..]);
            pending.multiline = true;
        }
        pending.joined.push('\n');
        pending.joined.push_str(line);
        pending.last_line = number;
        pending.line_count += 1;
        let trimmed = line.trim_start();
        if line.starts_with("Traceback (most recent call last)") || trimmed.starts_with("File \"") {
            pending.trace = TraceState::Python;
        } else if is_goroutine_header(line) {
            pending.trace = TraceState::Go;
        } else if pending.trace == TraceState::Python
            && !line.starts_with([' ', '\t'])
            && is_python_exception_line(line)
        {
            // The exception line ends a Python traceback.
            pending.trace = TraceState::None;
        }
        true
    }

    /// True when `line` (with no timestamp of its own) continues the pending record.
    fn continues(&self, line: &str) -> bool {
        if !self.pending.active {
            return false;
        }
        if is_continuation_line(line) {
            return true;
        }
        match self.pending.trace {
            TraceState::Python => is_python_exception_line(line),
            TraceState::Go => is_go_frame(line) || line.starts_with("exit status "),
            TraceState::None => {
                // In a timestamped log a line without its own timestamp is part of the
                // previous record (a wrapped message, an exception's first line).
                self.layout.timestamped && self.pending.timestamp.is_some()
            }
        }
    }
}

impl FormatParser for TextLogParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        // PEM key bodies are masked line by line: a key pasted into a log must not leak
        // through records the redactor sees one line at a time.
        let line = match self.in_private_key {
            Some(count) => {
                if line.contains("-----END") || count >= MAX_PRIVATE_KEY_LINES {
                    self.in_private_key = None;
                    line
                } else {
                    self.in_private_key = Some(count + 1);
                    PRIVATE_KEY_PLACEHOLDER
                }
            }
            None => {
                if opens_private_key_block(line) {
                    self.in_private_key = Some(0);
                }
                line
            }
        };
        if line.trim().is_empty() {
            return;
        }
        let starts_indented = line.starts_with([' ', '\t']);
        let timestamp = if starts_indented {
            None
        } else {
            find_timestamp(line, &self.layout)
        };
        if timestamp.is_none() && self.continues(line) {
            if self.append(number, line, out) {
                return;
            }
            // The record is full: what follows starts a new one, keeping every line.
            self.flush(out);
            self.start(number, line, Header::default());
            return;
        }
        self.flush(out);
        let header = parse_header(line, &self.layout, timestamp);
        self.start(number, line, header);
    }

    fn finish(&mut self, out: &mut Output<'_>) {
        self.flush(out);
    }
}

/// Text we do not recognise: every non-blank line becomes a record, nothing is joined or
/// interpreted.
pub(crate) struct PlainTextParser {
    settings: ParserSettings,
    in_private_key: Option<usize>,
}

impl PlainTextParser {
    pub fn new(settings: &ParserSettings) -> Self {
        Self {
            settings: settings.clone(),
            in_private_key: None,
        }
    }
}

impl FormatParser for PlainTextParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        let message = match self.in_private_key {
            Some(count) if !line.contains("-----END") && count < MAX_PRIVATE_KEY_LINES => {
                self.in_private_key = Some(count + 1);
                PRIVATE_KEY_PLACEHOLDER
            }
            Some(_) => {
                self.in_private_key = None;
                line
            }
            None => {
                if opens_private_key_block(line) {
                    self.in_private_key = Some(0);
                }
                line
            }
        };
        if message.trim().is_empty() {
            return;
        }
        out.log(LogRecord {
            attachment: self.settings.attachment,
            first_line: number,
            last_line: number,
            timestamp: None,
            level: None,
            source: None,
            message: Cow::Borrowed(message.trim_end()),
            attributes: Vec::new(),
        });
    }

    fn finish(&mut self, _out: &mut Output<'_>) {}
}
