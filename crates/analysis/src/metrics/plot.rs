//! What a chart of an anomalous series needs: per point the value, the ensemble's score and
//! the band the detectors expected, thinned to a bounded number of points so a long series
//! stays small in the response.

use super::examine::SeriesVerdict;
use faultmaven_model::{AttachmentId, FindingId, Timestamp};

/// The band is the expected value plus or minus this many robust standard deviations.
pub const BAND_SIGMAS: f64 = 3.0;

/// One point of a [`SeriesPlot`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PlotPoint {
    /// When.
    pub time: Timestamp,
    /// The observed value.
    pub value: f64,
    /// The ensemble's calibrated anomaly score of this point in [0, 1], undamped (0.5 is a
    /// p-value of 0.001 after the ensemble's correction; findings start at their alarm
    /// score, 0.5 by default).
    pub score: f64,
    /// The value the detectors expected before seeing this point (a rolling or seasonal
    /// median); `None` while they warm up.
    pub expected: Option<f64>,
    /// `expected - BAND_SIGMAS x spread`.
    pub lower: Option<f64>,
    /// `expected + BAND_SIGMAS x spread`.
    pub upper: Option<f64>,
}

/// A metric series with a finding, ready to chart with its anomaly band.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SeriesPlot {
    /// The upload the series came from.
    pub attachment: AttachmentId,
    /// Name and labels, as in the findings' `MetricPoint` evidence.
    pub series: String,
    /// The findings about this series.
    pub finding_ids: Vec<FindingId>,
    /// How many robust standard deviations the band spans on each side.
    pub band_sigmas: f64,
    /// Points examined in the series (before thinning).
    pub total_points: usize,
    /// The points, in time order, at most the configured count: when thinned, each kept
    /// point is the highest-scoring one of its slice, so no alarm disappears.
    pub points: Vec<PlotPoint>,
}

impl SeriesPlot {
    /// The plot of an examined series, thinned to at most `max_points` points.
    pub(crate) fn of(
        attachment: AttachmentId,
        series: &str,
        verdict: &SeriesVerdict,
        max_points: usize,
    ) -> Self {
        let length = verdict.scored.len().min(verdict.points.len());
        let slices = length.min(max_points.max(1));
        let mut points = Vec::with_capacity(slices);
        for slice in 0..slices {
            let (from, to) = (slice * length / slices, (slice + 1) * length / slices);
            let Some(best) = (from..to).max_by(|&a, &b| {
                verdict.scored[a]
                    .undamped
                    .total_cmp(&verdict.scored[b].undamped)
                    .then(b.cmp(&a))
            }) else {
                continue;
            };
            let point = verdict.points[best];
            let expected = verdict.scored[best].expected;
            points.push(PlotPoint {
                time: Timestamp::from_unix_nanos(point.time),
                value: point.value,
                score: verdict.scored[best].undamped,
                expected: expected.map(|e| e.value),
                lower: expected.map(|e| e.value - BAND_SIGMAS * e.spread),
                upper: expected.map(|e| e.value + BAND_SIGMAS * e.spread),
            });
        }
        Self {
            attachment,
            series: series.to_owned(),
            finding_ids: Vec::new(),
            band_sigmas: BAND_SIGMAS,
            total_points: length,
            points,
        }
    }
}
