//! Learns a log's `TextLayout` from the sniff window: a position counts only when most lines
//! agree on it.

use super::columns::{learn_header_columns, skip_header_columns};
use super::header::find_timestamp;
use super::source::{match_source, ALL_SOURCE_RULES};
use super::tokens::{colon_name, header_tokens, level_of, next_token};
use super::traces::{is_continuation_line, is_trace_line};
use super::{share, SourceRule, TextLayout, TextStats};
use crate::timestamp::{parse_prefix, TimestampShape};
use std::borrow::Cow;
use std::collections::HashMap;

/// Tokens searched for a timestamp before giving up (`- 1117838570 ...` has it at index 1,
/// HPC at index 4).
const MAX_TIMESTAMP_TOKEN: usize = 5;
/// Tokens after the timestamp searched for a level (BGL has six fields in between).
const MAX_LEVEL_OFFSET: usize = 7;
/// Tokens after the level searched for a `source:` token.
const MAX_COLON_OFFSET: usize = 6;
/// A position must hold its field on at least this share of header lines to be learned.
const LEARN_SHARE: f64 = 0.5;

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

    // Where the fields after the level start; header columns count only on lines whose
    // level sits where it was learned (or on every line when there is no level position).
    let mut after_level = Vec::with_capacity(starts.len());
    let mut level_lines = 0;
    for (line, start) in &starts {
        let mut position = *start;
        let mut level_in_place = level_offset.is_none();
        if let Some(offset) = level_offset {
            let tokens = header_tokens(line, position, offset + 1);
            if let Some(token) = tokens.get(offset) {
                if level_of(&line[token.clone()]).is_some() {
                    level_lines += 1;
                    position = token.end;
                    level_in_place = true;
                }
            }
        }
        after_level.push((*line, position, level_in_place));
    }
    if layout.timestamped || level_offset.is_some() {
        let column_lines: Vec<(&str, usize)> = after_level
            .iter()
            .filter(|(_, _, level_in_place)| *level_in_place)
            .map(|(line, position, _)| (*line, *position))
            .collect();
        let columns = learn_header_columns(&column_lines);
        layout.header_columns = columns.count;
        if columns.count > 0 && columns.last_is_bracket {
            // A bracket after the columns may be the thread of a `[thread] name:` source:
            // it is, when a bracket rule explains at least as many lines without it.
            let with = best_source_rule(&after_level, columns.count);
            let without = best_source_rule(&after_level, columns.count - 1);
            let bracket_rule = matches!(
                without,
                Some((
                    SourceRule::BracketThenColon | SourceRule::BracketThenSeparator,
                    _
                ))
            );
            if bracket_rule && without.map(|(_, votes)| votes) >= with.map(|(_, votes)| votes) {
                layout.header_columns -= 1;
            }
        }
    }
    layout.source_rule =
        best_source_rule(&after_level, layout.header_columns).map(|(rule, _)| rule);
    layout.host_before_source =
        syslog_like && layout.source_rule == Some(SourceRule::Colon { offset: 1 });
    stats.timestamped_lines = if layout.timestamped { starts.len() } else { 0 };
    stats.level_lines = level_lines + carried_levels;
    stats.layout = layout;
    stats
}

/// The source rule most lines follow after the level and `columns` header columns, with its
/// votes, if enough lines follow it.
fn best_source_rule(
    after_level: &[(&str, usize, bool)],
    columns: usize,
) -> Option<(SourceRule, usize)> {
    let mut rule_votes: HashMap<SourceRule, usize> = HashMap::new();
    for (line, start, level_in_place) in after_level {
        let mut position = *start;
        if columns > 0 && *level_in_place {
            if let Some((end, _)) = skip_header_columns(line, position, columns) {
                position = end;
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
    // Ties go to the lower rank; the rank is a total order, so the choice never depends on
    // the map's iteration order.
    let rule_rank = |rule: &SourceRule| match rule {
        SourceRule::Colon { offset } => (*offset, 0),
        SourceRule::BracketThenColon => (0, 1),
        SourceRule::BracketThenSeparator => (1, 1),
        SourceRule::NameThenSeparator => (2, 1),
        SourceRule::DottedName => (3, 1),
        SourceRule::PaddedColumn => (4, 1),
    };
    rule_votes
        .into_iter()
        .filter(|(rule, votes)| {
            let needed = match rule {
                SourceRule::Colon { offset } if *offset >= 2 => 0.7,
                _ => LEARN_SHARE,
            };
            share(*votes, after_level.len()) >= needed
        })
        .max_by_key(|(rule, votes)| (*votes, std::cmp::Reverse(rule_rank(rule))))
}
