//! Remote language models behind [`crate::LlmProvider`]: any OpenAI-compatible server (OpenAI,
//! vLLM, Ollama, LM Studio, LiteLLM) and the Anthropic Messages API, plus the
//! [`FallbackProvider`] that falls back to the embedded model when the remote one fails.
//!
//! Only redacted text reaches these providers: the engine builds prompts from redacted findings
//! and questions. What was sent where (sizes, hashes, never content) is the engine's audit
//! trail's business.

mod anthropic;
mod fallback;
mod openai;
mod secret;
mod sse;
mod transport;

pub use anthropic::{AnthropicProvider, ANTHROPIC_VERSION};
pub use fallback::FallbackProvider;
pub use openai::OpenAiCompatibleProvider;
pub use secret::ApiKey;

use std::time::Duration;

/// How to reach a remote model and how patient to be with it.
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    /// The API's base URL up to and including the version segment, for example
    /// `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1` (Ollama) or
    /// `https://api.anthropic.com/v1`.
    pub base_url: String,
    /// The model to ask for, for example `gpt-4o-mini` or `claude-3-5-haiku-latest`.
    pub model: String,
    /// The API key, when the server wants one.
    pub api_key: Option<ApiKey>,
    /// Longest wait for the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest time one call may take from the first attempt to the last token, retries
    /// included.
    pub request_timeout: Duration,
    /// Longest silence allowed: before the response headers and between two chunks.
    pub idle_timeout: Duration,
    /// Retries after the first attempt, on connect errors, timeouts before the answer began,
    /// 429 and 5xx.
    pub max_retries: u32,
    /// The first backoff step; each retry doubles it, up to `max_backoff`.
    pub initial_backoff: Duration,
    /// The largest backoff step.
    pub max_backoff: Duration,
    /// The model's context window in tokens, as the engine should assume it.
    pub context_tokens: usize,
    /// The largest non-streamed body or stream event accepted.
    pub max_response_bytes: usize,
}

impl RemoteOptions {
    /// Options with the defaults below for `base_url` and `model`.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(30),
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            context_tokens: 8192,
            max_response_bytes: 4 * 1024 * 1024,
        }
    }

    /// `base_url` joined with `path` with exactly one slash between them.
    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.base_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }
}

/// Maps a reqwest header-value error (a key with a newline, say) to a typed error.
pub(crate) fn header_value(
    provider: &str,
    value: &str,
) -> Result<reqwest::header::HeaderValue, crate::LlmError> {
    let mut header = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
        crate::LlmError::InvalidRequest(format!(
            "the API key for {provider} contains characters a header cannot carry"
        ))
    })?;
    header.set_sensitive(true);
    Ok(header)
}

/// What one stream event means to the provider reading it.
pub(crate) enum StreamStep {
    /// Text to append to the answer (and forward to the token receiver).
    Text(String),
    /// Metadata (usage, a ping): nothing to forward.
    Nothing,
    /// The answer is complete.
    Done,
}

/// How a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamEnd {
    /// The provider said it was done.
    Done,
    /// The body ended without the provider's end marker.
    EndOfBody,
    /// The token receiver went away.
    Cancelled,
}

/// Reads a streamed (server-sent events) body: decodes events, lets `on_event` interpret each,
/// appends text to `text` and forwards it to `tokens`.
pub(crate) async fn read_event_stream(
    transport: &transport::Transport,
    mut response: reqwest::Response,
    deadline: tokio::time::Instant,
    tokens: &tokio::sync::mpsc::Sender<crate::StreamPiece>,
    text: &mut String,
    mut on_event: impl FnMut(sse::SseEvent) -> Result<StreamStep, crate::LlmError>,
) -> Result<StreamEnd, crate::LlmError> {
    let mut decoder = sse::SseDecoder::new(transport.options().max_response_bytes);
    loop {
        let events = match transport
            .next_chunk(&mut response, deadline, Some(tokens))
            .await?
        {
            transport::ReadOutcome::Chunk(bytes) => decoder
                .push(&bytes)
                .map_err(|error| transport.protocol(error.to_string()))?,
            transport::ReadOutcome::Cancelled => return Ok(StreamEnd::Cancelled),
            transport::ReadOutcome::End => {
                let last = decoder
                    .finish()
                    .map_err(|error| transport.protocol(error.to_string()))?;
                if let Some(event) = last {
                    match on_event(event)? {
                        StreamStep::Text(piece) => text.push_str(&piece),
                        StreamStep::Nothing => {}
                        StreamStep::Done => return Ok(StreamEnd::Done),
                    }
                }
                return Ok(StreamEnd::EndOfBody);
            }
        };
        for event in events {
            match on_event(event)? {
                StreamStep::Text(piece) if piece.is_empty() => {}
                StreamStep::Text(piece) => {
                    text.push_str(&piece);
                    if tokens.send(crate::StreamPiece::Text(piece)).await.is_err() {
                        return Ok(StreamEnd::Cancelled);
                    }
                }
                StreamStep::Nothing => {}
                StreamStep::Done => return Ok(StreamEnd::Done),
            }
        }
    }
}
