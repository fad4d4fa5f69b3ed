//! Series plots (band, anomalous points, ranges) and the waterfall builder (offsets, depth,
//! critical path, choice of trace, cap).

use super::series::{rolling_band, unit_of, BandSettings, BAND_MIN_HISTORY, MAX_PLOT_POINTS};
use super::waterfall::{trace_waterfall, MAX_WATERFALL_SPANS};
use super::*;
use crate::metrics::Point;
use crate::testing::noise;
use crate::traces::TraceStore;
use faultmaven_model::{
    AttachmentRole, FindingId, FindingKind, Severity, SpanKind, SpanRecord, Suspect, SuspectKind,
    Timestamp,
};
use std::borrow::Cow;

const SETTINGS: BandSettings = BandSettings {
    sigmas: 3.5,
    relative_floor: 0.001,
};

const MINUTE: i64 = 60_000_000_000;

fn series_of(values: &[f64]) -> Series {
    Series {
        attachment: AttachmentId::new(2),
        display: r#"latency_p99_ms{pod="checkout-7d9f"}"#.to_owned(),
        labels: vec![("pod".into(), "checkout-7d9f".into())],
        subjects: vec![
            Suspect {
                kind: SuspectKind::Pod,
                name: "checkout-7d9f".to_owned(),
            },
            Suspect {
                kind: SuspectKind::Metric,
                name: r#"latency_p99_ms{pod="checkout-7d9f"}"#.to_owned(),
            },
        ],
        // Arrival order reversed: the plot sorts by time.
        points: values
            .iter()
            .enumerate()
            .rev()
            .map(|(index, &value)| Point {
                time: index as i64 * MINUTE,
                value,
                line: index as u64 + 2,
            })
            .collect(),
        snapshots: 0,
        non_finite: 0,
        dropped: 0,
    }
}

fn metric_finding(id: u32, kind: FindingKind, series: &Series, at: &[usize]) -> Finding {
    let point = |index: usize| Evidence::MetricPoint {
        attachment: series.attachment,
        series: series.display.clone(),
        timestamp: Some(Timestamp::from_unix_nanos(index as i64 * MINUTE)),
        value: 0.0,
        line: index as u64 + 2,
    };
    Finding {
        id: FindingId::new(id),
        kind,
        severity: Severity::High,
        title: format!("finding {id}"),
        detail: String::new(),
        score: 0.8,
        first_seen: Some(Timestamp::from_unix_nanos(at[0] as i64 * MINUTE)),
        last_seen: Some(Timestamp::from_unix_nanos(at[at.len() - 1] as i64 * MINUTE)),
        subjects: series.subjects.clone(),
        template_id: None,
        evidence: at.iter().map(|&index| point(index)).collect(),
        entities: Vec::new(),
    }
}

fn input<'a>(
    series: &'a [Series],
    findings: &'a [Finding],
    traces: &'a TraceStore,
    derived: &'a [Derived],
) -> PlotInput<'a> {
    PlotInput {
        series,
        findings,
        traces,
        derived,
        ensemble: &[],
        alarm_score: 0.5,
        band_sigmas: SETTINGS.sigmas,
        relative_floor: SETTINGS.relative_floor,
    }
}

#[test]
fn the_band_is_online_and_follows_the_level() {
    let values: Vec<f64> = noise(300, 3).iter().map(|n| 40.0 + 2.0 * n).collect();
    let band = rolling_band(&values, &[], SETTINGS);
    assert!(band[..BAND_MIN_HISTORY].iter().all(Option::is_none));
    let (lower, upper) = band[200].expect("band");
    assert!(lower < 40.0 && 40.0 < upper && upper - lower < 20.0);
    // Changing points never changes their own bands or earlier ones; later bands follow.
    let mut changed = values.clone();
    changed[120..=150].fill(1e6);
    let after = rolling_band(&changed, &[], SETTINGS);
    assert_eq!(band[..=120], after[..=120]);
    assert!(after[151].expect("band").1 > 1e5);
    // A flat series gets a band of zero width, not NaN.
    let flat = rolling_band(&[0.0; 20], &[], SETTINGS);
    assert_eq!(flat[15], Some((0.0, 0.0)));
    // Excluded points (a reported outage) never enter the history: the band stays put.
    let excluded: Vec<bool> = (0..values.len())
        .map(|i| (120..=150).contains(&i))
        .collect();
    let kept = rolling_band(&changed, &excluded, SETTINGS);
    assert_eq!(kept[151], band[120]);
}

#[test]
fn units_come_from_the_metric_name() {
    assert_eq!(unit_of("latency_p99_ms"), Some("ms"));
    assert_eq!(unit_of("http_request_duration_seconds_total"), Some("s"));
    assert_eq!(unit_of("memory_mb"), Some("MB"));
    assert_eq!(unit_of("node_filesystem_avail_bytes"), Some("bytes"));
    assert_eq!(unit_of("cpu_percent"), Some("%"));
    assert_eq!(unit_of("requests_per_second"), Some("/s"));
    assert_eq!(unit_of("cpu_usage"), None);
    assert_eq!(unit_of(""), None);
}

#[test]
fn an_outage_series_is_plotted_with_band_points_and_range() {
    // 2,000 points at ~180 ms, then the level moves to ~2,400 ms at 1,400 and stays.
    let values: Vec<f64> = noise(2_000, 7)
        .iter()
        .enumerate()
        .map(|(index, n)| if index < 1_400 { 180.0 } else { 2_400.0 } + 10.0 * n)
        .collect();
    let series = [series_of(&values)];
    let findings = [
        metric_finding(
            3,
            FindingKind::MetricShift,
            &series[0],
            &[1_399, 1_400, 1_999],
        ),
        metric_finding(7, FindingKind::MetricAnomaly, &series[0], &[1_700]),
    ];
    let traces = TraceStore::default();
    let plots = build(&input(&series, &findings, &traces, &[]));
    assert_eq!(plots.series.len(), 1);
    let plot = &plots.series[0];
    assert_eq!(plot.finding_id, FindingId::new(3));
    assert_eq!(plot.finding_ids, vec![FindingId::new(3), FindingId::new(7)]);
    assert_eq!(
        (plot.metric.as_str(), plot.unit.as_deref()),
        ("latency_p99_ms", Some("ms"))
    );
    assert_eq!(plot.entities.len(), 1, "the series itself is not an entity");
    assert_eq!(plot.total_points, 2_000);
    assert!(plot.points.len() <= MAX_PLOT_POINTS);
    assert!(plot.points.windows(2).all(|pair| pair[0].at < pair[1].at));
    // Both ends, the first point at the new level and every cited point are kept.
    let kept = |index: i64| {
        plot.points
            .iter()
            .find(|p| p.at.unix_nanos() == index * MINUTE)
    };
    for index in [0, 1_399, 1_400, 1_700, 1_999] {
        assert!(kept(index).is_some(), "point {index} lost");
    }
    let jump = kept(1_400).expect("kept");
    assert!(jump.anomalous);
    assert!(
        jump.upper.expect("band") < 400.0,
        "the band reflects the old level"
    );
    assert!(
        kept(1_700).expect("kept").anomalous,
        "cited points are marked"
    );
    // Inside the reported stretch the band keeps the level that was normal before it.
    let late = plot.points.last().expect("points");
    assert!(late.upper.expect("band") < 400.0 && late.anomalous);
    assert_eq!(plot.anomalous_ranges.len(), 2);
    assert_eq!(plot.anomalous_ranges[0].finding_id, FindingId::new(3));
    assert_eq!(plot.anomalous_ranges[0].start.unix_nanos(), 1_399 * MINUTE);
    assert_eq!(plot.anomalous_ranges[0].end.unix_nanos(), 1_999 * MINUTE);
    // Deterministic.
    assert_eq!(
        build(&input(&series, &findings, &traces, &[])).series,
        plots.series
    );
}

#[test]
fn series_are_capped_in_finding_order_and_uncited_series_are_not_plotted() {
    let values: Vec<f64> = noise(50, 1).iter().map(|n| 5.0 + n).collect();
    let series: Vec<Series> = (0..10)
        .map(|index| {
            let mut one = series_of(&values);
            one.display = format!("m{index}");
            one
        })
        .collect();
    // Findings cite series 9, 8, ..., 1 in rank order; series 0 is never cited.
    let findings: Vec<Finding> = (1..10)
        .rev()
        .enumerate()
        .map(|(rank, index)| {
            metric_finding(
                rank as u32 + 1,
                FindingKind::MetricAnomaly,
                &series[index],
                &[20],
            )
        })
        .collect();
    let traces = TraceStore::default();
    let plots = build(&input(&series, &findings, &traces, &[]));
    let names: Vec<&str> = plots.series.iter().map(|p| p.series.as_str()).collect();
    assert_eq!(names, ["m9", "m8", "m7", "m6", "m5", "m4"]);
    assert_eq!(plots.series.len(), MAX_SERIES_PLOTS);
}

fn span(
    trace: &'static str,
    id: String,
    parent: Option<String>,
    service: &'static str,
    start_ms: i64,
    duration_ms: u64,
    is_error: bool,
) -> SpanRecord<'static> {
    SpanRecord {
        attachment: AttachmentId::new(4),
        line: 1,
        trace_id: Cow::Borrowed(trace),
        span_id: Cow::Owned(id),
        parent_span_id: parent.map(Cow::Owned),
        service: Cow::Borrowed(service),
        operation: Cow::Borrowed("GET /orders"),
        kind: SpanKind::Server,
        start: Timestamp::from_unix_millis(1_714_572_314_000 + start_ms),
        duration_ns: duration_ms * 1_000_000,
        is_error,
        attributes: Vec::new(),
    }
}

fn store_of(spans: Vec<SpanRecord<'static>>) -> TraceStore {
    let mut store = TraceStore::default();
    for record in &spans {
        store.add(record, AttachmentRole::Incident);
    }
    store
}

/// A fast trace `t1` and a slow trace `t2`: root → (db 50 ms, then cart 300 ms → cache).
fn two_traces() -> Vec<SpanRecord<'static>> {
    let s = |id: &str| id.to_owned();
    vec![
        span("t1", s("f1"), None, "web", 0, 40, false),
        span("t1", s("f2"), Some(s("f1")), "db", 5, 30, false),
        span("t2", s("c"), Some(s("root")), "cart", 100, 300, true),
        span("t2", s("root"), None, "web", 80, 400, false),
        span("t2", s("d"), Some(s("root")), "db", 90, 50, false),
        span("t2", s("e"), Some(s("c")), "cache", 150, 200, true),
    ]
}

#[test]
fn the_waterfall_of_the_slowest_trace_has_offsets_depths_and_the_critical_path() {
    let traces = store_of(two_traces());
    let derived = traces.derive();
    let waterfall = trace_waterfall(&traces, &derived, &[]).expect("waterfall");
    assert_eq!(waterfall.trace_id, "t2");
    assert_eq!(waterfall.finding_id, None);
    assert_eq!(
        waterfall.start,
        Timestamp::from_unix_millis(1_714_572_314_080)
    );
    assert_eq!(waterfall.duration_ns, 400_000_000);
    let rows: Vec<(&str, u32, u64, u64, bool, bool)> = waterfall
        .spans
        .iter()
        .map(|s| {
            (
                s.span_id.as_str(),
                s.depth,
                s.start_offset_ns / 1_000_000,
                s.duration_ns / 1_000_000,
                s.critical,
                s.is_error,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("root", 0, 0, 400, true, false),
            ("d", 1, 10, 50, false, false),
            ("c", 1, 20, 300, true, true),
            ("e", 2, 70, 200, true, true),
        ]
    );
    assert_eq!(waterfall.spans[2].parent_span_id.as_deref(), Some("root"));
    assert_eq!(waterfall.spans[2].self_time_ns, 100_000_000);
    assert_eq!(
        (waterfall.total_spans, waterfall.note.as_deref()),
        (4, None)
    );
}

#[test]
fn the_waterfall_follows_the_top_trace_finding() {
    let traces = store_of(two_traces());
    let derived = traces.derive();
    let finding = Finding {
        id: FindingId::new(5),
        kind: FindingKind::TraceAnomaly,
        severity: Severity::Medium,
        title: "db slower".to_owned(),
        detail: String::new(),
        score: 0.6,
        first_seen: None,
        last_seen: None,
        subjects: Vec::new(),
        template_id: None,
        evidence: vec![Evidence::Span {
            attachment: AttachmentId::new(4),
            trace_id: "t1".to_owned(),
            span_id: "f2".to_owned(),
        }],
        entities: Vec::new(),
    };
    let waterfall = trace_waterfall(&traces, &derived, &[finding]).expect("waterfall");
    assert_eq!(waterfall.trace_id, "t1");
    assert_eq!(waterfall.finding_id, Some(FindingId::new(5)));
    assert!(waterfall.reason.contains("F5"));
    assert_eq!(waterfall.spans.len(), 2);
}

#[test]
fn a_big_trace_is_capped_keeping_the_critical_path_and_errors() {
    let s = |id: usize| format!("s{id}");
    let mut spans = vec![span("big", s(0), None, "web", 0, 10_000, false)];
    // A chain of 40 nested spans (the critical path), each ending last among its siblings.
    for depth in 1..=40 {
        spans.push(span(
            "big",
            s(depth),
            Some(s(depth - 1)),
            "chain",
            depth as i64,
            9_000 - depth as u64,
            false,
        ));
    }
    // 1,000 short leaf children of the root, one failing.
    for leaf in 0..1_000 {
        let id = 100 + leaf;
        spans.push(span(
            "big",
            s(id),
            Some(s(0)),
            "leaf",
            2 + leaf as i64,
            1 + (leaf % 7) as u64,
            leaf == 777,
        ));
    }
    let traces = store_of(spans);
    let derived = traces.derive();
    let waterfall = trace_waterfall(&traces, &derived, &[]).expect("waterfall");
    assert_eq!(waterfall.total_spans, 1_041);
    assert_eq!(waterfall.spans.len(), MAX_WATERFALL_SPANS);
    assert!(waterfall
        .note
        .as_deref()
        .is_some_and(|note| note.starts_with("300 of 1041 spans")));
    let critical = waterfall.spans.iter().filter(|s| s.critical).count();
    assert_eq!(critical, crate::traces::MAX_CRITICAL_PATH);
    assert!(waterfall
        .spans
        .iter()
        .any(|s| s.span_id == "s877" && s.is_error));
    // Still in display order: every kept span's parent that is kept comes before it.
    for (position, one) in waterfall.spans.iter().enumerate() {
        if let Some(parent) = &one.parent_span_id {
            if let Some(at) = waterfall.spans.iter().position(|s| &s.span_id == parent) {
                assert!(at < position, "{} before its parent", one.span_id);
            }
        }
    }
}

#[test]
fn parent_cycles_and_missing_parents_lose_no_span() {
    let s = |id: &str| id.to_owned();
    let spans = vec![
        span("t", s("root"), None, "web", 0, 100, false),
        span("t", s("a"), Some(s("b")), "x", 10, 5, false),
        span("t", s("b"), Some(s("a")), "y", 12, 5, false),
        span("t", s("self"), Some(s("self")), "z", 14, 5, false),
        span("t", s("orphan"), Some(s("gone")), "w", 20, 5, false),
    ];
    let traces = store_of(spans);
    let derived = traces.derive();
    let waterfall = trace_waterfall(&traces, &derived, &[]).expect("waterfall");
    let mut ids: Vec<&str> = waterfall.spans.iter().map(|s| s.span_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["a", "b", "orphan", "root", "self"]);
}

#[test]
fn absurd_durations_and_times_do_not_overflow() {
    let s = |id: &str| id.to_owned();
    let mut spans = vec![
        span("t", s("root"), None, "web", 0, 1, false),
        span("t", s("a"), Some(s("root")), "x", 1, 1, true),
        span("t", s("b"), Some(s("root")), "y", 2, 1, false),
    ];
    spans[0].duration_ns = u64::MAX;
    spans[1].duration_ns = u64::MAX;
    spans[2].duration_ns = u64::MAX / 2;
    spans[2].start = Timestamp::from_unix_nanos(i64::MAX);
    let traces = store_of(spans);
    let derived = traces.derive();
    let waterfall = trace_waterfall(&traces, &derived, &[]).expect("waterfall");
    assert_eq!(waterfall.spans.len(), 3);
    assert!(waterfall
        .spans
        .iter()
        .all(|s| s.self_time_ns <= s.duration_ns));
}

#[test]
fn no_spans_no_waterfall() {
    let traces = TraceStore::default();
    assert_eq!(trace_waterfall(&traces, &[], &[]), None);
}
