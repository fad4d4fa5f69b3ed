//! One realistic sample per supported format (testdata/ingest): the detected kind and format,
//! and how many lines, records and issues come out. Also the public `sniff` on heads, with and
//! without compression.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::{sniff, Format};
use faultmaven_model::DataKind;
use flate2::write::GzEncoder;
use std::io::Write;

struct Expected {
    file: &'static str,
    kind: DataKind,
    format: &'static str,
    lines: u64,
    records: u64,
    issues: usize,
}

const fn expected(
    file: &'static str,
    kind: DataKind,
    format: &'static str,
    lines: u64,
    records: u64,
    issues: usize,
) -> Expected {
    Expected {
        file,
        kind,
        format,
        lines,
        records,
        issues,
    }
}

const TABLE: &[Expected] = &[
    expected("checkout.jsonl", DataKind::Log, "json_lines", 31, 30, 1),
    expected("gateway.log", DataKind::Log, "logfmt", 25, 25, 0),
    expected("app-log4j.log", DataKind::Log, "plain_text_log", 29, 17, 0),
    expected("messages", DataKind::Log, "plain_text_log", 22, 22, 0),
    expected(
        "nginx-error.log",
        DataKind::Log,
        "plain_text_log",
        12,
        12,
        0,
    ),
    expected("events.csv", DataKind::Log, "csv_log", 31, 30, 0),
    expected("search-export.tsv", DataKind::Log, "tsv_log", 25, 24, 0),
    expected("node.prom", DataKind::Metric, "prometheus_text", 43, 27, 0),
    expected(
        "app.om.txt",
        DataKind::Metric,
        "openmetrics_text",
        18,
        11,
        0,
    ),
    // 72 rows x 3 numeric columns, minus an `n/a` cell (missing) and a `12%` cell (issue).
    expected("hosts.csv", DataKind::Metric, "csv_metrics", 73, 214, 1),
    expected("latency.tsv", DataKind::Metric, "tsv_metrics", 41, 160, 0),
    expected(
        "deployment.yaml",
        DataKind::Config,
        "kubernetes_yaml",
        43,
        24,
        0,
    ),
    expected("docker-compose.yml", DataKind::Config, "yaml", 26, 15, 0),
    expected("gateway.toml", DataKind::Config, "toml", 31, 20, 0),
    expected("php.ini", DataKind::Config, "ini", 20, 14, 0),
    expected("production.env", DataKind::Config, "dotenv", 13, 12, 0),
    expected("Dockerfile", DataKind::Config, "dockerfile", 19, 16, 0),
    expected("nginx.conf", DataKind::Config, "nginx_conf", 35, 17, 0),
    expected(
        "settings.json",
        DataKind::Config,
        "json_document",
        11,
        12,
        0,
    ),
    expected("otlp-trace.json", DataKind::Trace, "otlp_json", 38, 2, 0),
    // Four rows, one without a trace id (an issue).
    expected("spans.csv", DataKind::Trace, "csv_spans", 5, 3, 1),
    expected(
        "jaeger-trace.json",
        DataKind::Trace,
        "jaeger_json",
        33,
        2,
        0,
    ),
    expected(
        "zipkin-spans.json",
        DataKind::Trace,
        "zipkin_json",
        24,
        2,
        0,
    ),
    expected("java-exception.txt", DataKind::Code, "code", 15, 1, 0),
    expected("python-traceback.txt", DataKind::Code, "code", 21, 1, 0),
    expected("go-panic.txt", DataKind::Code, "code", 21, 1, 0),
    expected(
        "incident-notes.txt",
        DataKind::Unknown,
        "plain_text",
        12,
        11,
        0,
    ),
];

fn sample(file: &str) -> Vec<u8> {
    let path = support::repo_root().join("testdata/ingest").join(file);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn check(expected: &Expected, name: &str, bytes: &[u8]) {
    let (summary, _) = support::parse(name, bytes);
    let actual = (
        summary.kind,
        summary.format.as_str(),
        summary.lines,
        summary.records,
        summary.issues.len(),
    );
    let wanted = (
        expected.kind,
        expected.format,
        expected.lines,
        expected.records,
        expected.issues,
    );
    assert_eq!(actual, wanted, "{name}: issues {:?}", summary.issues);
}

#[test]
fn every_sample_is_recognised() {
    let listed = support::sniff_expectations();
    let mut formats_covered: Vec<&str> = TABLE.iter().map(|row| row.format).collect();
    for row in TABLE {
        check(row, row.file, &sample(row.file));
    }
    // Every registered format has a sample, here or in testdata/sniff-expectations.tsv.
    formats_covered.extend(listed.iter().map(|row| row.format.as_str()));
    formats_covered.sort_unstable();
    for format in Format::registered() {
        assert!(
            formats_covered.binary_search(&format.as_str()).is_ok(),
            "no sample for {format}"
        );
    }
}

#[test]
fn content_decides_not_the_name() {
    // Names that lie or say nothing: the content still decides.
    for row in TABLE {
        check(row, "upload.bin", &sample(row.file));
    }
}

#[test]
fn compressed_samples_are_recognised() {
    for row in TABLE {
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&sample(row.file)).unwrap();
        let compressed = encoder.finish().unwrap();
        let name = format!("{}.gz", row.file);
        check(row, &name, &compressed);
        let sniffed = sniff(&name, &compressed);
        assert_eq!(
            (sniffed.kind, sniffed.format.as_str()),
            (row.kind, row.format),
            "sniff({name})"
        );
    }
}

#[test]
fn sniff_on_heads() {
    for row in TABLE {
        let bytes = sample(row.file);
        let sniffed = sniff(row.file, &bytes);
        assert_eq!(
            (sniffed.kind, sniffed.format.as_str()),
            (row.kind, row.format),
            "sniff({})",
            row.file
        );
    }
    assert_eq!(sniff("x", b"").format, Format::Empty);
    assert_eq!(sniff("x.gz", &[0x1f, 0x8b]).format, Format::Gzip);
    assert_eq!(sniff("x", b"hello there\n").format, Format::PlainText);
}

#[test]
fn empty_upload_has_one_issue() {
    let (summary, (logs, metrics)) = support::parse("empty.log", b"");
    assert_eq!(summary.kind, DataKind::Unknown);
    assert_eq!(summary.format, "empty");
    assert_eq!((summary.lines, summary.records), (0, 0));
    assert!(logs.is_empty() && metrics.is_empty());
    assert_eq!(summary.issues.len(), 1);
    assert_eq!(summary.issues[0].reason, "empty file");
}

#[test]
fn parsers_move_between_threads_and_redactors_are_shared() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<faultmaven_ingest::AttachmentParser>();
    send_sync::<faultmaven_ingest::Redactor>();
    send_sync::<faultmaven_ingest::IngestConfig>();
    send_sync::<faultmaven_ingest::IngestError>();
}
