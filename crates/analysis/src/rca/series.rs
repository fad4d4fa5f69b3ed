//! The time grid of the RCA features, per-bucket means, and the robust upward-shift
//! statistic that decides whether (and when) a feature of an entity moved.

use super::{MetricKind, BUCKETS};
use faultmaven_model::Signal;

/// Mean per bucket.
#[derive(Debug, Clone, Default)]
pub(super) struct Buckets {
    pub(super) sum: Vec<f64>,
    pub(super) count: Vec<f64>,
}

impl Buckets {
    pub(super) fn new(size: usize) -> Self {
        Self {
            sum: vec![0.0; size],
            count: vec![0.0; size],
        }
    }

    pub(super) fn add(&mut self, bucket: usize, value: f64, weight: f64) {
        if bucket < self.sum.len() {
            self.sum[bucket] += value;
            self.count[bucket] += weight;
        }
    }

    pub(super) fn means(&self, min_count: f64) -> Vec<Option<f64>> {
        self.sum
            .iter()
            .zip(&self.count)
            .map(|(s, c)| (*c >= min_count).then(|| s / c))
            .collect()
    }
}

/// The time grid of one role's data.
#[derive(Debug, Clone, Copy)]
pub(super) struct Grid {
    pub(super) low: i64,
    pub(super) width: i64,
    pub(super) size: usize,
}

impl Grid {
    pub(super) fn new(low: i64, high: i64, width: Option<i64>) -> Self {
        let width = width.unwrap_or(((high - low) / BUCKETS as i64).max(10_000_000_000));
        let size = (((high - low) / width) as usize + 1).clamp(1, 400);
        Self { low, width, size }
    }

    pub(super) fn bucket(&self, time: i64) -> Option<usize> {
        if time < self.low {
            return None;
        }
        let index = ((time - self.low) / self.width) as usize;
        (index < self.size).then_some(index)
    }

    pub(super) fn start(&self, bucket: usize) -> i64 {
        self.low + bucket as i64 * self.width
    }
}

/// A feature of one entity: its incident and reference series.
#[derive(Debug, Clone)]
pub(super) struct Feature {
    pub(super) incident: Buckets,
    pub(super) baseline: Buckets,
}

impl Feature {
    pub(super) fn new(incident: &Grid, baseline: Option<&Grid>) -> Self {
        Self {
            incident: Buckets::new(incident.size),
            baseline: Buckets::new(baseline.map_or(0, |g| g.size)),
        }
    }
}

/// Which feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum FeatureKind {
    SelfTime,
    OwnErrors,
    PeerErrors,
    PeerLatency,
    Metric(MetricKind),
    LogErrors,
}

impl FeatureKind {
    /// Smallest scale of the reference, so a flat reference does not make noise look huge.
    pub(super) fn floor(self) -> f64 {
        match self {
            Self::SelfTime | Self::PeerLatency | Self::Metric(MetricKind::Latency) => 2.0,
            Self::OwnErrors | Self::PeerErrors => 0.02,
            Self::Metric(MetricKind::Errors) => 0.02,
            Self::Metric(_) => 1e-3,
            Self::LogErrors => 2.0,
        }
    }

    /// Smallest scale of the reference relative to its level: latencies and counts vary by
    /// a tenth from minute to minute; memory and CPU are steadier.
    pub(super) fn relative_floor(self) -> f64 {
        match self {
            Self::Metric(MetricKind::Memory) => 0.01,
            Self::Metric(MetricKind::Cpu) => 0.03,
            _ => 0.1,
        }
    }

    pub(super) fn signal(self) -> Signal {
        match self {
            Self::Metric(_) => Signal::Metric,
            Self::LogErrors => Signal::Log,
            _ => Signal::Trace,
        }
    }
}

/// A measured shift of one feature.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shift {
    pub(super) z: f64,
    pub(super) onset: usize,
    pub(super) before: f64,
    pub(super) after: f64,
    /// The after-part keeps rising (a trend, as a leak makes).
    pub(super) rising: bool,
}

pub(super) fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

pub(super) fn median_and_scale(values: &[f64], floor: f64, relative: f64) -> (f64, f64) {
    let mut sorted = values.to_vec();
    let center = median(&mut sorted);
    let mut deviations: Vec<f64> = values.iter().map(|v| (v - center).abs()).collect();
    let mad = median(&mut deviations);
    (
        center,
        (1.4826 * mad).max(relative * center.abs()).max(floor),
    )
}

/// The upward shift of a series: the split where the later part is highest above the
/// reference, weighted by how long it lasts (so one spike does not win over a sustained
/// change). The reference is the baseline when there is one, else the part before the split.
pub(super) fn upward_shift(
    series: &[Option<f64>],
    baseline: &[Option<f64>],
    floor: f64,
    relative: f64,
    sparse_rate: bool,
) -> Option<Shift> {
    let points: Vec<(usize, f64)> = series
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .collect();
    let reference: Vec<f64> = baseline.iter().flatten().copied().collect();
    let with_baseline = reference.len() >= 5;
    let n = points.len();
    if n < 6 {
        return None;
    }
    let first = if with_baseline {
        0
    } else {
        (n as f64 * 0.15).ceil() as usize
    };
    let mut best: Option<(f64, Shift)> = None;
    // The later part must last (a sixth of the window at least): a short spike at the end
    // is not a change of level.
    let shortest_after = (n / 6).max(5);
    for split in first.max(if with_baseline { 0 } else { 3 })..n.saturating_sub(shortest_after - 1)
    {
        let before: Vec<f64> = points[..split].iter().map(|p| p.1).collect();
        let (center, scale) = if with_baseline {
            median_and_scale(&reference, floor, relative)
        } else {
            median_and_scale(&before, floor, relative)
        };
        let mut after: Vec<f64> = points[split..].iter().map(|p| p.1).collect();
        // The lower third of the later part: a sustained change lifts it, a spike that
        // covers part of the later part does not.
        after.sort_by(f64::total_cmp);
        // Sparse rates (a few spans per bucket) are often zero even during a fault: for them
        // the mean over the later part (close to the pooled rate) is the level.
        let after_median = if sparse_rate {
            after.iter().sum::<f64>() / after.len() as f64
        } else {
            after[after.len() / 3]
        };
        let z = (after_median - center) / scale;
        // The split is chosen on means (a change-point statistic: the two sides must differ
        // and both be long); the reported strength uses medians, which one spike cannot move.
        let after_mean = after.iter().sum::<f64>() / after.len() as f64;
        let weight = if with_baseline {
            (after_mean - center) / scale * ((n - split) as f64).sqrt()
        } else {
            let before_mean = before.iter().sum::<f64>() / before.len() as f64;
            let sizes = (split * (n - split)) as f64 / n as f64;
            (after_mean - before_mean) / scale * sizes.sqrt()
        };
        if best.as_ref().is_none_or(|(w, _)| weight > *w) {
            let tail = &points[split..];
            let half = tail.len() / 2;
            let mut early: Vec<f64> = tail[..half].iter().map(|p| p.1).collect();
            let mut late: Vec<f64> = tail[half..].iter().map(|p| p.1).collect();
            let rising = half >= 2
                && median(&mut late) - median(&mut early) > 0.5 * (after_median - center).abs();
            best = Some((
                weight,
                Shift {
                    z: z.min(200.0),
                    onset: points[split].0,
                    before: center,
                    after: after_median,
                    rising,
                },
            ));
        }
    }
    best.map(|(_, shift)| shift).filter(|s| s.z > 0.0)
}
