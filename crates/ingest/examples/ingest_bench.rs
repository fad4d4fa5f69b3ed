//! Throughput of sniff + parse + redact, one thread, on generated uploads:
//!
//! - `ingest_bench generate DIR MEGABYTES [NAME]` writes (once; kept if present) five deterministic
//!   files of about MEGABYTES each: JSON lines, logfmt, RFC 5424 syslog, combined access log
//!   and a log4j-style Java log with stack traces, each with a secret in about one line in
//!   fifty, so the redactor has real work. NAME keeps only the files whose name holds it.
//! - `ingest_bench run FILE` streams FILE in 256 KiB reads through an `AttachmentParser`
//!   (redaction on, default settings) into a sink that only counts, and prints one
//!   tab-separated line: format, bytes, lines, records, wall seconds, CPU seconds, MB/s and
//!   lines/s per CPU second, peak RSS, issues.
//!
//! `./scripts/bench ingest` drives both and puts a Python reference beside the figures.

use faultmaven_ingest::{AttachmentParser, IngestConfig, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole, LogRecord, MetricSample, RecordSink};
use std::fmt::Write as _;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Counts what arrives and touches the text so the work cannot be optimised away.
#[derive(Default)]
struct CountingSink {
    logs: u64,
    metrics: u64,
    message_bytes: u64,
}

impl RecordSink for CountingSink {
    fn log(&mut self, record: LogRecord<'_>) {
        self.logs += 1;
        self.message_bytes += record.message.len() as u64;
    }

    fn metric(&mut self, _sample: MetricSample<'_>) {
        self.metrics += 1;
    }
}

/// A small deterministic generator (xorshift), so every run writes the same bytes.
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
const PATHS: [&str; 5] = [
    "/api/v1/orders",
    "/api/v1/cart",
    "/static/app.js",
    "/health",
    "/api/v1/payments",
];

/// A log message; about one in fifty carries a secret or an e-mail address.
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

struct Clock {
    seconds: u64,
}

impl Clock {
    fn tick(&mut self, random: &mut Random) -> (u64, u64, u64) {
        self.seconds += random.below(3);
        (
            (self.seconds / 3600) % 24,
            (self.seconds / 60) % 60,
            self.seconds % 60,
        )
    }
}

type Generator = fn(&mut Random, &mut Clock, &mut String, &mut String) -> u64;

fn java_log(random: &mut Random, clock: &mut Clock, body: &mut String, out: &mut String) -> u64 {
    let (hour, minute, second) = clock.tick(random);
    let level = LEVELS[random.below(5) as usize];
    let logger = LOGGERS[random.below(4) as usize];
    write!(
        out,
        "2024-05-01 {hour:02}:{minute:02}:{second:02},{:03} {level} [worker-{}] {logger}: ",
        random.below(1000),
        random.below(16)
    )
    .ok();
    body.clear();
    message(random, body);
    out.push_str(body);
    out.push('\n');
    if level == "ERROR" && random.below(4) == 0 {
        out.push_str("java.net.SocketTimeoutException: Read timed out\n");
        out.push_str("\tat java.net.SocketInputStream.socketRead0(Native Method)\n");
        out.push_str("\tat com.shop.db.ConnectionPool.acquire(ConnectionPool.java:212)\n");
        out.push_str("\t... 12 more\n");
        return 5;
    }
    1
}

fn json_lines(random: &mut Random, clock: &mut Clock, body: &mut String, out: &mut String) -> u64 {
    let (hour, minute, second) = clock.tick(random);
    body.clear();
    message(random, body);
    writeln!(
        out,
        r#"{{"ts":"2024-05-01T{hour:02}:{minute:02}:{second:02}.{:03}Z","level":"{}","logger":"{}","msg":"{body}","trace_id":"{:016x}","http":{{"method":"GET","status":{}}},"pod":"web-{}"}}"#,
        random.below(1000),
        LEVELS[random.below(5) as usize].to_ascii_lowercase(),
        LOGGERS[random.below(4) as usize],
        random.next(),
        [200, 200, 201, 404, 500][random.below(5) as usize],
        random.below(8)
    )
    .ok();
    1
}

fn logfmt(random: &mut Random, clock: &mut Clock, body: &mut String, out: &mut String) -> u64 {
    let (hour, minute, second) = clock.tick(random);
    body.clear();
    message(random, body);
    writeln!(
        out,
        r#"ts=2024-05-01T{hour:02}:{minute:02}:{second:02}.{:03}Z level={} logger={} msg="{body}" trace_id={:016x} status={} pod=web-{} duration_ms={}"#,
        random.below(1000),
        LEVELS[random.below(5) as usize].to_ascii_lowercase(),
        LOGGERS[random.below(4) as usize],
        random.next(),
        [200, 200, 201, 404, 500][random.below(5) as usize],
        random.below(8),
        random.below(3000)
    )
    .ok();
    1
}

fn syslog(random: &mut Random, clock: &mut Clock, body: &mut String, out: &mut String) -> u64 {
    let (hour, minute, second) = clock.tick(random);
    body.clear();
    message(random, body);
    let severity = [6, 6, 7, 4, 3][random.below(5) as usize];
    writeln!(
        out,
        r#"<{}>1 2024-05-01T{hour:02}:{minute:02}:{second:02}.{:03}Z host-{} checkout {} ID{} [meta@32473 pod="web-{}" zone="eu-west-1{}"] {body}"#,
        16 * 8 + severity,
        random.below(1000),
        random.below(12),
        1000 + random.below(9000),
        random.below(100),
        random.below(8),
        ["a", "b", "c"][random.below(3) as usize]
    )
    .ok();
    1
}

fn access_log(random: &mut Random, clock: &mut Clock, _body: &mut String, out: &mut String) -> u64 {
    let (hour, minute, second) = clock.tick(random);
    let user = if random.below(50) == 0 {
        "alice@example.com"
    } else {
        "-"
    };
    writeln!(
        out,
        r#"10.{}.{}.{} - {user} [01/May/2024:{hour:02}:{minute:02}:{second:02} +0000] "GET {}/{} HTTP/1.1" {} {} "https://shop.example/cart" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36""#,
        random.below(256),
        random.below(256),
        random.below(256),
        PATHS[random.below(5) as usize],
        random.below(100_000),
        [200, 200, 200, 301, 404, 500, 503][random.below(7) as usize],
        random.below(50_000)
    )
    .ok();
    1
}

/// (file name, generator, seed)
const FILES: [(&str, Generator, u64); 5] = [
    ("json-lines.jsonl", json_lines, 0xD1B5_4A32_D192_ED03),
    ("logfmt.log", logfmt, 0x8CB9_2BA7_2F3D_8DD7),
    ("syslog-rfc5424.log", syslog, 0x2545_F491_4F6C_DD1D),
    ("access-combined.log", access_log, 0x9E37_79B9_7F4A_7C15),
    ("java-stacktraces.log", java_log, 0xBF58_476D_1CE4_E5B9),
];

fn generate(directory: &Path, megabytes: u64, only: Option<&str>) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(directory)?;
    let target = megabytes * 1_000_000;
    let mut paths = Vec::new();
    for (name, generator, seed) in FILES {
        if only.is_some_and(|only| !name.contains(only)) {
            continue;
        }
        let path = directory.join(format!("{megabytes}mb-{name}"));
        paths.push(path.clone());
        if std::fs::metadata(&path).is_ok_and(|meta| meta.len() >= target) {
            continue;
        }
        let partial = path.with_extension("partial");
        let mut writer = BufWriter::with_capacity(1 << 20, std::fs::File::create(&partial)?);
        let mut random = Random(seed);
        let mut clock = Clock { seconds: 0 };
        let (mut body, mut block) = (String::new(), String::new());
        let mut written = 0u64;
        while written < target {
            block.clear();
            while block.len() < 1 << 20 {
                generator(&mut random, &mut clock, &mut body, &mut block);
            }
            writer.write_all(block.as_bytes())?;
            written += block.len() as u64;
        }
        writer.flush()?;
        drop(writer);
        std::fs::rename(&partial, &path)?;
    }
    Ok(paths)
}

/// Peak resident set size of this process, in bytes.
fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
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
        })
        .map_or(0, |kilobytes| kilobytes * 1024)
}

/// CPU time this process has run so far, in seconds (`/proc/self/schedstat`, nanoseconds):
/// on a shared machine wall time counts other processes' turns, CPU time does not.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(f64::NAN, |nanoseconds| nanoseconds as f64 / 1e9)
}

fn run(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let config = IngestConfig::default();
    let redactor = Arc::new(Redactor::new(&config.redaction));
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("upload");
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 256 * 1024];
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        name,
        AttachmentRole::Incident,
        &config,
        redactor,
    );
    let mut sink = CountingSink::default();
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        parser.feed(&buffer[..read], &mut sink)?;
    }
    let summary = parser.finish(&mut sink)?;
    let seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_start;
    println!(
        "{}\t{}\t{}\t{}\t{seconds:.3}\t{cpu:.3}\t{:.1}\t{:.0}\t{}\t{}",
        summary.format,
        summary.bytes,
        summary.lines,
        sink.logs + sink.metrics,
        summary.bytes as f64 / 1e6 / cpu,
        summary.lines as f64 / cpu,
        peak_rss_bytes(),
        summary.issues.len() + usize::from(sink.message_bytes == u64::MAX),
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match arguments.as_slice() {
        [command, directory, megabytes, only @ ..] if command == "generate" && only.len() <= 1 => {
            let only = only.first().map(String::as_str);
            for path in generate(Path::new(directory), megabytes.parse()?, only)? {
                println!("{}", path.display());
            }
            Ok(())
        }
        [command, file] if command == "run" => run(Path::new(file)),
        _ => {
            Err("usage: ingest_bench generate DIR MEGABYTES [NAME] | ingest_bench run FILE".into())
        }
    }
}
