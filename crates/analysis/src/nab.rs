//! The Numenta Anomaly Benchmark (NAB v1.1) scorer: windows, the scaled sigmoid, the three
//! cost profiles, the corpus-wide threshold sweep and normalisation between the null and the
//! perfect detector, as `shared/datasets/nab-subset/README.md` describes NAB's `sweeper.py`
//! and `optimizer.py`.

/// A cost matrix of NAB (`config/profiles.json`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostProfile {
    /// NAB's name of the profile.
    pub name: &'static str,
    /// Reward for the earliest detection in a window (A_TP).
    pub true_positive: f64,
    /// Cost of one detection outside every window (A_FP).
    pub false_positive: f64,
    /// Cost of a window without detection (A_FN).
    pub false_negative: f64,
}

/// The three NAB profiles: standard, reward low FP rate, reward low FN rate.
pub const PROFILES: [CostProfile; 3] = [
    CostProfile {
        name: "standard",
        true_positive: 1.0,
        false_positive: 0.11,
        false_negative: 1.0,
    },
    CostProfile {
        name: "reward_low_FP_rate",
        true_positive: 1.0,
        false_positive: 0.22,
        false_negative: 1.0,
    },
    CostProfile {
        name: "reward_low_FN_rate",
        true_positive: 1.0,
        false_positive: 0.11,
        false_negative: 2.0,
    },
];

/// One data file: a score per row (in order) and its labelled windows as inclusive row ranges.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredFile {
    /// The detector's score of every row, in [0, 1].
    pub scores: Vec<f64>,
    /// Windows `(first_row, last_row)`, inclusive, sorted, not overlapping.
    pub windows: Vec<(usize, usize)>,
}

/// Rows at the start of a file of `rows` rows that are never scored:
/// min(floor(0.15 N), 750).
pub fn probationary_rows(rows: usize) -> usize {
    (rows * 15 / 100).min(750)
}

/// NAB's scaled sigmoid: 2 / (1 + e^(5x)) - 1.
pub fn scaled_sigmoid(x: f64) -> f64 {
    2.0 / (1.0 + (5.0 * x).exp()) - 1.0
}

/// What one row is worth if it is a detection: `(window index, value)` for rows inside a
/// window, `(None, negative value)` for a false positive.
fn row_values(file: &ScoredFile, profile: &CostProfile) -> Vec<(Option<usize>, f64)> {
    let rows = file.scores.len();
    let mut values = Vec::with_capacity(rows);
    let mut window_index = 0;
    let mut previous: Option<(usize, usize)> = None; // (right edge, width) of the last ended window
    for row in 0..rows {
        while window_index < file.windows.len() && file.windows[window_index].1 < row {
            let (left, right) = file.windows[window_index];
            previous = Some((right, right - left + 1));
            window_index += 1;
        }
        let inside = file
            .windows
            .get(window_index)
            .filter(|(left, right)| (*left..=*right).contains(&row));
        let value = match (inside, previous) {
            (Some(&(left, right)), _) => {
                let width = (right - left + 1) as f64;
                let position = -((right - row + 1) as f64) / width;
                (
                    Some(window_index),
                    profile.true_positive * scaled_sigmoid(position) / scaled_sigmoid(-1.0),
                )
            }
            (None, None) => (None, -profile.false_positive),
            (None, Some((right, width))) => {
                let position = (row - right) as f64 / (width as f64 - 1.0).max(1.0);
                if position > 3.0 {
                    (None, -profile.false_positive)
                } else {
                    (None, profile.false_positive * scaled_sigmoid(position))
                }
            }
        };
        values.push(value);
    }
    values
}

/// The raw score of one file at `threshold`.
pub fn file_score(file: &ScoredFile, threshold: f64, profile: &CostProfile) -> f64 {
    corpus_score(std::slice::from_ref(file), threshold, profile)
}

/// The raw corpus score at one shared `threshold`.
pub fn corpus_score(files: &[ScoredFile], threshold: f64, profile: &CostProfile) -> f64 {
    let mut total = 0.0;
    for file in files {
        let values = row_values(file, profile);
        let mut best: Vec<Option<f64>> = vec![None; file.windows.len()];
        let start = probationary_rows(file.scores.len());
        for (score, value) in file.scores.iter().zip(&values).skip(start) {
            if *score < threshold {
                continue;
            }
            match *value {
                (Some(window), value) => {
                    best[window] = Some(best[window].map_or(value, |b: f64| b.max(value)));
                }
                (None, value) => total += value,
            }
        }
        total += best
            .iter()
            .map(|b| b.unwrap_or(-profile.false_negative))
            .sum::<f64>();
    }
    total
}

/// The threshold NAB's optimiser would pick (it sees the labels: an oracle threshold) and
/// the raw corpus score there. Every distinct score is tried, from the highest down, with
/// the corpus score updated one detection at a time; ties go to the higher threshold.
pub fn optimise_threshold(files: &[ScoredFile], profile: &CostProfile) -> (f64, f64) {
    struct Row {
        score: f64,
        file: usize,
        window: Option<usize>,
        value: f64,
    }
    let mut rows = Vec::new();
    let mut window_offsets = Vec::with_capacity(files.len());
    let mut windows_total = 0;
    for (file_index, file) in files.iter().enumerate() {
        window_offsets.push(windows_total);
        windows_total += file.windows.len();
        let values = row_values(file, profile);
        let start = probationary_rows(file.scores.len());
        for (&score, &(window, value)) in file.scores.iter().zip(&values).skip(start) {
            rows.push(Row {
                score,
                file: file_index,
                window,
                value,
            });
        }
    }
    rows.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut best_in_window: Vec<Option<f64>> = vec![None; windows_total];
    let mut current = -(windows_total as f64) * profile.false_negative;
    // Above every score nothing is detected.
    let mut best = (f64::INFINITY, current);
    let mut index = 0;
    while index < rows.len() {
        let threshold = rows[index].score;
        while index < rows.len() && rows[index].score == threshold {
            let row = &rows[index];
            match row.window {
                Some(window) => {
                    let slot = &mut best_in_window[window_offsets[row.file] + window];
                    let old = slot.unwrap_or(-profile.false_negative);
                    let new = slot.map_or(row.value, |b| b.max(row.value));
                    current += new - old;
                    *slot = Some(new);
                }
                None => current += row.value,
            }
            index += 1;
        }
        if current > best.1 + 1e-12 {
            best = (threshold, current);
        }
    }
    best
}

/// 100 x (raw - null) / (perfect - null).
pub fn normalised_score(raw: f64, raw_null: f64, raw_perfect: f64) -> f64 {
    100.0 * (raw - raw_null) / (raw_perfect - raw_null)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STANDARD: CostProfile = PROFILES[0];

    /// 1000 rows (probation 150), windows at 300..=399 and 700..=799.
    fn file_with(detections: &[usize]) -> ScoredFile {
        let mut scores = vec![0.0; 1000];
        for &row in detections {
            scores[row] = 1.0;
        }
        ScoredFile {
            scores,
            windows: vec![(300, 399), (700, 799)],
        }
    }

    fn normalised(file: &ScoredFile, profile: &CostProfile) -> f64 {
        let (_, raw) = optimise_threshold(std::slice::from_ref(file), profile);
        let windows = file.windows.len() as f64;
        normalised_score(
            raw,
            -windows * profile.false_negative,
            windows * profile.true_positive,
        )
    }

    #[test]
    fn the_sigmoid_has_the_published_values() {
        assert!((scaled_sigmoid(-1.0) - 0.98661).abs() < 1e-5);
        assert!((scaled_sigmoid(-0.5) - 0.84828).abs() < 1e-5);
        assert_eq!(scaled_sigmoid(0.0), 0.0);
        assert_eq!(probationary_rows(1000), 150);
        assert_eq!(probationary_rows(4032), 604);
        assert_eq!(probationary_rows(22_695), 750);
    }

    #[test]
    fn null_detector_is_0_and_perfect_is_100() {
        for profile in &PROFILES {
            let null = ScoredFile {
                scores: vec![0.5; 1000],
                windows: vec![(300, 399), (700, 799)],
            };
            assert!(
                (normalised(&null, profile)).abs() < 1e-9,
                "{}",
                profile.name
            );
            let perfect = file_with(&[300, 700]);
            assert!((normalised(&perfect, profile) - 100.0).abs() < 1e-9);
        }
    }

    #[test]
    fn an_early_detection_beats_a_late_one_and_extra_hits_in_a_window_are_free() {
        let early = file_score(&file_with(&[310, 710]), 0.5, &STANDARD);
        let late = file_score(&file_with(&[390, 790]), 0.5, &STANDARD);
        assert!(early > late && late > 0.0, "{early} {late}");
        let with_extra = file_score(&file_with(&[310, 320, 330, 710]), 0.5, &STANDARD);
        assert!((with_extra - early).abs() < 1e-12);
        // A missed window costs A_FN.
        let one_missed = file_score(&file_with(&[300]), 0.5, &STANDARD);
        assert!((one_missed - (1.0 - 1.0)).abs() < 1e-9);
    }

    #[test]
    fn false_positives_cost_more_far_from_a_window_and_probation_is_free() {
        let base = file_score(&file_with(&[300, 700]), 0.5, &STANDARD);
        let before_any_window = file_score(&file_with(&[200, 300, 700]), 0.5, &STANDARD);
        assert!((base - before_any_window - 0.11).abs() < 1e-12);
        let just_after = file_score(&file_with(&[300, 402, 700]), 0.5, &STANDARD);
        let far_after = file_score(&file_with(&[300, 650, 700]), 0.5, &STANDARD);
        assert!(base - just_after < 0.01, "{}", base - just_after);
        assert!((base - far_after - 0.11).abs() < 1e-4);
        let low_fp = file_score(&file_with(&[200, 300, 700]), 0.5, &PROFILES[1]);
        assert!((2.0 - low_fp - 0.22).abs() < 1e-12);
        let in_probation = file_score(&file_with(&[10, 300, 700]), 0.5, &STANDARD);
        assert_eq!(in_probation, base);
    }

    #[test]
    fn the_sweep_agrees_with_scoring_at_every_threshold() {
        let mut file = file_with(&[]);
        for (row, score) in file.scores.iter_mut().enumerate() {
            *score = ((row * 7919) % 1000) as f64 / 1000.0;
        }
        let files = [file.clone(), file_with(&[310, 900])];
        for profile in &PROFILES {
            let (threshold, raw) = optimise_threshold(&files, profile);
            assert!((corpus_score(&files, threshold, profile) - raw).abs() < 1e-9);
            for step in 0..=20 {
                let other = step as f64 / 20.0;
                assert!(corpus_score(&files, other, profile) <= raw + 1e-9);
            }
        }
    }
}
