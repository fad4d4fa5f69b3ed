//! Tests of the online detectors: the online property, what each detector catches, and
//! what it leaves alone.

use super::*;

const MINUTE: i64 = 60_000_000_000;

use crate::testing::noise;

/// `values` at one point every `step` nanoseconds.
fn timed(values: &[f64], step: i64) -> Vec<(i64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(index, &value)| (index as i64 * step, value))
        .collect()
}

fn scores(config: &DetectorConfig, points: &[(i64, f64)]) -> Vec<f64> {
    let mut detector = config.build().expect("valid config");
    score_series(detector.as_mut(), points.iter().copied())
        .iter()
        .map(|s| s.score)
        .collect()
}

fn ensemble_scores(points: &[(i64, f64)]) -> Vec<f64> {
    let mut ensemble = EnsembleConfig::default().build().expect("valid config");
    score_series(&mut ensemble, points.iter().copied())
        .iter()
        .map(|s| s.score)
        .collect()
}

/// Five days of a noisy daily wave at 5-minute steps, with a spike, a flat stretch and a
/// level shift, so every detector has something to do.
fn busy_series() -> Vec<(i64, f64)> {
    let step = 5 * MINUTE;
    let per_day = 288;
    let mut values: Vec<f64> = noise(5 * per_day, 17)
        .iter()
        .enumerate()
        .map(|(index, n)| {
            let phase = (index % per_day) as f64 / per_day as f64;
            50.0 + 20.0 * (std::f64::consts::TAU * phase).sin() + 2.0 * n
        })
        .collect();
    values[700] += 40.0;
    for value in &mut values[900..960] {
        *value = 50.0;
    }
    for value in &mut values[1200..] {
        *value += 25.0;
    }
    values[1300] = f64::NAN;
    timed(&values, step)
}

fn all_configs() -> Vec<DetectorConfig> {
    let mut configs = EnsembleConfig::default().detectors;
    configs.push(DetectorConfig::Trend(TrendConfig {
        capacity: Some(120.0),
        ..TrendConfig::default()
    }));
    configs
}

#[test]
fn scores_of_a_prefix_equal_the_full_series_scores_on_that_prefix() {
    let points = busy_series();
    for config in all_configs() {
        let full = scores(&config, &points);
        for cut in [1, 17, 300, 701, 1000, 1201] {
            let prefix = scores(&config, &points[..cut]);
            assert_eq!(prefix, full[..cut], "{config:?} at {cut}");
        }
        assert!(full.iter().all(|s| (0.0..=1.0).contains(s)), "{config:?}");
    }
    let full = ensemble_scores(&points);
    for cut in [1, 500, 701, 950, 1300] {
        assert_eq!(
            ensemble_scores(&points[..cut]),
            full[..cut],
            "ensemble at {cut}"
        );
    }
}

#[test]
fn the_ensemble_alarms_at_the_spike_the_flat_stretch_and_the_shift() {
    let points = busy_series();
    let full = ensemble_scores(&points);
    let peak = |range: std::ops::Range<usize>| full[range].iter().copied().fold(0.0f64, f64::max);
    assert!(full[700] >= 0.7, "spike {}", full[700]);
    assert!(peak(900..930) >= 0.6, "flat stretch {}", peak(900..930));
    assert!(peak(1200..1210) >= 0.6, "shift {}", peak(1200..1210));
    assert_eq!(full[1300], 0.0, "NaN scores 0");
    // Quiet stretches of the normal wave stay well below the alarms (after warm-up).
    let quiet_points = (300..690).chain(1000..1190);
    let (loudest, quiet) =
        quiet_points
            .map(|index| (index, full[index]))
            .fold(
                (0, 0.0f64),
                |best, item| if item.1 > best.1 { item } else { best },
            );
    assert!(quiet < 0.5, "quiet part peaks at {quiet} at {loudest}");
}

#[test]
fn rolling_robust_finds_a_spike_and_ignores_white_noise() {
    let mut values: Vec<f64> = noise(2000, 5).iter().map(|n| 10.0 + n).collect();
    values[1500] = 30.0;
    let points = timed(&values, MINUTE);
    let result = scores(
        &DetectorConfig::RollingRobust(RollingRobustConfig::default()),
        &points,
    );
    assert!(result[1500] > 0.75, "{}", result[1500]);
    let others = result[100..]
        .iter()
        .enumerate()
        .filter(|(i, _)| i + 100 != 1500);
    assert!(others.map(|(_, &s)| s).fold(0.0f64, f64::max) < 0.5);
}

#[test]
fn a_flat_series_stays_at_zero_until_it_moves() {
    let mut values = vec![7.0; 500];
    values[400] = 7.5;
    let points = timed(&values, MINUTE);
    let result = ensemble_scores(&points);
    assert!(result[..400].iter().all(|&s| s == 0.0));
    assert!(result[400] > 0.7, "{}", result[400]);
}

#[test]
fn the_change_point_detector_fires_once_per_shift_and_restarts() {
    let values: Vec<f64> = noise(1200, 11)
        .iter()
        .enumerate()
        .map(|(index, n)| if index < 600 { 100.0 } else { 104.0 } + n)
        .collect();
    let points = timed(&values, MINUTE);
    let mut detector = ChangePointConfig::default().build().expect("valid");
    let result = score_series(&mut detector, points.iter().copied());
    let alarms: Vec<usize> = (0..result.len())
        .filter(|&i| result[i].score >= 0.5)
        .collect();
    assert!(!alarms.is_empty());
    assert!(
        alarms.iter().all(|&i| (600..620).contains(&i)),
        "{alarms:?}"
    );
    let change = detector.last_change_nanos().expect("declared") / MINUTE;
    assert!((600..620).contains(&change), "{change}");
}

#[test]
fn the_seasonal_detector_needs_two_periods_and_then_sees_a_missing_peak() {
    let per_day = 288;
    let mut values: Vec<f64> = noise(4 * per_day, 23)
        .iter()
        .enumerate()
        .map(|(index, n)| {
            let phase = (index % per_day) as f64 / per_day as f64;
            let base = if (0.4..0.5).contains(&phase) {
                100.0
            } else {
                10.0
            };
            base + n
        })
        .collect();
    // Day 4: the peak does not come.
    for value in &mut values[3 * per_day..4 * per_day] {
        *value = 10.0 + (*value - 10.0).min(1.0);
    }
    let points = timed(&values, 5 * MINUTE);
    let result = scores(
        &DetectorConfig::Seasonal(SeasonalConfig::default()),
        &points,
    );
    assert!(result[..2 * per_day].iter().all(|&s| s == 0.0));
    let missing = result[3 * per_day + 116..3 * per_day + 144]
        .iter()
        .copied()
        .fold(0.0f64, f64::max);
    assert!(missing > 0.75, "{missing}");
    let day_three = result[2 * per_day..3 * per_day]
        .iter()
        .copied()
        .fold(0.0f64, f64::max);
    assert!(day_three < 0.5, "{day_three}");
}

#[test]
fn the_isolation_forest_is_reproducible_and_sees_a_change_of_shape() {
    // A sawtooth that suddenly turns into a steady ramp of the same range.
    let values: Vec<f64> = (0..3000)
        .map(|i| {
            if i < 2500 {
                (i % 10) as f64
            } else {
                ((i / 10) % 10) as f64
            }
        })
        .collect();
    let points = timed(&values, MINUTE);
    let config = DetectorConfig::IsolationForest(IsolationForestConfig::default());
    let first = scores(&config, &points);
    assert_eq!(first, scores(&config, &points));
    let before = first[1000..2500].iter().copied().fold(0.0f64, f64::max);
    let after = first[2500..2600].iter().copied().fold(0.0f64, f64::max);
    assert!(after > before, "after {after} before {before}");
    let other_seed = DetectorConfig::IsolationForest(IsolationForestConfig {
        seed: 1,
        ..IsolationForestConfig::default()
    });
    assert_ne!(first, scores(&other_seed, &points));
}

#[test]
fn a_disk_filling_up_is_scored_by_time_to_full() {
    // 1 % per 10 minutes from 40 %: full after 600 minutes.
    let values: Vec<f64> = (0..60).map(|i| 40.0 + 0.1 * i as f64).collect();
    let points = timed(&values, MINUTE);
    let mut trend = TrendConfig {
        capacity: Some(100.0),
        horizon_seconds: 24.0 * 3600.0,
        ..TrendConfig::default()
    }
    .build()
    .expect("valid");
    let result = score_series(&mut trend, points.iter().copied());
    let last = result.last().expect("scored");
    assert!(
        (last.raw / 60.0 - 541.0).abs() < 1.0,
        "{} minutes",
        last.raw / 60.0
    );
    assert!(last.score > 0.5 && last.score < 0.7, "{}", last.score);
    let offline = fit_saturation(&points, 100.0, 30, 0.8).expect("rising");
    assert!((offline.time_to_full_seconds / 60.0 - 541.0).abs() < 1.0);
    assert!((offline.slope_per_hour - 6.0).abs() < 1e-9);
    // Falling or flat: never full.
    let falling: Vec<(i64, f64)> = timed(&[50.0, 49.0, 48.0, 47.0], MINUTE);
    assert_eq!(fit_saturation(&falling, 100.0, 30, 0.0), None);
    // Unknown capacity: quiet.
    let mut unbounded = TrendConfig::default().build().expect("valid");
    assert!(score_series(&mut unbounded, points.iter().copied())
        .iter()
        .all(|s| s.score == 0.0));
}

#[test]
fn bad_settings_are_typed_errors() {
    let error = RollingRobustConfig {
        window: 2,
        ..RollingRobustConfig::default()
    }
    .build()
    .expect_err("too small");
    assert_eq!(error.kind(), DetectorErrorKind::OutOfRange);
    assert_eq!(
        error.to_string(),
        "detector rolling_robust: window = 2 is out of range: >= 8"
    );
    let empty = EnsembleConfig {
        detectors: Vec::new(),
        ..EnsembleConfig::default()
    };
    assert_eq!(
        empty.build().expect_err("empty").kind(),
        DetectorErrorKind::EmptyEnsemble
    );
    assert!(TrendConfig {
        capacity: Some(f64::NAN),
        ..TrendConfig::default()
    }
    .build()
    .is_err());
}

#[test]
fn configs_read_from_toml_like_data() {
    let config: DetectorConfig =
        serde_json::from_str(r#"{"kind":"seasonal","period_seconds":604800}"#).expect("parses");
    assert_eq!(
        config,
        DetectorConfig::Seasonal(SeasonalConfig {
            period_seconds: Some(604_800),
            ..SeasonalConfig::default()
        })
    );
    assert!(serde_json::from_str::<DetectorConfig>(r#"{"kind":"nope"}"#).is_err());
}

#[test]
fn the_automatic_seasonal_detector_learns_a_job_cycle_and_stays_quiet_without_one() {
    // A job runs 6 minutes every 37 minutes; run 30 does not happen.
    let cycle = 37;
    let mut values: Vec<f64> = noise(40 * cycle, 29)
        .iter()
        .enumerate()
        .map(|(index, n)| (if index % cycle < 6 { 60.0 } else { 20.0 }) + 2.0 * n)
        .collect();
    for value in &mut values[30 * cycle..30 * cycle + 6] {
        *value -= 40.0;
    }
    let points = timed(&values, MINUTE);
    let automatic = DetectorConfig::Seasonal(SeasonalConfig::automatic());
    let result = scores(&automatic, &points);
    let missed = result[30 * cycle..30 * cycle + 6]
        .iter()
        .copied()
        .fold(0.0f64, f64::max);
    assert!(missed > 0.75, "missed run scores {missed}");
    let other_runs = result[20 * cycle..30 * cycle]
        .iter()
        .copied()
        .fold(0.0f64, f64::max);
    assert!(other_runs < 0.5, "normal runs score up to {other_runs}");
    // White noise: no period, so no season and no score.
    let aperiodic = timed(&noise(3000, 31), MINUTE);
    assert!(scores(&automatic, &aperiodic).iter().all(|&s| s == 0.0));
}
