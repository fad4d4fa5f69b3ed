//! Windows event log text: `wevtutil qe <log> /f:text` (`Event[0]:` then indented
//! `Key: value` lines and a `Description:` that runs to the next event) and PowerShell's
//! `Get-WinEvent | Format-List` (`Key : value` blocks separated by blank lines, a wrapped
//! `Message` continued on indented lines). Time, level, provider and message become the
//! record's fields, every other key (event id, computer, log name, ...) an attribute.

use crate::format::{FormatParser, ParserSettings, Window};
use crate::output::Output;
use crate::timestamp::{parse_whole, YearResolver};
use faultmaven_model::{Level, LogRecord};
use std::borrow::Cow;

/// Which of the two layouts the upload uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `wevtutil /f:text`.
    Wevtutil,
    /// `Format-List`.
    FormatList,
}

/// `Event[12]:`.
fn is_event_header(line: &str) -> bool {
    line.strip_prefix("Event[")
        .and_then(|rest| rest.strip_suffix("]:"))
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// A `Key: value` or `Key   : value` line; the key is words of letters (`Event ID`,
/// `LevelDisplayName`). Returns the key and the value.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let trimmed = line.trim_start();
    let (key, value) = trimmed.split_once(':')?;
    let key = key.trim_end();
    let plausible = !key.is_empty()
        && key.len() <= 40
        && key.as_bytes()[0].is_ascii_uppercase()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'_');
    plausible.then(|| (key, value.trim()))
}

fn is_time_key(key: &str) -> bool {
    matches!(
        key,
        "Date" | "TimeCreated" | "TimeGenerated" | "TimeWritten"
    )
}

fn is_level_key(key: &str) -> bool {
    matches!(key, "Level" | "LevelDisplayName" | "EntryType")
}

fn is_source_key(key: &str) -> bool {
    matches!(key, "Source" | "ProviderName")
}

fn is_message_key(key: &str) -> bool {
    matches!(key, "Description" | "Message")
}

fn windows_level(text: &str) -> Option<Level> {
    match text.trim() {
        "Information" | "Info" | "0" | "4" => Some(Level::Info),
        "Warning" | "3" => Some(Level::Warn),
        "Error" | "2" => Some(Level::Error),
        "Critical" | "1" => Some(Level::Fatal),
        "Verbose" | "5" => Some(Level::Trace),
        "Audit Success" | "SuccessAudit" => Some(Level::Info),
        "Audit Failure" | "FailureAudit" => Some(Level::Warn),
        other => Level::parse(other),
    }
}

pub(crate) fn sniff(window: &Window<'_>) -> u8 {
    let mut headers = 0usize;
    let mut keys: Vec<&str> = Vec::new();
    for line in window.lines() {
        if is_event_header(line) {
            headers += 1;
        } else if let Some((key, _)) = key_value(line) {
            if keys.len() < 64 && !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let has = |key: &str| keys.contains(&key);
    if headers > 0 && has("Event ID") && (has("Source") || has("Log Name")) {
        97
    } else if has("TimeCreated") && (has("ProviderName") || has("Id")) && has("Message") {
        96
    } else {
        0
    }
}

/// Parses Windows event text.
pub(crate) struct WindowsEventParser {
    settings: ParserSettings,
    layout: Layout,
    years: YearResolver,
    fields: Vec<(String, String)>,
    message: String,
    in_message: bool,
    first_line: u64,
    last_line: u64,
    active: bool,
}

impl WindowsEventParser {
    pub fn new(settings: &ParserSettings, window: &Window<'_>) -> Self {
        let layout = if window.lines().iter().any(|line| is_event_header(line)) {
            Layout::Wevtutil
        } else {
            Layout::FormatList
        };
        Self {
            settings: settings.clone(),
            layout,
            years: YearResolver::new(settings.base_year),
            fields: Vec::new(),
            message: String::new(),
            in_message: false,
            first_line: 0,
            last_line: 0,
            active: false,
        }
    }

    fn start(&mut self, number: u64) {
        self.active = true;
        self.first_line = number;
        self.last_line = number;
    }

    fn append_message(&mut self, number: u64, text: &str, out: &mut Output<'_>) {
        self.last_line = number;
        if self.message.len() + text.len() + 1 > self.settings.max_record_bytes {
            out.issue(
                Some(number),
                format_args!(
                    "event message longer than {} bytes; rest dropped",
                    self.settings.max_record_bytes
                ),
            );
            return;
        }
        if !self.message.is_empty() {
            self.message.push('\n');
        }
        self.message.push_str(text);
    }

    fn flush(&mut self, out: &mut Output<'_>) {
        if !self.active {
            return;
        }
        self.active = false;
        self.in_message = false;
        let mut timestamp = None;
        let mut level = None;
        let mut source = None;
        let mut attributes = Vec::new();
        for (key, value) in &self.fields {
            if timestamp.is_none() && is_time_key(key) {
                timestamp = parse_whole(value, &mut self.years);
                if timestamp.is_some() {
                    continue;
                }
            } else if level.is_none() && is_level_key(key) {
                level = windows_level(value);
                if level.is_some() {
                    continue;
                }
            } else if source.is_none() && is_source_key(key) && !value.is_empty() {
                source = Some(Cow::Borrowed(value.as_str()));
                continue;
            }
            if !value.is_empty() && value != "N/A" {
                attributes.push((Cow::Borrowed(key.as_str()), Cow::Borrowed(value.as_str())));
            }
        }
        out.log(LogRecord {
            attachment: self.settings.attachment,
            first_line: self.first_line,
            last_line: self.last_line,
            timestamp,
            level,
            source,
            message: Cow::Borrowed(self.message.trim_end()),
            attributes,
        });
        self.fields.clear();
        self.message.clear();
    }
}

impl FormatParser for WindowsEventParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        let line = line.trim_end();
        match self.layout {
            Layout::Wevtutil => {
                if is_event_header(line) {
                    self.flush(out);
                    self.start(number);
                    return;
                }
                if !self.active {
                    if !line.is_empty() {
                        out.issue(
                            Some(number),
                            format_args!("text before the first event; skipped"),
                        );
                    }
                    return;
                }
                if self.in_message {
                    // The description runs to the next event, blank lines and all.
                    self.append_message(number, line, out);
                    return;
                }
            }
            Layout::FormatList => {
                if line.is_empty() {
                    self.flush(out);
                    return;
                }
                if self.in_message && line.starts_with([' ', '\t']) {
                    self.append_message(number, line.trim_start(), out);
                    return;
                }
                self.in_message = false;
                if !self.active {
                    self.start(number);
                }
            }
        }
        if line.is_empty() {
            return;
        }
        self.last_line = number;
        match key_value(line) {
            Some((key, value)) if is_message_key(key) => {
                self.in_message = true;
                if !value.is_empty() {
                    self.append_message(number, value, out);
                }
            }
            Some((key, value)) => {
                if self.fields.len() < 64 {
                    self.fields.push((key.to_owned(), value.to_owned()));
                }
            }
            None => out.issue(
                Some(number),
                format_args!("not a `Key: value` line of an event; skipped"),
            ),
        }
    }

    fn finish(&mut self, out: &mut Output<'_>) {
        self.flush(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shapes() {
        assert!(is_event_header("Event[0]:"));
        assert!(is_event_header("Event[1234]:"));
        assert!(!is_event_header("Event[]:"));
        assert_eq!(key_value("  Event ID: 7036"), Some(("Event ID", "7036")));
        assert_eq!(
            key_value("TimeCreated  : 5/1/2024 10:00:00 AM"),
            Some(("TimeCreated", "5/1/2024 10:00:00 AM"))
        );
        assert_eq!(key_value("the service stopped: ok"), None);
        assert_eq!(windows_level("Information"), Some(Level::Info));
        assert_eq!(windows_level("Critical"), Some(Level::Fatal));
    }
}
