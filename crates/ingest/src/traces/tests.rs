//! Unit tests of the trace parsers' edge cases: caps, damaged documents, units, ids.

use super::*;
use crate::output::Output;
use crate::{AttachmentParser, IngestConfig, Redactor};
use faultmaven_model::AttachmentId;
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
fn a_document_over_the_size_cap_streams_and_only_an_oversized_span_is_skipped() {
    // The cap bounds what is held at once (one span), not the document.
    let document = otlp_with_spans(200);
    let config = IngestConfig {
        max_document_bytes: 4096,
        ..IngestConfig::default()
    };
    assert!(document.len() > 4 * 4096);
    let (summary, records) = parse_with("trace.json", document.as_bytes(), &config, 1000);
    assert_eq!(records.spans.len(), 200);
    assert!(summary.issues.is_empty(), "{:?}", summary.issues);

    let huge_name = "x".repeat(5000);
    let document = document.replacen("\"name\":\"op7\"", &format!("\"name\":\"{huge_name}\""), 1);
    let (summary, records) = parse_with("trace.json", document.as_bytes(), &config, 1000);
    assert_eq!(records.spans.len(), 199);
    assert_eq!(summary.issues.len(), 1);
    assert!(summary.issues[0].reason.contains("larger than 4096 bytes"));
    assert_eq!(summary.issues[0].line, Some(8));
}

#[test]
fn a_cut_document_keeps_the_spans_before_the_cut_and_reports_it() {
    let document = otlp_with_spans(5);
    let cut = &document[..document.len() / 2];
    let (summary, records) = parse_with("trace.json", cut.as_bytes(), &IngestConfig::default(), 64);
    assert_eq!(records.spans.len(), 2);
    assert_eq!(summary.issues.len(), 1);
    assert!(summary.issues[0]
        .reason
        .starts_with("not a valid OTLP JSON document"));
}

#[test]
fn streaming_holds_one_span_at_a_time() {
    // 20,000 spans (several MB) fed in 8 KiB chunks: what the scanner holds stays the size
    // of one span.
    let document = otlp_with_spans(20_000);
    let redactor = Redactor::new(&IngestConfig::default().redaction);
    let mut tally = crate::output::Tally::new(100);
    let mut sink = CollectedRecords::default();
    let mut out = Output {
        sink: &mut sink,
        redactor: &redactor,
        tally: &mut tally,
    };
    let mut scanner = stream::JsonScanner::new(1 << 20);
    let mut reader = otlp::OtlpReader::new(AttachmentId::new(1), 1 << 20);
    let mut most_held = 0;
    for chunk in document.as_bytes().chunks(8192) {
        scanner.feed(chunk, "OTLP JSON", &mut reader, &mut out);
        most_held = most_held.max(scanner.held_bytes());
    }
    scanner.finish("OTLP JSON", &mut out);
    assert!(tally.issues.is_empty(), "{:?}", tally.issues);
    assert_eq!(sink.spans.len(), 20_000);
    assert!(document.len() > 3_000_000);
    assert!(most_held < 1024, "held {most_held} bytes");
}

#[test]
fn resource_after_its_spans_and_documents_one_per_line() {
    // JSON allows any key order; the collector's file exporter writes one request per line.
    let late = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"01","spanId":"02","name":"a","startTimeUnixNano":"5"}]}],"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"late"}}]}}]}"#;
    let early = otlp_with_spans(2);
    let document = format!("{late}\n{early}\n");
    let (summary, records) = parse_with(
        "trace.json",
        document.as_bytes(),
        &IngestConfig::default(),
        7,
    );
    assert!(summary.issues.is_empty(), "{:?}", summary.issues);
    let services: Vec<&str> = records.spans.iter().map(|s| s.service.as_ref()).collect();
    assert_eq!(services, ["late", "api", "api"]);
}

/// Runs `bytes` through the scanner and `reader` in chunks of `chunk` bytes.
fn scan(
    reader: &mut dyn stream::DocumentReader,
    bytes: &[u8],
    chunk: usize,
) -> (usize, Vec<faultmaven_model::ParseIssue>) {
    let redactor = Redactor::new(&IngestConfig::default().redaction);
    let mut tally = crate::output::Tally::new(100);
    let mut sink = CollectedRecords::default();
    let mut out = Output {
        sink: &mut sink,
        redactor: &redactor,
        tally: &mut tally,
    };
    let mut scanner = stream::JsonScanner::new(1 << 20);
    for piece in bytes.chunks(chunk) {
        scanner.feed(piece, "test", reader, &mut out);
    }
    scanner.finish("test", &mut out);
    (sink.spans.len(), tally.issues)
}

#[test]
fn damaged_structure_and_bad_spans_are_issues() {
    let otlp = |bytes: &[u8]| {
        scan(
            &mut otlp::OtlpReader::new(AttachmentId::new(1), 1 << 20),
            bytes,
            3,
        )
    };
    let zipkin = |bytes: &[u8]| {
        scan(
            &mut zipkin::ZipkinReader::new(AttachmentId::new(1)),
            bytes,
            3,
        )
    };
    for bytes in [
        &br#"{"resourceSpans": [}"#[..],
        br#"{"resourceSpans" [1]}"#,
        br#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": 1 2}]}]}]}"#,
        br#"{"a": 1"#,
        br#""text""#,
        b"",
        b"[[[[",
    ] {
        let (spans, issues) = otlp(bytes);
        assert_eq!(spans, 0);
        assert_eq!(
            issues.len(),
            1,
            "{:?} {issues:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    // A bad span is skipped; its neighbours are kept.
    let (spans, issues) = zipkin(
        br#"[{"traceId":"a","id":"b","timestamp":1}, {"traceId":"a","id":"c","timestamp":"x"}, 7, {"traceId":"a","id":"d","timestamp":2}]"#,
    );
    assert_eq!(spans, 2);
    assert_eq!(issues.len(), 2, "{issues:?}");
    // Deep nesting is refused, not walked.
    let deep = format!("[{}{}]", "[".repeat(10_000), "]".repeat(10_000));
    let (spans, issues) = zipkin(deep.as_bytes());
    assert_eq!(spans, 0);
    assert_eq!(issues.len(), 1, "{issues:?}");
}

#[test]
fn containers_of_another_shape_are_issues_not_silence() {
    let otlp = |bytes: &str| {
        scan(
            &mut otlp::OtlpReader::new(AttachmentId::new(1), 1 << 20),
            bytes.as_bytes(),
            5,
        )
    };
    let span = r#"{"traceId":"01","spanId":"02","name":"a","startTimeUnixNano":"5"}"#;
    for (document, place) in [
        (
            r#"{"resourceSpans": {}}"#.to_owned(),
            "`resourceSpans` is an object",
        ),
        (
            r#"{"resourceSpans": "none"}"#.to_owned(),
            "`resourceSpans` is a string",
        ),
        (
            r#"{"resourceSpans": [7]}"#.to_owned(),
            "an entry of `resourceSpans` is a number",
        ),
        (
            format!(r#"{{"resourceSpans": [{{"scopeSpans": {{"spans": [{span}]}}}}]}}"#),
            "`scopeSpans` is an object",
        ),
        (
            r#"{"resourceSpans": [{"instrumentationLibrarySpans": true}]}"#.to_owned(),
            "`instrumentationLibrarySpans` is a boolean",
        ),
        (
            r#"{"resourceSpans": [{"scopeSpans": [[]]}]}"#.to_owned(),
            "an entry of `scopeSpans` is an array",
        ),
        (
            format!(r#"{{"resourceSpans": [{{"scopeSpans": [{{"spans": {span}}}]}}]}}"#),
            "`spans` is an object",
        ),
        (
            r#"{"resourceMetrics": []}"#.to_owned(),
            "without `resourceSpans`",
        ),
    ] {
        let (spans, issues) = otlp(&document);
        assert_eq!(spans, 0, "{document}");
        assert_eq!(issues.len(), 1, "{document}: {issues:?}");
        assert!(issues[0].reason.contains(place), "{document}: {issues:?}");
    }
    // Empty lists, and `null` (protobuf JSON's empty list), are nothing to report.
    for document in [
        r#"{"resourceSpans": []}"#,
        r#"{"resourceSpans": null}"#,
        r#"{"resourceSpans": [{"scopeSpans": null}]}"#,
    ] {
        assert_eq!(otlp(document), (0, Vec::new()), "{document}");
    }
    // A damaged entry is reported; the entries around it are read.
    let document = format!(
        r#"{{"resourceSpans": [{{"scopeSpans": [{{"spans": [{span}]}}]}}, {{"scopeSpans": "x"}}, {{"scopeSpans": [{{"spans": [{span}]}}]}}]}}"#
    );
    let (spans, issues) = otlp(&document);
    assert_eq!(spans, 2);
    assert_eq!(issues.len(), 1, "{issues:?}");

    let jaeger = |bytes: &str| {
        scan(
            &mut jaeger::JaegerReader::new(AttachmentId::new(1)),
            bytes.as_bytes(),
            4,
        )
    };
    for (document, place) in [
        (
            r#"{"data": {"traceID": "1", "spans": []}}"#,
            "`data` is an object",
        ),
        (r#"{"data": 0}"#, "`data` is a number"),
        (r#"{"total": 0, "limit": 0}"#, "neither `data` nor `spans`"),
        (
            r#"{"data": null, "errors": [{"code": 400, "msg": "malformed trace id"}]}"#,
            "(code 400): malformed trace id",
        ),
    ] {
        let (spans, issues) = jaeger(document);
        assert_eq!(spans, 0, "{document}");
        assert_eq!(issues.len(), 1, "{document}: {issues:?}");
        assert!(issues[0].reason.contains(place), "{document}: {issues:?}");
    }
    assert_eq!(jaeger(r#"{"data": [], "errors": null}"#), (0, Vec::new()));

    // Zipkin: the top level must be an array (of spans, or of traces).
    let zipkin = |bytes: &str| {
        scan(
            &mut zipkin::ZipkinReader::new(AttachmentId::new(1)),
            bytes.as_bytes(),
            3,
        )
    };
    for document in [
        r#"{"traceId": "a", "id": "b", "timestamp": 1}"#,
        r#""spans""#,
    ] {
        let (spans, issues) = zipkin(document);
        assert_eq!(spans, 0, "{document}");
        assert_eq!(issues.len(), 1, "{document}: {issues:?}");
        assert!(issues[0].reason.contains("top-level value"), "{issues:?}");
    }
}

#[test]
fn a_zipkin_trace_list_is_read_trace_by_trace() {
    // `GET /api/v2/traces` answers with an array of traces, each an array of spans.
    let list = r#"[[{"traceId":"a","id":"1","timestamp":10,"duration":5,"localEndpoint":{"serviceName":"web"}},
                    {"traceId":"a","id":"2","parentId":"1","timestamp":11,"duration":2}],
                   [{"traceId":"b","id":"3","timestamp":20}], []]"#;
    let (summary, records) =
        parse_with("traces.json", list.as_bytes(), &IngestConfig::default(), 9);
    assert_eq!(summary.format, "zipkin_json");
    assert!(summary.issues.is_empty(), "{:?}", summary.issues);
    let ids: Vec<(&str, &str)> = records
        .spans
        .iter()
        .map(|span| (span.trace_id.as_ref(), span.span_id.as_ref()))
        .collect();
    assert_eq!(ids, [("a", "1"), ("a", "2"), ("b", "3")]);
}

#[test]
fn shape_issues_reach_the_attachment_summary() {
    let document = r#"{"resourceSpans": {"resource": {}, "scopeSpans": []}}"#;
    let (summary, records) = parse_with(
        "trace.json",
        document.as_bytes(),
        &IngestConfig::default(),
        6,
    );
    assert_eq!(summary.format, "otlp_json");
    assert!(records.spans.is_empty());
    assert_eq!(summary.issues.len(), 1, "{:?}", summary.issues);
    assert_eq!(
        summary.issues[0].reason,
        "OTLP JSON: `resourceSpans` is an object, not an array, at byte 18; its content is skipped"
    );
}

#[test]
fn issue_texts_are_redacted() {
    // serde quotes the value it refuses; an issue must not carry a secret further than a
    // record would.
    let document = r#"[{"traceId":"a","id":"b","timestamp":1,"localEndpoint":{"serviceName":"web"},
                        "remoteEndpoint":{"port":"AKIAIOSFODNN7EXAMPLE"}}]"#;
    let (summary, records) = parse_with(
        "spans.json",
        document.as_bytes(),
        &IngestConfig::default(),
        64,
    );
    assert_eq!(summary.format, "zipkin_json");
    assert!(records.spans.is_empty());
    assert_eq!(summary.issues.len(), 1, "{:?}", summary.issues);
    let reason = &summary.issues[0].reason;
    assert!(!reason.contains("AKIAIOSFODNN7EXAMPLE"), "{reason}");
    assert!(reason.contains("<REDACTED:aws_access_key"), "{reason}");
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

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// A valid document with one byte changed, cut anywhere and fed in any chunk size: no
    /// panic, and every span the document holds is either emitted or behind an issue.
    #[test]
    fn damaged_documents_never_panic(
        position in 0usize..2000,
        byte in proptest::prelude::any::<u8>(),
        cut in 0usize..2000,
        chunk in 1usize..64,
    ) {
        let mut document = otlp_with_spans(8).into_bytes();
        let position = position % document.len();
        document[position] = byte;
        document.truncate(cut.max(1).min(document.len()));
        let (spans, _) = scan(&mut otlp::OtlpReader::new(AttachmentId::new(1), 1 << 20), &document, chunk);
        proptest::prop_assert!(spans <= 8);
        let (spans, _) = scan(&mut jaeger::JaegerReader::new(AttachmentId::new(1)), &document, chunk);
        proptest::prop_assert!(spans == 0);
        let _ = scan(&mut zipkin::ZipkinReader::new(AttachmentId::new(1)), &document, chunk);
    }

    /// Arbitrary bytes from the JSON alphabet through every reader.
    #[test]
    fn arbitrary_json_like_bytes_never_panic(text in "[\\[\\]{}\":,0-9a-z \\\\]{0,300}", chunk in 1usize..32) {
        let bytes = text.as_bytes();
        let _ = scan(&mut otlp::OtlpReader::new(AttachmentId::new(1), 64), bytes, chunk);
        let _ = scan(&mut jaeger::JaegerReader::new(AttachmentId::new(1)), bytes, chunk);
        let _ = scan(&mut zipkin::ZipkinReader::new(AttachmentId::new(1)), bytes, chunk);
    }
}
