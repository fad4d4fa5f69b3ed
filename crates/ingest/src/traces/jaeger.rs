//! Jaeger JSON traces as the Jaeger UI and API export them: `{"data": [trace, ...]}` where a
//! trace holds `spans` and a `processes` map (`processID` → service name and tags); a single
//! trace object without the `data` wrapper is read too.

use super::stream::{DocumentReader, Frame};
use super::{attribute_says_error, normalize_id, span_kind_from_text, LenientNumber, ScalarText};
use crate::output::Output;
use faultmaven_model::{AttachmentId, SpanKind, SpanRecord, Timestamp};
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
}

impl JaegerReader {
    pub fn new(attachment: AttachmentId) -> Self {
        Self {
            attachment,
            index: 0,
            bare_spans: Vec::new(),
            bare_processes: Vec::new(),
        }
    }
}

impl DocumentReader for JaegerReader {
    fn enter(&mut self, parent: Option<Frame>, key: &[u8], opener: u8) -> Option<Frame> {
        match (parent, key, opener) {
            (None, _, b'{') => Some(ROOT),
            (Some(ROOT), b"data", b'[') => Some(DATA),
            _ => None,
        }
    }

    fn captures(&self, parent: Frame, key: &[u8]) -> bool {
        parent == DATA || (parent == ROOT && matches!(key, b"spans" | b"processes"))
    }

    fn value(&mut self, parent: Frame, key: &[u8], bytes: &[u8], out: &mut Output<'_>) {
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
        if frame != ROOT || self.bare_spans.is_empty() {
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

fn emit_trace(trace: &Trace, index: &mut u64, attachment: AttachmentId, out: &mut Output<'_>) {
    for span in &trace.spans {
        *index += 1;
        let index = *index;
        let (Some(trace_id), Some(span_id)) =
            (normalize_id(&span.trace_id), normalize_id(&span.span_id))
        else {
            out.issue(
                Some(index),
                format_args!("span {index} has no traceID or spanID; skipped"),
            );
            continue;
        };
        // Jaeger times are microseconds since the epoch.
        let Some(start_micros) = span.start_time.as_u64() else {
            out.issue(
                Some(index),
                format_args!("span {index} has no startTime; skipped"),
            );
            continue;
        };
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
            .and_then(|r| normalize_id(&r.span_id));
        let mut kind = SpanKind::Unspecified;
        let mut is_error = false;
        let mut attributes: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
        for tag in process.map(|p| p.tags.as_slice()).unwrap_or_default() {
            attributes.push((Cow::Borrowed(&tag.key), Cow::Borrowed(&tag.value.0)));
        }
        for tag in &span.tags {
            if tag.key == "span.kind" {
                kind = span_kind_from_text(&tag.value.0);
                continue;
            }
            is_error |= attribute_says_error(&tag.key, &tag.value.0);
            attributes.push((Cow::Borrowed(&tag.key), Cow::Borrowed(&tag.value.0)));
        }
        let duration_micros = span.duration.as_u64().unwrap_or(0);
        out.span(SpanRecord {
            attachment,
            line: index,
            trace_id: Cow::Owned(trace_id),
            span_id: Cow::Owned(span_id),
            parent_span_id: parent.map(Cow::Owned),
            service: Cow::Borrowed(service),
            operation: Cow::Borrowed(&span.operation_name),
            kind,
            start: Timestamp::from_unix_nanos(
                i64::try_from(start_micros.saturating_mul(1_000)).unwrap_or(i64::MAX),
            ),
            duration_ns: duration_micros.saturating_mul(1_000),
            is_error,
            attributes,
        });
    }
}
