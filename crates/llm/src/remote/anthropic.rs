//! The Anthropic Messages API (`POST {base}/messages` with `x-api-key` and
//! `anthropic-version`), streamed as `message_start`, `content_block_delta`, `message_delta` and
//! `message_stop` events.

use super::chat::{
    self, RemoteChatProvider, Reply, StreamEnd, StreamReader, StreamStep, WireFormat,
};
use super::sse::SseEvent;
use super::transport::Transport;
use super::RemoteOptions;
use crate::{ChatRole, FinishReason, GenerationRequest, LlmError};
use serde::Deserialize;
use serde_json::json;

/// The API version this client speaks, sent as the `anthropic-version` header.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// A Claude model behind the Anthropic Messages API.
pub type AnthropicProvider = RemoteChatProvider<AnthropicMessages>;

/// The Anthropic Messages wire format.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnthropicMessages;

#[derive(Deserialize, Default)]
struct Usage {
    #[serde(default)]
    input_tokens: Option<u32>,
    #[serde(default)]
    output_tokens: Option<u32>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Vec<ContentBlock>,
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Usage,
}

#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

/// One streamed event's data; its `type` repeats the SSE event name.
#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    message: Option<Message>,
    delta: Option<EventDelta>,
    usage: Option<Usage>,
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct EventDelta {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    stop_reason: Option<String>,
}

fn finish_reason(reason: Option<&str>) -> FinishReason {
    match reason {
        Some("max_tokens") => FinishReason::Length,
        _ => FinishReason::Stop,
    }
}

impl AnthropicProvider {
    /// A provider for `options.model` at `options.base_url` (for example
    /// `https://api.anthropic.com/v1`). Builds the HTTP client; sends nothing yet.
    pub fn new(options: RemoteOptions) -> Result<Self, LlmError> {
        chat::connect(AnthropicMessages, options)
    }
}

impl WireFormat for AnthropicMessages {
    type Stream = AnthropicStream;
    const NAME_PREFIX: &'static str = "anthropic";
    const PATH: &'static str = "messages";

    /// System messages go to `system`, the rest alternate user/assistant (consecutive messages
    /// of one role are joined, as the API wants).
    fn request_body(
        &self,
        options: &RemoteOptions,
        request: &GenerationRequest,
        stream: bool,
    ) -> serde_json::Value {
        let system: Vec<&str> = request
            .messages
            .iter()
            .filter(|message| message.role == ChatRole::System)
            .map(|message| message.content.as_str())
            .collect();
        let mut messages: Vec<(ChatRole, String)> = Vec::new();
        for message in request
            .messages
            .iter()
            .filter(|message| message.role != ChatRole::System)
        {
            match messages.last_mut() {
                Some((role, content)) if *role == message.role => {
                    content.push_str("\n\n");
                    content.push_str(&message.content);
                }
                _ => messages.push((message.role, message.content.clone())),
            }
        }
        let messages: Vec<serde_json::Value> = messages
            .into_iter()
            .map(|(role, content)| json!({"role": role.as_str(), "content": content}))
            .collect();
        let mut body = json!({
            "model": options.model,
            "max_tokens": request.max_tokens,
            "messages": messages,
            "temperature": request.temperature,
            "stream": stream,
        });
        if !system.is_empty() {
            body["system"] = json!(system.join("\n\n"));
        }
        if !request.stop.is_empty() {
            body["stop_sequences"] = json!(request.stop);
        }
        body
    }

    fn headers(
        &self,
        provider: &str,
        options: &RemoteOptions,
    ) -> Result<reqwest::header::HeaderMap, LlmError> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "anthropic-version",
            reqwest::header::HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        if let Some(key) = &options.api_key {
            headers.insert("x-api-key", super::header_value(provider, key.expose())?);
        }
        Ok(headers)
    }

    fn parse_reply(&self, transport: &Transport, body: &[u8]) -> Result<Reply, LlmError> {
        let message: Message = serde_json::from_slice(body).map_err(|error| {
            transport.protocol(format!("message is not the documented JSON: {error}"))
        })?;
        Ok(Reply {
            text: message
                .content
                .iter()
                .filter(|block| block.kind == "text")
                .filter_map(|block| block.text.as_deref())
                .collect(),
            finish_reason: finish_reason(message.stop_reason.as_deref()),
            prompt_tokens: message.usage.input_tokens.unwrap_or(0),
            completion_tokens: message.usage.output_tokens.unwrap_or(0),
        })
    }

    fn stream_reader(&self) -> AnthropicStream {
        AnthropicStream::default()
    }
}

/// What the events of one streamed message said so far.
#[derive(Debug, Default)]
pub(crate) struct AnthropicStream {
    input_tokens: u32,
    output_tokens: u32,
    stop_reason: Option<String>,
}

impl StreamReader for AnthropicStream {
    fn on_event(&mut self, transport: &Transport, event: SseEvent) -> Result<StreamStep, LlmError> {
        let parsed: Event = serde_json::from_str(&event.data)
            .map_err(|error| transport.protocol(format!("stream event is not JSON: {error}")))?;
        match parsed.kind.as_str() {
            "message_start" => {
                if let Some(usage) = parsed.message.map(|message| message.usage) {
                    self.input_tokens = usage.input_tokens.unwrap_or(self.input_tokens);
                    self.output_tokens = usage.output_tokens.unwrap_or(self.output_tokens);
                }
                Ok(StreamStep::Nothing)
            }
            "content_block_delta" => match parsed.delta {
                Some(EventDelta {
                    kind: Some(kind),
                    text: Some(piece),
                    ..
                }) if kind == "text_delta" => Ok(StreamStep::Text(piece)),
                // Tool-use JSON and thinking deltas are not part of the text.
                _ => Ok(StreamStep::Nothing),
            },
            "message_delta" => {
                if let Some(delta) = parsed.delta {
                    self.stop_reason = delta.stop_reason.or(self.stop_reason.take());
                }
                if let Some(usage) = parsed.usage {
                    // `output_tokens` here is cumulative for the message.
                    self.output_tokens = usage.output_tokens.unwrap_or(self.output_tokens);
                    self.input_tokens = usage.input_tokens.unwrap_or(self.input_tokens);
                }
                Ok(StreamStep::Nothing)
            }
            "message_stop" => Ok(StreamStep::Done),
            "error" => {
                Err(transport
                    .protocol(format!("error event: {}", parsed.error.unwrap_or_default())))
            }
            // ping, content_block_start/stop, and event types added later.
            _ => Ok(StreamStep::Nothing),
        }
    }

    fn finish_reason(
        &self,
        transport: &Transport,
        end: StreamEnd,
    ) -> Result<FinishReason, LlmError> {
        match end {
            StreamEnd::Done => Ok(finish_reason(self.stop_reason.as_deref())),
            StreamEnd::EndOfBody | StreamEnd::Cancelled => {
                Err(transport.protocol("stream ended before message_stop"))
            }
        }
    }

    fn token_counts(&self) -> (u32, u32) {
        (self.input_tokens, self.output_tokens)
    }
}
