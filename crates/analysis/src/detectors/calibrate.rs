//! Turning a detector's raw surprise into a p-value and a score in [0, 1] that mean the same
//! on every series, so one threshold serves a quiet series and a noisy one.
//!
//! A raw statistic (a robust z-score, a CUSUM sum, an isolation depth) is judged two ways:
//! against the reference distribution it would have under normal, well-behaved data (the
//! normal tail, when the statistic has one) and against the statistic's own history on this
//! series (how often values this large happened before). The reference acts as a prior worth
//! [`PRIOR_WEIGHT`] observations: p = (seen at least this large + w x reference) / (seen + w),
//! the count taken one Poisson standard deviation low.
//! On a short history the reference decides; once values this large are routine on the
//! series (a spiky load balancer, a quantised counter) the history does, and they stop
//! alarming, while a value beyond anything seen before still ranks by its reference tail.
//!
//! Bins are linear up to [`LINEAR_BINS`] bin widths and logarithmic beyond (four per
//! doubling), so a series whose scale is degenerate (z-scores in the thousands) still tells
//! a spike twice as large from a routine one.

use super::math::normal_two_sided_tail;

/// How many histogram bins hold the history.
const BINS: usize = 96;
/// Bins of one bin width each; the rest grow by 2^(1/4) each.
const LINEAR_BINS: usize = 64;
/// How many observations the reference distribution is worth against the history.
const PRIOR_WEIGHT: f64 = 32.0;

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
///
/// Counts sit in a Fenwick tree over the bins in reverse order, so "how many at least this
/// large" costs a handful of additions instead of a sum over every bin.
#[derive(Debug, Clone)]
pub(crate) struct TailCalibrator {
    /// Fenwick tree: node i (1-based) sums a range of reversed bins.
    tree: [f64; BINS + 1],
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
            tree: [0.0; BINS + 1],
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
        } else if position < LINEAR_BINS as f64 {
            position as usize
        } else {
            let beyond = 4.0 * (position / LINEAR_BINS as f64).log2();
            (LINEAR_BINS + beyond as usize).min(BINS - 1)
        }
    }

    /// Observations in bin `bin` or above.
    fn at_least(&self, bin: usize) -> f64 {
        let mut node = BINS - bin;
        let mut sum = 0.0;
        while node > 0 {
            sum += self.tree[node];
            node &= node - 1;
        }
        sum
    }

    /// `-log10` of the p-value of `raw` against the history so far (not including `raw`).
    pub fn decades(&self, raw: f64) -> f64 {
        let at_least = self.at_least(self.bin(raw));
        let reference_decades = match self.reference {
            Reference::TwoSidedNormal => normal_tail_decades_compressed(raw),
            Reference::Exponential => compress(raw.max(0.0) * std::f64::consts::LOG10_E),
            Reference::HistoryOnly => {
                return ((self.total + 1.0) / (at_least + 1.0)).log10().max(0.0);
            }
        };
        let reference = p_value_of_decades(reference_decades);
        // A count one Poisson standard deviation low: one or two earlier events this large
        // are weak evidence that such values are routine (an earlier spike must not hide a
        // later anomaly), dozens are strong evidence.
        let routine = (at_least - at_least.sqrt()).max(0.0);
        let p_value = (routine + PRIOR_WEIGHT * reference) / (self.total + PRIOR_WEIGHT);
        (-p_value.max(f64::MIN_POSITIVE).log10()).max(0.0)
    }

    /// The p-value of `raw` against the history so far (not including `raw`).
    #[cfg(test)]
    pub fn p_value(&self, raw: f64) -> f64 {
        p_value_of_decades(self.decades(raw))
    }

    /// Adds `raw` to the history.
    pub fn record(&mut self, raw: f64) {
        let mut node = BINS - self.bin(raw);
        while node <= BINS {
            self.tree[node] += 1.0;
            node += node & node.wrapping_neg();
        }
        self.total += 1.0;
        if self.total >= 2.0 * self.forget_after {
            // Every node is a sum of counts, so halving the nodes halves the counts.
            for count in &mut self.tree {
                *count *= 0.5;
            }
            self.total *= 0.5;
        }
    }

    /// Scores `raw` and then remembers it: the p-value's `-log10` only depends on earlier
    /// values.
    pub fn observe(&mut self, raw: f64) -> f64 {
        let decades = self.decades(raw);
        self.record(raw);
        decades
    }
}

/// Decades of a reference tail after compression: never more than [`REFERENCE_DECADES`].
fn compress(decades: f64) -> f64 {
    REFERENCE_DECADES * (1.0 - (-decades / REFERENCE_DECADES).exp())
}

/// Steps per unit of |z| in the normal-tail table.
const NORMAL_TABLE_STEPS: f64 = 64.0;
/// |z| covered by the table; beyond it the compressed tail is flat to 1e-12.
const NORMAL_TABLE_END: f64 = 40.0;

/// The compressed `-log10` of the two-sided normal tail at |z|, from a table built once and
/// interpolated linearly (the tail needs an `exp` and two logarithms otherwise).
fn normal_tail_decades_compressed(z: f64) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let entries = (NORMAL_TABLE_END * NORMAL_TABLE_STEPS) as usize + 2;
        (0..entries)
            .map(|index| {
                let tail = normal_two_sided_tail(index as f64 / NORMAL_TABLE_STEPS);
                compress(-tail.max(f64::MIN_POSITIVE).log10())
            })
            .collect()
    });
    let position = (z.abs() * NORMAL_TABLE_STEPS).min(NORMAL_TABLE_END * NORMAL_TABLE_STEPS);
    if position.is_nan() {
        return 0.0;
    }
    let below = position as usize;
    let fraction = position - below as f64;
    table[below] + fraction * (table[below + 1] - table[below])
}

/// The p-value `10^-decades`.
pub(crate) fn p_value_of_decades(decades: f64) -> f64 {
    (-decades * std::f64::consts::LN_10).exp()
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
        // The table matches the direct computation.
        for z in [0.0, 0.7, 2.5, 5.9, 13.0, 60.0] {
            let direct = compress(-normal_two_sided_tail(z).max(f64::MIN_POSITIVE).log10());
            assert!(
                (normal_tail_decades_compressed(z) - direct).abs() < 1e-3,
                "{z}"
            );
        }
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
        assert_eq!(calibrator.observe(0.9), 0.0);
        for _ in 0..99 {
            calibrator.record(0.4);
        }
        assert!((calibrator.p_value(0.9) - 2.0 / 101.0).abs() < 1e-12);
    }
}
