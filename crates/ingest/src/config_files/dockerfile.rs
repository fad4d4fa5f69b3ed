//! Dockerfiles: one key per instruction, grouped by build stage:
//! `stages[0].from`, `stages[1].env.JAVA_OPTS`, `stages[1].expose[0]`, `stages[1].cmd`.
//! Lines continued with `\` are joined; `ARG` before the first `FROM` goes under `args`.

use super::path::join_key;
use super::{ConfigLimits, ItemCollector, ParsedConfig};
use std::collections::HashMap;

/// Every instruction of the Dockerfile reference.
pub(crate) const INSTRUCTIONS: &[&str] = &[
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

/// Instructions where only the last one counts, so they get no index.
const SINGLE: &[&str] = &[
    "CMD",
    "ENTRYPOINT",
    "USER",
    "WORKDIR",
    "HEALTHCHECK",
    "SHELL",
    "STOPSIGNAL",
    "MAINTAINER",
];

/// The instruction keyword of a line, uppercased, if it is one.
pub(crate) fn instruction_of(line: &str) -> Option<&'static str> {
    let word = line.split_whitespace().next()?;
    INSTRUCTIONS
        .iter()
        .copied()
        .find(|instruction| instruction.eq_ignore_ascii_case(word))
}

/// `K=V K2="v 2"` or the legacy `K V` form of ENV and LABEL.
fn key_values(arguments: &str) -> Vec<(String, String)> {
    let first = arguments.split_whitespace().next().unwrap_or("");
    if !first.contains('=') {
        return match arguments.split_once(char::is_whitespace) {
            Some((key, value)) => vec![(key.to_owned(), value.trim().to_owned())],
            None => vec![(arguments.to_owned(), String::new())],
        };
    }
    let mut pairs = Vec::new();
    let mut rest = arguments.trim_start();
    while !rest.is_empty() {
        let Some(equals) = rest.find('=') else {
            pairs.push((rest.trim().to_owned(), String::new()));
            break;
        };
        let key = rest[..equals].trim().to_owned();
        rest = &rest[equals + 1..];
        let (value, after) = if let Some(quoted) = rest.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (quoted[..end].to_owned(), &quoted[end + 1..]),
                None => (quoted.to_owned(), ""),
            }
        } else {
            match rest.find(char::is_whitespace) {
                Some(end) => (rest[..end].to_owned(), &rest[end..]),
                None => (rest.to_owned(), ""),
            }
        };
        pairs.push((key, value));
        rest = after.trim_start();
    }
    pairs
}

pub(crate) fn parse(text: &str, limits: &ConfigLimits) -> ParsedConfig {
    let mut items = ItemCollector::new(limits);
    items.set_label(Some("Dockerfile".to_owned()));
    let mut stage: Option<usize> = None;
    let mut counters: HashMap<&'static str, usize> = HashMap::new();
    let mut pending = String::new();
    let mut pending_line = 0;
    let lines: Vec<&str> = text.lines().collect();
    for (index, raw) in lines.iter().enumerate() {
        let number = index as u64 + 1;
        let trimmed = raw.trim();
        if pending.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        // Comment lines inside a continued instruction are dropped by Docker too.
        if !pending.is_empty() && trimmed.starts_with('#') {
            continue;
        }
        if pending.is_empty() {
            pending_line = number;
        }
        if let Some(body) = trimmed.strip_suffix('\\') {
            pending.push_str(body.trim_end());
            pending.push(' ');
            if index + 1 < lines.len() {
                continue;
            }
        } else {
            pending.push_str(trimmed);
        }
        let instruction_text = std::mem::take(&mut pending);
        let instruction_text = instruction_text.trim();
        let Some(instruction) = instruction_of(instruction_text) else {
            items.issue(Some(pending_line), "not a dockerfile instruction".into());
            continue;
        };
        let arguments = instruction_text[instruction.len()..].trim();
        let line = Some(pending_line);
        if instruction == "FROM" {
            let next = stage.map_or(0, |current| current + 1);
            stage = Some(next);
            counters.clear();
            let prefix = format!("stages[{next}]");
            let mut words = arguments
                .split_whitespace()
                .filter(|word| !word.starts_with("--"));
            let image = words.next().unwrap_or("").to_owned();
            items.push(line, join_key(&prefix, "from"), image);
            if words
                .next()
                .is_some_and(|word| word.eq_ignore_ascii_case("as"))
            {
                if let Some(name) = words.next() {
                    items.push(line, join_key(&prefix, "name"), name.to_owned());
                }
            }
            continue;
        }
        let prefix = match stage {
            Some(stage) => format!("stages[{stage}]"),
            None if instruction == "ARG" => String::new(),
            None => {
                items.issue(line, format!("{instruction} before the first FROM"));
                String::new()
            }
        };
        let key = instruction.to_ascii_lowercase();
        match instruction {
            "ENV" | "LABEL" | "ARG" => {
                let group = if stage.is_none() {
                    "args".to_owned()
                } else {
                    join_key(&prefix, &key)
                };
                for (name, value) in key_values(arguments) {
                    if !items.push(line, join_key(&group, &name), value) {
                        return items.finish();
                    }
                }
            }
            single if SINGLE.contains(&single) => {
                items.push(line, join_key(&prefix, &key), arguments.to_owned());
            }
            _ => {
                let counter = counters.entry(instruction).or_insert(0);
                let path = format!("{}[{}]", join_key(&prefix, &key), *counter);
                *counter += 1;
                if !items.push(line, path, arguments.to_owned()) {
                    return items.finish();
                }
            }
        }
    }
    items.finish()
}
