//! Jaeger JSON traces as the Jaeger UI and API export them: `{"data": [trace, ...]}` where a
//! trace holds `spans` and a `processes` map (`processID` → service name and tags); a single
//! trace object without the `data` wrapper is read too.

use super::draft::{micros_to_nanos, RequiredFields, SpanDraft};
use super::stream::{DocumentReader, Expected, Frame, Shape};
use super::{span_kind_from_text, LenientNumber, ScalarText};
use crate::output::Output;
use faultmaven_model::{AttachmentId, SpanKind};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Trace {
    spans: Vec<Span>,
    processes: HashMap<String, Process>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Process {
    service_name: String,
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Span {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
    #[serde(rename = "operationName")]
    operation_name: String,
    references: Vec<Reference>,
    #[serde(rename = "startTime")]
    start_time: LenientNumber,
    duration: LenientNumber,
    tags: Vec<Tag>,
    #[serde(rename = "processID")]
    process_id: String,
    /// Some exports inline the process instead of referencing it.
    process: Option<Process>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Reference {
    #[serde(rename = "refType")]
    ref_type: String,
    #[serde(rename = "spanID")]
    span_id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Tag {
    key: String,
    value: ScalarText,
}

/// An entry of the `errors` list the Jaeger query API answers with (beside `"data": null`)
/// when a search fails.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ApiError {
    code: ScalarText,
    msg: ScalarText,
}

/// Frames of a Jaeger document the reader follows.
const ROOT: Frame = 0;
const DATA: Frame = 1;

/// Reads `{"data": [trace, ...]}` one trace at a time (a trace's spans name their process
/// through a map that may come after them, so a trace is the unit); a bare trace object's
/// `spans` and `processes` are read at its end.
pub(super) struct JaegerReader {
    attachment: AttachmentId,
    index: u64,
    bare_spans: Vec<u8>,
    bare_processes: Vec<u8>,
    /// Whether the current top-level object has a `data` or a `spans` key.
    has_traces: bool,
}

impl JaegerReader {
    pub fn new(attachment: AttachmentId) -> Self {
        Self {
            attachment,
            index: 0,
            bare_spans: Vec::new(),
            bare_processes: Vec::new(),
            has_traces: false,
        }
    }
}

impl DocumentReader for JaegerReader {
    fn expect(&mut self, parent: Frame, key: &[u8]) -> Option<Expected> {
        match (parent, key) {
            (ROOT, b"data") => {
                self.has_traces = true;
                Some(Expected {
                    shape: Shape::Array,
                    place: "`data`",
                })
            }
            // A bare trace's spans are captured; their deserializer checks the shape.
            (ROOT, b"spans") => {
                self.has_traces = true;
                None
            }
            _ => None,
        }
    }

    fn enter(&mut self, parent: Option<Frame>, key: &[u8], opener: u8) -> Option<Frame> {
        match (parent, key, opener) {
            (None, _, b'{') => {
                self.has_traces = false;
                Some(ROOT)
            }
            (Some(ROOT), b"data", b'[') => Some(DATA),
            _ => None,
        }
    }

    fn captures(&self, parent: Frame, key: &[u8]) -> bool {
        parent == DATA || (parent == ROOT && matches!(key, b"spans" | b"processes" | b"errors"))
    }

    fn value(&mut self, parent: Frame, key: &[u8], bytes: &[u8], out: &mut Output<'_>) {
        if parent == ROOT && key == b"errors" {
            report_api_errors(bytes, out);
            return;
        }
        if parent == ROOT {
            let slot = if key == b"spans" {
                &mut self.bare_spans
            } else {
                &mut self.bare_processes
            };
            slot.clear();
            slot.extend_from_slice(bytes);
            return;
        }
        match serde_json::from_slice::<Trace>(bytes) {
            Ok(trace) => emit_trace(&trace, &mut self.index, self.attachment, out),
            Err(error) => out.issue(
                None,
                format_args!("a trace is not a valid Jaeger trace ({error}); skipped"),
            ),
        }
    }

    fn leave(&mut self, frame: Frame, out: &mut Output<'_>) {
        if frame != ROOT {
            return;
        }
        if !self.has_traces {
            out.issue(
                None,
                format_args!("a Jaeger JSON object with neither `data` nor `spans` holds no spans"),
            );
        }
        if self.bare_spans.is_empty() {
            return;
        }
        let spans = serde_json::from_slice::<Vec<Span>>(&std::mem::take(&mut self.bare_spans));
        let processes = std::mem::take(&mut self.bare_processes);
        let processes = if processes.is_empty() {
            Ok(HashMap::new())
        } else {
            serde_json::from_slice::<HashMap<String, Process>>(&processes)
        };
        match (spans, processes) {
            (Ok(spans), Ok(processes)) => {
                let trace = Trace { spans, processes };
                emit_trace(&trace, &mut self.index, self.attachment, out);
            }
            (Err(error), _) | (_, Err(error)) => out.issue(
                None,
                format_args!("not a valid Jaeger trace ({error}); skipped"),
            ),
        }
    }

    fn skipped(&mut self, _parent: Frame, _key: &[u8], limit: usize, out: &mut Output<'_>) {
        out.issue(
            None,
            format_args!(
                "a Jaeger trace larger than {limit} bytes was not read (raise ingest.max_document_bytes)"
            ),
        );
    }
}

/// The query API's `errors` (`[{"code": 400, "msg": "..."}]`, or `null`), each an issue: they
/// say why `data` is empty.
fn report_api_errors(bytes: &[u8], out: &mut Output<'_>) {
    match serde_json::from_slice::<Option<Vec<ApiError>>>(bytes) {
        Ok(errors) => {
            for error in errors.unwrap_or_default() {
                out.issue(
                    None,
                    format_args!(
                        "the Jaeger export reports an error (code {}): {}",
                        error.code.0, error.msg.0
                    ),
                );
            }
        }
        Err(error) => out.issue(
            None,
            format_args!("the Jaeger export's `errors` is not a list of errors ({error})"),
        ),
    }
}

const REQUIRED: RequiredFields = RequiredFields {
    ids: "traceID or spanID",
    start: "startTime",
};

fn emit_trace(trace: &Trace, index: &mut u64, attachment: AttachmentId, out: &mut Output<'_>) {
    for span in &trace.spans {
        *index += 1;
        let process = span
            .process
            .as_ref()
            .or_else(|| trace.processes.get(&span.process_id));
        let service = process
            .map(|p| p.service_name.as_str())
            .filter(|name| !name.is_empty())
            .unwrap_or("unknown_service");
        let parent = span
            .references
            .iter()
            .find(|r| r.ref_type.eq_ignore_ascii_case("CHILD_OF"))
            .or_else(|| span.references.first())
            .map_or("", |r| r.span_id.as_str());
        let mut draft = SpanDraft {
            trace_id: &span.trace_id,
            span_id: &span.span_id,
            parent_span_id: parent,
            service,
            operation: Cow::Borrowed(&span.operation_name),
            kind: SpanKind::Unspecified,
            // Jaeger times are microseconds since the epoch.
            start_ns: span.start_time.as_u64().map(micros_to_nanos),
            duration_ns: micros_to_nanos(span.duration.as_u64().unwrap_or(0)),
            is_error: false,
            attributes: Vec::new(),
        };
        for tag in process.map(|p| p.tags.as_slice()).unwrap_or_default() {
            draft
                .attributes
                .push((Cow::Borrowed(&tag.key), Cow::Borrowed(&tag.value.0)));
        }
        for tag in &span.tags {
            if tag.key == "span.kind" {
                draft.kind = span_kind_from_text(&tag.value.0);
            } else {
                draft.attribute(Cow::Borrowed(&tag.key), Cow::Borrowed(&tag.value.0));
            }
        }
        draft.emit(*index, &REQUIRED, attachment, out);
    }
}
