//! Shift measurement and ranking on small hand-made systems.

use super::*;
use crate::{AnalysisConfig, Analyzer};
use faultmaven_model::{RecordSink, SpanRecord};
use std::borrow::Cow;

#[test]
fn a_sustained_shift_is_found_with_its_onset_and_a_spike_is_not() {
    let mut series: Vec<Option<f64>> = (0..40).map(|i| Some(10.0 + (i % 3) as f64)).collect();
    for value in series.iter_mut().skip(25) {
        *value = Some(40.0);
    }
    let shift = upward_shift(&series, &[], 1.0, 0.1, false).unwrap();
    assert_eq!(shift.onset, 25);
    assert!(shift.z > 10.0, "{shift:?}");
    let mut spike: Vec<Option<f64>> = (0..40).map(|i| Some(10.0 + (i % 3) as f64)).collect();
    spike[20] = Some(400.0);
    assert!(upward_shift(&spike, &[], 1.0, 0.1, false).is_none_or(|s| s.z < ANOMALOUS_Z));
}

/// web → orders → payments; from minute 20 payments' own work gets slow. Everything above
/// it gets slower too; the ranking must name payments and a latency mechanism.
#[test]
fn the_callee_that_slowed_first_is_the_suspect() {
    let mut analyzer = Analyzer::new(&AnalysisConfig::default());
    let attachment = AttachmentId::new(1);
    analyzer.register_attachment(attachment, AttachmentRole::Incident, "traces.json");
    let ids: Vec<String> = (0..2400).map(|i| format!("{i:016x}")).collect();
    for trace in 0..600usize {
        let minute = trace / 15;
        let start = 1_714_572_000_000i64 + trace as i64 * 4_000;
        let slow = if minute >= 20 { 200 } else { 0 };
        let jitter = (trace % 7) as u64;
        let payments = 20 + slow + jitter;
        let orders = payments + 15 + jitter;
        let web = orders + 10;
        let spans = [
            (0, None, "web", web),
            (1, Some(0), "orders", orders),
            (2, Some(1), "payments", payments),
        ];
        for (offset, parent, service, duration) in spans {
            analyzer.span(SpanRecord {
                attachment,
                line: (trace * 3 + offset) as u64 + 1,
                trace_id: Cow::Owned(format!("trace{trace}")),
                span_id: Cow::Borrowed(&ids[trace * 3 + offset]),
                parent_span_id: parent.map(|p: usize| Cow::Borrowed(ids[trace * 3 + p].as_str())),
                service: Cow::Borrowed(service),
                operation: Cow::Borrowed("handle"),
                kind: SpanKind::Server,
                start: Timestamp::from_unix_millis(start + offset as i64),
                duration_ns: duration * 1_000_000,
                is_error: false,
                attributes: Vec::new(),
            });
        }
    }
    let report = analyzer.finish(1);
    let top = &report.root_causes[0];
    assert_eq!(top.entity.name, "payments", "{:#?}", report.root_causes);
    assert_eq!(top.mechanism, Mechanism::Latency);
    assert!(top.onset.is_some());
    assert!(report
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::TraceAnomaly
            && matches!(f.evidence[0], Evidence::Span { .. })));
}

/// A heap-like series: a GC sawtooth of `amplitude` over `period` buckets on `level`, plus
/// deterministic noise of about `noise` (xorshift, so the test never depends on a seed file).
fn heap(
    length: usize,
    level: f64,
    amplitude: f64,
    period: usize,
    noise: f64,
    seed: u64,
) -> Vec<f64> {
    let mut state = seed.max(1);
    (0..length)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let uniform = (state % 10_000) as f64 / 10_000.0 - 0.5;
            level + amplitude * (i % period) as f64 / period as f64 + 2.0 * noise * uniform
        })
        .collect()
}

fn some(values: &[f64]) -> Vec<Option<f64>> {
    values.iter().copied().map(Some).collect()
}

/// A leak that climbs from bucket 24 while its level stays below where the baseline's heap
/// sat (another day, a bigger heap): the level comparison finds nothing, the slope does.
#[test]
fn a_climb_is_a_trend_even_inside_the_baseline_level() {
    let baseline = heap(40, 800.0, 80.0, 6, 7.0, 11);
    let mut incident = heap(40, 700.0, 80.0, 5, 7.0, 23);
    for (i, value) in incident.iter_mut().enumerate().skip(24) {
        *value += 14.0 * (i - 24) as f64;
    }
    let floor = FeatureKind::Trend(MetricKind::Memory).floor();
    let relative = FeatureKind::Trend(MetricKind::Memory).relative_floor();
    let level = upward_shift(&some(&incident), &some(&baseline), floor, relative, false);
    assert!(level.is_none_or(|s| s.z < ANOMALOUS_Z), "{level:?}");
    for reference in [some(&baseline), Vec::new()] {
        let trend = upward_trend(&some(&incident), &reference, floor, relative)
            .expect("a climb of 14 a bucket over 16 buckets is a trend");
        assert!(trend.z >= ANOMALOUS_Z, "{trend:?}");
        assert!((21..=27).contains(&trend.onset), "{trend:?}");
    }
}

/// What is not a growing slope: a step up that stays, the sawtooth alone, and a climb the
/// baseline made at the same rate.
#[test]
fn steps_sawtooth_and_a_climb_seen_before_are_not_trends() {
    let floor = FeatureKind::Trend(MetricKind::Memory).floor();
    let relative = FeatureKind::Trend(MetricKind::Memory).relative_floor();
    let baseline = heap(40, 700.0, 80.0, 7, 7.0, 5);
    let not_a_trend = |incident: &[f64], reference: &[Option<f64>]| {
        upward_trend(&some(incident), reference, floor, relative).is_none_or(|t| t.z < ANOMALOUS_Z)
    };
    for seed in 1..20u64 {
        let quiet = heap(40, 700.0, 80.0, 4 + (seed % 5) as usize, 7.0, seed);
        assert!(
            not_a_trend(&quiet, &some(&baseline)),
            "sawtooth, seed {seed}"
        );
        assert!(
            not_a_trend(&quiet, &[]),
            "sawtooth without baseline, seed {seed}"
        );
        let mut step = quiet.clone();
        for value in step.iter_mut().skip(26) {
            *value += 300.0;
        }
        assert!(not_a_trend(&step, &some(&baseline)), "step, seed {seed}");
        assert!(
            not_a_trend(&step, &[]),
            "step without baseline, seed {seed}"
        );
    }
    let warming_up: Vec<f64> = heap(40, 700.0, 80.0, 6, 7.0, 3)
        .iter()
        .enumerate()
        .map(|(i, v)| v + 10.0 * i as f64)
        .collect();
    let incident: Vec<f64> = heap(40, 650.0, 80.0, 5, 7.0, 9)
        .iter()
        .enumerate()
        .map(|(i, v)| v + 10.0 * i as f64)
        .collect();
    assert!(not_a_trend(&incident, &some(&warming_up)));
}
