//! Seasonality: each point is compared with the median of the same phase (time of day, or of
//! week) on earlier periods, and the residual is scored against the rolling spread of recent
//! residuals. This finds a value that is normal for the series but not for this hour (traffic
//! flat at noon, a nightly batch that did not run), which a level-based detector cannot.
//!
//! The sampling step is learnt from the first timestamps. The period is either configured (a
//! day by default, a week) or found in the data (`period_seconds = None`, see `period`): hourly, daily, weekly or a
//! job's own cycle at any step; until one is found the detector stays quiet, and a series
//! without one never gets a season. Phases are grouped into at most `max_buckets` buckets,
//! and scoring starts once `min_periods` whole periods have been seen. Gaps are fine: the
//! phase comes from the timestamp, not from the row number.

use super::calibrate::{Reference, TailCalibrator};
use super::math::SortedWindow;
use super::period::{DetectedPeriod, PeriodFinder};
use super::{ensure, floored_sigma, DetectorError, Expectation, OnlineDetector, PointScore};
use serde::Deserialize;

/// Timestamp differences looked at to learn the sampling step.
const STEP_SAMPLES: usize = 16;
/// Values per phase bucket at most.
const MAX_RING: usize = 64;
/// Residuals needed before their spread is trusted.
const MIN_RESIDUALS: usize = 32;

/// Settings of [`Seasonal`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeasonalConfig {
    /// The period in seconds (86,400, the default, for daily; 604,800 for weekly); `None`:
    /// found in the data (see [`SeasonalConfig::automatic`]).
    pub period_seconds: Option<u64>,
    /// Phases are grouped into at most this many buckets per period.
    pub max_buckets: usize,
    /// Earlier periods whose same-phase values form the expectation.
    pub periods_kept: usize,
    /// Whole periods to see before scoring.
    pub min_periods: usize,
    /// Residuals in the rolling window that sets their scale.
    pub residual_window: usize,
    /// A period shorter than this many samples is not treated as a season.
    pub min_samples_per_period: usize,
    /// Scale floor as a share of |expected value|.
    pub relative_floor: f64,
    /// Scores remembered by the calibrator before old ones fade.
    pub calibration_memory: usize,
}

impl Default for SeasonalConfig {
    fn default() -> Self {
        Self {
            period_seconds: Some(86_400),
            max_buckets: 288,
            periods_kept: 5,
            min_periods: 2,
            residual_window: 256,
            min_samples_per_period: 8,
            relative_floor: 1e-4,
            calibration_memory: 4096,
        }
    }
}

impl SeasonalConfig {
    /// A season whose period is found in the data (hourly, daily, weekly, a job's cycle).
    pub fn automatic() -> Self {
        Self {
            period_seconds: None,
            ..Self::default()
        }
    }

    /// A weekly season.
    pub fn weekly() -> Self {
        Self {
            period_seconds: Some(7 * 86_400),
            max_buckets: 336,
            periods_kept: 2,
            ..Self::default()
        }
    }

    /// Validates and builds.
    pub fn build(&self) -> Result<Seasonal, DetectorError> {
        const NAME: &str = "seasonal";
        ensure(
            self.period_seconds
                .is_none_or(|seconds| (60..=100 * 365 * 86_400).contains(&seconds)),
            NAME,
            "period_seconds",
            format!("{:?}", self.period_seconds),
            "60 s to 100 years, or none (found in the data)",
        )?;
        ensure(
            (4..=100_000).contains(&self.max_buckets),
            NAME,
            "max_buckets",
            self.max_buckets,
            "4..=100000",
        )?;
        ensure(
            (1..=16).contains(&self.periods_kept),
            NAME,
            "periods_kept",
            self.periods_kept,
            "1..=16",
        )?;
        ensure(
            self.min_periods >= 1,
            NAME,
            "min_periods",
            self.min_periods,
            ">= 1",
        )?;
        ensure(
            self.residual_window >= 16,
            NAME,
            "residual_window",
            self.residual_window,
            ">= 16",
        )?;
        ensure(
            self.min_samples_per_period >= 4,
            NAME,
            "min_samples_per_period",
            self.min_samples_per_period,
            ">= 4",
        )?;
        Ok(Seasonal {
            first_time: None,
            last_time: None,
            steps: Vec::with_capacity(STEP_SAMPLES),
            pending: Vec::with_capacity(STEP_SAMPLES + 1),
            layout: Layout::LearningStep,
            period_nanos: 0,
            anchor_nanos: 0,
            rings: Vec::new(),
            residuals: SortedWindow::new(self.residual_window),
            mean_absolute_residual: 0.0,
            calibrator: TailCalibrator::new(
                Reference::TwoSidedNormal,
                0.25,
                self.calibration_memory,
            ),
            config: self.clone(),
        })
    }
}

/// How phases map to buckets, once the step (and the period) are known.
#[derive(Debug, Clone)]
enum Layout {
    /// Learning the sampling step from the first timestamps.
    LearningStep,
    /// Looking for a period in the data.
    Searching(Box<PeriodFinder>),
    /// The period is too short or the timestamps too irregular: no season.
    Disabled,
    /// `buckets` buckets of `bucket_nanos` of the period each.
    Active { buckets: usize, bucket_nanos: i64 },
}

/// The recent values of one phase bucket: kept sorted (the median is one lookup) with
/// running sums (the spread is two).
#[derive(Debug, Clone)]
struct Ring {
    values: SortedWindow,
    sum: f64,
    sum_of_squares: f64,
}

impl Ring {
    fn new(capacity: usize) -> Self {
        Self {
            values: SortedWindow::new(capacity),
            sum: 0.0,
            sum_of_squares: 0.0,
        }
    }

    fn push(&mut self, value: f64) {
        if let Some(evicted) = self.values.push_evicting(value) {
            self.sum -= evicted;
            self.sum_of_squares -= evicted * evicted;
        }
        self.sum += value;
        self.sum_of_squares += value * value;
    }
}

/// The runtime state of the seasonal detector.
#[derive(Debug, Clone)]
pub struct Seasonal {
    config: SeasonalConfig,
    first_time: Option<i64>,
    last_time: Option<i64>,
    steps: Vec<i64>,
    /// The points seen while learning the step, for the period search.
    pending: Vec<(i64, f64)>,
    layout: Layout,
    period_nanos: i64,
    /// Phases count from here (the epoch for calendar periods).
    anchor_nanos: i64,
    rings: Vec<Ring>,
    residuals: SortedWindow,
    mean_absolute_residual: f64,
    calibrator: TailCalibrator,
}

impl Seasonal {
    /// The sampling step (median of the first steps) once enough are known.
    fn learnt_step(&self) -> i64 {
        let mut steps = self.steps.clone();
        steps.sort_unstable();
        steps[steps.len() / 2]
    }

    /// The layout for `period`, or `Disabled` when a period holds too few samples.
    fn activate(&mut self, step: i64, period: DetectedPeriod) -> Layout {
        if step <= 0 || period.period_nanos <= 0 {
            return Layout::Disabled;
        }
        let samples_per_period = period.period_nanos / step;
        if samples_per_period < self.config.min_samples_per_period as i64 {
            return Layout::Disabled;
        }
        self.period_nanos = period.period_nanos;
        self.anchor_nanos = period.anchor_nanos;
        let buckets = (samples_per_period as usize).min(self.config.max_buckets);
        let per_bucket = (samples_per_period as usize).div_ceil(buckets);
        let ring = (per_bucket * self.config.periods_kept).clamp(1, MAX_RING);
        self.rings = vec![Ring::new(ring); buckets];
        let bucket_nanos = (self.period_nanos / buckets as i64).max(1);
        Layout::Active {
            buckets,
            bucket_nanos,
        }
    }

    /// Once the step is known: the configured period, or the search for one (fed with the
    /// points seen so far).
    fn leave_learning(&mut self) -> Layout {
        let step = self.learnt_step();
        match self.config.period_seconds {
            Some(seconds) => {
                self.pending = Vec::new();
                let period = DetectedPeriod {
                    period_nanos: (seconds as i64).saturating_mul(1_000_000_000),
                    anchor_nanos: 0,
                };
                self.activate(step, period)
            }
            None if step > 0 => {
                let origin = self.first_time.unwrap_or_default();
                let mut finder = PeriodFinder::new(origin, step);
                for (time, value) in std::mem::take(&mut self.pending) {
                    finder.push(time, value);
                }
                Layout::Searching(Box::new(finder))
            }
            None => Layout::Disabled,
        }
    }

    /// A period was found: buckets for it, filled from the search's history (cell means of
    /// the earlier points; each is replaced by real points as the periods go by).
    fn start_season(&mut self, finder: &PeriodFinder, period: DetectedPeriod) -> Layout {
        let step = self.learnt_step();
        let layout = self.activate(step, period);
        if let Layout::Active {
            buckets,
            bucket_nanos,
        } = layout
        {
            let grid = finder.grid();
            let kept = (self.config.periods_kept as i64).saturating_mul(self.period_nanos);
            let newest = grid.cell_middle(grid.values().len().saturating_sub(1));
            for (index, &value) in grid.values().iter().enumerate() {
                let time = grid.cell_middle(index);
                if newest - time < kept {
                    let bucket = self.bucket_of(time, buckets, bucket_nanos);
                    self.rings[bucket].push(value);
                }
            }
        }
        layout
    }

    /// The bucket of a time's phase (integer divisions only: 128-bit ones are slow).
    fn bucket_of(&self, time_nanos: i64, buckets: usize, bucket_nanos: i64) -> usize {
        let phase = time_nanos
            .saturating_sub(self.anchor_nanos)
            .rem_euclid(self.period_nanos);
        ((phase / bucket_nanos) as usize).min(buckets - 1)
    }
}

/// Values the noise at one phase is measured on, when the buckets hold that many.
const SPREAD_MIN_VALUES: usize = 8;

/// The noise level at this phase of the period: the standard deviation of the values of a
/// bucket and, while they are fewer than [`SPREAD_MIN_VALUES`], of the buckets just after it
/// (the ones before were already updated this period: they may hold the anomaly itself);
/// 0 for fewer than five values. Not robust on purpose: noise that is wide at this phase (a
/// busy daytime) must widen the band; at a step of the season (a batch starting) it widens
/// it too, which costs some sensitivity right at the step.
fn neighbourhood_spread(rings: &[Ring], bucket: usize) -> f64 {
    let count = rings.len();
    let (mut length, mut sum, mut sum_of_squares) = (0usize, 0.0, 0.0);
    for offset in 0..count.min(3) {
        if length >= SPREAD_MIN_VALUES {
            break;
        }
        let ring = &rings[(bucket + offset) % count];
        length += ring.values.len();
        sum += ring.sum;
        sum_of_squares += ring.sum_of_squares;
    }
    if length < 5 {
        return 0.0;
    }
    let mean = sum / length as f64;
    let variance = ((sum_of_squares - sum * mean) / (length - 1) as f64).max(0.0);
    // A standard deviation from few values is often too small: widen it about as much as
    // Student's t widens a 99.9 % prediction interval over the normal one.
    variance.sqrt() * (1.0 + 4.0 / (length - 1) as f64)
}

/// Median of a bucket's values and the noise level around it.
fn bucket_summary(rings: &[Ring], bucket: usize) -> Option<(f64, f64)> {
    let median = rings[bucket].values.quantile(0.5)?;
    Some((median, neighbourhood_spread(rings, bucket)))
}

impl Seasonal {
    /// Whether whole periods enough have been seen to judge a point at `time_nanos`.
    fn ready(&self, time_nanos: i64) -> bool {
        self.first_time.is_some_and(|first| {
            time_nanos.saturating_sub(first)
                >= self
                    .period_nanos
                    .saturating_mul(self.config.min_periods as i64)
        }) && self.residuals.len() >= MIN_RESIDUALS
    }

    /// The usual residual and its robust scale around `expected`, never below the spread
    /// the bucket's own values show (noise is often larger at the daily peak than at night).
    fn residual_scale(&self, expected: f64, bucket_spread: f64) -> Option<(f64, f64)> {
        let (centre, iqr_sigma) = self.residuals.median_and_sigma()?;
        let sigma = floored_sigma(
            iqr_sigma,
            self.mean_absolute_residual,
            expected,
            self.config.relative_floor,
        );
        Some((centre, sigma.max(bucket_spread)))
    }
}

impl OnlineDetector for Seasonal {
    fn name(&self) -> &'static str {
        "seasonal"
    }

    fn update(&mut self, time_nanos: i64, value: f64) -> PointScore {
        if !value.is_finite() {
            return PointScore::QUIET;
        }
        self.first_time.get_or_insert(time_nanos);
        let (buckets, bucket_nanos) = match &mut self.layout {
            Layout::Active {
                buckets,
                bucket_nanos,
            } => (*buckets, *bucket_nanos),
            Layout::Disabled => return PointScore::QUIET,
            Layout::LearningStep => {
                if let Some(last) = self.last_time {
                    self.steps.push(time_nanos - last);
                }
                self.last_time = Some(time_nanos);
                if self.config.period_seconds.is_none() {
                    self.pending.push((time_nanos, value));
                }
                if self.steps.len() >= STEP_SAMPLES {
                    self.layout = self.leave_learning();
                }
                return PointScore::QUIET;
            }
            Layout::Searching(finder) => {
                if let Some(period) = finder.push(time_nanos, value) {
                    let finder = std::mem::replace(&mut self.layout, Layout::Disabled);
                    if let Layout::Searching(finder) = finder {
                        self.layout = self.start_season(&finder, period);
                    }
                }
                return PointScore::QUIET;
            }
        };
        let bucket = self.bucket_of(time_nanos, buckets, bucket_nanos);
        let mut score = PointScore::QUIET;
        if let Some((expected, bucket_spread)) = bucket_summary(&self.rings, bucket) {
            let residual = value - expected;
            match self
                .ready(time_nanos)
                .then(|| self.residual_scale(expected, bucket_spread))
                .flatten()
            {
                Some((centre, sigma)) => {
                    let z = (residual - centre).abs() / sigma;
                    score = PointScore::from_decades(self.calibrator.observe(z), z);
                    self.mean_absolute_residual += ((residual - centre).abs().min(10.0 * sigma)
                        - self.mean_absolute_residual)
                        / 64.0;
                }
                None => {
                    self.mean_absolute_residual +=
                        (residual.abs() - self.mean_absolute_residual) / 16.0;
                }
            }
            self.residuals.push(residual);
        }
        self.rings[bucket].push(value);
        score
    }

    fn expectation(&self, time_nanos: i64) -> Option<Expectation> {
        let Layout::Active {
            buckets,
            bucket_nanos,
        } = self.layout
        else {
            return None;
        };
        if !self.ready(time_nanos) {
            return None;
        }
        let (expected, bucket_spread) = bucket_summary(
            &self.rings,
            self.bucket_of(time_nanos, buckets, bucket_nanos),
        )?;
        let (centre, spread) = self.residual_scale(expected, bucket_spread)?;
        Some(Expectation {
            value: expected + centre,
            spread,
        })
    }
}
