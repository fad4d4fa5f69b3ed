//! Shared driver of the fuzz targets: feeds bytes to an `AttachmentParser` in chunks chosen by
//! the fuzzer and checks the invariants every parse must keep, whatever the input.

use faultmaven_ingest::{
    AttachmentParser, Format, IngestConfig, RedactionConfig, Redactor, UploadParser,
};
use faultmaven_model::{
    AttachmentId, AttachmentRole, AttachmentSummary, CodeSnippet, ConfigEntry, LogRecord,
    MetricSample, RecordSink, SpanRecord,
};
use std::sync::Arc;

/// A sink that checks each record's line numbers and touches every string, so a record
/// pointing outside the upload or holding a broken slice fails the run.
#[derive(Default)]
pub struct CheckingSink {
    /// Records received of every kind.
    pub records: u64,
    /// Bytes of text received (messages, names, attributes).
    pub text_bytes: u64,
}

impl RecordSink for CheckingSink {
    fn log(&mut self, record: LogRecord<'_>) {
        assert!(record.first_line >= 1, "line numbers start at 1");
        assert!(
            record.first_line <= record.last_line,
            "first line after last"
        );
        self.records += 1;
        self.text_bytes += record.message.len() as u64;
        for (key, value) in &record.attributes {
            self.text_bytes += (key.len() + value.len()) as u64;
        }
    }

    fn metric(&mut self, sample: MetricSample<'_>) {
        assert!(sample.line >= 1, "line numbers start at 1");
        self.records += 1;
        self.text_bytes += sample.name.len() as u64;
    }

    fn span(&mut self, _span: SpanRecord<'_>) {
        self.records += 1;
    }

    fn config(&mut self, _entry: ConfigEntry<'_>) {
        self.records += 1;
    }

    fn code(&mut self, snippet: CodeSnippet<'_>) {
        assert!(
            snippet.first_line >= 1 && snippet.first_line <= snippet.last_line,
            "snippet lines"
        );
        for frame in &snippet.frames {
            assert!(
                frame.upload_line >= snippet.first_line && frame.upload_line <= snippet.last_line,
                "a frame cites a line of its snippet"
            );
        }
        self.records += 1;
        self.text_bytes += snippet.text.len() as u64;
    }
}

/// A [`CheckingSink`] that also checks every record belongs to an announced attachment.
#[derive(Default)]
pub struct UploadSink {
    /// The checks of single attachments.
    pub inner: CheckingSink,
    /// Attachments heard of (the upload's own id is 1).
    pub announced: Vec<AttachmentId>,
}

impl UploadSink {
    fn known(&self, id: AttachmentId) {
        assert!(
            id == AttachmentId::new(1) || self.announced.contains(&id),
            "a record of an attachment never announced"
        );
    }
}

impl RecordSink for UploadSink {
    fn log(&mut self, record: LogRecord<'_>) {
        self.known(record.attachment);
        self.inner.log(record);
    }
    fn metric(&mut self, sample: MetricSample<'_>) {
        self.known(sample.attachment);
        self.inner.metric(sample);
    }
    fn span(&mut self, span: SpanRecord<'_>) {
        self.known(span.attachment);
        self.inner.span(span);
    }
    fn config(&mut self, entry: ConfigEntry<'_>) {
        self.known(entry.attachment);
        self.inner.config(entry);
    }
    fn code(&mut self, snippet: CodeSnippet<'_>) {
        self.known(snippet.attachment);
        self.inner.code(snippet);
    }
    fn attachment(&mut self, id: AttachmentId, _role: AttachmentRole, _name: &str) {
        assert!(!self.announced.contains(&id), "ids are unique");
        self.announced.push(id);
    }
}

/// How one fuzz input is fed: chunk sizes cycle over `chunk_sizes` (a zero means "the rest").
pub struct Plan {
    /// The client's file name (a hint only).
    pub name: &'static str,
    /// Sizes of the chunks handed to `feed`, cycled; a zero means "all the rest".
    pub chunk_sizes: Vec<usize>,
    /// Parser settings.
    pub config: IngestConfig,
}

/// Splits the fuzz input into a plan (first bytes) and the upload (the rest), so one input
/// explores chunk boundaries, small limits and file-name hints together.
pub fn plan_from(data: &[u8]) -> (Plan, &[u8]) {
    const NAMES: [&str; 8] = [
        "upload",
        "app.log",
        "events.jsonl",
        "metrics.csv",
        "metrics.prom",
        "table.tsv",
        "app.log.gz",
        "values.yaml",
    ];
    let Some((&control, rest)) = data.split_first() else {
        return (
            Plan {
                name: NAMES[0],
                chunk_sizes: Vec::new(),
                config: config(),
            },
            data,
        );
    };
    let (chunk_count, rest) = match rest.split_first() {
        Some((&count, rest)) => ((count % 4) as usize, rest),
        None => (0, rest),
    };
    let chunk_count = chunk_count.min(rest.len());
    let (chunks, upload) = rest.split_at(chunk_count);
    let mut config = config();
    // Small limits make the cut-line, split-record and issue-cap paths reachable with short
    // inputs.
    if control & 0x08 != 0 {
        config.max_line_bytes = 64;
        config.max_record_bytes = 96;
        config.max_record_lines = 3;
        config.max_issues_per_attachment = 4;
    }
    if control & 0x10 != 0 {
        config.sniff_window_bytes = 16;
    }
    if control & 0x20 != 0 {
        config.redaction.ip_addresses = true;
    }
    if control & 0x40 != 0 {
        config.max_decompressed_bytes = 4096;
    }
    (
        Plan {
            name: NAMES[(control & 0x07) as usize],
            // Sizes 1..=255 from the bytes; the byte value 0 means "the rest".
            chunk_sizes: chunks.iter().map(|&size| usize::from(size)).collect(),
            config,
        },
        upload,
    )
}

/// The configuration every target starts from: defaults, with a fixed base year.
pub fn config() -> IngestConfig {
    IngestConfig {
        base_year: Some(2024),
        redaction: RedactionConfig {
            ip_addresses: false,
            ..RedactionConfig::default()
        },
        ..IngestConfig::default()
    }
}

/// Hands `upload` to `feed` in the plan's chunk sizes; `None` as soon as `feed` gives up.
fn feed_in_chunks(
    plan: &Plan,
    upload: &[u8],
    mut feed: impl FnMut(&[u8]) -> Option<()>,
) -> Option<()> {
    let mut rest = upload;
    let mut sizes = plan.chunk_sizes.iter().cycle();
    while !rest.is_empty() {
        let size = match sizes.next() {
            Some(&0) | None => rest.len(),
            Some(&size) => size.min(rest.len()),
        };
        feed(&rest[..size])?;
        rest = &rest[size..];
    }
    Some(())
}

/// Feeds `upload` to a fresh parser according to `plan` and checks the summary. Returns the
/// summary, or `None` when the upload was rejected with a typed error (damaged or oversized
/// compressed content), which is allowed.
pub fn drive(plan: &Plan, upload: &[u8]) -> Option<AttachmentSummary> {
    drive_parser(plan, None, upload)
}

/// Like [`drive`], with the format declared instead of sniffed.
fn drive_parser(plan: &Plan, declared: Option<Format>, upload: &[u8]) -> Option<AttachmentSummary> {
    let redactor = Arc::new(Redactor::new(&plan.config.redaction));
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        plan.name,
        AttachmentRole::Incident,
        &plan.config,
        redactor,
    );
    if let Some(format) = declared {
        parser = parser.with_format(format);
    }
    let mut sink = CheckingSink::default();
    // Bounded memory: never more than the window, one line and the decompressor's buffers,
    // whatever was fed.
    let bound = plan.config.sniff_window_bytes
        + plan.config.max_line_bytes
        + plan.config.max_record_bytes
        + 512 * 1024;
    feed_in_chunks(plan, upload, |chunk| {
        parser.feed(chunk, &mut sink).ok()?;
        assert!(
            parser.buffered_bytes() <= bound,
            "buffered {} > {bound}",
            parser.buffered_bytes()
        );
        Some(())
    })?;
    let summary = parser.finish(&mut sink).ok()?;
    assert_eq!(
        summary.records, sink.records,
        "summary counts what was emitted"
    );
    assert!(
        summary.issues.len() <= plan.config.max_issues_per_attachment,
        "issue cap"
    );
    Some(summary)
}

/// Parses `prefix` + `data` with the sniff window set to the prefix, so the prefix alone picks
/// the parser and the fuzzed bytes stream through it; asserts the prefix picked `expected`.
pub fn drive_format(prefix: &str, expected: Format, data: &[u8]) {
    let (mut plan, rest) = plan_from(data);
    plan.config.sniff_window_bytes = prefix.len();
    plan.name = "upload";
    let mut upload = Vec::with_capacity(prefix.len() + rest.len());
    upload.extend_from_slice(prefix.as_bytes());
    upload.extend_from_slice(rest);
    if let Some(summary) = drive(&plan, &upload) {
        assert_eq!(
            summary.format,
            expected.as_str(),
            "the prefix decides the format"
        );
    }
}

/// Parses fuzzed bytes with one of `formats` declared, so that parser runs directly on them
/// whatever the sniffer would say: the first byte picks the format, the rest is planned as in
/// [`plan_from`]. Asserts the declared format is the one reported.
pub fn drive_declared(formats: &[Format], data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let format = formats[usize::from(choice) % formats.len()];
    let (plan, upload) = plan_from(rest);
    if let Some(summary) = drive_parser(&plan, Some(format), upload) {
        // An empty upload has nothing to parse and reports itself as empty.
        if summary.bytes > 0 {
            assert_eq!(
                summary.format,
                format.as_str(),
                "the declared format is used"
            );
        }
    }
}

/// Feeds `upload` to an `UploadParser` (archives included) according to `plan` and checks the
/// summaries: ids unique, one per announced member at most, records counted, issues capped,
/// members within the configured limit. `None` when the upload was rejected with a typed error.
pub fn drive_upload(plan: &Plan, upload: &[u8]) -> Option<Vec<AttachmentSummary>> {
    let redactor = Arc::new(Redactor::new(&plan.config.redaction));
    let mut parser = UploadParser::new(
        AttachmentId::new(1),
        plan.name,
        AttachmentRole::Incident,
        &plan.config,
        redactor,
    );
    let mut sink = UploadSink::default();
    feed_in_chunks(plan, upload, |chunk| parser.feed(chunk, &mut sink).ok())?;
    let summaries = parser.finish(&mut sink).ok()?;
    let mut ids: Vec<u32> = summaries.iter().map(|s| s.id.number()).collect();
    ids.dedup();
    assert_eq!(ids.len(), summaries.len(), "one summary per attachment");
    assert!(
        sink.announced.len() <= plan.config.archive.max_members,
        "member limit"
    );
    let records: u64 = summaries.iter().map(|s| s.records).sum();
    assert_eq!(
        records, sink.inner.records,
        "summaries count what was emitted"
    );
    for summary in &summaries {
        assert!(
            summary.issues.len() <= plan.config.max_issues_per_attachment,
            "issue cap"
        );
    }
    Some(summaries)
}
