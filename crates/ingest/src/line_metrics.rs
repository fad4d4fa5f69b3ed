//! One-sample-per-line metric protocols: InfluxDB line protocol
//! (`cpu,host=web-1 usage_idle=92.5,usage_user=4i 1714557600000000000`) and statsd, with
//! DogStatsD tags (`checkout.latency:320|ms|@0.5|#env:prod,pod:web-1`). Each numeric value
//! becomes a `MetricSample`: Influx fields are named `<measurement>_<field>` (Telegraf's
//! Prometheus convention) with the tags as labels; statsd keeps the bucket name, its type
//! (`counter`, `gauge`, `timer`, `histogram`, `distribution`) and its tags as labels.

use crate::format::{FormatParser, ParserSettings, Window};
use crate::output::Output;
use crate::timestamp::epoch_text_to_timestamp;
use faultmaven_model::MetricSample;
use std::borrow::Cow;

/// Splits at `separator` bytes that are not escaped with `\` and not inside `"quotes"`.
fn split_unescaped(text: &str, separator: u8) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut index = 0;
    let mut quoted = false;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 1,
            b'"' => quoted = !quoted,
            byte if byte == separator && !quoted => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
        index += 1;
    }
    parts.push(&text[start.min(text.len())..]);
    parts
}

/// Removes the line protocol's backslash escapes (`\,`, `\ `, `\=`, `\"`).
fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains('\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character == '\\' {
            match characters.next() {
                Some(next @ (',' | ' ' | '=' | '"' | '\\')) => out.push(next),
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(character);
        }
    }
    Cow::Owned(out)
}

/// One parsed Influx line.
struct InfluxLine<'a> {
    measurement: Cow<'a, str>,
    tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// Numeric fields; string fields are left out.
    fields: Vec<(Cow<'a, str>, f64)>,
    timestamp: Option<&'a str>,
}

fn influx_value(text: &str) -> Option<Option<f64>> {
    if text.starts_with('"') {
        // A string field: valid, but not a number to plot.
        return (text.len() >= 2 && text.ends_with('"')).then_some(None);
    }
    match text {
        "t" | "T" | "true" | "True" | "TRUE" => return Some(Some(1.0)),
        "f" | "F" | "false" | "False" | "FALSE" => return Some(Some(0.0)),
        _ => {}
    }
    let number = text
        .strip_suffix('i')
        .or_else(|| text.strip_suffix('u'))
        .unwrap_or(text);
    let value: f64 = number.parse().ok()?;
    value.is_finite().then_some(Some(value))
}

fn parse_influx(line: &str) -> Result<InfluxLine<'_>, &'static str> {
    let sections = split_unescaped(line, b' ');
    let (head, fields, timestamp) = match sections.as_slice() {
        [head, fields] => (*head, *fields, None),
        [head, fields, timestamp] => (*head, *fields, Some(*timestamp)),
        _ => return Err("expected `measurement[,tags] fields [timestamp]`"),
    };
    let mut head_parts = split_unescaped(head, b',').into_iter();
    let measurement = head_parts.next().unwrap_or_default();
    if measurement.is_empty() || split_unescaped(measurement, b'=').len() > 1 {
        return Err("missing measurement name");
    }
    let mut tags = Vec::new();
    for tag in head_parts {
        match split_unescaped(tag, b'=').as_slice() {
            [key, value] if !key.is_empty() => tags.push((unescape(key), unescape(value))),
            _ => return Err("tag is not `key=value`"),
        }
    }
    tags.sort_by(|a, b| a.0.cmp(&b.0));
    let mut numeric = Vec::new();
    let mut any_field = false;
    for field in split_unescaped(fields, b',') {
        let parts = split_unescaped(field, b'=');
        let [key, value] = parts.as_slice() else {
            return Err("field is not `key=value`");
        };
        if key.is_empty() {
            return Err("field without a name");
        }
        any_field = true;
        match influx_value(value) {
            Some(Some(value)) => numeric.push((unescape(key), value)),
            Some(None) => {}
            None => return Err("field value is not a number, boolean or string"),
        }
    }
    if !any_field {
        return Err("no fields");
    }
    if let Some(timestamp) = timestamp {
        if timestamp.parse::<i64>().is_err() {
            return Err("timestamp is not an integer");
        }
    }
    Ok(InfluxLine {
        measurement: unescape(measurement),
        tags,
        fields: numeric,
        timestamp,
    })
}

/// One parsed statsd line.
struct StatsdLine<'a> {
    name: &'a str,
    value: f64,
    tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

fn parse_statsd(line: &str) -> Result<StatsdLine<'_>, &'static str> {
    let (name, rest) = line.split_once(':').ok_or("expected `name:value|type`")?;
    if name.is_empty() || name.contains(' ') {
        return Err("bad bucket name");
    }
    let mut parts = rest.split('|');
    let value = parts.next().unwrap_or_default();
    let kind = match parts.next() {
        Some("c") => "counter",
        Some("g") => "gauge",
        Some("ms") => "timer",
        Some("h") => "histogram",
        Some("d") => "distribution",
        Some("s") => "set",
        _ => return Err("unknown metric type"),
    };
    let value: f64 = if kind == "set" {
        // A set counts distinct members; each line is one member seen.
        1.0
    } else {
        value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or("value is not a number")?
    };
    let mut tags = Vec::new();
    for part in parts {
        if let Some(list) = part.strip_prefix('#') {
            for tag in list.split(',').filter(|tag| !tag.is_empty()) {
                let (key, value) = tag.split_once(':').unwrap_or((tag, ""));
                tags.push((Cow::Borrowed(key), Cow::Borrowed(value)));
            }
        } else if let Some(rate) = part.strip_prefix('@') {
            rate.parse::<f64>().map_err(|_| "bad sample rate")?;
            tags.push((Cow::Borrowed("sample_rate"), Cow::Borrowed(rate)));
        }
    }
    tags.push((Cow::Borrowed("type"), Cow::Borrowed(kind)));
    tags.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(StatsdLine { name, value, tags })
}

/// Which protocol a parser reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// InfluxDB line protocol.
    Influx,
    /// statsd / DogStatsD.
    Statsd,
}

fn is_comment(line: &str) -> bool {
    line.starts_with('#')
}

pub(crate) fn sniff(window: &Window<'_>, protocol: Protocol) -> u8 {
    let mut total = 0usize;
    let mut matching = 0usize;
    for line in window.lines() {
        let line = line.trim();
        if line.is_empty() || is_comment(line) {
            continue;
        }
        total += 1;
        let ok = match protocol {
            Protocol::Influx => parse_influx(line).is_ok_and(|parsed| !parsed.fields.is_empty()),
            Protocol::Statsd => parse_statsd(line).is_ok(),
        };
        matching += usize::from(ok);
    }
    // Two lines are not enough to tell `a b` noise from metrics. An Influx line ends in an
    // epoch, which also reads as a timestamped text log; the stricter shape wins.
    if matching >= 2 && matching * 10 >= total * 8 {
        97
    } else {
        0
    }
}

/// Parses Influx line protocol or statsd lines.
pub(crate) struct LineMetricsParser {
    settings: ParserSettings,
    protocol: Protocol,
}

impl LineMetricsParser {
    pub fn new(settings: &ParserSettings, protocol: Protocol) -> Self {
        Self {
            settings: settings.clone(),
            protocol,
        }
    }
}

impl FormatParser for LineMetricsParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        let line = line.trim();
        if line.is_empty() || is_comment(line) {
            return;
        }
        match self.protocol {
            Protocol::Influx => match parse_influx(line) {
                Ok(parsed) => {
                    let timestamp = parsed.timestamp.and_then(epoch_text_to_timestamp);
                    if parsed.timestamp.is_some() && timestamp.is_none() {
                        out.issue(
                            Some(number),
                            format_args!("timestamp out of range; samples kept without it"),
                        );
                    }
                    for (field, value) in parsed.fields {
                        out.metric(MetricSample {
                            attachment: self.settings.attachment,
                            line: number,
                            name: Cow::Owned(format!("{}_{field}", parsed.measurement)),
                            labels: parsed.tags.clone(),
                            timestamp,
                            value,
                        });
                    }
                }
                Err(reason) => out.issue(Some(number), format_args!("{reason}; line skipped")),
            },
            Protocol::Statsd => match parse_statsd(line) {
                Ok(parsed) => {
                    out.metric(MetricSample {
                        attachment: self.settings.attachment,
                        line: number,
                        name: Cow::Borrowed(parsed.name),
                        labels: parsed.tags,
                        timestamp: None,
                        value: parsed.value,
                    });
                }
                Err(reason) => out.issue(Some(number), format_args!("{reason}; line skipped")),
            },
        }
    }

    fn finish(&mut self, _out: &mut Output<'_>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn influx_lines() {
        let parsed = parse_influx(
            r#"cpu,host=web\ 1,dc=eu usage_idle=92.5,n=4i,up=t,note="a b" 1714557600000000000"#,
        )
        .unwrap();
        assert_eq!(parsed.measurement, "cpu");
        assert_eq!(
            parsed.tags,
            vec![
                (Cow::Borrowed("dc"), Cow::Borrowed("eu")),
                (Cow::Borrowed("host"), Cow::Owned("web 1".to_owned()))
            ]
        );
        let fields: Vec<_> = parsed
            .fields
            .iter()
            .map(|(k, v)| (k.as_ref(), *v))
            .collect();
        assert_eq!(fields, [("usage_idle", 92.5), ("n", 4.0), ("up", 1.0)]);
        assert!(parse_influx("level=info msg=hello").is_err());
        assert!(parse_influx("cpu").is_err());
        assert!(parse_influx("cpu value=abc").is_err());
    }

    #[test]
    fn statsd_lines() {
        let parsed = parse_statsd("checkout.latency:320|ms|@0.5|#env:prod,pod:web-1").unwrap();
        assert_eq!(parsed.name, "checkout.latency");
        assert_eq!(parsed.value, 320.0);
        assert_eq!(parsed.tags.len(), 4);
        assert!(parse_statsd("users:alice|s").is_ok());
        assert!(parse_statsd("x:1|zz").is_err());
        assert!(parse_statsd("x:abc|c").is_err());
        assert!(parse_statsd("no colon here").is_err());
    }
}
