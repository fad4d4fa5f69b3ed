//! Parses one line's header (timestamp, level, source and their attributes) by the learned
//! layout, and finds where the message starts.

use super::columns::skip_header_columns;
use super::source::match_source;
use super::tokens::{
    confident_level_of, header_tokens, is_separator, level_of, next_token, token_start,
};
use super::TextLayout;
use crate::timestamp::parse_prefix;
use faultmaven_model::Level;
use std::ops::Range;

/// Header fields found on one line, as ranges into it.
#[derive(Debug, Default, Clone)]
pub(super) struct Header {
    pub(super) timestamp: Option<crate::timestamp::DateTimeParts>,
    pub(super) level: Option<Level>,
    pub(super) source: Option<Range<usize>>,
    /// prefix, header fields, columns, host or context, pid, thread
    pub(super) attributes: [Option<(&'static str, Range<usize>)>; 6],
    pub(super) message_start: usize,
}

impl Header {
    fn push_attribute(&mut self, name: &'static str, range: Range<usize>) {
        if let Some(slot) = self.attributes.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some((name, range));
        }
    }
}

/// Finds the timestamp on a line: at the learned token, else at the line start.
pub(super) fn find_timestamp(
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

pub(super) fn parse_header(
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
        header.level = parsed
            .shape
            .level_letter(&line[start..])
            .or_else(|| syslog_priority_level(prefix));
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
    // Columns follow a level found where it was learned, or the timestamp when there is no
    // level position (as in `learn`).
    let level_in_place = match (layout.level_offset, &level_token) {
        (Some(learned), Some((offset, _, _))) => *offset == learned,
        (Some(_), None) => false,
        (None, found) => found.is_none(),
    };
    if let Some((offset, token, level)) = level_token {
        header.level = Some(level);
        if offset > 0 {
            if let (Some(first), Some(last)) = (tokens.get(0), tokens.get(offset - 1)) {
                header.push_attribute("header", first.start..last.end);
            }
        }
        position = token.end;
    }
    if layout.header_columns > 0 && level_in_place {
        if let Some((end, valued)) = skip_header_columns(line, position, layout.header_columns) {
            if let Some(range) = valued {
                header.push_attribute("columns", range);
            }
            position = end;
        }
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

/// The severity of a syslog priority before the timestamp: `<163>1` (RFC 5424, with its
/// version) or `<34>` (RFC 3164). The priority is facility × 8 + severity, and the severity is
/// what the sender meant as the level, so it is taken over any level word in the message.
fn syslog_priority_level(prefix: &str) -> Option<Level> {
    let rest = prefix.strip_prefix('<')?;
    let (digits, after) = rest.split_once('>')?;
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Nothing but an RFC 5424 version may follow the priority.
    if !(after.len() <= 2 && after.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let priority: u16 = digits.parse().ok()?;
    if priority > 191 {
        return None;
    }
    Level::from_syslog_severity((priority % 8) as u8)
}

#[cfg(test)]
mod priority_tests {
    use super::syslog_priority_level;
    use faultmaven_model::Level;

    #[test]
    fn the_severity_of_a_syslog_priority_is_the_level() {
        assert_eq!(syslog_priority_level("<163>1"), Some(Level::Error));
        assert_eq!(syslog_priority_level("<165>1"), Some(Level::Notice));
        assert_eq!(syslog_priority_level("<34>"), Some(Level::Fatal));
        assert_eq!(syslog_priority_level("<14>"), Some(Level::Info));
        assert_eq!(syslog_priority_level("<191>1"), Some(Level::Debug));
        // Not a priority: out of range, not digits, or followed by other text.
        assert_eq!(syslog_priority_level("<192>1"), None);
        assert_eq!(syslog_priority_level("<abc>"), None);
        assert_eq!(syslog_priority_level("<12> host"), None);
        assert_eq!(syslog_priority_level("[INFO]"), None);
        assert_eq!(syslog_priority_level(""), None);
    }
}
