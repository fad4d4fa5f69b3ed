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
