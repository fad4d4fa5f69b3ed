//! Settings of the analysis stage, with defaults that serve any upload, and their validation.

use crate::entity::EntityConfig;
use crate::miner::MinerConfig;
use serde::Deserialize;

/// Everything the analysis stage can be tuned with. `Default` is the production setting;
/// deserializing fills missing fields with defaults and rejects unknown ones.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisConfig {
    /// Log template mining.
    pub miner: MinerConfig,
    /// Log rate bursts.
    pub bursts: BurstConfig,
    /// Metric anomalies and level shifts.
    pub metrics: MetricConfig,
    /// Entity-grouped anomalies (request, block, session ids).
    pub entities: EntityConfig,
    /// Findings kept, most important first.
    pub max_findings: usize,
    /// Templates listed in the report, most frequent first.
    pub max_templates_reported: usize,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            miner: MinerConfig::default(),
            bursts: BurstConfig::default(),
            metrics: MetricConfig::default(),
            entities: EntityConfig::default(),
            max_findings: 50,
            max_templates_reported: 500,
        }
    }
}

/// How log rate bursts are found: counts per time bucket of each template and of the error
/// and warning levels, compared with the series' own robust baseline.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BurstConfig {
    /// Roughly how many buckets the incident time span is cut into.
    pub target_buckets: usize,
    /// A bucket is a burst when its count exceeds the median by this many robust standard
    /// deviations (1.4826 x MAD).
    pub mad_threshold: f64,
    /// ... and exceeds the median by this many Poisson standard deviations (sqrt of the
    /// median, at least 1), so small counts never look like bursts.
    pub poisson_sigmas: f64,
    /// ... and is at least this many times the median.
    pub min_ratio: f64,
    /// A burst window (consecutive buckets above the bars) holds at least this many lines.
    pub min_lines: u64,
    /// Series with fewer buckets than this are not examined.
    pub min_buckets: usize,
}

impl Default for BurstConfig {
    fn default() -> Self {
        Self {
            target_buckets: 60,
            mad_threshold: 5.0,
            poisson_sigmas: 4.0,
            min_ratio: 2.0,
            min_lines: 10,
            min_buckets: 8,
        }
    }
}

/// How metric series are examined.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricConfig {
    /// A point whose ensemble score (calibrated, in [0, 1]) reaches this is an alarm; 0.5 is
    /// a p-value of 0.001 after the ensemble's correction for its number of detectors.
    pub alarm_score: f64,
    /// Alarms at most this many points apart belong to one anomalous stretch.
    pub merge_gap_points: usize,
    /// The first share of a series is the detectors' probation (as in NAB): they learn the
    /// series there, and its alarms are not findings (the first rise of a daily wave is not
    /// an incident).
    pub probation_share: f64,
    /// The probation never lasts more than this many points.
    pub max_probation_points: usize,
    /// Timed points a series needs before it is examined.
    pub min_points: usize,
    /// The robust scale never goes below this share of the median's magnitude, so a flat
    /// series with a tiny wiggle is not a level shift.
    pub min_relative_scale: f64,
    /// An anomalous stretch is a level shift when the medians before it and from it on
    /// differ by this many pooled robust standard deviations (and the series ends at the
    /// new level).
    pub shift_threshold: f64,
    /// Share of the variance a saturation line must explain (R^2) to be reported.
    pub saturation_min_fit: f64,
    /// A resource that will be full later than this many hours is not reported.
    pub saturation_horizon_hours: f64,
    /// Points per chart of an anomalous series at most (thinned beyond).
    pub plot_points: usize,
    /// Points kept per series; later points are counted but not examined.
    pub max_points_per_series: usize,
    /// Series kept; samples of further series are counted but not examined.
    pub max_series: usize,
}

impl Default for MetricConfig {
    fn default() -> Self {
        Self {
            alarm_score: 0.5,
            merge_gap_points: 8,
            probation_share: 0.15,
            max_probation_points: 2016,
            min_points: 12,
            min_relative_scale: 0.001,
            shift_threshold: 6.0,
            saturation_min_fit: 0.8,
            saturation_horizon_hours: 7.0 * 24.0,
            plot_points: 600,
            max_points_per_series: 200_000,
            max_series: 10_000,
        }
    }
}

/// A setting outside its usable range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The value is out of range.
    #[error("analysis setting {field} = {value} is out of range: {expected}")]
    OutOfRange {
        /// Dotted path of the setting, e.g. `metrics.alarm_score`.
        field: &'static str,
        /// The rejected value, as text.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
}

/// What kind of problem a [`ConfigError`] is, for callers that map errors to responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// A value is out of range.
    OutOfRange,
}

impl ConfigError {
    /// The kind of problem.
    pub fn kind(&self) -> ConfigErrorKind {
        match self {
            Self::OutOfRange { .. } => ConfigErrorKind::OutOfRange,
        }
    }
}

fn check(
    ok: bool,
    field: &'static str,
    value: impl ToString,
    expected: &'static str,
) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            value: value.to_string(),
            expected,
        })
    }
}

fn positive(value: f64) -> bool {
    value.is_finite() && value > 0.0
}

impl AnalysisConfig {
    /// Checks every setting. [`crate::Analyzer::new`] never fails: it replaces invalid
    /// values with defaults, so call this at start-up to report a bad configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let miner = &self.miner;
        check(
            miner.similarity_threshold > 0.0 && miner.similarity_threshold <= 1.0,
            "miner.similarity_threshold",
            miner.similarity_threshold,
            "greater than 0 and at most 1",
        )?;
        check(
            miner.max_children >= 1,
            "miner.max_children",
            miner.max_children,
            "at least 1",
        )?;
        check(
            miner.max_templates >= 1,
            "miner.max_templates",
            miner.max_templates,
            "at least 1",
        )?;
        check(
            miner.max_tokens >= 1,
            "miner.max_tokens",
            miner.max_tokens,
            "at least 1",
        )?;
        check(
            miner.max_vocabulary >= 1,
            "miner.max_vocabulary",
            miner.max_vocabulary,
            "at least 1",
        )?;
        let bursts = &self.bursts;
        check(
            bursts.target_buckets >= 4,
            "bursts.target_buckets",
            bursts.target_buckets,
            "at least 4",
        )?;
        check(
            positive(bursts.mad_threshold),
            "bursts.mad_threshold",
            bursts.mad_threshold,
            "a positive number",
        )?;
        check(
            positive(bursts.poisson_sigmas),
            "bursts.poisson_sigmas",
            bursts.poisson_sigmas,
            "a positive number",
        )?;
        check(
            bursts.min_ratio.is_finite() && bursts.min_ratio >= 1.0,
            "bursts.min_ratio",
            bursts.min_ratio,
            "at least 1",
        )?;
        check(
            bursts.min_buckets >= 3,
            "bursts.min_buckets",
            bursts.min_buckets,
            "at least 3",
        )?;
        let metrics = &self.metrics;
        check(
            metrics.alarm_score > 0.0 && metrics.alarm_score <= 1.0,
            "metrics.alarm_score",
            metrics.alarm_score,
            "greater than 0 and at most 1",
        )?;
        check(
            metrics.min_points >= 5,
            "metrics.min_points",
            metrics.min_points,
            "at least 5",
        )?;
        check(
            (0.0..1.0).contains(&metrics.probation_share),
            "metrics.probation_share",
            metrics.probation_share,
            "at least 0 and below 1",
        )?;
        check(
            (0.0..=1.0).contains(&metrics.saturation_min_fit),
            "metrics.saturation_min_fit",
            metrics.saturation_min_fit,
            "between 0 and 1",
        )?;
        check(
            positive(metrics.saturation_horizon_hours),
            "metrics.saturation_horizon_hours",
            metrics.saturation_horizon_hours,
            "a positive number",
        )?;
        check(
            metrics.plot_points >= 2,
            "metrics.plot_points",
            metrics.plot_points,
            "at least 2",
        )?;
        check(
            metrics.min_relative_scale.is_finite() && metrics.min_relative_scale >= 0.0,
            "metrics.min_relative_scale",
            metrics.min_relative_scale,
            "zero or a positive number",
        )?;
        check(
            positive(metrics.shift_threshold),
            "metrics.shift_threshold",
            metrics.shift_threshold,
            "a positive number",
        )?;
        check(
            metrics.max_points_per_series >= metrics.min_points,
            "metrics.max_points_per_series",
            metrics.max_points_per_series,
            "at least metrics.min_points",
        )?;
        check(
            metrics.max_series >= 1,
            "metrics.max_series",
            metrics.max_series,
            "at least 1",
        )?;
        check(
            self.max_findings >= 1,
            "max_findings",
            self.max_findings,
            "at least 1",
        )?;
        Ok(())
    }

    /// A copy with every invalid value replaced by its default.
    pub(crate) fn sanitized(&self) -> Self {
        let defaults = Self::default();
        let mut config = self.clone();
        if !(config.miner.similarity_threshold > 0.0 && config.miner.similarity_threshold <= 1.0) {
            config.miner.similarity_threshold = defaults.miner.similarity_threshold;
        }
        let bursts = &mut config.bursts;
        bursts.target_buckets = bursts.target_buckets.max(4);
        if !positive(bursts.mad_threshold) {
            bursts.mad_threshold = defaults.bursts.mad_threshold;
        }
        if !positive(bursts.poisson_sigmas) {
            bursts.poisson_sigmas = defaults.bursts.poisson_sigmas;
        }
        if !(bursts.min_ratio.is_finite() && bursts.min_ratio >= 1.0) {
            bursts.min_ratio = defaults.bursts.min_ratio;
        }
        bursts.min_buckets = bursts.min_buckets.max(3);
        let metrics = &mut config.metrics;
        if !(metrics.alarm_score > 0.0 && metrics.alarm_score <= 1.0) {
            metrics.alarm_score = defaults.metrics.alarm_score;
        }
        metrics.min_points = metrics.min_points.max(5);
        if !(0.0..1.0).contains(&metrics.probation_share) {
            metrics.probation_share = defaults.metrics.probation_share;
        }
        if !(0.0..=1.0).contains(&metrics.saturation_min_fit) {
            metrics.saturation_min_fit = defaults.metrics.saturation_min_fit;
        }
        if !positive(metrics.saturation_horizon_hours) {
            metrics.saturation_horizon_hours = defaults.metrics.saturation_horizon_hours;
        }
        metrics.plot_points = metrics.plot_points.max(2);
        if !(metrics.min_relative_scale.is_finite() && metrics.min_relative_scale >= 0.0) {
            metrics.min_relative_scale = defaults.metrics.min_relative_scale;
        }
        if !positive(metrics.shift_threshold) {
            metrics.shift_threshold = defaults.metrics.shift_threshold;
        }
        metrics.max_points_per_series = metrics.max_points_per_series.max(metrics.min_points);
        metrics.max_series = metrics.max_series.max(1);
        config.max_findings = config.max_findings.max(1);
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_partial_json_fills_defaults() {
        assert_eq!(AnalysisConfig::default().validate(), Ok(()));
        let config: AnalysisConfig =
            serde_json::from_str(r#"{"max_findings": 10, "metrics": {"alarm_score": 0.6}}"#)
                .expect("valid json");
        assert_eq!(config.max_findings, 10);
        assert_eq!(config.metrics.alarm_score, 0.6);
        assert_eq!(
            config.metrics.min_points,
            MetricConfig::default().min_points
        );
        assert!(serde_json::from_str::<AnalysisConfig>(r#"{"max_findingz": 1}"#).is_err());
    }

    #[test]
    fn invalid_values_are_reported_and_sanitized() {
        let mut config = AnalysisConfig::default();
        config.metrics.alarm_score = f64::NAN;
        let error = config.validate().expect_err("nan threshold");
        assert_eq!(error.kind(), ConfigErrorKind::OutOfRange);
        assert!(error.to_string().contains("metrics.alarm_score"));
        let sanitized = config.sanitized();
        assert_eq!(sanitized.validate(), Ok(()));
        assert_eq!(sanitized.metrics.alarm_score, 0.5);
    }
}
