//! Turning a detector's raw surprise into a p-value and a score in [0, 1] that mean the same
//! on every series, so one threshold serves a quiet series and a noisy one.
//!
//! A raw statistic (a robust z-score, a CUSUM sum, an isolation depth) is judged two ways:
//! against the reference distribution it would have under normal, well-behaved data (the
//! normal tail, when the statistic has one) and against the statistic's own history on this
//! series (how often values this large happened before). The p-value is the geometric mean of
//! the two: heavy-tailed or quantised series, where large z-scores are routine, are not
//! alarming, and a value far beyond anything seen before still ranks above one just beyond.

use super::math::normal_two_sided_tail;

/// How many histogram bins hold the history.
const BINS: usize = 96;

/// The reference tail is compressed so it never goes below `10^-REFERENCE_DECADES`: one
/// impossible-looking value on a series with a degenerate scale cannot outweigh the history,
/// while a larger deviation still ranks above a smaller one.
const REFERENCE_DECADES: f64 = 8.0;

/// A p-value of `10^-SCORE_DECADES` or smaller is a score of 1.
pub const SCORE_DECADES: f64 = 6.0;

/// The reference distribution of a raw statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Reference {
    /// |z| of a standard normal variable.
    TwoSidedNormal,
    /// A statistic whose tail is about `exp(-s)` (Page's CUSUM with k = 0.5 on unit-variance
    /// data, by Siegmund's approximation).
    Exponential,
    /// No reference: the history alone decides.
    HistoryOnly,
}

/// The history of one raw statistic on one series, forgetting old values gradually.
#[derive(Debug, Clone)]
pub(crate) struct TailCalibrator {
    counts: [f64; BINS],
    total: f64,
    bin_width: f64,
    forget_after: f64,
    reference: Reference,
}

impl TailCalibrator {
    /// `bin_width` is the raw-statistic width of one histogram bin; after `forget_after`
    /// observations every count is halved, so the history reflects the recent regime.
    pub fn new(reference: Reference, bin_width: f64, forget_after: usize) -> Self {
        Self {
            counts: [0.0; BINS],
            total: 0.0,
            bin_width,
            forget_after: forget_after.max(BINS) as f64,
            reference,
        }
    }

    fn bin(&self, raw: f64) -> usize {
        let position = raw / self.bin_width;
        if position.is_nan() || position <= 0.0 {
            0
        } else {
            (position as usize).min(BINS - 1)
        }
    }

    /// The p-value of `raw` against the history so far (not including `raw`).
    pub fn p_value(&self, raw: f64) -> f64 {
        let bin = self.bin(raw);
        let at_least: f64 = self.counts[bin..].iter().sum();
        let historical = (at_least + 1.0) / (self.total + 1.0);
        let reference = match self.reference {
            Reference::TwoSidedNormal => normal_two_sided_tail(raw),
            Reference::Exponential => (-raw).exp().min(1.0),
            Reference::HistoryOnly => return historical,
        };
        let decades = -reference.max(f64::MIN_POSITIVE).log10();
        let compressed = REFERENCE_DECADES * (1.0 - (-decades / REFERENCE_DECADES).exp());
        (historical * 10f64.powf(-compressed)).sqrt()
    }

    /// Adds `raw` to the history.
    pub fn record(&mut self, raw: f64) {
        let bin = self.bin(raw);
        self.counts[bin] += 1.0;
        self.total += 1.0;
        if self.total >= 2.0 * self.forget_after {
            for count in &mut self.counts {
                *count *= 0.5;
            }
            self.total *= 0.5;
        }
    }

    /// Scores `raw` and then remembers it: the p-value only depends on earlier values.
    pub fn observe(&mut self, raw: f64) -> f64 {
        let p_value = self.p_value(raw);
        self.record(raw);
        p_value
    }
}

/// The score in [0, 1] of a p-value: `-log10(p) / 6`, so 0.5 is p = 0.001 and 1 is p <= 1e-6.
pub fn score_of_p_value(p_value: f64) -> f64 {
    if p_value.is_nan() {
        return 0.0;
    }
    (-p_value.max(f64::MIN_POSITIVE).log10() / SCORE_DECADES).clamp(0.0, 1.0)
}

/// The p-value a score stands for (inverse of [`score_of_p_value`]).
pub fn p_value_of_score(score: f64) -> f64 {
    10f64.powf(-score.clamp(0.0, 1.0) * SCORE_DECADES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routine_large_values_stop_being_alarming() {
        let mut calm = TailCalibrator::new(Reference::TwoSidedNormal, 0.25, 10_000);
        let mut calibrator = calm.clone();
        for index in 0..1000 {
            calm.record(0.5);
            calibrator.record(if index % 10 == 0 { 6.0 } else { 0.5 });
        }
        let fresh = calm.p_value(6.0);
        let routine = calibrator.p_value(6.0);
        assert!(routine > 10.0 * fresh, "{routine} vs {fresh}");
        // Beyond everything seen, larger is still more surprising.
        assert!(calibrator.p_value(12.0) < calibrator.p_value(8.0));
    }

    #[test]
    fn score_and_p_value_are_inverse() {
        for score in [0.0, 0.25, 0.5, 0.9, 1.0] {
            assert!((score_of_p_value(p_value_of_score(score)) - score).abs() < 1e-12);
        }
        assert_eq!(score_of_p_value(1.0), 0.0);
        assert_eq!(score_of_p_value(0.0), 1.0);
        assert_eq!(score_of_p_value(f64::NAN), 0.0);
    }

    #[test]
    fn history_only_needs_history() {
        let mut calibrator = TailCalibrator::new(Reference::HistoryOnly, 1.0 / 64.0, 10_000);
        assert_eq!(calibrator.observe(0.9), 1.0);
        for _ in 0..99 {
            calibrator.record(0.4);
        }
        assert!((calibrator.p_value(0.9) - 2.0 / 101.0).abs() < 1e-12);
    }
}
