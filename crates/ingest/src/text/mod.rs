//! Plain-text logs: the header of each line (timestamp, level, source) is found by a layout
//! learned from the sniff window, and lines without a header of their own (stack traces,
//! wrapped messages) are joined to the record before them.
//!
//! Learning the layout first, instead of guessing per line, is what keeps a word that merely
//! looks like a level (`I`, `error`) or a colon in a message from being taken for a header:
//! a position counts only when most lines agree on it.

mod columns;
mod header;
mod learn;
mod parser;
mod source;
mod tokens;
mod traces;

pub(crate) use learn::learn;
pub(crate) use parser::{PlainTextParser, TextLogParser};

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
    /// Header tokens after the level (or the timestamp) that are fields, not message: HPC's
    /// flag, Spring Boot's `1234 ---` (see `columns`).
    pub header_columns: usize,
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

#[cfg(test)]
mod tests;
