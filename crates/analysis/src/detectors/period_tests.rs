//! Tests of period detection: known periods of several shapes and steps are found, and
//! aperiodic series (white noise, strongly correlated noise, random walks, level shifts,
//! trends) get no period.

use super::*;
use crate::testing::noise;

const MINUTE: i64 = 60 * NANOS_PER_SECOND;

/// Roughly normal noise (a sum of three uniform draws, unit variance).
fn normal_noise(length: usize, seed: u64) -> Vec<f64> {
    let draws = noise(3 * length, seed);
    draws
        .chunks_exact(3)
        .map(|c| c.iter().sum::<f64>())
        .collect()
}

/// Feeds `values` at `step` into a finder and returns the first period found, with the
/// index of the point at which it was found.
fn detect(values: &[f64], step: i64) -> Option<(usize, DetectedPeriod)> {
    let origin = 1_700_000_000 * NANOS_PER_SECOND;
    let mut finder = PeriodFinder::new(origin, step);
    values.iter().enumerate().find_map(|(index, &value)| {
        finder
            .push(origin + index as i64 * step, value)
            .map(|period| (index, period))
    })
}

fn assert_period(values: &[f64], step: i64, expected_nanos: f64, tolerance: f64, what: &str) {
    let (at, period) = detect(values, step).unwrap_or_else(|| panic!("{what}: no period"));
    let error = (period.period_nanos as f64 - expected_nanos).abs() / expected_nanos;
    assert!(
        error <= tolerance,
        "{what}: found {} s at point {at}, expected {} s",
        period.period_nanos as f64 / 1e9,
        expected_nanos / 1e9
    );
}

#[test]
fn a_daily_wave_at_five_minute_steps_is_a_day_with_its_time_of_day() {
    let per_day = 288;
    for seed in 1..=4 {
        let values: Vec<f64> = normal_noise(7 * per_day, seed)
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let phase = (i % per_day) as f64 / per_day as f64;
                100.0 + 30.0 * (std::f64::consts::TAU * phase).sin() + 8.0 * n
            })
            .collect();
        let (at, period) = detect(&values, 5 * MINUTE).expect("a period");
        assert_eq!(
            period.period_nanos,
            86_400 * NANOS_PER_SECOND,
            "seed {seed}: {} s at {at}",
            period.period_nanos / NANOS_PER_SECOND
        );
        assert_eq!(
            period.anchor_nanos, 0,
            "calendar periods keep the time of day"
        );
        assert!(at < 5 * per_day, "found late: {at}");
    }
}

#[test]
fn a_job_every_37_minutes_is_found_at_any_step() {
    // A batch job: 5 minutes of high load every 37 minutes, over noise, no calendar period.
    for (step_seconds, seed) in [(60, 3u64), (20, 4), (10, 5)] {
        let step = step_seconds * NANOS_PER_SECOND;
        let points = (40 * 37 * 60 / step_seconds) as usize;
        let values: Vec<f64> = normal_noise(points, seed)
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let seconds = i as i64 * step_seconds;
                let busy = seconds % (37 * 60) < 5 * 60;
                (if busy { 80.0 } else { 20.0 }) + 5.0 * n
            })
            .collect();
        assert_period(
            &values,
            step,
            (37 * MINUTE) as f64,
            0.01,
            &format!("step {step_seconds} s"),
        );
    }
}

#[test]
fn hourly_spikes_on_a_flat_line_are_an_hour() {
    // A cron job: one sample in sixty jumps, the rest are one value (no spread at all).
    let mut values = vec![3.0; 60 * 30];
    for value in values.iter_mut().step_by(60) {
        *value = 9.0;
    }
    let (_, period) = detect(&values, MINUTE).expect("a period");
    assert_eq!(period.period_nanos, 3_600 * NANOS_PER_SECOND);
}

#[test]
fn a_weekly_cycle_with_quiet_weekends_at_hourly_steps_is_a_day_or_a_week() {
    // Weekdays busy by day, weekends quiet: the daily fundamental is found first; a weekly
    // profile alone (one bump per week) is found as a week.
    let hours = 24 * 7 * 6;
    let noise_values = normal_noise(hours, 9);
    let weekly_only: Vec<f64> = (0..hours)
        .map(|h| {
            let day = (h / 24) % 7;
            (if day < 5 { 50.0 } else { 20.0 }) + 3.0 * noise_values[h]
        })
        .collect();
    assert_period(
        &weekly_only,
        60 * MINUTE,
        (7 * 86_400 * NANOS_PER_SECOND) as f64,
        0.0,
        "weekends",
    );
}

#[test]
fn a_ten_second_cycle_at_one_second_steps_is_found_far_below_a_calendar_period() {
    let values: Vec<f64> = normal_noise(4000, 21)
        .iter()
        .enumerate()
        .map(|(i, n)| (std::f64::consts::TAU * i as f64 / 10.0).sin() + 0.3 * n)
        .collect();
    assert_period(&values, NANOS_PER_SECOND, 10e9, 0.005, "10 s");
}

/// Aperiodic series of several kinds and lengths.
fn aperiodic(kind: usize, length: usize, seed: u64) -> Vec<f64> {
    let n = normal_noise(length, seed);
    match kind {
        // White noise.
        0 => n,
        // AR(1) with strong memory.
        1 => {
            let mut level = 0.0;
            n.iter()
                .map(|x| {
                    level = 0.97 * level + x;
                    level
                })
                .collect()
        }
        // A random walk.
        2 => {
            let mut level = 0.0;
            n.iter()
                .map(|x| {
                    level += x;
                    level
                })
                .collect()
        }
        // Level shifts at irregular places (quadratic residues), with irregular spikes.
        3 => n
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let level = ((i * i / 7_919) % 3) as f64 * 5.0;
                let spike = if (i * i) % 9_973 == 1 { 40.0 } else { 0.0 };
                level + x + spike
            })
            .collect(),
        // A trend with noise.
        _ => n
            .iter()
            .enumerate()
            .map(|(i, x)| 0.01 * i as f64 + x)
            .collect(),
    }
}

#[test]
fn aperiodic_noise_has_no_period() {
    let mut false_periods = Vec::new();
    for kind in 0..5 {
        for seed in 0..12u64 {
            for length in [500, 3000, 20_000] {
                let values = aperiodic(kind, length, 1000 + seed);
                if let Some((at, period)) = detect(&values, MINUTE) {
                    false_periods.push((kind, seed, length, at, period.period_nanos / MINUTE));
                }
            }
        }
    }
    assert!(
        false_periods.is_empty(),
        "false periods (kind, seed, length, at, minutes): {false_periods:?}"
    );
}

#[test]
fn the_grid_merges_cells_and_carries_values_over_gaps() {
    let mut grid = TimeGrid::new(0, 10);
    for index in 0..(GRID_CELLS as i64 + 1) {
        grid.push(index * 10, index as f64);
    }
    // Full: merged pairs of 20 time units each.
    assert_eq!(grid.cell_nanos(), 20);
    assert_eq!(grid.values().len(), GRID_CELLS / 2);
    assert_eq!(grid.values()[0], 0.5);
    assert_eq!(grid.values()[3], 6.5);
    assert_eq!(grid.covered(), GRID_CELLS as u64);
    // A gap of three cells repeats the last mean.
    let mut gappy = TimeGrid::new(0, 10);
    for (time, value) in [(0, 1.0), (5, 3.0), (40, 7.0), (50, 8.0)] {
        gappy.push(time, value);
    }
    assert_eq!(gappy.values(), &[2.0, 2.0, 2.0, 2.0, 7.0]);
    assert_eq!(gappy.cell_middle(1), 15);
}

#[test]
fn a_period_search_is_bounded_on_a_long_series() {
    // Twenty million seconds at one-second steps still use a grid of GRID_CELLS values.
    let mut finder = PeriodFinder::new(0, NANOS_PER_SECOND);
    let mut searches = 0;
    let mut last_check = finder.next_check;
    for second in 0..2_000_000i64 {
        finder.push(second * NANOS_PER_SECOND, (second % 7) as f64 * 0.0);
        if finder.next_check != last_check {
            searches += 1;
            last_check = finder.next_check;
        }
    }
    assert!(finder.grid().values().len() <= GRID_CELLS);
    assert!(searches < 60, "{searches} searches");
}
