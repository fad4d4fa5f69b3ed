//! Sniffing accuracy over every sample listed in `testdata/sniff-expectations.tsv`: both the
//! public `sniff` on the file's head and the format a full parse reports must match. New rows
//! are picked up from the file, and every sample in a folder named after a format must be
//! listed, so a new sample cannot be silently left out. `./scripts/eval sniff` prints the table.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::{sniff, Format};
use std::collections::BTreeSet;

#[test]
fn every_listed_sample_is_sniffed_as_expected() {
    let rows = support::sniff_expectations();
    assert!(!rows.is_empty(), "no expectations");
    let mut wrong = Vec::new();
    for row in &rows {
        let bytes = std::fs::read(support::testdata().join(&row.path))
            .unwrap_or_else(|error| panic!("{}: {error}", row.path));
        // The content decides: a neutral name must give the same answer.
        let by_head = sniff("upload.bin", &bytes).format.as_str();
        // An archive's first summary is its own; its members follow.
        let (summaries, _) =
            support::parse_upload(&row.path, &bytes, 64 * 1024, &support::config()).unwrap();
        let parsed = summaries[0].format.as_str();
        if by_head != row.format || parsed != row.format {
            wrong.push(format!(
                "{}: expected {}, sniff {by_head}, parse {parsed}",
                row.path, row.format
            ));
        }
    }
    let correct = rows.len() - wrong.len();
    println!("sniffing accuracy: {correct}/{} samples", rows.len());
    assert!(wrong.is_empty(), "misdetected:\n{}", wrong.join("\n"));
}

#[test]
fn every_sample_in_a_format_folder_is_listed() {
    let listed: BTreeSet<String> = support::sniff_expectations()
        .into_iter()
        .map(|row| row.path)
        .collect();
    let formats: BTreeSet<&str> = Format::registered().map(Format::as_str).collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(support::testdata()).unwrap() {
        let entry = entry.unwrap();
        let folder = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type().unwrap().is_dir() || !formats.contains(folder.as_str()) {
            continue;
        }
        for file in std::fs::read_dir(entry.path()).unwrap() {
            let file = file.unwrap();
            if file.file_type().unwrap().is_file() {
                let path = format!("{folder}/{}", file.file_name().to_string_lossy());
                if !listed.contains(&path) {
                    missing.push(path);
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "samples without an expectation in testdata/sniff-expectations.tsv: {missing:?}"
    );
}

#[test]
fn expectations_name_registered_formats() {
    let mut formats: BTreeSet<&str> = Format::registered().map(Format::as_str).collect();
    // Archives are recognised before the registry is consulted (their members go through it).
    formats.extend([Format::Zip.as_str(), Format::Tar.as_str()]);
    for row in support::sniff_expectations() {
        assert!(
            formats.contains(row.format.as_str()),
            "{}: unknown format {}",
            row.path,
            row.format
        );
    }
}
