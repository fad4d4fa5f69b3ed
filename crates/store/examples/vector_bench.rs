//! Query latency and recall@10 of the HNSW index against the exact (brute-force) index, at
//! several sizes of 384-dimension vectors (all-MiniLM-L6-v2's width), printed side by side.
//!
//! Two kinds of data: `uniform` (components uniform in [-1, 1): no structure, the hardest case
//! for a graph index) and `clustered` (points around 200 random centres, closer to how sentence
//! embeddings of one domain lie). Queries are drawn the same way as the data, never from it.
//!
//! Run with `./scripts/bench vectors [SIZES...]` (default 1000 10000 100000).

use faultmaven_store::{HnswVectorIndex, InMemoryVectorIndex, VectorIndex};
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

#[derive(Clone, Copy)]
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

fn per_query(total: Duration) -> f64 {
    total.as_secs_f64() * 1e6 / QUERIES as f64
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|arg| arg.parse().expect("sizes are numbers of vectors"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000, 100_000]
    } else {
        sizes
    };
    let parameters = HnswVectorIndex::new().parameters();
    println!(
        "dim {DIMENSIONS}, {QUERIES} queries, k = {K}; HNSW M = {}, ef_construction = {}, ef = {}",
        parameters.max_neighbors, parameters.construction_width, parameters.search_width
    );
    println!(
        "{:<10} {:>8} | {:>10} {:>12} | {:>10} {:>12} {:>10} | {:>8}",
        "data",
        "vectors",
        "exact us/q",
        "exact build",
        "hnsw us/q",
        "hnsw build s",
        "recall@10",
        "speedup"
    );
    for kind in [Kind::Uniform, Kind::Clustered] {
        for &size in &sizes {
            let data = kind.vectors(size, 1);
            let queries = kind.vectors(QUERIES, 2);
            let (exact, hnsw) = (InMemoryVectorIndex::new(), HnswVectorIndex::new());
            let started = Instant::now();
            for (number, vector) in data.iter().enumerate() {
                exact
                    .upsert(&format!("v{number}"), vector.clone())
                    .expect("exact upsert");
            }
            let exact_build = started.elapsed();
            let started = Instant::now();
            for (number, vector) in data.into_iter().enumerate() {
                hnsw.upsert(&format!("v{number}"), vector)
                    .expect("hnsw upsert");
            }
            let hnsw_build = started.elapsed();

            let started = Instant::now();
            let truths: Vec<Vec<(String, f32)>> =
                queries.iter().map(|query| exact.search(query, K)).collect();
            let exact_time = started.elapsed();
            let started = Instant::now();
            let answers: Vec<Vec<(String, f32)>> =
                queries.iter().map(|query| hnsw.search(query, K)).collect();
            let hnsw_time = started.elapsed();

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
                "{:<10} {:>8} | {:>10.1} {:>11.2}s | {:>10.1} {:>12.2} {:>10.4} | {:>7.1}x",
                kind.name(),
                size,
                per_query(exact_time),
                exact_build.as_secs_f64(),
                per_query(hnsw_time),
                hnsw_build.as_secs_f64(),
                recall,
                exact_time.as_secs_f64() / hnsw_time.as_secs_f64().max(1e-9)
            );
        }
    }
    println!("(one thread; us/q = mean microseconds per query; wall time, so other load on the machine counts)");
}
