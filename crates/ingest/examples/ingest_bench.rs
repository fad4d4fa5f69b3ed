//! Throughput of sniff + parse + redact on generated uploads held in memory:
//! `cargo run --release -p faultmaven-ingest --example ingest_bench [MEGABYTES]`.
//!
//! Generates about 100 MB each (default) of JSON lines and of log4j-style plain-text logs
//! (with a multi-line stack trace now and then and a secret in about one line in fifty),
//! feeds each in 64 KiB chunks to an `AttachmentParser` with a sink that only counts, and
//! prints MB/s and lines/s. A plain line count with `memchr` over the same bytes is printed as
//! the floor no parser can beat.

use faultmaven_ingest::{AttachmentParser, IngestConfig, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole, LogRecord, MetricSample, RecordSink};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

/// Counts what arrives and touches the text so the work cannot be optimised away.
#[derive(Default)]
struct CountingSink {
    logs: u64,
    metrics: u64,
    message_bytes: u64,
    with_timestamp: u64,
}

impl RecordSink for CountingSink {
    fn log(&mut self, record: LogRecord<'_>) {
        self.logs += 1;
        self.message_bytes += record.message.len() as u64;
        self.with_timestamp += u64::from(record.timestamp.is_some());
    }

    fn metric(&mut self, _sample: MetricSample<'_>) {
        self.metrics += 1;
    }
}

/// A small deterministic generator (xorshift), so runs are comparable.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

const LEVELS: [&str; 5] = ["INFO", "INFO", "DEBUG", "WARN", "ERROR"];
const LOGGERS: [&str; 4] = [
    "com.shop.checkout.PaymentService",
    "org.apache.kafka.clients.NetworkClient",
    "com.shop.db.ConnectionPool",
    "io.netty.channel.DefaultChannelPipeline",
];

fn message(random: &mut Random, out: &mut String) {
    let id = random.below(1_000_000);
    let millis = random.below(5000);
    match random.below(50) {
        0 => write!(
            out,
            "login failed for user{id}@example.com from 10.2.{}.{}",
            id % 256,
            id % 7
        ),
        1 => write!(
            out,
            "calling upstream with Authorization: Bearer tok{id}abcdefghijklmnop"
        ),
        2..=9 => write!(
            out,
            "connection to db-{} timed out after {millis} ms (attempt {})",
            id % 5,
            id % 3
        ),
        10..=25 => write!(
            out,
            "GET /api/v1/orders/{id} 200 {millis}ms bytes={}",
            id % 90_000
        ),
        _ => write!(
            out,
            "processed batch {id} with {} records in {millis} ms",
            id % 500
        ),
    }
    .ok();
}

fn plain_text(target: usize) -> (Vec<u8>, u64) {
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let mut text = String::with_capacity(target + 4096);
    let mut lines = 0;
    let mut second = 0u64;
    while text.len() < target {
        second += random.below(3);
        let level = LEVELS[random.below(5) as usize];
        let logger = LOGGERS[random.below(4) as usize];
        write!(
            text,
            "2024-05-01 {:02}:{:02}:{:02},{:03} {level} [worker-{}] {logger}: ",
            (second / 3600) % 24,
            (second / 60) % 60,
            second % 60,
            random.below(1000),
            random.below(16)
        )
        .ok();
        message(&mut random, &mut text);
        text.push('\n');
        lines += 1;
        if level == "ERROR" && random.below(4) == 0 {
            text.push_str("java.net.SocketTimeoutException: Read timed out\n");
            text.push_str("\tat java.net.SocketInputStream.socketRead0(Native Method)\n");
            text.push_str("\tat com.shop.db.ConnectionPool.acquire(ConnectionPool.java:212)\n");
            text.push_str("\t... 12 more\n");
            lines += 4;
        }
    }
    (text.into_bytes(), lines)
}

fn json_lines(target: usize) -> (Vec<u8>, u64) {
    let mut random = Random(0xD1B5_4A32_D192_ED03);
    let mut text = String::with_capacity(target + 4096);
    let mut lines = 0;
    let mut millis = 1_714_572_187_000u64;
    let mut body = String::new();
    while text.len() < target {
        millis += random.below(400);
        body.clear();
        message(&mut random, &mut body);
        write!(
            text,
            r#"{{"ts":{millis},"level":"{}","logger":"{}","msg":"{body}","trace_id":"{:016x}","http":{{"method":"GET","status":{}}},"pod":"web-{}"}}"#,
            LEVELS[random.below(5) as usize].to_ascii_lowercase(),
            LOGGERS[random.below(4) as usize],
            random.next(),
            [200, 200, 201, 404, 500][random.below(5) as usize],
            random.below(8)
        )
        .ok();
        text.push('\n');
        lines += 1;
    }
    (text.into_bytes(), lines)
}

fn run(name: &str, bytes: &[u8], lines: u64) {
    let config = IngestConfig::default();
    let redactor = Arc::new(Redactor::new(&config.redaction));
    let start = Instant::now();
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        name,
        AttachmentRole::Incident,
        &config,
        redactor,
    );
    let mut sink = CountingSink::default();
    for chunk in bytes.chunks(64 * 1024) {
        if let Err(error) = parser.feed(chunk, &mut sink) {
            eprintln!("{name}: {error}");
            return;
        }
    }
    let summary = match parser.finish(&mut sink) {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("{name}: {error}");
            return;
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let megabytes = bytes.len() as f64 / 1e6;
    println!(
        "{name:<12} {:<15} {:>7.1} MB {:>9} lines {:>9} records {:>7.1} MB/s {:>10.0} lines/s  ({} with time, {} issues)",
        summary.format,
        megabytes,
        lines,
        sink.logs + sink.metrics,
        megabytes / seconds,
        lines as f64 / seconds,
        sink.with_timestamp,
        summary.issues.len(),
    );
    assert_eq!(summary.lines, lines, "{name}: every line counted");
    let _ = sink.message_bytes;
}

fn line_count_floor(bytes: &[u8]) {
    let start = Instant::now();
    let count = memchr::memchr_iter(b'\n', bytes).count();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{:<12} {:<15} {:>7.1} MB {count:>9} lines {:>17} {:>7.1} MB/s",
        "memchr",
        "(floor)",
        bytes.len() as f64 / 1e6,
        "",
        bytes.len() as f64 / 1e6 / seconds
    );
}

fn main() {
    let megabytes: usize = std::env::args()
        .nth(1)
        .and_then(|text| text.parse().ok())
        .unwrap_or(100);
    let target = megabytes * 1_000_000;
    let (text, text_lines) = plain_text(target);
    let (json, json_lines_count) = json_lines(target);
    line_count_floor(&text);
    run("plain text", &text, text_lines);
    run("json lines", &json, json_lines_count);
}
