//! OpenTelemetry OTLP/JSON metrics (`resourceMetrics`, as written by the collector's file
//! exporter or `otlp/json` debug output). Gauge and sum points become samples named by the
//! metric; histogram points become `<name>_count`, `<name>_sum` and cumulative
//! `<name>_bucket{le=...}` samples, as Prometheus would expose them. Resource attributes
//! (`service.name`, `k8s.pod.name`, ...) and point attributes become labels. A sample's `line`
//! is the 1-based index of its metric in the document.

use crate::format::{FormatParser, ParserSettings, Window};
use crate::output::Output;
use crate::prometheus_api::Document;
use faultmaven_model::{MetricSample, Timestamp};
use serde_json::Value;
use std::borrow::Cow;

pub(crate) fn sniff(window: &Window<'_>) -> u8 {
    if window.first_non_blank_byte() == Some(b'{') && window.contains("\"resourceMetrics\"") {
        96
    } else {
        0
    }
}

/// An OTLP `AnyValue` as text.
fn any_value(value: &Value) -> Option<String> {
    let object = value.as_object()?;
    let (kind, inner) = object.iter().next()?;
    Some(match (kind.as_str(), inner) {
        ("stringValue", Value::String(text)) => text.clone(),
        ("intValue", Value::String(text)) => text.clone(),
        ("boolValue" | "intValue" | "doubleValue", other) => other.to_string(),
        (_, other) => other.to_string(),
    })
}

fn attributes(list: Option<&Value>) -> Vec<(String, String)> {
    list.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let key = item.get("key")?.as_str()?;
                    Some((key.to_owned(), any_value(item.get("value")?)?))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A number that OTLP/JSON may write as a JSON number or (64-bit integers) a string.
fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
}

/// The list under `key` of `parent`: absent or `null` (protobuf JSON's empty list) is an
/// empty list; any other shape is an issue naming `place`, so a document whose metrics sit
/// where the parser does not look never reads as empty in silence.
fn list<'v>(parent: &'v Value, key: &str, place: &str, out: &mut Output<'_>) -> &'v [Value] {
    match parent.get(key) {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(other) => {
            let found = match other {
                Value::Object(_) => "an object",
                Value::String(_) => "a string",
                Value::Bool(_) => "a boolean",
                _ => "a number",
            };
            out.issue(
                None,
                format_args!("OTLP JSON metrics: {place} is {found}, not an array; skipped"),
            );
            &[]
        }
    }
}

/// Metric kinds OTLP defines that have no samples here (their points are skipped, with an
/// issue: a summary's quantiles or an exponential histogram's buckets are not a value of the
/// series).
const UNREAD_KINDS: [&str; 2] = ["summary", "exponentialHistogram"];

fn point_time(point: &Value) -> Option<Timestamp> {
    let nanos = match point.get("timeUnixNano")? {
        Value::String(text) => text.parse::<i64>().ok()?,
        Value::Number(number) => number.as_i64()?,
        _ => return None,
    };
    (nanos > 0).then(|| Timestamp::from_unix_nanos(nanos))
}

/// Gathers the document, then emits its samples.
pub(crate) struct OtlpMetricsParser {
    settings: ParserSettings,
    document: Document,
}

impl OtlpMetricsParser {
    pub fn new(settings: &ParserSettings) -> Self {
        Self {
            settings: settings.clone(),
            document: Document::default(),
        }
    }

    fn emit(
        &self,
        index: u64,
        name: String,
        labels: &[(String, String)],
        timestamp: Option<Timestamp>,
        value: f64,
        out: &mut Output<'_>,
    ) {
        if !value.is_finite() {
            return;
        }
        let mut labels: Vec<(Cow<'_, str>, Cow<'_, str>)> = labels
            .iter()
            .map(|(key, value)| (Cow::Borrowed(key.as_str()), Cow::Borrowed(value.as_str())))
            .collect();
        labels.sort_by(|a, b| a.0.cmp(&b.0));
        out.metric(MetricSample {
            attachment: self.settings.attachment,
            line: index,
            name: Cow::Owned(name),
            labels,
            timestamp,
            value,
        });
    }

    fn metric(
        &self,
        index: u64,
        resource: &[(String, String)],
        metric: &Value,
        out: &mut Output<'_>,
    ) {
        let Some(name) = metric.get("name").and_then(Value::as_str) else {
            out.issue(
                Some(index),
                format_args!("metric {index} has no name; skipped"),
            );
            return;
        };
        let mut points_of = |kind: &str| {
            metric.get(kind).map_or(&[][..], |data| {
                list(data, "dataPoints", "`dataPoints`", out)
            })
        };
        let gauge_and_sum = [points_of("gauge"), points_of("sum")];
        let histogram = points_of("histogram");
        if let Some(kind) = UNREAD_KINDS
            .iter()
            .find(|kind| metric.get(**kind).is_some())
        {
            out.issue(
                Some(index),
                format_args!("{name}: {kind} points are not read; skipped"),
            );
        }
        for points in gauge_and_sum {
            for point in points {
                let mut labels = resource.to_vec();
                labels.extend(attributes(point.get("attributes")));
                match number(point.get("asDouble")).or_else(|| number(point.get("asInt"))) {
                    Some(value) => self.emit(
                        index,
                        name.to_owned(),
                        &labels,
                        point_time(point),
                        value,
                        out,
                    ),
                    None => out.issue(
                        Some(index),
                        format_args!("{name}: a point without a number; skipped"),
                    ),
                }
            }
        }
        for point in histogram {
            let mut labels = resource.to_vec();
            labels.extend(attributes(point.get("attributes")));
            let time = point_time(point);
            if let Some(count) = number(point.get("count")) {
                self.emit(index, format!("{name}_count"), &labels, time, count, out);
            }
            if let Some(sum) = number(point.get("sum")) {
                self.emit(index, format!("{name}_sum"), &labels, time, sum, out);
            }
            let bounds = point.get("explicitBounds").and_then(Value::as_array);
            let counts = point.get("bucketCounts").and_then(Value::as_array);
            if let (Some(bounds), Some(counts)) = (bounds, counts) {
                let mut cumulative = 0.0;
                for (position, count) in counts.iter().enumerate() {
                    cumulative += number(Some(count)).unwrap_or(0.0);
                    let le = bounds
                        .get(position)
                        .and_then(Value::as_f64)
                        .map_or_else(|| "+Inf".to_owned(), |bound| bound.to_string());
                    let mut bucket_labels = labels.clone();
                    bucket_labels.push(("le".to_owned(), le));
                    self.emit(
                        index,
                        format!("{name}_bucket"),
                        &bucket_labels,
                        time,
                        cumulative,
                        out,
                    );
                }
            }
        }
    }
}

impl FormatParser for OtlpMetricsParser {
    fn max_line_bytes(&self, _configured: usize) -> usize {
        crate::prometheus_api::MAX_DOCUMENT_BYTES
    }

    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        self.document.push(number, line, out);
    }

    fn finish(&mut self, out: &mut Output<'_>) {
        let text = self.document.take();
        let root: Value = match serde_json::from_str(&text) {
            Ok(root) => root,
            Err(error) => {
                out.issue(
                    Some(error.line() as u64),
                    format_args!("not an OTLP/JSON metrics document: {error}"),
                );
                return;
            }
        };
        let mut index = 0u64;
        if root.get("resourceMetrics").is_none() {
            out.issue(
                None,
                format_args!(
                    "an OTLP JSON metrics document without `resourceMetrics` holds no metrics"
                ),
            );
        }
        for resource_metrics in list(&root, "resourceMetrics", "`resourceMetrics`", out) {
            let resource = attributes(
                resource_metrics
                    .get("resource")
                    .and_then(|resource| resource.get("attributes")),
            );
            // `instrumentationLibraryMetrics` is the name before OTLP 0.15.
            let scopes = if resource_metrics.get("scopeMetrics").is_some() {
                list(resource_metrics, "scopeMetrics", "`scopeMetrics`", out)
            } else {
                list(
                    resource_metrics,
                    "instrumentationLibraryMetrics",
                    "`instrumentationLibraryMetrics`",
                    out,
                )
            };
            for scope in scopes {
                for metric in list(scope, "metrics", "`metrics`", out) {
                    index += 1;
                    self.metric(index, &resource, metric, out);
                }
            }
        }
    }
}
