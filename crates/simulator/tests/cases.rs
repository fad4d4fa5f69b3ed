//! The simulator is deterministic, writes every file the evaluation uploads, and keeps the
//! answer out of them.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use faultmaven_simulator::{generate_case, FaultKind, NODES};
use std::collections::BTreeMap;
use std::path::Path;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walk(dir) {
        let relative = entry
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        out.insert(relative, std::fs::read(&entry).unwrap());
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

#[test]
fn same_seed_same_files_and_the_answer_stays_in_truth_json() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    for case in [0, 5] {
        let truth = generate_case(first.path(), case, 11).unwrap();
        generate_case(second.path(), case, 11).unwrap();
        assert_eq!(truth.fault, FaultKind::ALL[case as usize]);
        let case_dir = first.path().join(format!("case-{case:03}"));
        let uploads = files(&case_dir.join("incident"));
        // Traces, two log files and one metrics file per pod.
        assert_eq!(uploads.len(), 3 + NODES.len());
        for (name, bytes) in &uploads {
            let text = String::from_utf8_lossy(bytes);
            for leak in ["fault", "root_cause", "injected", truth.fault.name()] {
                assert!(!text.contains(leak), "{name} mentions {leak}");
            }
        }
        assert!(case_dir.join("baseline").is_dir());
    }
    assert_eq!(files(first.path()), files(second.path()));
}
