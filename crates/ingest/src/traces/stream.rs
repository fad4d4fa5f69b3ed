//! A streaming scanner for JSON trace documents: it walks the structure byte by byte without
//! building it and hands over only the values a document kind asks for (one OTLP span, one
//! Jaeger trace, one Zipkin span), each capped, so memory is bounded by the largest of those
//! values instead of by the document. Several top-level values in a row (the OpenTelemetry
//! collector's file exporter writes one request per line) are read one after the other.
//!
//! The scanner checks the structure it walks (brackets, keys, colons, commas); the values it
//! hands over are checked by their deserializer.

use crate::output::Output;

/// A frame of the document the reader follows, numbered by the reader.
pub(super) type Frame = u8;

/// The JSON shape a document kind requires of one of its containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Object,
    Array,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Self::Object => "an object",
            Self::Array => "an array",
        }
    }
}

/// A container the document kind defines: its shape and how to name it in an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Expected {
    pub shape: Shape,
    /// The value's place in the document, as an issue names it (`` `resourceSpans` ``).
    pub place: &'static str,
}

/// The document kind's view of its structure.
pub(super) trait DocumentReader {
    /// Called for every value inside a container the reader follows, before the value is
    /// read: the shape the document kind requires of the value of `key` inside `parent`
    /// (empty key for an array element), or `None` for values it does not define, which are
    /// skipped whatever they hold. A value of another shape is skipped with an issue, so a
    /// document whose spans sit where the reader does not look is never read as empty in
    /// silence; `null` (protobuf JSON and Jaeger write it for an empty list) is not reported.
    fn expect(&mut self, parent: Frame, key: &[u8]) -> Option<Expected>;
    /// The frame for the container that `opener` (`{` or `[`) opens as the value of `key`
    /// (empty for an array element) inside `parent` (`None` at the top level), or `None` to
    /// skip the container.
    fn enter(&mut self, parent: Option<Frame>, key: &[u8], opener: u8) -> Option<Frame>;
    /// True when the value of `key` inside `parent` is handed over whole to `value`.
    fn captures(&self, parent: Frame, key: &[u8]) -> bool;
    /// A captured value.
    fn value(&mut self, parent: Frame, key: &[u8], bytes: &[u8], out: &mut Output<'_>);
    /// Called when a frame's container closes.
    fn leave(&mut self, frame: Frame, out: &mut Output<'_>);
    /// A captured value was over the cap and was skipped.
    fn skipped(&mut self, parent: Frame, key: &[u8], limit: usize, out: &mut Output<'_>);
}

/// What a value starting with `byte` is, as an issue names it.
fn value_kind(byte: u8) -> &'static str {
    match byte {
        b'{' => "an object",
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => "a number",
    }
}

/// What the scanner expects next, outside a value it is skipping or capturing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value (at the top level, after `:` or after `,` in an array).
    Value,
    /// A value or `]` right after `[`.
    ValueOrEnd,
    /// A key or `}` right after `{`.
    KeyOrEnd,
    /// A key after `,` in an object.
    Key,
    /// Inside a key string.
    InKey {
        escape: bool,
    },
    Colon,
    CommaOrEnd,
}

/// A value being skipped or captured: its nesting depth and string state.
#[derive(Debug, Clone, Copy, Default)]
struct ValueScan {
    depth: usize,
    in_string: bool,
    escape: bool,
    capture: bool,
}

/// Longest key remembered (longer keys are never ones a reader asks for).
const MAX_KEY_BYTES: usize = 64;
/// Deepest nesting followed or skipped: deeper documents are refused, not walked.
const MAX_DEPTH: usize = 512;

/// Walks a JSON document fed in chunks.
pub(super) struct JsonScanner {
    /// Frames the reader follows: (frame, is an object).
    stack: Vec<(Frame, bool)>,
    expect: Expect,
    key: Vec<u8>,
    value: Option<ValueScan>,
    captured: Vec<u8>,
    over_limit: bool,
    limit: usize,
    failed: bool,
    offset: u64,
    top_level_values: u64,
}

impl JsonScanner {
    /// A scanner whose captured values are capped at `limit` bytes each.
    pub fn new(limit: usize) -> Self {
        Self {
            stack: Vec::new(),
            expect: Expect::Value,
            key: Vec::new(),
            value: None,
            captured: Vec::new(),
            over_limit: false,
            limit,
            failed: false,
            offset: 0,
            top_level_values: 0,
        }
    }

    /// Bytes held for the value being captured (for tests of the memory bound).
    #[cfg(test)]
    pub fn held_bytes(&self) -> usize {
        self.captured.capacity()
    }

    /// Scans `data`; a structural error becomes one issue (named after `document`) and ends
    /// the scan.
    pub fn feed(
        &mut self,
        data: &[u8],
        document: &str,
        reader: &mut dyn DocumentReader,
        out: &mut Output<'_>,
    ) {
        let mut index = 0;
        while index < data.len() && !self.failed {
            let byte = data[index];
            if let Some(scan) = self.value {
                // Whole runs of plain bytes inside a skipped string go at once.
                if scan.in_string && !scan.escape && !scan.capture {
                    match memchr::memchr2(b'"', b'\\', &data[index..]) {
                        Some(skip) if skip > 0 => {
                            index += skip;
                            self.offset += skip as u64;
                            continue;
                        }
                        None => {
                            self.offset += (data.len() - index) as u64;
                            return;
                        }
                        _ => {}
                    }
                }
                let consumed = self.scan_value(byte, reader, out);
                if consumed {
                    index += 1;
                    self.offset += 1;
                }
                continue;
            }
            if let Err(reason) = self.structure(byte, document, reader, out) {
                self.failed = true;
                out.issue(
                    None,
                    format_args!(
                        "not a valid {document} document: {reason} at byte {}",
                        self.offset
                    ),
                );
                return;
            }
            index += 1;
            self.offset += 1;
        }
    }

    /// Reports a document that ended inside a value, or held none.
    pub fn finish(&mut self, document: &str, out: &mut Output<'_>) {
        if self.failed {
            return;
        }
        let inside = self
            .value
            .is_some_and(|scan| scan.depth > 0 || scan.in_string)
            || !self.stack.is_empty()
            || matches!(self.expect, Expect::InKey { .. } | Expect::Colon);
        if inside {
            out.issue(
                None,
                format_args!(
                    "not a valid {document} document: it ends inside a value (cut short?)"
                ),
            );
        } else if self.top_level_values == 0 {
            out.issue(
                None,
                format_args!("not a valid {document} document: it holds no JSON value"),
            );
        }
    }

    fn parent(&self) -> Option<Frame> {
        self.stack.last().map(|(frame, _)| *frame)
    }

    /// One byte outside skipped or captured values.
    fn structure(
        &mut self,
        byte: u8,
        document: &str,
        reader: &mut dyn DocumentReader,
        out: &mut Output<'_>,
    ) -> Result<(), &'static str> {
        if let Expect::InKey { escape } = self.expect {
            self.expect = match (escape, byte) {
                (true, _) => Expect::InKey { escape: false },
                (false, b'\\') => Expect::InKey { escape: true },
                (false, b'"') => Expect::Colon,
                _ => Expect::InKey { escape: false },
            };
            if self.expect != Expect::Colon && self.key.len() < MAX_KEY_BYTES + 1 {
                self.key.push(byte);
            }
            return Ok(());
        }
        if byte.is_ascii_whitespace() {
            return Ok(());
        }
        // A byte-order mark before the first value.
        if self.stack.is_empty()
            && self.expect == Expect::Value
            && matches!(byte, 0xEF | 0xBB | 0xBF)
            && self.top_level_values == 0
        {
            return Ok(());
        }
        match self.expect {
            // Handled above; kept so the match stays exhaustive.
            Expect::InKey { .. } => Err("unexpected scanner state"),
            Expect::KeyOrEnd | Expect::Key => match byte {
                b'"' => {
                    self.key.clear();
                    self.expect = Expect::InKey { escape: false };
                    Ok(())
                }
                b'}' if self.expect == Expect::KeyOrEnd => self.close(b'}', reader, out),
                _ => Err("expected a key"),
            },
            Expect::Colon => match byte {
                b':' => {
                    self.expect = Expect::Value;
                    Ok(())
                }
                _ => Err("expected ':'"),
            },
            Expect::CommaOrEnd => match byte {
                b',' if !self.stack.is_empty() => {
                    let in_object = self.stack.last().is_some_and(|(_, object)| *object);
                    self.expect = if in_object {
                        Expect::Key
                    } else {
                        Expect::Value
                    };
                    if !in_object {
                        self.key.clear();
                    }
                    Ok(())
                }
                b'}' | b']' => self.close(byte, reader, out),
                // Another top-level value follows (one document per line).
                _ if self.stack.is_empty() => {
                    self.expect = Expect::Value;
                    self.structure(byte, document, reader, out)
                }
                _ => Err("expected ',' or the end of a container"),
            },
            Expect::ValueOrEnd if byte == b']' => self.close(b']', reader, out),
            Expect::Value | Expect::ValueOrEnd => self.start_value(byte, document, reader, out),
        }
    }

    fn start_value(
        &mut self,
        byte: u8,
        document: &str,
        reader: &mut dyn DocumentReader,
        out: &mut Output<'_>,
    ) -> Result<(), &'static str> {
        if !(matches!(byte, b'{' | b'[' | b'"' | b'-' | b't' | b'f' | b'n')
            || byte.is_ascii_digit())
        {
            return Err("expected a value");
        }
        if self.stack.is_empty() {
            self.top_level_values += 1;
        }
        let parent = self.parent();
        let expected = parent.and_then(|frame| reader.expect(frame, &self.key));
        let found = match byte {
            b'{' => Some(Shape::Object),
            b'[' => Some(Shape::Array),
            _ => None,
        };
        if let Some(expected) = expected {
            if found != Some(expected.shape) && byte != b'n' {
                out.issue(
                    None,
                    format_args!(
                        "{document}: {} is {}, not {}, at byte {}; its content is skipped",
                        expected.place,
                        value_kind(byte),
                        expected.shape.name(),
                        self.offset
                    ),
                );
            }
        }
        if matches!(byte, b'{' | b'[') {
            if self.stack.len() >= MAX_DEPTH {
                return Err("nested too deeply");
            }
            if let Some(frame) = reader.enter(parent, &self.key, byte) {
                let object = byte == b'{';
                self.stack.push((frame, object));
                self.key.clear();
                self.expect = if object {
                    Expect::KeyOrEnd
                } else {
                    Expect::ValueOrEnd
                };
                return Ok(());
            }
            if parent.is_none() {
                return Err("the top-level value is not one this document kind holds");
            }
        } else if parent.is_none() {
            return Err("the top-level value is not one this document kind holds");
        }
        let capture = parent.is_some_and(|frame| reader.captures(frame, &self.key));
        self.captured.clear();
        self.over_limit = false;
        self.value = Some(ValueScan {
            depth: 0,
            in_string: false,
            escape: false,
            capture,
        });
        self.rescan_first(byte);
        Ok(())
    }

    /// Feeds a value's first byte to its scan (it was read while deciding what it is).
    fn rescan_first(&mut self, byte: u8) {
        if let Some(mut scan) = self.value {
            self.record(&mut scan, byte);
            match byte {
                b'"' => scan.in_string = true,
                b'{' | b'[' => scan.depth = 1,
                _ => {}
            }
            self.value = Some(scan);
        }
    }

    fn record(&mut self, scan: &mut ValueScan, byte: u8) {
        if !scan.capture || self.over_limit {
            return;
        }
        if self.captured.len() >= self.limit {
            self.over_limit = true;
            self.captured = Vec::new();
            return;
        }
        self.captured.push(byte);
    }

    /// One byte of a value being skipped or captured; false when the byte ends a scalar and
    /// belongs to the structure around it.
    fn scan_value(
        &mut self,
        byte: u8,
        reader: &mut dyn DocumentReader,
        out: &mut Output<'_>,
    ) -> bool {
        let Some(mut scan) = self.value else {
            return false;
        };
        let scalar = scan.depth == 0 && !scan.in_string;
        if scalar && (byte.is_ascii_whitespace() || matches!(byte, b',' | b'}' | b']')) {
            // The end of a number, `true`, `false` or `null`.
            self.value = None;
            self.end_value(&scan, reader, out);
            return false;
        }
        self.record(&mut scan, byte);
        let mut done = false;
        if scan.in_string {
            if scan.escape {
                scan.escape = false;
            } else if byte == b'\\' {
                scan.escape = true;
            } else if byte == b'"' {
                scan.in_string = false;
                done = scan.depth == 0;
            }
        } else {
            match byte {
                b'"' => scan.in_string = true,
                b'{' | b'[' => {
                    scan.depth += 1;
                    if scan.depth + self.stack.len() > MAX_DEPTH {
                        // Not worth walking; the structure error ends the scan.
                        self.value = None;
                        self.failed = true;
                        out.issue(
                            None,
                            format_args!(
                                "trace document nested too deeply at byte {}",
                                self.offset
                            ),
                        );
                        return true;
                    }
                }
                b'}' | b']' => {
                    scan.depth = scan.depth.saturating_sub(1);
                    done = scan.depth == 0;
                }
                _ => {}
            }
        }
        if done {
            self.value = None;
            self.end_value(&scan, reader, out);
        } else {
            self.value = Some(scan);
        }
        true
    }

    fn end_value(
        &mut self,
        scan: &ValueScan,
        reader: &mut dyn DocumentReader,
        out: &mut Output<'_>,
    ) {
        self.expect = Expect::CommaOrEnd;
        if !scan.capture {
            return;
        }
        let Some(parent) = self.parent() else {
            return;
        };
        if self.over_limit {
            reader.skipped(parent, &self.key, self.limit, out);
        } else {
            let captured = std::mem::take(&mut self.captured);
            reader.value(parent, &self.key, &captured, out);
            self.captured = captured;
            self.captured.clear();
        }
        self.over_limit = false;
    }

    fn close(
        &mut self,
        closer: u8,
        reader: &mut dyn DocumentReader,
        out: &mut Output<'_>,
    ) -> Result<(), &'static str> {
        let Some((frame, object)) = self.stack.pop() else {
            return Err("unexpected end of a container");
        };
        if object != (closer == b'}') {
            return Err("mismatched brackets");
        }
        reader.leave(frame, out);
        self.key.clear();
        self.expect = Expect::CommaOrEnd;
        Ok(())
    }
}
