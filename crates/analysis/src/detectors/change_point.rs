//! Level shifts and change points: a two-sided Page CUSUM of robust z-scores against the
//! rolling median of the current regime. When the sum passes `restart_at` a change point is
//! declared and the reference restarts from the new regime, so a shift alarms once, early,
//! and the new level becomes normal.

use super::calibrate::{Reference, TailCalibrator};
use super::math::SortedWindow;
use super::{ensure, floored_sigma, DetectorError, OnlineDetector, PointScore};
use serde::Deserialize;

/// Settings of [`ChangePoint`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChangePointConfig {
    /// Points of the current regime kept as the reference.
    pub window: usize,
    /// Points of a (new) regime needed before it is judged.
    pub min_points: usize,
    /// Allowance per point, in robust standard deviations: drifts smaller than this do not
    /// accumulate (0.5 is tuned to shifts of about one sigma).
    pub drift: f64,
    /// One point adds at most this many sigmas, so a lone spike is not a level shift.
    pub clip: f64,
    /// CUSUM value at which the change is declared and the reference restarts.
    pub restart_at: f64,
    /// Scale floor as a share of |median|.
    pub relative_floor: f64,
    /// Scores remembered by the calibrator before old ones fade.
    pub calibration_memory: usize,
}

impl Default for ChangePointConfig {
    fn default() -> Self {
        Self {
            window: 256,
            min_points: 24,
            drift: 0.5,
            clip: 6.0,
            restart_at: 14.0,
            relative_floor: 1e-4,
            calibration_memory: 4096,
        }
    }
}

impl ChangePointConfig {
    /// Validates and builds.
    pub fn build(&self) -> Result<ChangePoint, DetectorError> {
        const NAME: &str = "change_point";
        ensure(self.window >= 8, NAME, "window", self.window, ">= 8")?;
        ensure(
            (4..=self.window).contains(&self.min_points),
            NAME,
            "min_points",
            self.min_points,
            "4..=window",
        )?;
        ensure(self.drift > 0.0, NAME, "drift", self.drift, "> 0")?;
        ensure(self.clip > self.drift, NAME, "clip", self.clip, "> drift")?;
        ensure(
            self.restart_at > 0.0,
            NAME,
            "restart_at",
            self.restart_at,
            "> 0",
        )?;
        Ok(ChangePoint {
            window: SortedWindow::new(self.window),
            upper: 0.0,
            lower: 0.0,
            mean_absolute_deviation: 0.0,
            last_change_nanos: None,
            calibrator: TailCalibrator::new(Reference::Exponential, 0.25, self.calibration_memory),
            config: self.clone(),
        })
    }
}

/// The runtime state of the change point detector.
#[derive(Debug, Clone)]
pub struct ChangePoint {
    config: ChangePointConfig,
    window: SortedWindow,
    upper: f64,
    lower: f64,
    mean_absolute_deviation: f64,
    last_change_nanos: Option<i64>,
    calibrator: TailCalibrator,
}

impl ChangePoint {
    /// When the last change point was declared.
    pub fn last_change_nanos(&self) -> Option<i64> {
        self.last_change_nanos
    }
}

impl OnlineDetector for ChangePoint {
    fn name(&self) -> &'static str {
        "change_point"
    }

    fn update(&mut self, time_nanos: i64, value: f64) -> PointScore {
        if !value.is_finite() {
            return PointScore::QUIET;
        }
        if self.window.len() < self.config.min_points {
            if let Some(median) = self.window.quantile(0.5) {
                self.mean_absolute_deviation +=
                    ((value - median).abs() - self.mean_absolute_deviation) / 16.0;
            }
            self.window.push(value);
            return PointScore::QUIET;
        }
        let Some((median, iqr_sigma)) = self.window.median_and_sigma() else {
            return PointScore::QUIET;
        };
        let sigma = floored_sigma(
            iqr_sigma,
            self.mean_absolute_deviation,
            median,
            self.config.relative_floor,
        );
        let z = ((value - median) / sigma).clamp(-self.config.clip, self.config.clip);
        self.upper = (self.upper + z - self.config.drift).max(0.0);
        self.lower = (self.lower - z - self.config.drift).max(0.0);
        let statistic = self.upper.max(self.lower);
        // Two one-sided sums: twice the one-sided tail.
        let decades = self.calibrator.observe(statistic) - std::f64::consts::LOG10_2;
        if statistic >= self.config.restart_at {
            self.window.clear();
            self.upper = 0.0;
            self.lower = 0.0;
            self.last_change_nanos = Some(time_nanos);
        } else {
            self.mean_absolute_deviation +=
                ((value - median).abs().min(10.0 * sigma) - self.mean_absolute_deviation) / 64.0;
        }
        self.window.push(value);
        PointScore::from_decades(decades, statistic)
    }
}
