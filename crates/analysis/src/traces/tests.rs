//! Span assembly: self time, caller→callee gaps and where errors start.

use super::*;
use std::borrow::Cow;

#[allow(clippy::too_many_arguments)]
fn span(
    id: &'static str,
    parent: Option<&'static str>,
    service: &'static str,
    kind: SpanKind,
    start_ms: i64,
    duration_ms: u64,
    is_error: bool,
    attributes: Vec<(Cow<'static, str>, Cow<'static, str>)>,
) -> SpanRecord<'static> {
    SpanRecord {
        attachment: AttachmentId::new(1),
        line: 1,
        trace_id: Cow::Borrowed("t1"),
        span_id: Cow::Borrowed(id),
        parent_span_id: parent.map(Cow::Borrowed),
        service: Cow::Borrowed(service),
        operation: Cow::Borrowed("op"),
        kind,
        start: Timestamp::from_unix_millis(1_714_572_314_000 + start_ms),
        duration_ns: duration_ms * 1_000_000,
        is_error,
        attributes,
    }
}

#[test]
fn self_time_gap_and_error_origin() {
    let mut store = TraceStore::default();
    let peer = vec![(Cow::Borrowed("peer.service"), Cow::Borrowed("mysql"))];
    for record in [
        span("a", None, "web", SpanKind::Server, 0, 100, true, vec![]),
        span(
            "b",
            Some("a"),
            "web",
            SpanKind::Client,
            10,
            80,
            true,
            vec![],
        ),
        span(
            "c",
            Some("b"),
            "orders",
            SpanKind::Server,
            20,
            60,
            true,
            vec![],
        ),
        span(
            "d",
            Some("c"),
            "orders",
            SpanKind::Client,
            25,
            40,
            true,
            peer,
        ),
    ] {
        store.add(&record, AttachmentRole::Incident);
    }
    let derived = store.derive();
    assert_eq!(derived[0].self_time, 20_000_000);
    assert_eq!(derived[1].gap, Some((store.spans[2].service, 20_000_000)));
    assert_eq!(derived[2].self_time, 20_000_000);
    assert!(!derived[0].originates_error && derived[3].originates_error);
    // The deepest failing span is a call to the database without a server span: blame it.
    let origins = store.error_origins(&derived);
    assert_eq!(store.name(origins[0].0), "mysql");
    assert_eq!((origins[0].1, origins[0].2), (1, 1));
}

#[test]
fn percentiles_by_nearest_rank() {
    let values: Vec<i64> = (1..=100).collect();
    assert_eq!(percentiles(&values), (50, 95, 99));
    assert_eq!(percentiles(&[7]), (7, 7, 7));
}
