//! Series plots: the points of an anomalous metric series with an expected band, computed
//! online (each point's band uses only earlier points), and the stretches its findings report.

use super::downsample::downsample;
use crate::metrics::{Point, Series};
use crate::robust::RobustScale;
use faultmaven_model::{
    AnomalousRange, Evidence, Finding, FindingId, PlotPoint, SeriesPlot, SuspectKind, Timestamp,
};
use std::collections::VecDeque;

/// Earlier points the band is computed from.
pub(crate) const BAND_WINDOW: usize = 60;
/// Earlier points needed before a band is drawn at all.
pub(crate) const BAND_MIN_HISTORY: usize = 10;
/// Points per plotted series at most.
pub(crate) const MAX_PLOT_POINTS: usize = 500;

/// Settings of the band.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BandSettings {
    /// Half-width of the band in robust standard deviations (the analyzer's own threshold, so
    /// the band shows what the findings call normal).
    pub sigmas: f64,
    /// Floor of the robust sigma relative to |median| (a flat series still gets a band).
    pub relative_floor: f64,
}

/// The expected band of every point: the rolling median of the previous [`BAND_WINDOW`]
/// points that are not `excluded` ± `sigmas` robust standard deviations (1.4826 × MAD) of
/// them. `None` while fewer than [`BAND_MIN_HISTORY`] such points exist. Online: point `i`'s
/// band depends only on points before `i`.
///
/// Excluding the stretches the findings report keeps the band at the level that was normal
/// before them: an outage is drawn against the expected level, and a window straddling the
/// outage's edges does not blow the spread up.
pub(crate) fn rolling_band(
    values: &[f64],
    excluded: &[bool],
    settings: BandSettings,
) -> Vec<Option<(f64, f64)>> {
    let mut history: VecDeque<f64> = VecDeque::with_capacity(BAND_WINDOW + 1);
    let mut work: Vec<f64> = Vec::with_capacity(BAND_WINDOW);
    values
        .iter()
        .enumerate()
        .map(|(index, &value)| {
            let band = (history.len() >= BAND_MIN_HISTORY)
                .then(|| {
                    work.clear();
                    work.extend(history.iter().copied());
                    RobustScale::of(&work, settings.relative_floor)
                })
                .flatten()
                .map(|scale| {
                    let half_width = if scale.is_degenerate() {
                        0.0
                    } else {
                        settings.sigmas * scale.sigma
                    };
                    (scale.median - half_width, scale.median + half_width)
                });
            if !excluded.get(index).copied().unwrap_or(false) {
                if history.len() == BAND_WINDOW {
                    history.pop_front();
                }
                history.push_back(value);
            }
            band
        })
        .collect()
}

/// Words for `SeriesPlot::band_method`.
fn band_method(settings: BandSettings) -> String {
    format!(
        "rolling median ± {} robust standard deviations (1.4826 × MAD) of the previous {BAND_WINDOW} points outside the anomalous ranges",
        settings.sigmas
    )
}

/// A unit named by the metric's name (Prometheus suffix conventions and common spellings).
pub(crate) fn unit_of(metric: &str) -> Option<&'static str> {
    let lower = metric.to_ascii_lowercase();
    if lower.ends_with("per_second") || lower.ends_with("_rate_per_sec") {
        return Some("/s");
    }
    let last = lower.rsplit(['_', '.', '-']).next().unwrap_or("");
    // `_total` and `_bucket` suffixes follow the unit: `http_request_duration_seconds_total`.
    let stem = match last {
        "total" | "count" | "sum" | "bucket" => lower
            .rsplit_once(['_', '.', '-'])
            .map_or("", |(stem, _)| stem)
            .rsplit(['_', '.', '-'])
            .next()
            .unwrap_or(""),
        _ => last,
    };
    Some(match stem {
        "ms" | "millis" | "milliseconds" => "ms",
        "us" | "micros" | "microseconds" => "µs",
        "ns" | "nanos" | "nanoseconds" => "ns",
        "s" | "sec" | "secs" | "seconds" => "s",
        "bytes" => "bytes",
        "kb" => "kB",
        "mb" => "MB",
        "gb" => "GB",
        "kib" => "KiB",
        "mib" => "MiB",
        "gib" => "GiB",
        "percent" | "pct" => "%",
        "ratio" => "ratio",
        "rps" => "req/s",
        _ => return None,
    })
}

/// Builds the plot of one series for the findings that cite it (most important first).
pub(crate) fn series_plot(
    series: &Series,
    findings: &[&Finding],
    settings: BandSettings,
    ensemble: Option<(&crate::metrics::SeriesPlot, f64)>,
) -> Option<SeriesPlot> {
    let lead = findings.first()?;
    let mut points: Vec<Point> = series
        .points
        .iter()
        .copied()
        .filter(|point| point.value.is_finite())
        .collect();
    if points.is_empty() {
        return None;
    }
    // The same order the analyzer examines: by time, ties by line.
    points.sort_by(|a, b| a.time.cmp(&b.time).then(a.line.cmp(&b.line)));
    let values: Vec<f64> = points.iter().map(|point| point.value).collect();
    let windows: Vec<(i64, i64)> = findings
        .iter()
        .filter_map(|finding| {
            let start = finding.first_seen?.unix_nanos();
            Some((
                start,
                finding.last_seen.map_or(start, Timestamp::unix_nanos),
            ))
        })
        .collect();
    let excluded: Vec<bool> = points
        .iter()
        .map(|point| {
            windows
                .iter()
                .any(|&(start, end)| (start..=end).contains(&point.time))
        })
        .collect();
    let band = rolling_band(&values, &excluded, settings);

    let cited: Vec<(i64, u64)> = findings
        .iter()
        .flat_map(|finding| finding.evidence.iter())
        .filter_map(|evidence| match evidence {
            Evidence::MetricPoint {
                attachment,
                series: name,
                timestamp: Some(at),
                line,
                ..
            } if *attachment == series.attachment && *name == series.display => {
                Some((at.unix_nanos(), *line))
            }
            _ => None,
        })
        .collect();
    // Rank for the downsampler: cited points first, then by distance outside the band.
    let priority: Vec<Option<f64>> = points
        .iter()
        .zip(&band)
        .map(|(point, band)| {
            if cited.contains(&(point.time, point.line)) {
                return Some(f64::INFINITY);
            }
            let (lower, upper) = (*band)?;
            let outside = (lower - point.value).max(point.value - upper);
            (outside > 0.0).then(|| outside / (upper - lower).max(f64::MIN_POSITIVE))
        })
        .collect();
    let (plot_points, band_method) = match ensemble {
        // The band the findings were judged against: the ensemble's expected value (seasonal
        // when its history is long enough, else the rolling median) ± its spread, already
        // thinned so that no alarm disappears.
        Some((ensemble, alarm_score)) => (
            ensemble
                .points
                .iter()
                .map(|point| PlotPoint {
                    at: point.time,
                    value: point.value,
                    lower: point.lower,
                    upper: point.upper,
                    anomalous: point.score >= alarm_score
                        || cited.iter().any(|&(at, _)| at == point.time.unix_nanos())
                        || point.lower.zip(point.upper).is_some_and(|(lower, upper)| {
                            point.value < lower || point.value > upper
                        }),
                })
                .collect(),
            format!(
                "the detector ensemble's expected value (seasonal median once enough history, else rolling median) ± {} robust standard deviations; points scoring ≥ {alarm_score} are anomalous",
                ensemble.band_sigmas
            ),
        ),
        None => {
            let kept = downsample(&values, &priority, MAX_PLOT_POINTS);
            let plot_points = kept
                .iter()
                .map(|&index| PlotPoint {
                    at: Timestamp::from_unix_nanos(points[index].time),
                    value: points[index].value,
                    lower: band[index].map(|(lower, _)| lower),
                    upper: band[index].map(|(_, upper)| upper),
                    anomalous: priority[index].is_some(),
                })
                .collect();
            (plot_points, band_method(settings))
        }
    };

    let mut anomalous_ranges: Vec<AnomalousRange> = findings
        .iter()
        .filter_map(|finding| {
            let start = finding.first_seen?;
            Some(AnomalousRange {
                start,
                end: finding.last_seen.unwrap_or(start).max(start),
                finding_id: finding.id,
                kind: finding.kind,
            })
        })
        .collect();
    anomalous_ranges.sort_by(|a, b| a.start.cmp(&b.start).then(a.end.cmp(&b.end)));

    let metric = series
        .display
        .split_once('{')
        .map_or(series.display.as_str(), |(name, _)| name)
        .to_owned();
    Some(SeriesPlot {
        finding_id: lead.id,
        finding_ids: findings
            .iter()
            .map(|finding| finding.id)
            .collect::<Vec<FindingId>>(),
        attachment: series.attachment,
        series: series.display.clone(),
        unit: unit_of(&metric).map(str::to_owned),
        metric,
        entities: series
            .subjects
            .iter()
            .filter(|subject| subject.kind != SuspectKind::Metric)
            .cloned()
            .collect(),
        band_method,
        points: plot_points,
        total_points: points.len(),
        anomalous_ranges,
    })
}
