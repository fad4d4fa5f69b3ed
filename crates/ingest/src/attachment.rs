//! The per-upload state machine: undo compression, buffer the sniff window, pick the format,
//! then stream lines through that format's parser. Memory stays bounded by the sniff window,
//! one line, one pending record and the decompressor's buffers, whatever the upload's size.

use crate::archive::decompress::{Compression, RatioLimit, StreamDecoder};
use crate::format::{self, FormatParser, ParserSettings, Sniffed, Window};
use crate::lines::{Line, LineSplitter};
use crate::output::{Output, Tally};
use crate::transcode::{detect_encoding, TextEncoding, Utf16Decoder, ENCODING_PROBE_BYTES};
use crate::{IngestConfig, IngestError, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole, AttachmentSummary, DataKind, RecordSink};
use std::sync::Arc;

enum Encoding {
    /// Fewer bytes seen than a compression magic number: cannot tell compression from text yet.
    Undecided {
        head: Vec<u8>,
    },
    Plain,
    Compressed {
        decoder: StreamDecoder,
        decompressed: u64,
    },
}

enum Stage {
    /// Content is buffered until the window is full or the upload ends.
    Sniffing { window: Vec<u8> },
    /// The format is known; lines stream through its parser.
    Streaming {
        sniffed: Sniffed,
        parser: Box<dyn FormatParser>,
        splitter: LineSplitter,
    },
}

/// The text encoding of the content, decided from its first bytes.
enum TextState {
    Probing(Vec<u8>),
    Utf8,
    Utf16(Utf16Decoder),
}

/// Content after decompression, and what is needed to parse it.
struct Content {
    text: TextState,
    name: String,
    bytes: u64,
    stage: Stage,
    settings: ParserSettings,
    sniff_window_bytes: usize,
    max_line_bytes: usize,
    tally: Tally,
    redactor: Arc<Redactor>,
    /// The format the caller declared, used instead of sniffing.
    declared: Option<&'static format::FormatEntry>,
}

impl Content {
    /// Takes decompressed bytes in any encoding and passes them on as UTF-8.
    fn push(&mut self, data: &[u8], sink: &mut dyn RecordSink) {
        match &mut self.text {
            TextState::Utf8 => self.push_text(data, sink),
            TextState::Probing(head) => {
                let take = (ENCODING_PROBE_BYTES - head.len()).min(data.len());
                head.extend_from_slice(&data[..take]);
                if head.len() < ENCODING_PROBE_BYTES {
                    return;
                }
                let head = std::mem::take(head);
                self.decide_encoding(&head, sink);
                self.push(&data[take..], sink);
            }
            TextState::Utf16(decoder) => {
                let mut decoded = Vec::new();
                decoder.decode(data, &mut decoded);
                self.push_text(&decoded, sink);
            }
        }
    }

    fn decide_encoding(&mut self, head: &[u8], sink: &mut dyn RecordSink) {
        let (encoding, mark) = detect_encoding(head);
        self.text = match encoding {
            TextEncoding::Utf8 => TextState::Utf8,
            TextEncoding::Utf16 { little_endian } => {
                TextState::Utf16(Utf16Decoder::new(little_endian))
            }
        };
        self.push(&head[mark..], sink);
    }

    /// End of the content: flushes a short head or a dangling UTF-16 unit.
    fn finish_encoding(&mut self, sink: &mut dyn RecordSink) {
        if let TextState::Probing(head) = &mut self.text {
            let head = std::mem::take(head);
            self.decide_encoding(&head, sink);
        }
        if let TextState::Utf16(decoder) = &mut self.text {
            let mut decoded = Vec::new();
            decoder.finish(&mut decoded);
            self.push_text(&decoded, sink);
        }
    }

    fn push_text(&mut self, mut data: &[u8], sink: &mut dyn RecordSink) {
        self.bytes += data.len() as u64;
        if let Stage::Sniffing { window } = &mut self.stage {
            let room = self.sniff_window_bytes.saturating_sub(window.len());
            let take = room.min(data.len());
            crate::lines::extend_within(window, &data[..take], self.sniff_window_bytes);
            data = &data[take..];
            if window.len() < self.sniff_window_bytes {
                return;
            }
            self.decide(false, sink);
        }
        self.stream(data, sink);
    }

    /// Chooses the format from the window, then replays the window through its parser.
    fn decide(&mut self, complete: bool, sink: &mut dyn RecordSink) {
        let Stage::Sniffing { window } = &mut self.stage else {
            return;
        };
        let window = std::mem::take(window);
        let (sniffed, parser): (Sniffed, Box<dyn FormatParser>) = if window.is_empty() {
            self.tally.issue(None, format_args!("empty file"));
            (
                Sniffed {
                    kind: DataKind::Unknown,
                    format: format::Format::Empty,
                },
                Box::new(crate::detect::LineCountParser),
            )
        } else {
            let view = Window::new(&self.name, &window, complete, self.settings.base_year);
            let entry = self.declared.unwrap_or_else(|| format::choose(&view));
            (
                Sniffed {
                    kind: entry.kind,
                    format: entry.format,
                },
                (entry.build)(&view, &self.settings),
            )
        };
        self.max_line_bytes = parser.max_line_bytes(self.max_line_bytes);
        self.stage = Stage::Streaming {
            sniffed,
            splitter: LineSplitter::new(self.max_line_bytes),
            parser,
        };
        self.stream(&window, sink);
    }

    fn stream(&mut self, data: &[u8], sink: &mut dyn RecordSink) {
        if data.is_empty() {
            return;
        }
        let Stage::Streaming {
            parser, splitter, ..
        } = &mut self.stage
        else {
            return;
        };
        let mut out = Output {
            sink,
            redactor: &self.redactor,
            tally: &mut self.tally,
        };
        if parser.takes_bytes() {
            parser.bytes(data, &mut out);
            splitter.push(data, &mut |_| {});
            return;
        }
        let max_line_bytes = self.max_line_bytes;
        splitter.push(data, &mut |line| {
            parse_line(parser.as_mut(), line, max_line_bytes, &mut out)
        });
    }

    fn finish(&mut self, sink: &mut dyn RecordSink) {
        self.finish_encoding(sink);
        if matches!(self.stage, Stage::Sniffing { .. }) {
            self.decide(true, sink);
        }
        let Stage::Streaming {
            parser, splitter, ..
        } = &mut self.stage
        else {
            return;
        };
        let mut out = Output {
            sink,
            redactor: &self.redactor,
            tally: &mut self.tally,
        };
        let max_line_bytes = self.max_line_bytes;
        if parser.takes_bytes() {
            splitter.finish(&mut |_| {});
        } else {
            splitter
                .finish(&mut |line| parse_line(parser.as_mut(), line, max_line_bytes, &mut out));
        }
        parser.finish(&mut out);
    }

    fn buffered_bytes(&self) -> usize {
        match &self.stage {
            Stage::Sniffing { window } => window.capacity(),
            Stage::Streaming { splitter, .. } => splitter.buffered_bytes(),
        }
    }
}

/// Parses one upload as it streams in: feed it chunks of any size, then `finish`.
///
/// Records reach the sink as soon as they are complete, already redacted. Problems with single
/// lines become issues in the summary; only a damaged or oversized compressed stream fails the
/// upload. gzip and zstd are undone on the way in; archives (zip, tar) are the job of
/// [`UploadParser`](crate::UploadParser), which hands each member to an `AttachmentParser`.
pub struct AttachmentParser {
    id: AttachmentId,
    role: AttachmentRole,
    max_decompressed_bytes: u64,
    ratio_limit: RatioLimit,
    encoding: Encoding,
    content: Content,
    failed: Option<IngestError>,
}

impl AttachmentParser {
    /// Starts parsing an upload. `name` is the client's file name, used only as a hint.
    pub fn new(
        id: AttachmentId,
        name: &str,
        role: AttachmentRole,
        config: &IngestConfig,
        redactor: Arc<Redactor>,
    ) -> Self {
        let settings = ParserSettings {
            attachment: id,
            base_year: config.effective_base_year(),
            max_record_lines: config.max_record_lines.max(1),
            max_record_bytes: config.max_record_bytes.max(1),
            max_config_document_bytes: config.max_config_document_bytes.max(1),
            max_config_depth: config.max_config_depth.max(1),
            max_config_entries: config.max_config_entries,
            max_document_bytes: config.max_document_bytes,
        };
        Self {
            id,
            role,
            max_decompressed_bytes: config.max_decompressed_bytes,
            ratio_limit: RatioLimit {
                max_ratio: config.archive.max_compression_ratio,
                grace_bytes: config.archive.ratio_grace_bytes,
            },
            encoding: Encoding::Undecided {
                head: Vec::with_capacity(Compression::MAGIC_BYTES),
            },
            content: Content {
                text: TextState::Probing(Vec::with_capacity(ENCODING_PROBE_BYTES)),
                name: name.to_owned(),
                bytes: 0,
                stage: Stage::Sniffing { window: Vec::new() },
                settings,
                sniff_window_bytes: config.sniff_window_bytes.max(1),
                max_line_bytes: config.max_line_bytes.max(1),
                tally: Tally::new(config.max_issues_per_attachment),
                redactor,
                declared: None,
            },
            failed: None,
        }
    }

    /// Parses the upload as `format` instead of sniffing it (the caller knows what it is).
    /// The window is still buffered first: parsers learn layouts and field roles from it.
    /// Formats without a parser of their own (gzip, empty) leave sniffing on.
    pub fn with_format(mut self, format: format::Format) -> Self {
        self.content.declared = format::entry(format);
        self
    }

    /// Feeds the next chunk of the upload (any size; it may split lines and UTF-8 sequences
    /// anywhere).
    pub fn feed(&mut self, chunk: &[u8], sink: &mut dyn RecordSink) -> Result<(), IngestError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.feed_inner(chunk, sink);
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    fn feed_inner(
        &mut self,
        mut chunk: &[u8],
        sink: &mut dyn RecordSink,
    ) -> Result<(), IngestError> {
        if let Encoding::Undecided { head } = &mut self.encoding {
            let take = (Compression::MAGIC_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if head.len() < Compression::MAGIC_BYTES {
                return Ok(());
            }
            let head = std::mem::take(head);
            self.decide_encoding(&head)?;
            self.push_encoded(&head, sink)?;
        }
        self.push_encoded(chunk, sink)
    }

    fn decide_encoding(&mut self, head: &[u8]) -> Result<(), IngestError> {
        self.encoding = match Compression::detect(head) {
            Some(compression) => Encoding::Compressed {
                decoder: StreamDecoder::new(compression, self.ratio_limit)?,
                decompressed: 0,
            },
            None => Encoding::Plain,
        };
        Ok(())
    }

    fn push_encoded(&mut self, data: &[u8], sink: &mut dyn RecordSink) -> Result<(), IngestError> {
        match &mut self.encoding {
            Encoding::Undecided { .. } => Ok(()),
            Encoding::Plain => {
                self.content.push(data, sink);
                Ok(())
            }
            Encoding::Compressed {
                decoder,
                decompressed,
            } => {
                let content = &mut self.content;
                let limit = self.max_decompressed_bytes;
                decoder.write(data, &mut |output| {
                    take_decompressed(decompressed, output, limit)?;
                    content.push(output, sink);
                    Ok::<(), IngestError>(())
                })
            }
        }
    }

    /// Ends the upload: flushes the last line and record and returns the summary.
    pub fn finish(mut self, sink: &mut dyn RecordSink) -> Result<AttachmentSummary, IngestError> {
        if let Some(error) = self.failed.take() {
            return Err(error);
        }
        if let Encoding::Undecided { head } = &mut self.encoding {
            let head = std::mem::take(head);
            self.decide_encoding(&head)?;
            self.push_encoded(&head, sink)?;
        }
        if let Encoding::Compressed {
            decoder,
            decompressed,
        } = &mut self.encoding
        {
            let content = &mut self.content;
            let limit = self.max_decompressed_bytes;
            decoder.finish(&mut |output| {
                take_decompressed(decompressed, output, limit)?;
                content.push(output, sink);
                Ok::<(), IngestError>(())
            })?;
        }
        self.content.finish(sink);
        let (kind, format, lines) = match &self.content.stage {
            Stage::Streaming {
                sniffed, splitter, ..
            } => (sniffed.kind, sniffed.format, splitter.lines()),
            Stage::Sniffing { .. } => (DataKind::Unknown, format::Format::Empty, 0),
        };
        let tally = self.content.tally;
        Ok(AttachmentSummary {
            id: self.id,
            name: self.content.name,
            role: self.role,
            kind,
            format: format.as_str().to_owned(),
            bytes: self.content.bytes,
            lines,
            records: tally.records,
            issues: tally.issues,
            issues_truncated: tally.issues_truncated,
        })
    }

    /// The detected format, once enough content has arrived to decide it.
    pub fn sniffed(&self) -> Option<Sniffed> {
        match &self.content.stage {
            Stage::Streaming { sniffed, .. } => Some(*sniffed),
            Stage::Sniffing { .. } => None,
        }
    }

    /// Bytes currently held in this parser's own buffers (sniff window, unfinished line,
    /// decompressed output not yet parsed): the figure that must stay bounded however large
    /// the upload.
    pub fn buffered_bytes(&self) -> usize {
        let decoder = match &self.encoding {
            Encoding::Compressed { decoder, .. } => decoder.buffered_bytes(),
            _ => 0,
        };
        self.content.buffered_bytes() + decoder
    }
}

/// Counts decompressed output against the upload's limit.
fn take_decompressed(decompressed: &mut u64, output: &[u8], limit: u64) -> Result<(), IngestError> {
    *decompressed += output.len() as u64;
    if *decompressed > limit {
        Err(IngestError::DecompressedTooLarge { limit })
    } else {
        Ok(())
    }
}

/// Hands one split line to the format parser, first reporting it when it was cut at the limit.
fn parse_line(
    parser: &mut dyn FormatParser,
    line: Line<'_>,
    max_line_bytes: usize,
    out: &mut Output<'_>,
) {
    if line.cut {
        out.issue(
            Some(line.number),
            format_args!("line longer than {max_line_bytes} bytes was cut"),
        );
    }
    parser.line(line.number, &line.text, out);
}
