//! Plot data for the UI: anomalous metric series with their expected band, and the waterfall
//! of one slow trace. Built by analysis from data that was redacted on ingest; compact by
//! construction (points downsampled, spans capped).

use crate::{AttachmentId, FindingId, FindingKind, SpanKind, Suspect, Timestamp};
use serde::{Deserialize, Serialize};

/// One point of a plotted series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlotPoint {
    /// When.
    pub at: Timestamp,
    /// The observed value.
    pub value: f64,
    /// Lower edge of the expected band at this point, once enough earlier points exist.
    pub lower: Option<f64>,
    /// Upper edge of the expected band.
    pub upper: Option<f64>,
    /// Outside the band, or cited as evidence by a finding.
    pub anomalous: bool,
}

/// A stretch of a series a finding reports as anomalous.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalousRange {
    /// First point of the stretch.
    pub start: Timestamp,
    /// Last point (inclusive; equal to `start` for a single point).
    pub end: Timestamp,
    /// The finding that reports it.
    pub finding_id: FindingId,
    /// What kind of finding (anomaly, shift, ...).
    pub kind: FindingKind,
}

/// An anomalous metric series, ready to draw: points, expected band, anomalous stretches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPlot {
    /// The most important finding about this series (the plot illustrates it).
    pub finding_id: FindingId,
    /// Every finding about this series, most important first.
    pub finding_ids: Vec<FindingId>,
    /// The upload the series comes from.
    pub attachment: AttachmentId,
    /// Series identity: name and labels, e.g. `cpu_usage{pod="web-1"}`.
    pub series: String,
    /// The metric name alone.
    pub metric: String,
    /// Unit read from the metric name (`ms`, `s`, `bytes`, `percent`, ...), when it names one.
    pub unit: Option<String>,
    /// Entities the series is about (pods, services, hosts from its labels).
    pub entities: Vec<Suspect>,
    /// How the band was computed, in words.
    pub band_method: String,
    /// Points in time order, downsampled (extremes and anomalous points kept).
    pub points: Vec<PlotPoint>,
    /// Points the series had before downsampling.
    pub total_points: usize,
    /// Stretches the findings report, in time order.
    pub anomalous_ranges: Vec<AnomalousRange>,
}

/// One span of a waterfall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaterfallSpan {
    /// Span id as in the upload (the evidence to cite).
    pub span_id: String,
    /// Parent span id, when the span has one.
    pub parent_span_id: Option<String>,
    /// Emitting service.
    pub service: String,
    /// Operation (redacted on ingest).
    pub operation: String,
    /// Server, client, ...
    pub kind: SpanKind,
    /// Nesting depth from the trace's root (0 for a root).
    pub depth: u32,
    /// Start, in nanoseconds after the trace's first span started.
    pub start_offset_ns: u64,
    /// Duration in nanoseconds.
    pub duration_ns: u64,
    /// Duration minus the time its direct children cover, in nanoseconds.
    pub self_time_ns: u64,
    /// The span reports an error.
    pub is_error: bool,
    /// On the critical path (from the root, the child that ends last at each level).
    pub critical: bool,
}

/// The spans of one slow trace, laid out for a waterfall chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceWaterfall {
    /// The upload the trace comes from.
    pub attachment: AttachmentId,
    /// Trace id as in the upload.
    pub trace_id: String,
    /// The trace finding that cites this trace, when one does.
    pub finding_id: Option<FindingId>,
    /// Why this trace was chosen, in words.
    pub reason: String,
    /// When its first span started.
    pub start: Timestamp,
    /// From the first span's start to the last span's end, in nanoseconds.
    pub duration_ns: u64,
    /// Spans in display order (depth first, children by start time), at most a cap.
    pub spans: Vec<WaterfallSpan>,
    /// Spans the trace has in the upload.
    pub total_spans: usize,
    /// Set when spans were left out, saying which were kept.
    pub note: Option<String>,
}
