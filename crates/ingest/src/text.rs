//! Plain-text logs: the header of each line (timestamp, level, source) is found by a layout
//! learned from the sniff window, and lines without a header of their own (stack traces,
//! wrapped messages) are joined to the record before them.
//!
//! Learning the layout first, instead of guessing per line, is what keeps a word that merely
//! looks like a level (`I`, `error`) or a colon in a message from being taken for a header:
//! a position counts only when most lines agree on it.

use crate::format::{FormatParser, ParserSettings};
use crate::output::Output;
use crate::timestamp::{parse_prefix, TimestampShape, YearResolver};
use faultmaven_model::{Level, LogRecord, Timestamp};
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

/// Tokens searched for a timestamp before giving up (`- 1117838570 ...` has it at index 1,
/// HPC at index 4).
const MAX_TIMESTAMP_TOKEN: usize = 5;
/// Tokens after the timestamp searched for a level (BGL has six fields in between).
const MAX_LEVEL_OFFSET: usize = 7;
/// Tokens after the level searched for a `source:` token.
const MAX_COLON_OFFSET: usize = 6;
/// Longest bracketed token (`[thread-name]`) treated as one token.
const MAX_BRACKET_BYTES: usize = 256;
/// A position must hold its field on at least this share of header lines to be learned.
const LEARN_SHARE: f64 = 0.5;

/// Where a log's header fields sit, learned from the sniff window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TextLayout {
    /// Token index where the timestamp starts, when lines carry one.
    pub timestamp_token: Option<usize>,
    /// Lines without their own timestamp continue the record before them.
    pub timestamped: bool,
    /// Tokens between the end of the timestamp (or the line start) and the level.
    pub level_offset: Option<usize>,
    /// How the source appears after the level.
    pub source_rule: Option<SourceRule>,
    /// The token before a `prog:` source is a host name (syslog).
    pub host_before_source: bool,
}

/// Statistics of the window, for sniffing.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TextStats {
    /// Non-blank lines that do not look like continuations.
    pub header_lines: usize,
    /// Of those, lines with a timestamp at the learned position.
    pub timestamped_lines: usize,
    /// Of those, lines with a level at the learned position.
    pub level_lines: usize,
    /// Non-blank lines in the window.
    pub non_blank_lines: usize,
    /// Lines that look like stack-trace frames or trace headers.
    pub trace_lines: usize,
    pub layout: TextLayout,
}

impl TextStats {
    pub fn timestamp_share(&self) -> f64 {
        share(self.timestamped_lines, self.header_lines)
    }

    pub fn level_share(&self) -> f64 {
        share(self.level_lines, self.header_lines)
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// How the source field appears right after the level (or the timestamp).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SourceRule {
    /// `name:` after `offset` other tokens (Spark: 0; syslog `host prog[pid]:`: 1).
    Colon { offset: usize },
    /// `[thread] name:` (log4j with a thread, Hadoop).
    BracketThenColon,
    /// `[name] -` (ZooKeeper).
    BracketThenSeparator,
    /// `name -` or `name |`.
    NameThenSeparator,
    /// A dotted logger name (`nova.compute.manager`).
    DottedName,
    /// A short word padded by two or more spaces: a fixed-width column.
    PaddedColumn,
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// The next token at or after `from`: a balanced `[...]` group, a lone `|`, or a run of bytes
/// that are neither whitespace nor `|`.
fn next_token(line: &str, from: usize) -> Option<Range<usize>> {
    let bytes = line.as_bytes();
    let mut start = from;
    while start < bytes.len() && bytes[start].is_ascii_whitespace() {
        start += 1;
    }
    if start >= bytes.len() {
        return None;
    }
    if bytes[start] == b'|' {
        return Some(start..start + 1);
    }
    if bytes[start] == b'[' {
        let mut depth = 0usize;
        for (index, &byte) in bytes[start..].iter().enumerate().take(MAX_BRACKET_BYTES) {
            match byte {
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(start..start + index + 1);
                    }
                }
                _ => {}
            }
        }
    }
    let mut end = start;
    while end < bytes.len() && !bytes[end].is_ascii_whitespace() && bytes[end] != b'|' {
        end += 1;
    }
    Some(start..end)
}

/// Start of the token with index `index` (0-based).
fn token_start(line: &str, index: usize) -> Option<usize> {
    let mut position = 0;
    let mut token = next_token(line, position)?;
    for _ in 0..index {
        position = token.end;
        token = next_token(line, position)?;
    }
    Some(token.start)
}

/// `-`, `|`, `,`, `:`, `--`: punctuation between header fields.
fn is_separator(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 2
        && token
            .bytes()
            .all(|b| matches!(b, b'-' | b'|' | b',' | b':' | b';'))
}

/// Up to `limit` tokens after `from`, separators skipped.
fn header_tokens(line: &str, from: usize, limit: usize) -> TokenList {
    let mut tokens = TokenList::default();
    let mut position = from;
    while tokens.len < limit.min(TOKEN_CAPACITY) {
        let Some(token) = next_token(line, position) else {
            break;
        };
        position = token.end;
        if is_separator(&line[token.clone()]) {
            continue;
        }
        tokens.items[tokens.len] = token;
        tokens.len += 1;
    }
    tokens
}

/// A fixed-capacity token list: header parsing allocates nothing.
#[derive(Default)]
struct TokenList {
    items: [Range<usize>; TOKEN_CAPACITY],
    len: usize,
}

const TOKEN_CAPACITY: usize = 10;

impl TokenList {
    fn get(&self, index: usize) -> Option<Range<usize>> {
        (index < self.len).then(|| self.items[index].clone())
    }
}

/// The level a header token names: `INFO`, `[error]`, `<W>`, `WARN:`, `(E)`.
fn level_of(token: &str) -> Option<Level> {
    let trimmed = token.trim_end_matches([':', ',']);
    let inner = trimmed
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .or_else(|| trimmed.strip_prefix('<').and_then(|t| t.strip_suffix('>')))
        .or_else(|| trimmed.strip_prefix('(').and_then(|t| t.strip_suffix(')')))
        .unwrap_or(trimmed);
    if inner.is_empty() || inner.len() > 11 || !inner.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    Level::parse(inner)
}

/// A level word safe to take without a learned position: spelled out in capitals or
/// bracketed (`ERROR`, `[warn]`), never a single letter or a lowercase word of the message.
fn confident_level_of(token: &str) -> Option<Level> {
    let bracketed = token.starts_with('[') || token.starts_with('<');
    let letters = token.bytes().filter(u8::is_ascii_alphabetic).count();
    if letters < 4 {
        return None;
    }
    if !bracketed && token.bytes().any(|b| b.is_ascii_lowercase()) {
        return None;
    }
    level_of(token)
}

/// A plausible source name: letters, digits and `_ . - $ / ( ) [ ] @ #`, with a letter.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 128
        && text.bytes().any(|b| b.is_ascii_alphabetic())
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'_' | b'.' | b'-' | b'$' | b'/' | b'(' | b')' | b'[' | b']' | b'@' | b'#'
                )
        })
}

/// `name:` where name is a plausible source (not a URL, a time or `key::`).
fn colon_name(token: &str) -> Option<&str> {
    let name = token.strip_suffix(':')?;
    if name.ends_with(':') || !is_name(name) {
        return None;
    }
    Some(name)
}

/// `nova.compute.manager`, `dfs.DataNode$PacketResponder`: dotted, starting with a letter,
/// not a number or address.
fn is_dotted_name(token: &str) -> bool {
    let token = token.strip_suffix(':').unwrap_or(token);
    token.contains('.')
        && token.len() <= 128
        && token.as_bytes()[0].is_ascii_alphabetic()
        && !token.ends_with('.')
        && !token.contains("..")
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'$' | b'-'))
}

/// A source and the attributes that came with it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct SourceMatch {
    source: Range<usize>,
    /// (attribute name, range in the line)
    attributes: [Option<(&'static str, Range<usize>)>; 3],
    /// Where the message starts.
    end: usize,
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

fn match_source(
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
                        // Program names with spaces: `Microsoft Word[14463]:`.
                        let last = [next.clone()]
                            .into_iter()
                            .chain(next_token(line, next.end))
                            .find(|candidate| {
                                let text = &line[candidate.clone()];
                                colon_name(text).is_some_and(|name| name.ends_with(']'))
                            })?;
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
            let thread = bracket_inner(&tokens.get(0)?)?;
            let token = tokens.get(1)?;
            let name = colon_name(&line[token.clone()])?;
            Some(SourceMatch {
                source: token.start..token.start + name.len(),
                attributes: [Some(("thread", thread)), None, None],
                end: token.end,
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

const ALL_SOURCE_RULES: [SourceRule; 5] = [
    SourceRule::BracketThenColon,
    SourceRule::BracketThenSeparator,
    SourceRule::NameThenSeparator,
    SourceRule::DottedName,
    SourceRule::PaddedColumn,
];

// ---------------------------------------------------------------------------------------------
// Continuations

/// Lines that continue the record before them whatever the layout: indented lines, Java
/// frames and causes, Python traceback parts, Go goroutine headers.
fn is_continuation_line(line: &str) -> bool {
    let bytes = line.as_bytes();
    if bytes.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
        return true;
    }
    line.starts_with("at ")
        || line.starts_with("Caused by:")
        || line.starts_with("Suppressed:")
        || (line.starts_with("... ") && line.ends_with(" more"))
        || line.starts_with("Traceback (most recent call last)")
        || line.starts_with("During handling of the above exception")
        || line.starts_with("The above exception was the direct cause")
        || line.starts_with("[signal ")
        || is_goroutine_header(line)
}

/// `goroutine 1 [running]:`
fn is_goroutine_header(line: &str) -> bool {
    line.strip_prefix("goroutine ").is_some_and(|rest| {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0 && rest[digits..].starts_with(" [")
    })
}

/// Starts a stack trace on its own (the first line of a trace file).
pub(crate) fn is_trace_start(line: &str) -> Option<TraceLanguage> {
    if line.starts_with("Traceback (most recent call last)") {
        return Some(TraceLanguage::Python);
    }
    if line.starts_with("panic: ") || is_goroutine_header(line) || line.starts_with("fatal error: ")
    {
        return Some(TraceLanguage::Go);
    }
    if line.starts_with("Exception in thread ") || is_exception_header(line) {
        return Some(TraceLanguage::Java);
    }
    None
}

/// The language of a stack trace on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TraceLanguage {
    Java,
    Python,
    Go,
}

/// `java.lang.IllegalStateException: boom` or `ValueError: bad`: a dotted or plain identifier
/// ending in Exception/Error/... followed by `:` or the end of the line.
fn is_exception_header(line: &str) -> bool {
    let name_end = line
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'$')))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    let rest = &line[name_end..];
    (rest.is_empty() || rest.starts_with(':'))
        && [
            "Exception",
            "Error",
            "Throwable",
            "Warning",
            "Interrupt",
            "Exit",
            "Fault",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix))
        && name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
}

/// A frame line of a trace, for sniffing.
pub(crate) fn is_trace_line(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with("at ")
        || trimmed.starts_with("File \"")
        || trimmed.starts_with("Caused by:")
        || (trimmed.starts_with("... ") && trimmed.ends_with(" more"))
        || is_go_frame(trimmed)
        || is_trace_start(line).is_some()
        || (line.starts_with('\t') && trimmed.contains(".go:"))
}

/// `main.main()`, `net/http.(*conn).serve(0xc000)`, `created by main.start`.
fn is_go_frame(line: &str) -> bool {
    if line.starts_with("created by ") {
        return true;
    }
    line.ends_with(')')
        && line.find('(').is_some_and(|open| {
            open > 0
                && line[..open].contains('.')
                && line[..open].bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(b, b'.' | b'_' | b'/' | b'*' | b'(' | b')' | b'-')
                })
        })
}

// ---------------------------------------------------------------------------------------------
// Header parsing

/// Header fields found on one line, as ranges into it.
#[derive(Debug, Default, Clone)]
struct Header {
    timestamp: Option<crate::timestamp::DateTimeParts>,
    level: Option<Level>,
    source: Option<Range<usize>>,
    /// prefix, header fields, host or context, pid, thread
    attributes: [Option<(&'static str, Range<usize>)>; 5],
    message_start: usize,
}

impl Header {
    fn push_attribute(&mut self, name: &'static str, range: Range<usize>) {
        if let Some(slot) = self.attributes.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some((name, range));
        }
    }
}

/// Finds the timestamp on a line: at the learned token, else at the line start.
fn find_timestamp(
    line: &str,
    layout: &TextLayout,
) -> Option<(usize, crate::timestamp::ParsedTimestamp)> {
    if let Some(index) = layout.timestamp_token {
        if let Some(start) = token_start(line, index) {
            if let Some(parsed) = parse_prefix(&line[start..]) {
                return Some((start, parsed));
            }
        }
        if index == 0 {
            return None;
        }
    }
    let start = token_start(line, 0)?;
    parse_prefix(&line[start..]).map(|parsed| (start, parsed))
}

fn parse_header(
    line: &str,
    layout: &TextLayout,
    timestamp: Option<(usize, crate::timestamp::ParsedTimestamp)>,
) -> Header {
    let mut header = Header::default();
    let mut position = 0;
    if let Some((start, parsed)) = timestamp {
        let prefix = line[..start].trim_end();
        if !prefix.is_empty() {
            header.push_attribute("prefix", 0..prefix.len());
        }
        header.timestamp = Some(parsed.parts);
        header.level = parsed.shape.level_letter(&line[start..]);
        position = start + parsed.len;
    }
    let tokens = header_tokens(
        line,
        position,
        layout.level_offset.map_or(1, |offset| offset + 1),
    );
    let mut level_token = None;
    if header.level.is_some() {
        // The timestamp carried the level (klog); nothing to look for.
    } else if let Some(offset) = layout.level_offset {
        if let Some(token) = tokens.get(offset) {
            if let Some(level) = level_of(&line[token.clone()]) {
                level_token = Some((offset, token, level));
            }
        }
    }
    if header.level.is_none() && level_token.is_none() && layout.level_offset != Some(0) {
        if let Some(token) = tokens.get(0) {
            if let Some(level) = confident_level_of(&line[token.clone()]) {
                level_token = Some((0, token, level));
            }
        }
    }
    if let Some((offset, token, level)) = level_token {
        header.level = Some(level);
        if offset > 0 {
            if let (Some(first), Some(last)) = (tokens.get(0), tokens.get(offset - 1)) {
                header.push_attribute("header", first.start..last.end);
            }
        }
        position = token.end;
    }
    if let Some(rule) = layout.source_rule {
        if let Some(found) = match_source(line, position, rule, layout.host_before_source) {
            header.source = Some(found.source);
            for (name, range) in found.attributes.into_iter().flatten() {
                header.push_attribute(name, range);
            }
            position = found.end;
        }
    }
    // The message starts after the header and any separator right after it (` - msg`).
    if position > 0 {
        if let Some(token) = next_token(line, position) {
            if is_separator(&line[token.clone()])
                && token.len() == 1
                && line[token.end..].starts_with(' ')
            {
                position = token.end;
            }
        }
    }
    let bytes = line.as_bytes();
    while position < bytes.len() && (bytes[position] == b' ' || bytes[position] == b'\t') {
        position += 1;
    }
    header.message_start = position;
    header
}

// ---------------------------------------------------------------------------------------------
// Learning

/// Learns the layout from the window's lines.
pub(crate) fn learn(lines: &[Cow<'_, str>]) -> TextStats {
    let mut stats = TextStats::default();
    let mut timestamp_votes: HashMap<(usize, TimestampShape), usize> = HashMap::new();
    let mut header_lines = Vec::new();
    for line in lines {
        let line: &str = line;
        if line.trim().is_empty() {
            continue;
        }
        stats.non_blank_lines += 1;
        if is_trace_line(line) {
            stats.trace_lines += 1;
        }
        if is_continuation_line(line) {
            continue;
        }
        header_lines.push(line);
        let mut position = 0;
        for index in 0..=MAX_TIMESTAMP_TOKEN {
            let Some(token) = next_token(line, position) else {
                break;
            };
            if let Some(parsed) = parse_prefix(&line[token.start..]) {
                *timestamp_votes.entry((index, parsed.shape)).or_default() += 1;
                break;
            }
            position = token.end;
        }
    }
    stats.header_lines = header_lines.len();
    let mut layout = TextLayout::default();
    let best_timestamp = timestamp_votes
        .iter()
        .max_by_key(|((index, _), count)| (**count, std::cmp::Reverse(*index)))
        .map(|((index, shape), count)| (*index, *shape, *count));
    let mut syslog_like = false;
    if let Some((index, shape, count)) = best_timestamp {
        // Later positions need a clearer majority: an epoch-looking number in a message
        // should not become the time of every line.
        let needed = if index == 0 { 0.3 } else { LEARN_SHARE };
        if share(count, header_lines.len()) >= needed && (count >= 2 || header_lines.len() == 1) {
            layout.timestamp_token = Some(index);
            layout.timestamped = true;
            syslog_like = shape == TimestampShape::MonthNameDay;
        }
    }

    // Level position: count per offset over the lines with a header. Single-letter levels
    // (`D`, `I`, `W`) count only if more than one letter shows up there: a column that is
    // always `F` is a flag (CRI's `stdout F`), not a level.
    let mut level_votes = [0usize; MAX_LEVEL_OFFSET + 1];
    let mut word_votes = [0usize; MAX_LEVEL_OFFSET + 1];
    let mut letters_seen = [0u32; MAX_LEVEL_OFFSET + 1];
    let mut starts = Vec::with_capacity(header_lines.len());
    let mut carried_levels = 0;
    for line in &header_lines {
        let start = if layout.timestamped {
            match find_timestamp(line, &layout) {
                Some((start, parsed)) => {
                    if parsed.shape.level_letter(&line[start..]).is_some() {
                        carried_levels += 1;
                    }
                    start + parsed.len
                }
                None => continue,
            }
        } else {
            0
        };
        starts.push((*line, start));
        let tokens = header_tokens(line, start, MAX_LEVEL_OFFSET + 1);
        for offset in 0..=MAX_LEVEL_OFFSET {
            let Some(token) = tokens.get(offset) else {
                break;
            };
            let text = &line[token];
            if level_of(text).is_some() {
                level_votes[offset] += 1;
                let letters: Vec<u8> = text.bytes().filter(u8::is_ascii_alphabetic).collect();
                if let [letter] = letters[..] {
                    letters_seen[offset] |= 1 << (letter.to_ascii_lowercase() - b'a');
                } else {
                    word_votes[offset] += 1;
                }
                break;
            }
        }
    }
    let level_offset = level_votes
        .iter()
        .enumerate()
        .max_by_key(|(offset, votes)| (**votes, std::cmp::Reverse(*offset)))
        .filter(|(_, votes)| share(**votes, starts.len()) >= LEARN_SHARE)
        .map(|(offset, _)| offset)
        .filter(|&offset| word_votes[offset] > 0 || letters_seen[offset].count_ones() >= 2);
    layout.level_offset = level_offset;

    // Source rule: count which rules match after the level.
    let mut rule_votes: HashMap<SourceRule, usize> = HashMap::new();
    let mut level_lines = 0;
    for (line, start) in &starts {
        let mut position = *start;
        if let Some(offset) = level_offset {
            let tokens = header_tokens(line, position, offset + 1);
            match tokens.get(offset) {
                Some(token) if level_of(&line[token.clone()]).is_some() => {
                    level_lines += 1;
                    position = token.end;
                }
                _ => {}
            }
        }
        let tokens = header_tokens(line, position, MAX_COLON_OFFSET + 1);
        for offset in 0..=MAX_COLON_OFFSET {
            if let Some(token) = tokens.get(offset) {
                if colon_name(&line[token]).is_some() {
                    *rule_votes.entry(SourceRule::Colon { offset }).or_default() += 1;
                    break;
                }
            }
        }
        for rule in ALL_SOURCE_RULES {
            if match_source(line, position, rule, false).is_some() {
                *rule_votes.entry(rule).or_default() += 1;
            }
        }
    }
    let rule_rank = |rule: &SourceRule| match rule {
        SourceRule::Colon { offset } => *offset,
        SourceRule::BracketThenColon => 0,
        SourceRule::BracketThenSeparator => 1,
        SourceRule::NameThenSeparator => 2,
        SourceRule::DottedName => 3,
        SourceRule::PaddedColumn => 4,
    };
    layout.source_rule = rule_votes
        .iter()
        .filter(|(rule, votes)| {
            let needed = match rule {
                SourceRule::Colon { offset } if *offset >= 2 => 0.7,
                _ => LEARN_SHARE,
            };
            share(**votes, starts.len()) >= needed
        })
        .max_by_key(|(rule, votes)| (**votes, std::cmp::Reverse(rule_rank(rule))))
        .map(|(rule, _)| *rule);
    layout.host_before_source =
        syslog_like && layout.source_rule == Some(SourceRule::Colon { offset: 1 });
    stats.timestamped_lines = if layout.timestamped { starts.len() } else { 0 };
    stats.level_lines = level_lines + carried_levels;
    stats.layout = layout;
    stats
}

// ---------------------------------------------------------------------------------------------
// The parser

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
            && is_exception_header(line)
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
            TraceState::Python => is_exception_header(line),
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

#[cfg(test)]
mod tests;
