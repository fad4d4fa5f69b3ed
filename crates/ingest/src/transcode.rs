//! Text encodings other than UTF-8, turned into UTF-8 while streaming: UTF-16 (little or big
//! endian, told by its byte-order mark or, without one, by the zero bytes of ASCII text).
//! Invalid UTF-8 inside a UTF-8 stream is handled per line by `lines::decode_text` (Latin-1
//! fallback), so a file is never rejected for its bytes.

/// What the first bytes of decompressed content say about its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    Utf8,
    Utf16 { little_endian: bool },
}

/// Bytes needed to decide the encoding.
pub(crate) const ENCODING_PROBE_BYTES: usize = 4;

/// Decides the encoding from the first bytes (fewer than four only at the end of the content).
/// Returns the encoding and how many bytes of byte-order mark to skip.
pub(crate) fn detect_encoding(head: &[u8]) -> (TextEncoding, usize) {
    match head {
        [0xFF, 0xFE, ..] => (
            TextEncoding::Utf16 {
                little_endian: true,
            },
            2,
        ),
        [0xFE, 0xFF, ..] => (
            TextEncoding::Utf16 {
                little_endian: false,
            },
            2,
        ),
        // Without a mark: two ASCII characters each followed (LE) or preceded (BE) by a zero.
        [a, 0, b, 0, ..] if is_text_ascii(*a) && is_text_ascii(*b) => (
            TextEncoding::Utf16 {
                little_endian: true,
            },
            0,
        ),
        [0, a, 0, b, ..] if is_text_ascii(*a) && is_text_ascii(*b) => (
            TextEncoding::Utf16 {
                little_endian: false,
            },
            0,
        ),
        _ => (TextEncoding::Utf8, 0),
    }
}

fn is_text_ascii(byte: u8) -> bool {
    byte.is_ascii_graphic() || matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Converts a UTF-16 byte stream to UTF-8 chunk by chunk; code units and surrogate pairs may
/// be split between chunks. Unpaired surrogates become U+FFFD.
#[derive(Debug)]
pub(crate) struct Utf16Decoder {
    little_endian: bool,
    /// An odd byte left over from the previous chunk.
    odd_byte: Option<u8>,
    /// A high surrogate waiting for its low half.
    high_surrogate: Option<u16>,
}

impl Utf16Decoder {
    pub fn new(little_endian: bool) -> Self {
        Self {
            little_endian,
            odd_byte: None,
            high_surrogate: None,
        }
    }

    /// Appends the UTF-8 form of `data` to `out`.
    pub fn decode(&mut self, mut data: &[u8], out: &mut Vec<u8>) {
        out.reserve(data.len() / 2 * 3 / 2 + 4);
        if let Some(first) = self.odd_byte.take() {
            match data.split_first() {
                Some((&second, rest)) => {
                    self.unit(self.combine(first, second), out);
                    data = rest;
                }
                None => {
                    self.odd_byte = Some(first);
                    return;
                }
            }
        }
        let mut pairs = data.chunks_exact(2);
        for pair in &mut pairs {
            self.unit(self.combine(pair[0], pair[1]), out);
        }
        if let [last] = pairs.remainder() {
            self.odd_byte = Some(*last);
        }
    }

    /// End of the stream: a dangling byte or surrogate becomes U+FFFD.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.odd_byte.take().is_some() || self.high_surrogate.take().is_some() {
            push_char(char::REPLACEMENT_CHARACTER, out);
        }
    }

    fn combine(&self, first: u8, second: u8) -> u16 {
        if self.little_endian {
            u16::from_le_bytes([first, second])
        } else {
            u16::from_be_bytes([first, second])
        }
    }

    fn unit(&mut self, unit: u16, out: &mut Vec<u8>) {
        if let Some(high) = self.high_surrogate.take() {
            if (0xDC00..0xE000).contains(&unit) {
                let code =
                    0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                push_char(
                    char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                    out,
                );
                return;
            }
            push_char(char::REPLACEMENT_CHARACTER, out);
        }
        match unit {
            0xD800..=0xDBFF => self.high_surrogate = Some(unit),
            0xDC00..=0xDFFF => push_char(char::REPLACEMENT_CHARACTER, out),
            unit => push_char(
                char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
                out,
            ),
        }
    }
}

fn push_char(c: char, out: &mut Vec<u8>) {
    let mut buffer = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utf16(text: &str, little_endian: bool, bom: bool) -> Vec<u8> {
        let mut bytes = Vec::new();
        if bom {
            bytes.extend_from_slice(if little_endian {
                &[0xFF, 0xFE]
            } else {
                &[0xFE, 0xFF]
            });
        }
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&if little_endian {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        bytes
    }

    #[test]
    fn detects_marks_and_ascii_zeros() {
        assert_eq!(
            detect_encoding(&utf16("ab", true, true)),
            (
                TextEncoding::Utf16 {
                    little_endian: true
                },
                2
            )
        );
        assert_eq!(
            detect_encoding(&utf16("ab", false, true)),
            (
                TextEncoding::Utf16 {
                    little_endian: false
                },
                2
            )
        );
        assert_eq!(
            detect_encoding(&utf16("ab", true, false)),
            (
                TextEncoding::Utf16 {
                    little_endian: true
                },
                0
            )
        );
        assert_eq!(detect_encoding(b"abcd"), (TextEncoding::Utf8, 0));
        assert_eq!(
            detect_encoding(b"\x1f\x8b\x08\x00"),
            (TextEncoding::Utf8, 0)
        );
    }

    proptest! {
        /// Any text, either byte order, split anywhere: the UTF-8 out equals the text in.
        #[test]
        fn round_trips_across_chunk_splits(text in "\\PC{0,40}", little_endian: bool, split in 0usize..200) {
            let bytes = utf16(&text, little_endian, false);
            let split = split.min(bytes.len());
            let mut decoder = Utf16Decoder::new(little_endian);
            let mut out = Vec::new();
            decoder.decode(&bytes[..split], &mut out);
            decoder.decode(&bytes[split..], &mut out);
            decoder.finish(&mut out);
            prop_assert_eq!(String::from_utf8(out).unwrap(), text);
        }

        #[test]
        fn arbitrary_bytes_give_valid_utf8(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut decoder = Utf16Decoder::new(true);
            let mut out = Vec::new();
            decoder.decode(&bytes, &mut out);
            decoder.finish(&mut out);
            prop_assert!(String::from_utf8(out).is_ok());
        }
    }
}
