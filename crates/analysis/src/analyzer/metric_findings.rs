//! Findings about metric series, from the online detector ensemble: anomalous stretches,
//! level shifts that stayed, and bounded resources on their way to full; plus the chart of
//! every series a finding is about.

use super::{Analyzer, MAX_EVIDENCE, TITLE_TEMPLATE_CHARS};
use crate::detectors::p_value_of_score;
use crate::metrics::{
    examine, limits_of, resource_noun, saturation_of, LimitSource, Point, SaturationVerdict,
    Series, SeriesPlot, SeriesVerdict, Stretch, StretchKind,
};
use crate::signals::{cut, format_time, format_value, format_window};
use faultmaven_model::{Evidence, Finding, FindingId, FindingKind, Severity, Timestamp};

/// A stretch whose peak lies this many robust standard deviations from what was expected is
/// a spike or a dip; closer, it is a change of pattern (a flat stretch, lost periodicity).
const SPIKE_SIGMAS: f64 = 3.0;
/// Labels that name the mount, volume or pool of a resource, for titles.
const PLACE_LABELS: &[&str] = &[
    "mountpoint",
    "mount",
    "path",
    "volume",
    "persistentvolumeclaim",
    "device",
    "area",
    "queue",
    "pool",
];
/// Labels that name the machine or workload, for titles.
const HOST_LABELS: &[&str] = &[
    "host",
    "hostname",
    "instance",
    "node",
    "pod",
    "container",
    "service",
];

/// Severity of a calibrated ensemble score: p <= 1e-4 is high, p <= 5e-4 medium. (The
/// calibration weighs the series' own history, so on a short series even a huge deviation
/// scores about 0.7: the tiers sit where a clear anomaly lands after a few dozen points.)
fn severity_of_score(score: f64) -> Severity {
    if score >= 4.0 / 6.0 {
        Severity::High
    } else if score >= 0.55 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// How far the farthest value of a stretch is from what was expected at its onset, in
/// robust standard deviations (0 when nothing was expected yet).
fn deviation_sigmas(points: &[Point], stretch: &Stretch) -> f64 {
    stretch.expected.map_or(0.0, |expected| {
        (points[stretch.extreme].value - expected.value).abs() / expected.spread
    })
}

/// "~3 h 10 min", "~45 min", "~2 d 4 h".
fn approximate_duration(seconds: f64) -> String {
    let minutes = (seconds / 60.0).round().max(0.0) as i64;
    match minutes {
        0 => "under a minute".to_owned(),
        1..=59 => format!("~{minutes} min"),
        60..=599 if minutes % 60 != 0 => format!("~{} h {} min", minutes / 60, minutes % 60),
        60..=1439 => format!("~{} h", (minutes as f64 / 60.0).round()),
        _ => {
            let hours = (minutes as f64 / 60.0).round() as i64;
            match hours % 24 {
                0 => format!("~{} d", hours / 24),
                rest => format!("~{} d {rest} h", hours / 24),
            }
        }
    }
}

impl Analyzer {
    /// Every metric finding, and the charts of the series they are about (finding ids are
    /// filled in once the findings are ranked: [`attach_plots`]).
    pub(super) fn metric_findings(&self, series: &[Series]) -> (Vec<Finding>, Vec<SeriesPlot>) {
        let config = &self.config.metrics;
        let limits = limits_of(series);
        let mut findings = Vec::new();
        let mut plots = Vec::new();
        for (index, one) in series.iter().enumerate() {
            if one.points.is_empty() {
                continue;
            }
            let verdict = examine(&one.points, config);
            let before = findings.len();
            findings.extend(self.shift_finding(one, &verdict));
            findings.extend(self.anomaly_finding(one, &verdict));
            if let Some((limit, source, draining)) = limits.get(&index) {
                let saturation =
                    saturation_of(&verdict.points, *limit, source.clone(), *draining, config);
                findings.extend(saturation.map(|s| self.saturation_finding(one, &s)));
            }
            if findings.len() > before && !verdict.scored.is_empty() {
                plots.push(SeriesPlot::of(
                    one.attachment,
                    &one.display,
                    &verdict,
                    config.plot_points,
                ));
            }
        }
        (findings, plots)
    }

    fn point_evidence(series: &Series, point: &Point) -> Evidence {
        Evidence::MetricPoint {
            attachment: series.attachment,
            series: series.display.clone(),
            timestamp: Some(Timestamp::from_unix_nanos(point.time)),
            value: point.value,
            line: point.line,
        }
    }

    /// What of the series was not examined, if anything.
    fn coverage_note(series: &Series) -> String {
        let mut note = String::new();
        if series.non_finite > 0 {
            note.push_str(&format!(
                " {} NaN or infinite values were ignored.",
                series.non_finite
            ));
        }
        if series.dropped > 0 {
            note.push_str(&format!(
                " Only the first {} points were examined; {} later ones were not.",
                series.points.len(),
                series.dropped
            ));
        }
        note
    }

    /// "Detectors that fired: rolling_robust, seasonal."
    fn detectors_note(verdict: &SeriesVerdict, stretch: &Stretch) -> String {
        let names = verdict.detector_names(stretch.fired);
        if names.is_empty() {
            String::new()
        } else {
            format!(" Detectors that fired: {}.", names.join(", "))
        }
    }

    fn anomaly_finding(&self, series: &Series, verdict: &SeriesVerdict) -> Option<Finding> {
        let points = &verdict.points;
        let change_point_only =
            |stretch: &Stretch| verdict.detector_names(stretch.fired) == ["change_point"];
        let excursions: Vec<&Stretch> = verdict
            .stretches
            .iter()
            .filter(|s| s.kind == StretchKind::Excursion)
            // A level detector alone, with the values still inside the band, is the drift of
            // a trend (a disk filling up), not a change of pattern.
            .filter(|s| !(change_point_only(s) && deviation_sigmas(points, s) < SPIKE_SIGMAS))
            .collect();
        // Calibrated scores saturate at 1: among equals, the larger deviation leads.
        let deviation = |stretch: &Stretch| deviation_sigmas(points, stretch);
        let headline = *excursions.iter().max_by(|a, b| {
            a.peak_score
                .total_cmp(&b.peak_score)
                .then(deviation(a).total_cmp(&deviation(b)))
                .then(b.start.cmp(&a.start))
        })?;
        let (start, end, peak, extreme) = (
            points.get(headline.start)?,
            points.get(headline.end)?,
            points.get(headline.peak)?,
            points.get(headline.extreme)?,
        );
        let with_date = self.spans_days();
        let when = format_window(start.time, end.time, with_date, false);
        let name = cut(&series.display, TITLE_TEMPLATE_CHARS);
        let (title, comparison) = match headline.expected {
            Some(expected) => {
                let sigmas = (extreme.value - expected.value) / expected.spread;
                let title = if sigmas >= SPIKE_SIGMAS {
                    format!(
                        "{name} spiked to {} at {when} (typical {})",
                        format_value(extreme.value),
                        format_value(expected.value)
                    )
                } else if sigmas <= -SPIKE_SIGMAS {
                    format!(
                        "{name} dropped to {} at {when} (typical {})",
                        format_value(extreme.value),
                        format_value(expected.value)
                    )
                } else {
                    format!("{name} changed its pattern at {when}")
                };
                let comparison = format!(
                    "{} where {} ± {} was expected ({:+.1} robust standard deviations; the \
                     farthest value, {}, is {sigmas:+.1})",
                    format_value(peak.value),
                    format_value(expected.value),
                    format_value(expected.spread),
                    (peak.value - expected.value) / expected.spread,
                    format_value(extreme.value),
                );
                (title, comparison)
            }
            None => (
                format!(
                    "{name} was anomalous at {when} (value {})",
                    format_value(peak.value)
                ),
                format!("{} (no expectation yet)", format_value(peak.value)),
            ),
        };
        let mut detail = format!(
            "The online detector ensemble marks {} stretch(es) of {} points as anomalous; the \
             strongest, {when}, peaks at score {:.2} (p ≈ {:.1e}) at {}: {comparison}.",
            excursions.len(),
            points.len(),
            headline.peak_score,
            p_value_of_score(headline.peak_score),
            Timestamp::from_unix_nanos(peak.time),
        );
        detail.push_str(&Self::detectors_note(verdict, headline));
        detail.push_str(&Self::coverage_note(series));
        // The farthest value, the peak score, the stretch's ends, then the peaks of the next strongest stretches.
        let mut indices = vec![
            headline.extreme,
            headline.peak,
            headline.start,
            headline.end,
        ];
        let mut others: Vec<&&Stretch> = excursions
            .iter()
            .filter(|s| s.start != headline.start)
            .collect();
        others.sort_by(|a, b| b.peak_score.total_cmp(&a.peak_score));
        indices.extend(others.iter().map(|s| s.peak));
        let mut seen = Vec::new();
        let evidence: Vec<Evidence> = indices
            .into_iter()
            .filter(|index| {
                let fresh = !seen.contains(index);
                seen.push(*index);
                fresh
            })
            .take(MAX_EVIDENCE)
            .filter_map(|index| points.get(index))
            .map(|point| Self::point_evidence(series, point))
            .collect();
        let alarm = self.config.metrics.alarm_score;
        let strength = ((headline.peak_score - alarm) / (1.0 - alarm).max(1e-9)).clamp(0.0, 1.0);
        Some(Finding {
            id: FindingId::new(0),
            kind: FindingKind::MetricAnomaly,
            severity: severity_of_score(headline.peak_score),
            title,
            detail,
            // Below 0.8: at equal severity, failing requests in the logs come first.
            score: 0.78 * (0.5 + 0.5 * strength),
            first_seen: Some(Timestamp::from_unix_nanos(start.time)),
            last_seen: Some(Timestamp::from_unix_nanos(end.time)),
            subjects: series.subjects.clone(),
            template_id: None,
            entities: Vec::new(),
            evidence,
        })
    }

    fn shift_finding(&self, series: &Series, verdict: &SeriesVerdict) -> Option<Finding> {
        let (stretch, before_level, after_level, z) = verdict
            .stretches
            .iter()
            .filter_map(|s| match s.kind {
                StretchKind::Shift { before, after, z } => Some((s, before, after, z)),
                StretchKind::Excursion => None,
            })
            .max_by(|a, b| a.3.total_cmp(&b.3))?;
        let points = &verdict.points;
        let before = points.get(stretch.start.checked_sub(1)?)?;
        let after = points.get(stretch.start)?;
        let last = points.last()?;
        let with_date = self.spans_days();
        let title = format!(
            "{} moved from ~{} to ~{} at {} and stayed",
            cut(&series.display, TITLE_TEMPLATE_CHARS),
            format_value(before_level),
            format_value(after_level),
            format_time(after.time, with_date, false),
        );
        let mut detail = format!(
            "Median {} before {}, median {} from then on: {z:.1} pooled robust standard \
             deviations apart ({:+.0}%). The online detector ensemble alarmed at the change \
             (score {:.2}, p ≈ {:.1e}).",
            format_value(before_level),
            Timestamp::from_unix_nanos(after.time),
            format_value(after_level),
            if before_level != 0.0 {
                100.0 * (after_level - before_level) / before_level.abs()
            } else {
                0.0
            },
            stretch.peak_score,
            p_value_of_score(stretch.peak_score),
        );
        detail.push_str(&Self::detectors_note(verdict, stretch));
        detail.push_str(&Self::coverage_note(series));
        let alarm = self.config.metrics.alarm_score;
        let strength = ((stretch.peak_score - alarm) / (1.0 - alarm).max(1e-9)).clamp(0.0, 1.0);
        Some(Finding {
            id: FindingId::new(0),
            kind: FindingKind::MetricShift,
            severity: severity_of_score(stretch.peak_score),
            title,
            detail,
            score: 0.74 * (0.5 + 0.5 * strength),
            first_seen: Some(Timestamp::from_unix_nanos(after.time)),
            last_seen: Some(Timestamp::from_unix_nanos(last.time)),
            subjects: series.subjects.clone(),
            template_id: None,
            entities: Vec::new(),
            evidence: vec![
                Self::point_evidence(series, before),
                Self::point_evidence(series, after),
                Self::point_evidence(series, last),
            ],
        })
    }

    fn saturation_finding(&self, series: &Series, verdict: &SaturationVerdict) -> Finding {
        let fit = &verdict.fit;
        let (first, last) = verdict.fitted;
        let place = PLACE_LABELS.iter().find_map(|key| series.label(key));
        let host = HOST_LABELS.iter().find_map(|key| series.label(key));
        let subject = match resource_noun(series.name()) {
            Some(noun) => {
                let mut subject = noun.to_owned();
                if let Some(place) = place {
                    subject.push(' ');
                    subject.push_str(place);
                }
                if let Some(host) = host {
                    subject.push_str(" on ");
                    subject.push_str(host);
                }
                subject
            }
            None => cut(&series.display, TITLE_TEMPLATE_CHARS),
        };
        let seconds = fit.time_to_full_seconds;
        let title = if seconds <= 0.0 {
            format!(
                "{subject} is full (at its limit {})",
                format_value(verdict.limit)
            )
        } else {
            format!(
                "{subject} will be full in {} at the current rate",
                approximate_duration(seconds)
            )
        };
        let source = match &verdict.source {
            LimitSource::Percent => "the series is a share of the resource".to_owned(),
            LimitSource::Label(key) => format!("the limit is the series' `{key}` label"),
            LimitSource::Partner(partner) => format!("the limit is the last value of {partner}"),
        };
        let scale = if verdict.draining {
            "free space counts down, so the line is fitted on used = limit - free"
        } else {
            "the line is fitted on the values"
        };
        let full_at = last.time.saturating_add((seconds * 1e9) as i64);
        let mut detail = format!(
            "{}: a least-squares line through the last {} points ({}) explains {:.0}% of their \
             variance (R²) and rises {} per hour; it stands at {} of {} now ({source}; \
             {scale}), so it reaches the limit around {}.",
            series.display,
            verdict.fitted_points,
            format_window(first.time, last.time, true, false),
            100.0 * fit.fit_quality,
            format_value(fit.slope_per_hour),
            format_value(fit.level),
            format_value(verdict.limit.max(fit.level.abs())),
            format_time(full_at, true, false),
        );
        detail.push_str(&Self::coverage_note(series));
        let hours = seconds / 3600.0;
        let severity = if seconds <= 0.0 {
            Severity::Critical
        } else if hours <= 1.0 {
            Severity::High
        } else if hours <= 24.0 {
            Severity::Medium
        } else {
            Severity::Low
        };
        Finding {
            id: FindingId::new(0),
            kind: FindingKind::MetricSaturation,
            severity,
            title,
            detail,
            score: 0.5 + 0.4 * (-hours / 6.0).exp(),
            first_seen: Some(Timestamp::from_unix_nanos(first.time)),
            last_seen: Some(Timestamp::from_unix_nanos(last.time)),
            subjects: series.subjects.clone(),
            template_id: None,
            entities: Vec::new(),
            evidence: vec![
                Self::point_evidence(series, &last),
                Self::point_evidence(series, &first),
            ],
        }
    }
}

/// Fills in each chart's finding ids from the ranked findings (their metric evidence names
/// the series) and drops the charts whose findings were all cut.
pub(super) fn attach_plots(plots: &mut Vec<SeriesPlot>, findings: &[Finding]) {
    for plot in plots.iter_mut() {
        plot.finding_ids = findings
            .iter()
            .filter(|finding| {
                finding.evidence.iter().any(|evidence| {
                    matches!(evidence, Evidence::MetricPoint { attachment, series, .. }
                        if *attachment == plot.attachment && *series == plot.series)
                })
            })
            .map(|finding| finding.id)
            .collect();
    }
    plots.retain(|plot| !plot.finding_ids.is_empty());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(approximate_duration(20.0), "under a minute");
        assert_eq!(approximate_duration(45.0 * 60.0), "~45 min");
        assert_eq!(approximate_duration(190.0 * 60.0), "~3 h 10 min");
        assert_eq!(approximate_duration(13.4 * 3600.0), "~13 h");
        assert_eq!(approximate_duration(52.0 * 3600.0), "~2 d 4 h");
        assert_eq!(approximate_duration(48.0 * 3600.0), "~2 d");
    }
}
