//! logfmt logs (`time=... level=info msg="started" port=8080`), the Go and Heroku convention:
//! pairs become fields, and the same role learning as JSON lines picks time, level, message
//! and source.

use crate::format::{FormatParser, ParserSettings, Window};
use crate::output::Output;
use crate::structured::{learn_roles, recycle, Field, RecordBuilder, ValueKind};
use crate::timestamp::YearResolver;
use std::borrow::Cow;

/// Splits a logfmt line into fields. Returns `None` when the line is not logfmt (no `=` pair
/// at its start, or an unterminated quote).
pub(crate) fn parse_pairs(line: &str) -> Option<Vec<Field<'_>>> {
    let mut fields = Vec::new();
    parse_pairs_into(line, &mut fields).then_some(fields)
}

/// [`parse_pairs`] into a caller's (empty) buffer; returns false, with the buffer in an
/// unspecified state, when the line is not logfmt.
fn parse_pairs_into<'a>(line: &'a str, fields: &mut Vec<Field<'a>>) -> bool {
    let bytes = line.as_bytes();
    let mut position = 0;
    loop {
        while position < bytes.len() && bytes[position].is_ascii_whitespace() {
            position += 1;
        }
        if position >= bytes.len() {
            break;
        }
        let key_start = position;
        while position < bytes.len()
            && !bytes[position].is_ascii_whitespace()
            && bytes[position] != b'='
            && bytes[position] != b'"'
        {
            position += 1;
        }
        let key = &line[key_start..position];
        if key.is_empty() {
            return false;
        }
        if position >= bytes.len() || bytes[position] != b'=' {
            // A bare word: logfmt allows flags, but a line that starts with one is prose.
            if fields.is_empty() {
                return false;
            }
            fields.push(Field {
                key: Cow::Borrowed(key),
                value: Cow::Borrowed("true"),
                kind: ValueKind::Bool,
            });
            continue;
        }
        position += 1; // '='
        let (value, kind) = if bytes.get(position) == Some(&b'"') {
            let Some((value, end)) = quoted(line, position) else {
                return false;
            };
            position = end;
            (value, ValueKind::String)
        } else {
            let start = position;
            while position < bytes.len() && !bytes[position].is_ascii_whitespace() {
                position += 1;
            }
            let value = &line[start..position];
            let kind = if value.is_empty() {
                ValueKind::Null
            } else if could_be_number(value) && value.parse::<f64>().is_ok() {
                ValueKind::Number
            } else if value == "true" || value == "false" {
                ValueKind::Bool
            } else {
                ValueKind::String
            };
            (Cow::Borrowed(value), kind)
        };
        fields.push(Field {
            key: Cow::Borrowed(key),
            value,
            kind,
        });
    }
    true
}

/// Whether `value` can start a number as `f64::from_str` reads them (digits, a sign, a point,
/// `inf`, `infinity`, `nan`): most values (`info`, `web-1`) are turned away without a parse.
fn could_be_number(value: &str) -> bool {
    value.as_bytes().first().is_some_and(|&first| {
        first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.' | b'i' | b'I' | b'n' | b'N')
    })
}

/// A quoted value starting at `start` (the quote); returns the unescaped text and the index
/// after the closing quote.
fn quoted(line: &str, start: usize) -> Option<(Cow<'_, str>, usize)> {
    let bytes = line.as_bytes();
    let mut position = start + 1;
    let mut escaped = false;
    // Jump from one quote or backslash to the next: messages are the longest values.
    while let Some(offset) = bytes
        .get(position..)
        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
    {
        position += offset;
        match bytes[position] {
            b'\\' => {
                escaped = true;
                position += 2;
            }
            _ => {
                let inner = &line[start + 1..position];
                let value = if escaped {
                    Cow::Owned(unescape(inner))
                } else {
                    Cow::Borrowed(inner)
                };
                return Some((value, position + 1));
            }
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character != '\\' {
            out.push(character);
            continue;
        }
        match characters.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// True when the line looks like logfmt: it starts with a `key=` pair and has at least two.
pub(crate) fn looks_like_logfmt(line: &str) -> bool {
    parse_pairs(line).is_some_and(|fields| {
        fields
            .iter()
            .filter(|field| field.kind != ValueKind::Bool || field.value != "true")
            .count()
            >= 2
    })
}

/// Parses logfmt lines into log records.
pub(crate) struct LogfmtParser {
    builder: RecordBuilder,
    /// The field buffer, kept empty between lines.
    fields: Vec<Field<'static>>,
}

impl LogfmtParser {
    pub fn new(settings: &ParserSettings, window: &Window<'_>) -> Self {
        let samples: Vec<_> = window
            .lines()
            .iter()
            .filter_map(|line| parse_pairs(line))
            .collect();
        Self {
            builder: RecordBuilder {
                attachment: settings.attachment,
                roles: learn_roles(&samples, settings.base_year),
                years: YearResolver::new(settings.base_year),
            },
            fields: Vec::new(),
        }
    }
}

impl FormatParser for LogfmtParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return;
        }
        let mut fields = recycle(std::mem::take(&mut self.fields));
        if !parse_pairs_into(trimmed, &mut fields) {
            // Not a pair list (a panic message, a banner): keep the text as a record.
            fields.clear();
        }
        self.builder.emit(number, trimmed, &mut fields, out);
        self.fields = recycle(fields);
    }

    fn finish(&mut self, _out: &mut Output<'_>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: Option<Vec<(&str, &str)>>) {
        let actual = parse_pairs(line).map(|fields| {
            fields
                .into_iter()
                .map(|field| (field.key.into_owned(), field.value.into_owned()))
                .collect::<Vec<_>>()
        });
        let expected = expected.map(|pairs| {
            pairs
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .collect::<Vec<_>>()
        });
        assert_eq!(actual, expected, "line {line:?}");
    }

    #[test]
    fn pairs() {
        check(
            r#"time=2024-01-05T10:00:00Z level=info msg="listening on :8080" port=8080 debug"#,
            Some(vec![
                ("time", "2024-01-05T10:00:00Z"),
                ("level", "info"),
                ("msg", "listening on :8080"),
                ("port", "8080"),
                ("debug", "true"),
            ]),
        );
        check(
            r#"a="say \"hi\"" b="#,
            Some(vec![("a", "say \"hi\""), ("b", "")]),
        );
        check("plain words here", None);
        check(r#"a="unterminated"#, None);
        check(r#"a="ends in an escape\"#, None);
        check(
            r#"a="x\\" b="\"q\"" c=inf d=info"#,
            Some(vec![
                ("a", "x\\"),
                ("b", "\"q\""),
                ("c", "inf"),
                ("d", "info"),
            ]),
        );
        let kinds: Vec<ValueKind> = parse_pairs("c=inf d=info e=-2.5 f=web-1 g=NaN h=.5")
            .unwrap()
            .iter()
            .map(|field| field.kind)
            .collect();
        use ValueKind::{Number, String};
        assert_eq!(kinds, [Number, String, Number, String, Number, Number]);
        assert!(looks_like_logfmt("level=warn msg=x"));
        assert!(!looks_like_logfmt("key=value"));
    }
}
