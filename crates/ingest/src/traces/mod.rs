//! Trace parsers: OTLP/JSON, Jaeger JSON and Zipkin v2 JSON documents (streamed: each span or
//! trace deserialized into typed structs as soon as it is complete, capped) and CSV span
//! tables (streamed by row).
//! Every format normalizes to [`SpanRecord`](faultmaven_model::SpanRecord).

mod csv_spans;
mod draft;
mod jaeger;
mod otlp;
mod stream;
mod zipkin;

pub(crate) use csv_spans::{sniff_csv_spans, CsvSpanParser};

use crate::format::{FormatParser, ParserSettings};
use crate::output::Output;
use faultmaven_model::SpanKind;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use stream::{DocumentReader, JsonScanner};

/// Which JSON trace document a [`TraceDocumentParser`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TraceDocument {
    Otlp,
    Jaeger,
    Zipkin,
}

impl TraceDocument {
    fn name(self) -> &'static str {
        match self {
            Self::Otlp => "OTLP JSON",
            Self::Jaeger => "Jaeger JSON",
            Self::Zipkin => "Zipkin JSON",
        }
    }
}

/// Streams a JSON trace document: a `JsonScanner` walks it as it arrives and hands each span
/// (OTLP, Zipkin) or trace (Jaeger) to the document's reader, so memory is bounded by the
/// largest of those (capped at `max_document_bytes`), not by the document.
pub(crate) struct TraceDocumentParser {
    document: TraceDocument,
    scanner: JsonScanner,
    reader: Box<dyn DocumentReader + Send>,
}

impl TraceDocumentParser {
    pub fn new(document: TraceDocument, settings: &ParserSettings) -> Self {
        let limit = settings.max_document_bytes;
        let reader: Box<dyn DocumentReader + Send> = match document {
            TraceDocument::Otlp => Box::new(otlp::OtlpReader::new(settings.attachment, limit)),
            TraceDocument::Jaeger => Box::new(jaeger::JaegerReader::new(settings.attachment)),
            TraceDocument::Zipkin => Box::new(zipkin::ZipkinReader::new(settings.attachment)),
        };
        Self {
            document,
            scanner: JsonScanner::new(limit),
            reader,
        }
    }
}

impl FormatParser for TraceDocumentParser {
    fn line(&mut self, _number: u64, _line: &str, _out: &mut Output<'_>) {}

    fn takes_bytes(&self) -> bool {
        true
    }

    fn bytes(&mut self, data: &[u8], out: &mut Output<'_>) {
        self.scanner
            .feed(data, self.document.name(), self.reader.as_mut(), out);
    }

    fn finish(&mut self, out: &mut Output<'_>) {
        self.scanner.finish(self.document.name(), out);
    }
}

/// A JSON number or a string holding one (OTLP writes 64-bit integers as strings).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct LenientNumber(pub Option<f64>, pub Option<u64>);

impl LenientNumber {
    /// The value as an unsigned integer, when it is one (or a whole float).
    pub fn as_u64(self) -> Option<u64> {
        self.1.or_else(|| {
            self.0
                .filter(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0)
                .map(|v| v as u64)
        })
    }
}

impl<'de> serde::Deserialize<'de> for LenientNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = LenientNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string holding one")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientNumber, E> {
                Ok(LenientNumber(Some(v as f64), Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientNumber, E> {
                Ok(LenientNumber(Some(v as f64), u64::try_from(v).ok()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientNumber, E> {
                Ok(LenientNumber(Some(v), None))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientNumber, E> {
                let v = v.trim();
                Ok(LenientNumber(v.parse().ok(), v.parse().ok()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<LenientNumber, E> {
                Ok(LenientNumber::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientNumber, E> {
                Ok(LenientNumber::default())
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

/// Any scalar JSON value as text (`true`, `500`, `"GET"`); arrays and objects as compact JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ScalarText(pub String);

impl<'de> serde::Deserialize<'de> for ScalarText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(ScalarText(match value {
            serde_json::Value::String(text) => text,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }))
    }
}

/// Span kind from the names and numbers the formats use (`SPAN_KIND_SERVER`, `2`, `server`).
pub(crate) fn span_kind_from_text(text: &str) -> SpanKind {
    let lower = text.trim().to_ascii_lowercase();
    let lower = lower.strip_prefix("span_kind_").unwrap_or(&lower);
    match lower {
        "1" | "internal" => SpanKind::Internal,
        "2" | "server" => SpanKind::Server,
        "3" | "client" => SpanKind::Client,
        "4" | "producer" => SpanKind::Producer,
        "5" | "consumer" => SpanKind::Consumer,
        _ => SpanKind::Unspecified,
    }
}

/// Attribute keys whose values are HTTP or gRPC status codes.
const STATUS_KEYS: &[&str] = &[
    "http.status_code",
    "http.response.status_code",
    "status_code",
    "http.status",
];

/// True when an attribute reports failure: an HTTP status of 500 or more, `error=true`, or
/// an `error` tag with a message (Zipkin puts the message there).
pub(crate) fn attribute_says_error(key: &str, value: &str) -> bool {
    let key = key.to_ascii_lowercase();
    if STATUS_KEYS.contains(&key.as_str()) {
        return value.trim().parse::<u32>().is_ok_and(|code| code >= 500);
    }
    if key == "error" {
        let value = value.trim();
        return !(value.is_empty() || value.eq_ignore_ascii_case("false") || value == "0");
    }
    if key == "otel.status_code" {
        return value.trim().eq_ignore_ascii_case("error");
    }
    false
}

/// Ids as lowercase text without surrounding blanks; `None` for empty or all-zero ids (OTLP
/// writes a zero parent for roots).
pub(crate) fn normalize_id(id: &str) -> Option<String> {
    let id = id.trim();
    let missing = ["none", "null", "nan", "-"]
        .iter()
        .any(|m| id.eq_ignore_ascii_case(m));
    if id.is_empty() || missing || id.bytes().all(|b| b == b'0') {
        return None;
    }
    Some(id.to_ascii_lowercase())
}

#[cfg(test)]
mod tests;
