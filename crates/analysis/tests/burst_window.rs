//! The burst window of a real upload starts where the errors start (parsed through ingest).

use faultmaven_analysis::{AnalysisConfig, Analyzer};
use faultmaven_ingest::{AttachmentParser, IngestConfig, RedactionConfig, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole, FindingKind, Timestamp};
use std::sync::Arc;

#[test]
fn checkout_error_burst_starts_at_the_first_error() -> anyhow::Result<()> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/api/checkout.log"
    );
    let bytes = std::fs::read(path)?;
    let id = AttachmentId::new(1);
    let mut analyzer = Analyzer::new(&AnalysisConfig::default());
    analyzer.register_attachment(id, AttachmentRole::Incident, "checkout.log");
    let redactor = Arc::new(Redactor::new(&RedactionConfig::default()));
    let mut parser = AttachmentParser::new(
        id,
        "checkout.log",
        AttachmentRole::Incident,
        &IngestConfig::default(),
        redactor,
    );
    parser.feed(&bytes, &mut analyzer)?;
    parser.finish(&mut analyzer)?;
    let report = analyzer.finish(1);
    let burst = report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::LogBurst && f.title.starts_with("ERROR lines"))
        .expect("an error burst");
    // The first ERROR line is at 14:03:0x; the window must not start a minute later.
    let first_error = Timestamp::parse_rfc3339("2024-05-01T14:03:00Z").expect("time");
    let start = burst.first_seen.expect("timed");
    assert!(
        start.unix_nanos() <= first_error.unix_nanos() + 30_000_000_000,
        "{}: {:?}",
        burst.title,
        start
    );
    Ok(())
}
