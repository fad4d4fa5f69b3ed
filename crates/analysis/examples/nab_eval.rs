//! Scores the NAB files under `$NAB_SUBSET_DIR` (else `shared/datasets/nab-subset` in a
//! parent folder) with the default online ensemble and prints the NAB scores beside the
//! published scoreboard. Run through `./scripts/eval nab`.

use faultmaven_analysis::detectors::{score_series, EnsembleConfig};
use faultmaven_analysis::nab::{
    corpus_score, normalised_score, optimise_threshold, ScoredFile, PROFILES,
};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[path = "../tests/support/nab.rs"]
mod nab_files;

/// Published NAB v1.1 scoreboard (full 58-file corpus): standard, low FP, low FN.
const PUBLISHED: [(&str, [f64; 3]); 5] = [
    ("ARTime", [74.9, 65.1, 80.4]),
    ("Numenta HTM", [70.1, 63.1, 74.3]),
    ("CAD OSE", [69.9, 67.0, 73.2]),
    ("Windowed Gaussian", [39.6, f64::NAN, f64::NAN]),
    ("Random", [11.0, f64::NAN, f64::NAN]),
];

/// A label-free threshold: the ensemble's own alarm level (p = 0.001).
const FIXED_THRESHOLD: f64 = 0.5;

fn main() -> anyhow::Result<()> {
    let dir: PathBuf = nab_files::dataset_dir();
    let windows_text = std::fs::read_to_string(dir.join("combined_windows.json"))?;
    let windows: BTreeMap<String, Vec<[String; 2]>> = serde_json::from_str(&windows_text)?;
    let mut files = Vec::new();
    println!(
        "{:<52} {:>6} {:>8} {:>11}",
        "file", "rows", "windows", "max score"
    );
    for (name, file_windows) in &windows {
        let text = std::fs::read_to_string(dir.join("data").join(name))?;
        let mut times = Vec::new();
        let mut points = Vec::new();
        for row in text.lines().skip(1) {
            let (time, value) = row
                .split_once(',')
                .ok_or_else(|| anyhow::anyhow!("{name}: no comma in {row:?}"))?;
            let timestamp = nab_files::parse_time(time)
                .ok_or_else(|| anyhow::anyhow!("{name}: bad time {time:?}"))?;
            times.push(time[..19].to_owned());
            points.push((timestamp.unix_nanos(), value.trim().parse::<f64>()?));
        }
        let mut ensemble = EnsembleConfig::default().build()?;
        let scores: Vec<f64> = score_series(&mut ensemble, points.iter().copied())
            .iter()
            .map(|s| s.score)
            .collect();
        let rows: Vec<(usize, usize)> = file_windows
            .iter()
            .filter_map(|[start, end]| {
                let first = times.iter().position(|t| t.as_str() >= &start[..19])?;
                let last = times.iter().rposition(|t| t.as_str() <= &end[..19])?;
                Some((first, last))
            })
            .collect();
        let max = scores.iter().copied().fold(0.0f64, f64::max);
        println!(
            "{name:<52} {:>6} {:>8} {max:>11.3}",
            scores.len(),
            rows.len()
        );
        files.push(ScoredFile {
            scores,
            windows: rows,
        });
    }
    let window_count: usize = files.iter().map(|f| f.windows.len()).sum();
    println!();
    println!(
        "NAB on the {} artificial files here ({window_count} windows); the 47 real-world files are not available.",
        files.len()
    );
    println!(
        "{:<20} {:>10} {:>10} {:>12} {:>14} {:>8} {:>8}",
        "profile", "ours", "threshold", "ours@0.5", "null detector", "ARTime", "HTM"
    );
    for (index, profile) in PROFILES.iter().enumerate() {
        let raw_perfect = window_count as f64 * profile.true_positive;
        let null_files: Vec<ScoredFile> = files
            .iter()
            .map(|f| ScoredFile {
                scores: vec![0.5; f.scores.len()],
                windows: f.windows.clone(),
            })
            .collect();
        let (_, raw_null) = optimise_threshold(&null_files, profile);
        let (threshold, raw) = optimise_threshold(&files, profile);
        let fixed = corpus_score(&files, FIXED_THRESHOLD, profile);
        println!(
            "{:<20} {:>10.1} {:>10.3} {:>12.1} {:>14.1} {:>8.1} {:>8.1}",
            profile.name,
            normalised_score(raw, raw_null, raw_perfect),
            threshold,
            normalised_score(fixed, raw_null, raw_perfect),
            normalised_score(raw_null, raw_null, raw_perfect),
            PUBLISHED[0].1[index],
            PUBLISHED[1].1[index],
        );
    }
    println!();
    println!("published scoreboard (full 58-file corpus, standard / low FP / low FN):");
    for (name, [standard, low_fp, low_fn]) in PUBLISHED {
        println!("  {name:<20} {standard:>6.1} {low_fp:>6.1} {low_fn:>6.1}");
    }
    println!(
        "'ours' uses NAB's oracle threshold (optimised with the labels, as NAB does); 'ours@0.5' \
         is the label-free alarm threshold. Scores on 11 artificial files are not comparable \
         with the full-corpus scoreboard."
    );
    Ok(())
}
