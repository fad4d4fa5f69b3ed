//! Prometheus exposition text and OpenMetrics: one sample per line,
//! `name{label="value",...} value [timestamp]`, with `# HELP`/`# TYPE` metadata skipped.

use crate::format::{FormatParser, ParserSettings, Window};
use crate::output::Output;
use crate::timestamp::epoch_text_to_timestamp;
use faultmaven_model::MetricSample;
use std::borrow::Cow;

/// One parsed sample line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample<'a> {
    pub name: &'a str,
    pub labels: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub value: f64,
    /// The timestamp as written (milliseconds in Prometheus text, seconds in OpenMetrics).
    pub timestamp: Option<&'a str>,
}

/// Why a sample line did not parse.
pub(crate) type SampleError = &'static str;

fn is_name_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte == b':'
}

fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b':'
}

/// Parses `name{labels} value [timestamp]`.
pub(crate) fn parse_sample(line: &str) -> Result<Sample<'_>, SampleError> {
    let bytes = line.as_bytes();
    let mut position = 0;
    if !bytes.first().copied().is_some_and(is_name_start) {
        return Err("metric name expected");
    }
    while position < bytes.len() && is_name_byte(bytes[position]) {
        position += 1;
    }
    let name = &line[..position];
    let mut labels = Vec::new();
    if bytes.get(position) == Some(&b'{') {
        position += 1;
        loop {
            while bytes
                .get(position)
                .is_some_and(|b| *b == b' ' || *b == b',')
            {
                position += 1;
            }
            match bytes.get(position) {
                Some(b'}') => {
                    position += 1;
                    break;
                }
                None => return Err("unclosed label set"),
                _ => {}
            }
            let key_start = position;
            while bytes.get(position).copied().is_some_and(is_name_byte) {
                position += 1;
            }
            if key_start == position {
                return Err("label name expected");
            }
            let key = &line[key_start..position];
            while bytes.get(position) == Some(&b' ') {
                position += 1;
            }
            if bytes.get(position) != Some(&b'=') {
                return Err("'=' expected after label name");
            }
            position += 1;
            while bytes.get(position) == Some(&b' ') {
                position += 1;
            }
            if bytes.get(position) != Some(&b'"') {
                return Err("quoted label value expected");
            }
            let (value, end) = label_value(line, position).ok_or("unterminated label value")?;
            position = end;
            labels.push((Cow::Borrowed(key), value));
        }
    }
    let rest = &line[position..];
    if !rest.starts_with([' ', '\t']) {
        return Err("space expected before the value");
    }
    // An OpenMetrics exemplar (` # {trace_id="..."} 1.0`) follows the sample; it is not part
    // of it.
    let rest = rest.split(" # ").next().unwrap_or(rest);
    let mut parts = rest.split_ascii_whitespace();
    let value_text = parts.next().ok_or("value expected")?;
    let value = parse_value(value_text).ok_or("value is not a number")?;
    let timestamp = match parts.next() {
        Some(text) => {
            text.parse::<f64>()
                .map_err(|_| "timestamp is not a number")?;
            Some(text)
        }
        None => None,
    };
    if parts.next().is_some() {
        return Err("unexpected text after the timestamp");
    }
    labels.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Sample {
        name,
        labels,
        value,
        timestamp,
    })
}

/// Go's float syntax as Prometheus writes it: numbers, `NaN`, `+Inf`, `-Inf`.
fn parse_value(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        _ if text.bytes().all(|b| {
            b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E' | b'_')
        }) =>
        {
            text.replace('_', "").parse().ok()
        }
        _ => None,
    }
}

/// A quoted label value starting at `start`; handles `\\`, `\"` and `\n`.
fn label_value(line: &str, start: usize) -> Option<(Cow<'_, str>, usize)> {
    let bytes = line.as_bytes();
    let mut position = start + 1;
    let mut escaped = false;
    while position < bytes.len() {
        match bytes[position] {
            b'\\' => {
                escaped = true;
                position += 2;
            }
            b'"' => {
                let inner = &line[start + 1..position];
                if !escaped {
                    return Some((Cow::Borrowed(inner), position + 1));
                }
                let mut out = String::with_capacity(inner.len());
                let mut characters = inner.chars();
                while let Some(character) = characters.next() {
                    if character == '\\' {
                        match characters.next() {
                            Some('n') => out.push('\n'),
                            Some(other) => out.push(other),
                            None => out.push('\\'),
                        }
                    } else {
                        out.push(character);
                    }
                }
                return Some((Cow::Owned(out), position + 1));
            }
            _ => position += 1,
        }
    }
    None
}

/// `# HELP`, `# TYPE`, `# UNIT`, `# EOF`: the metadata lines of the format.
pub(crate) fn is_metadata(line: &str) -> bool {
    ["# HELP ", "# TYPE ", "# UNIT "]
        .iter()
        .any(|prefix| line.starts_with(prefix))
        || line.trim_end() == "# EOF"
}

/// Share of non-blank window lines in the format, and whether it is OpenMetrics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct PrometheusStats {
    pub matching: usize,
    pub samples: usize,
    pub metadata: usize,
    pub non_blank: usize,
    pub openmetrics: bool,
}

pub(crate) fn stats(window: &Window<'_>) -> PrometheusStats {
    let mut stats = PrometheusStats::default();
    for line in window.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        stats.non_blank += 1;
        if is_metadata(line) {
            stats.metadata += 1;
            stats.matching += 1;
            stats.openmetrics |= line.starts_with("# UNIT ") || line == "# EOF";
        } else if line.starts_with('#') {
            stats.matching += 1;
        } else if parse_sample(line).is_ok() {
            stats.samples += 1;
            stats.matching += 1;
        }
    }
    stats
}

/// Parses exposition text into metric samples.
pub(crate) struct PrometheusParser {
    settings: ParserSettings,
}

impl PrometheusParser {
    pub fn new(settings: &ParserSettings) -> Self {
        Self {
            settings: settings.clone(),
        }
    }
}

impl FormatParser for PrometheusParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return;
        }
        match parse_sample(line) {
            Ok(sample) => {
                let timestamp = sample.timestamp.and_then(epoch_text_to_timestamp);
                if sample.timestamp.is_some() && timestamp.is_none() {
                    out.issue(
                        Some(number),
                        format_args!("sample timestamp out of range; kept without it"),
                    );
                }
                out.metric(MetricSample {
                    attachment: self.settings.attachment,
                    line: number,
                    name: Cow::Borrowed(sample.name),
                    labels: sample.labels,
                    timestamp,
                    value: sample.value,
                });
            }
            Err(reason) => out.issue(
                Some(number),
                format_args!("invalid sample, line skipped: {reason}"),
            ),
        }
    }

    fn finish(&mut self, _out: &mut Output<'_>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// name, labels, value, timestamp text
    type Parsed<'a> = (&'a str, Vec<(&'a str, &'a str)>, f64, Option<&'a str>);

    fn check(line: &str, expected: Result<Parsed<'_>, &str>) {
        let actual = parse_sample(line).map(|sample| {
            (
                sample.name.to_owned(),
                sample
                    .labels
                    .into_iter()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect::<Vec<_>>(),
                sample.value,
                sample.timestamp.map(str::to_owned),
            )
        });
        let expected = expected.map(|(name, labels, value, timestamp)| {
            (
                name.to_owned(),
                labels
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect::<Vec<_>>(),
                value,
                timestamp.map(str::to_owned),
            )
        });
        assert_eq!(actual, expected, "line {line:?}");
    }

    #[test]
    fn samples() {
        check("up 1", Ok(("up", vec![], 1.0, None)));
        check(
            r#"http_requests_total{method="post",code="200"} 1027 1395066363000"#,
            Ok((
                "http_requests_total",
                vec![("code", "200"), ("method", "post")],
                1027.0,
                Some("1395066363000"),
            )),
        );
        check(
            r#"msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9"#,
            Ok((
                "msdos_file_access_time_seconds",
                vec![
                    ("error", "Cannot find file:\n\"FILE.TXT\""),
                    ("path", "C:\\DIR\\FILE.TXT"),
                ],
                1.458255915e9,
                None,
            )),
        );
        check(
            r#"http_request_duration_seconds_bucket{le="+Inf",} 144320"#,
            Ok((
                "http_request_duration_seconds_bucket",
                vec![("le", "+Inf")],
                144320.0,
                None,
            )),
        );
        check(
            "go_gc_duration_seconds_sum -Inf",
            Ok((
                "go_gc_duration_seconds_sum",
                vec![],
                f64::NEG_INFINITY,
                None,
            )),
        );
        check(
            r#"foo_total{a="b"} 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67"#,
            Ok(("foo_total", vec![("a", "b")], 17.0, Some("1520879607.789"))),
        );
        check("9bad 1", Err("metric name expected"));
        check(r#"x{a="b" 1"#, Err("'=' expected after label name"));
        check("x{a=b} 1", Err("quoted label value expected"));
        check("x abc", Err("value is not a number"));
        check("x", Err("space expected before the value"));
    }

    #[test]
    fn nan_is_a_value() {
        assert!(parse_sample("x NaN").unwrap().value.is_nan());
    }
}
