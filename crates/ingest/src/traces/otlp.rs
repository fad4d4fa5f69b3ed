//! OTLP/JSON traces: `resourceSpans` → `scopeSpans` (or the older `instrumentationLibrarySpans`)
//! → `spans`, with `service.name` and the other resource attributes copied onto every span.
//! Streamed: one span is held at a time (see `stream`).

use super::draft::{RequiredFields, SpanDraft};
use super::stream::{DocumentReader, Expected, Frame, Shape};
use super::{span_kind_from_text, LenientNumber, ScalarText};
use crate::output::Output;
use faultmaven_model::AttachmentId;
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Resource {
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Span {
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    name: String,
    kind: ScalarText,
    start_time_unix_nano: LenientNumber,
    end_time_unix_nano: LenientNumber,
    attributes: Vec<KeyValue>,
    status: Status,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Status {
    code: ScalarText,
    message: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KeyValue {
    key: String,
    value: AnyValue,
}

/// OTLP's `AnyValue`: exactly one of the typed fields is set.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct AnyValue {
    string_value: Option<String>,
    int_value: Option<ScalarText>,
    double_value: Option<ScalarText>,
    bool_value: Option<bool>,
    array_value: Option<serde_json::Value>,
    kvlist_value: Option<serde_json::Value>,
    bytes_value: Option<String>,
}

impl AnyValue {
    fn into_text(self) -> String {
        if let Some(text) = self.string_value {
            return text;
        }
        if let Some(number) = self.int_value.or(self.double_value) {
            return number.0;
        }
        if let Some(flag) = self.bool_value {
            return flag.to_string();
        }
        if let Some(value) = self.array_value.or(self.kvlist_value) {
            return value.to_string();
        }
        self.bytes_value.unwrap_or_default()
    }
}

/// Status codes: 2 / `STATUS_CODE_ERROR` is an error.
fn status_is_error(code: &str) -> bool {
    let code = code.trim();
    code == "2"
        || code.eq_ignore_ascii_case("STATUS_CODE_ERROR")
        || code.eq_ignore_ascii_case("error")
}

/// Frames of an OTLP document the reader follows.
const ROOT: Frame = 0;
const RESOURCE_SPANS_LIST: Frame = 1;
const RESOURCE_SPANS: Frame = 2;
const SCOPE_SPANS_LIST: Frame = 3;
const SCOPE_SPANS: Frame = 4;
const SPANS: Frame = 5;

/// Reads `resourceSpans[].scopeSpans[].spans[]` one span at a time. A resource comes before
/// its spans in every exporter's output (protobuf field order); spans that come first wait,
/// within the cap, for the end of their `resourceSpans` entry.
pub(super) struct OtlpReader {
    attachment: AttachmentId,
    index: u64,
    /// The current entry's resource attributes, once read.
    resource: Option<Vec<(String, String)>>,
    service: String,
    waiting: Vec<Vec<u8>>,
    waiting_bytes: usize,
    limit: usize,
    /// Whether the current top-level object has a `resourceSpans` key.
    has_resource_spans: bool,
}

impl OtlpReader {
    pub fn new(attachment: AttachmentId, limit: usize) -> Self {
        Self {
            attachment,
            index: 0,
            resource: None,
            service: String::new(),
            waiting: Vec::new(),
            waiting_bytes: 0,
            limit,
            has_resource_spans: false,
        }
    }

    fn set_resource(&mut self, resource: Resource) {
        let attributes: Vec<(String, String)> = resource
            .attributes
            .into_iter()
            .map(|kv| (kv.key, kv.value.into_text()))
            .collect();
        self.service = attributes
            .iter()
            .find(|(key, _)| key == "service.name")
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| "unknown_service".to_owned());
        self.resource = Some(attributes);
    }

    fn release_waiting(&mut self, out: &mut Output<'_>) {
        if self.resource.is_none() {
            self.set_resource(Resource::default());
        }
        for bytes in std::mem::take(&mut self.waiting) {
            self.span(&bytes, out);
        }
        self.waiting_bytes = 0;
    }

    fn span(&mut self, bytes: &[u8], out: &mut Output<'_>) {
        self.index += 1;
        let index = self.index;
        match serde_json::from_slice::<Span>(bytes) {
            Ok(span) => emit_span(
                span,
                self.resource.as_deref().unwrap_or_default(),
                &self.service,
                index,
                self.attachment,
                out,
            ),
            Err(error) => out.issue(
                Some(index),
                format_args!("span {index} is not a valid OTLP span ({error}); skipped"),
            ),
        }
    }
}

impl DocumentReader for OtlpReader {
    fn expect(&mut self, parent: Frame, key: &[u8]) -> Option<Expected> {
        let (shape, place) = match (parent, key) {
            (ROOT, b"resourceSpans") => {
                self.has_resource_spans = true;
                (Shape::Array, "`resourceSpans`")
            }
            (RESOURCE_SPANS_LIST, _) => (Shape::Object, "an entry of `resourceSpans`"),
            (RESOURCE_SPANS, b"scopeSpans") => (Shape::Array, "`scopeSpans`"),
            (RESOURCE_SPANS, b"instrumentationLibrarySpans") => {
                (Shape::Array, "`instrumentationLibrarySpans`")
            }
            (SCOPE_SPANS_LIST, _) => (Shape::Object, "an entry of `scopeSpans`"),
            (SCOPE_SPANS, b"spans") => (Shape::Array, "`spans`"),
            _ => return None,
        };
        Some(Expected { shape, place })
    }

    fn enter(&mut self, parent: Option<Frame>, key: &[u8], opener: u8) -> Option<Frame> {
        match (parent, key, opener) {
            (None, _, b'{') => {
                self.has_resource_spans = false;
                Some(ROOT)
            }
            (Some(ROOT), b"resourceSpans", b'[') => Some(RESOURCE_SPANS_LIST),
            (Some(RESOURCE_SPANS_LIST), _, b'{') => {
                self.resource = None;
                Some(RESOURCE_SPANS)
            }
            (Some(RESOURCE_SPANS), b"scopeSpans" | b"instrumentationLibrarySpans", b'[') => {
                Some(SCOPE_SPANS_LIST)
            }
            (Some(SCOPE_SPANS_LIST), _, b'{') => Some(SCOPE_SPANS),
            (Some(SCOPE_SPANS), b"spans", b'[') => Some(SPANS),
            _ => None,
        }
    }

    fn captures(&self, parent: Frame, key: &[u8]) -> bool {
        parent == SPANS || (parent == RESOURCE_SPANS && key == b"resource")
    }

    fn value(&mut self, parent: Frame, _key: &[u8], bytes: &[u8], out: &mut Output<'_>) {
        if parent == RESOURCE_SPANS {
            match serde_json::from_slice::<Resource>(bytes) {
                Ok(resource) => self.set_resource(resource),
                Err(error) => {
                    out.issue(None, format_args!("not a valid OTLP resource ({error})"));
                    self.set_resource(Resource::default());
                }
            }
            self.release_waiting(out);
        } else if self.resource.is_some() {
            self.span(bytes, out);
        } else if self.waiting_bytes + bytes.len() <= self.limit {
            self.waiting_bytes += bytes.len();
            self.waiting.push(bytes.to_vec());
        } else {
            // Too many spans before their resource: they go out without it.
            self.release_waiting(out);
            self.span(bytes, out);
        }
    }

    fn leave(&mut self, frame: Frame, out: &mut Output<'_>) {
        if frame == RESOURCE_SPANS {
            self.release_waiting(out);
            self.resource = None;
        } else if frame == ROOT && !self.has_resource_spans {
            out.issue(
                None,
                format_args!("an OTLP JSON object without `resourceSpans` holds no spans"),
            );
        }
    }

    fn skipped(&mut self, parent: Frame, _key: &[u8], limit: usize, out: &mut Output<'_>) {
        if parent == SPANS {
            self.index += 1;
            let index = self.index;
            out.issue(
                Some(index),
                format_args!(
                    "span {index} is larger than {limit} bytes; skipped (raise ingest.max_document_bytes)"
                ),
            );
        } else {
            out.issue(
                None,
                format_args!(
                    "OTLP resource larger than {limit} bytes was not read (raise ingest.max_document_bytes)"
                ),
            );
        }
    }
}

const REQUIRED: RequiredFields = RequiredFields {
    ids: "trace id or span id",
    start: "startTimeUnixNano",
};

fn emit_span(
    span: Span,
    resource: &[(String, String)],
    service: &str,
    index: u64,
    attachment: AttachmentId,
    out: &mut Output<'_>,
) {
    let Span {
        trace_id,
        span_id,
        parent_span_id,
        name,
        kind,
        start_time_unix_nano,
        end_time_unix_nano,
        attributes,
        status,
    } = span;
    let start_ns = start_time_unix_nano.as_u64();
    let end_ns = end_time_unix_nano.as_u64();
    let mut draft = SpanDraft {
        trace_id: &trace_id,
        span_id: &span_id,
        parent_span_id: &parent_span_id,
        service,
        operation: Cow::Owned(name),
        kind: span_kind_from_text(&kind.0),
        start_ns,
        duration_ns: match (start_ns, end_ns) {
            (Some(start), Some(end)) => end.saturating_sub(start),
            _ => 0,
        },
        is_error: status_is_error(&status.code.0),
        attributes: Vec::with_capacity(resource.len() + attributes.len() + 1),
    };
    for (key, value) in resource {
        if key != "service.name" {
            draft
                .attributes
                .push((Cow::Borrowed(key.as_str()), Cow::Borrowed(value.as_str())));
        }
    }
    for kv in attributes {
        let value = kv.value.into_text();
        draft.attribute(Cow::Owned(kv.key), Cow::Owned(value));
    }
    if !status.message.is_empty() {
        draft
            .attributes
            .push((Cow::Borrowed("status.message"), Cow::Owned(status.message)));
    }
    draft.emit(index, &REQUIRED, attachment, out);
}
