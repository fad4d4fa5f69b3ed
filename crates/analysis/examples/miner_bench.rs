//! Throughput of the template miner: replays the 16 loghub-2k `Content` columns until about
//! two million messages have been mined, and prints messages per second.
//!
//! Run: `cargo run --release -p faultmaven-analysis --example miner_bench`
//! (data from `$LOGHUB_2K_DIR`, default `../shared/datasets/loghub-2k`).
//! A second figure replays the same lines through the whole `Analyzer` (records with levels
//! and timestamps), which is what an upload costs end to end after parsing.

#[path = "../tests/support/loghub.rs"]
mod loghub;

use faultmaven_analysis::{AnalysisConfig, Analyzer, MinerConfig, TemplateMiner};
use faultmaven_model::{AttachmentId, AttachmentRole, Level, LogRecord, RecordSink, Timestamp};
use std::borrow::Cow;
use std::time::Instant;

const TARGET_LINES: usize = 2_000_000;

fn main() -> Result<(), String> {
    let dir = loghub::dataset_dir();
    let mut corpus: Vec<String> = Vec::new();
    let mut levels: Vec<Option<Level>> = Vec::new();
    let mut components: Vec<Option<String>> = Vec::new();
    for system in loghub::SYSTEMS {
        let labelled = loghub::load(&dir, system)?;
        corpus.extend(labelled.contents);
        levels.extend(
            labelled
                .levels
                .iter()
                .map(|l| l.as_deref().and_then(Level::parse)),
        );
        components.extend(labelled.components);
    }
    let bytes_per_pass: usize = corpus.iter().map(|line| line.len() + 1).sum();
    let passes = TARGET_LINES.div_ceil(corpus.len());

    let mut miner = TemplateMiner::new(&MinerConfig::default());
    let started = Instant::now();
    let mut checksum = 0u64;
    for _ in 0..passes {
        for line in &corpus {
            checksum = checksum.wrapping_add(u64::from(miner.add(line)));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let lines = passes * corpus.len();
    println!(
        "miner: {lines} messages ({:.1} MB) in {elapsed:.2} s = {:.0} messages/s, {:.1} MB/s; \
         {} templates (checksum {checksum})",
        (passes * bytes_per_pass) as f64 / 1e6,
        lines as f64 / elapsed,
        (passes * bytes_per_pass) as f64 / 1e6 / elapsed,
        miner.len(),
    );

    // The same lines as records through the whole analyzer: one upload, a line every 10 ms.
    let upload = AttachmentId::new(1);
    let mut analyzer = Analyzer::new(&AnalysisConfig::default());
    analyzer.register_attachment(upload, AttachmentRole::Incident, "replay.log");
    let start_millis = 1_714_572_000_000i64;
    let started = Instant::now();
    let mut number = 0u64;
    for _ in 0..passes {
        for (index, line) in corpus.iter().enumerate() {
            number += 1;
            analyzer.log(LogRecord {
                attachment: upload,
                first_line: number,
                last_line: number,
                timestamp: Some(Timestamp::from_unix_millis(
                    start_millis + 10 * number as i64,
                )),
                level: levels[index],
                source: components[index].as_deref().map(Cow::Borrowed),
                message: Cow::Borrowed(line),
                attributes: Vec::new(),
            });
        }
    }
    let streamed = started.elapsed().as_secs_f64();
    let report = analyzer.finish(1);
    let total = started.elapsed().as_secs_f64();
    println!(
        "analyzer: {lines} records in {total:.2} s ({streamed:.2} s streaming + {:.2} s finish) \
         = {:.0} records/s; {} templates, {} findings",
        total - streamed,
        lines as f64 / total,
        report.templates.len(),
        report.findings.len(),
    );
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(peak) = status.lines().find(|l| l.starts_with("VmHWM")) {
            println!(
                "peak resident memory: {}",
                peak.trim_start_matches("VmHWM:").trim()
            );
        }
    }
    Ok(())
}
