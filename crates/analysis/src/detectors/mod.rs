//! Online metric anomaly detectors behind one trait, and the ensemble that combines them.
//!
//! Every detector has the same shape: a documented config struct (`...Config`, with
//! defaults) whose `build()` validates it and returns the runtime detector, which then scores
//! one point at a time with [`OnlineDetector::update`]. Scoring is **online**: a point's
//! score depends only on that point and the points before it, so the same code serves a
//! stream and a file, and the scores of a prefix never change when more data arrives.
//!
//! Each detector turns its raw statistic into a calibrated p-value (see `calibrate`) and a
//! score in [0, 1] (`-log10(p) / 6`), so scores mean the same across detectors and series.
//! The [`Ensemble`] takes the smallest p-value, corrects it for the number of detectors
//! (Bonferroni) and reports each anomaly episode once (a refractory period after an alarm).
//!
//! Registry (the [`DetectorConfig`] variants):
//! - `rolling_robust`: robust z-score against a rolling median and interquartile range;
//! - `seasonal`: residual against the median of the same phase of earlier periods; the period
//!   is found in the data (`period`: autocorrelation on a bounded grid) or configured;
//! - `change_point`: two-sided Page CUSUM for level shifts, restarting at each change;
//! - `trend`: time-to-full of a bounded metric (saturation, e.g. a disk filling up);
//! - `isolation_forest`: Isolation Forest over a window of recent changes (seeded).

mod calibrate;
mod change_point;
mod ensemble;
mod isolation_forest;
mod math;
mod period;
mod rolling_robust;
mod seasonal;
mod trend;

pub use calibrate::{p_value_of_score, score_of_p_value};
pub use change_point::{ChangePoint, ChangePointConfig};
pub use ensemble::{Ensemble, EnsembleConfig};
pub use isolation_forest::{IsolationForest, IsolationForestConfig};
pub use rolling_robust::{RollingRobust, RollingRobustConfig};
pub use seasonal::{Seasonal, SeasonalConfig};
pub use trend::{fit_saturation, Saturation, Trend, TrendConfig};

use serde::Deserialize;

/// What a detector says about one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointScore {
    /// Calibrated anomaly score in [0, 1]; 0.5 is a p-value of 0.001, 1 is 1e-6 or less.
    pub score: f64,
    /// The calibrated p-value: how likely a point at least this unusual is under normal
    /// behaviour of this series.
    pub p_value: f64,
    /// The detector's own statistic (a z-score, a CUSUM sum, ...), for explanations.
    pub raw: f64,
}

impl PointScore {
    /// Nothing to say: warming up, or a value that cannot be scored (NaN).
    pub const QUIET: PointScore = PointScore {
        score: 0.0,
        p_value: 1.0,
        raw: 0.0,
    };

    /// A score from `-log10` of a calibrated p-value (what the calibrators compute: one
    /// exponential here instead of a power and a logarithm).
    pub fn from_decades(decades: f64, raw: f64) -> Self {
        let decades = if decades.is_nan() {
            0.0
        } else {
            decades.max(0.0)
        };
        Self {
            score: (decades / calibrate::SCORE_DECADES).min(1.0),
            p_value: calibrate::p_value_of_decades(decades),
            raw,
        }
    }

    /// A score from a calibrated p-value and the raw statistic.
    pub fn from_p_value(p_value: f64, raw: f64) -> Self {
        let p_value = if p_value.is_nan() {
            1.0
        } else {
            p_value.clamp(0.0, 1.0)
        };
        Self {
            score: score_of_p_value(p_value),
            p_value,
            raw,
        }
    }
}

/// A streaming anomaly detector for one series.
pub trait OnlineDetector: Send + std::fmt::Debug {
    /// The registry name, e.g. `rolling_robust`.
    fn name(&self) -> &'static str;

    /// Scores the next point (time in nanoseconds since the epoch, non-decreasing) and then
    /// learns from it. Non-finite values score [`PointScore::QUIET`] and are not learned.
    fn update(&mut self, time_nanos: i64, value: f64) -> PointScore;

    /// What the detector expects a point at `time_nanos` to be, from the points so far, if
    /// it models the level at all (a plot's band, a finding's "expected value").
    fn expectation(&self, _time_nanos: i64) -> Option<Expectation> {
        None
    }
}

/// The value a detector expects next and the robust spread around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expectation {
    /// The expected value (a rolling median, a seasonal median plus the usual residual).
    pub value: f64,
    /// The robust standard deviation around it (never zero).
    pub spread: f64,
}

/// A setting a detector cannot work with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DetectorError {
    /// A value out of its range.
    #[error("detector {detector}: {setting} = {value} is out of range: {expected}")]
    OutOfRange {
        /// The registry name of the detector.
        detector: &'static str,
        /// The setting.
        setting: &'static str,
        /// The rejected value, as text.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// An ensemble without detectors.
    #[error("an ensemble needs at least one detector")]
    EmptyEnsemble,
}

/// What kind of problem a [`DetectorError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectorErrorKind {
    /// A setting is out of range.
    OutOfRange,
    /// No detector was configured.
    EmptyEnsemble,
}

impl DetectorError {
    /// The kind of problem.
    pub fn kind(&self) -> DetectorErrorKind {
        match self {
            Self::OutOfRange { .. } => DetectorErrorKind::OutOfRange,
            Self::EmptyEnsemble => DetectorErrorKind::EmptyEnsemble,
        }
    }
}

/// Checks `condition` or returns an out-of-range error.
pub(crate) fn ensure(
    condition: bool,
    detector: &'static str,
    setting: &'static str,
    value: impl std::fmt::Display,
    expected: &'static str,
) -> Result<(), DetectorError> {
    if condition {
        Ok(())
    } else {
        Err(DetectorError::OutOfRange {
            detector,
            setting,
            value: value.to_string(),
            expected,
        })
    }
}

/// One configured detector: the registry of every detector there is.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DetectorConfig {
    /// Rolling median / interquartile-range z-score.
    RollingRobust(RollingRobustConfig),
    /// Seasonal-median residuals.
    Seasonal(SeasonalConfig),
    /// Level shifts (Page CUSUM).
    ChangePoint(ChangePointConfig),
    /// Saturation: time to full.
    Trend(TrendConfig),
    /// Isolation Forest over recent changes.
    IsolationForest(IsolationForestConfig),
}

impl DetectorConfig {
    /// Validates the settings and builds the detector.
    pub fn build(&self) -> Result<Box<dyn OnlineDetector>, DetectorError> {
        Ok(match self {
            Self::RollingRobust(config) => Box::new(config.build()?),
            Self::Seasonal(config) => Box::new(config.build()?),
            Self::ChangePoint(config) => Box::new(config.build()?),
            Self::Trend(config) => Box::new(config.build()?),
            Self::IsolationForest(config) => Box::new(config.build()?),
        })
    }
}

/// Scores a whole series online with `detector`: element i of the result is the score the
/// detector gave point i having seen points 0..=i only.
pub fn score_series(
    detector: &mut dyn OnlineDetector,
    points: impl IntoIterator<Item = (i64, f64)>,
) -> Vec<PointScore> {
    points
        .into_iter()
        .map(|(time, value)| detector.update(time, value))
        .collect()
}

/// A robust scale that is never zero: the interquartile sigma, else a mean absolute
/// deviation, never below `relative_floor` x |median| nor a tiny absolute floor.
pub(crate) fn floored_sigma(
    iqr_sigma: f64,
    mean_absolute_deviation: f64,
    median: f64,
    relative_floor: f64,
) -> f64 {
    let sigma = if iqr_sigma > 0.0 {
        iqr_sigma
    } else {
        1.253_314 * mean_absolute_deviation
    };
    sigma.max(relative_floor * median.abs()).max(1e-12)
}

#[cfg(test)]
mod tests;
