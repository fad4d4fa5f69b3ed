//! Robust statistics: median, MAD and a scale that never divides by zero.

/// Makes the MAD a consistent estimator of the standard deviation for normal data.
pub(crate) const MAD_TO_SIGMA: f64 = 1.4826;

/// Makes the mean absolute deviation a consistent estimator of the standard deviation for
/// normal data; used when more than half the values are identical and the MAD is zero
/// (Iglewicz and Hoaglin's modified z-score does the same).
pub(crate) const MEAN_AD_TO_SIGMA: f64 = 1.253314;

/// Median of finite values (NaN and infinities are ignored); `None` when there are none.
/// Reorders `values`.
pub(crate) fn median_in_place(values: &mut [f64]) -> Option<f64> {
    let finite = partition_finite(values);
    let values = &mut values[..finite];
    if values.is_empty() {
        return None;
    }
    let length = values.len();
    let middle = length / 2;
    let (lower, upper_middle, _) = values.select_nth_unstable_by(middle, f64::total_cmp);
    let upper_middle = *upper_middle;
    if length % 2 == 1 {
        Some(upper_middle)
    } else {
        let lower_middle = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(lower_middle / 2.0 + upper_middle / 2.0)
    }
}

/// Median of finite values without touching the input.
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut copy = values.to_vec();
    median_in_place(&mut copy)
}

/// Moves the finite values to the front and returns how many there are.
fn partition_finite(values: &mut [f64]) -> usize {
    let mut finite = 0;
    for index in 0..values.len() {
        if values[index].is_finite() {
            values.swap(finite, index);
            finite += 1;
        }
    }
    finite
}

/// Centre and spread of a sample, robust to outliers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RobustScale {
    /// The median.
    pub median: f64,
    /// An estimate of the standard deviation that is never zero unless every value is equal
    /// and the floor is zero too (then `is_degenerate`).
    pub sigma: f64,
}

impl RobustScale {
    /// Median and robust sigma of the finite values: 1.4826 x MAD; when the MAD is zero,
    /// 1.2533 x the mean absolute deviation; never below `relative_floor` x |median|.
    /// `None` when there is no finite value.
    pub fn of(values: &[f64], relative_floor: f64) -> Option<Self> {
        let mut work: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let median = median_in_place(&mut work)?;
        for value in work.iter_mut() {
            *value = (*value - median).abs();
        }
        let mad = median_in_place(&mut work).unwrap_or(0.0);
        let mut sigma = MAD_TO_SIGMA * mad;
        if sigma == 0.0 && !work.is_empty() {
            let mean_absolute = work.iter().sum::<f64>() / work.len() as f64;
            sigma = MEAN_AD_TO_SIGMA * mean_absolute;
        }
        let floor = relative_floor * median.abs();
        Some(Self {
            median,
            sigma: if sigma.is_finite() {
                sigma.max(floor)
            } else {
                floor
            },
        })
    }

    /// True when the sample has no spread at all: every finite value equals the median.
    pub fn is_degenerate(&self) -> bool {
        self.sigma.is_nan() || self.sigma <= 0.0
    }

    /// The robust z-score of `value`; 0 for a degenerate scale.
    #[cfg(test)]
    pub fn z(&self, value: f64) -> f64 {
        if self.is_degenerate() || !value.is_finite() {
            0.0
        } else {
            (value - self.median) / self.sigma
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 5.0, f64::INFINITY]), Some(5.0));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN]), None);
    }

    #[test]
    fn scale_with_outlier_and_with_zero_mad() {
        let scale = RobustScale::of(&[10.0, 11.0, 9.0, 10.0, 10.5, 9.5, 100.0], 0.0)
            .expect("finite values");
        assert_eq!(scale.median, 10.0);
        assert!((scale.sigma - MAD_TO_SIGMA * 0.5).abs() < 1e-12);
        assert!(scale.z(100.0) > 100.0);

        // More than half identical: MAD is 0, the mean absolute deviation takes over.
        let flat_with_spike = [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 100.0];
        let scale = RobustScale::of(&flat_with_spike, 0.0).expect("finite values");
        assert!(scale.sigma > 0.0);
        assert!(scale.z(100.0) > 3.5);

        // Perfectly flat: degenerate, z is 0, nothing divides by zero.
        let scale = RobustScale::of(&[7.0; 20], 0.0).expect("finite values");
        assert!(scale.is_degenerate());
        assert_eq!(scale.z(7.0), 0.0);
        assert_eq!(scale.z(8.0), 0.0);

        // The relative floor keeps a tiny wiggle on a flat series from looking huge.
        let wiggle = [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.001];
        let scale = RobustScale::of(&wiggle, 0.001).expect("finite values");
        assert!(scale.z(5.001) < 1.0);
    }
}
