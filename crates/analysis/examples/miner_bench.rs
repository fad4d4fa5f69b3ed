//! Throughput of the template miner on one core: lines/s and peak resident memory.
//!
//! Run through `./scripts/bench logs` (which also runs Drain3 on the same first lines and
//! prints ratios). Modes, one per process so the peak memory is the mode's own:
//!
//! - `loghub LINES [--write-first N PATH]`: the `Content` of all 16 loghub-2k systems
//!   (cut by their header formats) replayed in order until LINES lines were mined;
//!   optionally writes the first N of those lines to PATH (input for Drain3);
//! - `generate PATH BYTES`: writes a deterministic synthetic log of about BYTES bytes with
//!   5,000 distinct templates and high-cardinality variables (ids, addresses, paths, hashes);
//! - `file PATH`: streams PATH line by line (one reused buffer) through the miner.
//!
//! Each mode prints one line `RESULT name lines seconds lines_per_s mb_per_s templates rss_kb`.

#[path = "../tests/support/mod.rs"]
mod support;

use faultmaven_analysis::{MinerConfig, TemplateMiner};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;
use support::{loghub, scoring};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |index: usize| args.get(index).cloned().unwrap_or_default();
    match arg(0).as_str() {
        "loghub" => loghub_replay(&args),
        "generate" => {
            let bytes: u64 = arg(2).parse().map_err(|_| "generate PATH BYTES")?;
            generate(&arg(1), bytes)
        }
        "file" => mine_file(&arg(1)),
        _ => Err("usage: miner_bench loghub LINES [--write-first N PATH] | generate PATH BYTES | file PATH".into()),
    }
}

fn loghub_replay(args: &[String]) -> Result<(), String> {
    let lines: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .ok_or("loghub LINES")?;
    let dir = loghub::dataset_dir();
    let mut corpus: Vec<String> = Vec::new();
    for system in loghub::SYSTEMS {
        let data = scoring::load_system(&dir, system)?;
        corpus.extend(data.contents.into_iter().flatten());
    }
    if let Some(index) = args.iter().position(|a| a == "--write-first") {
        let count: usize = args
            .get(index + 1)
            .and_then(|a| a.parse().ok())
            .ok_or("--write-first N PATH")?;
        let path = args.get(index + 2).ok_or("--write-first N PATH")?;
        let file = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
        let mut out = BufWriter::new(file);
        for line in corpus.iter().cycle().take(count) {
            writeln!(out, "{line}").map_err(|e| format!("{path}: {e}"))?;
        }
        out.flush().map_err(|e| format!("{path}: {e}"))?;
    }
    let mut miner = TemplateMiner::new(&MinerConfig::default());
    let started = Instant::now();
    let mut bytes = 0u64;
    let mut checksum = 0u64;
    for line in corpus.iter().cycle().take(lines) {
        bytes += line.len() as u64 + 1;
        checksum = checksum.wrapping_add(u64::from(miner.add(line)));
    }
    let seconds = started.elapsed().as_secs_f64();
    std::hint::black_box(checksum);
    report("loghub-replay", lines as u64, bytes, seconds, miner.len());
    Ok(())
}

fn mine_file(path: &str) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut miner = TemplateMiner::new(&MinerConfig::default());
    let mut buffer = Vec::with_capacity(4096);
    let mut lines = 0u64;
    let mut bytes = 0u64;
    let started = Instant::now();
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|e| format!("{path}: {e}"))?;
        if read == 0 {
            break;
        }
        bytes += read as u64;
        let line = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
        match std::str::from_utf8(line) {
            Ok(text) => miner.add(text),
            Err(_) => miner.add(&String::from_utf8_lossy(line)),
        };
        lines += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    report("file", lines, bytes, seconds, miner.len());
    Ok(())
}

fn report(name: &str, lines: u64, bytes: u64, seconds: f64, templates: usize) {
    let rss = peak_rss_kb().unwrap_or(0);
    println!(
        "RESULT {name} {lines} {seconds:.3} {:.0} {:.1} {templates} {rss}",
        lines as f64 / seconds,
        bytes as f64 / 1e6 / seconds,
    );
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// A small deterministic generator (SplitMix64): the same file on every machine.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

/// One slot of a synthetic template: a fixed word or a kind of variable.
#[derive(Clone, Copy)]
enum Slot {
    Word(usize),
    Integer,
    Hex,
    Address,
    Uuid,
    Path,
    Duration,
}

const TEMPLATES: usize = 5_000;

fn generate(path: &str, target_bytes: u64) -> Result<(), String> {
    let mut random = Random(0x5EED_F00D);
    // A vocabulary of pronounceable words, so templates share words like real logs do.
    let syllables = [
        "ka", "ro", "mi", "ten", "sa", "lo", "qui", "ver", "dra", "po", "nel", "zu", "ark", "bel",
        "cor", "dis", "en", "fal", "gor", "hin",
    ];
    let words: Vec<String> = (0..3_000)
        .map(|_| {
            let parts = 1 + random.below(3) as usize;
            (0..parts)
                .map(|_| syllables[random.below(syllables.len() as u64) as usize])
                .collect()
        })
        .collect();
    let templates: Vec<Vec<Slot>> = (0..TEMPLATES)
        .map(|_| {
            let length = 4 + random.below(12) as usize;
            (0..length)
                .map(|position| match (position, random.below(10)) {
                    (0, _) => Slot::Word(random.below(400) as usize),
                    (_, 0) => Slot::Integer,
                    (_, 1) => match random.below(5) {
                        0 => Slot::Hex,
                        1 => Slot::Address,
                        2 => Slot::Uuid,
                        3 => Slot::Path,
                        _ => Slot::Duration,
                    },
                    _ => Slot::Word(random.below(words.len() as u64) as usize),
                })
                .collect()
        })
        .collect();
    let file = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut written = 0u64;
    let mut line = String::with_capacity(256);
    let mut lines = 0u64;
    while written < target_bytes {
        // Skewed template frequencies: a few templates are common, most are rare.
        let a = random.below(TEMPLATES as u64);
        let b = random.below(TEMPLATES as u64);
        let template = &templates[a.min(b) as usize];
        line.clear();
        let seconds = 1_700_000_000 + lines / 1000;
        use std::fmt::Write as _;
        let _ = write!(
            line,
            "2024-05-01T{:02}:{:02}:{:02}.{:03}Z INFO [worker-{}] ",
            (seconds / 3600) % 24,
            (seconds / 60) % 60,
            seconds % 60,
            lines % 1000,
            random.below(64)
        );
        for (index, slot) in template.iter().enumerate() {
            if index > 0 {
                line.push(' ');
            }
            let _ = match *slot {
                Slot::Word(word) => write!(line, "{}", words[word]),
                Slot::Integer => write!(line, "{}", random.below(1_000_000_000)),
                Slot::Hex => write!(line, "0x{:x}", random.next()),
                Slot::Address => write!(
                    line,
                    "10.{}.{}.{}:{}",
                    random.below(256),
                    random.below(256),
                    random.below(256),
                    1024 + random.below(60_000)
                ),
                Slot::Uuid => {
                    let (x, y) = (random.next(), random.next());
                    write!(
                        line,
                        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                        x >> 32,
                        (x >> 16) & 0xffff,
                        x & 0xffff,
                        y >> 48,
                        y & 0xffff_ffff_ffff
                    )
                }
                Slot::Path => write!(
                    line,
                    "/data/{}/part-{:05}.parquet",
                    random.below(100_000),
                    random.below(1000)
                ),
                Slot::Duration => write!(line, "{}ms", random.below(100_000)),
            };
        }
        line.push('\n');
        out.write_all(line.as_bytes())
            .map_err(|e| format!("{path}: {e}"))?;
        written += line.len() as u64;
        lines += 1;
    }
    out.flush().map_err(|e| format!("{path}: {e}"))?;
    println!("generated {path}: {lines} lines, {written} bytes");
    Ok(())
}
