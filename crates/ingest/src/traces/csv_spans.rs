//! CSV/TSV span tables (exports of tracing backends and RCA datasets): one span per row, the
//! columns found by their header names (trace id, span id, parent id, service or pod,
//! operation, start, end or duration, kind, status). Other columns become attributes.

use super::{attribute_says_error, normalize_id, span_kind_from_text};
use crate::csv::split_fields;
use crate::format::{FormatParser, ParserSettings, Window};
use crate::output::Output;
use crate::timestamp::{parse_whole, YearResolver};
use faultmaven_model::{AttachmentId, SpanKind, SpanRecord, Timestamp};
use std::borrow::Cow;

/// Header names per role, compared after lowercasing and dropping everything but letters and
/// digits (`Trace ID`, `trace_id` and `traceId` all become `traceid`).
const TRACE: &[&str] = &["traceid", "trace"];
const SPAN: &[&str] = &["spanid", "span", "id"];
const PARENT: &[&str] = &[
    "parentspanid",
    "parentid",
    "parent",
    "pid",
    "ps",
    "parentspan",
];
const SERVICE: &[&str] = &["servicename", "service", "svc", "app", "application"];
const POD: &[&str] = &[
    "podname",
    "pod",
    "cmdbid",
    "instance",
    "instancename",
    "hostname",
    "host",
];
const OPERATION: &[&str] = &[
    "operationname",
    "operation",
    "spanname",
    "name",
    "endpoint",
    "endpointname",
    "method",
];
const START: &[&str] = &[
    "starttimeunixnano",
    "starttime",
    "start",
    "startts",
    "starttimestamp",
    "timestamp",
    "time",
    "ts",
];
const END: &[&str] = &["endtimeunixnano", "endtime", "end", "endts", "endtimestamp"];
const DURATION: &[&str] = &[
    "duration",
    "durationns",
    "durationus",
    "durationms",
    "elapsed",
    "elapsedtime",
    "latency",
    "latencyms",
    "durationnano",
];
const KIND: &[&str] = &["kind", "spankind", "calltype", "type"];
const STATUS: &[&str] = &[
    "statuscode",
    "status",
    "error",
    "iserror",
    "success",
    "httpstatuscode",
];

fn normalize_header(header: &str) -> String {
    header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Which column plays which role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Columns {
    trace: usize,
    span: usize,
    parent: Option<usize>,
    service: Option<usize>,
    pod: Option<usize>,
    operation: Option<usize>,
    start: usize,
    end: Option<usize>,
    duration: Option<usize>,
    kind: Option<usize>,
    status: Option<usize>,
}

fn find(headers: &[String], names: &[&str], taken: &[usize]) -> Option<usize> {
    names.iter().find_map(|name| {
        headers
            .iter()
            .enumerate()
            .position(|(index, header)| header == name && !taken.contains(&index))
    })
}

impl Columns {
    fn learn(raw_headers: &[Cow<'_, str>]) -> Option<Self> {
        let headers: Vec<String> = raw_headers.iter().map(|h| normalize_header(h)).collect();
        let trace = find(&headers, TRACE, &[])?;
        let span = find(&headers, SPAN, &[trace])?;
        let mut taken = vec![trace, span];
        let pick = |names: &[&str], taken: &mut Vec<usize>| {
            let found = find(&headers, names, taken);
            taken.extend(found);
            found
        };
        let parent = pick(PARENT, &mut taken);
        let service = pick(SERVICE, &mut taken);
        let pod = pick(POD, &mut taken);
        let operation = pick(OPERATION, &mut taken);
        let end = pick(END, &mut taken);
        let duration = pick(DURATION, &mut taken);
        let start = pick(START, &mut taken)?;
        let kind = pick(KIND, &mut taken);
        let status = pick(STATUS, &mut taken);
        if service.is_none() && pod.is_none() {
            return None;
        }
        if end.is_none() && duration.is_none() {
            return None;
        }
        Some(Self {
            trace,
            span,
            parent,
            service,
            pod,
            operation,
            start,
            end,
            duration,
            kind,
            status,
        })
    }
}

/// The header and delimiter of a span table in the window, if it is one.
fn learn_table(window: &Window<'_>) -> Option<(u8, Vec<String>, Columns)> {
    let header = window.lines().iter().find(|line| !line.trim().is_empty())?;
    let mut fields = Vec::new();
    for delimiter in [b',', b'\t', b';'] {
        split_fields(header, delimiter, &mut fields);
        if fields.len() < 4 {
            continue;
        }
        if let Some(columns) = Columns::learn(&fields) {
            let names = fields.iter().map(|f| f.trim().to_owned()).collect();
            return Some((delimiter, names, columns));
        }
    }
    None
}

/// Certain when the header names a trace id, a span id, a service or pod, a start and an end
/// or a duration: ahead of the metric-table reading of the same rows.
pub(crate) fn sniff_csv_spans(window: &Window<'_>) -> u8 {
    if learn_table(window).is_some() {
        98
    } else {
        0
    }
}

/// Unit of a duration column, from its header suffix or, failing that, from the start
/// column's epoch unit (a table in nanoseconds writes durations in nanoseconds).
fn duration_unit_from_header(header: &str) -> Option<u64> {
    let lower = header.to_ascii_lowercase();
    let suffix = |s: &str| lower.ends_with(s);
    if suffix("ns") || lower.contains("nano") {
        Some(1)
    } else if suffix("us") || lower.contains("micro") {
        Some(1_000)
    } else if suffix("ms") || lower.contains("milli") {
        Some(1_000_000)
    } else if suffix("_s") || suffix("sec") || suffix("seconds") {
        Some(1_000_000_000)
    } else {
        None
    }
}

fn epoch_unit_nanos(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match text.len() {
        0..=11 => 1_000_000_000,
        12..=14 => 1_000_000,
        15..=17 => 1_000,
        _ => 1,
    })
}

/// Streams a span table row by row.
pub(crate) struct CsvSpanParser {
    attachment: AttachmentId,
    delimiter: u8,
    columns: Columns,
    headers: Vec<String>,
    header_seen: bool,
    duration_unit: Option<u64>,
    years: YearResolver,
}

impl CsvSpanParser {
    /// A parser for the table the window shows; `None` when the window is not a span table.
    pub fn new(settings: &ParserSettings, window: &Window<'_>) -> Option<Self> {
        let (delimiter, headers, columns) = learn_table(window)?;
        let duration_unit = columns
            .duration
            .and_then(|column| duration_unit_from_header(&headers[column]));
        Some(Self {
            attachment: settings.attachment,
            delimiter,
            columns,
            headers,
            header_seen: false,
            duration_unit,
            years: YearResolver::new(settings.base_year),
        })
    }

    fn row(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        let mut fields: Vec<Cow<'_, str>> = Vec::with_capacity(self.headers.len());
        split_fields(line, self.delimiter, &mut fields);
        let get = |column: Option<usize>| -> &str {
            column.and_then(|c| fields.get(c)).map_or("", |f| f.trim())
        };
        let columns = &self.columns;
        let (Some(trace_id), Some(span_id)) = (
            normalize_id(get(Some(columns.trace))),
            normalize_id(get(Some(columns.span))),
        ) else {
            out.issue(
                Some(number),
                format_args!("row without a trace id or span id; skipped"),
            );
            return;
        };
        let start_text = get(Some(columns.start));
        let Some(start) = parse_whole(start_text, &mut self.years) else {
            out.issue(
                Some(number),
                format_args!("start time {start_text:?} not understood; row skipped"),
            );
            return;
        };
        let end = columns
            .end
            .and_then(|_| parse_whole(get(columns.end), &mut self.years));
        let duration_ns = match end {
            Some(end) => u64::try_from(end.unix_nanos() - start.unix_nanos()).unwrap_or(0),
            None => {
                let unit = self
                    .duration_unit
                    .or_else(|| epoch_unit_nanos(start_text))
                    .unwrap_or(1_000_000);
                let value: f64 = get(columns.duration).parse().unwrap_or(-1.0);
                if !(value.is_finite() && value >= 0.0) {
                    out.issue(
                        Some(number),
                        format_args!("row without an end time or a duration; skipped"),
                    );
                    return;
                }
                (value * unit as f64) as u64
            }
        };
        let pod = get(columns.pod);
        let service = match get(columns.service) {
            "" => pod,
            service => service,
        };
        if service.is_empty() {
            out.issue(Some(number), format_args!("row without a service; skipped"));
            return;
        }
        let status = get(columns.status);
        let is_error = columns.status.is_some_and(|column| {
            let header = normalize_header(&self.headers[column]);
            match header.as_str() {
                "success" => matches!(status.to_ascii_lowercase().as_str(), "false" | "0" | "no"),
                "error" | "iserror" => attribute_says_error("error", status),
                _ => {
                    attribute_says_error("http.status_code", status)
                        || status.eq_ignore_ascii_case("error")
                        || status.eq_ignore_ascii_case("STATUS_CODE_ERROR")
                        || status == "2" && header == "statuscode"
                }
            }
        });
        let kind = columns.kind.map_or(SpanKind::Unspecified, |_| {
            span_kind_from_text(get(columns.kind))
        });
        let roles = [
            Some(columns.trace),
            Some(columns.span),
            columns.parent,
            columns.service,
            columns.operation,
            Some(columns.start),
            columns.end,
            columns.duration,
            columns.kind,
        ];
        let mut attributes = Vec::new();
        for (index, value) in fields.iter().enumerate() {
            if roles.contains(&Some(index)) || value.trim().is_empty() {
                continue;
            }
            let key = if Some(index) == columns.pod {
                "k8s.pod.name"
            } else {
                self.headers.get(index).map_or("", String::as_str)
            };
            attributes.push((Cow::Borrowed(key), Cow::Borrowed(value.trim())));
        }
        out.span(SpanRecord {
            attachment: self.attachment,
            line: number,
            trace_id: Cow::Owned(trace_id),
            span_id: Cow::Owned(span_id),
            parent_span_id: normalize_id(get(columns.parent)).map(Cow::Owned),
            service: Cow::Borrowed(service),
            operation: Cow::Borrowed(get(columns.operation)),
            kind,
            start: Timestamp::from_unix_nanos(start.unix_nanos()),
            duration_ns,
            is_error,
            attributes,
        });
    }
}

impl FormatParser for CsvSpanParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        if line.trim().is_empty() {
            return;
        }
        if !self.header_seen {
            self.header_seen = true;
            return;
        }
        self.row(number, line, out);
    }

    fn finish(&mut self, _out: &mut Output<'_>) {}
}
