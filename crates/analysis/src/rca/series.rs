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
    /// A metric whose slope grew (see [`upward_trend`]); measured on the metric's buckets.
    Trend(MetricKind),
    LogErrors,
}

impl FeatureKind {
    /// Smallest scale of the reference, so a flat reference does not make noise look huge.
    pub(super) fn floor(self) -> f64 {
        match self {
            Self::SelfTime | Self::PeerLatency | Self::Metric(MetricKind::Latency) => 2.0,
            Self::OwnErrors | Self::PeerErrors => 0.02,
            Self::Metric(MetricKind::Errors) => 0.02,
            Self::Metric(_) | Self::Trend(_) => 1e-3,
            Self::LogErrors => 2.0,
        }
    }

    /// Smallest scale of the reference relative to its level: latencies and counts vary by
    /// a tenth from minute to minute; memory and CPU are steadier.
    pub(super) fn relative_floor(self) -> f64 {
        match self {
            Self::Metric(MetricKind::Memory) | Self::Trend(MetricKind::Memory) => 0.01,
            Self::Metric(MetricKind::Cpu) | Self::Trend(MetricKind::Cpu) => 0.03,
            _ => 0.1,
        }
    }

    pub(super) fn signal(self) -> Signal {
        match self {
            Self::Metric(_) | Self::Trend(_) => Signal::Metric,
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

/// Least-squares line through `(x, y)` points: (intercept, slope); `None` below two
/// distinct x.
fn line_fit(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let count = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / count;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / count;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (x, y) in points {
        sxx += (x - mean_x) * (x - mean_x);
        sxy += (x - mean_x) * (y - mean_y);
    }
    (sxx > 0.0).then(|| {
        let slope = sxy / sxx;
        (mean_y - slope * mean_x, slope)
    })
}

/// Robust scale (1.4826 MAD) of the residuals of `points` around a line, floored by `floor`
/// and by `relative` × the points' median level (a flat reference must not make noise look
/// huge).
fn residual_scale(points: &[(f64, f64)], line: (f64, f64), floor: f64, relative: f64) -> f64 {
    let mut residuals: Vec<f64> = points
        .iter()
        .map(|(x, y)| y - (line.0 + line.1 * x))
        .collect();
    let center = median(&mut residuals);
    let mut deviations: Vec<f64> = residuals.iter().map(|r| (r - center).abs()).collect();
    let mad = median(&mut deviations);
    let mut levels: Vec<f64> = points.iter().map(|p| p.1).collect();
    let level = median(&mut levels);
    (1.4826 * mad).max(relative * level.abs()).max(floor)
}

/// The rise of a series whose slope grew: a leak fills memory at a steady rate, so the
/// level it reaches may still lie inside the reference's range (a GC sawtooth, another day's
/// heap size) while no reference ever climbed like that. A level comparison misses it; this
/// compares slopes.
///
/// The model is a hinge: the series follows the reference slope (the baseline's line when
/// there is one, else its own slope before the split) and from one split on climbs at a
/// steeper rate. The split is the one whose hinge explains most of the variance (a
/// change-point fit, so the onset is where the climb starts rather than where the rise
/// looks largest); the strength is the extra rise from the split to the end, beyond the
/// reference slope, in robust scales of the reference's residuals around its line. The
/// climb must go on through the later part (its second half above its first by a quarter
/// of the rise), and the hinge must fit better than a step at any split, so a step up,
/// which a hinge fits partly, is not a trend.
pub(super) fn upward_trend(
    series: &[Option<f64>],
    baseline: &[Option<f64>],
    floor: f64,
    relative: f64,
) -> Option<Shift> {
    let points: Vec<(f64, f64)> = series
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
        .collect();
    let reference: Vec<(f64, f64)> = baseline
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
        .collect();
    let n = points.len();
    if n < 8 {
        return None;
    }
    // With a baseline the series is taken to follow the baseline's slope before the split
    // (so the climb may start at the first point); without one the part before the split is
    // the reference and must be long enough to have a slope and a spread.
    let baseline_line = (reference.len() >= 8)
        .then(|| line_fit(&reference))
        .flatten();
    let shortest_after = (n / 6).max(5);
    let first_split = if baseline_line.is_some() { 0 } else { 5 };
    if n < first_split + shortest_after {
        return None;
    }
    // The best split of a regressor that starts at a point: its gain and the point.
    let best_split = |regressor: &dyn Fn(f64, f64) -> f64| -> Option<(f64, usize)> {
        let mut best: Option<(f64, usize)> = None;
        for split in first_split..=n - shortest_after {
            let start = points[split].0;
            let column: Vec<f64> = points.iter().map(|p| regressor(p.0, start)).collect();
            let gain = match baseline_line {
                // y − reference slope·x = α + γ·column.
                Some((_, reference_slope)) => {
                    let target: Vec<f64> =
                        points.iter().map(|p| p.1 - reference_slope * p.0).collect();
                    hinge_gain(&column, &target, None)
                }
                // y = α + β·x + γ·column.
                None => {
                    let target: Vec<f64> = points.iter().map(|p| p.1).collect();
                    let x: Vec<f64> = points.iter().map(|p| p.0).collect();
                    hinge_gain(&column, &target, Some(&x))
                }
            };
            if let Some(gain) = gain {
                if best.is_none_or(|(g, _)| gain > g) {
                    best = Some((gain, split));
                }
            }
        }
        best
    };
    let best = best_split(&|x, start| (x - start).max(0.0));
    // A climb fits a hinge better than any step; a step up that stayed (a cache filled, a
    // bigger heap after a restart) fits a step better, however steep its hinge fit looks.
    let step = best_split(&|x, start| if x >= start { 1.0 } else { 0.0 });
    if let (Some((hinge_gain, _)), Some((step_gain, _))) = (best, step) {
        if step_gain >= hinge_gain {
            return None;
        }
    }
    let (_, split) = best?;
    let after = &points[split..];
    let (_, after_slope) = line_fit(after)?;
    let (reference_slope, scale, reference_level) = match baseline_line {
        Some(line) => {
            let mut levels: Vec<f64> = reference.iter().map(|p| p.1).collect();
            (
                line.1,
                residual_scale(&reference, line, floor, relative),
                median(&mut levels),
            )
        }
        None => {
            let before = &points[..split];
            let line = line_fit(before)?;
            let mut levels: Vec<f64> = before.iter().map(|p| p.1).collect();
            (
                line.1,
                residual_scale(before, line, floor, relative),
                median(&mut levels),
            )
        }
    };
    let span = after[after.len() - 1].0 - after[0].0;
    let rise = (after_slope - reference_slope) * span;
    if rise <= 0.0 {
        return None;
    }
    // The climb goes on: detrended by the reference slope, the later half of the after part
    // sits above its earlier half (a linear climb: by half the rise; a step: not at all).
    let half = after.len() / 2;
    let detrended = |part: &[(f64, f64)]| {
        let mut values: Vec<f64> = part.iter().map(|p| p.1 - reference_slope * p.0).collect();
        median(&mut values)
    };
    if detrended(&after[half..]) - detrended(&after[..half]) < 0.25 * rise {
        return None;
    }
    let end_level = after[after.len() - 1].1;
    Some(Shift {
        z: (rise / scale).min(200.0),
        onset: points[split].0 as usize,
        before: reference_level,
        after: end_level.max(reference_level),
        rising: true,
    })
}

/// How much of the variance of `target` a regressor (a hinge, a step) explains beyond an
/// intercept (and beyond a line in `x` when given): γ²·|h̃|² for an upward γ, `None`
/// otherwise.
fn hinge_gain(hinge: &[f64], target: &[f64], x: Option<&[f64]>) -> Option<f64> {
    let count = hinge.len() as f64;
    let centre = |values: &[f64]| {
        let mean = values.iter().sum::<f64>() / count;
        values.iter().map(|v| v - mean).collect::<Vec<f64>>()
    };
    let mut hinge = centre(hinge);
    let mut target = centre(target);
    if let Some(x) = x {
        // Residualise both on the centred x (Frisch–Waugh): the hinge's effect beyond a line.
        let x = centre(x);
        let sxx: f64 = x.iter().map(|v| v * v).sum();
        if sxx <= 0.0 {
            return None;
        }
        for values in [&mut hinge, &mut target] {
            let coefficient = values.iter().zip(&x).map(|(v, x)| v * x).sum::<f64>() / sxx;
            for (v, x) in values.iter_mut().zip(&x) {
                *v -= coefficient * x;
            }
        }
    }
    let shh: f64 = hinge.iter().map(|v| v * v).sum();
    if shh <= 1e-12 {
        return None;
    }
    let gamma = hinge.iter().zip(&target).map(|(h, y)| h * y).sum::<f64>() / shh;
    (gamma > 0.0).then_some(gamma * gamma * shh)
}
