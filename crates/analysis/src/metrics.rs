//! Metric series: grouping samples, robust anomaly detection and level-shift detection.
//!
//! Samples are grouped by (attachment, name, labels). A timed series with enough points is
//! examined twice:
//!
//! - level shift: the change point is where the cumulative sum of deviations from the
//!   mean peaks (CUSUM); the shift is reported when the medians before and after
//!   differ by `shift_threshold` pooled robust standard deviations and the last points are
//!   still at the new level;
//! - anomalies: robust z-scores (deviation from the median over 1.4826 x MAD, with a floor
//!   so a flat series never divides by zero), computed within each side of a detected shift
//!   so the shift itself is not reported as a run of anomalies. Points above `z_threshold`
//!   form episodes (runs of consecutive flagged points).
//!
//! Snapshot series (no timestamps, e.g. one Prometheus scrape) are counted, not examined.

use crate::config::MetricConfig;
use crate::intern::FastMap;
use crate::robust::RobustScale;
use faultmaven_model::{AttachmentId, MetricSample, Suspect, SuspectKind};

/// One timed observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    /// Nanoseconds since the epoch.
    pub time: i64,
    /// The value (always finite).
    pub value: f64,
    /// Line of the upload, 1-based.
    pub line: u64,
}

/// A metric series and what was received for it.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    /// The upload.
    pub attachment: AttachmentId,
    /// Name and labels, e.g. `cpu_usage{pod="web-1"}`.
    pub display: String,
    /// Suspects named by the labels, then the metric itself.
    pub subjects: Vec<Suspect>,
    /// Timed points with finite values, in arrival order.
    pub points: Vec<Point>,
    /// Samples without a timestamp.
    pub snapshots: u64,
    /// Samples whose value was NaN or infinite.
    pub non_finite: u64,
    /// Timed samples beyond the per-series cap.
    pub dropped: u64,
}

/// All series of an analysis.
#[derive(Debug, Default)]
pub(crate) struct MetricStore {
    index: FastMap<AttachmentId, FastMap<Box<str>, u32>>,
    series: Vec<Series>,
    key: String,
    /// Samples of series beyond the series cap.
    pub dropped_samples: u64,
}

impl MetricStore {
    /// Adds one sample.
    pub fn add(&mut self, sample: &MetricSample<'_>, config: &MetricConfig) {
        self.key.clear();
        write_series_key(&mut self.key, &sample.name, &sample.labels);
        let attachment_index = self.index.entry(sample.attachment).or_default();
        let series_index = match attachment_index.get(self.key.as_str()) {
            Some(&index) => index as usize,
            None => {
                if self.series.len() >= config.max_series {
                    self.dropped_samples += 1;
                    return;
                }
                let index = self.series.len();
                attachment_index.insert(self.key.as_str().into(), index as u32);
                self.series.push(Series {
                    attachment: sample.attachment,
                    display: self.key.clone(),
                    subjects: subjects_of(&sample.labels, &self.key),
                    points: Vec::new(),
                    snapshots: 0,
                    non_finite: 0,
                    dropped: 0,
                });
                index
            }
        };
        let series = &mut self.series[series_index];
        match sample.timestamp {
            None => series.snapshots += 1,
            Some(_) if !sample.value.is_finite() => series.non_finite += 1,
            Some(_) if series.points.len() >= config.max_points_per_series => series.dropped += 1,
            Some(time) => series.points.push(Point {
                time: time.unix_nanos(),
                value: sample.value,
                line: sample.line,
            }),
        }
    }

    /// Every series, in order of first appearance.
    #[cfg(test)]
    pub fn series(&self) -> &[Series] {
        &self.series
    }

    /// Takes the series out, leaving the store empty.
    pub fn into_series(self) -> Vec<Series> {
        self.series
    }
}

/// Writes `name{key="value",...}` with labels sorted by key.
fn write_series_key(
    out: &mut String,
    name: &str,
    labels: &[(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)],
) {
    out.push_str(name);
    if labels.is_empty() {
        return;
    }
    let mut order: Vec<usize> = (0..labels.len()).collect();
    if !labels.windows(2).all(|pair| pair[0].0 <= pair[1].0) {
        order.sort_by(|&a, &b| labels[a].0.cmp(&labels[b].0));
    }
    out.push('{');
    for (position, &index) in order.iter().enumerate() {
        if position > 0 {
            out.push(',');
        }
        let (key, value) = &labels[index];
        out.push_str(key);
        out.push_str("=\"");
        for character in value.chars() {
            if matches!(character, '"' | '\\') {
                out.push('\\');
            }
            out.push(character);
        }
        out.push('"');
    }
    out.push('}');
}

/// Entities named by a series' labels, then the series itself.
fn subjects_of(
    labels: &[(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)],
    display: &str,
) -> Vec<Suspect> {
    let mut subjects: Vec<Suspect> = labels
        .iter()
        .filter_map(|(key, value)| {
            let kind = crate::signals::entity_kind_of_key(key)?;
            (!value.is_empty()).then(|| Suspect {
                kind,
                name: value.to_string(),
            })
        })
        .collect();
    subjects.sort();
    subjects.dedup();
    subjects.push(Suspect {
        kind: SuspectKind::Metric,
        name: display.to_owned(),
    });
    subjects
}

/// A run of consecutive anomalous points.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Episode {
    /// Index of the first point (in time order).
    pub start: usize,
    /// Index of the last point (inclusive).
    pub end: usize,
    /// Index of the point with the largest |z|.
    pub extreme: usize,
    /// Its z-score.
    pub z: f64,
}

/// Points far outside a series' robust range.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Anomaly {
    /// Episodes in time order.
    pub episodes: Vec<Episode>,
    /// Index into `episodes` of the one with the largest |z|.
    pub headline: usize,
    /// Flagged points.
    pub flagged: usize,
    /// The typical value (median of the segment the headline is in).
    pub typical: f64,
    /// The robust standard deviation of that segment.
    pub sigma: f64,
    /// Every flagged point as (index, z), by decreasing |z|.
    pub ranked: Vec<(usize, f64)>,
}

/// A level that moved and stayed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shift {
    /// Index of the first point at the new level.
    pub change: usize,
    /// Median before the change.
    pub before: f64,
    /// Median after it.
    pub after: f64,
    /// Medians apart, in pooled robust standard deviations (capped at 1e6).
    pub z: f64,
}

/// What was found in one series.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SeriesVerdict {
    /// Points sorted by time (ties by line).
    pub points: Vec<Point>,
    /// Level shift, if any.
    pub shift: Option<Shift>,
    /// Anomalous points, if any.
    pub anomaly: Option<Anomaly>,
}

/// Examines one series' timed points.
pub(crate) fn examine(points: &[Point], config: &MetricConfig) -> SeriesVerdict {
    let mut sorted: Vec<Point> = points
        .iter()
        .copied()
        .filter(|p| p.value.is_finite())
        .collect();
    sorted.sort_by(|a, b| a.time.cmp(&b.time).then(a.line.cmp(&b.line)));
    if sorted.len() < config.min_points {
        return SeriesVerdict {
            points: sorted,
            ..SeriesVerdict::default()
        };
    }
    let values: Vec<f64> = sorted.iter().map(|p| p.value).collect();
    let shift = find_shift(&values, config);
    let anomaly = find_anomalies(&values, shift.as_ref(), config);
    SeriesVerdict {
        points: sorted,
        shift,
        anomaly,
    }
}

/// Smallest segment a shift may leave on either side.
fn min_segment(length: usize) -> usize {
    (length / 10).max(5)
}

fn find_shift(values: &[f64], config: &MetricConfig) -> Option<Shift> {
    let length = values.len();
    let segment = min_segment(length);
    if length < 2 * segment {
        return None;
    }
    // Centred on the mean, the cumulative sum is zero at both ends and peaks in magnitude at
    // the most likely change point; the medians below then judge the shift robustly.
    let mean = values.iter().sum::<f64>() / length as f64;
    let mut cumulative = 0.0;
    let mut best: Option<(usize, f64)> = None;
    for (index, value) in values.iter().enumerate().take(length - segment) {
        cumulative += value - mean;
        let change = index + 1;
        if change < segment {
            continue;
        }
        if best.is_none_or(|(_, peak)| cumulative.abs() > peak) {
            best = Some((change, cumulative.abs()));
        }
    }
    let (change, _) = best?;
    let relative = config.min_relative_scale;
    let before = RobustScale::of(&values[..change], relative)?;
    let after = RobustScale::of(&values[change..], relative)?;
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
    if z < config.shift_threshold {
        return None;
    }
    // "And stayed": the last points must sit nearer the new level than the old one.
    let tail = crate::robust::median(&values[length - segment..])?;
    if (tail - after.median).abs() >= (tail - before.median).abs() {
        return None;
    }
    Some(Shift {
        change,
        before: before.median,
        after: after.median,
        z,
    })
}

fn find_anomalies(values: &[f64], shift: Option<&Shift>, config: &MetricConfig) -> Option<Anomaly> {
    let relative = config.min_relative_scale;
    let segments: Vec<(usize, usize, RobustScale)> = match shift {
        Some(shift) => vec![
            (
                0,
                shift.change,
                RobustScale::of(&values[..shift.change], relative)?,
            ),
            (
                shift.change,
                values.len(),
                RobustScale::of(&values[shift.change..], relative)?,
            ),
        ],
        None => vec![(0, values.len(), RobustScale::of(values, relative)?)],
    };
    let mut z_scores = vec![0.0; values.len()];
    for (start, end, scale) in &segments {
        for index in *start..*end {
            z_scores[index] = scale.z(values[index]);
        }
    }
    let flagged: Vec<usize> = (0..values.len())
        .filter(|&index| z_scores[index].abs() > config.z_threshold)
        .collect();
    if flagged.is_empty()
        || flagged.len() as f64 > config.max_flagged_fraction * values.len() as f64
    {
        return None;
    }
    let mut episodes: Vec<Episode> = Vec::new();
    for &index in &flagged {
        match episodes.last_mut() {
            Some(episode) if episode.end + 1 == index => {
                episode.end = index;
                if z_scores[index].abs() > episode.z.abs() {
                    episode.extreme = index;
                    episode.z = z_scores[index];
                }
            }
            _ => episodes.push(Episode {
                start: index,
                end: index,
                extreme: index,
                z: z_scores[index],
            }),
        }
    }
    let headline = (0..episodes.len()).max_by(|&a, &b| {
        episodes[a]
            .z
            .abs()
            .total_cmp(&episodes[b].z.abs())
            .then(b.cmp(&a))
    })?;
    let extreme = episodes[headline].extreme;
    let scale = segments
        .iter()
        .find(|(start, end, _)| (*start..*end).contains(&extreme))
        .map(|(_, _, scale)| *scale)?;
    let mut ranked: Vec<(usize, f64)> = flagged.iter().map(|&i| (i, z_scores[i])).collect();
    ranked.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
    Some(Anomaly {
        episodes,
        headline,
        flagged: flagged.len(),
        typical: scale.median,
        sigma: scale.sigma,
        ranked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultmaven_model::Timestamp;
    use std::borrow::Cow;

    fn points(values: &[f64]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(index, &value)| Point {
                time: index as i64 * 60_000_000_000,
                value,
                line: index as u64 + 2,
            })
            .collect()
    }

    /// Deterministic noise in [-1, 1) (fixed-seed LCG).
    fn noise(length: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..length)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn a_spike_is_found_with_its_episode() {
        let mut values: Vec<f64> = noise(120, 3).iter().map(|n| 40.0 + 2.0 * n).collect();
        values[70] = 95.0;
        values[71] = 97.5;
        values[72] = 90.0;
        let verdict = examine(&points(&values), &MetricConfig::default());
        assert_eq!(verdict.shift, None);
        let anomaly = verdict.anomaly.expect("spike");
        let headline = &anomaly.episodes[anomaly.headline];
        assert_eq!(
            (headline.start, headline.end, headline.extreme),
            (70, 72, 71)
        );
        assert!(headline.z > 10.0);
        assert!((anomaly.typical - 40.0).abs() < 1.0);
    }

    #[test]
    fn flat_series_never_divide_by_zero() {
        let verdict = examine(&points(&[7.0; 50]), &MetricConfig::default());
        assert_eq!((verdict.shift, verdict.anomaly), (None, None));
        let mut values = vec![7.0; 50];
        values[25] = 7.000_001;
        let verdict = examine(&points(&values), &MetricConfig::default());
        assert_eq!((verdict.shift, verdict.anomaly), (None, None));
    }

    #[test]
    fn non_finite_values_are_ignored() {
        let mut values: Vec<f64> = noise(60, 5).iter().map(|n| 10.0 + n).collect();
        values[10] = f64::NAN;
        values[20] = f64::INFINITY;
        values[30] = f64::NEG_INFINITY;
        let verdict = examine(&points(&values), &MetricConfig::default());
        assert_eq!(verdict.points.len(), 57);
        assert_eq!((verdict.shift, verdict.anomaly), (None, None));
    }

    #[test]
    fn a_level_shift_is_reported_once_not_as_anomalies() {
        let values: Vec<f64> = noise(100, 11)
            .iter()
            .enumerate()
            .map(|(index, n)| if index < 70 { 500.0 } else { 900.0 } + 10.0 * n)
            .collect();
        let verdict = examine(&points(&values), &MetricConfig::default());
        let shift = verdict.shift.expect("shift");
        assert_eq!(shift.change, 70);
        assert!((shift.before - 500.0).abs() < 10.0 && (shift.after - 900.0).abs() < 10.0);
        assert_eq!(verdict.anomaly, None);
    }

    #[test]
    fn a_temporary_excursion_is_not_a_shift() {
        let values: Vec<f64> = noise(100, 13)
            .iter()
            .enumerate()
            .map(|(index, n)| if (40..60).contains(&index) { 900.0 } else { 500.0 } + 10.0 * n)
            .collect();
        let verdict = examine(&points(&values), &MetricConfig::default());
        assert_eq!(verdict.shift, None);
    }

    #[test]
    fn series_are_grouped_by_attachment_name_and_labels() {
        let config = MetricConfig::default();
        let mut store = MetricStore::default();
        let sample = |attachment: u32, pod: &'static str, value: f64, timed: bool| MetricSample {
            attachment: AttachmentId::new(attachment),
            line: 1,
            name: Cow::Borrowed("cpu"),
            labels: vec![
                (Cow::Borrowed("pod"), Cow::Borrowed(pod)),
                (Cow::Borrowed("job"), Cow::Borrowed("api")),
            ],
            timestamp: timed.then(|| Timestamp::from_unix_millis(0)),
            value,
        };
        store.add(&sample(1, "web-1", 1.0, true), &config);
        store.add(&sample(1, "web-1", f64::NAN, true), &config);
        store.add(&sample(1, "web-2", 1.0, false), &config);
        store.add(&sample(2, "web-1", 1.0, true), &config);
        let series = store.series();
        assert_eq!(series.len(), 3);
        assert_eq!(series[0].display, r#"cpu{job="api",pod="web-1"}"#);
        assert_eq!((series[0].points.len(), series[0].non_finite), (1, 1));
        assert_eq!(series[1].snapshots, 1);
        assert_eq!(
            series[0].subjects,
            vec![
                Suspect {
                    kind: SuspectKind::Pod,
                    name: "web-1".into()
                },
                Suspect {
                    kind: SuspectKind::Metric,
                    name: r#"cpu{job="api",pod="web-1"}"#.into()
                },
            ]
        );
    }
}
