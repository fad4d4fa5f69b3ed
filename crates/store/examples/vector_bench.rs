//! Query time, build time and recall@10 of the HNSW index against the exact (brute-force) index,
//! at several sizes of 384-dimension vectors (all-MiniLM-L6-v2's width), printed side by side.
//!
//! Two kinds of data: `uniform` (components uniform in [-1, 1): no structure, the hardest case
//! for a graph index) and `clustered` (points around 200 random centres, closer to how sentence
//! embeddings of one domain lie). Queries are drawn the same way as the data, never from it.
//! Each row is one search width (`ef`) on the same graph, so the table is the index's
//! recall/speed curve, with the exact index's figures in the same row.
//!
//! Times are CPU time of the benchmark thread (`/proc/thread-self/schedstat`, so other load on
//! the machine does not inflate them), or wall time where that file does not exist.
//!
//! Run with `./scripts/bench vectors [SIZES...] [--ef 64,128,...] [--m 16]
//! [--ef-construction 200] [--kinds uniform,clustered]` (default sizes 10000 100000, the
//! default parameters and a sweep of widths around the default).

use anyhow::{bail, Context};
use faultmaven_store::{HnswParameters, HnswVectorIndex, InMemoryVectorIndex, VectorIndex};
use std::time::{Duration, Instant};

const DIMENSIONS: usize = 384;
const QUERIES: usize = 200;
const K: usize = 10;
const CENTRES: usize = 200;

/// SplitMix64: deterministic data without a dependency.
struct Random(u64);

impl Random {
    fn next_unit(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
    }

    fn uniform_vector(&mut self) -> Vec<f32> {
        (0..DIMENSIONS)
            .map(|_| self.next_unit() * 2.0 - 1.0)
            .collect()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Uniform,
    Clustered,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Uniform => "uniform",
            Kind::Clustered => "clustered",
        }
    }

    fn vectors(self, count: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut random = Random(seed);
        match self {
            Kind::Uniform => (0..count).map(|_| random.uniform_vector()).collect(),
            Kind::Clustered => {
                // The same centres for data and queries (fixed seed), different offsets.
                let mut centre_random = Random(0xc3e7);
                let centres: Vec<Vec<f32>> = (0..CENTRES)
                    .map(|_| centre_random.uniform_vector())
                    .collect();
                (0..count)
                    .map(|_| {
                        let centre =
                            &centres[(random.next_unit() * CENTRES as f32) as usize % CENTRES];
                        centre
                            .iter()
                            .map(|component| component + 0.35 * (random.next_unit() * 2.0 - 1.0))
                            .collect()
                    })
                    .collect()
            }
        }
    }
}

/// A clock of the time this thread spent on a CPU; wall time when the kernel does not say.
#[derive(Clone, Copy)]
enum Clock {
    ThreadCpu,
    Wall,
}

impl Clock {
    fn detect() -> Self {
        if thread_cpu_nanoseconds().is_some() {
            Clock::ThreadCpu
        } else {
            Clock::Wall
        }
    }

    fn name(self) -> &'static str {
        match self {
            Clock::ThreadCpu => "CPU time of the benchmark thread",
            Clock::Wall => "wall time (no /proc/thread-self/schedstat), other load counts",
        }
    }

    /// Runs `work` and returns its result with the time it took on this clock.
    fn time<T>(self, work: impl FnOnce() -> T) -> (T, Duration) {
        match self {
            Clock::ThreadCpu => {
                let before = thread_cpu_nanoseconds().unwrap_or_default();
                let result = work();
                let after = thread_cpu_nanoseconds().unwrap_or(before);
                (result, Duration::from_nanos(after.saturating_sub(before)))
            }
            Clock::Wall => {
                let started = Instant::now();
                let result = work();
                (result, started.elapsed())
            }
        }
    }
}

/// Nanoseconds this thread has run on a CPU: the first field of `/proc/thread-self/schedstat`.
fn thread_cpu_nanoseconds() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

struct Options {
    sizes: Vec<usize>,
    widths: Vec<usize>,
    parameters: HnswParameters,
    kinds: Vec<Kind>,
}

fn parse_list<T: std::str::FromStr>(text: &str, what: &str) -> anyhow::Result<Vec<T>> {
    text.split(',')
        .map(|item| {
            item.trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("{what}: {item:?} is not a number"))
        })
        .collect()
}

fn parse_options() -> anyhow::Result<Options> {
    let mut parameters = HnswParameters::default();
    let mut sizes = Vec::new();
    let mut widths = Vec::new();
    let mut kinds = vec![Kind::Uniform, Kind::Clustered];
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let mut value = |name: &str| {
            arguments
                .next()
                .with_context(|| format!("{name} needs a value"))
        };
        match argument.as_str() {
            "--ef" => widths = parse_list(&value("--ef")?, "--ef")?,
            "--m" => parameters.max_neighbors = value("--m")?.parse().context("--m")?,
            "--ef-construction" => {
                parameters.construction_width = value("--ef-construction")?
                    .parse()
                    .context("--ef-construction")?
            }
            "--kinds" => {
                kinds = value("--kinds")?
                    .split(',')
                    .map(|kind| match kind {
                        "uniform" => Ok(Kind::Uniform),
                        "clustered" => Ok(Kind::Clustered),
                        other => bail!("--kinds: unknown kind {other:?}"),
                    })
                    .collect::<anyhow::Result<_>>()?
            }
            size => sizes.push(size.parse().with_context(|| format!("size {size:?}"))?),
        }
    }
    if sizes.is_empty() {
        sizes = vec![10_000, 100_000];
    }
    if widths.is_empty() {
        let default = parameters.search_width;
        widths = vec![default / 4, default / 2, default, default * 2];
        widths.retain(|&width| width >= K);
    }
    Ok(Options {
        sizes,
        widths,
        parameters,
        kinds,
    })
}

fn main() -> anyhow::Result<()> {
    let options = parse_options()?;
    let clock = Clock::detect();
    let parameters = options.parameters;
    println!(
        "dim {DIMENSIONS}, {QUERIES} queries, k = {K}; HNSW M = {}, ef_construction = {}, \
         default ef = {}; times: {}",
        parameters.max_neighbors,
        parameters.construction_width,
        parameters.search_width,
        clock.name()
    );
    println!(
        "{:<10} {:>7} {:>5} | {:>11} {:>11} | {:>10} {:>10} {:>8} | {:>9}",
        "data",
        "vectors",
        "ef",
        "exact build",
        "hnsw build",
        "exact us/q",
        "hnsw us/q",
        "speedup",
        "recall@10"
    );
    for &kind in &options.kinds {
        for &size in &options.sizes {
            let data = kind.vectors(size, 1);
            let queries = kind.vectors(QUERIES, 2);
            let exact = InMemoryVectorIndex::new();
            let hnsw = HnswVectorIndex::with_parameters(None, parameters);
            let ((), exact_build) = clock.time(|| {
                for (number, vector) in data.iter().enumerate() {
                    exact
                        .upsert(&format!("v{number}"), vector.clone())
                        .expect("exact upsert");
                }
            });
            let ((), hnsw_build) = clock.time(|| {
                for (number, vector) in data.into_iter().enumerate() {
                    hnsw.upsert(&format!("v{number}"), vector)
                        .expect("hnsw upsert");
                }
            });
            let (truths, exact_time): (Vec<Vec<(String, f32)>>, _) =
                clock.time(|| queries.iter().map(|query| exact.search(query, K)).collect());
            for &width in &options.widths {
                let (answers, hnsw_time): (Vec<Vec<(String, f32)>>, _) = clock.time(|| {
                    queries
                        .iter()
                        .map(|query| hnsw.search_with_width(query, K, width))
                        .collect()
                });
                let found: usize = truths
                    .iter()
                    .zip(&answers)
                    .map(|(truth, answer)| {
                        answer
                            .iter()
                            .filter(|(id, _)| truth.iter().any(|(true_id, _)| true_id == id))
                            .count()
                    })
                    .sum();
                let recall = found as f64 / (K * QUERIES) as f64;
                println!(
                    "{:<10} {:>7} {:>5} | {:>10.2}s {:>10.2}s | {:>10.1} {:>10.1} {:>7.1}x | {:>9.4}",
                    kind.name(),
                    size,
                    width,
                    exact_build.as_secs_f64(),
                    hnsw_build.as_secs_f64(),
                    per_query(exact_time),
                    per_query(hnsw_time),
                    exact_time.as_secs_f64() / hnsw_time.as_secs_f64().max(1e-9),
                    recall
                );
            }
        }
    }
    println!("(one thread; us/q = mean microseconds per query; speedup = exact time / hnsw time)");
    Ok(())
}

fn per_query(total: Duration) -> f64 {
    total.as_secs_f64() * 1e6 / QUERIES as f64
}
