//! Reads the NAB artificial subset (`timestamp,value` CSV files) as metric samples.

#![allow(dead_code)]

use faultmaven_model::{AttachmentId, MetricSample, Timestamp};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// Where the data set lives: `$NAB_SUBSET_DIR`, else `shared/datasets/nab-subset` in a parent
/// folder of this crate; a missing data set fails with what to set.
pub fn dataset_dir() -> PathBuf {
    faultmaven_test_datasets::Dataset::NabSubset.dir(env!("CARGO_MANIFEST_DIR"))
}

/// Parses `YYYY-MM-DD HH:MM:SS` as UTC.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let date_time = format!("{}T{}Z", text.get(..10)?, text.get(11..19)?);
    Timestamp::parse_rfc3339(&date_time)
}

/// The samples of one file (`category/name.csv`), line numbers from 2 (after the header).
pub fn load(
    dir: &Path,
    file: &str,
    attachment: AttachmentId,
) -> Result<Vec<MetricSample<'static>>, String> {
    let path = dir.join("data").join(file);
    let text = std::fs::read_to_string(&path).map_err(|error| {
        format!(
            "cannot read {}: {error} (set NAB_SUBSET_DIR)",
            path.display()
        )
    })?;
    let mut samples = Vec::new();
    for (index, row) in text.lines().enumerate().skip(1) {
        let (time, value) = row
            .split_once(',')
            .ok_or_else(|| format!("{}:{}: no comma", path.display(), index + 1))?;
        samples.push(MetricSample {
            attachment,
            line: index as u64 + 1,
            name: Cow::Borrowed("value"),
            labels: Vec::new(),
            timestamp: Some(parse_time(time).ok_or_else(|| format!("bad time {time:?}"))?),
            value: value
                .trim()
                .parse()
                .map_err(|e| format!("bad value {value:?}: {e}"))?,
        });
    }
    Ok(samples)
}
