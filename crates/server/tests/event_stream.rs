//! The troubleshoot endpoint as server-sent events: stages in order, the summary streamed from a
//! remote OpenAI-compatible model (a local double speaking its wire format), then `done` with the
//! same JSON the plain endpoint returns.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../llm/tests/double/mod.rs"]
mod double;

use axum::body::Body;
use axum::http::Request;
use common::{file, fixture, get, text, troubleshoot_request, BOUNDARY};
use double::{Double, Reply};
use faultmaven_engine::EngineConfig;
use faultmaven_llm::{FallbackProvider, LlmProvider, OpenAiCompatibleProvider, RemoteOptions};
use faultmaven_server::router;
use faultmaven_store::SqliteSessionStore;
use std::sync::Arc;
use tower::ServiceExt;

/// One parsed server-sent event.
#[derive(Debug)]
struct Event {
    name: String,
    data: serde_json::Value,
}

fn parse_events(body: &str) -> Vec<Event> {
    body.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .filter_map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = Some(value.trim().to_owned());
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.strip_prefix(' ').unwrap_or(value));
                }
            }
            // Keep-alive comments carry no event.
            let name = name?;
            Some(Event {
                name,
                data: serde_json::from_str(&data)
                    .unwrap_or_else(|error| panic!("event {block:?} has no JSON data: {error}")),
            })
        })
        .collect()
}

fn remote_model(double: &Double, model: &str) -> Arc<dyn LlmProvider> {
    let mut options = RemoteOptions::new(double.base_url(), model);
    options.max_retries = 0;
    Arc::new(OpenAiCompatibleProvider::new(options).unwrap())
}

/// The remote model's (non-streamed) answer to the request for hypotheses: none to add.
fn no_model_hypotheses() -> Reply {
    let completion = serde_json::json!({
        "choices": [{"message": {"role": "assistant", "content": "{\"hypotheses\": []}"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 300, "completion_tokens": 5}
    });
    Reply::json(200, &completion.to_string())
}

fn stream_fixture() -> String {
    std::fs::read_to_string(common::repo_root().join("crates/llm/tests/fixtures/openai_stream.sse"))
        .unwrap()
}

fn app_with_remote_model(double: &Double) -> axum::Router {
    app_with_model(remote_model(double, "gpt-4o-mini"))
}

fn app_with_model(llm: Arc<dyn LlmProvider>) -> axum::Router {
    router(common::state_with_model(
        Arc::new(SqliteSessionStore::in_memory().unwrap()),
        EngineConfig::default(),
        common::default_limits(),
        Some(llm),
    ))
}

/// The question and log every test here sends.
fn checkout_request() -> Request<Body> {
    troubleshoot_request(&[
        text("query", "checkout fails since 14:03, why?"),
        file("file", "checkout.log", fixture("checkout.log")),
    ])
}

fn stream_request(request: Request<Body>) -> Request<Body> {
    let (mut parts, body) = request.into_parts();
    parts
        .headers
        .insert("accept", "text/event-stream".parse().unwrap());
    Request::from_parts(parts, body)
}

/// Sends `request` asking for server-sent events; returns the events, checked to be a 200
/// `text/event-stream` response.
async fn streamed_events(app: &axum::Router, request: Request<Body>) -> Vec<Event> {
    let response = app.clone().oneshot(stream_request(request)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    parse_events(std::str::from_utf8(&bytes).unwrap())
}

fn names(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.name.as_str()).collect()
}

#[tokio::test]
async fn stages_stream_in_order_then_the_full_response() {
    let double = Double::start(vec![
        no_model_hypotheses(),
        Reply::event_stream(&stream_fixture(), 9),
    ])
    .await;
    let app = app_with_remote_model(&double);
    let events = streamed_events(&app, checkout_request()).await;
    assert_eq!(
        names(&events),
        [
            "parsed",
            "analysed",
            "retrieved",
            "answering",
            "answer_delta",
            "answer_delta",
            "answer_delta",
            "answer_delta",
            "done"
        ]
    );
    assert_eq!(events[0].data["attachments"][0]["name"], "checkout.log");
    let findings = events[1].data["findings"].as_u64().unwrap();
    assert!(findings > 0);
    assert!(events[2].data["runbooks"]
        .as_array()
        .is_some_and(|r| !r.is_empty()));
    assert_eq!(events[3].data["provider"], "openai:gpt-4o-mini");
    let streamed: String = events[4..8]
        .iter()
        .map(|e| e.data["text"].as_str().unwrap())
        .collect();
    assert_eq!(streamed, "The pool is exhausted [F1].");

    let done = &events[8].data;
    assert_eq!(done["findings"].as_array().unwrap().len() as u64, findings);
    assert!(done["session_id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(done["answer_provenance"]["provider"], "openai:gpt-4o-mini");
    assert_eq!(done["answer_provenance"]["prompt_tokens"], 212);
    assert!(
        done["answer"]
            .as_str()
            .unwrap()
            .starts_with("## Summary\nThe pool is exhausted [F1]."),
        "{}",
        done["answer"]
    );
    assert_eq!(done["model_hypotheses"]["asked"], true);
    // The model was asked for hypotheses (one plain completion), then got redacted facts for
    // the summary, as a streamed chat completion.
    let requests = double.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body["stream"], false);
    let sent = &requests[1];
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.body["stream"], true);
}

#[tokio::test]
async fn a_remote_failing_mid_stream_sends_answer_reset_before_the_fallback_text() {
    let broken = "data: {\"choices\":[{\"delta\":{\"content\":\"PARTIAL\"}}]}\n\ndata: {\"choices\": [tru\n\n";
    let remote = Double::start(vec![no_model_hypotheses(), Reply::event_stream(broken, 16)]).await;
    let backup = Double::start(vec![Reply::event_stream(&stream_fixture(), 9)]).await;
    let app = app_with_model(Arc::new(FallbackProvider::new(
        remote_model(&remote, "gpt-4o-mini"),
        remote_model(&backup, "backup"),
    )));
    let events = streamed_events(&app, checkout_request()).await;
    let names = names(&events);
    let reset = names.iter().position(|n| *n == "answer_reset").unwrap();
    assert_eq!(names[reset - 1], "answer_delta", "{names:?}");
    assert_eq!(events[reset - 1].data["text"], "PARTIAL");
    assert!(events[reset].data["reason"]
        .as_str()
        .unwrap()
        .starts_with("openai:gpt-4o-mini failed"));
    let after: String = events[reset + 1..]
        .iter()
        .filter(|e| e.name == "answer_delta")
        .map(|e| e.data["text"].as_str().unwrap())
        .collect();
    assert_eq!(after, "The pool is exhausted [F1].");
    let done = &events.last().unwrap().data;
    let answer = done["answer"].as_str().unwrap();
    assert!(
        answer.starts_with("## Summary\nThe pool is exhausted [F1]."),
        "{answer}"
    );
    assert!(!answer.contains("PARTIAL"));
    assert_eq!(done["answer_provenance"]["provider"], "openai:backup");
}

#[tokio::test]
async fn without_a_model_the_stages_still_stream_and_json_stays_the_default() {
    let app = common::app();
    let events = streamed_events(&app, checkout_request()).await;
    assert_eq!(
        names(&events),
        ["parsed", "analysed", "retrieved", "answering", "done"]
    );
    assert_eq!(events[3].data["provider"], "none");

    let plain = common::send(&app, checkout_request()).await;
    assert_eq!(plain.0, 200);
    assert_eq!(plain.1, "application/json");
    assert_eq!(
        plain.2["findings"].as_array().unwrap().len(),
        events[4].data["findings"].as_array().unwrap().len()
    );
}

#[tokio::test]
async fn an_empty_streamed_request_is_a_plain_problem() {
    let request = Request::post("/api/v1/troubleshoot")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header("accept", "text/event-stream")
        .body(Body::from(format!("--{BOUNDARY}--\r\n")))
        .unwrap();
    let result = common::send(&common::app(), request).await;
    common::assert_problem(&result, 400, "empty-request");
}

#[tokio::test]
async fn the_openapi_document_names_the_events() {
    let (status, _, document) = common::send(&common::app(), get("/api/v1/openapi.json")).await;
    assert_eq!(status, 200);
    let operation = &document["paths"]["/api/v1/troubleshoot"]["post"];
    assert!(operation["responses"]["200"]["content"]["text/event-stream"].is_object());
    let description = operation["description"].as_str().unwrap();
    for name in faultmaven_server::events::EVENT_NAMES {
        assert!(description.contains(&format!("`{name}`")), "{name} missing");
    }
}
