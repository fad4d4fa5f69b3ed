//! Splitting a message into whitespace-separated chunks, and the punctuation around them.

use std::ops::Range;

/// Longest quoted string kept in one token; longer ones split on whitespace as usual.
const MAX_QUOTED: usize = 160;

/// [`CHUNK_BYTE_CLASS`] of a byte that needs no decision inside a chunk.
const PLAIN: u8 = 0;

/// For each byte: [`PLAIN`], or 1 for the bytes [`whitespace_chunks`] must look at (ASCII
/// whitespace, quotes, and the bytes of non-ASCII characters, which may be whitespace).
const CHUNK_BYTE_CLASS: [u8; 256] = {
    let mut table = [PLAIN; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        if b.is_ascii_whitespace() || b == b'"' || b == b'\'' || b >= 0x80 {
            table[byte] = 1;
        }
        byte += 1;
    }
    table
};

/// Byte ranges of the whitespace-separated chunks of `text`. A quoted string that starts a
/// chunk or a value (`tag="View Lock"`) stays in one chunk, spaces included: it is one value.
pub(super) fn whitespace_chunks(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut position = 0;
    std::iter::from_fn(move || {
        while position < bytes.len() {
            let byte = bytes[position];
            if byte.is_ascii_whitespace() {
                position += 1;
            } else if byte >= 0x80 {
                let character = text[position..].chars().next()?;
                if !character.is_whitespace() {
                    break;
                }
                position += character.len_utf8();
            } else {
                break;
            }
        }
        if position >= bytes.len() {
            return None;
        }
        let start = position;
        let mut index = start;
        while index < bytes.len() {
            // Most bytes of a chunk are plain: skip them with one table lookup each.
            while index < bytes.len() && CHUNK_BYTE_CLASS[usize::from(bytes[index])] == PLAIN {
                index += 1;
            }
            let Some(&byte) = bytes.get(index) else {
                break;
            };
            if byte.is_ascii_whitespace() {
                break;
            }
            if byte >= 0x80 {
                // Non-ASCII whitespace (NBSP, ...) also separates chunks.
                let character = text[index..].chars().next().unwrap_or(' ');
                if character.is_whitespace() {
                    break;
                }
                index += character.len_utf8();
                continue;
            }
            // Only `key="quoted value"`: a quoted value is one field even with spaces, while
            // free-standing quotes (`"GET /path HTTP/1.1"`) split so their words can vary.
            let opens_value = index > start && bytes[index - 1] == b'=';
            if (byte == b'"' || byte == b'\'') && opens_value {
                let limit = bytes.len().min(index + 1 + MAX_QUOTED);
                if let Some(offset) = bytes[index + 1..limit].iter().position(|&b| b == byte) {
                    index += offset + 2;
                    continue;
                }
            }
            index += 1;
        }
        position = index;
        Some(start..index)
    })
}

pub(crate) fn is_leading_punctuation(byte: u8) -> bool {
    matches!(byte, b'(' | b'[' | b'{' | b'<' | b'"' | b'\'' | b'`')
}

pub(crate) fn is_trailing_punctuation(byte: u8) -> bool {
    matches!(
        byte,
        b')' | b']' | b'}' | b'>' | b'"' | b'\'' | b'`' | b',' | b';' | b':' | b'.' | b'!' | b'?'
    )
}

/// How many bytes of leading and trailing punctuation surround the core of a chunk.
pub(super) fn affix_lengths(chunk: &str) -> (usize, usize) {
    let bytes = chunk.as_bytes();
    let prefix = bytes
        .iter()
        .take_while(|&&b| is_leading_punctuation(b))
        .count();
    let suffix = bytes[prefix..]
        .iter()
        .rev()
        .take_while(|&&b| is_trailing_punctuation(b))
        .count();
    (prefix, suffix)
}

/// Position of the `=` of a `key=value` core, when the key looks like a field name.
pub(super) fn key_value_split(core: &str) -> Option<usize> {
    let equals = core.bytes().position(|b| b == b'=')?;
    let key = &core[..equals];
    let value = &core[equals + 1..];
    let key_ok = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && key.bytes().any(|b| b.is_ascii_alphabetic());
    let value_ok = !value.starts_with(['=', '>']);
    (key_ok && value_ok).then_some(equals)
}
