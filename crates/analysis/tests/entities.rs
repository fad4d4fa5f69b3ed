//! Entity-grouped anomalies through the public analyzer: every flagged id is listed with a
//! score, and normal ids are not.

use faultmaven_analysis::{AnalysisConfig, Analyzer};
use faultmaven_model::{
    AttachmentId, AttachmentRole, FindingKind, Level, LogRecord, RecordSink, Timestamp,
};
use std::borrow::Cow;
use std::collections::BTreeSet;

fn feed(analyzer: &mut Analyzer, lines: &[(Level, String)]) {
    for (index, (level, message)) in lines.iter().enumerate() {
        analyzer.log(LogRecord {
            attachment: AttachmentId::new(1),
            first_line: index as u64 + 1,
            last_line: index as u64 + 1,
            timestamp: Some(Timestamp::from_unix_millis(
                1_714_572_000_000 + index as i64 * 10,
            )),
            level: Some(*level),
            source: None,
            message: Cow::Owned(message.clone()),
            attributes: Vec::new(),
        });
    }
}

fn flow(id: &str, lines: &mut Vec<(Level, String)>, skip_charge: bool, retries: usize) {
    lines.push((Level::Info, format!("received order request {id}")));
    for attempt in 0..retries {
        lines.push((
            Level::Warn,
            format!("retrying stock check for {id} attempt {attempt}"),
        ));
    }
    lines.push((Level::Info, format!("stock checked for {id}")));
    if !skip_charge {
        lines.push((Level::Info, format!("card charged for {id}")));
    }
    lines.push((Level::Info, format!("order confirmed for {id}")));
}

#[test]
fn missing_steps_and_retry_storms_are_flagged_by_id() {
    let mut lines = Vec::new();
    let mut faulty = BTreeSet::new();
    for number in 0..60 {
        let id = format!("ord-{:06x}", 0x1a2b00 + number * 7);
        let skip = number == 13 || number == 41;
        let retries = if number == 27 { 12 } else { 0 };
        if skip || retries > 0 {
            faulty.insert(id.clone());
        }
        flow(&id, &mut lines, skip, retries);
    }
    let mut analyzer = Analyzer::new(&AnalysisConfig::default());
    analyzer.register_attachment(AttachmentId::new(1), AttachmentRole::Incident, "orders.log");
    feed(&mut analyzer, &lines);
    let report = analyzer.finish(1);
    let entity_findings: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::EntityAnomaly)
        .collect();
    assert!(!entity_findings.is_empty(), "{:#?}", report.findings);
    let mut flagged = BTreeSet::new();
    for finding in &entity_findings {
        assert!(
            finding.title.contains("of 60 ord-<*> ids"),
            "{}",
            finding.title
        );
        assert!(!finding.evidence.is_empty());
        for entity in &finding.entities {
            assert_eq!(entity.kind, "ord-<*>");
            assert!((0.0..=1.0).contains(&entity.score));
            assert!(entity.line >= 1 && entity.line as usize <= lines.len());
            assert!(
                lines[entity.line as usize - 1].1.contains(&entity.id),
                "{entity:?}"
            );
            flagged.insert(entity.id.clone());
        }
    }
    assert_eq!(flagged, faulty);
    let invariant = entity_findings
        .iter()
        .find(|f| f.title.contains("count invariant"))
        .expect("missing steps break count invariants");
    assert_eq!(invariant.entities.len(), 2);
}

#[test]
fn uniform_flows_flag_nothing() {
    let mut lines = Vec::new();
    for number in 0..40 {
        flow(
            &format!("ord-{:06x}", 0x2c0000 + number),
            &mut lines,
            false,
            0,
        );
    }
    let mut analyzer = Analyzer::new(&AnalysisConfig::default());
    feed(&mut analyzer, &lines);
    let report = analyzer.finish(1);
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.kind != FindingKind::EntityAnomaly),
        "{:#?}",
        report.findings
    );
}
