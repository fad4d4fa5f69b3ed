//! A whole incident through the analyzer: logs with a baseline and metrics from
//! `testdata/analysis/checkout-incident` (see its README). Key facts are asserted; the full
//! report is an insta snapshot so any change to the output is reviewed.

use faultmaven_analysis::{AnalysisConfig, AnalysisReport, Analyzer};
use faultmaven_model::{
    AttachmentId, AttachmentRole, Evidence, FindingKind, Level, LogRecord, MetricSample,
    RecordSink, Severity, Timestamp,
};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/analysis/checkout-incident")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A record being read: lines, time, level, source and message (stack lines appended).
struct Pending {
    first_line: u64,
    last_line: u64,
    time: Timestamp,
    level: Level,
    source: String,
    message: String,
}

fn emit(analyzer: &mut Analyzer, attachment: AttachmentId, record: Pending) {
    analyzer.log(LogRecord {
        attachment,
        first_line: record.first_line,
        last_line: record.last_line,
        timestamp: Some(record.time),
        level: Some(record.level),
        source: Some(Cow::Owned(record.source)),
        message: Cow::Owned(record.message),
        attributes: vec![(Cow::Borrowed("service"), Cow::Borrowed("checkout"))],
    });
}

/// Feeds `<time> <LEVEL> <source> <message>` lines; lines without a leading time continue
/// the previous record.
fn feed_log(analyzer: &mut Analyzer, attachment: AttachmentId, text: &str) {
    let mut pending: Option<Pending> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index as u64 + 1;
        let mut fields = line.split_whitespace();
        match fields.next().and_then(Timestamp::parse_rfc3339) {
            Some(time) => {
                if let Some(record) = pending.take() {
                    emit(analyzer, attachment, record);
                }
                let level = fields.next().and_then(Level::parse).expect("level");
                let source = fields.next().expect("source").to_owned();
                let message = fields.collect::<Vec<_>>().join(" ");
                pending = Some(Pending {
                    first_line: number,
                    last_line: number,
                    time,
                    level,
                    source,
                    message,
                });
            }
            None => {
                let record = pending.as_mut().expect("continuation after a record");
                record.last_line = number;
                record.message.push('\n');
                record.message.push_str(line);
            }
        }
    }
    if let Some(record) = pending.take() {
        emit(analyzer, attachment, record);
    }
}

fn feed_metrics(analyzer: &mut Analyzer, attachment: AttachmentId, text: &str) {
    for (index, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        analyzer.metric(MetricSample {
            attachment,
            line: index as u64 + 1,
            name: Cow::Borrowed(fields[1]),
            labels: vec![(Cow::Borrowed("pod"), Cow::Borrowed(fields[2]))],
            timestamp: Timestamp::parse_rfc3339(fields[0]),
            value: fields[3].parse().expect("value"),
        });
    }
}

fn report() -> AnalysisReport {
    let (app, baseline, metrics) = (
        AttachmentId::new(1),
        AttachmentId::new(2),
        AttachmentId::new(3),
    );
    let mut analyzer = Analyzer::new(&AnalysisConfig::default());
    analyzer.register_attachment(app, AttachmentRole::Incident, "app.log");
    analyzer.register_attachment(baseline, AttachmentRole::Baseline, "baseline.log");
    analyzer.register_attachment(metrics, AttachmentRole::Incident, "metrics.csv");
    feed_log(&mut analyzer, baseline, &fixture("baseline.log"));
    feed_log(&mut analyzer, app, &fixture("app.log"));
    feed_metrics(&mut analyzer, metrics, &fixture("metrics.csv"));
    analyzer.finish(1)
}

/// A compact, readable form of the report for the snapshot.
fn summary(report: &AnalysisReport) -> Value {
    let evidence = |e: &Evidence| match e {
        Evidence::LogLines {
            attachment,
            first_line,
            last_line,
            excerpt,
        } => format!(
            "{attachment}:{first_line}-{last_line} {}",
            excerpt.as_deref().unwrap_or("")
        )
        .trim_end()
        .to_owned(),
        Evidence::MetricPoint {
            attachment,
            series,
            timestamp,
            value,
            line,
        } => format!(
            "{attachment}:{line} {series} = {value} at {}",
            timestamp.map(|t| t.to_string()).unwrap_or_default()
        ),
        other => format!("{other:?}"),
    };
    json!({
        "log_records": report.log_records,
        "metric_samples": report.metric_samples,
        "series": report.series,
        "time_range": report.time_range.map(|(a, b)| format!("{a} .. {b}")),
        "findings": report.findings.iter().map(|f| json!({
            "id": f.id.to_string(),
            "kind": format!("{:?}", f.kind),
            "severity": format!("{:?}", f.severity),
            "score": (f.score * 1000.0).round() / 1000.0,
            "title": f.title,
            "detail": f.detail,
            "window": format!(
                "{} .. {}",
                f.first_seen.map(|t| t.to_string()).unwrap_or_default(),
                f.last_seen.map(|t| t.to_string()).unwrap_or_default()
            ),
            "subjects": f.subjects.iter().map(|s| format!("{:?}:{}", s.kind, s.name)).collect::<Vec<_>>(),
            "template": f.template_id,
            "evidence": f.evidence.iter().map(evidence).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "templates": report.templates.iter().map(|t| format!(
            "E{} {}+{} {:?} {}",
            t.id, t.count, t.baseline_count, t.level.map(|l| l.as_str()), t.template
        )).collect::<Vec<_>>(),
    })
}

#[test]
fn checkout_incident() {
    let report = report();
    let find = |kind: FindingKind, needle: &str| {
        report
            .findings
            .iter()
            .find(|f| f.kind == kind && f.title.contains(needle))
            .unwrap_or_else(|| panic!("no {kind:?} with {needle:?} in {:#?}", report.findings))
    };
    let burst = find(
        FindingKind::LogBurst,
        "ERROR lines jumped from ~1/min to 48/min at 14:12–14:16",
    );
    assert_eq!(burst.severity, Severity::High);
    let exception = find(
        FindingKind::Exception,
        "java.lang.IllegalStateException at com.shop.payments.PoolManager.acquire (3 times)",
    );
    assert!(exception
        .detail
        .contains("Root cause: java.net.SocketTimeoutException"));
    find(
        FindingKind::MetricShift,
        "latency_p99_ms{pod=\"checkout-7d9f\"} moved from ~18",
    );
    find(
        FindingKind::MetricAnomaly,
        "cpu_percent{pod=\"checkout-7d9f\"} spiked to 97 at 14:21",
    );
    find(
        FindingKind::NewTemplate,
        "deployed checkout version <*> (build <*>)",
    );
    find(
        FindingKind::VanishedTemplate,
        "cache warmup complete in <*> ms",
    );
    // The 502s existed before the incident: an error template, not a new one.
    let gateway = find(
        FindingKind::ErrorTemplate,
        "payment gateway returned <*> for order <*>",
    );
    assert!(
        gateway
            .detail
            .contains("in the baseline, where it was 45x rarer"),
        "{}",
        gateway.detail
    );
    assert!(report
        .findings
        .iter()
        .all(|f| !(f.kind == FindingKind::NewTemplate && f.title.contains("gateway"))));
    // The most important finding is about the payment failures.
    assert!(
        report.findings[0].title.contains("IllegalStateException")
            || report.findings[0].title.contains("ERROR"),
        "{}",
        report.findings[0].title
    );

    insta::assert_json_snapshot!("checkout_incident", summary(&report));
}
