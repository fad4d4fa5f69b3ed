//! `faultmaven score-series FILE.csv`: online anomaly scores of one `timestamp,value` series
//! with the default detector ensemble, one output row per input row.

use anyhow::Context;
use faultmaven_analysis::detectors::{EnsembleConfig, OnlineDetector};
use faultmaven_model::Timestamp;
use std::io::{BufRead, Write};
use std::path::Path;

/// Parses RFC 3339, `YYYY-MM-DD HH:MM:SS[.fff]` (UTC) or a Unix epoch in seconds or
/// milliseconds.
fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim().trim_matches('"');
    if let Some(parsed) = Timestamp::parse_rfc3339(text) {
        return Some(parsed.unix_nanos());
    }
    if text.len() >= 19 && text.as_bytes().get(10) == Some(&b' ') {
        let iso = format!("{}T{}Z", &text[..10], &text[11..]);
        if let Some(parsed) = Timestamp::parse_rfc3339(&iso) {
            return Some(parsed.unix_nanos());
        }
    }
    let number: f64 = text.parse().ok()?;
    // Past 1e11 seconds (year 5138) the number is taken to be milliseconds.
    let seconds = if number.abs() >= 1e11 {
        number / 1000.0
    } else {
        number
    };
    Timestamp::from_unix_seconds_f64(seconds).map(Timestamp::unix_nanos)
}

/// Reads `input`, writes `timestamp,anomaly_score` to `output`. A header row (a first row
/// whose value is not a number) is replaced by the output header. Rows whose value is not a
/// number score 0; rows whose time cannot be read keep the previous row's time for scoring.
pub fn run(input: &Path, output: &mut dyn Write) -> anyhow::Result<()> {
    let file =
        std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?;
    let reader = std::io::BufReader::new(file);
    let mut ensemble = EnsembleConfig::default().build()?;
    let mut output = std::io::BufWriter::new(output);
    writeln!(output, "timestamp,anomaly_score")?;
    let mut last_time = 0i64;
    let mut problems = 0u64;
    for (index, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", input.display()))?;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let (time_text, value_text) = line.split_once(',').unwrap_or((line, ""));
        let value: Option<f64> = value_text.trim().trim_matches('"').parse().ok();
        if index == 0 && value.is_none() {
            continue;
        }
        match parse_timestamp(time_text) {
            Some(time) => last_time = time,
            None => problems += 1,
        }
        if value.is_none() {
            problems += 1;
        }
        let score = ensemble.update(last_time, value.unwrap_or(f64::NAN)).score;
        writeln!(output, "{},{score:.6}", time_text.trim())?;
    }
    output.flush()?;
    if problems > 0 {
        tracing::warn!(problems, "some rows had an unreadable time or value");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_common_forms() {
        let expected = Some(1_396_310_400_000_000_000);
        assert_eq!(parse_timestamp("2014-04-01 00:00:00"), expected);
        assert_eq!(parse_timestamp("2014-04-01T00:00:00Z"), expected);
        assert_eq!(parse_timestamp("1396310400"), expected);
        assert_eq!(parse_timestamp("1396310400000"), expected);
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn every_row_gets_a_score_and_a_spike_scores_high() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("series.csv");
        let mut text = String::from("timestamp,value\n");
        for minute in 0..600 {
            let value = if minute == 500 {
                90.0
            } else {
                40.0 + (minute % 7) as f64 * 0.3
            };
            text.push_str(&format!(
                "2024-05-01 {:02}:{:02}:00,{value}\n",
                minute / 60,
                minute % 60
            ));
        }
        text.push_str("2024-05-01 10:00:00,not-a-number\n");
        std::fs::write(&path, text)?;
        let mut out = Vec::new();
        run(&path, &mut out)?;
        let out = String::from_utf8(out)?;
        let rows: Vec<&str> = out.lines().collect();
        assert_eq!(rows[0], "timestamp,anomaly_score");
        assert_eq!(rows.len(), 602);
        let score = |row: &str| -> f64 {
            row.rsplit(',')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(-1.0)
        };
        assert!(score(rows[501]) > 0.7, "{}", rows[501]);
        assert!(rows[1..]
            .iter()
            .all(|row| (0.0..=1.0).contains(&score(row))));
        assert_eq!(score(rows[601]), 0.0);
        Ok(())
    }
}
