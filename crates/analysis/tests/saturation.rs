//! Saturation findings (a resource rising to its limit) and the charts of metric series.

use faultmaven_analysis::{AnalysisConfig, AnalysisReport, Analyzer};
use faultmaven_model::{
    AttachmentId, AttachmentRole, FindingKind, MetricSample, RecordSink, Severity, Timestamp,
};
use std::borrow::Cow;

const METRICS: AttachmentId = AttachmentId::new(1);
/// 2024-05-01T14:00:00Z
const START_SECONDS: i64 = 1_714_572_000;

fn sample(
    name: &'static str,
    labels: &[(&'static str, &'static str)],
    minute: i64,
    value: f64,
) -> MetricSample<'static> {
    MetricSample {
        attachment: METRICS,
        line: minute as u64 + 2,
        name: Cow::Borrowed(name),
        labels: labels
            .iter()
            .map(|(key, value)| (Cow::Borrowed(*key), Cow::Borrowed(*value)))
            .collect(),
        timestamp: Some(Timestamp::from_unix_millis(
            (START_SECONDS + minute * 60) * 1000,
        )),
        value,
    }
}

/// Deterministic wobble in [-1, 1].
fn wobble(index: i64) -> f64 {
    ((index * 37 % 17) as f64 - 8.0) / 8.0
}

fn analyze(samples: impl IntoIterator<Item = MetricSample<'static>>) -> AnalysisReport {
    let mut analyzer = Analyzer::new(&AnalysisConfig::default());
    analyzer.register_attachment(METRICS, AttachmentRole::Incident, "metrics.prom");
    for one in samples {
        analyzer.metric(one);
    }
    analyzer.finish(1)
}

#[test]
fn a_disk_percentage_rising_steadily_will_be_full() {
    let var = [("host", "db-1"), ("mountpoint", "/var")];
    let report = analyze((0..120).flat_map(|minute| {
        [
            // 0.1 % per minute from 50 %: 62 % at the end, full 380 minutes later.
            sample(
                "disk_used_percent",
                &var,
                minute,
                50.0 + 0.1 * minute as f64 + 0.05 * wobble(minute),
            ),
            // A counter rising as steadily has no limit: not a resource.
            sample(
                "http_requests",
                &[("host", "db-1")],
                minute,
                10.0 * minute as f64,
            ),
        ]
    }));
    let saturation: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::MetricSaturation)
        .collect();
    assert_eq!(saturation.len(), 1, "{:#?}", report.findings);
    let finding = saturation[0];
    assert!(
        finding
            .title
            .starts_with("Disk /var on db-1 will be full in ~6 h 2"),
        "{}",
        finding.title
    );
    assert!(finding.title.ends_with("at the current rate"));
    assert_eq!(finding.severity, Severity::Medium);
    assert!(
        finding.detail.contains("a share of the resource"),
        "{}",
        finding.detail
    );
    // The chart of the series points at the finding.
    let plot = report
        .metric_plots
        .iter()
        .find(|p| p.series.starts_with("disk_used_percent"))
        .expect("a chart of the disk series");
    assert_eq!(plot.finding_ids, vec![finding.id], "{:#?}", report.findings);
    assert_eq!(plot.total_points, 120);
    assert_eq!(plot.points.len(), 120);
    let last = plot.points.last().expect("points");
    let (lower, upper) = (last.lower.expect("band"), last.upper.expect("band"));
    assert!(lower < last.expected.expect("expected") && last.expected.expect("expected") < upper);
    assert!(plot.points.iter().all(|p| (0.0..=1.0).contains(&p.score)));
}

#[test]
fn free_space_with_a_size_partner_counts_down_to_full() {
    let data = [("instance", "db-2"), ("mountpoint", "/data")];
    let report = analyze((0..120).flat_map(|minute| {
        [
            // 1 GB per minute less free space: 281 GB left at the end.
            sample(
                "node_filesystem_avail_bytes",
                &data,
                minute,
                400e9 - 1e9 * minute as f64 + 1e7 * wobble(minute),
            ),
            sample("node_filesystem_size_bytes", &data, minute, 1000e9),
        ]
    }));
    let finding = report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::MetricSaturation)
        .unwrap_or_else(|| panic!("{:#?}", report.findings));
    assert!(
        finding
            .title
            .starts_with("Disk /data on db-2 will be full in ~4 h 4"),
        "{}",
        finding.title
    );
    assert!(
        finding.detail.contains("node_filesystem_size_bytes"),
        "{}",
        finding.detail
    );
}

#[test]
fn a_flat_or_falling_resource_is_not_saturating() {
    let report = analyze((0..120).flat_map(|minute| {
        [
            sample(
                "memory_utilization_percent",
                &[("pod", "web-1")],
                minute,
                40.0 + wobble(minute),
            ),
            sample(
                "disk_used_percent",
                &[("host", "db-3")],
                minute,
                80.0 - 0.1 * minute as f64,
            ),
        ]
    }));
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.kind != FindingKind::MetricSaturation),
        "{:#?}",
        report.findings
    );
}
