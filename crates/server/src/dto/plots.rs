//! Plot data of the response: anomalous metric series with their expected band, the waterfall
//! of one slow trace, and the timeline events joined with the findings they come from.

use super::{snake, Entity, TimelineEvent};
use faultmaven_model as model;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An anomalous metric series, ready to draw.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SeriesPlot {
    /// The finding the plot illustrates (the most important one about this series).
    pub finding_id: String,
    /// Every finding about this series, most important first.
    pub finding_ids: Vec<String>,
    /// Attachment id.
    pub attachment: String,
    /// Series name and labels, e.g. `cpu_usage{pod="web-1"}`.
    pub series: String,
    /// The metric name alone.
    pub metric: String,
    /// Unit read from the metric name (`ms`, `s`, `bytes`, `%`, ...), when it names one.
    pub unit: Option<String>,
    /// Entities of the series' labels (pod, service, host).
    pub entities: Vec<Entity>,
    /// How the expected band was computed.
    pub band_method: String,
    /// Points in time order, downsampled to at most 500 (extremes and anomalous points kept).
    pub points: Vec<PlotPoint>,
    /// Points of the series before downsampling.
    pub total_points: usize,
    /// Stretches the findings report as anomalous, in time order.
    pub anomalous_ranges: Vec<AnomalousRange>,
}

/// One point of a plotted series.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlotPoint {
    /// RFC 3339.
    pub at: String,
    /// Observed value.
    pub value: f64,
    /// Lower edge of the expected band, to six significant digits (absent until enough earlier
    /// points exist).
    pub lower: Option<f64>,
    /// Upper edge of the expected band.
    pub upper: Option<f64>,
    /// Outside the band, or cited by a finding.
    pub anomalous: bool,
}

/// A stretch of a series a finding reports.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnomalousRange {
    /// First point (RFC 3339).
    pub start: String,
    /// Last point, inclusive (RFC 3339).
    pub end: String,
    /// The finding reporting it.
    pub finding_id: String,
    /// Its kind, e.g. `metric_anomaly`, `metric_shift`.
    pub kind: String,
}

/// The spans of one slow trace, laid out for a waterfall.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TraceWaterfall {
    /// Attachment id.
    pub attachment: String,
    /// Trace id.
    pub trace_id: String,
    /// The trace finding citing it, when one does.
    pub finding_id: Option<String>,
    /// Why this trace was chosen.
    pub reason: String,
    /// When its first span started (RFC 3339).
    pub start: String,
    /// From the first start to the last end, in milliseconds.
    pub duration_ms: f64,
    /// Spans in display order (depth first, children by start), at most 300.
    pub spans: Vec<WaterfallSpan>,
    /// Spans of the trace in the upload.
    pub total_spans: usize,
    /// Which spans were kept, when some were left out.
    pub note: Option<String>,
}

/// One bar of a waterfall.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WaterfallSpan {
    /// Span id (evidence).
    pub span_id: String,
    /// Parent span id.
    pub parent_span_id: Option<String>,
    /// Emitting service.
    pub service: String,
    /// Operation (redacted).
    pub operation: String,
    /// `server`, `client`, `producer`, `consumer`, `internal` or `unspecified`.
    pub kind: String,
    /// Nesting depth (0 for a root).
    pub depth: u32,
    /// Start after the trace's start, in milliseconds.
    pub start_ms: f64,
    /// Duration in milliseconds.
    pub duration_ms: f64,
    /// Duration minus what its children cover, in milliseconds.
    pub self_ms: f64,
    /// The span failed.
    pub is_error: bool,
    /// On the critical path.
    pub critical: bool,
}

/// A band edge to six significant digits: it is an estimate, and the full digits would double
/// the size of a plot.
fn six_digits(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    // Powers of ten up to 1e22 are exact, so scaling by them in the right direction rounds
    // without adding error of its own.
    let digits = 5 - value.abs().log10().floor() as i32;
    let rounded = if digits >= 0 {
        let scale = 10f64.powi(digits);
        (value * scale).round() / scale
    } else {
        let scale = 10f64.powi(-digits);
        (value / scale).round() * scale
    };
    if rounded.is_finite() {
        rounded
    } else {
        value
    }
}

/// Nanoseconds as milliseconds, to the microsecond.
fn millis(nanos: u64) -> f64 {
    (nanos / 1_000) as f64 / 1_000.0
}

impl From<&model::SeriesPlot> for SeriesPlot {
    fn from(p: &model::SeriesPlot) -> Self {
        Self {
            finding_id: p.finding_id.to_string(),
            finding_ids: p.finding_ids.iter().map(ToString::to_string).collect(),
            attachment: p.attachment.to_string(),
            series: p.series.clone(),
            metric: p.metric.clone(),
            unit: p.unit.clone(),
            entities: p.entities.iter().map(Entity::from).collect(),
            band_method: p.band_method.clone(),
            points: p
                .points
                .iter()
                .map(|point| PlotPoint {
                    at: point.at.to_rfc3339(),
                    value: point.value,
                    lower: point.lower.map(six_digits),
                    upper: point.upper.map(six_digits),
                    anomalous: point.anomalous,
                })
                .collect(),
            total_points: p.total_points,
            anomalous_ranges: p
                .anomalous_ranges
                .iter()
                .map(|range| AnomalousRange {
                    start: range.start.to_rfc3339(),
                    end: range.end.to_rfc3339(),
                    finding_id: range.finding_id.to_string(),
                    kind: snake(&range.kind),
                })
                .collect(),
        }
    }
}

impl From<&model::TraceWaterfall> for TraceWaterfall {
    fn from(w: &model::TraceWaterfall) -> Self {
        Self {
            attachment: w.attachment.to_string(),
            trace_id: w.trace_id.clone(),
            finding_id: w.finding_id.map(|id| id.to_string()),
            reason: w.reason.clone(),
            start: w.start.to_rfc3339(),
            duration_ms: millis(w.duration_ns),
            spans: w
                .spans
                .iter()
                .map(|span| WaterfallSpan {
                    span_id: span.span_id.clone(),
                    parent_span_id: span.parent_span_id.clone(),
                    service: span.service.clone(),
                    operation: span.operation.clone(),
                    kind: snake(&span.kind),
                    depth: span.depth,
                    start_ms: millis(span.start_offset_ns),
                    duration_ms: millis(span.duration_ns),
                    self_ms: millis(span.self_time_ns),
                    is_error: span.is_error,
                    critical: span.critical,
                })
                .collect(),
            total_spans: w.total_spans,
            note: w.note.clone(),
        }
    }
}

/// The timeline with what a plot needs from each event's finding: its severity, kind and the
/// end of its window.
pub(super) fn timeline(
    events: &[model::TimelineEvent],
    findings: &[model::Finding],
) -> Vec<TimelineEvent> {
    events
        .iter()
        .map(|event| {
            let finding = event
                .finding_id
                .and_then(|id| findings.iter().find(|finding| finding.id == id));
            TimelineEvent {
                at: event.at.to_rfc3339(),
                until: finding
                    .and_then(|finding| finding.last_seen)
                    .filter(|end| *end > event.at)
                    .map(|end| end.to_rfc3339()),
                signal: snake(&event.signal),
                entity: event.entity.as_ref().map(Entity::from),
                description: event.description.clone(),
                strength: (event.strength * 1000.0).round() / 1000.0,
                finding_id: event.finding_id.as_ref().map(ToString::to_string),
                severity: finding.map(|finding| snake(&finding.severity)),
                finding_kind: finding.map(|finding| snake(&finding.kind)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::six_digits;

    #[test]
    fn band_edges_keep_six_significant_digits() {
        assert_eq!(six_digits(36.026452206765164), 36.0265);
        assert_eq!(six_digits(-1_234_567.0), -1_234_570.0);
        assert_eq!(six_digits(0.000_123_456_789), 0.000_123_457);
        assert_eq!(six_digits(0.0), 0.0);
        for tiny_or_huge in [1e-310, 5e-324, 1e300, f64::MAX] {
            assert!(six_digits(tiny_or_huge).is_finite(), "{tiny_or_huge}");
        }
    }
}
