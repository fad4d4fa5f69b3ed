//! Finds windows where a count series (lines per time bucket) jumps far above its own
//! robust baseline.
//!
//! A bucket is part of a burst when its count clears every bar: the median plus
//! `mad_threshold` robust standard deviations (1.4826 x MAD), the median plus
//! `poisson_sigmas` x sqrt(max(median, 1)) (counts are roughly Poisson, so 0 -> 3 lines is
//! noise, not a burst) and `min_ratio` x the median. Consecutive flagged buckets form a
//! window; windows with fewer than `min_lines` lines are dropped, and the one with the largest
//! excess over the baseline is reported. (`min_lines` bounds the window, not each bucket: with
//! fine buckets a steady 8 errors per bucket after silence is a burst from its first bucket,
//! and a per-bucket floor made the window start late.)

use crate::config::BurstConfig;
use crate::robust::{median, MAD_TO_SIGMA};

/// The strongest burst of a series.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Burst {
    /// First bucket of the window.
    pub start: usize,
    /// Last bucket of the window (inclusive).
    pub end: usize,
    /// Highest bucket count in the window.
    pub peak: u64,
    /// Lines in the window.
    pub total: u64,
    /// The typical count per bucket: the mean of the buckets outside every flagged window
    /// (the detection bars use the median; for the sentence a person reads, the mean of the
    /// quiet buckets says "about one a minute" where a median of 0s and 1s would not).
    pub baseline: f64,
    /// How many other windows cleared the bars.
    pub other_windows: usize,
    /// Excess of the window over the baseline, in Poisson standard deviations.
    pub significance: f64,
}

impl Burst {
    /// Peak count over the baseline (the baseline counts as at least half a line per bucket,
    /// so a series that was silent gets a finite ratio).
    pub fn ratio(&self) -> f64 {
        self.peak as f64 / self.baseline.max(0.5)
    }
}

/// The strongest burst of `counts`, if any bucket clears all the bars.
pub(crate) fn find_burst(counts: &[u64], config: &BurstConfig) -> Option<Burst> {
    if counts.len() < config.min_buckets {
        return None;
    }
    let values: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    let baseline = median(&values)?;
    let deviations: Vec<f64> = values.iter().map(|v| (v - baseline).abs()).collect();
    let sigma = MAD_TO_SIGMA * median(&deviations).unwrap_or(0.0);
    let poisson_sigma = baseline.max(1.0).sqrt();
    let bar = (baseline + config.mad_threshold * sigma)
        .max(baseline + config.poisson_sigmas * poisson_sigma)
        .max(config.min_ratio * baseline);
    let flagged: Vec<bool> = values.iter().map(|&v| v > bar).collect();

    let mut windows: Vec<(usize, usize)> = Vec::new();
    let mut index = 0;
    while index < flagged.len() {
        if !flagged[index] {
            index += 1;
            continue;
        }
        let start = index;
        while index < flagged.len() && flagged[index] {
            index += 1;
        }
        windows.push((start, index - 1));
    }
    let excess = |&(start, end): &(usize, usize)| -> f64 {
        values[start..=end].iter().map(|v| v - baseline).sum()
    };
    windows.retain(|&(start, end)| counts[start..=end].iter().sum::<u64>() >= config.min_lines);
    let best = windows
        .iter()
        .copied()
        .max_by(|a, b| excess(a).total_cmp(&excess(b)).then(b.0.cmp(&a.0)))?;
    let (start, end) = best;
    let window = &counts[start..=end];
    let buckets = (end - start + 1) as f64;
    let quiet: Vec<f64> = values
        .iter()
        .zip(&flagged)
        .filter(|(_, &flag)| !flag)
        .map(|(&v, _)| v)
        .collect();
    let typical = if quiet.is_empty() {
        baseline
    } else {
        quiet.iter().sum::<f64>() / quiet.len() as f64
    };
    Some(Burst {
        start,
        end,
        peak: window.iter().copied().max().unwrap_or(0),
        total: window.iter().sum(),
        baseline: typical,
        other_windows: windows.len() - 1,
        significance: excess(&best) / (poisson_sigma * buckets.sqrt()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random Poisson-like count around `mean` (fixed-seed LCG).
    fn noisy_counts(mean: f64, length: usize, seed: u64) -> Vec<u64> {
        let mut state = seed;
        (0..length)
            .map(|_| {
                // Sum of 12 uniforms - 6 is close to a standard normal.
                let mut normal = -6.0;
                for _ in 0..12 {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    normal += (state >> 11) as f64 / (1u64 << 53) as f64;
                }
                (mean + normal * mean.sqrt()).round().max(0.0) as u64
            })
            .collect()
    }

    fn check(counts: &[u64], expected: Option<(usize, usize)>) {
        let burst = find_burst(counts, &BurstConfig::default());
        assert_eq!(
            burst.as_ref().map(|b| (b.start, b.end)),
            expected,
            "{counts:?} -> {burst:?}"
        );
    }

    #[test]
    fn a_clear_burst_is_found() {
        let mut counts = noisy_counts(2.0, 60, 7);
        for (offset, count) in [120, 140, 135, 90, 110].into_iter().enumerate() {
            counts[30 + offset] = count;
        }
        check(&counts, Some((30, 34)));
        let burst = find_burst(&counts, &BurstConfig::default()).expect("burst");
        assert_eq!(burst.peak, 140);
        assert!(burst.ratio() > 30.0);
    }

    #[test]
    fn steady_streams_have_no_burst() {
        for (mean, seed) in [(0.5, 1), (3.0, 2), (20.0, 3), (500.0, 4), (10_000.0, 5)] {
            check(&noisy_counts(mean, 60, seed), None);
        }
    }

    #[test]
    fn few_lines_are_never_a_burst() {
        let mut counts = vec![0u64; 60];
        counts[20] = 3;
        counts[40] = 9;
        check(&counts, None);
        counts[41] = 25;
        // The window starts at the first bucket above the bars, not at the first big one.
        check(&counts, Some((40, 41)));
    }

    #[test]
    fn doubling_on_a_busy_series_is_a_burst_but_ten_percent_is_not() {
        let mut counts = noisy_counts(1_000.0, 60, 9);
        counts[50] = 1_100;
        check(&counts, None);
        counts[50] = 2_500;
        check(&counts, Some((50, 50)));
    }

    #[test]
    fn short_series_are_skipped() {
        check(&[0, 0, 500], None);
    }
}
