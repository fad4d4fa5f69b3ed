//! Trace parsers on sample exports: every span, field by field, as a reviewed snapshot.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use faultmaven_ingest::{AttachmentParser, IngestConfig, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole, CollectedRecords};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

fn parse_file(relative: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(relative);
    let bytes = std::fs::read(&path).unwrap();
    let config = IngestConfig {
        base_year: Some(2024),
        ..IngestConfig::default()
    };
    let redactor = Arc::new(Redactor::new(&config.redaction));
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        &name,
        AttachmentRole::Incident,
        &config,
        redactor,
    );
    let mut sink = CollectedRecords::default();
    // Odd chunks: documents and rows must not depend on where the network cut them.
    for chunk in bytes.chunks(97) {
        parser.feed(chunk, &mut sink).unwrap();
    }
    let summary = parser.finish(&mut sink).unwrap();
    let spans: Vec<Value> = sink
        .spans
        .iter()
        .map(|span| {
            json!({
                "line": span.line,
                "trace_id": span.trace_id,
                "span_id": span.span_id,
                "parent_span_id": span.parent_span_id,
                "service": span.service,
                "operation": span.operation,
                "kind": span.kind,
                "start": span.start.to_rfc3339(),
                "duration_ns": span.duration_ns,
                "is_error": span.is_error,
                "attributes": span.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "format": summary.format,
        "kind": summary.kind,
        "records": summary.records,
        "issues": summary.issues.iter().map(|i| format!("{:?}: {}", i.line, i.reason)).collect::<Vec<_>>(),
        "spans": spans,
    })
}

#[test]
fn otlp_sample() {
    insta::assert_json_snapshot!("otlp_sample", parse_file("ingest/otlp-trace.json"));
}

#[test]
fn otlp_minified_with_string_kinds_and_a_secret() {
    let parsed = parse_file("traces/otlp-minified.json");
    let text = parsed.to_string();
    assert!(!text.contains("ghp_abcdef"), "the token must be redacted");
    insta::assert_json_snapshot!("otlp_minified", parsed);
}

#[test]
fn jaeger_sample() {
    insta::assert_json_snapshot!("jaeger_sample", parse_file("ingest/jaeger-trace.json"));
}

#[test]
fn zipkin_sample() {
    insta::assert_json_snapshot!("zipkin_sample", parse_file("ingest/zipkin-spans.json"));
}

#[test]
fn csv_span_table() {
    insta::assert_json_snapshot!("csv_spans", parse_file("traces/spans.csv"));
}

#[test]
fn aiops_span_table() {
    insta::assert_json_snapshot!("aiops_spans", parse_file("traces/aiops-spans.csv"));
}
