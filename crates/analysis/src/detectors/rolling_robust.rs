//! Robust z-score of each point against the rolling median and interquartile range of the
//! points before it: spikes and dips on a series without strong seasonality.

use super::calibrate::{Reference, TailCalibrator};
use super::math::SortedWindow;
use super::{ensure, floored_sigma, DetectorError, Expectation, OnlineDetector, PointScore};
use serde::Deserialize;

/// Settings of [`RollingRobust`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RollingRobustConfig {
    /// Points in the rolling reference window.
    pub window: usize,
    /// Points needed before the first score.
    pub min_points: usize,
    /// The scale never goes below this share of |median|, so a flat series with a tiny
    /// wiggle does not look wild.
    pub relative_floor: f64,
    /// Scores remembered by the calibrator before old ones fade (halved).
    pub calibration_memory: usize,
}

impl Default for RollingRobustConfig {
    fn default() -> Self {
        Self {
            window: 256,
            min_points: 16,
            relative_floor: 1e-4,
            calibration_memory: 4096,
        }
    }
}

impl RollingRobustConfig {
    /// Validates and builds.
    pub fn build(&self) -> Result<RollingRobust, DetectorError> {
        const NAME: &str = "rolling_robust";
        ensure(self.window >= 8, NAME, "window", self.window, ">= 8")?;
        ensure(
            (4..=self.window).contains(&self.min_points),
            NAME,
            "min_points",
            self.min_points,
            "4..=window",
        )?;
        ensure(
            (0.0..1.0).contains(&self.relative_floor),
            NAME,
            "relative_floor",
            self.relative_floor,
            "0 <= x < 1",
        )?;
        Ok(RollingRobust {
            window: SortedWindow::new(self.window),
            mean_absolute_deviation: 0.0,
            calibrator: TailCalibrator::new(
                Reference::TwoSidedNormal,
                0.25,
                self.calibration_memory,
            ),
            config: self.clone(),
        })
    }
}

/// The runtime state of the rolling robust detector.
#[derive(Debug, Clone)]
pub struct RollingRobust {
    config: RollingRobustConfig,
    window: SortedWindow,
    mean_absolute_deviation: f64,
    calibrator: TailCalibrator,
}

impl RollingRobust {
    /// The current reference level and scale, once warmed up.
    pub fn level_and_scale(&self) -> Option<(f64, f64)> {
        if self.window.len() < self.config.min_points {
            return None;
        }
        let (median, iqr_sigma) = self.window.median_and_sigma()?;
        let sigma = floored_sigma(
            iqr_sigma,
            self.mean_absolute_deviation,
            median,
            self.config.relative_floor,
        );
        Some((median, sigma))
    }
}

impl OnlineDetector for RollingRobust {
    fn name(&self) -> &'static str {
        "rolling_robust"
    }

    fn update(&mut self, _time_nanos: i64, value: f64) -> PointScore {
        if !value.is_finite() {
            return PointScore::QUIET;
        }
        let score = match self.level_and_scale() {
            Some((median, sigma)) => {
                let z = (value - median).abs() / sigma;
                // A slow average of deviations: the fallback scale when over half the window
                // is one value (the interquartile range is then zero).
                self.mean_absolute_deviation += ((value - median).abs().min(10.0 * sigma)
                    - self.mean_absolute_deviation)
                    / 64.0;
                PointScore::from_decades(self.calibrator.observe(z), z)
            }
            None => {
                if let Some(median) = self.window.quantile(0.5) {
                    self.mean_absolute_deviation +=
                        ((value - median).abs() - self.mean_absolute_deviation) / 16.0;
                }
                PointScore::QUIET
            }
        };
        self.window.push(value);
        score
    }

    fn expectation(&self, _time_nanos: i64) -> Option<Expectation> {
        let (value, spread) = self.level_and_scale()?;
        Some(Expectation { value, spread })
    }
}
