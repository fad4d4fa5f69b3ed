//! `insta` snapshots of the normalized output (every record kind, via `CollectedRecords`) of
//! every log, metric and code sample listed in `testdata/sniff-expectations.tsv`. Review changes with
//! `cargo insta review`; the snapshots live in `tests/snapshots/`.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::Redactor;
use faultmaven_model::{CollectedRecords, DataKind};
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
    for snippet in &records.code {
        writeln!(
            text,
            "code {}-{} language={} exception={:?}",
            snippet.first_line,
            snippet.last_line,
            snippet.language.as_deref().unwrap_or("-"),
            snippet.exception.as_deref().unwrap_or(""),
        )
        .unwrap();
        for frame in &snippet.frames {
            writeln!(
                text,
                "  frame @{} {} module={:?} file={:?} line={:?}",
                frame.upload_line,
                frame.function,
                frame.module.as_deref().unwrap_or(""),
                frame.file.as_deref().unwrap_or(""),
                frame.line
            )
            .unwrap();
        }
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
        let (summaries, upload) = support::parse_upload_with(
            &row.path,
            &bytes,
            bytes.len(),
            &config,
            Arc::clone(&redactor),
        )
        .unwrap();
        let records = upload.records;
        // Archives are covered member by member in `tests/archives.rs`.
        let [summary] = summaries.as_slice() else {
            continue;
        };
        if !matches!(
            summary.kind,
            DataKind::Log | DataKind::Metric | DataKind::Code
        ) {
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
