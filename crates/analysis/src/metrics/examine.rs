//! One series through the online detector ensemble: each point's calibrated score and the
//! band the detectors expected before seeing it, then the anomalous stretches (alarms close
//! together) and which of them are level shifts that stayed.
//!
//! The scores are online (a point is judged on earlier points only), so what a finding says
//! at a point is what a live monitor would have said then.

use super::Point;
use crate::config::MetricConfig;
use crate::detectors::{p_value_of_score, EnsembleConfig, Expectation, OnlineDetector};
use crate::robust::{median, RobustScale};

/// Points before a stretch that describe the level it left (the detectors' window).
const BEFORE_WINDOW: usize = 256;
/// Points from a stretch on that describe the level it moved to (bounded, so classifying
/// many stretches of a long series stays cheap).
const AFTER_WINDOW: usize = 1024;
/// Detectors whose alarms are tracked per point (bits of [`ScoredPoint::fired`]).
const MAX_TRACKED_DETECTORS: usize = 32;

/// What the ensemble said about one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ScoredPoint {
    /// The ensemble's calibrated score in [0, 1] (an alarm damps the weaker scores that
    /// follow it, so an episode alarms once).
    pub score: f64,
    /// The same score undamped: how unusual this point is on its own.
    pub undamped: f64,
    /// The value expected before the point was seen, with its robust spread.
    pub expected: Option<Expectation>,
    /// Bit i is set when detector i alone would have raised the alarm.
    pub fired: u32,
}

/// What kind of anomalous stretch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum StretchKind {
    /// The series left its usual range and came back (a spike, a dip, a flat stretch).
    Excursion,
    /// The level moved at the stretch and stayed there to the end of the series.
    Shift {
        /// Median of the points before.
        before: f64,
        /// Median of the points from the stretch on.
        after: f64,
        /// The medians apart, in pooled robust standard deviations (capped at 1e6).
        z: f64,
    },
}

/// Consecutive alarms (at most `merge_gap_points` apart) of one series.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stretch {
    /// Index of the first alarm (in time order).
    pub start: usize,
    /// Index of the last alarm (inclusive).
    pub end: usize,
    /// Index of the highest score.
    pub peak: usize,
    /// That score.
    pub peak_score: f64,
    /// Index of the value farthest from what was expected at the onset (the peak when
    /// nothing was expected yet).
    pub extreme: usize,
    /// The detectors that alarmed on their own somewhere in the stretch (bits).
    pub fired: u32,
    /// What was expected at the onset, before the stretch began.
    pub expected: Option<Expectation>,
    /// Excursion or level shift.
    pub kind: StretchKind,
}

/// What was found in one series.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SeriesVerdict {
    /// Points sorted by time (ties by line).
    pub points: Vec<Point>,
    /// The ensemble's verdict on each point (empty for a series too short to examine).
    pub scored: Vec<ScoredPoint>,
    /// The ensemble's detectors, in the order of the [`ScoredPoint::fired`] bits.
    pub detectors: Vec<&'static str>,
    /// Anomalous stretches in time order.
    pub stretches: Vec<Stretch>,
}

impl SeriesVerdict {
    /// The names of the detectors whose bits are set in `fired`.
    pub fn detector_names(&self, fired: u32) -> Vec<&'static str> {
        self.detectors
            .iter()
            .enumerate()
            .filter(|(index, _)| *index < MAX_TRACKED_DETECTORS && fired & (1 << index) != 0)
            .map(|(_, name)| *name)
            .collect()
    }
}

/// Scores one series' timed points with the default ensemble and finds its stretches.
pub(crate) fn examine(points: &[Point], config: &MetricConfig) -> SeriesVerdict {
    let mut sorted: Vec<Point> = points
        .iter()
        .copied()
        .filter(|p| p.value.is_finite())
        .collect();
    sorted.sort_by(|a, b| a.time.cmp(&b.time).then(a.line.cmp(&b.line)));
    let Ok(mut ensemble) = EnsembleConfig::default().build() else {
        return SeriesVerdict {
            points: sorted,
            ..SeriesVerdict::default()
        };
    };
    if sorted.len() < config.min_points {
        return SeriesVerdict {
            points: sorted,
            ..SeriesVerdict::default()
        };
    }
    let detectors: Vec<&'static str> = ensemble.last_contributions().map(|(n, _)| n).collect();
    // A detector "fired" when its own p-value, corrected like the ensemble's, is an alarm.
    let fire_p_value = p_value_of_score(config.alarm_score) / detectors.len().max(1) as f64;
    let scored: Vec<ScoredPoint> = sorted
        .iter()
        .map(|point| {
            let expected = ensemble.expectation(point.time);
            let verdict = ensemble.update(point.time, point.value);
            let fired = ensemble
                .last_contributions()
                .take(MAX_TRACKED_DETECTORS)
                .enumerate()
                .filter(|(_, (_, part))| part.p_value <= fire_p_value)
                .fold(0u32, |bits, (index, _)| bits | (1 << index));
            ScoredPoint {
                score: verdict.score,
                undamped: verdict.raw,
                expected,
                fired,
            }
        })
        .collect();
    let values: Vec<f64> = sorted.iter().map(|p| p.value).collect();
    let mut stretches: Vec<Stretch> = Vec::new();
    let mut last_shift: Option<(usize, f64, f64)> = None;
    for mut stretch in stretches_of(&scored, config) {
        // Detectors with a long window keep alarming at the new level of a shift until
        // their reference catches up: those alarms are echoes of the shift, not news.
        if let (Some((shift, before, after)), Some(expected)) = (last_shift, stretch.expected) {
            let value = values[stretch.peak];
            // (`extreme` is not set yet: the peak stands for the stretch here.)
            if (value - after).abs() < (value - before).abs()
                && (expected.value - before).abs() < (expected.value - after).abs()
            {
                let owner = &mut stretches[shift];
                owner.end = owner.end.max(stretch.end);
                owner.fired |= stretch.fired;
                continue;
            }
        }
        if let Some(expected) = stretch.expected {
            stretch.extreme = (stretch.start..=stretch.end)
                .max_by(|&a, &b| {
                    (values[a] - expected.value)
                        .abs()
                        .total_cmp(&(values[b] - expected.value).abs())
                        .then(b.cmp(&a))
                })
                .unwrap_or(stretch.peak);
        }
        stretch.kind = classify(&values, stretch.start, config);
        if let StretchKind::Shift { before, after, .. } = stretch.kind {
            // The detectors may need a few points to be sure: the shift began at the first
            // of the points just before the alarm that already sit at the new level.
            let earliest = stretch.start.saturating_sub(config.merge_gap_points);
            while stretch.start > earliest.max(1)
                && (values[stretch.start - 1] - after).abs()
                    < (values[stretch.start - 1] - before).abs()
            {
                stretch.start -= 1;
            }
            last_shift = Some((stretches.len(), before, after));
        }
        stretches.push(stretch);
    }
    SeriesVerdict {
        points: sorted,
        scored,
        detectors,
        stretches,
    }
}

/// Groups the alarms after the probation that are no more than `merge_gap_points` apart. A stretch starts at an alarm and
/// grows over the points whose undamped score is an alarm too (the ensemble damps the
/// points after an alarm, but they are part of the same episode).
fn stretches_of(scored: &[ScoredPoint], config: &MetricConfig) -> Vec<Stretch> {
    let probation =
        ((scored.len() as f64 * config.probation_share) as usize).min(config.max_probation_points);
    let mut stretches: Vec<Stretch> = Vec::new();
    for (index, point) in scored.iter().enumerate().skip(probation) {
        if point.undamped < config.alarm_score {
            continue;
        }
        match stretches.last_mut() {
            Some(stretch) if index - stretch.end <= config.merge_gap_points => {
                stretch.end = index;
                stretch.fired |= point.fired;
                if point.undamped > stretch.peak_score {
                    stretch.peak = index;
                    stretch.peak_score = point.undamped;
                }
            }
            _ if point.score >= config.alarm_score => stretches.push(Stretch {
                start: index,
                end: index,
                peak: index,
                peak_score: point.undamped,
                extreme: index,
                fired: point.fired,
                expected: point.expected,
                kind: StretchKind::Excursion,
            }),
            _ => {}
        }
    }
    stretches
}

/// A stretch is a level shift when the points from it on (up to [`AFTER_WINDOW`]) sit `shift_threshold` pooled
/// robust standard deviations away from the points before, and the series ends nearer the
/// new level than the old one ("and stayed").
fn classify(values: &[f64], start: usize, config: &MetricConfig) -> StretchKind {
    let length = values.len();
    let segment = (length / 10).max(5);
    if start < segment || length - start < segment {
        return StretchKind::Excursion;
    }
    let relative = config.min_relative_scale;
    let before_values = &values[start.saturating_sub(BEFORE_WINDOW)..start];
    let (Some(before), Some(after), Some(tail)) = (
        RobustScale::of(before_values, relative),
        RobustScale::of(&values[start..length.min(start + AFTER_WINDOW)], relative),
        median(&values[length - segment..]),
    ) else {
        return StretchKind::Excursion;
    };
    let difference = (after.median - before.median).abs();
    let magnitude = before.median.abs().max(after.median.abs());
    let pooled = ((before.sigma.powi(2) + after.sigma.powi(2)) / 2.0)
        .sqrt()
        .max(relative * magnitude);
    let z = if pooled > 0.0 {
        (difference / pooled).min(1e6)
    } else if difference > 0.0 {
        1e6
    } else {
        0.0
    };
    let stayed = (tail - after.median).abs() < (tail - before.median).abs();
    if z >= config.shift_threshold && stayed {
        StretchKind::Shift {
            before: before.median,
            after: after.median,
            z,
        }
    } else {
        StretchKind::Excursion
    }
}

#[cfg(test)]
mod tests;
