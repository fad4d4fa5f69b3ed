//! Helpers shared by the integration tests: parse bytes in one go or in chunks and collect
//! owned records.

#![allow(dead_code)]

use faultmaven_ingest::{AttachmentParser, IngestConfig, IngestError, Redactor, UploadParser};
use faultmaven_model::{
    AttachmentId, AttachmentRole, AttachmentSummary, CollectedRecords, LogRecord, MetricSample,
    RecordSink,
};
use std::path::PathBuf;
use std::sync::Arc;

/// Everything a parse produced.
pub type Collected = (Vec<LogRecord<'static>>, Vec<MetricSample<'static>>);

/// A configuration with a fixed base year, so year-less timestamps are reproducible.
pub fn config() -> IngestConfig {
    IngestConfig {
        base_year: Some(2024),
        ..IngestConfig::default()
    }
}

/// Parses `bytes` fed in chunks of the given sizes (cycled), then the rest in one piece.
pub fn parse_in_chunks(
    name: &str,
    bytes: &[u8],
    chunk_sizes: &[usize],
    config: &IngestConfig,
) -> Result<(AttachmentSummary, Collected), IngestError> {
    let redactor = Arc::new(Redactor::new(&config.redaction));
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        name,
        AttachmentRole::Incident,
        config,
        redactor,
    );
    let mut sink: Collected = (Vec::new(), Vec::new());
    let mut rest = bytes;
    let mut sizes = chunk_sizes.iter().cycle();
    while !rest.is_empty() {
        let size = if chunk_sizes.is_empty() {
            rest.len()
        } else {
            (*sizes.next().unwrap_or(&1)).clamp(1, rest.len())
        };
        parser.feed(&rest[..size], &mut sink)?;
        rest = &rest[size..];
    }
    let summary = parser.finish(&mut sink)?;
    Ok((summary, sink))
}

/// Parses `bytes` in one chunk.
pub fn parse(name: &str, bytes: &[u8]) -> (AttachmentSummary, Collected) {
    parse_in_chunks(name, bytes, &[], &config()).expect("parse succeeds")
}

/// What an upload parse produced, and the attachments the sink heard of.
#[derive(Debug, Default)]
pub struct Upload {
    /// Every record, owned.
    pub records: CollectedRecords,
    /// `(id, name)` of each attachment announced through `RecordSink::attachment`.
    pub announced: Vec<(AttachmentId, String)>,
}

impl RecordSink for Upload {
    fn log(&mut self, record: LogRecord<'_>) {
        self.records.log(record);
    }
    fn metric(&mut self, sample: MetricSample<'_>) {
        self.records.metric(sample);
    }
    fn span(&mut self, span: faultmaven_model::SpanRecord<'_>) {
        self.records.span(span);
    }
    fn config(&mut self, entry: faultmaven_model::ConfigEntry<'_>) {
        self.records.config(entry);
    }
    fn code(&mut self, snippet: faultmaven_model::CodeSnippet<'_>) {
        self.records.code(snippet);
    }
    fn attachment(&mut self, id: AttachmentId, _role: AttachmentRole, name: &str) {
        self.announced.push((id, name.to_owned()));
    }
}

/// Parses an upload that may be an archive through `UploadParser`, in chunks of `chunk` bytes.
pub fn parse_upload(
    name: &str,
    bytes: &[u8],
    chunk: usize,
    config: &IngestConfig,
) -> Result<(Vec<AttachmentSummary>, Upload), IngestError> {
    let redactor = Arc::new(Redactor::new(&config.redaction));
    parse_upload_with(name, bytes, chunk, config, redactor)
}

/// [`parse_upload`] with a given redactor (shared placeholders across uploads).
pub fn parse_upload_with(
    name: &str,
    bytes: &[u8],
    chunk: usize,
    config: &IngestConfig,
    redactor: Arc<Redactor>,
) -> Result<(Vec<AttachmentSummary>, Upload), IngestError> {
    let mut parser = UploadParser::new(
        AttachmentId::new(1),
        name,
        AttachmentRole::Incident,
        config,
        redactor,
    );
    let mut sink = Upload::default();
    for piece in bytes.chunks(chunk.max(1)) {
        parser.feed(piece, &mut sink)?;
    }
    let summaries = parser.finish(&mut sink)?;
    Ok((summaries, sink))
}

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The repository's `testdata/` folder.
pub fn testdata() -> PathBuf {
    repo_root().join("testdata")
}

/// One row of `testdata/sniff-expectations.tsv`.
#[derive(Debug, Clone)]
pub struct SniffExpectation {
    /// Path under `testdata/`.
    pub path: String,
    /// The format name the sniffer must report.
    pub format: String,
}

/// Reads `testdata/sniff-expectations.tsv` (`path<TAB>format`, `#` comments).
pub fn sniff_expectations() -> Vec<SniffExpectation> {
    let text = std::fs::read_to_string(testdata().join("sniff-expectations.tsv"))
        .expect("testdata/sniff-expectations.tsv exists");
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (path, format) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("expectation line without a tab: {line:?}"));
            SniffExpectation {
                path: path.trim().to_owned(),
                format: format.trim().to_owned(),
            }
        })
        .collect()
}
