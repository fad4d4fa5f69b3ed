//! Zipkin v2 JSON: an array of spans with `localEndpoint` (the emitting service),
//! `remoteEndpoint` (the peer, kept as `peer.service`), `kind`, and string `tags` where an
//! `error` tag marks failure.

use super::stream::{DocumentReader, Frame};
use super::{attribute_says_error, normalize_id, span_kind_from_text, LenientNumber, ScalarText};
use crate::output::Output;
use faultmaven_model::{AttachmentId, SpanRecord, Timestamp};
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
    fn enter(&mut self, parent: Option<Frame>, _key: &[u8], opener: u8) -> Option<Frame> {
        (parent.is_none() && opener == b'[').then_some(SPANS)
    }

    fn captures(&self, parent: Frame, _key: &[u8]) -> bool {
        parent == SPANS
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

fn emit_span(span: &Span, index: u64, attachment: AttachmentId, out: &mut Output<'_>) {
    let (Some(trace_id), Some(span_id)) = (normalize_id(&span.trace_id), normalize_id(&span.id))
    else {
        out.issue(
            Some(index),
            format_args!("span {index} has no traceId or id; skipped"),
        );
        return;
    };
    // Zipkin times are microseconds since the epoch.
    let Some(start_micros) = span.timestamp.as_u64() else {
        out.issue(
            Some(index),
            format_args!("span {index} has no timestamp; skipped"),
        );
        return;
    };
    let mut is_error = false;
    let mut attributes: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
    let local_ip = if span.local_endpoint.ipv4.is_empty() {
        &span.local_endpoint.ipv6
    } else {
        &span.local_endpoint.ipv4
    };
    if !local_ip.is_empty() {
        attributes.push((Cow::Borrowed("host.ip"), Cow::Borrowed(local_ip)));
    }
    if !span.remote_endpoint.service_name.is_empty() {
        attributes.push((
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
        attributes.push((Cow::Borrowed("net.peer.ip"), Cow::Borrowed(remote_ip)));
    }
    if let Some(port) = span.remote_endpoint.port {
        attributes.push((Cow::Borrowed("net.peer.port"), Cow::Owned(port.to_string())));
    }
    for (key, value) in &span.tags {
        is_error |= attribute_says_error(key, &value.0);
        attributes.push((Cow::Borrowed(key), Cow::Borrowed(&value.0)));
    }
    let service = if span.local_endpoint.service_name.is_empty() {
        "unknown_service"
    } else {
        &span.local_endpoint.service_name
    };
    out.span(SpanRecord {
        attachment,
        line: index,
        trace_id: Cow::Owned(trace_id),
        span_id: Cow::Owned(span_id),
        parent_span_id: normalize_id(&span.parent_id).map(Cow::Owned),
        service: Cow::Borrowed(service),
        operation: Cow::Borrowed(&span.name),
        kind: span_kind_from_text(&span.kind),
        start: Timestamp::from_unix_nanos(
            i64::try_from(start_micros.saturating_mul(1_000)).unwrap_or(i64::MAX),
        ),
        duration_ns: span.duration.as_u64().unwrap_or(0).saturating_mul(1_000),
        is_error,
        attributes,
    });
}
