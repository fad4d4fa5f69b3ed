//! Header columns between the level (or the timestamp) and the rest of the header: fields
//! such as Loghub HPC's flag (`... 1077804742 1 Component State Change: ...`) or Spring Boot's
//! `1234 ---` (the pid and its separator) that are part of the header, not of the message.
//!
//! What marks them is not a name but their statistics across the window: the same position
//! holds a token shaped like a field (a small integer, a run of dashes, a bracketed group) and
//! a handful of values cover nearly every line. A message's first word has neither property
//! for long: messages start with words, and their numbers vary.

use super::share;
use super::tokens::{header_tokens, TokenList};
use std::collections::HashMap;
use std::ops::Range;

/// Most columns learned after the level.
const MAX_HEADER_COLUMNS: usize = 4;
/// A column holds at most this many distinct values on the lines it covers...
const MAX_COLUMN_VALUES: usize = 4;
/// ...on at least this share of the lines: a column is a column on (nearly) every line.
const COLUMN_SHARE: f64 = 0.9;
/// Fewer lines than this say nothing about how many values a position takes.
const MIN_COLUMN_LINES: usize = 8;
/// Longest integer taken for a column (a pid, a flag, a numeric level).
const MAX_COLUMN_DIGITS: usize = 10;

/// The columns learned after the level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct HeaderColumns {
    /// How many header tokens (separators skipped) are columns.
    pub count: usize,
    /// The last column is a bracketed group: it may be the thread of a `[thread] name:`
    /// source instead, which the caller decides by comparing the source rules.
    pub last_is_bracket: bool,
}

/// A token shaped like a header field rather than a word of a message: a small integer, maybe
/// negative (a flag, a pid), a short run of dashes or stars (Spring's `---`), or a bracketed
/// group (`[myapp]`).
pub(super) fn is_column_like(token: &str) -> bool {
    let digits = token.strip_prefix('-').unwrap_or(token);
    let number = !digits.is_empty()
        && digits.len() <= MAX_COLUMN_DIGITS
        && digits.bytes().all(|b| b.is_ascii_digit());
    let rule = token.len() <= 4
        && token
            .bytes()
            .all(|b| matches!(b, b'-' | b'*' | b'=' | b'~'));
    let bracket = token.len() >= 2 && token.starts_with('[') && token.ends_with(']');
    number || rule || bracket
}

fn is_bracket(token: &str) -> bool {
    token.starts_with('[')
}

/// The leading column-like tokens at `from`, at most `limit`, always leaving a token after
/// them for the message.
fn column_run(line: &str, from: usize, limit: usize) -> (TokenList, usize) {
    let tokens = header_tokens(line, from, limit + 1);
    let mut run = 0;
    while run < limit {
        match (tokens.get(run), tokens.get(run + 1)) {
            (Some(token), Some(_)) if is_column_like(&line[token.clone()]) => run += 1,
            _ => break,
        }
    }
    (tokens, run)
}

/// Learns the columns from `(line, position after the level)` pairs: position by position,
/// as long as a few values cover nearly every line.
pub(super) fn learn_header_columns(lines: &[(&str, usize)]) -> HeaderColumns {
    if lines.len() < MIN_COLUMN_LINES {
        return HeaderColumns::default();
    }
    let runs: Vec<(&str, TokenList, usize)> = lines
        .iter()
        .map(|(line, from)| {
            let (tokens, run) = column_run(line, *from, MAX_HEADER_COLUMNS);
            (*line, tokens, run)
        })
        .collect();
    let mut learned = HeaderColumns::default();
    for index in 0..MAX_HEADER_COLUMNS {
        let mut values: HashMap<&str, usize> = HashMap::new();
        let mut brackets = 0;
        for (line, tokens, run) in &runs {
            if *run <= index {
                continue;
            }
            let Some(token) = tokens.get(index) else {
                continue;
            };
            let text = &line[token];
            brackets += usize::from(is_bracket(text));
            *values.entry(text).or_default() += 1;
        }
        let mut counts: Vec<usize> = values.into_values().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let covered: usize = counts.iter().take(MAX_COLUMN_VALUES).sum();
        if share(covered, lines.len()) < COLUMN_SHARE {
            break;
        }
        learned = HeaderColumns {
            count: index + 1,
            last_is_bracket: brackets * 2 > covered,
        };
    }
    learned
}

/// Skips up to `count` columns at `from`; returns where they end and the range of those that
/// carry a value (runs of dashes are punctuation), or `None` when the line has none.
pub(super) fn skip_header_columns(
    line: &str,
    from: usize,
    count: usize,
) -> Option<(usize, Option<Range<usize>>)> {
    let (tokens, run) = column_run(line, from, count);
    if run == 0 {
        return None;
    }
    let mut valued: Option<Range<usize>> = None;
    for index in 0..run {
        let token = tokens.get(index)?;
        if line[token.clone()]
            .bytes()
            .any(|b| b.is_ascii_alphanumeric())
        {
            valued = Some(valued.map_or(token.clone(), |range| range.start..token.end));
        }
    }
    Some((tokens.get(run - 1)?.end, valued))
}
