//! Remote language models behind [`crate::LlmProvider`]: any OpenAI-compatible server (OpenAI,
//! vLLM, Ollama, LM Studio, LiteLLM) and the Anthropic Messages API, plus the
//! [`FallbackProvider`] that falls back to the embedded model when the remote one fails.
//!
//! Only redacted text reaches these providers: the engine builds prompts from redacted findings
//! and questions. What was sent where (sizes, hashes, never content) is the engine's audit
//! trail's business.

mod anthropic;
mod chat;
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
