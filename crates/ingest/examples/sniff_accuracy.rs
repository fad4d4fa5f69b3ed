//! Prints the sniffing accuracy table over `testdata/sniff-expectations.tsv`
//! (`./scripts/eval sniff`); the test `sniff_accuracy` asserts the same at 100%.

use faultmaven_ingest::{sniff, IngestConfig, Redactor, UploadParser};
use faultmaven_model::{AttachmentId, AttachmentRole, CollectedRecords};
use std::path::PathBuf;
use std::sync::Arc;

fn main() -> anyhow::Result<()> {
    let testdata = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let expectations = std::fs::read_to_string(testdata.join("sniff-expectations.tsv"))?;
    let config = IngestConfig {
        base_year: Some(2024),
        ..IngestConfig::default()
    };
    let redactor = Arc::new(Redactor::new(&config.redaction));
    println!(
        "{:<48} {:<20} {:<20} {:<20} ok",
        "sample", "expected", "sniff(head)", "parse"
    );
    let (mut total, mut correct) = (0, 0);
    for line in expectations.lines() {
        let Some((path, expected)) = line.split_once('\t') else {
            continue;
        };
        if line.starts_with('#') {
            continue;
        }
        let bytes = std::fs::read(testdata.join(path))?;
        let by_head = sniff("upload.bin", &bytes).format;
        let mut parser = UploadParser::new(
            AttachmentId::new(1),
            path,
            AttachmentRole::Incident,
            &config,
            Arc::clone(&redactor),
        );
        let mut records = CollectedRecords::default();
        parser.feed(&bytes, &mut records)?;
        // An archive's first summary is its own; its members follow.
        let parsed = parser
            .finish(&mut records)?
            .into_iter()
            .next()
            .map(|summary| summary.format)
            .unwrap_or_default();
        let ok = by_head.as_str() == expected && parsed == expected;
        total += 1;
        correct += usize::from(ok);
        println!(
            "{path:<48} {expected:<20} {:<20} {parsed:<20} {}",
            by_head.as_str(),
            if ok { "yes" } else { "NO" }
        );
    }
    println!(
        "accuracy: {correct}/{total} = {:.1}%",
        100.0 * correct as f64 / total.max(1) as f64
    );
    Ok(())
}
