//! Recognition of configuration files and trace documents (stack traces pasted on their own
//! are recognised by the `code` module).

use crate::format::{FormatParser, Window};
use crate::output::Output;

/// Counts lines and produces no records: formats we recognise but do not parse yet.
pub(crate) struct LineCountParser;

impl FormatParser for LineCountParser {
    fn line(&mut self, _number: u64, _line: &str, _out: &mut Output<'_>) {}

    fn finish(&mut self, _out: &mut Output<'_>) {}
}

/// Non-blank lines that are not comments (`#`, `;`, `//`).
fn content_lines<'w>(window: &'w Window<'_>) -> impl Iterator<Item = &'w str> {
    window
        .lines()
        .iter()
        .map(|line| line.trim_end())
        .filter(|line| {
            let trimmed = line.trim_start();
            !trimmed.is_empty()
                && !trimmed.starts_with('#')
                && !trimmed.starts_with(';')
                && !trimmed.starts_with("//")
        })
}

fn percent(part: usize, whole: usize) -> usize {
    (part * 100).checked_div(whole).unwrap_or(0)
}

/// A YAML mapping key at the start of a line: `name:`, `"quoted key":`, `app.kubernetes.io/name:`.
fn yaml_key(line: &str) -> bool {
    let trimmed = line.trim_start();
    let trimmed = trimmed.strip_prefix("- ").unwrap_or(trimmed);
    let key_end = trimmed
        .bytes()
        .position(|b| {
            !(b.is_ascii_alphanumeric()
                || matches!(b, b'_' | b'-' | b'.' | b'/' | b'"' | b'\'' | b'$'))
        })
        .unwrap_or(trimmed.len());
    key_end > 0
        && trimmed[key_end..].starts_with(':')
        && (trimmed.len() == key_end + 1 || trimmed[key_end + 1..].starts_with([' ', '\t']))
}

pub(crate) fn sniff_kubernetes_yaml(window: &Window<'_>) -> u8 {
    let starts_like_json = window
        .first_non_blank_byte()
        .is_some_and(|b| b == b'{' || b == b'[');
    let api_version = window
        .lines()
        .iter()
        .any(|line| line.starts_with("apiVersion:"));
    let kind = window.lines().iter().any(|line| line.starts_with("kind:"));
    if !starts_like_json && api_version && kind {
        95
    } else {
        0
    }
}

pub(crate) fn sniff_yaml(window: &Window<'_>) -> u8 {
    if window
        .first_non_blank_byte()
        .is_some_and(|b| b == b'{' || b == b'[')
    {
        return 0;
    }
    let mut total = 0;
    let mut yaml_like = 0;
    let mut keys = 0;
    let mut document_marker = false;
    for line in content_lines(window) {
        total += 1;
        let trimmed = line.trim_start();
        if line == "---" || line.starts_with("--- ") || line.starts_with("%YAML") || line == "..." {
            document_marker = true;
            yaml_like += 1;
        } else if yaml_key(line) {
            keys += 1;
            yaml_like += 1;
        } else if trimmed.starts_with("- ") || trimmed == "-" || line.starts_with([' ', '\t']) {
            yaml_like += 1;
        }
    }
    if keys == 0 {
        return 0;
    }
    let share = percent(yaml_like, total);
    if document_marker && share >= 70 {
        80
    } else if share >= 85 && keys >= 2 {
        70
    } else {
        0
    }
}

/// `[section]` or `[[array.of.tables]]`.
fn section_header(line: &str) -> bool {
    let line = line.trim();
    line.len() > 2
        && line.starts_with('[')
        && line.ends_with(']')
        && line[1..line.len() - 1]
            .trim_matches(|c| c == '[' || c == ']')
            .bytes()
            .all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b' ' | b'"' | b':')
            })
}

/// `key = value` (or `key: value` in INI); returns the value.
fn assignment(line: &str, allow_colon: bool) -> Option<&str> {
    let trimmed = line.trim_start();
    let key_end = trimmed
        .bytes()
        .position(|b| {
            !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'"' | b'\''))
        })
        .unwrap_or(trimmed.len());
    if key_end == 0 {
        return None;
    }
    let rest = trimmed[key_end..].trim_start();
    let value = rest.strip_prefix('=').or_else(|| {
        if allow_colon {
            rest.strip_prefix(':')
        } else {
            None
        }
    })?;
    Some(value.trim())
}

/// A TOML literal: string, number, boolean, array, inline table or date.
fn toml_literal(value: &str) -> bool {
    let first = value.as_bytes().first().copied();
    match first {
        Some(b'"' | b'\'' | b'[' | b'{') => true,
        Some(b'0'..=b'9' | b'+' | b'-') => value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-' | b':' | b' ')
        }),
        _ => matches!(value, "true" | "false" | "inf" | "nan" | "+inf" | "-inf"),
    }
}

struct IniStats {
    total: usize,
    sections: usize,
    assignments: usize,
    toml_values: usize,
    colon_assignments: usize,
}

fn ini_stats(window: &Window<'_>) -> IniStats {
    let mut stats = IniStats {
        total: 0,
        sections: 0,
        assignments: 0,
        toml_values: 0,
        colon_assignments: 0,
    };
    for line in content_lines(window) {
        stats.total += 1;
        if section_header(line) {
            stats.sections += 1;
        } else if let Some(value) = assignment(line, false) {
            stats.assignments += 1;
            if toml_literal(value) {
                stats.toml_values += 1;
            }
        } else if assignment(line, true).is_some() {
            stats.colon_assignments += 1;
        }
    }
    stats
}

pub(crate) fn sniff_toml(window: &Window<'_>) -> u8 {
    let stats = ini_stats(window);
    let recognised = stats.sections + stats.assignments;
    if stats.assignments == 0
        || percent(recognised, stats.total) < 90
        || stats.toml_values != stats.assignments
    {
        return 0;
    }
    if stats.sections > 0 {
        82
    } else {
        65
    }
}

pub(crate) fn sniff_ini(window: &Window<'_>) -> u8 {
    let stats = ini_stats(window);
    let recognised = stats.sections + stats.assignments + stats.colon_assignments;
    if stats.assignments + stats.colon_assignments == 0 || percent(recognised, stats.total) < 90 {
        return 0;
    }
    match (stats.sections > 0, stats.toml_values < stats.assignments) {
        (true, true) => 80,
        (true, false) => 70,
        (false, _) => 0,
    }
}

pub(crate) fn sniff_dotenv(window: &Window<'_>) -> u8 {
    let mut total = 0;
    let mut env_lines = 0;
    let mut uppercase_keys = 0;
    for line in content_lines(window) {
        total += 1;
        let body = line.strip_prefix("export ").unwrap_or(line);
        let key_end = body
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
            .unwrap_or(body.len());
        if key_end > 0 && body[key_end..].starts_with('=') && !body.as_bytes()[0].is_ascii_digit() {
            env_lines += 1;
            if body[..key_end].bytes().all(|b| !b.is_ascii_lowercase()) {
                uppercase_keys += 1;
            }
        }
    }
    if env_lines > 0 && percent(env_lines, total) >= 90 && percent(uppercase_keys, env_lines) >= 80
    {
        85
    } else {
        0
    }
}

pub(crate) fn sniff_json_document(window: &Window<'_>) -> u8 {
    match window.first_non_blank_byte() {
        Some(b'{' | b'[') => 50,
        _ => 0,
    }
}

pub(crate) fn sniff_otlp_json(window: &Window<'_>) -> u8 {
    if window.first_non_blank_byte() == Some(b'{') && window.contains("\"resourceSpans\"") {
        95
    } else {
        0
    }
}

pub(crate) fn sniff_jaeger_json(window: &Window<'_>) -> u8 {
    if window.first_non_blank_byte() == Some(b'{')
        && window.contains("\"traceID\"")
        && window.contains("\"spans\"")
    {
        93
    } else {
        0
    }
}

pub(crate) fn sniff_zipkin_json(window: &Window<'_>) -> u8 {
    if window.first_non_blank_byte() == Some(b'[')
        && window.contains("\"traceId\"")
        && (window.contains("\"localEndpoint\"") || window.contains("\"duration\""))
    {
        93
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shapes() {
        assert!(yaml_key("name: web"));
        assert!(yaml_key("  app.kubernetes.io/name: web"));
        assert!(yaml_key("- name: web"));
        assert!(yaml_key("spec:"));
        assert!(!yaml_key("http://example.com"));
        assert!(!yaml_key("12:00:00 started"));
        assert!(section_header("[server]"));
        assert!(section_header("[[servers.alpha]]"));
        assert!(!section_header("[Sun Dec 04 04:47:44 2005] [notice] x"));
        assert_eq!(assignment("port = 8080", false), Some("8080"));
        assert_eq!(assignment("host: db", true), Some("db"));
        assert!(toml_literal("\"x\""));
        assert!(toml_literal("2024-01-05T10:00:00Z"));
        assert!(!toml_literal("localhost"));
    }
}
