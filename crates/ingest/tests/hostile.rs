//! Hostile uploads, generated here (nothing large is committed): a 100 MB single line,
//! JSON nested 100,000 levels deep, a gzip bomb, invalid UTF-8, NUL bytes, huge logfmt keys,
//! lines packed with redaction triggers, a million tiny lines. Each must give records and
//! issues or a typed error, never a panic, a hang or unbounded memory. Memory is checked
//! twice: the parser's own buffers after every chunk, and the process's peak RSS (VmHWM) at
//! the end of each case. The cases share one process, so they run one at a time.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::{AttachmentParser, IngestConfig, IngestError, IngestErrorKind, Redactor};
use faultmaven_model::{
    AttachmentId, AttachmentRole, AttachmentSummary, LogRecord, MetricSample, RecordSink,
};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Cases run one at a time so each one's peak RSS is its own.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Counts records without keeping them, so memory measures the parser, not the test.
#[derive(Default)]
struct CountingSink {
    logs: u64,
    metrics: u64,
    longest_message: usize,
}

impl RecordSink for CountingSink {
    fn log(&mut self, record: LogRecord<'_>) {
        self.logs += 1;
        self.longest_message = self.longest_message.max(record.message.len());
    }

    fn metric(&mut self, _sample: MetricSample<'_>) {
        self.metrics += 1;
    }
}

/// Peak resident set size of this process so far, in bytes (Linux `/proc/self/status`).
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs readable");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kilobytes| kilobytes * 1024)
        .expect("VmHWM present")
}

/// Parser bound: sniff window, one line, one pending record, decompressor buffers.
fn buffer_bound(config: &IngestConfig) -> usize {
    config.sniff_window_bytes + config.max_line_bytes + config.max_record_bytes + 512 * 1024
}

/// Streams the chunks `next_chunk` yields (until `None`) through a parser and checks the
/// parser's buffers after each. Returns the summary (or the typed error) and the sink.
fn stream(
    name: &str,
    config: &IngestConfig,
    mut next_chunk: impl FnMut() -> Option<Vec<u8>>,
) -> (Result<AttachmentSummary, IngestError>, CountingSink) {
    let redactor = Arc::new(Redactor::new(&config.redaction));
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        name,
        AttachmentRole::Incident,
        config,
        redactor,
    );
    let mut sink = CountingSink::default();
    while let Some(chunk) = next_chunk() {
        if let Err(error) = parser.feed(&chunk, &mut sink) {
            return (Err(error), sink);
        }
        assert!(
            parser.buffered_bytes() <= buffer_bound(config),
            "{name}: parser buffers {} bytes",
            parser.buffered_bytes()
        );
    }
    (parser.finish(&mut sink), sink)
}

/// Runs one case and checks that the process's peak RSS grew by less than `budget` bytes.
fn within_memory<T>(case: &str, budget: u64, run: impl FnOnce() -> T) -> T {
    let _guard = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let before = peak_rss_bytes();
    let result = run();
    let after = peak_rss_bytes();
    let growth = after.saturating_sub(before);
    println!(
        "{case}: peak RSS {:.1} MB (grew {:.1} MB)",
        after as f64 / 1e6,
        growth as f64 / 1e6
    );
    assert!(
        growth < budget,
        "{case}: peak RSS grew {growth} bytes (budget {budget})"
    );
    result
}

const MB: u64 = 1_000_000;

#[test]
fn a_100_megabyte_single_line() {
    within_memory("100 MB line", 32 * MB, || {
        let config = support::config();
        let chunk = vec![b'a'; 64 * 1024];
        let mut remaining = 100 * MB as usize;
        let (summary, sink) = stream("one-line.log", &config, || {
            if remaining == 0 {
                return None;
            }
            let take = remaining.min(chunk.len());
            remaining -= take;
            Some(chunk[..take].to_vec())
        });
        let summary = summary.expect("a long line is not an error");
        assert_eq!(summary.bytes, 100 * MB);
        assert_eq!(summary.lines, 1);
        assert!(sink.longest_message <= config.max_line_bytes);
        assert!(
            summary
                .issues
                .iter()
                .any(|issue| issue.reason.contains("cut")),
            "{:?}",
            summary.issues
        );
    });
}

/// `{"a":` one hundred thousand times, then as many `}`; and the same with arrays.
fn deep_json(levels: usize, array: bool) -> String {
    let (open, close) = if array { ("[", "]") } else { ("{\"a\":", "}") };
    let mut text = String::with_capacity(levels * (open.len() + 1) + 8);
    for _ in 0..levels {
        text.push_str(open);
    }
    text.push('1');
    for _ in 0..levels {
        text.push_str(close);
    }
    text
}

#[test]
fn json_nested_100_000_levels() {
    within_memory("deep JSON", 64 * MB, || {
        // Lines long enough to hold the whole document, so the parsers see all of it.
        let config = IngestConfig {
            max_line_bytes: 1 << 20,
            ..support::config()
        };
        for array in [false, true] {
            let deep = deep_json(100_000, array);
            // As a line of a JSON-lines upload (the first lines decide the format) ...
            let mut upload = String::new();
            for second in 0..3 {
                upload.push_str(&format!(
                    "{{\"ts\":\"2024-05-01T14:03:0{second}Z\",\"level\":\"info\",\"msg\":\"ok\"}}\n"
                ));
            }
            upload.push_str(&deep);
            upload.push('\n');
            let mut chunks = upload.as_bytes().chunks(8192).map(<[u8]>::to_vec);
            let (summary, sink) = stream("events.jsonl", &config, || chunks.next());
            let summary = summary.expect("one bad line is an issue, not an error");
            assert_eq!(summary.format, "json_lines");
            assert!(sink.logs >= 3, "the good lines are kept");
            assert!(!summary.issues.is_empty(), "the deep line is reported");
            // ... and as a whole upload, which the sniffer must look at first.
            let mut chunks = deep.as_bytes().chunks(8192).map(<[u8]>::to_vec);
            let (summary, _) = stream("deep.json", &config, || chunks.next());
            summary.expect("a deep document is parsed or reported, not an error");
            let _ = faultmaven_ingest::sniff("deep.json", deep.as_bytes());
        }
    });
}

#[test]
fn gzip_bomb_stops_at_the_cap() {
    // 1 GB of zeros compresses to about 1 MB; the cap stops it at 64 MB, while streaming.
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        encoder.write_all(&zeros).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    drop(zeros);
    assert!(bomb.len() < 8 << 20, "bomb is {} bytes", bomb.len());
    within_memory("gzip bomb", 48 * MB, || {
        let config = IngestConfig {
            max_decompressed_bytes: 64 << 20,
            ..support::config()
        };
        let mut chunks = bomb.chunks(64 * 1024).map(<[u8]>::to_vec);
        let (result, _) = stream("bomb.log.gz", &config, || chunks.next());
        let error = result.expect_err("the cap stops the bomb");
        assert_eq!(error.kind(), IngestErrorKind::TooLarge, "{error}");
    });
}

#[test]
fn invalid_utf8_and_nul_bytes() {
    within_memory("invalid UTF-8 and NUL", 32 * MB, || {
        let mut upload = Vec::new();
        for index in 0..20_000u32 {
            upload.extend_from_slice(b"2024-05-01 14:03:07,123 ERROR [main] svc: bad ");
            match index % 5 {
                0 => upload.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28, b'x']),
                1 => upload.extend_from_slice(&[0, 0, 0, b'n', b'u', b'l', 0]),
                2 => upload.extend_from_slice(&[0xe2, 0x82]), // truncated sequence at line end
                3 => upload.extend_from_slice(&[0xed, 0xa0, 0x80]), // surrogate half
                _ => upload.extend_from_slice(&(index | 0x8080_8080).to_le_bytes()),
            }
            upload.push(b'\n');
        }
        for name in ["app.log", "upload"] {
            let mut chunks = upload.chunks(4093).map(<[u8]>::to_vec);
            let (summary, sink) = stream(name, &support::config(), || chunks.next());
            let summary = summary.expect("bad bytes are not an error");
            assert_eq!(summary.lines, 20_000);
            assert!(sink.logs > 0);
        }
        // Nothing but NUL bytes, with and without line breaks.
        for upload in [vec![0u8; 1 << 20], [0u8, b'\n'].repeat(1 << 19)] {
            let mut chunks = upload.chunks(65_536).map(<[u8]>::to_vec);
            let (summary, _) = stream("blob.bin", &support::config(), || chunks.next());
            summary.expect("binary is parsed as text with issues, not an error");
        }
    });
}

#[test]
fn very_long_logfmt_keys() {
    within_memory("long logfmt keys", 32 * MB, || {
        let config = support::config();
        let long_key = "k".repeat(60_000);
        // Generated a few lines at a time, so the test's own input stays small.
        let mut step = 0;
        let next_chunk = || {
            let mut chunk = String::new();
            if step == 0 {
                for second in 0..5 {
                    chunk.push_str(&format!(
                        "ts=2024-05-01T14:03:0{second}Z level=info msg=ok component=api\n"
                    ));
                }
            } else if step <= 200 {
                let index = step;
                chunk.push_str(&format!(
                    "ts=2024-05-01T14:04:00Z {long_key}{index}=v{index}\n"
                ));
                // A key over the line limit, cut mid-key.
                chunk.push_str(&format!(
                    "ts=2024-05-01T14:04:01Z level=warn {long_key}{long_key}=v\n"
                ));
                // Thousands of tiny keys on one line.
                chunk.push_str("ts=2024-05-01T14:04:02Z ");
                for key in 0..5_000 {
                    chunk.push_str(&format!("k{key}=1 "));
                }
                chunk.push('\n');
            } else {
                return None;
            }
            step += 1;
            Some(chunk.into_bytes())
        };
        let (summary, sink) = stream("app.logfmt", &config, next_chunk);
        let summary = summary.expect("long keys are not an error");
        assert_eq!(summary.format, "logfmt");
        assert_eq!(summary.lines, 5 + 600);
        assert!(sink.logs >= 5);
    });
}

#[test]
fn lines_packed_with_redaction_triggers() {
    within_memory("redaction triggers", 32 * MB, || {
        let config = support::config();
        let patterns = [
            "password=x ",
            "a@b.co ",
            "4111 1111 1111 1111 ",
            "Bearer abcdefghijkl0 ",
            "-----BEGIN PRIVATE KEY-----",
            "sk-aaaaaaaaaaaaaaaaaaaaaa1 ",
            "token ",
            "@",
            "1 ",
        ];
        let mut upload = String::new();
        for pattern in patterns {
            while upload.len() % 65_536 < 65_000 {
                upload.push_str(pattern);
            }
            upload.push('\n');
        }
        let mut chunks = upload.as_bytes().chunks(65_536).map(<[u8]>::to_vec);
        let (summary, sink) = stream("triggers.log", &config, || chunks.next());
        let summary = summary.expect("parses");
        assert_eq!(summary.lines, patterns.len() as u64);
        assert!(sink.logs >= 1);
    });
}

#[test]
fn a_million_tiny_lines() {
    within_memory("a million tiny lines", 32 * MB, || {
        let mut sent = 0;
        let chunk: Vec<u8> = b"x\n".repeat(50_000);
        let (summary, sink) = stream("tiny.log", &support::config(), || {
            (sent < 20).then(|| {
                sent += 1;
                chunk.clone()
            })
        });
        let summary = summary.expect("parses");
        assert_eq!(summary.lines, 1_000_000);
        assert_eq!(sink.logs + sink.metrics, summary.records);
    });
}
