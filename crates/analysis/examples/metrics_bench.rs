//! Online scoring speed of the default metric ensemble, points per second on one core,
//! beside a rolling z-score (running mean and variance over the same window) in the same
//! run. Run through `./scripts/bench metrics [POINTS]`.
//!
//! Points per second are measured on the thread's CPU time (Linux `schedstat`), so a machine
//! shared with other work still gives the figure of one core; wall-clock figures are printed
//! beside them (they fall whenever the core is shared).

use faultmaven_analysis::detectors::{EnsembleConfig, OnlineDetector};
use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// CPU time this thread has run so far (Linux), `None` where the kernel does not say.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// CPU time (else wall-clock time, if the kernel gives no CPU time) and wall-clock time of
/// `work`, in seconds.
fn measure(work: impl FnOnce()) -> (f64, f64) {
    let (cpu_start, wall_start) = (thread_cpu_time(), Instant::now());
    work();
    let wall = wall_start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_time()) {
        (Some(start), Some(end)) => (end - start).as_secs_f64(),
        _ => wall,
    };
    (cpu.max(1e-9), wall.max(1e-9))
}

/// A week-long-pattern series at 1-minute steps: daily wave, noise, spikes and shifts.
fn series(points: usize) -> Vec<(i64, f64)> {
    let mut state = 42u64;
    (0..points)
        .map(|index| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0;
            let phase = (index % 1440) as f64 / 1440.0;
            let mut value = 100.0 + 30.0 * (std::f64::consts::TAU * phase).sin() + 5.0 * noise;
            if index % 10_007 == 0 {
                value += 80.0;
            }
            if (index / 50_000) % 2 == 1 {
                value += 20.0;
            }
            (index as i64 * 60_000_000_000, value)
        })
        .collect()
}

/// The reference: |x - mean| / std over the previous `window` points, with running sums.
fn rolling_z_scores(points: &[(i64, f64)], window: usize) -> f64 {
    let mut recent = VecDeque::with_capacity(window);
    let (mut sum, mut sum_squares, mut checksum) = (0.0, 0.0, 0.0);
    for &(_, value) in points {
        if recent.len() == window {
            let old: f64 = recent.pop_front().unwrap_or(0.0);
            sum -= old;
            sum_squares -= old * old;
        }
        let n = recent.len().max(1) as f64;
        let mean = sum / n;
        let variance = (sum_squares / n - mean * mean).max(1e-12);
        checksum += (value - mean).abs() / variance.sqrt();
        recent.push_back(value);
        sum += value;
        sum_squares += value * value;
    }
    checksum
}

fn main() -> anyhow::Result<()> {
    let points: usize = std::env::args()
        .nth(1)
        .map(|text| text.parse())
        .transpose()?
        .unwrap_or(2_000_000);
    let data = series(points);
    let mut rows = Vec::new();
    for _ in 0..3 {
        let mut ensemble = EnsembleConfig::default().build()?;
        let (ours_cpu, ours_wall) = measure(|| {
            let mut checksum = 0.0;
            for &(time, value) in &data {
                checksum += ensemble.update(time, value).score;
            }
            black_box(checksum);
        });
        let (reference_cpu, reference_wall) = measure(|| {
            black_box(rolling_z_scores(&data, 256));
        });
        let rate = |seconds: f64| points as f64 / seconds;
        rows.push([
            rate(ours_cpu),
            rate(reference_cpu),
            rate(ours_wall),
            rate(reference_wall),
        ]);
    }
    let best = |column: usize| rows.iter().map(|row| row[column]).fold(0.0f64, f64::max);
    let (ours, reference) = (best(0), best(1));
    println!("online scoring, {points} points, one core, best of 3 runs");
    println!(
        "{:<44} {:>16} {:>16}",
        "scorer", "points/CPU-s", "points/wall-s"
    );
    println!(
        "{:<44} {:>16.0} {:>16.0}",
        "default ensemble (5 detectors)",
        ours,
        best(2)
    );
    println!(
        "{:<44} {:>16.0} {:>16.0}",
        "reference: rolling z-score (window 256)",
        reference,
        best(3)
    );
    println!(
        "ratio ensemble / reference (CPU time): {:.3}",
        ours / reference
    );
    println!(
        "goal: >= 1,000,000 points per CPU-second for the ensemble: {}",
        if ours >= 1e6 { "met" } else { "not met" }
    );
    Ok(())
}
