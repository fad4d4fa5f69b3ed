//! CSV and TSV: wide metric tables (a time column and one series per numeric column; text
//! columns become labels) and, when no column is numeric, logs with time and message columns.

use crate::format::{FormatParser, ParserSettings, Window};
use crate::output::Output;
use crate::structured::{learn_roles, Field, RecordBuilder, ValueKind};
use crate::timestamp::{parse_whole, YearResolver};
use faultmaven_model::MetricSample;
use std::borrow::Cow;

/// Splits one line into fields, honouring `"quoted, fields"` with doubled quotes inside.
pub(crate) fn split_fields<'a>(line: &'a str, delimiter: u8, out: &mut Vec<Cow<'a, str>>) {
    out.clear();
    let bytes = line.as_bytes();
    let mut position = 0;
    loop {
        if bytes.get(position) == Some(&b'"') {
            let start = position + 1;
            let mut cursor = start;
            let mut doubled = false;
            let mut end = None;
            while cursor < bytes.len() {
                if bytes[cursor] == b'"' {
                    if bytes.get(cursor + 1) == Some(&b'"') {
                        doubled = true;
                        cursor += 2;
                        continue;
                    }
                    end = Some(cursor);
                    break;
                }
                cursor += 1;
            }
            let end = end.unwrap_or(bytes.len());
            let inner = &line[start..end];
            out.push(if doubled {
                Cow::Owned(inner.replace("\"\"", "\""))
            } else {
                Cow::Borrowed(inner)
            });
            // Skip to the next delimiter (text between a closing quote and it is dropped).
            position = match memchr::memchr(delimiter, &bytes[end.min(bytes.len())..]) {
                Some(offset) => end + offset + 1,
                None => return,
            };
        } else {
            match memchr::memchr(delimiter, &bytes[position..]) {
                Some(offset) => {
                    out.push(Cow::Borrowed(&line[position..position + offset]));
                    position += offset + 1;
                }
                None => {
                    out.push(Cow::Borrowed(&line[position..]));
                    return;
                }
            }
        }
    }
}

/// Header names that say "time".
const TIME_HEADERS: &[&str] = &[
    "time",
    "timestamp",
    "date",
    "datetime",
    "ts",
    "@timestamp",
    "time_stamp",
    "event_time",
    "created_at",
    "_time",
    "epoch",
    "unix_time",
    "period",
    "interval_start",
    "start_time",
];

/// Header names of the column that names the metric in a long table.
const NAME_HEADERS: &[&str] = &[
    "name",
    "metric",
    "metric_name",
    "metricname",
    "__name__",
    "series",
    "measurement",
    "_measurement",
    "_field",
];

/// Header names of a log table's message column.
const MESSAGE_HEADERS: &[&str] = &[
    "message",
    "msg",
    "log",
    "line",
    "text",
    "event",
    "description",
    "body",
    "_raw",
];

/// Header names of the number column of a long table.
const VALUE_HEADERS: &[&str] = &["value", "val", "_value", "metric_value", "sample_value"];

/// Values that mean "no value" in exported tables.
fn is_missing(value: &str) -> bool {
    matches!(
        value,
        "" | "NA"
            | "N/A"
            | "n/a"
            | "na"
            | "null"
            | "NULL"
            | "None"
            | "none"
            | "-"
            | "NaN"
            | "nan"
            | "?"
    )
}

/// What each column is, learned from the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsvShape {
    pub delimiter: u8,
    pub headers: Vec<String>,
    pub time_column: Option<usize>,
    pub numeric_columns: Vec<usize>,
    /// Short text columns: labels of every series in metric mode.
    pub label_columns: Vec<usize>,
    /// Long format (`time,name,labels...,value`): the text column that names each row's
    /// metric. `None` for a wide table, where each numeric column is a metric.
    pub name_column: Option<usize>,
    /// A text column named like a log message (`message`, `msg`, `log`, ...).
    pub message_column: Option<usize>,
    /// Rows seen in the window (after the header).
    pub rows: usize,
    /// Index of the header line among the window's lines.
    pub header_line: usize,
}

impl CsvShape {
    /// Table with numeric columns and no message column: metrics.
    pub fn is_metrics(&self) -> bool {
        !self.numeric_columns.is_empty() && self.message_column.is_none()
    }

    /// Table with a message column (numbers such as status or duration are then fields of
    /// each event), or without numeric columns but with text: a log.
    pub fn is_log(&self) -> bool {
        self.message_column.is_some()
            || (self.numeric_columns.is_empty()
                && self.headers.len() > self.time_column.iter().count())
    }
}

/// Recognises a delimited table in the window; `None` when the lines are not one.
pub(crate) fn learn_shape(window: &Window<'_>, delimiter: u8, base_year: i32) -> Option<CsvShape> {
    let lines = window.lines();
    let header_line = lines.iter().position(|line| !line.trim().is_empty())?;
    let mut fields = Vec::new();
    split_fields(&lines[header_line], delimiter, &mut fields);
    if fields.len() < 2 {
        return None;
    }
    let headers: Vec<String> = fields.iter().map(|field| field.trim().to_owned()).collect();
    // A header row names columns: each has a letter, none is a number or a time.
    let mut years = YearResolver::new(base_year);
    if headers.iter().any(|header| {
        header.is_empty()
            || !header.bytes().any(|b| b.is_ascii_alphabetic() || b == b'_')
            || header.parse::<f64>().is_ok()
            || parse_whole(header, &mut years).is_some()
            || header.len() > 200
    }) {
        return None;
    }
    let columns = headers.len();
    let mut rows = 0usize;
    let mut consistent = 0usize;
    let mut numeric = vec![0usize; columns];
    let mut present = vec![0usize; columns];
    let mut times = vec![0usize; columns];
    let mut text_times = vec![0usize; columns];
    let mut longest = vec![0usize; columns];
    for line in &lines[header_line + 1..] {
        if line.trim().is_empty() {
            continue;
        }
        rows += 1;
        split_fields(line, delimiter, &mut fields);
        if fields.len() == columns {
            consistent += 1;
        }
        for (index, value) in fields.iter().enumerate().take(columns) {
            let value = value.trim();
            if is_missing(value) {
                continue;
            }
            present[index] += 1;
            longest[index] = longest[index].max(value.len());
            let is_number = value.parse::<f64>().is_ok();
            if is_number {
                numeric[index] += 1;
            }
            if parse_whole(value, &mut years).is_some() {
                times[index] += 1;
                if !is_number {
                    text_times[index] += 1;
                }
            }
        }
    }
    if rows == 0 || consistent * 10 < rows * 9 {
        return None;
    }
    let mostly = |part: usize, whole: usize| whole > 0 && part * 10 >= whole * 8;
    let time_column = (0..columns)
        .find(|&index| {
            TIME_HEADERS.contains(&headers[index].to_ascii_lowercase().as_str())
                && mostly(times[index], present[index])
        })
        .or_else(|| (0..columns).find(|&index| mostly(text_times[index], present[index])));
    // A column is numeric when at least half its values are numbers: the rest are then bad
    // cells worth an issue each, not a reason to read the column as text.
    let numeric_columns: Vec<usize> = (0..columns)
        .filter(|&index| {
            Some(index) != time_column && numeric[index] > 0 && numeric[index] * 2 >= present[index]
        })
        .collect();
    let label_columns: Vec<usize> = (0..columns)
        .filter(|&index| {
            Some(index) != time_column
                && !numeric_columns.contains(&index)
                && present[index] > 0
                && longest[index] <= 100
        })
        .collect();
    // A long table names the metric in a text column and holds the number in a value column.
    let name_column = label_columns
        .iter()
        .copied()
        .find(|&index| NAME_HEADERS.contains(&headers[index].to_ascii_lowercase().as_str()))
        .filter(|_| {
            numeric_columns.len() == 1
                || numeric_columns.iter().any(|&index| {
                    VALUE_HEADERS.contains(&headers[index].to_ascii_lowercase().as_str())
                })
        });
    let message_column = (0..columns).find(|&index| {
        Some(index) != time_column
            && !numeric_columns.contains(&index)
            && MESSAGE_HEADERS.contains(&headers[index].to_ascii_lowercase().as_str())
    });
    Some(CsvShape {
        delimiter,
        headers,
        time_column,
        numeric_columns,
        label_columns,
        name_column,
        message_column,
        rows,
        header_line,
    })
}

/// Parses a table of metrics: one sample per numeric cell.
pub(crate) struct CsvMetricsParser {
    settings: ParserSettings,
    shape: CsvShape,
    years: YearResolver,
    header_seen: bool,
}

impl CsvMetricsParser {
    pub fn new(settings: &ParserSettings, shape: CsvShape) -> Self {
        Self {
            settings: settings.clone(),
            shape,
            years: YearResolver::new(settings.base_year),
            header_seen: false,
        }
    }
}

impl CsvMetricsParser {
    /// The metric a numeric cell belongs to: its column's header in a wide table; the row's
    /// name cell in a long one (suffixed with the header when a long table has several number
    /// columns, e.g. `min` and `max`).
    fn metric_name<'a>(&'a self, fields: &[Cow<'a, str>], index: usize) -> Cow<'a, str> {
        let header = self.shape.headers[index].as_str();
        let Some(name) = self
            .shape
            .name_column
            .and_then(|column| fields.get(column))
            .map(|name| name.trim())
            .filter(|name| !is_missing(name))
        else {
            return Cow::Borrowed(header);
        };
        if self.shape.numeric_columns.len() == 1
            || VALUE_HEADERS.contains(&header.to_ascii_lowercase().as_str())
        {
            Cow::Owned(name.to_owned())
        } else {
            Cow::Owned(format!("{name}_{header}"))
        }
    }
}

impl CsvShape {
    /// Splits one data row, skipping blank lines and the header row, and reports a row whose
    /// field count differs from the header's (the row is still used: missing cells are empty).
    fn data_row<'a>(
        &self,
        number: u64,
        line: &'a str,
        header_seen: &mut bool,
        out: &mut Output<'_>,
    ) -> Option<Vec<Cow<'a, str>>> {
        if line.trim().is_empty() {
            return None;
        }
        if !*header_seen {
            *header_seen = true;
            return None;
        }
        let mut fields = Vec::with_capacity(self.headers.len());
        split_fields(line, self.delimiter, &mut fields);
        if fields.len() != self.headers.len() {
            out.issue(
                Some(number),
                format_args!(
                    "row has {} fields, the header has {}",
                    fields.len(),
                    self.headers.len()
                ),
            );
        }
        Some(fields)
    }
}

impl FormatParser for CsvMetricsParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        let Some(fields) = self
            .shape
            .data_row(number, line, &mut self.header_seen, out)
        else {
            return;
        };
        let timestamp = match self.shape.time_column.and_then(|index| fields.get(index)) {
            Some(text) => {
                let parsed = parse_whole(text, &mut self.years);
                if parsed.is_none() {
                    out.issue(
                        Some(number),
                        format_args!(
                            "time {:?} not understood; row kept without it",
                            truncate(text)
                        ),
                    );
                }
                parsed
            }
            None => None,
        };
        let mut labels: Vec<(Cow<'_, str>, Cow<'_, str>)> = self
            .shape
            .label_columns
            .iter()
            .filter(|&&index| Some(index) != self.shape.name_column)
            .filter_map(|&index| {
                let value = fields.get(index)?.trim();
                (!is_missing(value)).then(|| {
                    (
                        Cow::Borrowed(self.shape.headers[index].as_str()),
                        Cow::Borrowed(value),
                    )
                })
            })
            .collect();
        labels.sort_by(|a, b| a.0.cmp(&b.0));
        for &index in &self.shape.numeric_columns {
            let Some(text) = fields.get(index) else {
                continue;
            };
            let text = text.trim();
            if is_missing(text) {
                continue;
            }
            match text.parse::<f64>() {
                Ok(value) => out.metric(MetricSample {
                    attachment: self.settings.attachment,
                    line: number,
                    name: self.metric_name(&fields, index),
                    labels: labels.clone(),
                    timestamp,
                    value,
                }),
                Err(_) => out.issue(
                    Some(number),
                    format_args!(
                        "column {:?}: {:?} is not a number; cell skipped",
                        self.shape.headers[index],
                        truncate(text)
                    ),
                ),
            }
        }
    }

    fn finish(&mut self, _out: &mut Output<'_>) {}
}

fn truncate(text: &str) -> &str {
    match text.char_indices().nth(64) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

/// Parses a table without numeric columns as a log: columns become fields and the same role
/// learning as JSON lines picks time, level, message and source.
pub(crate) struct CsvLogParser {
    shape: CsvShape,
    builder: RecordBuilder,
    header_seen: bool,
}

impl CsvLogParser {
    pub fn new(settings: &ParserSettings, shape: CsvShape, window: &Window<'_>) -> Self {
        let mut samples = Vec::new();
        let mut fields = Vec::new();
        for line in window.lines().iter().skip(shape.header_line + 1) {
            if line.trim().is_empty() {
                continue;
            }
            split_fields(line, shape.delimiter, &mut fields);
            samples.push(row_fields(&shape.headers, &fields));
        }
        let mut roles = learn_roles(&samples, settings.base_year);
        if roles.time.is_none() {
            roles.time = shape.time_column.map(|index| shape.headers[index].clone());
        }
        Self {
            builder: RecordBuilder {
                attachment: settings.attachment,
                roles,
                years: YearResolver::new(settings.base_year),
            },
            shape,
            header_seen: false,
        }
    }
}

fn row_fields<'a>(headers: &'a [String], values: &[Cow<'a, str>]) -> Vec<Field<'a>> {
    headers
        .iter()
        .zip(values)
        .map(|(header, value)| Field {
            key: Cow::Borrowed(header.as_str()),
            value: value.clone(),
            kind: if is_missing(value.trim()) {
                ValueKind::Null
            } else {
                ValueKind::String
            },
        })
        .collect()
}

impl FormatParser for CsvLogParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        let Some(values) = self
            .shape
            .data_row(number, line, &mut self.header_seen, out)
        else {
            return;
        };
        let mut fields = row_fields(&self.shape.headers, &values);
        self.builder.emit(number, line, &mut fields, out);
    }

    fn finish(&mut self, _out: &mut Output<'_>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str, delimiter: u8) -> Vec<String> {
        let mut out = Vec::new();
        split_fields(line, delimiter, &mut out);
        out.into_iter().map(Cow::into_owned).collect()
    }

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(fields("a,b,,c", b','), ["a", "b", "", "c"]);
        assert_eq!(
            fields(r#""x, y","say ""hi""",z"#, b','),
            ["x, y", "say \"hi\"", "z"]
        );
        assert_eq!(fields("a\tb", b'\t'), ["a", "b"]);
        assert_eq!(fields(r#""open"#, b','), ["open"]);
        assert_eq!(fields("", b','), [""]);
    }
}
