//! The troubleshoot answer as server-sent events, for clients that send
//! `Accept: text/event-stream`: one event per stage as it completes, the summary's text as the
//! model writes it, then the whole response.
//!
//! Events, in order (each `data:` is one JSON object):
//! - `parsed`: `{"attachments": [Attachment…]}`: what each upload turned out to be
//! - `analysed`: `{"findings": n, "templates": n}`
//! - `retrieved`: `{"runbooks": ["title", …]}`: runbooks retrieved, best first
//! - `answering`: `{"provider": "…", "hypotheses": n}`: the summary is being written
//! - `answer_delta`: `{"text": "…"}`: a piece of the summary as the model writes it (zero or more;
//!   unverified; the verified summary is in `done`)
//! - `answer_reset`: `{"reason": "…"}`: discard the `answer_delta` text received so far; the
//!   remote model failed part-way and the fallback model's deltas follow (rare; at most once)
//! - `done`: the full `TroubleshootResponse`, exactly the JSON the endpoint returns otherwise
//! - `error`: a problem object (`type`, `title`, `status`, `detail`) instead of `done`

use crate::dto::{Attachment, TroubleshootResponse};
use crate::error::ApiError;
use axum::http::{header, HeaderMap};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use faultmaven_engine::{Investigation, Progress};
use serde_json::json;
use std::convert::Infallible;

/// The event names, in the order they come; documented in the OpenAPI description.
pub const EVENT_NAMES: [&str; 8] = [
    "parsed",
    "analysed",
    "retrieved",
    "answering",
    "answer_delta",
    "answer_reset",
    "done",
    "error",
];

/// True when the client asked for an event stream rather than one JSON document.
pub fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("text/event-stream"))
        })
}

fn event(name: &str, data: &serde_json::Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

fn progress_event(progress: Progress) -> Event {
    match progress {
        Progress::Parsed { attachments } => {
            let attachments: Vec<Attachment> = attachments.iter().map(Attachment::from).collect();
            event("parsed", &json!({ "attachments": attachments }))
        }
        Progress::Analysed {
            findings,
            templates,
        } => event(
            "analysed",
            &json!({ "findings": findings, "templates": templates }),
        ),
        Progress::Retrieved { runbooks } => event("retrieved", &json!({ "runbooks": runbooks })),
        Progress::Answering {
            provider,
            hypotheses,
        } => event(
            "answering",
            &json!({ "provider": provider, "hypotheses": hypotheses }),
        ),
        Progress::AnswerDelta { text } => event("answer_delta", &json!({ "text": text })),
        Progress::AnswerReset { reason } => event("answer_reset", &json!({ "reason": reason })),
    }
}

/// Finishes `investigation` on its own task and streams its progress. The task runs to the end
/// even if the client leaves (the session is saved), but the model stops writing.
pub fn stream_finish(investigation: Investigation) -> Response {
    let (events, receiver) = tokio::sync::mpsc::channel::<Event>(32);
    tokio::spawn(async move {
        let (progress, mut progress_receiver) = tokio::sync::mpsc::channel::<Progress>(32);
        let relay_events = events.clone();
        let relay = tokio::spawn(async move {
            while let Some(step) = progress_receiver.recv().await {
                if relay_events.send(progress_event(step)).await.is_err() {
                    break;
                }
            }
        });
        let result = investigation.finish_with_progress(Some(progress)).await;
        // Every stage event goes out before the final one.
        let _ = relay.await;
        let last = match result {
            Ok(outcome) => match serde_json::to_value(TroubleshootResponse::from(&outcome)) {
                Ok(response) => event("done", &response),
                Err(error) => {
                    tracing::error!(%error, "response not serialisable");
                    event(
                        "error",
                        &json!(ApiError::new(
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                            "internal",
                            "Internal error",
                            "the server failed to process the request; it has been logged",
                        )
                        .problem()),
                    )
                }
            },
            Err(error) => {
                let problem = ApiError::from(error).problem();
                event("error", &json!(problem))
            }
        };
        let _ = events.send(last).await;
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|event| (Ok::<Event, Infallible>(event), receiver))
    });
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response();
    // Proxies such as nginx buffer responses unless told not to, which would hold every event
    // back until the end.
    response
        .headers_mut()
        .insert("x-accel-buffering", header::HeaderValue::from_static("no"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_negotiation() {
        let mut headers = HeaderMap::new();
        assert!(!wants_event_stream(&headers));
        headers.insert(header::ACCEPT, "application/json".parse().unwrap());
        assert!(!wants_event_stream(&headers));
        headers.insert(
            header::ACCEPT,
            "application/json;q=0.5, Text/Event-Stream".parse().unwrap(),
        );
        assert!(wants_event_stream(&headers));
    }
}
