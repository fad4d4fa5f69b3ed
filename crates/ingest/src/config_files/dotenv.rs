//! `.env` files: `KEY=value`, `export KEY=value`, single- and double-quoted values (double
//! quotes may span lines and know `\n` escapes), `#` comments.

use super::{ConfigLimits, ItemCollector, ParsedConfig};

fn unescape_double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The end of a double-quoted value: the first `"` not escaped by a backslash.
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(at),
            _ => escaped = false,
        }
    }
    None
}

/// Lines a double-quoted value may span before it is called unterminated.
const MAX_QUOTED_LINES: usize = 200;

pub(crate) fn parse(text: &str, limits: &ConfigLimits) -> ParsedConfig {
    let mut items = ItemCollector::new(limits);
    let lines: Vec<&str> = text.lines().collect();
    let mut index = 0;
    while index < lines.len() {
        let number = index as u64 + 1;
        let line = lines[index].trim();
        index += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let body = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, rest)) = body.split_once('=') else {
            items.issue(Some(number), "not a KEY=value line".into());
            continue;
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            items.issue(Some(number), "not a valid variable name".into());
            continue;
        }
        let rest = rest.trim_start();
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut collected = quoted.to_owned();
            let mut spanned = 0;
            loop {
                if let Some(end) = closing_quote(&collected) {
                    collected.truncate(end);
                    break unescape_double_quoted(&collected);
                }
                if index >= lines.len() || spanned >= MAX_QUOTED_LINES {
                    items.issue(Some(number), "unterminated double-quoted value".into());
                    break unescape_double_quoted(&collected);
                }
                collected.push('\n');
                collected.push_str(lines[index]);
                index += 1;
                spanned += 1;
            }
        } else if let Some(quoted) = rest.strip_prefix('\'') {
            match quoted.find('\'') {
                Some(end) => quoted[..end].to_owned(),
                None => {
                    items.issue(Some(number), "unterminated single-quoted value".into());
                    quoted.to_owned()
                }
            }
        } else {
            let value = match rest.find(" #") {
                Some(at) => &rest[..at],
                None => rest,
            };
            value.trim_end().to_owned()
        };
        if !items.push(Some(number), key.to_owned(), value) {
            break;
        }
    }
    items.finish()
}
