//! Plot data for the UI: anomalous metric series with their expected band, and the waterfall
//! of one slow trace. Built by analysis from data that was redacted on ingest; compact by
//! construction (points downsampled, spans capped).

use crate::{AttachmentId, FindingId, FindingKind, SpanKind, Suspect, TimelineEvent, Timestamp};
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

/// The plots a session keeps: those of its latest request that carried data, so reopening the
/// session shows them again. Derived from redacted data only, like the findings they cite.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionPlots {
    /// Events of every signal on one timeline, earliest first.
    pub timeline: Vec<TimelineEvent>,
    /// The anomalous metric series, ready to plot.
    pub series_plots: Vec<SeriesPlot>,
    /// The waterfall of one slow trace.
    pub trace_waterfall: Option<TraceWaterfall>,
}

impl SessionPlots {
    /// True when there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.timeline.is_empty() && self.series_plots.is_empty() && self.trace_waterfall.is_none()
    }

    /// Drops what JSON cannot carry: points whose value is not finite, band edges that are not
    /// (the point stays, without its band), and timeline strengths that are not (set to 0).
    /// Stores write sessions as JSON, where a NaN would become `null` and not read back.
    pub fn drop_non_finite(&mut self) {
        for plot in &mut self.series_plots {
            plot.points.retain(|point| point.value.is_finite());
            for point in &mut plot.points {
                point.lower = point.lower.filter(|edge| edge.is_finite());
                point.upper = point.upper.filter(|edge| edge.is_finite());
            }
        }
        for event in &mut self.timeline {
            if !event.strength.is_finite() {
                event.strength = 0.0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Signal;

    fn point(value: f64, lower: Option<f64>, upper: Option<f64>) -> PlotPoint {
        PlotPoint {
            at: Timestamp::from_unix_millis(1_714_572_187_000),
            value,
            lower,
            upper,
            anomalous: false,
        }
    }

    #[test]
    fn non_finite_numbers_are_dropped_and_finite_ones_kept() {
        let mut plots = SessionPlots {
            timeline: vec![TimelineEvent {
                at: Timestamp::from_unix_millis(1_714_572_187_000),
                signal: Signal::Metric,
                entity: None,
                description: "cpu jumped".to_owned(),
                strength: f64::NAN,
                finding_id: None,
            }],
            series_plots: vec![SeriesPlot {
                finding_id: FindingId::new(1),
                finding_ids: vec![FindingId::new(1)],
                attachment: AttachmentId::new(1),
                series: "cpu".to_owned(),
                metric: "cpu".to_owned(),
                unit: None,
                entities: Vec::new(),
                band_method: "rolling median".to_owned(),
                points: vec![
                    point(1.0, Some(0.5), Some(1.5)),
                    point(f64::NAN, Some(0.5), Some(1.5)),
                    point(2.0, Some(f64::NEG_INFINITY), Some(f64::INFINITY)),
                ],
                total_points: 3,
                anomalous_ranges: Vec::new(),
            }],
            trace_waterfall: None,
        };
        plots.drop_non_finite();
        assert_eq!(plots.timeline[0].strength, 0.0);
        assert_eq!(
            plots.series_plots[0].points,
            vec![point(1.0, Some(0.5), Some(1.5)), point(2.0, None, None)]
        );
        assert!(!plots.is_empty());
        assert!(SessionPlots::default().is_empty());
    }
}
