//! The formats ingest recognises. One registry lists every format with its data kind, the
//! file-name endings that hint at it, its sniffer (a score from the content) and the builder
//! of its streaming parser. Adding a format means adding one entry.

use crate::archive::decompress::{Compression, RatioLimit, StreamDecoder};
use crate::config_files::{ConfigDocumentParser, ConfigSyntax};
use crate::container::{self, ContainerLogParser, Wrapper};
use crate::csv::{learn_shape, CsvLogParser, CsvMetricsParser, CsvShape};
use crate::detect;
use crate::json_lines::{self, JsonLinesParser, JsonLinesStats};
use crate::line_metrics::{self, LineMetricsParser, Protocol};
use crate::logfmt::{looks_like_logfmt, LogfmtParser};
use crate::output::Output;
use crate::prometheus::{self, PrometheusParser, PrometheusStats};
use crate::text::{learn, PlainTextParser, TextLogParser, TextStats};
use crate::traces::{sniff_csv_spans, CsvSpanParser, TraceDocument, TraceDocumentParser};
use crate::{journald, otlp_metrics, prometheus_api, windows_event, IngestError};
use faultmaven_model::{AttachmentId, DataKind};
use std::borrow::Cow;
use std::cell::OnceCell;

/// A detected format. More will be added; match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// One JSON object per line (structured logs).
    JsonLines,
    /// `key=value` pairs per line (logfmt).
    Logfmt,
    /// Plain-text log lines with a header (timestamp, level, source).
    PlainTextLog,
    /// Prometheus exposition text.
    PrometheusText,
    /// OpenMetrics text.
    OpenMetricsText,
    /// Comma- (or semicolon-) separated metric table.
    CsvMetrics,
    /// Tab-separated metric table.
    TsvMetrics,
    /// Comma-separated table of log events.
    CsvLog,
    /// Tab-separated table of log events.
    TsvLog,
    /// Kubernetes manifest (YAML with `apiVersion` and `kind`).
    KubernetesYaml,
    /// Other YAML.
    Yaml,
    /// TOML.
    Toml,
    /// INI.
    Ini,
    /// `.env` (`KEY=value` lines).
    DotEnv,
    /// A single JSON document that is not one of the trace formats.
    JsonDocument,
    /// A Dockerfile.
    Dockerfile,
    /// nginx-style configuration (`directive args;`, `block { ... }`).
    NginxConf,
    /// OpenTelemetry OTLP/JSON traces (`resourceSpans`).
    OtlpJson,
    /// Jaeger JSON traces (`traceID`, `spans`).
    JaegerJson,
    /// Zipkin v2 JSON spans.
    ZipkinJson,
    /// Comma- or tab-separated table of spans (trace id, span id, service, start, duration).
    CsvSpans,
    /// Code pasted on its own: a stack trace of any common runtime or a source snippet
    /// (the language is in the snippet record).
    Code,
    /// Docker `json-file` container log (`{"log":...,"stream":...,"time":...}`).
    DockerJson,
    /// Kubernetes CRI container log (`<time> stdout F <message>`).
    CriLog,
    /// systemd journal export format (`journalctl -o export`).
    JournaldExport,
    /// systemd journal JSON (`journalctl -o json`).
    JournaldJson,
    /// Windows event log text (`wevtutil /f:text`, `Get-WinEvent | Format-List`).
    WindowsEventText,
    /// InfluxDB line protocol.
    InfluxLineProtocol,
    /// statsd / DogStatsD lines.
    Statsd,
    /// Prometheus HTTP API JSON (`query_range` matrix, `query` vector or scalar).
    PrometheusApiJson,
    /// OpenTelemetry OTLP/JSON metrics (`resourceMetrics`).
    OtlpMetricsJson,
    /// Text we do not recognise; every line is kept as a record.
    PlainText,
    /// A gzip stream whose content could not be looked at (only from [`sniff`]).
    Gzip,
    /// A zstd stream whose content could not be looked at (only from [`sniff`]).
    Zstd,
    /// A zip archive; its members are attachments of their own.
    Zip,
    /// A tar archive (possibly compressed); its members are attachments of their own.
    Tar,
    /// No content at all.
    Empty,
}

impl Format {
    /// The snake_case name reported in attachment summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JsonLines => "json_lines",
            Self::Logfmt => "logfmt",
            Self::PlainTextLog => "plain_text_log",
            Self::PrometheusText => "prometheus_text",
            Self::OpenMetricsText => "openmetrics_text",
            Self::CsvMetrics => "csv_metrics",
            Self::TsvMetrics => "tsv_metrics",
            Self::CsvLog => "csv_log",
            Self::TsvLog => "tsv_log",
            Self::KubernetesYaml => "kubernetes_yaml",
            Self::Yaml => "yaml",
            Self::Toml => "toml",
            Self::Ini => "ini",
            Self::DotEnv => "dotenv",
            Self::JsonDocument => "json_document",
            Self::Dockerfile => "dockerfile",
            Self::NginxConf => "nginx_conf",
            Self::OtlpJson => "otlp_json",
            Self::JaegerJson => "jaeger_json",
            Self::ZipkinJson => "zipkin_json",
            Self::CsvSpans => "csv_spans",
            Self::Code => "code",
            Self::DockerJson => "docker_json",
            Self::CriLog => "cri_log",
            Self::JournaldExport => "journald_export",
            Self::JournaldJson => "journald_json",
            Self::WindowsEventText => "windows_event_text",
            Self::InfluxLineProtocol => "influx_line_protocol",
            Self::Statsd => "statsd",
            Self::PrometheusApiJson => "prometheus_api_json",
            Self::OtlpMetricsJson => "otlp_metrics_json",
            Self::PlainText => "plain_text",
            Self::Gzip => "gzip",
            Self::Zstd => "zstd",
            Self::Zip => "zip",
            Self::Tar => "tar",
            Self::Empty => "empty",
        }
    }

    /// The kind of data the format holds.
    pub fn kind(self) -> DataKind {
        match self {
            Self::Gzip | Self::Zstd | Self::Empty => DataKind::Unknown,
            Self::Zip | Self::Tar => DataKind::Archive,
            format => entry(format).map_or(DataKind::Unknown, |entry| entry.kind),
        }
    }

    /// Every format in the registry, in sniffing priority order.
    pub fn registered() -> impl Iterator<Item = Format> {
        REGISTRY.iter().map(|entry| entry.format)
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What sniffing decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sniffed {
    /// The kind of data.
    pub kind: DataKind,
    /// The format.
    pub format: Format,
}

/// A streaming parser for one format: it receives decoded lines and emits records through
/// [`Output`], which redacts them.
pub(crate) trait FormatParser: Send {
    /// One line of the upload, without its line ending.
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>);
    /// End of the upload: emit whatever is pending.
    fn finish(&mut self, out: &mut Output<'_>);
    /// Longest line the parser takes whole; document formats (one minified JSON response)
    /// raise the configured limit to their own document cap.
    fn max_line_bytes(&self, configured: usize) -> usize {
        configured
    }
    /// True for parsers of whole documents, which receive the raw bytes through
    /// [`FormatParser::bytes`] (lines are still counted, but not cut or passed to `line`).
    fn takes_bytes(&self) -> bool {
        false
    }
    /// The next raw bytes of the upload, for parsers whose `takes_bytes` is true.
    fn bytes(&mut self, data: &[u8], out: &mut Output<'_>) {
        let _ = (data, out);
    }
}

/// What every parser needs to know, fixed when the attachment starts.
#[derive(Debug, Clone)]
pub(crate) struct ParserSettings {
    pub attachment: AttachmentId,
    pub base_year: i32,
    pub max_record_lines: usize,
    pub max_record_bytes: usize,
    pub max_config_document_bytes: usize,
    pub max_config_depth: usize,
    pub max_config_entries: usize,
    /// Largest whole document (a JSON trace export) buffered for parsing.
    pub max_document_bytes: usize,
}

/// The first bytes of an upload, split into lines, with facts several sniffers share computed
/// once on demand.
pub(crate) struct Window<'a> {
    bytes: &'a [u8],
    /// File-name endings that hint at a format (`csv`, `yaml`, `env`).
    hints: Vec<String>,
    lines: Vec<Cow<'a, str>>,
    base_year: i32,
    text_stats: OnceCell<TextStats>,
    json_stats: OnceCell<JsonLinesStats>,
    prometheus_stats: OnceCell<PrometheusStats>,
    /// Per delimiter: `,`, `\t`, `;`.
    csv_shapes: [OnceCell<Option<CsvShape>>; 3],
}

impl<'a> Window<'a> {
    /// `complete` says the bytes are the whole content; otherwise a last line without its
    /// ending is dropped, since it is probably cut.
    pub fn new(name_hint: &str, bytes: &'a [u8], complete: bool, base_year: i32) -> Self {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut lines = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            match memchr::memchr(b'\n', rest) {
                Some(end) => {
                    lines.push(decode(&rest[..end]));
                    rest = &rest[end + 1..];
                }
                None => {
                    if complete || lines.is_empty() {
                        lines.push(decode(rest));
                    }
                    break;
                }
            }
        }
        Self {
            bytes,
            hints: name_hints(name_hint),
            lines,
            base_year,
            text_stats: OnceCell::new(),
            json_stats: OnceCell::new(),
            prometheus_stats: OnceCell::new(),
            csv_shapes: [OnceCell::new(), OnceCell::new(), OnceCell::new()],
        }
    }

    pub fn lines(&self) -> &[Cow<'a, str>] {
        &self.lines
    }

    pub fn first_non_blank_byte(&self) -> Option<u8> {
        self.bytes
            .iter()
            .copied()
            .find(|b| !b.is_ascii_whitespace())
    }

    pub fn contains(&self, needle: &str) -> bool {
        memchr::memmem::find(self.bytes, needle.as_bytes()).is_some()
    }

    pub fn text_stats(&self) -> &TextStats {
        self.text_stats.get_or_init(|| learn(&self.lines))
    }

    fn json_stats(&self) -> &JsonLinesStats {
        self.json_stats.get_or_init(|| json_lines::stats(self))
    }

    fn prometheus_stats(&self) -> &PrometheusStats {
        self.prometheus_stats
            .get_or_init(|| prometheus::stats(self))
    }

    pub fn csv_shape(&self, delimiter: u8) -> Option<&CsvShape> {
        let slot = match delimiter {
            b',' => 0,
            b'\t' => 1,
            _ => 2,
        };
        self.csv_shapes[slot]
            .get_or_init(|| learn_shape(self, delimiter, self.base_year))
            .as_ref()
    }

    fn hinted(&self, extensions: &[&str]) -> bool {
        self.hints
            .iter()
            .any(|hint| extensions.contains(&hint.as_str()))
    }
}

fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    crate::lines::decode_text(bytes)
}

/// The endings of a file name that hint at its format, compression removed.
fn name_hints(name: &str) -> Vec<String> {
    let base = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase();
    let base = base
        .strip_suffix(".gz")
        .or_else(|| base.strip_suffix(".gzip"))
        .or_else(|| base.strip_suffix(".zst"))
        .unwrap_or(&base)
        .to_owned();
    let mut hints = Vec::new();
    if let Some((_, extension)) = base.rsplit_once('.') {
        hints.push(extension.to_owned());
    }
    if base.starts_with(".env") || base.ends_with(".env") {
        hints.push("env".to_owned());
    }
    if base.starts_with("dockerfile") || base.starts_with("containerfile") {
        hints.push("dockerfile".to_owned());
    }
    if base.contains("nginx") && base.ends_with(".conf") {
        hints.push("nginx".to_owned());
    }
    hints
}

/// One format: how to recognise it and how to parse it.
pub(crate) struct FormatEntry {
    pub format: Format,
    pub kind: DataKind,
    /// File-name endings that hint at the format.
    pub extensions: &'static [&'static str],
    /// Score assumed when only the name matches (formats whose content cannot always be
    /// verified, such as a short configuration file); 0 means the content must say so.
    pub name_only_score: u8,
    /// How strongly the content looks like this format: 0 not at all, 100 certain.
    pub sniff: fn(&Window<'_>) -> u8,
    /// Builds the parser, learning what it needs (layout, field roles, columns) from the window.
    pub build: fn(&Window<'_>, &ParserSettings) -> Box<dyn FormatParser>,
}

fn config_document(syntax: ConfigSyntax, settings: &ParserSettings) -> Box<dyn FormatParser> {
    Box::new(ConfigDocumentParser::new(syntax, settings))
}

fn text_log(window: &Window<'_>, settings: &ParserSettings) -> Box<dyn FormatParser> {
    Box::new(TextLogParser::new(
        settings,
        window.text_stats().layout.clone(),
    ))
}

fn csv_metrics_with(
    window: &Window<'_>,
    settings: &ParserSettings,
    delimiters: &[u8],
) -> Box<dyn FormatParser> {
    match delimiters.iter().find_map(|&delimiter| {
        window
            .csv_shape(delimiter)
            .filter(|shape| shape.is_metrics())
    }) {
        Some(shape) => Box::new(CsvMetricsParser::new(settings, shape.clone())),
        None => Box::new(PlainTextParser::new(settings)),
    }
}

fn csv_log_with(
    window: &Window<'_>,
    settings: &ParserSettings,
    delimiters: &[u8],
) -> Box<dyn FormatParser> {
    match delimiters
        .iter()
        .find_map(|&delimiter| window.csv_shape(delimiter).filter(|shape| shape.is_log()))
    {
        Some(shape) => Box::new(CsvLogParser::new(settings, shape.clone(), window)),
        None => Box::new(PlainTextParser::new(settings)),
    }
}

fn sniff_json_lines(window: &Window<'_>) -> u8 {
    let stats = window.json_stats();
    // Damaged lines (cut, hand-edited) still start with a brace; prose does not.
    let mostly_objects =
        stats.objects * 10 >= stats.non_blank * 6 || stats.braced * 10 >= stats.non_blank * 9;
    if stats.objects >= 2 && stats.first_is_object && mostly_objects {
        92
    } else if stats.objects == 1 && stats.non_blank == 1 && stats.looks_like_log {
        85
    } else {
        0
    }
}

fn sniff_logfmt(window: &Window<'_>) -> u8 {
    let mut total = 0;
    let mut matching = 0;
    for line in window.lines() {
        if line.trim().is_empty() {
            continue;
        }
        total += 1;
        if looks_like_logfmt(line.trim()) {
            matching += 1;
        }
    }
    if matching > 0 && matching * 10 >= total * 8 {
        86
    } else {
        0
    }
}

fn prometheus_score(window: &Window<'_>, openmetrics: bool) -> u8 {
    let stats = window.prometheus_stats();
    let matches = stats.samples > 0 && stats.matching * 10 >= stats.non_blank * 8;
    // Two bare `word number` lines are not enough to call a file metrics without metadata.
    let convincing = stats.metadata > 0 || stats.samples >= 3;
    match (matches && convincing, openmetrics, stats.openmetrics) {
        (true, false, false) => 92,
        (true, true, true) => 94,
        _ => 0,
    }
}

/// Only tables with a time column or a message-like column are logs; a table of names and
/// addresses is not. A header row with consistent columns reads better as a table than as
/// text lines, so a timed table outscores the plain-text log reading of the same lines.
fn csv_log_score(window: &Window<'_>, delimiters: &[u8]) -> u8 {
    let found = delimiters
        .iter()
        .find_map(|&delimiter| window.csv_shape(delimiter).filter(|shape| shape.is_log()));
    let Some(shape) = found else {
        return 0;
    };
    let message_column = shape.headers.iter().any(|header| {
        matches!(
            header.to_ascii_lowercase().as_str(),
            "message" | "msg" | "log" | "text" | "event" | "description"
        )
    });
    match (shape.time_column.is_some(), message_column) {
        (true, _) => 96,
        (false, true) => 80,
        (false, false) => 0,
    }
}

/// A timed table outscores the plain-text log reading of its lines (see `csv_log_score`).
fn csv_metrics_score(window: &Window<'_>, delimiters: &[u8]) -> u8 {
    let found = delimiters.iter().find_map(|&delimiter| {
        window
            .csv_shape(delimiter)
            .filter(|shape| shape.is_metrics())
    });
    match found {
        Some(shape) if shape.time_column.is_some() => 96,
        Some(_) => 88,
        None => 0,
    }
}

fn sniff_plain_text_log(window: &Window<'_>) -> u8 {
    let stats = window.text_stats();
    let timestamps = stats.timestamp_share();
    let levels = stats.level_share();
    if timestamps >= 0.3 || levels >= 0.5 {
        60 + (35.0 * timestamps.max(levels)).round() as u8
    } else {
        0
    }
}

/// Every format, in priority order for equal scores.
pub(crate) static REGISTRY: &[FormatEntry] = &[
    FormatEntry {
        format: Format::DockerJson,
        kind: DataKind::Log,
        extensions: &["log", "json"],
        name_only_score: 0,
        sniff: |window| container::sniff(window, Wrapper::DockerJson),
        build: |window, settings| {
            Box::new(ContainerLogParser::new(
                Wrapper::DockerJson,
                settings,
                window,
            ))
        },
    },
    FormatEntry {
        format: Format::CriLog,
        kind: DataKind::Log,
        extensions: &["log"],
        name_only_score: 0,
        sniff: |window| container::sniff(window, Wrapper::Cri),
        build: |window, settings| Box::new(ContainerLogParser::new(Wrapper::Cri, settings, window)),
    },
    FormatEntry {
        format: Format::JournaldExport,
        kind: DataKind::Log,
        extensions: &["export", "journal"],
        name_only_score: 0,
        sniff: journald::sniff_export,
        build: |_, settings| Box::new(journald::JournalExportParser::new(settings)),
    },
    FormatEntry {
        format: Format::JournaldJson,
        kind: DataKind::Log,
        extensions: &["json", "jsonl"],
        name_only_score: 0,
        sniff: journald::sniff_json,
        build: |_, settings| Box::new(journald::JournalJsonParser::new(settings)),
    },
    FormatEntry {
        format: Format::WindowsEventText,
        kind: DataKind::Log,
        extensions: &["txt", "evt"],
        name_only_score: 0,
        sniff: windows_event::sniff,
        build: |window, settings| {
            Box::new(windows_event::WindowsEventParser::new(settings, window))
        },
    },
    FormatEntry {
        format: Format::InfluxLineProtocol,
        kind: DataKind::Metric,
        extensions: &["lp", "influx", "line"],
        name_only_score: 0,
        sniff: |window| line_metrics::sniff(window, Protocol::Influx),
        build: |_, settings| Box::new(LineMetricsParser::new(settings, Protocol::Influx)),
    },
    FormatEntry {
        format: Format::Statsd,
        kind: DataKind::Metric,
        extensions: &["statsd"],
        name_only_score: 0,
        sniff: |window| line_metrics::sniff(window, Protocol::Statsd),
        build: |_, settings| Box::new(LineMetricsParser::new(settings, Protocol::Statsd)),
    },
    FormatEntry {
        format: Format::PrometheusApiJson,
        kind: DataKind::Metric,
        extensions: &["json"],
        name_only_score: 0,
        sniff: prometheus_api::sniff,
        build: |_, settings| Box::new(prometheus_api::PrometheusApiParser::new(settings)),
    },
    FormatEntry {
        format: Format::OtlpMetricsJson,
        kind: DataKind::Metric,
        extensions: &["json"],
        name_only_score: 0,
        sniff: otlp_metrics::sniff,
        build: |_, settings| Box::new(otlp_metrics::OtlpMetricsParser::new(settings)),
    },
    FormatEntry {
        format: Format::OtlpJson,
        kind: DataKind::Trace,
        extensions: &["json"],
        name_only_score: 0,
        sniff: detect::sniff_otlp_json,
        build: |_, settings| Box::new(TraceDocumentParser::new(TraceDocument::Otlp, settings)),
    },
    FormatEntry {
        format: Format::JaegerJson,
        kind: DataKind::Trace,
        extensions: &["json"],
        name_only_score: 0,
        sniff: detect::sniff_jaeger_json,
        build: |_, settings| Box::new(TraceDocumentParser::new(TraceDocument::Jaeger, settings)),
    },
    FormatEntry {
        format: Format::ZipkinJson,
        kind: DataKind::Trace,
        extensions: &["json"],
        name_only_score: 0,
        sniff: detect::sniff_zipkin_json,
        build: |_, settings| Box::new(TraceDocumentParser::new(TraceDocument::Zipkin, settings)),
    },
    FormatEntry {
        format: Format::JsonLines,
        kind: DataKind::Log,
        extensions: &["jsonl", "ndjson", "json", "log"],
        name_only_score: 0,
        sniff: sniff_json_lines,
        build: |window, settings| Box::new(JsonLinesParser::new(settings, window)),
    },
    FormatEntry {
        format: Format::JsonDocument,
        kind: DataKind::Config,
        extensions: &["json"],
        name_only_score: 20,
        sniff: detect::sniff_json_document,
        build: |_, settings| config_document(ConfigSyntax::Json, settings),
    },
    FormatEntry {
        format: Format::OpenMetricsText,
        kind: DataKind::Metric,
        extensions: &["om", "openmetrics"],
        name_only_score: 0,
        sniff: |window| prometheus_score(window, true),
        build: |_, settings| Box::new(PrometheusParser::new(settings)),
    },
    FormatEntry {
        format: Format::PrometheusText,
        kind: DataKind::Metric,
        extensions: &["prom", "metrics"],
        name_only_score: 0,
        sniff: |window| prometheus_score(window, false),
        build: |_, settings| Box::new(PrometheusParser::new(settings)),
    },
    FormatEntry {
        format: Format::CsvSpans,
        kind: DataKind::Trace,
        extensions: &["csv", "tsv"],
        name_only_score: 0,
        sniff: sniff_csv_spans,
        build: |window, settings| match CsvSpanParser::new(settings, window) {
            Some(parser) => Box::new(parser),
            None => Box::new(PlainTextParser::new(settings)),
        },
    },
    FormatEntry {
        format: Format::CsvMetrics,
        kind: DataKind::Metric,
        extensions: &["csv"],
        name_only_score: 0,
        sniff: |window| csv_metrics_score(window, b",;"),
        build: |window, settings| csv_metrics_with(window, settings, b",;"),
    },
    FormatEntry {
        format: Format::TsvMetrics,
        kind: DataKind::Metric,
        extensions: &["tsv", "tab"],
        name_only_score: 0,
        sniff: |window| csv_metrics_score(window, b"\t"),
        build: |window, settings| csv_metrics_with(window, settings, b"\t"),
    },
    FormatEntry {
        format: Format::CsvLog,
        kind: DataKind::Log,
        extensions: &["csv"],
        name_only_score: 0,
        sniff: |window| csv_log_score(window, b",;"),
        build: |window, settings| csv_log_with(window, settings, b",;"),
    },
    FormatEntry {
        format: Format::TsvLog,
        kind: DataKind::Log,
        extensions: &["tsv", "tab"],
        name_only_score: 0,
        sniff: |window| csv_log_score(window, b"\t"),
        build: |window, settings| csv_log_with(window, settings, b"\t"),
    },
    FormatEntry {
        format: Format::Code,
        kind: DataKind::Code,
        extensions: &[
            "trace",
            "stacktrace",
            "py",
            "java",
            "kt",
            "go",
            "js",
            "mjs",
            "ts",
            "cs",
            "rb",
            "rs",
            "php",
            "c",
            "h",
            "cc",
            "cpp",
            "hpp",
            "sh",
            "bash",
            "sql",
        ],
        name_only_score: 0,
        sniff: crate::code::sniff,
        build: |_, settings| Box::new(crate::code::CodeParser::new(settings)),
    },
    FormatEntry {
        format: Format::Logfmt,
        kind: DataKind::Log,
        extensions: &["log", "logfmt"],
        name_only_score: 0,
        sniff: sniff_logfmt,
        build: |window, settings| Box::new(LogfmtParser::new(settings, window)),
    },
    FormatEntry {
        format: Format::PlainTextLog,
        kind: DataKind::Log,
        extensions: &["log", "out", "err"],
        name_only_score: 0,
        sniff: sniff_plain_text_log,
        build: text_log,
    },
    FormatEntry {
        format: Format::KubernetesYaml,
        kind: DataKind::Config,
        extensions: &["yaml", "yml"],
        name_only_score: 0,
        sniff: detect::sniff_kubernetes_yaml,
        build: |_, settings| config_document(ConfigSyntax::Yaml, settings),
    },
    FormatEntry {
        format: Format::Yaml,
        kind: DataKind::Config,
        extensions: &["yaml", "yml"],
        name_only_score: 20,
        sniff: detect::sniff_yaml,
        build: |_, settings| config_document(ConfigSyntax::Yaml, settings),
    },
    FormatEntry {
        format: Format::Toml,
        kind: DataKind::Config,
        extensions: &["toml"],
        name_only_score: 20,
        sniff: detect::sniff_toml,
        build: |_, settings| config_document(ConfigSyntax::Toml, settings),
    },
    FormatEntry {
        format: Format::Ini,
        kind: DataKind::Config,
        extensions: &["ini", "cfg", "conf", "properties"],
        name_only_score: 20,
        sniff: detect::sniff_ini,
        build: |_, settings| config_document(ConfigSyntax::Ini, settings),
    },
    FormatEntry {
        format: Format::DotEnv,
        kind: DataKind::Config,
        extensions: &["env"],
        name_only_score: 20,
        sniff: detect::sniff_dotenv,
        build: |_, settings| config_document(ConfigSyntax::DotEnv, settings),
    },
    FormatEntry {
        format: Format::Dockerfile,
        kind: DataKind::Config,
        extensions: &["dockerfile"],
        name_only_score: 30,
        sniff: crate::config_files::sniff_dockerfile,
        build: |_, settings| config_document(ConfigSyntax::Dockerfile, settings),
    },
    FormatEntry {
        format: Format::NginxConf,
        kind: DataKind::Config,
        extensions: &["nginx"],
        name_only_score: 30,
        sniff: crate::config_files::sniff_nginx,
        build: |_, settings| config_document(ConfigSyntax::Nginx, settings),
    },
    FormatEntry {
        format: Format::PlainText,
        kind: DataKind::Unknown,
        extensions: &[],
        name_only_score: 0,
        sniff: |_| 5,
        build: |_, settings| Box::new(PlainTextParser::new(settings)),
    },
];

/// The registry entry of `format`; `None` for the formats that have no parser (gzip, empty).
pub(crate) fn entry(format: Format) -> Option<&'static FormatEntry> {
    REGISTRY.iter().find(|entry| entry.format == format)
}

/// Bonus for a format the file name hints at, so the name breaks near-ties.
const NAME_HINT_BONUS: u8 = 10;

/// Picks the best-scoring format for the window; plain text when nothing fits.
pub(crate) fn choose(window: &Window<'_>) -> &'static FormatEntry {
    let mut best: Option<(&'static FormatEntry, u8)> = None;
    for entry in REGISTRY {
        let mut score = (entry.sniff)(window);
        if window.hinted(entry.extensions) {
            score = if score > 0 {
                score.saturating_add(NAME_HINT_BONUS)
            } else {
                entry.name_only_score
            };
        }
        if score > best.map_or(0, |(_, best_score)| best_score) {
            best = Some((entry, score));
        }
    }
    match best {
        Some((entry, _)) => entry,
        // The plain-text entry always scores, so this is only reached if it is removed.
        None => &REGISTRY[REGISTRY.len() - 1],
    }
}

/// Size of the content looked at by [`sniff`] when the head is compressed.
const SNIFF_DECOMPRESSED_LIMIT: usize = 64 * 1024;

/// Detects the format of an upload from its first bytes (`name_hint` only breaks ties).
/// Compressed heads are decompressed (up to 64 KiB) and their content sniffed; archives are
/// reported as such (their members are sniffed one by one when the upload is parsed).
pub fn sniff(name_hint: &str, head: &[u8]) -> Sniffed {
    sniff_layers(name_hint, head, SNIFF_MAX_LAYERS)
}

/// Compression layers [`sniff`] looks through (a `.tar.gz` is one, a `.gz.gz` two).
const SNIFF_MAX_LAYERS: usize = 2;

fn sniff_layers(name_hint: &str, head: &[u8], layers_left: usize) -> Sniffed {
    let of = |format: Format| Sniffed {
        kind: format.kind(),
        format,
    };
    if head.is_empty() {
        return of(Format::Empty);
    }
    if let Some(compression) = Compression::detect(head) {
        let decompressed = decompress_head(compression, head);
        if decompressed.is_empty() || layers_left == 0 {
            return of(match compression {
                Compression::Gzip => Format::Gzip,
                Compression::Zstd => Format::Zstd,
            });
        }
        return sniff_layers(name_hint, &decompressed, layers_left - 1);
    }
    if crate::archive::is_zip(head) {
        return of(Format::Zip);
    }
    if crate::archive::is_tar(head) {
        return of(Format::Tar);
    }
    sniff_content(name_hint, head, false)
}

/// Whatever a compressed head decompresses to before it is cut (at most 64 KiB).
fn decompress_head(compression: Compression, head: &[u8]) -> Vec<u8> {
    let mut decompressed = Vec::new();
    let limit = RatioLimit {
        max_ratio: u64::MAX,
        grace_bytes: u64::MAX,
    };
    let Ok(mut decoder) = StreamDecoder::new(compression, limit) else {
        return decompressed;
    };
    // A head is usually a cut stream: whatever decompressed before the cut (or the damage)
    // is enough. The "error" stops decompressing once the window is full.
    let mut keep = |output: &[u8]| {
        let room = SNIFF_DECOMPRESSED_LIMIT - decompressed.len();
        decompressed.extend_from_slice(&output[..output.len().min(room)]);
        if decompressed.len() >= SNIFF_DECOMPRESSED_LIMIT {
            Err(IngestError::DecompressedTooLarge {
                limit: SNIFF_DECOMPRESSED_LIMIT as u64,
            })
        } else {
            Ok(())
        }
    };
    if decoder.write(head, &mut keep).is_ok() {
        // Ending the stream releases what the decoder still holds; a cut head fails here,
        // after its output went on.
        let _ = decoder.finish(&mut keep);
    }
    decompressed
}

fn sniff_content(name_hint: &str, content: &[u8], complete: bool) -> Sniffed {
    use chrono::Datelike;
    let window = Window::new(name_hint, content, complete, chrono::Utc::now().year());
    let entry = choose(&window);
    Sniffed {
        kind: entry.kind,
        format: entry.format,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_a_unique_name() {
        let mut names: Vec<&str> = Format::registered().map(Format::as_str).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    #[test]
    fn name_hints_strip_compression() {
        assert_eq!(name_hints("logs/app.JSONL.gz"), ["jsonl"]);
        assert_eq!(name_hints(".env.production"), ["production", "env"]);
        assert_eq!(name_hints("README"), Vec::<String>::new());
    }
}
