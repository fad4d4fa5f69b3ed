//! Small numeric helpers for the online detectors: a sorted sliding window, the normal tail,
//! and a seeded random number generator.

use std::collections::VecDeque;

/// The last `capacity` finite values, kept both in arrival order and sorted, so the median
/// and any quantile cost one lookup and an update costs one binary search and one move.
#[derive(Debug, Clone)]
pub(crate) struct SortedWindow {
    capacity: usize,
    arrival: VecDeque<f64>,
    sorted: Vec<f64>,
}

impl SortedWindow {
    /// An empty window that holds at most `capacity` values (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            arrival: VecDeque::with_capacity(capacity),
            sorted: Vec::with_capacity(capacity),
        }
    }

    /// Adds a finite value, dropping the oldest when full; non-finite values are ignored.
    /// When full, the oldest value leaves and the new one enters in one move of the values
    /// between their two positions, not two moves of the whole tail.
    pub fn push(&mut self, value: f64) {
        self.push_evicting(value);
    }

    /// [`SortedWindow::push`], returning the value that left the window, if one did.
    pub fn push_evicting(&mut self, value: f64) -> Option<f64> {
        if !value.is_finite() {
            return None;
        }
        let insert_at = self.sorted.partition_point(|&probe| probe <= value);
        if self.arrival.len() < self.capacity {
            self.arrival.push_back(value);
            self.sorted.insert(insert_at, value);
            return None;
        }
        let oldest = self.arrival.pop_front()?;
        self.arrival.push_back(value);
        // Every stored value is finite, so `<` finds an element equal to `oldest`.
        let remove_at = self
            .sorted
            .partition_point(|&probe| probe < oldest)
            .min(self.sorted.len() - 1);
        if insert_at > remove_at {
            self.sorted.copy_within(remove_at + 1..insert_at, remove_at);
            self.sorted[insert_at - 1] = value;
        } else {
            self.sorted.copy_within(insert_at..remove_at, insert_at + 1);
            self.sorted[insert_at] = value;
        }
        Some(oldest)
    }

    /// Values held.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.arrival.clear();
        self.sorted.clear();
    }

    /// The `q` quantile (0..=1) with linear interpolation; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let last = self.sorted.len().checked_sub(1)?;
        let position = q.clamp(0.0, 1.0) * last as f64;
        // `position` is never negative: truncation is the floor (and needs no libm call).
        let below = position as usize;
        let above = (below + 1).min(last);
        let fraction = position - below as f64;
        Some(self.sorted[below] + fraction * (self.sorted[above] - self.sorted[below]))
    }

    /// Median and a robust sigma (interquartile range / 1.349), `None` when empty.
    pub fn median_and_sigma(&self) -> Option<(f64, f64)> {
        let median = self.quantile(0.5)?;
        let spread = self.quantile(0.75)? - self.quantile(0.25)?;
        Some((median, spread / IQR_TO_SIGMA))
    }
}

/// The interquartile range of a normal distribution in standard deviations.
pub(crate) const IQR_TO_SIGMA: f64 = 1.349;

/// Complementary error function, fractional error below 1.2e-7 everywhere (Chebyshev fit,
/// Numerical Recipes `erfcc`).
pub(crate) fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let polynomial = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let value = t * polynomial.exp();
    if x >= 0.0 {
        value
    } else {
        2.0 - value
    }
}

/// Probability that a standard normal variable is at least `z` away from 0 (two-sided).
pub(crate) fn normal_two_sided_tail(z: f64) -> f64 {
    if z.is_nan() {
        return 1.0;
    }
    erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// SplitMix64: tiny, fast and fully determined by its seed.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..bound (bound > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound.max(1) as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_window_slides_and_gives_quantiles() {
        let mut window = SortedWindow::new(5);
        for value in [5.0, 1.0, 4.0, 2.0, 3.0, f64::NAN] {
            window.push(value);
        }
        assert_eq!(window.len(), 5);
        assert_eq!(window.quantile(0.5), Some(3.0));
        window.push(10.0); // drops 5.0: [1, 2, 3, 4, 10]
        assert_eq!(window.quantile(0.0), Some(1.0));
        assert_eq!(window.quantile(1.0), Some(10.0));
        assert_eq!(window.quantile(0.5), Some(3.0));
        let (median, sigma) = window.median_and_sigma().expect("values");
        assert_eq!(median, 3.0);
        assert!((sigma - 2.0 / IQR_TO_SIGMA).abs() < 1e-12);
        window.clear();
        assert_eq!(window.quantile(0.5), None);
    }

    #[test]
    fn sorted_window_matches_a_sort_of_the_last_values() {
        let mut random = SplitMix64::new(3);
        let mut window = SortedWindow::new(17);
        let mut all = Vec::new();
        for _ in 0..500 {
            // Few distinct values, so ties are common.
            let value = (random.below(9) as f64) - 4.0;
            window.push(value);
            all.push(value);
            let mut expected: Vec<f64> = all[all.len().saturating_sub(17)..].to_vec();
            expected.sort_by(f64::total_cmp);
            assert_eq!(window.sorted, expected);
        }
    }

    #[test]
    fn normal_tail_matches_known_values() {
        for (z, expected) in [
            (0.0, 1.0),
            (1.0, 0.317_310_5),
            (1.96, 0.049_995_8),
            (3.0, 0.002_699_8),
        ] {
            let tail = normal_two_sided_tail(z);
            assert!(
                (tail - expected).abs() < 1e-6,
                "z {z}: {tail} vs {expected}"
            );
        }
        assert!(normal_two_sided_tail(10.0) < 1e-20);
        assert_eq!(normal_two_sided_tail(f64::NAN), 1.0);
    }

    #[test]
    fn random_numbers_repeat_for_a_seed() {
        let mut first = SplitMix64::new(7);
        let mut second = SplitMix64::new(7);
        for _ in 0..100 {
            let value = first.next_f64();
            assert_eq!(value, second.next_f64());
            assert!((0.0..1.0).contains(&value));
        }
    }
}
