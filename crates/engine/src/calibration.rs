//! Calibration of hypothesis confidence: the scores `hypotheses` and `root_causes` compute
//! rank well but are not probabilities. A map fitted on the DEV split of the evaluation
//! scenarios (`./scripts/fit-calibration`, stored as data in `calibration.json`) turns them
//! into the chance the hypothesis is the root cause: Platt scaling in log-odds with a term for
//! the leading hypothesis. It is monotone and never lowers the leader below its rivals, so the
//! ranking is unchanged.

use faultmaven_model::Hypothesis;
use std::sync::OnceLock;

/// The map as fitted (see the module comment); the identity is slope 1, the rest 0.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub(crate) struct CalibrationMap {
    /// Multiplies the log-odds of the raw confidence.
    pub slope: f64,
    /// Added to every hypothesis's log-odds.
    pub intercept: f64,
    /// Added to the log-odds of the hypothesis ranked first.
    #[serde(default)]
    pub leader: f64,
}

/// The fitted map compiled into the binary.
const FITTED: &str = include_str!("../calibration.json");

/// Calibrated confidences stay inside this range: the data never makes a cause certain.
const BOUNDS: (f64, f64) = (0.02, 0.98);

impl CalibrationMap {
    const IDENTITY: Self = Self {
        slope: 1.0,
        intercept: 0.0,
        leader: 0.0,
    };

    /// Parses a map; `None` when the text is not a usable map (a slope that is not positive
    /// or a negative leader term would reorder hypotheses).
    fn parse(text: &str) -> Option<Self> {
        let map: Self = serde_json::from_str(text).ok()?;
        let usable = map.slope.is_finite()
            && map.slope > 0.0
            && map.intercept.is_finite()
            && map.leader.is_finite()
            && map.leader >= 0.0;
        usable.then_some(map)
    }

    /// The compiled-in map (the identity if it could not be read, which a test rules out).
    pub(crate) fn fitted() -> Self {
        static MAP: OnceLock<CalibrationMap> = OnceLock::new();
        *MAP.get_or_init(|| {
            Self::parse(FITTED).unwrap_or_else(|| {
                tracing::warn!("calibration.json is not a usable map; confidences stay raw");
                Self::IDENTITY
            })
        })
    }

    fn apply(&self, confidence: f64, leads: bool) -> f64 {
        let raw = confidence.clamp(1e-4, 1.0 - 1e-4);
        let log_odds = (raw / (1.0 - raw)).ln();
        let shifted =
            self.slope * log_odds + self.intercept + if leads { self.leader } else { 0.0 };
        (1.0 / (1.0 + (-shifted).exp())).clamp(BOUNDS.0, BOUNDS.1)
    }

    /// Sorts `hypotheses` by raw confidence, best first, and calibrates them.
    pub(crate) fn calibrate(&self, hypotheses: &mut [Hypothesis]) {
        hypotheses.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        for (rank, hypothesis) in hypotheses.iter_mut().enumerate() {
            hypothesis.confidence = self.apply(hypothesis.confidence, rank == 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_map_is_usable() {
        assert!(CalibrationMap::parse(FITTED).is_some());
    }

    #[test]
    fn bad_maps_are_refused() {
        assert!(CalibrationMap::parse("{").is_none());
        assert!(CalibrationMap::parse(r#"{"slope": -1, "intercept": 0}"#).is_none());
        assert!(CalibrationMap::parse(r#"{"slope": 1, "intercept": 0, "leader": -2}"#).is_none());
        let map = CalibrationMap::parse(r#"{"slope": 1, "intercept": 0}"#).unwrap();
        assert_eq!(map, CalibrationMap::IDENTITY);
    }

    #[test]
    fn the_map_keeps_the_order_and_stays_bounded() {
        let map = CalibrationMap {
            slope: 1.5,
            intercept: -1.0,
            leader: 2.0,
        };
        let raw = [1.0, 0.9, 0.62, 0.6, 0.3, 0.05, 0.0];
        let mapped: Vec<f64> = raw
            .iter()
            .enumerate()
            .map(|(rank, &c)| map.apply(c, rank == 0))
            .collect();
        assert!(
            mapped.windows(2).all(|pair| pair[0] >= pair[1]),
            "{mapped:?}"
        );
        assert!(mapped.iter().all(|&c| (BOUNDS.0..=BOUNDS.1).contains(&c)));
        let identity = CalibrationMap::IDENTITY;
        assert!((identity.apply(0.7, false) - 0.7).abs() < 1e-9);
    }
}
