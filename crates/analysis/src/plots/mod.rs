//! Plot data for the UI, built at the end of an analysis from its findings: the anomalous
//! metric series (points downsampled, an expected band, the stretches the findings report)
//! and the waterfall of one slow trace.
//!
//! Everything here is derived from records that were redacted on ingest (label values, span
//! operations and attributes); nothing is kept beyond the report.

mod downsample;
mod series;
#[cfg(test)]
mod tests;
mod waterfall;

use crate::metrics::Series;
use crate::traces::{Derived, TraceStore};
use faultmaven_model::{AttachmentId, Evidence, Finding, SeriesPlot, TraceWaterfall};
use series::BandSettings;

/// Series plotted at most (the most important findings' series first).
pub(crate) const MAX_SERIES_PLOTS: usize = 6;

/// What the plots are built from.
pub(crate) struct PlotInput<'a> {
    /// Every metric series of the incident data.
    pub series: &'a [Series],
    /// The report's findings, ranked, with their ids.
    pub findings: &'a [Finding],
    /// The spans kept.
    pub traces: &'a TraceStore,
    /// What was derived per span (parents, self time).
    pub derived: &'a [Derived],
    /// The detector ensemble's view of the series that have findings (its score and expected
    /// band per point): when a series has one, the plot shows the band the findings were
    /// judged against rather than a band of its own.
    pub ensemble: &'a [crate::metrics::SeriesPlot],
    /// A point scoring at least this is drawn as anomalous (the analyzer's alarm score).
    pub alarm_score: f64,
    /// Half-width of the fallback band, in robust standard deviations.
    pub band_sigmas: f64,
    /// Floor of the robust sigma relative to |median|.
    pub relative_floor: f64,
}

/// The plots of one analysis.
#[derive(Debug, Default)]
pub(crate) struct Plots {
    /// The anomalous series, most important first.
    pub series: Vec<SeriesPlot>,
    /// One slow trace.
    pub trace_waterfall: Option<TraceWaterfall>,
}

/// Builds the series plots and the trace waterfall.
pub(crate) fn build(input: &PlotInput<'_>) -> Plots {
    Plots {
        series: series_plots(input),
        trace_waterfall: waterfall::trace_waterfall(input.traces, input.derived, input.findings),
    }
}

/// One plot per series that findings cite with metric points, in the order of the first
/// finding citing each (findings are ranked: most severe first), at most
/// [`MAX_SERIES_PLOTS`].
fn series_plots(input: &PlotInput<'_>) -> Vec<SeriesPlot> {
    let mut cited: Vec<((AttachmentId, &str), Vec<&Finding>)> = Vec::new();
    for finding in input.findings {
        for evidence in &finding.evidence {
            let Evidence::MetricPoint {
                attachment, series, ..
            } = evidence
            else {
                continue;
            };
            let key = (*attachment, series.as_str());
            match cited.iter_mut().find(|(known, _)| *known == key) {
                Some((_, list)) if list.iter().any(|f| f.id == finding.id) => {}
                Some((_, list)) => list.push(finding),
                None => cited.push((key, vec![finding])),
            }
        }
    }
    let settings = BandSettings {
        sigmas: input.band_sigmas,
        relative_floor: input.relative_floor,
    };
    cited
        .iter()
        .filter_map(|((attachment, name), findings)| {
            let series = input
                .series
                .iter()
                .find(|s| s.attachment == *attachment && s.display == *name)?;
            let ensemble = input
                .ensemble
                .iter()
                .find(|plot| plot.attachment == *attachment && plot.series == *name)
                .map(|plot| (plot, input.alarm_score));
            series::series_plot(series, findings, settings, ensemble)
        })
        .take(MAX_SERIES_PLOTS)
        .collect()
}
