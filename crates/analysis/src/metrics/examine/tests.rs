//! The ensemble pass over one series: stretches, shifts and what is left alone.

use super::*;

fn points(values: &[f64]) -> Vec<Point> {
    values
        .iter()
        .enumerate()
        .map(|(index, &value)| Point {
            time: index as i64 * 60_000_000_000,
            value,
            line: index as u64 + 2,
        })
        .collect()
}

use crate::testing::noise;

#[test]
fn a_spike_is_one_stretch_with_its_peak_and_expectation() {
    let mut values: Vec<f64> = noise(120, 3).iter().map(|n| 40.0 + 2.0 * n).collect();
    values[70] = 95.0;
    values[71] = 97.5;
    values[72] = 90.0;
    let verdict = examine(&points(&values), &MetricConfig::default());
    assert_eq!(verdict.scored.len(), 120);
    assert_eq!(verdict.stretches.len(), 1, "{:?}", verdict.stretches);
    let stretch = &verdict.stretches[0];
    assert_eq!(stretch.kind, StretchKind::Excursion);
    assert_eq!(stretch.start, 70);
    assert!(stretch.end <= 72 + MetricConfig::default().merge_gap_points);
    assert!((70..=72).contains(&stretch.peak), "{stretch:?}");
    let expected = stretch.expected.expect("warmed up");
    assert!((expected.value - 40.0).abs() < 1.0, "{expected:?}");
    assert!(!verdict.detector_names(stretch.fired).is_empty());
}

#[test]
fn flat_series_never_alarm() {
    let verdict = examine(&points(&[7.0; 50]), &MetricConfig::default());
    assert!(verdict.stretches.is_empty());
    assert!(verdict.scored.iter().all(|p| p.score == 0.0));
    let mut values = vec![7.0; 50];
    values[25] = 7.000_001;
    let verdict = examine(&points(&values), &MetricConfig::default());
    assert!(verdict.stretches.is_empty(), "{:?}", verdict.stretches);
}

#[test]
fn non_finite_values_are_ignored() {
    let mut values: Vec<f64> = noise(60, 5).iter().map(|n| 10.0 + n).collect();
    values[10] = f64::NAN;
    values[20] = f64::INFINITY;
    values[30] = f64::NEG_INFINITY;
    let verdict = examine(&points(&values), &MetricConfig::default());
    assert_eq!(verdict.points.len(), 57);
    assert_eq!(verdict.scored.len(), 57);
    assert!(verdict.stretches.is_empty(), "{:?}", verdict.stretches);
}

#[test]
fn a_level_shift_is_one_shift_not_a_run_of_anomalies() {
    let values: Vec<f64> = noise(300, 11)
        .iter()
        .enumerate()
        .map(|(index, n)| if index < 200 { 500.0 } else { 900.0 } + 10.0 * n)
        .collect();
    let verdict = examine(&points(&values), &MetricConfig::default());
    let shifts: Vec<&Stretch> = verdict
        .stretches
        .iter()
        .filter(|s| matches!(s.kind, StretchKind::Shift { .. }))
        .collect();
    assert_eq!(shifts.len(), 1, "{:?}", verdict.stretches);
    assert_eq!(shifts[0].start, 200);
    let StretchKind::Shift { before, after, z } = shifts[0].kind else {
        unreachable!("filtered on shifts");
    };
    assert!((before - 500.0).abs() < 10.0 && (after - 900.0).abs() < 10.0);
    assert!(z > 6.0);
}

#[test]
fn a_temporary_excursion_is_not_a_shift() {
    let values: Vec<f64> = noise(300, 13)
        .iter()
        .enumerate()
        .map(|(index, n)| if (140..160).contains(&index) { 900.0 } else { 500.0 } + 10.0 * n)
        .collect();
    let verdict = examine(&points(&values), &MetricConfig::default());
    assert!(!verdict.stretches.is_empty());
    assert!(verdict
        .stretches
        .iter()
        .all(|s| s.kind == StretchKind::Excursion));
    assert_eq!(verdict.stretches[0].start, 140);
}

#[test]
fn short_series_are_not_examined() {
    let verdict = examine(&points(&[1.0, 50.0, 1.0]), &MetricConfig::default());
    assert_eq!(verdict.points.len(), 3);
    assert!(verdict.scored.is_empty() && verdict.stretches.is_empty());
}
