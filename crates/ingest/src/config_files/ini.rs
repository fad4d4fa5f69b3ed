//! INI files and Java `.properties`: `[section]` headers, `key = value` or `key: value`
//! assignments, `;`/`#` comments and indented continuation lines, flattened to `section.key`.

use super::path::join_key;
use super::{ConfigLimits, ItemCollector, ParsedConfig};

/// `[section]` -> `section`; git-style `[remote "origin"]` -> `remote.origin`.
fn section_path(header: &str) -> String {
    let mut path = String::new();
    for part in header.split_whitespace() {
        let part = part.trim_matches('"');
        if !part.is_empty() {
            path = join_key(&path, part);
        }
    }
    path
}

/// Removes an inline comment (` ;` or ` #` after whitespace) and surrounding quotes.
pub(crate) fn clean_value(value: &str) -> &str {
    let mut value = value.trim();
    if let Some(quoted) = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .or_else(|| {
            value
                .strip_prefix('\'')
                .and_then(|rest| rest.strip_suffix('\''))
        })
    {
        return quoted;
    }
    for marker in [" ;", " #", "\t;", "\t#"] {
        if let Some(at) = value.find(marker) {
            value = value[..at].trim_end();
        }
    }
    value
}

pub(crate) fn parse(text: &str, limits: &ConfigLimits) -> ParsedConfig {
    let mut items = ItemCollector::new(limits);
    let mut section = String::new();
    for (index, raw) in text.lines().enumerate() {
        let number = index as u64 + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty()
            || trimmed.starts_with(';')
            || trimmed.starts_with('#')
            || trimmed.starts_with('!')
        {
            continue;
        }
        if let Some(header) = trimmed
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            section = section_path(header);
            continue;
        }
        // Indented lines continue the previous value (Python configparser, properties `\`).
        let continues = raw.starts_with([' ', '\t'])
            || items
                .current_items()
                .last()
                .is_some_and(|item| item.value.ends_with('\\'));
        if continues && !trimmed.contains(['=', ':']) {
            if let Some(last) = items.last_value_mut() {
                if last.ends_with('\\') {
                    last.pop();
                } else {
                    last.push(' ');
                }
                last.push_str(trimmed);
                continue;
            }
        }
        let separator = trimmed.find(['=', ':']);
        match separator {
            Some(at) if at > 0 => {
                let key = trimmed[..at].trim();
                let value = clean_value(&trimmed[at + 1..]);
                if !items.push(Some(number), join_key(&section, key), value.to_owned()) {
                    break;
                }
            }
            _ => items.issue(Some(number), "not a section, assignment or comment".into()),
        }
    }
    items.finish()
}
