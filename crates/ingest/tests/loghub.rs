//! Every loghub-2k raw log (16 systems, 2000 lines each) goes through the plain-text parser:
//! every line is accounted for, nothing panics, and timestamps and levels come out where the
//! system writes them.

mod support;

use std::path::PathBuf;

/// Systems whose lines carry a level token, with the share of records that must get one.
const SYSTEMS_WITH_LEVELS: [&str; 9] = [
    "Android", "Apache", "BGL", "HDFS", "Hadoop", "OpenStack", "Spark", "Windows", "Zookeeper",
];

fn dataset_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/loghub-2k")
}

#[test]
fn every_loghub_log_is_accounted_for() {
    let dir = dataset_dir();
    if !dir.is_dir() {
        println!("note: {} is absent; loghub test skipped", dir.display());
        return;
    }
    let mut systems: Vec<_> = std::fs::read_dir(&dir)
        .expect("dataset folder readable")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    systems.sort();
    assert_eq!(systems.len(), 16, "expected 16 loghub systems");
    println!("system        format          records  timestamp  level   source");
    for system in &systems {
        let path = dir.join(system).join(format!("{system}_2k.log"));
        let bytes = std::fs::read(&path).expect("log readable");
        let (summary, (logs, metrics)) = support::parse(&format!("{system}_2k.log"), &bytes);
        assert_eq!(summary.lines, 2000, "{system}: lines");
        assert!(metrics.is_empty(), "{system}: no metrics expected");
        // Every line belongs to exactly one record, in order.
        let mut next_line = 1;
        for record in &logs {
            assert_eq!(record.first_line, next_line, "{system}: gap before record");
            assert!(record.last_line >= record.first_line);
            next_line = record.last_line + 1;
        }
        assert_eq!(next_line, 2001, "{system}: lines after the last record");
        let share = |count: usize| count as f64 / logs.len() as f64;
        let timestamps = share(logs.iter().filter(|r| r.timestamp.is_some()).count());
        let levels = share(logs.iter().filter(|r| r.level.is_some()).count());
        let sources = share(logs.iter().filter(|r| r.source.is_some()).count());
        println!(
            "{system:<13} {:<15} {:>7}  {:>8.1}%  {:>5.1}%  {:>5.1}%",
            summary.format,
            logs.len(),
            timestamps * 100.0,
            levels * 100.0,
            sources * 100.0
        );
        assert_eq!(summary.format, "plain_text_log", "{system}: format");
        assert!(timestamps >= 0.99, "{system}: timestamp share {timestamps}");
        if SYSTEMS_WITH_LEVELS.contains(&system.as_str()) {
            assert!(levels >= 0.99, "{system}: level share {levels}");
        }
    }
}
