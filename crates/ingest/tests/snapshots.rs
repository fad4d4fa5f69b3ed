//! `insta` snapshots of the normalized output (every record kind, via `CollectedRecords`) of
//! every log and metric sample listed in `testdata/sniff-expectations.tsv`. Review changes with
//! `cargo insta review`; the snapshots live in `tests/snapshots/`.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::{AttachmentParser, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole, CollectedRecords, DataKind};
use std::fmt::Write;
use std::sync::Arc;

fn pairs(pairs: &[(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={value:?}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line per record (messages quoted, so multi-line records stay on one line).
fn render(records: &CollectedRecords) -> String {
    let mut text = String::new();
    for log in &records.logs {
        let time = log.timestamp.map(|t| t.to_rfc3339()).unwrap_or_default();
        let level = log.level.map(|l| l.as_str()).unwrap_or("-");
        writeln!(
            text,
            "log {}-{} {time} {level} source={:?} message={:?} {}",
            log.first_line,
            log.last_line,
            log.source.as_deref().unwrap_or(""),
            log.message,
            pairs(&log.attributes)
        )
        .unwrap();
    }
    for metric in &records.metrics {
        let time = metric.timestamp.map(|t| t.to_rfc3339()).unwrap_or_default();
        writeln!(
            text,
            "metric {} {time} {} {{{}}} = {}",
            metric.line,
            metric.name,
            pairs(&metric.labels),
            metric.value
        )
        .unwrap();
    }
    let others = records.spans.len() + records.configs.len() + records.code.len();
    if others > 0 {
        writeln!(
            text,
            "spans {} configs {} code {}",
            records.spans.len(),
            records.configs.len(),
            records.code.len()
        )
        .unwrap();
    }
    text
}

#[test]
fn normalized_output_of_every_log_and_metric_sample() {
    let config = support::config();
    let redactor = Arc::new(Redactor::new(&config.redaction));
    let mut snapshotted = 0;
    for row in support::sniff_expectations() {
        let bytes = std::fs::read(support::testdata().join(&row.path)).unwrap();
        let mut parser = AttachmentParser::new(
            AttachmentId::new(1),
            &row.path,
            AttachmentRole::Incident,
            &config,
            Arc::clone(&redactor),
        );
        let mut records = CollectedRecords::default();
        parser.feed(&bytes, &mut records).unwrap();
        let summary = parser.finish(&mut records).unwrap();
        if !matches!(summary.kind, DataKind::Log | DataKind::Metric) {
            continue;
        }
        let mut text = format!(
            "format {} lines {} records {}\n",
            summary.format, summary.lines, summary.records
        );
        for issue in &summary.issues {
            writeln!(text, "issue {:?}: {}", issue.line, issue.reason).unwrap();
        }
        text.push_str(&render(&records));
        let name = row.path.replace(['/', '.'], "_");
        insta::assert_snapshot!(name, text);
        snapshotted += 1;
    }
    assert!(snapshotted > 0);
}
