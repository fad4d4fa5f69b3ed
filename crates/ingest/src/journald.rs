//! systemd journal: the export format (`journalctl -o export`: `KEY=value` lines, one blank
//! line between entries, binary-safe fields as `KEY\n<u64 LE length><bytes>\n`) and
//! `journalctl -o json` (one object per entry). Both map the journal's trusted fields the same
//! way: `MESSAGE` is the message, `PRIORITY` (syslog 0..7) the level, `_SYSTEMD_UNIT` or else
//! `SYSLOG_IDENTIFIER` the source, `__REALTIME_TIMESTAMP` (microseconds) the time; the other
//! user and trusted fields become attributes, the cursor and monotonic clock are dropped.

use crate::format::{FormatParser, ParserSettings, Window};
use crate::json_lines::flatten_object;
use crate::output::Output;
use crate::structured::{Field, ValueKind};
use crate::timestamp::epoch_text_to_timestamp;
use faultmaven_model::{Level, LogRecord};
use std::borrow::Cow;

/// Fields with no diagnostic value that only bloat every record.
fn is_dropped(key: &str) -> bool {
    matches!(
        key,
        "__CURSOR" | "__MONOTONIC_TIMESTAMP" | "__SEQNUM" | "__SEQNUM_ID" | "_BOOT_ID"
    ) || key == "__REALTIME_TIMESTAMP"
}

fn priority_level(value: &str) -> Option<Level> {
    Level::from_syslog_severity(value.trim().parse::<u8>().ok()?)
}

/// A journal `MESSAGE` sent as a byte array (JSON output of non-UTF-8 or binary messages).
fn bytes_from_json_array(text: &str) -> Option<String> {
    let bytes: Vec<u8> = serde_json::from_str(text).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Builds a record from one entry's fields.
fn emit_entry<'a>(
    settings: &ParserSettings,
    (first_line, last_line): (u64, u64),
    fields: Vec<Field<'a>>,
    out: &mut Output<'_>,
) {
    let mut timestamp = None;
    let mut level = None;
    let mut message: Option<Cow<'a, str>> = None;
    let mut unit: Option<Cow<'a, str>> = None;
    let mut identifier: Option<Cow<'a, str>> = None;
    let mut attributes = Vec::with_capacity(fields.len());
    for field in fields {
        match field.key.as_ref() {
            "__REALTIME_TIMESTAMP" => timestamp = epoch_text_to_timestamp(&field.value),
            "PRIORITY" => {
                level = priority_level(&field.value);
                if level.is_none() {
                    attributes.push((field.key, field.value));
                }
            }
            "MESSAGE" if message.is_none() => {
                message = Some(match field.kind {
                    ValueKind::Composite => {
                        bytes_from_json_array(&field.value).map_or(field.value, Cow::Owned)
                    }
                    _ => field.value,
                });
            }
            "_SYSTEMD_UNIT" if unit.is_none() => unit = Some(field.value),
            "SYSLOG_IDENTIFIER" if identifier.is_none() => identifier = Some(field.value),
            key if is_dropped(key) || field.kind == ValueKind::Null => {}
            _ => attributes.push((field.key, field.value)),
        }
    }
    // The unit names the service; the identifier is kept when it says something else.
    let source = match (unit, identifier) {
        (Some(unit), Some(identifier)) => {
            attributes.push((Cow::Borrowed("SYSLOG_IDENTIFIER"), identifier));
            Some(unit)
        }
        (unit, identifier) => unit.or(identifier),
    };
    let message = match message {
        Some(Cow::Borrowed(text)) => Cow::Borrowed(text.trim_end()),
        Some(Cow::Owned(text)) => Cow::Owned(text.trim_end().to_owned()),
        None => Cow::Borrowed(""),
    };
    out.log(LogRecord {
        attachment: settings.attachment,
        first_line,
        last_line,
        timestamp,
        level,
        source,
        message,
        attributes,
    });
}

/// A journal field name: upper-case letters, digits and `_`, not starting with a digit.
fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.as_bytes()[0].is_ascii_digit()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

pub(crate) fn sniff_export(window: &Window<'_>) -> u8 {
    let mut fields = 0usize;
    let mut total = 0usize;
    let mut realtime = false;
    let mut message = false;
    for line in window.lines() {
        if line.is_empty() {
            continue;
        }
        total += 1;
        match line.split_once('=') {
            Some((key, _)) if is_field_name(key) => {
                fields += 1;
                realtime |= key == "__REALTIME_TIMESTAMP";
                message |= key == "MESSAGE";
            }
            // A binary field's name line, or the data after it.
            _ => {}
        }
    }
    if realtime && message && fields * 10 >= total * 8 {
        98
    } else {
        0
    }
}

pub(crate) fn sniff_json(window: &Window<'_>) -> u8 {
    let mut objects = 0usize;
    let mut journal = 0usize;
    let mut total = 0usize;
    for line in window.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        total += 1;
        if !line.starts_with('{') {
            continue;
        }
        let mut fields = Vec::new();
        if flatten_object(line, &mut fields).is_ok() {
            objects += 1;
            let has = |name: &str| fields.iter().any(|field| field.key == name);
            if has("__REALTIME_TIMESTAMP") && (has("MESSAGE") || has("__CURSOR")) {
                journal += 1;
            }
        }
    }
    if journal > 0 && journal * 10 >= total * 8 && objects == total {
        97
    } else if journal > 0 && journal * 10 >= total * 8 {
        // A damaged line among journal entries.
        95
    } else {
        0
    }
}

/// Parses `journalctl -o json`.
pub(crate) struct JournalJsonParser {
    settings: ParserSettings,
}

impl JournalJsonParser {
    pub fn new(settings: &ParserSettings) -> Self {
        Self {
            settings: settings.clone(),
        }
    }
}

impl FormatParser for JournalJsonParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        let mut fields = Vec::new();
        match flatten_object(line, &mut fields) {
            Ok(()) => emit_entry(&self.settings, (number, number), fields, out),
            Err(error) => out.issue(
                Some(number),
                format_args!("invalid JSON, entry skipped: {error}"),
            ),
        }
    }

    fn finish(&mut self, _out: &mut Output<'_>) {}
}

/// A binary-safe field of the export format being read across lines.
enum BinaryField {
    /// The name line was read; the next line starts with the length.
    AwaitingLength { key: String },
    /// Data is still arriving.
    Data {
        key: String,
        remaining: usize,
        data: String,
    },
    /// The data ended with its own line break; the field's terminating one comes next as an
    /// empty line, which must not end the entry.
    AwaitingTerminator,
}

/// Parses the journal export format, entry by entry.
pub(crate) struct JournalExportParser {
    settings: ParserSettings,
    /// Owned `(key, value)` pairs of the entry being read.
    entry: Vec<(String, String)>,
    entry_bytes: usize,
    first_line: u64,
    last_line: u64,
    binary: Option<BinaryField>,
}

impl JournalExportParser {
    pub fn new(settings: &ParserSettings) -> Self {
        Self {
            settings: settings.clone(),
            entry: Vec::new(),
            entry_bytes: 0,
            first_line: 0,
            last_line: 0,
            binary: None,
        }
    }

    fn touch(&mut self, number: u64) {
        if self.entry.is_empty() && self.entry_bytes == 0 {
            self.first_line = number;
        }
        self.last_line = number;
    }

    fn push(&mut self, number: u64, key: String, value: String, out: &mut Output<'_>) {
        self.touch(number);
        self.entry_bytes += key.len() + value.len();
        if self.entry_bytes > self.settings.max_record_bytes {
            out.issue(
                Some(number),
                format_args!(
                    "journal entry larger than {} bytes; field {key} dropped",
                    self.settings.max_record_bytes
                ),
            );
            return;
        }
        self.entry.push((key, value));
    }

    fn flush(&mut self, out: &mut Output<'_>) {
        match self.binary.take() {
            Some(BinaryField::AwaitingLength { key } | BinaryField::Data { key, .. }) => {
                out.issue(
                    Some(self.last_line),
                    format_args!("binary field {key} ended early; dropped"),
                );
            }
            Some(BinaryField::AwaitingTerminator) | None => {}
        }
        if !self.entry.is_empty() {
            let fields = self
                .entry
                .iter()
                .map(|(key, value)| Field {
                    key: Cow::Borrowed(key.as_str()),
                    value: Cow::Borrowed(value.as_str()),
                    kind: ValueKind::String,
                })
                .collect();
            emit_entry(
                &self.settings,
                (self.first_line, self.last_line),
                fields,
                out,
            );
        }
        self.entry.clear();
        self.entry_bytes = 0;
    }

    /// Continues a binary field; returns true when the line belonged to it.
    fn binary_line(&mut self, number: u64, line: &str, out: &mut Output<'_>) -> bool {
        let Some(state) = self.binary.take() else {
            return false;
        };
        self.touch(number);
        match state {
            BinaryField::AwaitingTerminator => {
                if !line.is_empty() {
                    // No terminator after all: the line is the next field.
                    return false;
                }
            }
            BinaryField::AwaitingLength { key } => match binary_prefix(line) {
                Some((length, data)) if length <= self.settings.max_record_bytes => {
                    self.continue_data(number, key, length, String::new(), data, out);
                }
                _ => {
                    out.issue(
                        Some(number),
                        format_args!("binary field {key}: length unreadable; rest of line kept"),
                    );
                    let value = line.get(8..).unwrap_or_default().to_owned();
                    self.push(number, key, value, out);
                }
            },
            BinaryField::Data {
                key,
                remaining,
                data,
            } => self.continue_data(number, key, remaining, data, line, out),
        }
        true
    }

    /// Adds one line of a binary field's data; the line break that ended it is data too when
    /// more is expected.
    fn continue_data(
        &mut self,
        number: u64,
        key: String,
        remaining: usize,
        mut data: String,
        line: &str,
        out: &mut Output<'_>,
    ) {
        if line.len() >= remaining {
            let mut end = remaining;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            data.push_str(&line[..end]);
            self.push(number, key, data, out);
            return;
        }
        data.push_str(line);
        data.push('\n');
        let remaining = remaining - line.len() - 1;
        if remaining == 0 {
            self.push(number, key, data, out);
            self.binary = Some(BinaryField::AwaitingTerminator);
        } else {
            self.binary = Some(BinaryField::Data {
                key,
                remaining,
                data,
            });
        }
    }
}

/// Reads the length prefix of a binary field from the first line of its data; returns the
/// length and the data after the prefix. Lines reach the parser decoded, so a length byte
/// above 0x7F arrives replaced and the length is then unreadable.
fn binary_prefix(line: &str) -> Option<(usize, &str)> {
    let bytes = line.as_bytes();
    if bytes.len() < 8 || !line.is_char_boundary(8) {
        return None;
    }
    let mut length = [0u8; 8];
    length.copy_from_slice(&bytes[..8]);
    let length = usize::try_from(u64::from_le_bytes(length)).ok()?;
    Some((length, &line[8..]))
}

impl FormatParser for JournalExportParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        if self.binary_line(number, line, out) {
            return;
        }
        if line.is_empty() {
            self.flush(out);
            return;
        }
        match line.split_once('=') {
            Some((key, value)) if is_field_name(key) => {
                self.push(number, key.to_owned(), value.to_owned(), out);
            }
            _ if is_field_name(line) => {
                self.touch(number);
                self.binary = Some(BinaryField::AwaitingLength {
                    key: line.to_owned(),
                });
            }
            _ => out.issue(
                Some(number),
                format_args!("not a journal field line; skipped"),
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
    fn priorities() {
        assert_eq!(priority_level("3"), Some(Level::Error));
        assert_eq!(priority_level("6"), Some(Level::Info));
        assert_eq!(priority_level("9"), None);
        assert_eq!(priority_level("x"), None);
    }

    #[test]
    fn field_names() {
        assert!(is_field_name("__REALTIME_TIMESTAMP"));
        assert!(is_field_name("MESSAGE"));
        assert!(!is_field_name("message"));
        assert!(!is_field_name("1ABC"));
        assert!(!is_field_name(""));
    }

    #[test]
    fn reads_binary_prefix() {
        let line = "\u{5}\0\0\0\0\0\0\0hello";
        assert_eq!(binary_prefix(line), Some((5, "hello")));
        assert_eq!(binary_prefix("short"), None);
    }
}
