//! What the JSON trace readers (OTLP, Jaeger, Zipkin) share once a span is deserialized: the
//! id and start checks, the attributes that mark a failure, and the `SpanRecord` itself. Each
//! reader only maps its format's fields onto a [`SpanDraft`].

use super::{attribute_says_error, normalize_id};
use crate::output::Output;
use faultmaven_model::{AttachmentId, SpanKind, SpanRecord, Timestamp};
use std::borrow::Cow;

/// The names a format gives the fields a span cannot do without, for issue texts.
pub(super) struct RequiredFields {
    /// `"traceId or id"`, `"trace id or span id"`...
    pub ids: &'static str,
    /// `"timestamp"`, `"startTimeUnixNano"`...
    pub start: &'static str,
}

/// One span as a format states it, before its ids and start are checked.
pub(super) struct SpanDraft<'a> {
    pub trace_id: &'a str,
    pub span_id: &'a str,
    /// The parent as written (empty, zero or `null`-like for a root).
    pub parent_span_id: &'a str,
    pub service: &'a str,
    pub operation: Cow<'a, str>,
    pub kind: SpanKind,
    /// Nanoseconds since the epoch; `None` when the span has no usable start.
    pub start_ns: Option<u64>,
    pub duration_ns: u64,
    pub is_error: bool,
    pub attributes: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> SpanDraft<'a> {
    /// A span's own attribute (tag): kept, and read for a failure (HTTP status of 500 or
    /// more, `error`, `otel.status_code`). Context copied onto every span (resource and
    /// process attributes) goes straight into `attributes` instead.
    pub fn attribute(&mut self, key: Cow<'a, str>, value: Cow<'a, str>) {
        self.is_error |= attribute_says_error(&key, &value);
        self.attributes.push((key, value));
    }

    /// Emits the span as the `index`-th of its document, or an issue when it has no ids or
    /// no start (a span without them cannot be placed in a trace or on the time line).
    pub fn emit(
        self,
        index: u64,
        required: &RequiredFields,
        attachment: AttachmentId,
        out: &mut Output<'_>,
    ) {
        let (Some(trace_id), Some(span_id)) =
            (normalize_id(self.trace_id), normalize_id(self.span_id))
        else {
            out.issue(
                Some(index),
                format_args!("span {index} has no {}; skipped", required.ids),
            );
            return;
        };
        let Some(start_ns) = self.start_ns else {
            out.issue(
                Some(index),
                format_args!("span {index} has no {}; skipped", required.start),
            );
            return;
        };
        out.span(SpanRecord {
            attachment,
            line: index,
            trace_id: Cow::Owned(trace_id),
            span_id: Cow::Owned(span_id),
            parent_span_id: normalize_id(self.parent_span_id).map(Cow::Owned),
            service: Cow::Borrowed(self.service),
            operation: self.operation,
            kind: self.kind,
            start: Timestamp::from_unix_nanos(i64::try_from(start_ns).unwrap_or(i64::MAX)),
            duration_ns: self.duration_ns,
            is_error: self.is_error,
            attributes: self.attributes,
        });
    }
}

/// Microseconds (Jaeger, Zipkin) to nanoseconds, saturating.
pub(super) fn micros_to_nanos(micros: u64) -> u64 {
    micros.saturating_mul(1_000)
}
