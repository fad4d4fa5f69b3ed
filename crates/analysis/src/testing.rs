//! Helpers shared by the crate's unit tests.

/// Deterministic noise in [-1, 1) (fixed-seed LCG), for synthetic series.
pub(crate) fn noise(length: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..length)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}
