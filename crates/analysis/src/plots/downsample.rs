//! Shape-preserving downsampling: the minimum and maximum of every bucket, plus points that
//! must stay visible (anomalies, evidence) and both ends of the series.
//!
//! Min/max per bucket (rather than LTTB or averaging) is chosen because an incident plot is
//! read for its spikes and dips: the global extremes are always kept, and a spike one point
//! wide never disappears into a bucket average.

/// Indices of the points to keep, ascending, never more than `cap`.
///
/// `priority[i]` is `Some(rank)` for a point that must stay visible (higher ranks win when
/// there are more such points than half the cap); `None` for an ordinary point. Deterministic:
/// the same input gives the same indices.
pub(crate) fn downsample(values: &[f64], priority: &[Option<f64>], cap: usize) -> Vec<usize> {
    let length = values.len();
    if length <= cap {
        return (0..length).collect();
    }
    if cap == 0 {
        return Vec::new();
    }
    let mut kept: Vec<usize> = Vec::with_capacity(cap);
    // The ends anchor the time axis.
    kept.push(0);
    if cap >= 2 {
        kept.push(length - 1);
    }
    // At most half the budget goes to forced points so the shape of the rest survives.
    let forced_budget = (cap / 2).saturating_sub(kept.len());
    let mut forced: Vec<(usize, f64)> = priority
        .iter()
        .enumerate()
        .filter_map(|(index, rank)| rank.map(|rank| (index, rank)))
        .filter(|(index, _)| *index != 0 && *index != length - 1)
        .collect();
    forced.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    kept.extend(forced.iter().take(forced_budget).map(|(index, _)| *index));

    let buckets = (cap - kept.len()) / 2;
    for bucket in 0..buckets {
        let start = bucket * length / buckets;
        let end = (bucket + 1) * length / buckets;
        if let Some((low, high)) = extremes(&values[start..end]) {
            kept.push(start + low);
            kept.push(start + high);
        }
    }
    kept.sort_unstable();
    kept.dedup();
    kept
}

/// Offsets of the first minimum and the first maximum of a non-empty slice (NaN never wins).
fn extremes(values: &[f64]) -> Option<(usize, usize)> {
    let mut low: Option<usize> = None;
    let mut high: Option<usize> = None;
    for (index, value) in values.iter().enumerate() {
        if !value.is_finite() {
            continue;
        }
        if low.is_none_or(|l| *value < values[l]) {
            low = Some(index);
        }
        if high.is_none_or(|h| *value > values[h]) {
            high = Some(index);
        }
    }
    Some((low?, high?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::noise;

    #[test]
    fn short_series_are_kept_whole() {
        let values = [1.0, 2.0, 3.0];
        assert_eq!(downsample(&values, &[None; 3], 500), vec![0, 1, 2]);
        assert_eq!(downsample(&values, &[None; 3], 3), vec![0, 1, 2]);
    }

    #[test]
    fn never_more_than_the_cap_for_any_cap() {
        let values = noise(2_000, 7);
        let mut priority = vec![None; values.len()];
        for index in (0..values.len()).step_by(3) {
            priority[index] = Some(values[index].abs());
        }
        for cap in [0, 1, 2, 3, 4, 5, 7, 10, 64, 499, 500, 1_999, 2_000] {
            let kept = downsample(&values, &priority, cap);
            assert!(kept.len() <= cap, "cap {cap}: kept {}", kept.len());
            assert!(kept.windows(2).all(|pair| pair[0] < pair[1]), "cap {cap}");
            if cap >= 2 {
                assert_eq!(kept.first(), Some(&0));
                assert_eq!(kept.last(), Some(&(values.len() - 1)));
            }
        }
    }

    #[test]
    fn keeps_the_extremes_and_a_one_point_spike() {
        let mut values: Vec<f64> = noise(10_000, 3).iter().map(|n| 50.0 + n).collect();
        values[4_321] = 400.0;
        values[8_765] = -20.0;
        let kept = downsample(&values, &vec![None; values.len()], 500);
        assert!(kept.len() <= 500);
        assert!(kept.contains(&4_321) && kept.contains(&8_765));
        let kept_max = kept.iter().map(|&i| values[i]).fold(f64::MIN, f64::max);
        let kept_min = kept.iter().map(|&i| values[i]).fold(f64::MAX, f64::min);
        assert_eq!((kept_max, kept_min), (400.0, -20.0));
    }

    #[test]
    fn keeps_anomalous_points_even_when_they_are_not_extremes() {
        // A dip to the median of its neighbours is no bucket extreme; flagged, it stays.
        let values: Vec<f64> = noise(5_000, 11).iter().map(|n| 10.0 * n).collect();
        let mut priority = vec![None; values.len()];
        for index in [17, 2_500, 2_501, 4_998] {
            priority[index] = Some(f64::INFINITY);
        }
        let kept = downsample(&values, &priority, 300);
        for index in [17, 2_500, 2_501, 4_998] {
            assert!(kept.contains(&index), "lost {index}");
        }
    }

    #[test]
    fn too_many_anomalies_take_at_most_half_the_cap_by_rank() {
        let values = noise(3_000, 5);
        let priority: Vec<Option<f64>> = (0..values.len()).map(|i| Some(i as f64)).collect();
        let kept = downsample(&values, &priority, 100);
        assert!(kept.len() <= 100);
        // The 48 highest-ranked interior points (after both ends) are all kept.
        for index in (values.len() - 49)..(values.len() - 1) {
            assert!(kept.contains(&index), "lost {index}");
        }
    }

    #[test]
    fn deterministic_and_ignores_non_finite_values() {
        let mut values = noise(4_000, 9);
        values[100] = f64::NAN;
        values[200] = f64::INFINITY;
        let priority = vec![None; values.len()];
        let first = downsample(&values, &priority, 250);
        assert_eq!(first, downsample(&values, &priority, 250));
        assert!(!first.contains(&100) && !first.contains(&200));
    }
}
