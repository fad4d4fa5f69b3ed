//! Reads the loghub-2k ground truth and scores a template miner's grouping against it.
//!
//! Shared by the `loghub_ga` test and the `loghub_eval` / `miner_bench` examples.

#![allow(dead_code)]

use faultmaven_analysis::{MinerConfig, TemplateMiner};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The 16 systems of loghub-2k.
pub const SYSTEMS: [&str; 16] = [
    "Android",
    "Apache",
    "BGL",
    "HDFS",
    "HPC",
    "Hadoop",
    "HealthApp",
    "Linux",
    "Mac",
    "OpenSSH",
    "OpenStack",
    "Proxifier",
    "Spark",
    "Thunderbird",
    "Windows",
    "Zookeeper",
];

/// Where the data set lives: `$LOGHUB_2K_DIR`, else `shared/datasets/loghub-2k` in a parent
/// folder of this crate; a missing data set fails with what to set.
pub fn dataset_dir() -> PathBuf {
    faultmaven_test_datasets::Dataset::Loghub2k.dir(env!("CARGO_MANIFEST_DIR"))
}

/// Parses RFC 4180 CSV text: fields separated by commas, records by CRLF or LF, fields in
/// double quotes may hold commas, line breaks and doubled quotes (`""` is one quote).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut field_started = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if !field_started => {
                in_quotes = true;
                field_started = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                field_started = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                field_started = false;
            }
            _ => {
                field.push(c);
                field_started = true;
            }
        }
    }
    if field_started || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// One system's lines: the message (`Content`), the ground-truth group (`EventId`), and the
/// `Level` and `Component` header fields when the system has them.
pub struct Labelled {
    pub contents: Vec<String>,
    pub event_ids: Vec<String>,
    pub levels: Vec<Option<String>>,
    pub components: Vec<Option<String>>,
}

/// Reads `<S>/<S>_2k.log_structured.csv` from `dir` (original ground truth, groups by
/// `EventId`).
pub fn load(dir: &Path, system: &str) -> Result<Labelled, String> {
    let path = dir
        .join(system)
        .join(format!("{system}_2k.log_structured.csv"));
    load_file(&path, "EventId")
}

/// Reads the Loghub-2.0 corrected ground truth of `system`, grouped by `EventTemplate` as
/// that paper's GA does; `None` for the two systems it does not cover.
pub fn load_loghub2(dir: &Path, system: &str) -> Option<Result<Labelled, String>> {
    let path = dir
        .join(system)
        .join("loghub2_corrected")
        .join(format!("{system}_2k.log_structured_corrected.csv"));
    path.exists().then(|| load_file(&path, "EventTemplate"))
}

fn load_file(path: &Path, group_column: &str) -> Result<Labelled, String> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        format!(
            "cannot read {}: {error} (set LOGHUB_2K_DIR)",
            path.display()
        )
    })?;
    let mut rows = parse_csv(&text).into_iter();
    let header = rows.next().ok_or("empty csv")?;
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("no {name} column in {}", path.display()))
    };
    let content = column("Content")?;
    let event_id = column(group_column)?;
    let level = column("Level").ok();
    let component = column("Component").ok();
    let mut labelled = Labelled {
        contents: Vec::new(),
        event_ids: Vec::new(),
        levels: Vec::new(),
        components: Vec::new(),
    };
    for row in rows {
        if row.len() < header.len() {
            return Err(format!("short row in {}: {row:?}", path.display()));
        }
        labelled.contents.push(row[content].clone());
        labelled.event_ids.push(row[event_id].clone());
        labelled.levels.push(level.map(|i| row[i].clone()));
        labelled.components.push(component.map(|i| row[i].clone()));
    }
    Ok(labelled)
}

/// Grouping accuracy: the share of lines whose predicted group holds exactly the lines of
/// their ground-truth group. Lines without a ground-truth label are left out.
pub fn grouping_accuracy<P: Eq + std::hash::Hash + Clone>(
    predicted: &[P],
    truth: &[String],
) -> f64 {
    assert_eq!(predicted.len(), truth.len());
    let mut predicted_sizes: HashMap<P, usize> = HashMap::new();
    let mut truth_sizes: HashMap<&str, usize> = HashMap::new();
    let mut pair_sizes: HashMap<(P, &str), usize> = HashMap::new();
    let mut labelled = 0usize;
    for (p, t) in predicted.iter().zip(truth) {
        if t.is_empty() {
            continue;
        }
        labelled += 1;
        *predicted_sizes.entry(p.clone()).or_default() += 1;
        *truth_sizes.entry(t).or_default() += 1;
        *pair_sizes.entry((p.clone(), t.as_str())).or_default() += 1;
    }
    let correct: usize = pair_sizes
        .iter()
        .filter(|((p, t), &n)| predicted_sizes[p] == n && truth_sizes[t] == n)
        .map(|(_, &n)| n)
        .sum();
    if labelled == 0 {
        0.0
    } else {
        correct as f64 / labelled as f64
    }
}

/// Mines one system's messages with `config` and returns its GA.
pub fn evaluate(labelled: &Labelled, config: &MinerConfig) -> (f64, usize) {
    let mut miner = TemplateMiner::new(config);
    let ids: Vec<u32> = labelled
        .contents
        .iter()
        .map(|line| miner.add(line))
        .collect();
    // Ids are final only at the end: a template may merge into another one later.
    let ids: Vec<u32> = ids.into_iter().map(|id| miner.resolve(id)).collect();
    (grouping_accuracy(&ids, &labelled.event_ids), miner.len())
}
