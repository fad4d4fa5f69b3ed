//! The remote providers against a local HTTP double speaking each wire format: request shapes,
//! plain and streamed answers, retries on 429/5xx, timeouts, malformed streams, cancellation,
//! and the fallback to the real embedded model.
#![allow(clippy::unwrap_used)]

mod common;
mod double;

use double::{fixture, Double, Reply};
use faultmaven_llm::{
    AnthropicProvider, ApiKey, ChatMessage, EmbeddedLlm, EmbeddedLlmOptions, FallbackProvider,
    FinishReason, GenerationRequest, LlmError, LlmErrorKind, LlmProvider, OpenAiCompatibleProvider,
    RemoteOptions, StreamPiece,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn options(double: &Double, model: &str) -> RemoteOptions {
    let mut options = RemoteOptions::new(double.base_url(), model);
    options.api_key = ApiKey::new("sk-test-secret");
    options.connect_timeout = Duration::from_secs(2);
    options.request_timeout = Duration::from_secs(10);
    options.idle_timeout = Duration::from_millis(600);
    options.max_retries = 2;
    options.initial_backoff = Duration::from_millis(20);
    options.max_backoff = Duration::from_millis(80);
    options
}

fn request() -> GenerationRequest {
    GenerationRequest::greedy(
        vec![
            ChatMessage::system("You are an SRE assistant."),
            ChatMessage::user("Why does checkout fail?"),
        ],
        64,
    )
}

/// How a reset shows among the collected pieces.
const RESET: &str = "<reset>";

/// Runs a streamed generation and collects the pieces the receiver saw (a reset as [`RESET`]).
async fn streamed(
    provider: &dyn LlmProvider,
) -> (Result<faultmaven_llm::Generation, LlmError>, Vec<String>) {
    let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
    let collector = tokio::spawn(async move {
        let mut pieces = Vec::new();
        while let Some(piece) = receiver.recv().await {
            pieces.push(match piece {
                StreamPiece::Text(text) => text,
                StreamPiece::Reset { .. } => RESET.to_owned(),
            });
        }
        pieces
    });
    let result = provider.generate(request(), Some(sender)).await;
    (result, collector.await.unwrap())
}

#[tokio::test]
async fn openai_plain_answer_and_request_shape() {
    let double = Double::start(vec![Reply::json(200, &fixture("openai_completion.json"))]).await;
    let provider = OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap();
    assert_eq!(provider.name(), "openai:gpt-4o-mini");
    let generation = provider.generate(request(), None).await.unwrap();
    assert_eq!(
        generation.text,
        "The checkout service exhausted its database connection pool [F1]."
    );
    assert_eq!(generation.prompt_tokens, 212);
    assert_eq!(generation.completion_tokens, 14);
    assert_eq!(generation.finish_reason, FinishReason::Stop);
    assert_eq!(generation.model, "openai:gpt-4o-mini");
    assert!(generation.fallback_reason.is_none());

    let requests = double.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.headers["authorization"], "Bearer sk-test-secret");
    assert_eq!(sent.headers["content-type"], "application/json");
    assert_eq!(
        sent.body,
        serde_json::json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "You are an SRE assistant."},
                {"role": "user", "content": "Why does checkout fail?"}
            ],
            "max_tokens": 64,
            "temperature": 0.0,
            "stream": false
        })
    );
}

#[tokio::test]
async fn openai_streamed_answer_arrives_piece_by_piece_with_usage() {
    // 7-byte pieces cut lines, JSON and the `data:` prefix at arbitrary places.
    let double = Double::start(vec![Reply::event_stream(&fixture("openai_stream.sse"), 7)]).await;
    let provider = OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap();
    let (result, pieces) = streamed(&provider).await;
    let generation = result.unwrap();
    assert_eq!(pieces, vec!["The", " pool", " is exhausted", " [F1]."]);
    assert_eq!(generation.text, pieces.concat());
    assert_eq!(generation.prompt_tokens, 212);
    assert_eq!(generation.completion_tokens, 5);
    assert_eq!(generation.finish_reason, FinishReason::Length);
    let body = &double.requests()[0].body;
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["max_tokens"], 64);
    assert_eq!(body["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn rate_limited_then_success_honours_retry_after() {
    let double = Double::start(vec![
        Reply::json(429, &fixture("openai_error_429.json")).with_header("retry-after", "0.3"),
        Reply::json(200, &fixture("openai_completion.json")),
    ])
    .await;
    let provider = OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap();
    let started = Instant::now();
    let generation = provider.generate(request(), None).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the retry waited for Retry-After, not the 20 ms backoff"
    );
    assert_eq!(generation.completion_tokens, 14);
    assert_eq!(double.requests().len(), 2);
}

#[tokio::test]
async fn server_errors_exhaust_the_retries_with_a_typed_error() {
    let double = Double::start(vec![
        Reply::json(500, "{\"error\":{\"message\":\"boom\"}}"),
        Reply::json(502, "bad gateway"),
        Reply::json(503, "{\"error\":{\"message\":\"overloaded\"}}"),
    ])
    .await;
    let provider = OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap();
    let error = provider.generate(request(), None).await.unwrap_err();
    assert_eq!(error.kind(), LlmErrorKind::Unavailable);
    match &error {
        LlmError::Status { status, detail, .. } => {
            assert_eq!(*status, 503);
            assert!(detail.contains("overloaded"), "{detail}");
        }
        other => panic!("expected a status error, got {other:?}"),
    }
    assert_eq!(double.requests().len(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let double = Double::start(vec![Reply::json(
        401,
        "{\"error\":{\"message\":\"Incorrect API key provided\"}}",
    )])
    .await;
    let provider = OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap();
    let error = provider.generate(request(), None).await.unwrap_err();
    assert_eq!(error.kind(), LlmErrorKind::Remote);
    assert!(!error.to_string().contains("sk-test-secret"));
    assert_eq!(double.requests().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let mut options = RemoteOptions::new(format!("http://{address}/v1"), "m");
    options.initial_backoff = Duration::from_millis(5);
    let provider = OpenAiCompatibleProvider::new(options).unwrap();
    let error = provider.generate(request(), None).await.unwrap_err();
    assert!(matches!(error, LlmError::Connect { .. }), "{error:?}");
    assert_eq!(error.kind(), LlmErrorKind::Unavailable);
}

#[tokio::test]
async fn a_silent_server_times_out_and_is_retried() {
    let double = Double::start(vec![
        Reply::json(200, &fixture("openai_completion.json")).delayed(Duration::from_secs(3)),
        Reply::json(200, &fixture("openai_completion.json")),
    ])
    .await;
    let provider = OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap();
    let generation = provider.generate(request(), None).await.unwrap();
    assert_eq!(generation.completion_tokens, 14);
    assert_eq!(double.requests().len(), 2);

    let double = Double::start(vec![
        Reply::json(200, "{}").delayed(Duration::from_secs(3)),
        Reply::json(200, "{}").delayed(Duration::from_secs(3)),
        Reply::json(200, "{}").delayed(Duration::from_secs(3)),
    ])
    .await;
    let provider = OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap();
    let started = Instant::now();
    let error = provider.generate(request(), None).await.unwrap_err();
    assert!(matches!(error, LlmError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_stream_that_stalls_times_out_without_a_retry() {
    let partial: String = fixture("openai_stream.sse")
        .split("\n\n")
        .take(3)
        .map(|event| format!("{event}\n\n"))
        .collect();
    let double = Double::start(vec![
        Reply::event_stream(&partial, 64).then_stall(Duration::from_secs(5)),
        Reply::json(200, &fixture("openai_completion.json")),
    ])
    .await;
    let provider = OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap();
    let (result, pieces) = streamed(&provider).await;
    let error = result.unwrap_err();
    assert!(matches!(error, LlmError::Timeout { .. }), "{error:?}");
    assert_eq!(
        pieces,
        vec!["The", " pool"],
        "tokens before the stall arrived"
    );
    assert_eq!(
        double.requests().len(),
        1,
        "no retry once the answer began streaming"
    );
}

#[tokio::test]
async fn a_malformed_chunk_is_a_protocol_error() {
    let body =
        "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\ndata: {\"choices\": [tru\n\n";
    let double = Double::start(vec![Reply::event_stream(body, 16)]).await;
    let provider = OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap();
    let (result, pieces) = streamed(&provider).await;
    let error = result.unwrap_err();
    assert!(matches!(error, LlmError::Protocol { .. }), "{error:?}");
    assert_eq!(error.kind(), LlmErrorKind::Remote);
    assert_eq!(pieces, vec!["ok"]);

    let double = Double::start(vec![Reply::event_stream(
        "data: {\"choices\":[{\"delta\":{\"content\":\"cut\"}}]}\n\n",
        8,
    )])
    .await;
    let provider = OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap();
    let error = streamed(&provider).await.0.unwrap_err();
    assert!(error.to_string().contains("before [DONE]"), "{error}");

    let double = Double::start(vec![Reply::json(200, "<html>proxy error</html>")]).await;
    let provider = OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap();
    let error = provider.generate(request(), None).await.unwrap_err();
    assert!(matches!(error, LlmError::Protocol { .. }), "{error:?}");
}

#[tokio::test]
async fn dropping_the_receiver_cancels_the_stream() {
    let partial: String = fixture("openai_stream.sse")
        .split("\n\n")
        .take(3)
        .map(|event| format!("{event}\n\n"))
        .collect();
    let double = Double::start(vec![
        Reply::event_stream(&partial, 4096).then_stall(Duration::from_secs(30))
    ])
    .await;
    let mut options = options(&double, "gpt-4o-mini");
    options.idle_timeout = Duration::from_secs(30);
    let provider = OpenAiCompatibleProvider::new(options).unwrap();
    let (sender, mut receiver) = tokio::sync::mpsc::channel(1);
    let reader = tokio::spawn(async move {
        let first = receiver.recv().await;
        drop(receiver);
        first
    });
    let started = Instant::now();
    let generation = provider.generate(request(), Some(sender)).await.unwrap();
    assert_eq!(reader.await.unwrap(), Some(StreamPiece::Text("The".into())));
    assert_eq!(generation.finish_reason, FinishReason::Cancelled);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "cancellation did not wait for the stalled server"
    );
}

#[tokio::test]
async fn anthropic_plain_answer_and_request_shape() {
    let double = Double::start(vec![Reply::json(200, &fixture("anthropic_message.json"))]).await;
    let provider = AnthropicProvider::new(options(&double, "claude-3-5-haiku-latest")).unwrap();
    assert_eq!(provider.name(), "anthropic:claude-3-5-haiku-latest");
    let mut request = request();
    request.stop = vec!["\n\n##".into()];
    let generation = provider.generate(request, None).await.unwrap();
    assert_eq!(
        generation.text,
        "Connection pool exhaustion in checkout [F1]."
    );
    assert_eq!(generation.prompt_tokens, 230);
    assert_eq!(generation.completion_tokens, 12);
    assert_eq!(generation.finish_reason, FinishReason::Stop);

    let sent = &double.requests()[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.headers["x-api-key"], "sk-test-secret");
    assert_eq!(sent.headers["anthropic-version"], "2023-06-01");
    assert!(!sent.headers.contains_key("authorization"));
    assert_eq!(
        sent.body,
        serde_json::json!({
            "model": "claude-3-5-haiku-latest",
            "max_tokens": 64,
            "system": "You are an SRE assistant.",
            "messages": [{"role": "user", "content": "Why does checkout fail?"}],
            "temperature": 0.0,
            "stop_sequences": ["\n\n##"],
            "stream": false
        })
    );
}

#[tokio::test]
async fn anthropic_streamed_answer_with_usage_from_start_and_delta() {
    let double = Double::start(vec![Reply::event_stream(
        &fixture("anthropic_stream.sse"),
        5,
    )])
    .await;
    let provider = AnthropicProvider::new(options(&double, "claude-3-5-haiku-latest")).unwrap();
    let (result, pieces) = streamed(&provider).await;
    let generation = result.unwrap();
    assert_eq!(pieces, vec!["Connection pool", " exhaustion [F1]."]);
    assert_eq!(generation.text, "Connection pool exhaustion [F1].");
    assert_eq!(generation.prompt_tokens, 230);
    assert_eq!(generation.completion_tokens, 6);
    assert_eq!(generation.finish_reason, FinishReason::Length);
    assert_eq!(double.requests()[0].body["stream"], true);
}

#[tokio::test]
async fn anthropic_error_event_and_truncated_stream_are_protocol_errors() {
    let double = Double::start(vec![Reply::event_stream(
        &fixture("anthropic_overloaded.sse"),
        64,
    )])
    .await;
    let provider = AnthropicProvider::new(options(&double, "claude")).unwrap();
    let error = streamed(&provider).await.0.unwrap_err();
    assert!(error.to_string().contains("overloaded_error"), "{error}");

    let truncated: String = fixture("anthropic_stream.sse")
        .split("\n\n")
        .take(4)
        .map(|event| format!("{event}\n\n"))
        .collect();
    let double = Double::start(vec![Reply::event_stream(&truncated, 64)]).await;
    let provider = AnthropicProvider::new(options(&double, "claude")).unwrap();
    let error = streamed(&provider).await.0.unwrap_err();
    assert!(error.to_string().contains("message_stop"), "{error}");
}

#[tokio::test]
async fn anthropic_overloaded_529_then_success() {
    let double = Double::start(vec![
        Reply::json(
            529,
            "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
        ),
        Reply::json(200, &fixture("anthropic_message.json")),
    ])
    .await;
    let provider = AnthropicProvider::new(options(&double, "claude")).unwrap();
    let generation = provider.generate(request(), None).await.unwrap();
    assert_eq!(generation.completion_tokens, 12);
    assert_eq!(double.requests().len(), 2);
}

#[tokio::test]
async fn failing_remote_falls_back_to_the_embedded_model_and_says_so() {
    let double = Double::start(vec![
        Reply::json(500, "{}"),
        Reply::json(500, "{}"),
        Reply::json(500, "{}"),
    ])
    .await;
    let remote = Arc::new(OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap());
    let paths = common::model_paths();
    let embedded =
        Arc::new(EmbeddedLlm::load(&paths.smollm2_gguf, EmbeddedLlmOptions::default()).unwrap());
    let provider = FallbackProvider::new(remote, embedded);
    assert_eq!(provider.name(), "openai:gpt-4o-mini");
    let mut request = request();
    request.max_tokens = 8;
    let generation = provider.generate(request, None).await.unwrap();
    assert_eq!(generation.model, "embedded:smollm2-135m-instruct");
    assert!(!generation.text.trim().is_empty());
    assert!(generation.completion_tokens > 0);
    let reason = generation.fallback_reason.unwrap();
    assert!(
        reason.starts_with("openai:gpt-4o-mini failed") && reason.contains("500"),
        "{reason}"
    );
    assert_eq!(double.requests().len(), 3);
}

#[tokio::test]
async fn a_remote_failing_mid_stream_is_reset_before_the_fallback_streams() {
    let broken =
        "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\ndata: {\"choices\": [tru\n\n";
    let double = Double::start(vec![Reply::event_stream(broken, 16)]).await;
    let remote = Arc::new(OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap());
    let second = Double::start(vec![Reply::event_stream(&fixture("openai_stream.sse"), 7)]).await;
    let fallback = Arc::new(OpenAiCompatibleProvider::new(options(&second, "backup")).unwrap());
    let provider = FallbackProvider::new(remote, fallback);
    let (result, pieces) = streamed(&provider).await;
    let generation = result.unwrap();
    assert_eq!(
        pieces,
        vec!["ok", RESET, "The", " pool", " is exhausted", " [F1]."],
        "the partial remote text is followed by a reset, then the fallback's text"
    );
    assert_eq!(generation.text, "The pool is exhausted [F1].");
    assert!(generation
        .fallback_reason
        .unwrap()
        .starts_with("openai:gpt-4o-mini failed"));
}

#[tokio::test]
async fn a_remote_failing_before_any_text_needs_no_reset() {
    let double = Double::start(vec![Reply::json(400, "{}")]).await;
    let remote = Arc::new(OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap());
    let second = Double::start(vec![Reply::event_stream(&fixture("openai_stream.sse"), 64)]).await;
    let fallback = Arc::new(OpenAiCompatibleProvider::new(options(&second, "backup")).unwrap());
    let provider = FallbackProvider::new(remote, fallback);
    let (result, pieces) = streamed(&provider).await;
    assert!(result.unwrap().fallback_reason.is_some());
    assert_eq!(pieces, vec!["The", " pool", " is exhausted", " [F1]."]);
}

#[tokio::test]
async fn a_healthy_remote_is_not_second_guessed() {
    let double = Double::start(vec![Reply::json(200, &fixture("openai_completion.json"))]).await;
    let remote = Arc::new(OpenAiCompatibleProvider::new(options(&double, "gpt-4o-mini")).unwrap());
    let second = Double::start(vec![]).await;
    let unused = Arc::new(OpenAiCompatibleProvider::new(options(&second, "other")).unwrap());
    let provider = FallbackProvider::new(remote, unused);
    let generation = provider.generate(request(), None).await.unwrap();
    assert_eq!(generation.model, "openai:gpt-4o-mini");
    assert!(generation.fallback_reason.is_none());
    assert!(second.requests().is_empty());
}

#[test]
fn options_never_print_the_key() {
    let mut options = RemoteOptions::new("https://api.openai.com/v1", "gpt-4o-mini");
    options.api_key = ApiKey::new("sk-live-abcdef");
    let shown = format!("{options:?}");
    assert!(!shown.contains("sk-live-abcdef"), "{shown}");
    assert!(shown.contains("***"));
}
