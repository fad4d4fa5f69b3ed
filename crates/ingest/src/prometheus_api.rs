//! Prometheus HTTP API responses (`/api/v1/query_range` matrix, `/api/v1/query` vector and
//! scalar), as saved with `curl` or from Grafana's query inspector. The response is one JSON
//! document, so its lines are gathered (up to a cap) and read at the end; each series point
//! becomes a `MetricSample` named by `__name__` (or `query_result` for expressions such as
//! `rate(...)` that drop it) with the other labels. A sample's `line` is the 1-based index of
//! its series in `result`, since a document has no useful line structure.

use crate::format::{FormatParser, ParserSettings, Window};
use crate::output::Output;
use crate::timestamp::epoch_number_to_timestamp;
use faultmaven_model::MetricSample;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Largest response gathered; beyond it the rest is dropped with an issue.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;

/// Name given to series without `__name__`.
const UNNAMED_SERIES: &str = "query_result";

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    error: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow, rename = "resultType")]
    result_type: Cow<'a, str>,
    #[serde(default)]
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
    #[serde(default)]
    value: Option<(f64, String)>,
}

pub(crate) fn sniff(window: &Window<'_>) -> u8 {
    if window.first_non_blank_byte() == Some(b'{')
        && window.contains("\"resultType\"")
        && window.contains("\"result\"")
    {
        96
    } else {
        0
    }
}

/// The lines of a one-document upload, gathered up to [`MAX_DOCUMENT_BYTES`].
#[derive(Default)]
pub(crate) struct Document {
    text: String,
    overflowed: bool,
}

impl Document {
    pub fn push(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        if self.overflowed {
            return;
        }
        if self.text.len() + line.len() + 1 > MAX_DOCUMENT_BYTES {
            self.overflowed = true;
            out.issue(
                Some(number),
                format_args!(
                    "document larger than {MAX_DOCUMENT_BYTES} bytes; the rest is dropped"
                ),
            );
            return;
        }
        self.text.push_str(line);
        self.text.push('\n');
    }

    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.text)
    }
}

/// Gathers the document, then emits its samples.
pub(crate) struct PrometheusApiParser {
    settings: ParserSettings,
    document: Document,
}

impl PrometheusApiParser {
    pub fn new(settings: &ParserSettings) -> Self {
        Self {
            settings: settings.clone(),
            document: Document::default(),
        }
    }

    fn emit_point(
        &self,
        index: usize,
        series: &Series,
        (time, text): &(f64, String),
        out: &mut Output<'_>,
    ) {
        let Ok(value) = text.parse::<f64>() else {
            out.issue(
                Some(index as u64),
                format_args!("series {index}: value {text:?} is not a number; point skipped"),
            );
            return;
        };
        // NaN marks a stale series in Prometheus: no observation, not an error.
        if !value.is_finite() {
            return;
        }
        let name = series
            .metric
            .get("__name__")
            .map_or(UNNAMED_SERIES, String::as_str);
        let labels = series
            .metric
            .iter()
            .filter(|(key, _)| key.as_str() != "__name__")
            .map(|(key, value)| (Cow::Borrowed(key.as_str()), Cow::Borrowed(value.as_str())))
            .collect();
        out.metric(MetricSample {
            attachment: self.settings.attachment,
            line: index as u64,
            name: Cow::Borrowed(name),
            labels,
            timestamp: epoch_number_to_timestamp(*time),
            value,
        });
    }
}

impl FormatParser for PrometheusApiParser {
    /// A minified response is one long line: take it whole, up to the document cap.
    fn max_line_bytes(&self, _configured: usize) -> usize {
        MAX_DOCUMENT_BYTES
    }

    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        self.document.push(number, line, out);
    }

    fn finish(&mut self, out: &mut Output<'_>) {
        let document = self.document.take();
        let response: Response<'_> = match serde_json::from_str(&document) {
            Ok(response) => response,
            Err(error) => {
                out.issue(
                    Some(error.line() as u64),
                    format_args!("not a Prometheus API response: {error}"),
                );
                return;
            }
        };
        if response.status.as_deref() == Some("error") {
            out.issue(
                None,
                format_args!(
                    "the response reports an error: {}",
                    response.error.as_deref().unwrap_or("no reason given")
                ),
            );
        }
        let Some(data) = response.data else {
            return;
        };
        match data.result_type.as_ref() {
            "matrix" | "vector" => {
                let Ok(series) = Vec::<Series>::deserialize(&data.result) else {
                    out.issue(None, format_args!("result is not a list of series"));
                    return;
                };
                for (position, series) in series.iter().enumerate() {
                    let index = position + 1;
                    for point in series.values.iter().chain(series.value.iter()) {
                        self.emit_point(index, series, point, out);
                    }
                }
            }
            "scalar" => match <(f64, String)>::deserialize(&data.result) {
                Ok(point) => {
                    let series = Series {
                        metric: BTreeMap::new(),
                        values: Vec::new(),
                        value: None,
                    };
                    self.emit_point(1, &series, &point, out);
                }
                Err(_) => out.issue(None, format_args!("scalar result is not [time, value]")),
            },
            other => out.issue(None, format_args!("result type {other:?} holds no samples")),
        }
    }
}
