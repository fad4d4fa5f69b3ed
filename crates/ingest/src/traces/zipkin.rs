//! Zipkin v2 JSON: an array of spans with `localEndpoint` (the emitting service),
//! `remoteEndpoint` (the peer, kept as `peer.service`), `kind`, and string `tags` where an
//! `error` tag marks failure. The trace search of the API (`/api/v2/traces`) answers with an
//! array of traces, each an array of spans: read too.

use super::draft::{micros_to_nanos, RequiredFields, SpanDraft};
use super::stream::{DocumentReader, Expected, Frame};
use super::{span_kind_from_text, LenientNumber, ScalarText};
use crate::output::Output;
use faultmaven_model::AttachmentId;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Span {
    trace_id: String,
    id: String,
    parent_id: String,
    kind: String,
    name: String,
    timestamp: LenientNumber,
    duration: LenientNumber,
    local_endpoint: Endpoint,
    remote_endpoint: Endpoint,
    tags: BTreeMap<String, ScalarText>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Endpoint {
    service_name: String,
    ipv4: String,
    ipv6: String,
    port: Option<u32>,
}

/// The top-level array of a Zipkin document.
const SPANS: Frame = 0;
/// One trace of a trace list: an array of spans inside the top-level array.
const TRACE: Frame = 1;

/// Reads the array of spans one span at a time.
pub(super) struct ZipkinReader {
    attachment: AttachmentId,
    index: u64,
}

impl ZipkinReader {
    pub fn new(attachment: AttachmentId) -> Self {
        Self {
            attachment,
            index: 0,
        }
    }
}

impl DocumentReader for ZipkinReader {
    fn expect(&mut self, _parent: Frame, _key: &[u8]) -> Option<Expected> {
        // Every value the reader follows is a span (its deserializer reports another shape)
        // or, at the top, a span or a trace.
        None
    }

    fn enter(&mut self, parent: Option<Frame>, _key: &[u8], opener: u8) -> Option<Frame> {
        match (parent, opener) {
            (None, b'[') => Some(SPANS),
            (Some(SPANS), b'[') => Some(TRACE),
            _ => None,
        }
    }

    fn captures(&self, parent: Frame, _key: &[u8]) -> bool {
        parent == SPANS || parent == TRACE
    }

    fn value(&mut self, _parent: Frame, _key: &[u8], bytes: &[u8], out: &mut Output<'_>) {
        self.index += 1;
        let index = self.index;
        match serde_json::from_slice::<Span>(bytes) {
            Ok(span) => emit_span(&span, index, self.attachment, out),
            Err(error) => out.issue(
                Some(index),
                format_args!("span {index} is not a valid Zipkin span ({error}); skipped"),
            ),
        }
    }

    fn leave(&mut self, _frame: Frame, _out: &mut Output<'_>) {}

    fn skipped(&mut self, _parent: Frame, _key: &[u8], limit: usize, out: &mut Output<'_>) {
        self.index += 1;
        let index = self.index;
        out.issue(
            Some(index),
            format_args!(
                "span {index} is larger than {limit} bytes; skipped (raise ingest.max_document_bytes)"
            ),
        );
    }
}

const REQUIRED: RequiredFields = RequiredFields {
    ids: "traceId or id",
    start: "timestamp",
};

fn emit_span(span: &Span, index: u64, attachment: AttachmentId, out: &mut Output<'_>) {
    let service = if span.local_endpoint.service_name.is_empty() {
        "unknown_service"
    } else {
        &span.local_endpoint.service_name
    };
    let mut draft = SpanDraft {
        trace_id: &span.trace_id,
        span_id: &span.id,
        parent_span_id: &span.parent_id,
        service,
        operation: Cow::Borrowed(&span.name),
        kind: span_kind_from_text(&span.kind),
        // Zipkin times are microseconds since the epoch.
        start_ns: span.timestamp.as_u64().map(micros_to_nanos),
        duration_ns: micros_to_nanos(span.duration.as_u64().unwrap_or(0)),
        is_error: false,
        attributes: Vec::new(),
    };
    let local_ip = if span.local_endpoint.ipv4.is_empty() {
        &span.local_endpoint.ipv6
    } else {
        &span.local_endpoint.ipv4
    };
    if !local_ip.is_empty() {
        draft
            .attributes
            .push((Cow::Borrowed("host.ip"), Cow::Borrowed(local_ip)));
    }
    if !span.remote_endpoint.service_name.is_empty() {
        draft.attributes.push((
            Cow::Borrowed("peer.service"),
            Cow::Borrowed(&span.remote_endpoint.service_name),
        ));
    }
    let remote_ip = if span.remote_endpoint.ipv4.is_empty() {
        &span.remote_endpoint.ipv6
    } else {
        &span.remote_endpoint.ipv4
    };
    if !remote_ip.is_empty() {
        draft
            .attributes
            .push((Cow::Borrowed("net.peer.ip"), Cow::Borrowed(remote_ip)));
    }
    if let Some(port) = span.remote_endpoint.port {
        draft
            .attributes
            .push((Cow::Borrowed("net.peer.port"), Cow::Owned(port.to_string())));
    }
    for (key, value) in &span.tags {
        draft.attribute(Cow::Borrowed(key), Cow::Borrowed(&value.0));
    }
    draft.emit(index, &REQUIRED, attachment, out);
}
