//! The OpenAI-compatible chat completions API (`POST {base}/chat/completions`), spoken by
//! OpenAI, vLLM, Ollama, LM Studio, LiteLLM and others; streamed as server-sent events of
//! `chat.completion.chunk` objects ending with `data: [DONE]`.

use super::chat::{
    self, RemoteChatProvider, Reply, StreamEnd, StreamReader, StreamStep, WireFormat,
};
use super::sse::SseEvent;
use super::transport::Transport;
use super::RemoteOptions;
use crate::{FinishReason, GenerationRequest, LlmError};
use serde::Deserialize;
use serde_json::json;

/// A model behind an OpenAI-compatible `/chat/completions` endpoint.
pub type OpenAiCompatibleProvider = RemoteChatProvider<OpenAiChatCompletions>;

/// The OpenAI chat completions wire format.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenAiChatCompletions;

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<CompletionChoice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct CompletionChoice {
    message: CompletionMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct CompletionMessage {
    content: Option<String>,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    usage: Option<Usage>,
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<ChunkDelta>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChunkDelta {
    content: Option<String>,
}

fn finish_reason(reason: Option<&str>) -> FinishReason {
    match reason {
        Some("length") => FinishReason::Length,
        _ => FinishReason::Stop,
    }
}

impl OpenAiCompatibleProvider {
    /// A provider for `options.model` at `options.base_url`. Builds the HTTP client; sends
    /// nothing yet.
    pub fn new(options: RemoteOptions) -> Result<Self, LlmError> {
        chat::connect(OpenAiChatCompletions, options)
    }
}

impl WireFormat for OpenAiChatCompletions {
    type Stream = OpenAiStream;
    const NAME_PREFIX: &'static str = "openai";
    const PATH: &'static str = "chat/completions";

    fn request_body(
        &self,
        options: &RemoteOptions,
        request: &GenerationRequest,
        stream: bool,
    ) -> serde_json::Value {
        let messages: Vec<serde_json::Value> = request
            .messages
            .iter()
            .map(|message| json!({"role": message.role.as_str(), "content": message.content}))
            .collect();
        let mut body = json!({
            "model": options.model,
            "messages": messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": stream,
        });
        if !request.stop.is_empty() {
            body["stop"] = json!(request.stop);
        }
        if stream {
            // Without this, streamed answers carry no token counts.
            body["stream_options"] = json!({"include_usage": true});
        }
        body
    }

    fn headers(
        &self,
        provider: &str,
        options: &RemoteOptions,
    ) -> Result<reqwest::header::HeaderMap, LlmError> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(key) = &options.api_key {
            headers.insert(
                reqwest::header::AUTHORIZATION,
                super::header_value(provider, &format!("Bearer {}", key.expose()))?,
            );
        }
        Ok(headers)
    }

    fn parse_reply(&self, transport: &Transport, body: &[u8]) -> Result<Reply, LlmError> {
        let completion: Completion = serde_json::from_slice(body).map_err(|error| {
            transport.protocol(format!("completion is not the documented JSON: {error}"))
        })?;
        let choice = completion
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| transport.protocol("completion has no choices"))?;
        let (prompt_tokens, completion_tokens) = completion.usage.map_or((0, 0), |usage| {
            (usage.prompt_tokens, usage.completion_tokens)
        });
        Ok(Reply {
            text: choice.message.content.unwrap_or_default(),
            finish_reason: finish_reason(choice.finish_reason.as_deref()),
            prompt_tokens,
            completion_tokens,
        })
    }

    fn stream_reader(&self) -> OpenAiStream {
        OpenAiStream::default()
    }
}

/// What the chunks of one streamed completion said so far.
#[derive(Default)]
pub(crate) struct OpenAiStream {
    usage: Option<Usage>,
    finish_reason: Option<String>,
    content_chunks: u32,
}

impl StreamReader for OpenAiStream {
    fn on_event(&mut self, transport: &Transport, event: SseEvent) -> Result<StreamStep, LlmError> {
        if event.data.trim() == "[DONE]" {
            return Ok(StreamStep::Done);
        }
        let chunk: Chunk = serde_json::from_str(&event.data)
            .map_err(|error| transport.protocol(format!("stream chunk is not JSON: {error}")))?;
        if let Some(error) = chunk.error {
            return Err(transport.protocol(format!("error in stream: {error}")));
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        let mut piece = String::new();
        for choice in chunk.choices {
            if let Some(content) = choice.delta.and_then(|delta| delta.content) {
                piece.push_str(&content);
            }
            if choice.finish_reason.is_some() {
                self.finish_reason = choice.finish_reason;
            }
        }
        if !piece.is_empty() {
            self.content_chunks += 1;
        }
        Ok(StreamStep::Text(piece))
    }

    /// A body that ends without `[DONE]` but after a chunk with a finish reason is complete: the
    /// answer said it was finished.
    fn finish_reason(
        &self,
        transport: &Transport,
        end: StreamEnd,
    ) -> Result<FinishReason, LlmError> {
        match end {
            StreamEnd::EndOfBody if self.finish_reason.is_none() => {
                Err(transport.protocol("stream ended before [DONE]"))
            }
            _ => Ok(finish_reason(self.finish_reason.as_deref())),
        }
    }

    fn token_counts(&self) -> (u32, u32) {
        match &self.usage {
            Some(usage) => (usage.prompt_tokens, usage.completion_tokens),
            // Servers that ignore `stream_options` send no usage; they send one content chunk
            // per token, so the chunk count is the best estimate there is.
            None => (0, self.content_chunks),
        }
    }
}
