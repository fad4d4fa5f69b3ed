//! Header tokens of a text line: bracket groups, separators, level words and source names.

use faultmaven_model::Level;
use std::ops::Range;

/// Longest bracketed token (`[thread-name]`) treated as one token.
const MAX_BRACKET_BYTES: usize = 256;

/// The next token at or after `from`: a balanced `[...]` group, a lone `|`, or a run of bytes
/// that are neither whitespace nor `|`.
pub(super) fn next_token(line: &str, from: usize) -> Option<Range<usize>> {
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
pub(super) fn token_start(line: &str, index: usize) -> Option<usize> {
    let mut position = 0;
    let mut token = next_token(line, position)?;
    for _ in 0..index {
        position = token.end;
        token = next_token(line, position)?;
    }
    Some(token.start)
}

/// `-`, `|`, `,`, `:`, `--`: punctuation between header fields.
pub(super) fn is_separator(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 2
        && token
            .bytes()
            .all(|b| matches!(b, b'-' | b'|' | b',' | b':' | b';'))
}

/// Up to `limit` tokens after `from`, separators skipped.
pub(super) fn header_tokens(line: &str, from: usize, limit: usize) -> TokenList {
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
pub(super) struct TokenList {
    items: [Range<usize>; TOKEN_CAPACITY],
    len: usize,
}

const TOKEN_CAPACITY: usize = 10;

impl TokenList {
    pub(super) fn get(&self, index: usize) -> Option<Range<usize>> {
        (index < self.len).then(|| self.items[index].clone())
    }
}

/// The level a header token names: `INFO`, `[error]`, `<W>`, `WARN:`, `(E)`.
pub(super) fn level_of(token: &str) -> Option<Level> {
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
pub(super) fn confident_level_of(token: &str) -> Option<Level> {
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
pub(super) fn is_name(text: &str) -> bool {
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
pub(super) fn colon_name(token: &str) -> Option<&str> {
    let name = token.strip_suffix(':')?;
    if name.ends_with(':') || !is_name(name) {
        return None;
    }
    Some(name)
}

/// `nova.compute.manager`, `dfs.DataNode$PacketResponder`: dotted, starting with a letter,
/// not a number or address.
pub(super) fn is_dotted_name(token: &str) -> bool {
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
