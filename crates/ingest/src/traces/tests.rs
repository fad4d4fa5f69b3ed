//! Unit tests of the trace parsers' edge cases: caps, damaged documents, units, ids.

use super::*;
use crate::{AttachmentParser, IngestConfig, Redactor};
use faultmaven_model::{AttachmentRole, AttachmentSummary, CollectedRecords};
use std::sync::Arc;

fn parse_with(
    name: &str,
    bytes: &[u8],
    config: &IngestConfig,
    chunk: usize,
) -> (AttachmentSummary, CollectedRecords) {
    let redactor = Arc::new(Redactor::new(&config.redaction));
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        name,
        AttachmentRole::Incident,
        config,
        redactor,
    );
    let mut sink = CollectedRecords::default();
    for piece in bytes.chunks(chunk.max(1)) {
        parser.feed(piece, &mut sink).expect("feed");
    }
    let summary = parser.finish(&mut sink).expect("finish");
    (summary, sink)
}

fn otlp_with_spans(count: usize) -> String {
    let spans: Vec<String> = (0..count)
        .map(|i| {
            format!(
                r#"{{"traceId":"{:032x}","spanId":"{:016x}","name":"op{i}","kind":2,"startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}"#,
                i + 1,
                i + 1,
                1_714_572_314_000_000_000u64 + i as u64,
                1_714_572_314_500_000_000u64 + i as u64
            )
        })
        .collect();
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"api"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

#[test]
fn a_one_line_document_longer_than_the_line_cap_parses_whole() {
    let document = otlp_with_spans(2000);
    let config = IngestConfig {
        max_line_bytes: 1024,
        ..IngestConfig::default()
    };
    assert!(document.len() > 100 * 1024);
    let (summary, records) = parse_with("trace.json", document.as_bytes(), &config, 777);
    assert_eq!(summary.format, "otlp_json");
    assert_eq!(records.spans.len(), 2000);
    assert!(summary.issues.is_empty(), "{:?}", summary.issues);
    assert_eq!(records.spans[1999].duration_ns, 500_000_000);
    assert_eq!(records.spans[0].service, "api");
}

#[test]
fn a_document_over_the_size_cap_gives_one_issue_and_no_spans() {
    let document = otlp_with_spans(200);
    let config = IngestConfig {
        max_document_bytes: 4096,
        ..IngestConfig::default()
    };
    let (summary, records) = parse_with("trace.json", document.as_bytes(), &config, 1000);
    assert!(records.spans.is_empty());
    assert_eq!(summary.issues.len(), 1);
    assert!(summary.issues[0].reason.contains("larger than 4096 bytes"));
}

#[test]
fn a_cut_document_is_an_issue_not_a_panic() {
    let document = otlp_with_spans(5);
    let cut = &document[..document.len() / 2];
    let (summary, records) = parse_with("trace.json", cut.as_bytes(), &IngestConfig::default(), 64);
    assert!(records.spans.is_empty());
    assert_eq!(summary.issues.len(), 1);
    assert!(summary.issues[0]
        .reason
        .starts_with("not a valid OTLP JSON document"));
}

#[test]
fn ids_are_normalized_and_zero_parents_are_roots() {
    assert_eq!(normalize_id(" ABCDEF "), Some("abcdef".to_owned()));
    assert_eq!(normalize_id("0000000000000000"), None);
    assert_eq!(normalize_id("None"), None);
    assert_eq!(normalize_id(""), None);
}

#[test]
fn error_attributes() {
    assert!(attribute_says_error("http.status_code", "503"));
    assert!(!attribute_says_error("http.status_code", "404"));
    assert!(attribute_says_error("error", "true"));
    assert!(attribute_says_error(
        "error",
        "Unable to acquire JDBC Connection"
    ));
    assert!(!attribute_says_error("error", "false"));
    assert!(!attribute_says_error("component", "error"));
}

#[test]
fn span_kinds_in_every_spelling() {
    assert_eq!(span_kind_from_text("SPAN_KIND_CLIENT"), SpanKind::Client);
    assert_eq!(span_kind_from_text("2"), SpanKind::Server);
    assert_eq!(span_kind_from_text("consumer"), SpanKind::Consumer);
    assert_eq!(span_kind_from_text("OSB"), SpanKind::Unspecified);
}

#[test]
fn csv_durations_follow_the_header_unit_or_the_start_unit() {
    let table = "trace_id,span_id,parent_id,service,operation,start_time,duration_us\n\
                 t1,s1,,web,GET /,2024-05-01T14:03:07Z,1500\n";
    let (summary, records) = parse_with("spans.csv", table.as_bytes(), &IngestConfig::default(), 9);
    assert_eq!(summary.format, "csv_spans");
    assert_eq!(records.spans.len(), 1);
    assert_eq!(records.spans[0].duration_ns, 1_500_000);
    let table = "traceId,spanId,service,start,duration\nt1,s1,web,1714572314557,250\n";
    let (_, records) = parse_with("spans.csv", table.as_bytes(), &IngestConfig::default(), 5);
    assert_eq!(records.spans[0].duration_ns, 250_000_000);
}

#[test]
fn a_metric_table_is_not_a_span_table() {
    let table =
        "timestamp,cpu,memory\n2024-05-01T14:03:07Z,0.5,100\n2024-05-01T14:03:08Z,0.6,101\n";
    let (summary, records) = parse_with(
        "pod_metric.csv",
        table.as_bytes(),
        &IngestConfig::default(),
        16,
    );
    assert_eq!(summary.format, "csv_metrics");
    assert!(records.spans.is_empty());
}
