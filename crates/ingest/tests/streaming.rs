//! Streaming properties: chunk boundaries never change the output, arbitrary bytes never
//! panic and every line is counted, and a huge line costs bounded memory.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::{AttachmentParser, IngestConfig, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole, LogRecord, MetricSample, RecordSink};
use proptest::prelude::*;
use std::sync::Arc;

const SAMPLES: &[&str] = &[
    "checkout.jsonl",
    "gateway.log",
    "app-log4j.log",
    "messages",
    "events.csv",
    "node.prom",
    "app.om.txt",
    "hosts.csv",
    "python-traceback.txt",
    "go-panic.txt",
    "incident-notes.txt",
    "deployment.yaml",
];

fn sample(file: &str) -> Vec<u8> {
    std::fs::read(support::repo_root().join("testdata/ingest").join(file)).expect("sample exists")
}

/// The whole output as text: summary and records (Debug, so NaN values compare equal).
fn rendering(name: &str, bytes: &[u8], chunks: &[usize], config: &IngestConfig) -> String {
    match support::parse_in_chunks(name, bytes, chunks, config) {
        Ok((summary, (logs, metrics))) => format!("{summary:?}\n{logs:#?}\n{metrics:#?}"),
        Err(error) => format!("error: {error}"),
    }
}

/// Small windows and lines so chunk boundaries meet every buffer edge.
fn tight_config() -> IngestConfig {
    IngestConfig {
        sniff_window_bytes: 300,
        max_line_bytes: 120,
        ..support::config()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn chunk_boundaries_do_not_change_records(
        sample_index in 0..SAMPLES.len(),
        chunks in proptest::collection::vec(1usize..200, 1..40),
        tight in any::<bool>(),
    ) {
        let file = SAMPLES[sample_index];
        let bytes = sample(file);
        let config = if tight { tight_config() } else { support::config() };
        let whole = rendering(file, &bytes, &[], &config);
        let chunked = rendering(file, &bytes, &chunks, &config);
        prop_assert_eq!(whole, chunked, "{} in chunks {:?}", file, chunks);
    }

    #[test]
    fn compressed_chunk_boundaries_do_not_change_records(
        sample_index in 0..SAMPLES.len(),
        chunks in proptest::collection::vec(1usize..64, 1..20),
    ) {
        use std::io::Write;
        let file = SAMPLES[sample_index];
        let bytes = sample(file);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&bytes).unwrap();
        let compressed = encoder.finish().unwrap();
        let config = support::config();
        let plain = rendering(file, &bytes, &[], &config);
        let inflated = rendering(file, &compressed, &chunks, &config);
        prop_assert_eq!(plain, inflated);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_lines_add_up(
        bytes in proptest::collection::vec(any::<u8>(), 0..3000),
        chunks in proptest::collection::vec(1usize..500, 1..10),
        tight in any::<bool>(),
    ) {
        let config = if tight { tight_config() } else { support::config() };
        // A gzip header is a fine input too: then a corrupt-stream error is the right answer.
        let Ok((summary, (logs, metrics))) = support::parse_in_chunks("upload", &bytes, &chunks, &config) else {
            return Ok(());
        };
        let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        let unterminated = u64::from(bytes.last().is_some_and(|&b| b != b'\n'));
        prop_assert_eq!(summary.lines, newlines + unterminated);
        prop_assert_eq!(summary.bytes, bytes.len() as u64);
        prop_assert_eq!(summary.records, (logs.len() + metrics.len()) as u64);
        let mut previous_last = 0;
        for record in &logs {
            prop_assert!(record.first_line > previous_last);
            prop_assert!(record.first_line <= record.last_line);
            prop_assert!(record.last_line <= summary.lines);
            previous_last = record.last_line;
        }
        for sample in &metrics {
            prop_assert!(sample.line >= 1 && sample.line <= summary.lines);
        }
    }

    #[test]
    fn unknown_text_keeps_every_non_blank_line(
        lines in proptest::collection::vec("[a-z ]{0,30}", 0..60),
        chunks in proptest::collection::vec(1usize..100, 1..10),
    ) {
        let text = lines.iter().map(|line| format!("{line}\n")).collect::<String>();
        let (summary, (logs, _)) = support::parse_in_chunks("notes", text.as_bytes(), &chunks, &support::config()).unwrap();
        if summary.format == "plain_text" {
            let non_blank = lines.iter().filter(|line| !line.trim().is_empty()).count();
            prop_assert_eq!(logs.len(), non_blank);
        }
        prop_assert_eq!(summary.lines, lines.len() as u64);
    }
}

/// A sink that drops records but checks the parser's buffers after every chunk.
#[derive(Default)]
struct Counting {
    logs: Vec<(u64, usize)>,
}

impl RecordSink for Counting {
    fn log(&mut self, record: LogRecord<'_>) {
        self.logs.push((record.first_line, record.message.len()));
    }

    fn metric(&mut self, _sample: MetricSample<'_>) {}
}

#[test]
fn a_two_megabyte_line_is_cut_with_bounded_memory() {
    let config = support::config();
    let redactor = Arc::new(Redactor::new(&config.redaction));
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        "big.log",
        AttachmentRole::Incident,
        &config,
        redactor,
    );
    let mut sink = Counting::default();
    let chunk = vec![b'x'; 64 * 1024];
    let bound = config.max_line_bytes + config.sniff_window_bytes + 64;
    for _ in 0..32 {
        parser.feed(&chunk, &mut sink).unwrap();
        assert!(
            parser.buffered_bytes() <= bound,
            "buffered {} > {bound}",
            parser.buffered_bytes()
        );
    }
    parser.feed(b"\nsecond line\n", &mut sink).unwrap();
    let summary = parser.finish(&mut sink).unwrap();
    assert_eq!(summary.lines, 2);
    assert_eq!(summary.bytes, 2 * 1024 * 1024 + 13);
    assert_eq!(
        sink.logs,
        [(1, config.max_line_bytes), (2, "second line".len())]
    );
    assert_eq!(summary.issues.len(), 1);
    assert_eq!(summary.issues[0].line, Some(1));
    assert_eq!(
        summary.issues[0].reason,
        "line longer than 65536 bytes was cut"
    );
}

#[test]
fn issues_are_capped() {
    let config = IngestConfig {
        max_issues_per_attachment: 5,
        ..support::config()
    };
    let mut text = String::new();
    for index in 0..50 {
        text.push_str(&format!("{{\"msg\":\"ok {index}\"}}\n{{broken\n"));
    }
    let (summary, (logs, _)) =
        support::parse_in_chunks("app.jsonl", text.as_bytes(), &[], &config).unwrap();
    assert_eq!(summary.format, "json_lines");
    assert_eq!(logs.len(), 50);
    assert_eq!(summary.issues.len(), 5);
    assert!(summary.issues_truncated);
}

#[test]
fn invalid_utf8_bom_and_nul_bytes_are_kept() {
    let bytes = b"\xEF\xBB\xBFfirst line \xff\xfe end\r\nnul \x00 byte\r\n";
    let (summary, (logs, _)) = support::parse("odd.txt", bytes);
    assert_eq!(summary.lines, 2);
    let messages: Vec<&str> = logs.iter().map(|r| r.message.as_ref()).collect();
    assert_eq!(
        messages,
        // Invalid bytes read as Latin-1; NUL, which no text store accepts, becomes U+FFFD.
        ["first line \u{ff}\u{fe} end", "nul \u{fffd} byte"]
    );
}
