//! The source field of a header (`prog[pid]:`, `[thread] Class:`, `logger -`, ...) and the
//! attributes that come with it, matched by a learned `SourceRule`.

use super::tokens::{colon_name, header_tokens, is_dotted_name, is_name, is_separator, next_token};
use super::SourceRule;
use std::ops::Range;

/// A source and the attributes that came with it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct SourceMatch {
    pub(super) source: Range<usize>,
    /// (attribute name, range in the line)
    pub(super) attributes: [Option<(&'static str, Range<usize>)>; 3],
    /// Where the message starts.
    pub(super) end: usize,
}

/// `range` without the whitespace at its ends (`[   main]` pads the thread name).
fn trim_range(line: &str, range: Range<usize>) -> Range<usize> {
    let text = &line[range.clone()];
    let start = range.start + (text.len() - text.trim_start().len());
    let end = range.end - (text.len() - text.trim_end().len());
    start..end.max(start)
}

/// `1.4.1:` or `255.10[94]:`: the version a syslog program writes after its name, then the
/// colon (with the pid, when there is one, in brackets).
fn is_version_colon(token: &str) -> bool {
    let Some(body) = token.strip_suffix(':') else {
        return false;
    };
    let version = match body.strip_suffix(']').map(|inner| inner.rsplit_once('[')) {
        Some(Some((version, pid)))
            if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) =>
        {
            version
        }
        Some(_) => return false,
        None => body,
    };
    version.contains('.')
        && version.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && version.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// Splits a syslog program token `prog[pid]` into the program and the pid.
fn split_pid(line: &str, name: Range<usize>) -> (Range<usize>, Option<Range<usize>>) {
    let text = &line[name.clone()];
    if let Some(open) = text.rfind('[') {
        if text.ends_with(']') && open > 0 {
            let pid = &text[open + 1..text.len() - 1];
            if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                return (
                    name.start..name.start + open,
                    Some(name.start + open + 1..name.end - 1),
                );
            }
        }
    }
    (name, None)
}

/// In `thread:Class@123` (log4j `%t:%C{1}@%L`) the class is the source.
fn class_in_bracket(line: &str, inner: Range<usize>) -> Range<usize> {
    let text = &line[inner.clone()];
    if let Some(at) = text.rfind('@') {
        if text[at + 1..].bytes().all(|b| b.is_ascii_digit()) && at + 1 < text.len() {
            let before = &text[..at];
            let class_start = before.rfind(':').map_or(0, |colon| colon + 1);
            let class = &before[class_start..];
            if is_name(class) {
                return inner.start + class_start..inner.start + at;
            }
        }
    }
    inner
}

pub(super) fn match_source(
    line: &str,
    from: usize,
    rule: SourceRule,
    host_before: bool,
) -> Option<SourceMatch> {
    let needed = match rule {
        SourceRule::Colon { offset } => offset + 1,
        SourceRule::BracketThenColon => 2,
        _ => 1,
    };
    let tokens = header_tokens(line, from, needed);
    let bracket_inner = |token: &Range<usize>| -> Option<Range<usize>> {
        let text = &line[token.clone()];
        (text.len() >= 2 && text.starts_with('[') && text.ends_with(']'))
            .then(|| token.start + 1..token.end - 1)
    };
    match rule {
        SourceRule::Colon { offset } => {
            let token = tokens.get(offset)?;
            let (name_range, end, detail) = match colon_name(&line[token.clone()]) {
                Some(name) => (token.start..token.start + name.len(), token.end, None),
                None => {
                    let next = next_token(line, token.end)?;
                    let text = &line[next.clone()];
                    if is_name(&line[token.clone()])
                        && text.starts_with('(')
                        && text.ends_with("):")
                    {
                        // macOS: `sandboxd[129] ([31211]): message`, a detail in parentheses
                        // between the program and the colon.
                        (token.clone(), next.end, Some(next.start + 1..next.end - 2))
                    } else if host_before {
                        // Program names with spaces (`Microsoft Word[14463]:`) or a version
                        // (`syslogd 1.4.1: restart.`, `BezelServices 255.10[94]:`).
                        let last = if is_version_colon(text) {
                            next.clone()
                        } else {
                            [next.clone()]
                                .into_iter()
                                .chain(next_token(line, next.end))
                                .find(|candidate| {
                                    let text = &line[candidate.clone()];
                                    colon_name(text).is_some_and(|name| name.ends_with(']'))
                                })?
                        };
                        (token.start..last.end - 1, last.end, None)
                    } else {
                        return None;
                    }
                }
            };
            let (source, pid) = split_pid(line, name_range);
            let mut found = SourceMatch {
                source,
                end,
                ..SourceMatch::default()
            };
            if let Some(detail) = detail {
                found.attributes[2] = Some(("detail", detail));
            }
            if let Some(pid) = pid {
                found.attributes[0] = Some(("pid", pid));
            }
            if offset > 0 {
                let first = tokens.get(0)?;
                let last = tokens.get(offset - 1)?;
                let name = if offset == 1 && host_before {
                    "host"
                } else {
                    "context"
                };
                found.attributes[1] = Some((name, first.start..last.end));
            }
            Some(found)
        }
        SourceRule::BracketThenColon => {
            let thread = trim_range(line, bracket_inner(&tokens.get(0)?)?);
            let token = tokens.get(1)?;
            let text = &line[token.clone()];
            if let Some(name) = colon_name(text) {
                return Some(SourceMatch {
                    source: token.start..token.start + name.len(),
                    attributes: [Some(("thread", thread)), None, None],
                    end: token.end,
                });
            }
            // `[thread] logger : message`: Spring Boot and logback layouts pad the logger
            // name to a width, which leaves the colon on its own.
            let colon = next_token(line, token.end)?;
            if !is_name(text) || &line[colon.clone()] != ":" {
                return None;
            }
            Some(SourceMatch {
                source: token,
                attributes: [Some(("thread", thread)), None, None],
                end: colon.end,
            })
        }
        SourceRule::BracketThenSeparator => {
            let bracket = tokens.get(0)?;
            let inner = bracket_inner(&bracket)?;
            // The separator was skipped by `header_tokens`; check it is there.
            let next = next_token(line, bracket.end)?;
            if !is_separator(&line[next.clone()]) {
                return None;
            }
            let source = class_in_bracket(line, inner.clone());
            let thread = (source != inner).then_some(("thread", inner));
            Some(SourceMatch {
                source,
                attributes: [thread, None, None],
                end: next.end,
            })
        }
        SourceRule::NameThenSeparator => {
            let name = tokens.get(0)?;
            if !is_name(&line[name.clone()]) {
                return None;
            }
            let mut source = name.clone();
            let mut separator = next_token(line, name.end)?;
            if !is_separator(&line[separator.clone()]) {
                // One short qualifier may sit between the name and the separator
                // (Proxifier's `chrome.exe *64 - ...`).
                if separator.len() > 8 {
                    return None;
                }
                source = name.start..separator.end;
                separator = next_token(line, separator.end)?;
                if !is_separator(&line[separator.clone()]) {
                    return None;
                }
            }
            let mut found = SourceMatch {
                source,
                end: separator.end,
                ..SourceMatch::default()
            };
            // `source|pid|message` (pipe-delimited headers): the pid is a field of its own.
            if let Some(pid) = next_token(line, separator.end) {
                let is_pid = line[pid.clone()].bytes().all(|b| b.is_ascii_digit());
                if let Some(second) = next_token(line, pid.end).filter(|_| is_pid) {
                    if line[second.clone()] == line[separator.clone()] {
                        found.attributes[0] = Some(("pid", pid));
                        found.end = second.end;
                    }
                }
            }
            Some(found)
        }
        SourceRule::DottedName => {
            let token = tokens.get(0)?;
            let text = &line[token.clone()];
            if !is_dotted_name(text) {
                return None;
            }
            let name_len = text.strip_suffix(':').unwrap_or(text).len();
            let mut found = SourceMatch {
                source: token.start..token.start + name_len,
                end: token.end,
                ..SourceMatch::default()
            };
            // Python's oslo/structlog style: `logger [request context] message`.
            if !text.ends_with(':') {
                if let Some(next) = next_token(line, token.end) {
                    if let Some(inner) = bracket_inner(&next) {
                        found.attributes[0] = Some(("context", inner));
                        found.end = next.end;
                    }
                }
            }
            Some(found)
        }
        SourceRule::PaddedColumn => {
            let token = tokens.get(0)?;
            let text = &line[token.clone()];
            let padded = line.as_bytes().get(token.end..token.end + 2) == Some(b"  ");
            if !padded || text.len() > 40 || !is_name(text) {
                return None;
            }
            Some(SourceMatch {
                source: token.clone(),
                end: token.end,
                ..SourceMatch::default()
            })
        }
    }
}

pub(super) const ALL_SOURCE_RULES: [SourceRule; 5] = [
    SourceRule::BracketThenColon,
    SourceRule::BracketThenSeparator,
    SourceRule::NameThenSeparator,
    SourceRule::DottedName,
    SourceRule::PaddedColumn,
];
