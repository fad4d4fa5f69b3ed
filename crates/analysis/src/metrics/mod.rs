//! Metric series: grouping samples into series, then examining each one.
//!
//! Samples are grouped by (attachment, name, labels) and kept, capped, until the analysis
//! ends; then each timed series goes once through the online detector ensemble
//! (`examine`): anomalous stretches and level shifts that stayed become findings, with the
//! ensemble's scores and expected band kept for a plot. Series that look like a bounded
//! resource (disk, memory, a queue with a limit) are also checked for saturation
//! (`saturation`): a steady rise that will reach the limit.
//!
//! Snapshot series (no timestamps, e.g. one Prometheus scrape) are counted, not examined.

mod examine;
mod plot;
mod saturation;

pub(crate) use examine::{examine, SeriesVerdict, Stretch, StretchKind};
pub use plot::{PlotPoint, SeriesPlot, BAND_SIGMAS};
pub(crate) use saturation::{
    limits_of, resource_noun, saturation_of, LimitSource, SaturationVerdict,
};

use crate::config::MetricConfig;
use crate::intern::FastMap;
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
    /// The labels, sorted by key.
    pub labels: Vec<(Box<str>, Box<str>)>,
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
                    labels: sorted_labels(&sample.labels),
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

impl Series {
    /// The metric name (the display up to its labels).
    pub fn name(&self) -> &str {
        self.display
            .split_once('{')
            .map_or(self.display.as_str(), |(name, _)| name)
    }

    /// The value of label `key`, if the series has it.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| &**value)
    }
}

fn sorted_labels(
    labels: &[(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)],
) -> Vec<(Box<str>, Box<str>)> {
    let mut sorted: Vec<(Box<str>, Box<str>)> = labels
        .iter()
        .map(|(key, value)| (Box::from(&**key), Box::from(&**value)))
        .collect();
    sorted.sort();
    sorted
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

#[cfg(test)]
mod tests {
    use super::*;
    use faultmaven_model::Timestamp;
    use std::borrow::Cow;

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
