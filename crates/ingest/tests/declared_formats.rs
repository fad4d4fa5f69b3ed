//! A format declared with `AttachmentParser::with_format` is used instead of sniffing, and
//! every registered parser, declared on bytes it would never be sniffed for, returns records
//! and issues without panicking (the property the per-family fuzz targets explore at length).

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::{AttachmentParser, Format, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole, AttachmentSummary, LogRecord, MetricSample};
use proptest::prelude::*;
use std::sync::Arc;

fn parse_as(format: Format, bytes: &[u8], chunk: usize) -> AttachmentSummary {
    let config = support::config();
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        "upload",
        AttachmentRole::Incident,
        &config,
        Arc::new(Redactor::new(&config.redaction)),
    )
    .with_format(format);
    let mut sink: (Vec<LogRecord<'static>>, Vec<MetricSample<'static>>) = (Vec::new(), Vec::new());
    for piece in bytes.chunks(chunk.max(1)) {
        parser.feed(piece, &mut sink).unwrap();
    }
    parser.finish(&mut sink).unwrap()
}

#[test]
fn a_declared_format_replaces_sniffing() {
    let logfmt = b"ts=2024-05-01T10:00:00Z level=info msg=started\nts=2024-05-01T10:00:01Z level=warn msg=slow\n";
    assert_eq!(support::parse("app.log", logfmt).0.format, "logfmt");
    let summary = parse_as(Format::PlainText, logfmt, 4096);
    assert_eq!(summary.format, "plain_text");
    assert_eq!(summary.records, 2);
    // Blank lines are still the declared format's (only no bytes at all is an empty upload).
    assert_eq!(
        parse_as(Format::DockerJson, b"\n \n", 4096).format,
        "docker_json"
    );
    // Formats without a parser of their own leave sniffing on.
    assert_eq!(parse_as(Format::Gzip, logfmt, 4096).format, "logfmt");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_declared_parser_takes_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 1..1024),
        chunk in 1usize..128,
    ) {
        for format in Format::registered() {
            let summary = parse_as(format, &bytes, chunk);
            // A lone UTF-16 byte-order mark decodes to no text at all: an empty upload.
            if summary.bytes > 0 {
                prop_assert_eq!(summary.format.as_str(), format.as_str());
            }
        }
    }

    #[test]
    fn every_declared_parser_takes_arbitrary_lines(
        lines in proptest::collection::vec("[ -~\\t]{0,60}", 1..30),
    ) {
        let text = lines.join("\n");
        for format in Format::registered() {
            let summary = parse_as(format, text.as_bytes(), 4096);
            // Lines that are all empty make an empty upload, whatever was declared.
            if summary.bytes > 0 {
                prop_assert_eq!(summary.format.as_str(), format.as_str());
            }
            prop_assert!(summary.records <= summary.lines.max(1) * 64);
        }
    }
}
