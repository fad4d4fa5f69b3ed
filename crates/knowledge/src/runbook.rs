//! Runbooks: markdown files with a small front matter, parsed into a [`Runbook`] whose fenced
//! commands become [`NextStep`]s.
//!
//! The format, as the shipped runbooks use it:
//!
//! ````text
//! ---
//! title: Container killed for exceeding its memory limit (OOMKilled)
//! symptoms: [OOMKilled, "Exit Code 137", java.lang.OutOfMemoryError]
//! services: [kubernetes, jvm]
//! tags: [memory, oom]
//! category: resource_exhaustion
//! ---
//! ## Confirm
//! The last state shows `Reason: OOMKilled` and exit code 137:
//! ```sh
//! kubectl describe pod <pod> -n <namespace>
//! ```
//! ````
//!
//! Lists may also be written one `- item` per line under `key:`. Every fenced block must follow a
//! line saying what to look for in its output: that line is the step's description.

use crate::KnowledgeError;
use faultmaven_model::{HypothesisCategory, NextStep};
use serde::Serialize;
use std::collections::HashMap;

/// A troubleshooting runbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Runbook {
    /// Stable id: the file stem, e.g. `oom-killed`.
    pub id: String,
    /// The cause the runbook is about, phrased as a hypothesis title.
    pub title: String,
    /// Log phrases and metric signs an engineer would see, as they appear in the data.
    pub symptoms: Vec<String>,
    /// Technologies it applies to (`kubernetes`, `postgresql`, `jvm`, ...).
    pub services: Vec<String>,
    /// Free keywords for retrieval.
    pub tags: Vec<String>,
    /// The family of cause.
    pub category: HypothesisCategory,
    /// The markdown after the front matter.
    pub body: String,
    /// Every fenced command of the body, in order, with the text line before it as description.
    pub steps: Vec<NextStep>,
}

/// Front-matter keys a runbook may use.
const KNOWN_KEYS: [&str; 5] = ["title", "symptoms", "services", "tags", "category"];

/// One front-matter value.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Scalar(String),
    List(Vec<String>),
}

/// Parses a runbook's text; `id` is its file stem.
pub fn parse_runbook(id: &str, text: &str) -> Result<Runbook, KnowledgeError> {
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(KnowledgeError::invalid(
            id,
            None,
            "the id (file stem) must be non-empty and use only A-Z, a-z, 0-9, '-', '_' and '.'",
        ));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (front_matter, body, body_first_line) = split_front_matter(id, text)?;
    let mut entries = parse_front_matter(id, &front_matter)?;

    let missing =
        |key: &str| KnowledgeError::invalid(id, Some(1), format!("front matter has no {key}"));
    let mut scalar = |key: &str| match entries.remove(key) {
        Some((line, Value::Scalar(value))) if !value.is_empty() => Ok((line, value)),
        Some((line, _)) => Err(KnowledgeError::invalid(
            id,
            Some(line),
            format!("{key} must be one non-empty value"),
        )),
        None => Err(missing(key)),
    };
    let (_, title) = scalar("title")?;
    let (category_line, category_name) = scalar("category")?;
    let category = parse_category(&category_name).ok_or_else(|| {
        KnowledgeError::invalid(
            id,
            Some(category_line),
            format!(
                "unknown category {category_name:?}; expected one of resource_exhaustion, \
                 dependency_failure, network, configuration, code_defect, performance, \
                 security, storage, unknown"
            ),
        )
    })?;
    let symptoms = match entries.remove("symptoms") {
        Some((line, value)) => {
            let symptoms = into_list(value);
            if symptoms.is_empty() {
                return Err(KnowledgeError::invalid(
                    id,
                    Some(line),
                    "symptoms list is empty",
                ));
            }
            symptoms
        }
        None => return Err(missing("symptoms")),
    };
    let mut optional_list = |key: &str| {
        entries
            .remove(key)
            .map(|(_, value)| into_list(value))
            .unwrap_or_default()
    };
    let services = optional_list("services");
    let tags = optional_list("tags");

    let steps = extract_steps(id, body, body_first_line)?;
    Ok(Runbook {
        id: id.to_owned(),
        title,
        symptoms,
        services,
        tags,
        category,
        body: body.trim().to_owned(),
        steps,
    })
}

/// The category with this snake_case name (as in JSON and in front matter).
pub fn parse_category(name: &str) -> Option<HypothesisCategory> {
    Some(match name.trim() {
        "resource_exhaustion" => HypothesisCategory::ResourceExhaustion,
        "dependency_failure" => HypothesisCategory::DependencyFailure,
        "network" => HypothesisCategory::Network,
        "configuration" => HypothesisCategory::Configuration,
        "code_defect" => HypothesisCategory::CodeDefect,
        "performance" => HypothesisCategory::Performance,
        "security" => HypothesisCategory::Security,
        "storage" => HypothesisCategory::Storage,
        "unknown" => HypothesisCategory::Unknown,
        _ => return None,
    })
}

/// A list value, or a one-element list for a scalar (`services: kubernetes`).
fn into_list(value: Value) -> Vec<String> {
    match value {
        Value::List(items) => items,
        Value::Scalar(item) if item.is_empty() => Vec::new(),
        Value::Scalar(item) => vec![item],
    }
}

/// Front-matter lines with their 1-based line numbers.
type FrontMatter<'a> = Vec<(usize, &'a str)>;

/// The front-matter lines, the body after them, and the body's first line number.
fn split_front_matter<'a>(
    id: &str,
    text: &'a str,
) -> Result<(FrontMatter<'a>, &'a str, usize), KnowledgeError> {
    let mut offset = 0;
    let mut front_matter = Vec::new();
    let mut opened = false;
    for (index, raw_line) in text.split_inclusive('\n').enumerate() {
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let line_number = index + 1;
        if !opened {
            if line.trim_end() != "---" {
                return Err(KnowledgeError::invalid(
                    id,
                    Some(line_number),
                    "a runbook must start with a '---' line opening its front matter",
                ));
            }
            opened = true;
        } else if line.trim_end() == "---" {
            return Ok((front_matter, &text[offset..], line_number + 1));
        } else {
            front_matter.push((line_number, line));
        }
    }
    Err(KnowledgeError::invalid(
        id,
        None,
        if opened {
            "the front matter is not closed by a '---' line"
        } else {
            "the runbook is empty"
        },
    ))
}

/// Key to (line, value), keeping only the keys the format knows.
fn parse_front_matter(
    id: &str,
    lines: &[(usize, &str)],
) -> Result<HashMap<String, (usize, Value)>, KnowledgeError> {
    let mut entries = HashMap::new();
    // The key whose `- item` lines are being read, if any.
    let mut open_list: Option<String> = None;
    for &(line_number, line) in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(item) = trimmed.strip_prefix('-') {
            if !(item.is_empty() || item.starts_with(char::is_whitespace)) {
                return Err(KnowledgeError::invalid(
                    id,
                    Some(line_number),
                    "expected `key: value` or `- item`",
                ));
            }
            let Some(Some((_, Value::List(items)))) =
                open_list.as_ref().map(|key| entries.get_mut(key))
            else {
                return Err(KnowledgeError::invalid(
                    id,
                    Some(line_number),
                    "a `- item` line must follow a `key:` line with no value",
                ));
            };
            let item = unquote(item.trim())
                .map_err(|reason| KnowledgeError::invalid(id, Some(line_number), reason))?;
            if !item.is_empty() {
                items.push(item);
            }
            continue;
        }
        open_list = None;
        let Some((key, value)) = trimmed.split_once(':') else {
            return Err(KnowledgeError::invalid(
                id,
                Some(line_number),
                "expected `key: value`",
            ));
        };
        let key = key.trim();
        if !KNOWN_KEYS.contains(&key) {
            return Err(KnowledgeError::invalid(
                id,
                Some(line_number),
                format!(
                    "unknown key {key:?}; known keys are {}",
                    KNOWN_KEYS.join(", ")
                ),
            ));
        }
        let value = value.trim();
        let parsed = if value.is_empty() {
            open_list = Some(key.to_owned());
            Value::List(Vec::new())
        } else if value.starts_with('[') {
            Value::List(
                parse_inline_list(value)
                    .map_err(|reason| KnowledgeError::invalid(id, Some(line_number), reason))?,
            )
        } else {
            Value::Scalar(
                unquote(value)
                    .map_err(|reason| KnowledgeError::invalid(id, Some(line_number), reason))?,
            )
        };
        if entries
            .insert(key.to_owned(), (line_number, parsed))
            .is_some()
        {
            return Err(KnowledgeError::invalid(
                id,
                Some(line_number),
                format!("key {key:?} appears twice"),
            ));
        }
    }
    Ok(entries)
}

/// Parses `[a, "b, c", 'd']` into its items. Quotes allow commas and brackets inside an item;
/// in double quotes `\"` and `\\` are escapes.
fn parse_inline_list(value: &str) -> Result<Vec<String>, String> {
    let inner = value
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or("a list must be written [a, b, c] on one line")?;
    let mut items = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let item = match chars.next_if(|c| matches!(c, '"' | '\'')) {
            None if chars.peek().is_none() => break,
            Some(quote) => {
                let item = read_quoted(&mut chars, quote)?;
                while chars.next_if(|c| c.is_whitespace()).is_some() {}
                if !matches!(chars.peek(), None | Some(',')) {
                    return Err(format!("unexpected text after quoted item {item:?}"));
                }
                item
            }
            None => {
                let mut item = String::new();
                while let Some(c) = chars.next_if(|c| *c != ',') {
                    if matches!(c, '"' | '[' | ']') {
                        return Err(format!(
                            "unexpected {c:?} in unquoted item; quote items that contain it"
                        ));
                    }
                    item.push(c);
                }
                item.trim_end().to_owned()
            }
        };
        if !item.is_empty() {
            items.push(item);
        }
        // Skip the comma, if any; a trailing comma is allowed.
        chars.next();
    }
    Ok(items)
}

/// Reads a quoted string whose opening `quote` was consumed, through its closing quote. In double
/// quotes `\"` stands for `"` and `\\` for `\`; any other backslash is kept as written, so
/// regular expressions and Windows paths in symptoms need no escaping.
fn read_quoted(chars: &mut impl Iterator<Item = char>, quote: char) -> Result<String, String> {
    let mut text = String::new();
    loop {
        match chars.next() {
            None => return Err(format!("unclosed {quote}")),
            Some('\\') if quote == '"' => match chars.next() {
                Some(escaped @ ('"' | '\\')) => text.push(escaped),
                Some(other) => {
                    text.push('\\');
                    text.push(other);
                }
                None => return Err(format!("unclosed {quote}")),
            },
            Some(c) if c == quote => return Ok(text),
            Some(c) => text.push(c),
        }
    }
}

/// A scalar without its surrounding quotes, if it is quoted.
fn unquote(value: &str) -> Result<String, String> {
    let mut chars = value.chars();
    match chars.next() {
        Some(quote @ ('"' | '\'')) => {
            let text = read_quoted(&mut chars, quote)?;
            if chars.as_str().trim().is_empty() {
                Ok(text)
            } else {
                Err(format!(
                    "unexpected text after the closing quote in {value:?}"
                ))
            }
        }
        _ => Ok(value.to_owned()),
    }
}

/// An open fenced code block.
struct Fence<'a> {
    /// The fence characters (```` ``` ```` or `~~~`, possibly longer) that close it.
    marker: &'a str,
    /// Spaces before the opening fence, removed from the block's lines (a fence inside a list item).
    indent: usize,
    line: usize,
    description: String,
    lines: Vec<&'a str>,
}

/// Every fenced block of `body` as a step, described by the paragraph just before it.
fn extract_steps(id: &str, body: &str, first_line: usize) -> Result<Vec<NextStep>, KnowledgeError> {
    let mut steps = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut in_paragraph = false;
    let mut fence: Option<Fence<'_>> = None;
    for (index, line) in body.lines().enumerate() {
        let line_number = first_line + index;
        let trimmed = line.trim();
        if let Some(open) = fence.as_mut() {
            if trimmed.starts_with(open.marker)
                && trimmed
                    .trim_start_matches(open.marker.chars().next().unwrap_or('`'))
                    .is_empty()
            {
                let command = open.lines.join("\n").trim().to_owned();
                if command.is_empty() {
                    return Err(KnowledgeError::invalid(
                        id,
                        Some(open.line),
                        "empty code block",
                    ));
                }
                steps.push(NextStep {
                    description: std::mem::take(&mut open.description),
                    command: Some(command),
                });
                fence = None;
            } else {
                let indent = line.len() - line.trim_start_matches(' ').len();
                open.lines.push(&line[indent.min(open.indent)..]);
            }
            continue;
        }
        if let Some(marker) = fence_marker(trimmed) {
            let description = describe(&paragraph);
            if description.is_empty() {
                return Err(KnowledgeError::invalid(
                    id,
                    Some(line_number),
                    "a code block must follow a line saying what to look for in its output",
                ));
            }
            fence = Some(Fence {
                marker,
                indent: line.len() - line.trim_start_matches(' ').len(),
                line: line_number,
                description,
                lines: Vec::new(),
            });
            paragraph.clear();
            in_paragraph = false;
        } else if trimmed.is_empty() {
            in_paragraph = false;
        } else if trimmed.starts_with('#') {
            paragraph.clear();
            in_paragraph = false;
        } else {
            // A list item starts a new paragraph, so only the item before a block describes it.
            if !in_paragraph || list_marker_length(trimmed) > 0 {
                paragraph.clear();
            }
            paragraph.push(trimmed);
            in_paragraph = true;
        }
    }
    if let Some(open) = fence {
        return Err(KnowledgeError::invalid(
            id,
            Some(open.line),
            "code block is not closed",
        ));
    }
    Ok(steps)
}

/// The fence (three or more backticks or tildes) that opens a code block on this line, if any.
fn fence_marker(trimmed: &str) -> Option<&str> {
    let fence_char = trimmed.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let length = trimmed.len() - trimmed.trim_start_matches(fence_char).len();
    (length >= 3).then(|| &trimmed[..length])
}

/// Length of a leading list marker (`- `, `* `, `+ `, `1. `, `1) `), or 0.
fn list_marker_length(text: &str) -> usize {
    if text.starts_with("- ") || text.starts_with("* ") || text.starts_with("+ ") {
        return 2;
    }
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let rest = &text[digits..];
    if digits > 0 && (rest.starts_with(". ") || rest.starts_with(") ")) {
        digits + 2
    } else {
        0
    }
}

/// The description of a step from the paragraph before its block: one line, without a list
/// marker or a trailing colon.
fn describe(paragraph: &[&str]) -> String {
    let text = paragraph.join(" ");
    let text = text[list_marker_length(&text)..].trim();
    text.strip_suffix(':').unwrap_or(text).trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KnowledgeErrorKind;
    use proptest::prelude::*;

    const FRONT_MATTER: &str = "---\ntitle: T\nsymptoms: [s1]\ncategory: network\n---\n";

    fn step(description: &str, command: &str) -> NextStep {
        NextStep {
            description: description.to_owned(),
            command: Some(command.to_owned()),
        }
    }

    /// Parses `body` under a minimal front matter and compares the extracted steps.
    fn check_steps(body: &str, expected: &[NextStep]) {
        let runbook = parse_runbook("steps", &format!("{FRONT_MATTER}{body}"))
            .unwrap_or_else(|error| panic!("{error}\n{body}"));
        assert_eq!(runbook.steps, expected, "body:\n{body}");
    }

    /// Parses `text` and expects an invalid-runbook error at `line` whose reason contains
    /// `reason_part`.
    fn check_error(text: &str, line: Option<usize>, reason_part: &str) {
        let error = parse_runbook("broken", text).expect_err(text);
        assert_eq!(error.kind(), KnowledgeErrorKind::InvalidRunbook);
        match error {
            KnowledgeError::InvalidRunbook {
                id,
                line: found_line,
                reason,
            } => {
                assert_eq!(id, "broken");
                assert_eq!(found_line, line, "line of {reason:?} in:\n{text}");
                assert!(
                    reason.contains(reason_part),
                    "{reason:?} lacks {reason_part:?}"
                );
            }
            other => panic!("unexpected error {other}"),
        }
    }

    #[test]
    fn parses_a_complete_runbook() {
        let text = r#"---
# Front-matter comments are skipped.
title: Disk full (No space left on device)
symptoms: ["No space left on device", ENOSPC, 'disk: full', "say \"full\""]
services:
  - linux
  - "kubernetes"
tags: [disk, storage,]
category: storage
---
Intro paragraph without a command.

## Confirm

A filesystem at 100% in `Use%`:
```sh
df -h
```

## Mitigate
- The largest directories:

  ```
  du -xh --max-depth=2 /var \
    | sort -rh | head
  ```
"#;
        let runbook = parse_runbook("disk-full", text).expect("valid runbook");
        assert_eq!(runbook.id, "disk-full");
        assert_eq!(runbook.title, "Disk full (No space left on device)");
        assert_eq!(
            runbook.symptoms,
            [
                "No space left on device",
                "ENOSPC",
                "disk: full",
                "say \"full\""
            ]
        );
        assert_eq!(runbook.services, ["linux", "kubernetes"]);
        assert_eq!(runbook.tags, ["disk", "storage"]);
        assert_eq!(runbook.category, HypothesisCategory::Storage);
        assert!(runbook.body.starts_with("Intro paragraph"));
        assert!(runbook.body.ends_with("```"));
        assert_eq!(
            runbook.steps,
            [
                step("A filesystem at 100% in `Use%`", "df -h"),
                step(
                    "The largest directories",
                    "du -xh --max-depth=2 /var \\\n  | sort -rh | head"
                ),
            ]
        );
    }

    #[test]
    fn steps_take_the_paragraph_just_before_each_block() {
        // No blank line between text and fence.
        check_steps(
            "Look for X:\n```\ncmd one\n```\n",
            &[step("Look for X", "cmd one")],
        );
        // A wrapped paragraph is joined; an earlier paragraph is not part of it.
        check_steps(
            "Earlier text.\n\nFirst half\nsecond half:\n\n~~~bash\ncmd\n~~~\n",
            &[step("First half second half", "cmd")],
        );
        // Numbered list item; a longer fence may hold a shorter one.
        check_steps(
            "1. Check it\n````\necho '```'\n````\n",
            &[step("Check it", "echo '```'")],
        );
        // Only the list item just before the block describes it.
        check_steps(
            "- first item\n- second item:\n```\ncmd\n```\n",
            &[step("second item", "cmd")],
        );
        // Two blocks, each with its own line; blocks under different headings.
        check_steps(
            "## Confirm\nA:\n```\na\n```\nB:\n```\nb\n```\n## Look for\nC\n```\nc\n```\n",
            &[step("A", "a"), step("B", "b"), step("C", "c")],
        );
        // No blocks at all is fine for the parser.
        check_steps("## Confirm\nJust prose.\n", &[]);
    }

    #[test]
    fn invalid_runbooks_are_reported_with_their_line() {
        check_error("", None, "empty");
        check_error("title: T\n", Some(1), "must start with a '---'");
        check_error("---\ntitle: T\n", None, "not closed");
        check_error(
            "---\ntitle: T\nsymptom: [a]\ncategory: network\n---\n",
            Some(3),
            "unknown key \"symptom\"",
        );
        check_error(
            "---\ntitle: T\ntitle: U\nsymptoms: [a]\ncategory: network\n---\n",
            Some(3),
            "appears twice",
        );
        check_error(
            "---\ntitle: T\nsymptoms: [a]\ncategory: networking\n---\n",
            Some(4),
            "unknown category \"networking\"",
        );
        check_error(
            "---\nsymptoms: [a]\ncategory: network\n---\n",
            Some(1),
            "no title",
        );
        check_error(
            "---\ntitle: ''\nsymptoms: [a]\ncategory: network\n---\n",
            Some(2),
            "title must be one non-empty value",
        );
        check_error(
            "---\ntitle: T\nsymptoms: [a]\ncategory: [network, storage]\n---\n",
            Some(4),
            "category must be one non-empty value",
        );
        check_error(
            "---\ntitle: T\nsymptoms: [a]\n---\n",
            Some(1),
            "no category",
        );
        check_error(
            "---\ntitle: T\ncategory: network\n---\n",
            Some(1),
            "no symptoms",
        );
        check_error(
            "---\ntitle: T\nsymptoms: []\ncategory: network\n---\n",
            Some(3),
            "symptoms list is empty",
        );
        check_error(
            "---\ntitle: T\nsymptoms: [a, \"b]\ncategory: network\n---\n",
            Some(3),
            "unclosed",
        );
        check_error(
            "---\ntitle: T\nsymptoms: [a\ncategory: network\n---\n",
            Some(3),
            "one line",
        );
        check_error("---\n- stray\n---\n", Some(2), "must follow a `key:` line");
        check_error("---\njust words\n---\n", Some(2), "expected `key: value`");
        check_error(
            "---\ntitle: \"T\" extra\nsymptoms: [a]\ncategory: network\n---\n",
            Some(2),
            "after the closing quote",
        );
        check_error(
            &format!("{FRONT_MATTER}## Confirm\n\n```\ncmd\n```\n"),
            Some(8),
            "must follow a line",
        );
        check_error(
            &format!("{FRONT_MATTER}A:\n```\na\n```\n```\nb\n```\n"),
            Some(10),
            "must follow a line",
        );
        check_error(
            &format!("{FRONT_MATTER}A:\n```\ncmd\n"),
            Some(7),
            "not closed",
        );
        check_error(
            &format!("{FRONT_MATTER}A:\n```\n  \n```\n"),
            Some(7),
            "empty code block",
        );
    }

    #[test]
    fn ids_are_checked() {
        for id in ["", "has space", "slash/y", "ünïcode"] {
            let error = parse_runbook(id, FRONT_MATTER).expect_err(id);
            assert_eq!(error.kind(), KnowledgeErrorKind::InvalidRunbook, "{id:?}");
        }
        assert!(parse_runbook("ok_id-2.v1", FRONT_MATTER).is_ok());
    }

    #[test]
    fn front_matter_details() {
        // A byte-order mark and CRLF line ends are accepted; a scalar is a one-item list.
        let text = "\u{feff}---\r\ntitle: 'Quoted: title'\r\nsymptoms: one symptom\r\nservices:\r\ncategory: unknown\r\n---\r\nbody\r\n";
        let runbook = parse_runbook("crlf", text).expect("valid");
        assert_eq!(runbook.title, "Quoted: title");
        assert_eq!(runbook.symptoms, ["one symptom"]);
        assert!(runbook.services.is_empty());
        assert_eq!(runbook.category, HypothesisCategory::Unknown);
        assert_eq!(runbook.body, "body");
    }

    #[test]
    fn every_category_name_parses() {
        for category in [
            HypothesisCategory::ResourceExhaustion,
            HypothesisCategory::DependencyFailure,
            HypothesisCategory::Network,
            HypothesisCategory::Configuration,
            HypothesisCategory::CodeDefect,
            HypothesisCategory::Performance,
            HypothesisCategory::Security,
            HypothesisCategory::Storage,
            HypothesisCategory::Unknown,
        ] {
            // The front-matter names are the model's JSON names.
            let name = serde_json::to_value(category).expect("serialize");
            let name = name.as_str().expect("a string");
            assert_eq!(parse_category(name), Some(category), "{name}");
        }
        assert_eq!(parse_category("Storage"), None);
    }

    /// Writes `items` as a double-quoted inline list.
    fn inline_list(items: &[String]) -> String {
        let quoted: Vec<String> = items
            .iter()
            .map(|item| format!("\"{}\"", item.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        format!("[{}]", quoted.join(", "))
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC*") {
            let _ = parse_runbook("fuzz", &text);
        }

        #[test]
        fn parsing_never_panics_on_runbook_shaped_text(
            lines in proptest::collection::vec(
                prop_oneof![
                    Just("---".to_owned()),
                    Just("```".to_owned()),
                    Just("## Confirm".to_owned()),
                    Just(String::new()),
                    "(title|symptoms|category|tags): [a-z\\[\\]\", ']{0,12}",
                    "- [a-z\"']{0,6}",
                    "[a-z `:]{0,16}",
                ],
                0..24,
            )
        ) {
            let _ = parse_runbook("fuzz", &lines.join("\n"));
        }

        #[test]
        fn quoted_list_items_round_trip(items in proptest::collection::vec("[^\n\r]{1,20}", 1..6)) {
            let text = format!(
                "---\ntitle: T\nsymptoms: {}\ncategory: network\n---\n",
                inline_list(&items)
            );
            let runbook = parse_runbook("round-trip", &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(runbook.symptoms, items);
        }

        #[test]
        fn block_list_items_round_trip(items in proptest::collection::vec("[^\n\r]{1,20}", 1..6)) {
            let lines: Vec<String> = items
                .iter()
                .map(|item| format!("  - \"{}\"", item.replace('\\', "\\\\").replace('"', "\\\"")))
                .collect();
            let text = format!(
                "---\ntitle: T\nsymptoms:\n{}\ncategory: network\n---\n",
                lines.join("\n")
            );
            let runbook = parse_runbook("round-trip", &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(runbook.symptoms, items);
        }
    }
}
