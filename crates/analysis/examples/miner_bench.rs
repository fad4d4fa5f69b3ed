//! Throughput of the template miner: replays the 16 loghub-2k `Content` columns until about
//! two million messages have been mined, and prints messages per second.
//!
//! Run: `cargo run --release -p faultmaven-analysis --example miner_bench`
//! (data from `$LOGHUB_2K_DIR`, default `/work/shared/datasets/loghub-2k`).
//! A second figure replays the same lines through the whole `Analyzer` (records with levels
//! and timestamps), which is what an upload costs end to end after parsing.

#[path = "../tests/support/loghub.rs"]
mod loghub;

use faultmaven_analysis::{MinerConfig, TemplateMiner};
use std::time::Instant;

const TARGET_LINES: usize = 2_000_000;

fn main() -> Result<(), String> {
    let dir = loghub::dataset_dir();
    let mut corpus: Vec<String> = Vec::new();
    for system in loghub::SYSTEMS {
        corpus.extend(loghub::load(&dir, system)?.contents);
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
    Ok(())
}
