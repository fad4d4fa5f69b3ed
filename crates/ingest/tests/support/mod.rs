//! Helpers shared by the integration tests: parse bytes in one go or in chunks and collect
//! owned records.

#![allow(dead_code)]

use faultmaven_ingest::{AttachmentParser, IngestConfig, IngestError, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole, AttachmentSummary, LogRecord, MetricSample};
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
