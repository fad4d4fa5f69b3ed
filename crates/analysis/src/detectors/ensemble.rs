//! The default detector ensemble: several detectors score each point, the smallest p-value
//! wins after a Bonferroni correction for the number of detectors, and an anomaly episode is
//! reported once: for `refractory_points` after an alarm, scores are damped unless they beat
//! the alarm, so a sustained anomaly is one alert and not hundreds.

use super::calibrate::score_of_p_value;
use super::{
    ChangePointConfig, DetectorConfig, DetectorError, Expectation, IsolationForestConfig,
    OnlineDetector, PointScore, RollingRobustConfig, SeasonalConfig,
};
use serde::Deserialize;

/// Settings of [`Ensemble`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnsembleConfig {
    /// The detectors, in the order their contributions are reported.
    pub detectors: Vec<DetectorConfig>,
    /// A score at or above this is an alarm.
    pub alarm_score: f64,
    /// Points after an alarm during which weaker scores are damped.
    pub refractory_points: usize,
    /// What damped scores are multiplied by.
    pub refractory_factor: f64,
}

impl Default for EnsembleConfig {
    fn default() -> Self {
        Self {
            detectors: vec![
                DetectorConfig::RollingRobust(RollingRobustConfig::default()),
                DetectorConfig::Seasonal(SeasonalConfig::default()),
                DetectorConfig::Seasonal(SeasonalConfig::weekly()),
                DetectorConfig::ChangePoint(ChangePointConfig::default()),
                DetectorConfig::IsolationForest(IsolationForestConfig::default()),
            ],
            alarm_score: 0.5,
            refractory_points: 32,
            refractory_factor: 0.5,
        }
    }
}

impl EnsembleConfig {
    /// Validates and builds every detector.
    pub fn build(&self) -> Result<Ensemble, DetectorError> {
        const NAME: &str = "ensemble";
        if self.detectors.is_empty() {
            return Err(DetectorError::EmptyEnsemble);
        }
        super::ensure(
            (0.0..=1.0).contains(&self.alarm_score),
            NAME,
            "alarm_score",
            self.alarm_score,
            "0..=1",
        )?;
        super::ensure(
            (0.0..=1.0).contains(&self.refractory_factor),
            NAME,
            "refractory_factor",
            self.refractory_factor,
            "0..=1",
        )?;
        let detectors = self
            .detectors
            .iter()
            .map(DetectorConfig::build)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Ensemble {
            last_parts: vec![PointScore::QUIET; detectors.len()],
            detectors,
            since_alarm: None,
            alarm: 0.0,
            config: self.clone(),
        })
    }
}

/// The runtime state of the ensemble.
#[derive(Debug)]
pub struct Ensemble {
    config: EnsembleConfig,
    detectors: Vec<Box<dyn OnlineDetector>>,
    last_parts: Vec<PointScore>,
    since_alarm: Option<usize>,
    alarm: f64,
}

impl Ensemble {
    /// Each detector's score for the last point, with its registry name.
    pub fn last_contributions(&self) -> impl Iterator<Item = (&'static str, PointScore)> + '_ {
        self.detectors
            .iter()
            .zip(&self.last_parts)
            .map(|(detector, part)| (detector.name(), *part))
    }

    /// The detector with the smallest p-value for the last point, if any said anything.
    pub fn leading_detector(&self) -> Option<&'static str> {
        self.last_contributions()
            .filter(|(_, part)| part.p_value < 1.0)
            .min_by(|a, b| a.1.p_value.total_cmp(&b.1.p_value))
            .map(|(name, _)| name)
    }

    /// The number of detectors.
    pub fn detector_count(&self) -> usize {
        self.detectors.len()
    }

    /// The score at or above which a point is an alarm.
    pub fn alarm_score(&self) -> f64 {
        self.config.alarm_score
    }
}

impl OnlineDetector for Ensemble {
    fn name(&self) -> &'static str {
        "ensemble"
    }

    fn update(&mut self, time_nanos: i64, value: f64) -> PointScore {
        let mut smallest = 1.0f64;
        for (detector, part) in self.detectors.iter_mut().zip(self.last_parts.iter_mut()) {
            *part = detector.update(time_nanos, value);
            smallest = smallest.min(part.p_value);
        }
        let p_value = (smallest * self.detectors.len() as f64).min(1.0);
        let mut score = score_of_p_value(p_value);
        if let Some(since) = self.since_alarm.as_mut() {
            *since += 1;
            if *since > self.config.refractory_points {
                self.since_alarm = None;
            } else if score <= self.alarm {
                score *= self.config.refractory_factor;
            }
        }
        if score >= self.config.alarm_score {
            self.since_alarm = Some(0);
            self.alarm = score;
        }
        PointScore {
            score,
            p_value,
            raw: score_of_p_value(p_value),
        }
    }

    /// A seasonal expectation when one is ready (it knows the time of day), else the first
    /// detector's that models the level.
    fn expectation(&self, time_nanos: i64) -> Option<Expectation> {
        let of = |seasonal: bool| {
            self.detectors
                .iter()
                .filter(|detector| (detector.name() == "seasonal") == seasonal)
                .find_map(|detector| detector.expectation(time_nanos))
        };
        of(true).or_else(|| of(false))
    }
}
