//! Splits a byte stream into lines without holding more than one (capped) line: chunks may
//! end anywhere, even inside a UTF-8 sequence or between `\r` and `\n`.

use std::borrow::Cow;

/// One decoded line.
pub(crate) struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    /// The text without its line ending; invalid UTF-8 replaced by U+FFFD.
    pub text: Cow<'a, str>,
    /// True when the line was longer than the limit and cut.
    pub cut: bool,
}

/// Incremental line splitter with a length cap.
#[derive(Debug)]
pub(crate) struct LineSplitter {
    /// The start of a line whose end has not arrived yet.
    carry: Vec<u8>,
    /// The carried line is already over the limit: the rest of it is dropped as it arrives.
    skipping: bool,
    lines: u64,
    max_line_bytes: usize,
}

/// Extra bytes kept beyond the cap so the cut can back off to a character boundary.
const CHAR_BOUNDARY_SLACK: usize = 4;

impl LineSplitter {
    pub fn new(max_line_bytes: usize) -> Self {
        Self {
            carry: Vec::new(),
            skipping: false,
            lines: 0,
            max_line_bytes: max_line_bytes.max(1),
        }
    }

    /// Lines seen so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Bytes held for an unfinished line.
    pub fn buffered_bytes(&self) -> usize {
        self.carry.capacity()
    }

    /// Splits `data`, calling `on_line` for every line it completes.
    pub fn push(&mut self, mut data: &[u8], on_line: &mut dyn FnMut(Line<'_>)) {
        while !data.is_empty() {
            match memchr::memchr(b'\n', data) {
                Some(end) => {
                    let piece = &data[..end];
                    data = &data[end + 1..];
                    if self.carry.is_empty() && !self.skipping {
                        self.emit_slice(piece, false, on_line);
                    } else {
                        if !self.skipping {
                            self.append_capped(piece);
                        }
                        let carry = std::mem::take(&mut self.carry);
                        let was_skipping = std::mem::replace(&mut self.skipping, false);
                        self.emit_slice(&carry, was_skipping, on_line);
                        self.carry = carry;
                        self.carry.clear();
                    }
                }
                None => {
                    if !self.skipping {
                        self.append_capped(data);
                    }
                    break;
                }
            }
        }
    }

    /// End of input: emits the last line if it had no line ending.
    pub fn finish(&mut self, on_line: &mut dyn FnMut(Line<'_>)) {
        if self.carry.is_empty() && !self.skipping {
            return;
        }
        let carry = std::mem::take(&mut self.carry);
        let was_skipping = std::mem::replace(&mut self.skipping, false);
        self.emit_slice(&carry, was_skipping, on_line);
    }

    fn append_capped(&mut self, piece: &[u8]) {
        let limit = self.max_line_bytes + CHAR_BOUNDARY_SLACK;
        let room = limit.saturating_sub(self.carry.len());
        if piece.len() > room {
            extend_within(&mut self.carry, &piece[..room], limit);
            self.skipping = true;
        } else {
            extend_within(&mut self.carry, piece, limit);
        }
    }

    fn emit_slice(&mut self, mut bytes: &[u8], mut cut: bool, on_line: &mut dyn FnMut(Line<'_>)) {
        self.lines += 1;
        if !cut {
            if let Some(stripped) = bytes.strip_suffix(b"\r") {
                bytes = stripped;
            }
        }
        if bytes.len() > self.max_line_bytes {
            cut = true;
        }
        if cut {
            bytes = &bytes[..char_boundary_at_or_before(bytes, self.max_line_bytes)];
        }
        if self.lines == 1 {
            if let Some(stripped) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
                bytes = stripped;
            }
        }
        // `from_utf8` has a word-at-a-time ASCII path; the lossy decoder only runs on lines
        // that need it.
        let text = decode_text(bytes);
        on_line(Line {
            number: self.lines,
            text,
            cut,
        });
    }
}

/// Decodes one line: UTF-8 as is; bytes that are not valid UTF-8 are read as Latin-1 (the
/// usual legacy encoding of logs, and every byte has a meaning in it) instead of failing or
/// becoming U+FFFD. NUL bytes are kept here and replaced when records are emitted (`Output`).
pub(crate) fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        // NUL is valid UTF-8 and kept as is: byte-exact formats (journald's binary fields carry
        // a little-endian length with zero bytes) read their bytes back from the characters.
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            let mut text = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                text.push_str(chunk.valid());
                text.extend(chunk.invalid().iter().map(|&byte| char::from(byte)));
            }
            Cow::Owned(text)
        }
    }
}

/// Appends `data`, growing the buffer geometrically but never past `limit` bytes of capacity
/// (plain `extend` could double a nearly full buffer).
pub(crate) fn extend_within(buffer: &mut Vec<u8>, data: &[u8], limit: usize) {
    let needed = buffer.len() + data.len();
    if needed > buffer.capacity() {
        let target = (buffer.capacity() * 2).max(needed).min(limit.max(needed));
        buffer.reserve_exact(target - buffer.len());
    }
    buffer.extend_from_slice(data);
}

/// The largest index `<= limit` that does not split a UTF-8 sequence.
fn char_boundary_at_or_before(bytes: &[u8], limit: usize) -> usize {
    if bytes.len() <= limit {
        return bytes.len();
    }
    let mut cut = limit;
    // Continuation bytes look like 0b10xx_xxxx; back off at most three of them.
    while cut > 0 && limit - cut < 3 && (bytes[cut] & 0b1100_0000) == 0b1000_0000 {
        cut -= 1;
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]], max: usize) -> Vec<(u64, String, bool)> {
        let mut splitter = LineSplitter::new(max);
        let mut lines = Vec::new();
        let mut collect =
            |line: Line<'_>| lines.push((line.number, line.text.into_owned(), line.cut));
        for chunk in chunks {
            splitter.push(chunk, &mut collect);
        }
        splitter.finish(&mut collect);
        lines
    }

    #[test]
    fn splits_across_chunks_and_strips_endings() {
        let lines = split(&[b"\xEF\xBB\xBFfirst\r", b"\nsec", b"ond\n\nlast"], 100);
        assert_eq!(
            lines,
            vec![
                (1, "first".to_owned(), false),
                (2, "second".to_owned(), false),
                (3, String::new(), false),
                (4, "last".to_owned(), false),
            ]
        );
    }

    #[test]
    fn utf8_split_between_chunks_survives() {
        let text = "héllo wörld\n".as_bytes();
        let lines = split(&[&text[..2], &text[2..9], &text[9..]], 100);
        assert_eq!(lines, vec![(1, "héllo wörld".to_owned(), false)]);
    }

    #[test]
    fn long_lines_are_cut_on_a_char_boundary() {
        let lines = split(&["aé".repeat(10).as_bytes(), b"\nnext\n"], 4);
        assert_eq!(lines[0], (1, "aé".to_owned() + "a", true));
        assert_eq!(lines[1], (2, "next".to_owned(), false));
        let in_one_chunk = split(&[format!("{}\nok", "x".repeat(50)).as_bytes()], 10);
        assert_eq!(in_one_chunk[0], (1, "x".repeat(10), true));
        assert_eq!(in_one_chunk[1], (2, "ok".to_owned(), false));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let lines = split(&[b"ok \xff\xfe bytes caf\xe9 \xc3\xa9 nul\0\n"], 100);
        assert_eq!(lines[0].1, "ok \u{ff}\u{fe} bytes caf\u{e9} \u{e9} nul\0");
    }
}
