//! Container runtime logs: Docker's `json-file` driver (`{"log":"...\n","stream":"stdout",
//! "time":"..."}`) and the Kubernetes CRI format (`2024-05-01T10:00:00.123456789Z stdout F msg`).
//!
//! Both wrap what the application wrote. The wrapper gives a time and a stream and splits long
//! lines into partial pieces (Docker at 16 KiB without the trailing `\n`, CRI with the `P` tag);
//! the pieces are joined back, then the application's own line is parsed again as JSON,
//! logfmt or plain text (a JSON app log inside CRI is the common case in Kubernetes), learned
//! from the sniff window like any other upload. The runtime's time fills in when the app's line
//! has none, and the stream becomes an attribute.

use crate::format::{FormatParser, ParserSettings, Window};
use crate::json_lines::flatten_object;
use crate::logfmt::{looks_like_logfmt, parse_pairs};
use crate::output::Output;
use crate::structured::{learn_roles, Field, RecordBuilder};
use crate::text::{learn, TextLogParser};
use crate::timestamp::{parse_whole, YearResolver};
use faultmaven_model::{LogRecord, MetricSample, RecordSink, Timestamp};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::VecDeque;

/// Which runtime wrapper a parser unwraps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wrapper {
    /// Docker `json-file`.
    DockerJson,
    /// Kubernetes CRI (containerd, CRI-O).
    Cri,
}

/// The output stream a container line was written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
    Other,
}

impl Stream {
    fn parse(text: &str) -> Self {
        match text {
            "stdout" => Self::Stdout,
            "stderr" => Self::Stderr,
            _ => Self::Other,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
            Self::Other => "other",
        }
    }
}

/// One line of a container log, unwrapped.
struct Unwrapped<'a> {
    timestamp: Option<Timestamp>,
    stream: Stream,
    /// The application's text, without the line ending the runtime kept.
    message: Cow<'a, str>,
    /// More pieces of the same application line follow.
    partial: bool,
}

#[derive(Deserialize)]
struct DockerLine<'a> {
    #[serde(borrow)]
    log: Cow<'a, str>,
    #[serde(borrow, default)]
    stream: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
}

fn unwrap_docker<'a>(line: &'a str, years: &mut YearResolver) -> Option<Unwrapped<'a>> {
    let parsed: DockerLine<'a> = serde_json::from_str(line).ok()?;
    let partial = !parsed.log.ends_with('\n');
    let message = match parsed.log {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim_end_matches(['\n', '\r'])),
        Cow::Owned(mut text) => {
            text.truncate(text.trim_end_matches(['\n', '\r']).len());
            Cow::Owned(text)
        }
    };
    Some(Unwrapped {
        timestamp: parsed.time.and_then(|time| parse_whole(&time, years)),
        stream: parsed.stream.map_or(Stream::Other, |s| Stream::parse(&s)),
        message,
        partial,
    })
}

/// `<RFC 3339 time> <stream> <tags> <message>`; the tags are `F` (full) or `P` (partial),
/// possibly followed by more `:`-separated tags.
fn unwrap_cri<'a>(line: &'a str, years: &mut YearResolver) -> Option<Unwrapped<'a>> {
    let (time, rest) = line.split_once(' ')?;
    let (stream, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if !matches!(stream, "stdout" | "stderr") {
        return None;
    }
    let (tags, message) = rest.split_once(' ').unwrap_or((rest, ""));
    let partial = match tags.split(':').next() {
        Some("P") => true,
        Some("F") => false,
        _ => return None,
    };
    let timestamp = parse_whole(time, years)?;
    Some(Unwrapped {
        timestamp: Some(timestamp),
        stream: Stream::parse(stream),
        message: Cow::Borrowed(message),
        partial,
    })
}

fn unwrap_line<'a>(
    wrapper: Wrapper,
    line: &'a str,
    years: &mut YearResolver,
) -> Option<Unwrapped<'a>> {
    match wrapper {
        Wrapper::DockerJson => unwrap_docker(line, years),
        Wrapper::Cri => unwrap_cri(line, years),
    }
}

/// Share of the window's non-blank lines that unwrap, as a sniff score.
pub(crate) fn sniff(window: &Window<'_>, wrapper: Wrapper) -> u8 {
    let mut years = YearResolver::new(2000);
    let mut total = 0usize;
    let mut unwrapped = 0usize;
    for line in window.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        total += 1;
        let ok = match wrapper {
            // Cheap precheck so a JSON lines log is not deserialized twice per line.
            Wrapper::DockerJson => {
                line.starts_with('{')
                    && line.contains("\"log\"")
                    && unwrap_docker(line, &mut years).is_some_and(|u| u.timestamp.is_some())
            }
            Wrapper::Cri => unwrap_cri(line, &mut years).is_some(),
        };
        if ok {
            unwrapped += 1;
        }
    }
    if unwrapped > 0 && unwrapped * 10 >= total * 9 {
        97
    } else {
        0
    }
}

/// How the application's own lines are read.
enum Inner {
    Json(RecordBuilder),
    Logfmt(RecordBuilder),
    Text(Box<TextLogParser>),
}

/// What the runtime said about a line, kept until the record holding it is emitted (a text
/// record can span several lines: a stack trace written line by line).
#[derive(Clone, Copy)]
struct LineContext {
    line: u64,
    timestamp: Option<Timestamp>,
    stream: Stream,
}

/// A sink in front of the real one that gives each record the runtime's time (when the
/// application wrote none) and stream.
struct ContextSink<'s> {
    inner: &'s mut dyn RecordSink,
    recent: &'s mut VecDeque<LineContext>,
}

impl RecordSink for ContextSink<'_> {
    fn log(&mut self, mut record: LogRecord<'_>) {
        let context = self
            .recent
            .iter()
            .find(|context| context.line == record.first_line)
            .copied();
        // Two streams' records may complete out of line order, so only this record's lines go.
        self.recent
            .retain(|context| context.line < record.first_line || context.line > record.last_line);
        if let Some(context) = context {
            if record.timestamp.is_none() {
                record.timestamp = context.timestamp;
            }
            record.attributes.push((
                Cow::Borrowed("stream"),
                Cow::Borrowed(context.stream.as_str()),
            ));
        }
        self.inner.log(record);
    }

    fn metric(&mut self, sample: MetricSample<'_>) {
        self.inner.metric(sample);
    }
}

/// A partial application line being joined.
struct Partial {
    first_line: u64,
    timestamp: Option<Timestamp>,
    stream: Stream,
    text: String,
}

/// Chooses how a stream's application lines are read, from the window's lines of it.
fn build_inner(messages: &[Cow<'_, str>], settings: &ParserSettings) -> Inner {
    let mut json_samples = Vec::new();
    let mut logfmt_samples = Vec::new();
    let mut non_blank = 0usize;
    for message in messages {
        let message = message.trim();
        if message.is_empty() {
            continue;
        }
        non_blank += 1;
        let mut fields = Vec::new();
        if message.starts_with('{') && flatten_object(message, &mut fields).is_ok() {
            json_samples.push(fields);
        } else if looks_like_logfmt(message) {
            if let Some(fields) = parse_pairs(message) {
                logfmt_samples.push(fields);
            }
        }
    }
    let builder = |samples: &[Vec<Field<'_>>]| RecordBuilder {
        attachment: settings.attachment,
        roles: learn_roles(samples, settings.base_year),
        years: YearResolver::new(settings.base_year),
    };
    let mostly = |count: usize| count > 0 && count * 10 >= non_blank * 6;
    if mostly(json_samples.len()) {
        Inner::Json(builder(&json_samples))
    } else if mostly(logfmt_samples.len()) {
        Inner::Logfmt(builder(&logfmt_samples))
    } else {
        Inner::Text(Box::new(TextLogParser::new(
            settings,
            learn(messages).layout,
        )))
    }
}

/// Parses Docker `json-file` or CRI logs.
pub(crate) struct ContainerLogParser {
    wrapper: Wrapper,
    /// How stdout (and unnamed streams) and stderr lines are read.
    inner: [Inner; 2],
    years: YearResolver,
    partial: Option<Partial>,
    recent: VecDeque<LineContext>,
    max_record_bytes: usize,
    max_recent: usize,
}

impl ContainerLogParser {
    pub fn new(wrapper: Wrapper, settings: &ParserSettings, window: &Window<'_>) -> Self {
        let mut years = YearResolver::new(settings.base_year);
        let mut stdout: Vec<Cow<'_, str>> = Vec::new();
        let mut stderr: Vec<Cow<'_, str>> = Vec::new();
        for line in window.lines() {
            if let Some(unwrapped) = unwrap_line(wrapper, line.trim_end(), &mut years) {
                let message = Cow::Owned(unwrapped.message.into_owned());
                match unwrapped.stream {
                    Stream::Stderr => stderr.push(message),
                    Stream::Stdout | Stream::Other => stdout.push(message),
                }
            }
        }
        Self {
            wrapper,
            // Streams are read apart: a server often writes its access log to stdout and
            // its error log, in another layout, to stderr (nginx, Apache, Envoy).
            inner: [
                build_inner(&stdout, settings),
                build_inner(&stderr, settings),
            ],
            years: YearResolver::new(settings.base_year),
            partial: None,
            recent: VecDeque::new(),
            max_record_bytes: settings.max_record_bytes,
            // A text record spans at most this many lines, so older contexts are never asked for.
            max_recent: settings.max_record_lines + 2,
        }
    }

    /// Hands one whole application line to the inner parser, with its runtime context.
    fn emit(&mut self, number: u64, context: LineContext, message: &str, out: &mut Output<'_>) {
        self.recent.push_back(context);
        while self.recent.len() > self.max_recent {
            self.recent.pop_front();
        }
        let mut sink = ContextSink {
            inner: &mut *out.sink,
            recent: &mut self.recent,
        };
        let mut out = Output {
            sink: &mut sink,
            redactor: out.redactor,
            tally: &mut *out.tally,
        };
        let trimmed = message.trim();
        let inner = match context.stream {
            Stream::Stderr => &mut self.inner[1],
            Stream::Stdout | Stream::Other => &mut self.inner[0],
        };
        match inner {
            Inner::Json(builder) => {
                if trimmed.is_empty() {
                    return;
                }
                let mut fields = Vec::new();
                if trimmed.starts_with('{') && flatten_object(trimmed, &mut fields).is_ok() {
                    builder.emit(number, trimmed, &mut fields, &mut out);
                } else {
                    // A banner or panic among JSON lines: kept as text.
                    builder.emit(number, trimmed, &mut Vec::new(), &mut out);
                }
            }
            Inner::Logfmt(builder) => {
                if trimmed.is_empty() {
                    return;
                }
                let mut fields = parse_pairs(trimmed).unwrap_or_default();
                builder.emit(number, trimmed, &mut fields, &mut out);
            }
            Inner::Text(parser) => parser.line(number, message, &mut out),
        }
    }

    fn flush_partial(&mut self, out: &mut Output<'_>) {
        if let Some(partial) = self.partial.take() {
            let context = LineContext {
                line: partial.first_line,
                timestamp: partial.timestamp,
                stream: partial.stream,
            };
            self.emit(partial.first_line, context, &partial.text, out);
        }
    }
}

impl FormatParser for ContainerLogParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        let line = line.trim_end();
        if line.is_empty() {
            return;
        }
        let Some(unwrapped) = unwrap_line(self.wrapper, line, &mut self.years) else {
            let what = match self.wrapper {
                Wrapper::DockerJson => "not a Docker json-file line",
                Wrapper::Cri => "not a CRI log line",
            };
            out.issue(Some(number), format_args!("{what}; kept as text"));
            self.flush_partial(out);
            let context = LineContext {
                line: number,
                timestamp: None,
                stream: Stream::Other,
            };
            self.emit(number, context, line, out);
            return;
        };
        // A piece of another stream interleaved with a partial line ends that line.
        if self
            .partial
            .as_ref()
            .is_some_and(|partial| partial.stream != unwrapped.stream)
        {
            self.flush_partial(out);
        }
        if let Some(partial) = &mut self.partial {
            if partial.text.len() + unwrapped.message.len() > self.max_record_bytes {
                out.issue(
                    Some(number),
                    format_args!(
                        "joined partial line longer than {} bytes; split",
                        self.max_record_bytes
                    ),
                );
                self.flush_partial(out);
            }
        }
        match (&mut self.partial, unwrapped.partial) {
            (Some(partial), true) => partial.text.push_str(&unwrapped.message),
            (Some(partial), false) => {
                partial.text.push_str(&unwrapped.message);
                self.flush_partial(out);
            }
            (None, true) => {
                self.partial = Some(Partial {
                    first_line: number,
                    timestamp: unwrapped.timestamp,
                    stream: unwrapped.stream,
                    text: unwrapped.message.into_owned(),
                });
            }
            (None, false) => {
                let context = LineContext {
                    line: number,
                    timestamp: unwrapped.timestamp,
                    stream: unwrapped.stream,
                };
                self.emit(number, context, &unwrapped.message, out);
            }
        }
    }

    fn finish(&mut self, out: &mut Output<'_>) {
        self.flush_partial(out);
        for inner in &mut self.inner {
            let Inner::Text(parser) = inner else {
                continue;
            };
            let mut sink = ContextSink {
                inner: &mut *out.sink,
                recent: &mut self.recent,
            };
            let mut out = Output {
                sink: &mut sink,
                redactor: out.redactor,
                tally: &mut *out.tally,
            };
            parser.finish(&mut out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_cri_lines() {
        let mut years = YearResolver::new(2024);
        let line = "2024-05-01T10:00:00.123456789Z stderr P first half";
        let unwrapped = unwrap_cri(line, &mut years).unwrap();
        assert!(unwrapped.partial);
        assert_eq!(unwrapped.stream, Stream::Stderr);
        assert_eq!(unwrapped.message, "first half");
        assert_eq!(
            unwrapped.timestamp.unwrap().to_rfc3339(),
            "2024-05-01T10:00:00.123456789Z"
        );
        let empty = unwrap_cri("2024-05-01T10:00:00Z stdout F", &mut years).unwrap();
        assert_eq!(empty.message, "");
        assert!(unwrap_cri("2024-05-01T10:00:00Z stdin F x", &mut years).is_none());
        assert!(unwrap_cri("2024-05-01T10:00:00Z stdout X x", &mut years).is_none());
        assert!(unwrap_cri("hello stdout F x", &mut years).is_none());
    }

    #[test]
    fn unwraps_docker_lines() {
        let mut years = YearResolver::new(2024);
        let line =
            r#"{"log":"GET /health 200\n","stream":"stdout","time":"2024-05-01T10:00:00.5Z"}"#;
        let unwrapped = unwrap_docker(line, &mut years).unwrap();
        assert!(!unwrapped.partial);
        assert_eq!(unwrapped.message, "GET /health 200");
        let partial = unwrap_docker(r#"{"log":"abc","stream":"stdout"}"#, &mut years).unwrap();
        assert!(partial.partial);
        assert!(unwrap_docker(r#"{"msg":"x"}"#, &mut years).is_none());
    }
}
