//! OTLP/JSON traces: `resourceSpans` → `scopeSpans` (or the older `instrumentationLibrarySpans`)
//! → `spans`, with `service.name` and the other resource attributes copied onto every span.

use super::{attribute_says_error, normalize_id, span_kind_from_text, LenientNumber, ScalarText};
use crate::output::Output;
use faultmaven_model::{AttachmentId, SpanRecord, Timestamp};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Document {
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ResourceSpans {
    resource: Resource,
    scope_spans: Vec<ScopeSpans>,
    instrumentation_library_spans: Vec<ScopeSpans>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Resource {
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ScopeSpans {
    spans: Vec<Span>,
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

pub(super) fn parse(
    bytes: &[u8],
    attachment: AttachmentId,
    out: &mut Output<'_>,
) -> Result<(), serde_json::Error> {
    let document: Document = serde_json::from_slice(bytes)?;
    let mut index = 0u64;
    for resource_spans in document.resource_spans {
        let resource: Vec<(String, String)> = resource_spans
            .resource
            .attributes
            .into_iter()
            .map(|kv| (kv.key, kv.value.into_text()))
            .collect();
        let service = resource
            .iter()
            .find(|(key, _)| key == "service.name")
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| "unknown_service".to_owned());
        let scopes = resource_spans
            .scope_spans
            .into_iter()
            .chain(resource_spans.instrumentation_library_spans);
        for span in scopes.flat_map(|scope| scope.spans) {
            index += 1;
            let (Some(trace_id), Some(span_id)) =
                (normalize_id(&span.trace_id), normalize_id(&span.span_id))
            else {
                out.issue(
                    Some(index),
                    format_args!("span {index} has no trace id or span id; skipped"),
                );
                continue;
            };
            let Some(start) = span.start_time_unix_nano.as_u64() else {
                out.issue(
                    Some(index),
                    format_args!("span {index} has no startTimeUnixNano; skipped"),
                );
                continue;
            };
            let end = span.end_time_unix_nano.as_u64().unwrap_or(start);
            let mut is_error = status_is_error(&span.status.code.0);
            let mut attributes: Vec<(Cow<'_, str>, Cow<'_, str>)> =
                Vec::with_capacity(resource.len() + span.attributes.len() + 1);
            for (key, value) in &resource {
                if key != "service.name" {
                    attributes.push((Cow::Borrowed(key.as_str()), Cow::Borrowed(value.as_str())));
                }
            }
            for kv in span.attributes {
                let value = kv.value.into_text();
                is_error |= attribute_says_error(&kv.key, &value);
                attributes.push((Cow::Owned(kv.key), Cow::Owned(value)));
            }
            if !span.status.message.is_empty() {
                attributes.push((
                    Cow::Borrowed("status.message"),
                    Cow::Owned(span.status.message),
                ));
            }
            out.span(SpanRecord {
                attachment,
                line: index,
                trace_id: Cow::Owned(trace_id),
                span_id: Cow::Owned(span_id),
                parent_span_id: normalize_id(&span.parent_span_id).map(Cow::Owned),
                service: Cow::Borrowed(service.as_str()),
                operation: Cow::Owned(span.name),
                kind: span_kind_from_text(&span.kind.0),
                start: Timestamp::from_unix_nanos(i64::try_from(start).unwrap_or(i64::MAX)),
                duration_ns: end.saturating_sub(start),
                is_error,
                attributes,
            });
        }
    }
    Ok(())
}
