//! The Anthropic Messages API (`POST {base}/messages` with `x-api-key` and
//! `anthropic-version`), streamed as `message_start`, `content_block_delta`, `message_delta` and
//! `message_stop` events.

use super::transport::Transport;
use super::{read_event_stream, RemoteOptions, StreamEnd, StreamStep};
use crate::{ChatRole, FinishReason, Generation, GenerationRequest, LlmError, LlmProvider};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

/// The API version this client speaks, sent as the `anthropic-version` header.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// A Claude model behind the Anthropic Messages API.
#[derive(Debug)]
pub struct AnthropicProvider {
    transport: Transport,
    name: String,
}

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
        let name = format!("anthropic:{}", options.model);
        Ok(Self {
            transport: Transport::new(name.clone(), options)?,
            name,
        })
    }

    /// The request body, as the API documents it: system messages go to `system`, the rest
    /// alternate user/assistant (consecutive messages of one role are joined, as the API wants).
    pub fn request_body(&self, request: &GenerationRequest, stream: bool) -> serde_json::Value {
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
            "model": self.transport.options().model,
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

    fn headers(&self) -> Result<reqwest::header::HeaderMap, LlmError> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "anthropic-version",
            reqwest::header::HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        if let Some(key) = &self.transport.options().api_key {
            headers.insert("x-api-key", super::header_value(&self.name, key.expose())?);
        }
        Ok(headers)
    }
}

#[async_trait]
impl LlmProvider for AnthropicProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn context_tokens(&self) -> usize {
        self.transport.options().context_tokens
    }

    /// Hosted chat models keep to a JSON shape when asked to.
    fn follows_structured_instructions(&self) -> bool {
        true
    }

    async fn generate(
        &self,
        request: GenerationRequest,
        tokens: Option<tokio::sync::mpsc::Sender<crate::StreamPiece>>,
    ) -> Result<Generation, LlmError> {
        let transport = &self.transport;
        let (response, deadline, clock) = transport
            .post_json(
                "messages",
                self.headers()?,
                &self.request_body(&request, tokens.is_some()),
            )
            .await?;
        let mut generation = clock.empty_generation(&self.name);
        match tokens {
            None => {
                let bytes = transport.read_body(response, deadline).await?;
                let message: Message = serde_json::from_slice(&bytes).map_err(|error| {
                    transport.protocol(format!("message is not the documented JSON: {error}"))
                })?;
                generation.text = message
                    .content
                    .iter()
                    .filter(|block| block.kind == "text")
                    .filter_map(|block| block.text.as_deref())
                    .collect();
                generation.finish_reason = finish_reason(message.stop_reason.as_deref());
                generation.prompt_tokens = message.usage.input_tokens.unwrap_or(0);
                generation.completion_tokens = message.usage.output_tokens.unwrap_or(0);
            }
            Some(sender) => {
                let mut input_tokens = 0;
                let mut output_tokens = 0;
                let mut reason = None;
                let mut text = String::new();
                let end =
                    read_event_stream(transport, response, deadline, &sender, &mut text, |event| {
                        let parsed: Event = serde_json::from_str(&event.data).map_err(|error| {
                            transport.protocol(format!("stream event is not JSON: {error}"))
                        })?;
                        match parsed.kind.as_str() {
                            "message_start" => {
                                if let Some(usage) = parsed.message.map(|message| message.usage) {
                                    input_tokens = usage.input_tokens.unwrap_or(input_tokens);
                                    output_tokens = usage.output_tokens.unwrap_or(output_tokens);
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
                                    reason = delta.stop_reason.or(reason.take());
                                }
                                if let Some(usage) = parsed.usage {
                                    // `output_tokens` here is cumulative for the message.
                                    output_tokens = usage.output_tokens.unwrap_or(output_tokens);
                                    input_tokens = usage.input_tokens.unwrap_or(input_tokens);
                                }
                                Ok(StreamStep::Nothing)
                            }
                            "message_stop" => Ok(StreamStep::Done),
                            "error" => Err(transport.protocol(format!(
                                "error event: {}",
                                parsed.error.unwrap_or_default()
                            ))),
                            // ping, content_block_start/stop, and event types added later.
                            _ => Ok(StreamStep::Nothing),
                        }
                    })
                    .await?;
                generation.text = text;
                generation.finish_reason = match end {
                    StreamEnd::Cancelled => FinishReason::Cancelled,
                    StreamEnd::EndOfBody => {
                        return Err(transport.protocol("stream ended before message_stop"));
                    }
                    StreamEnd::Done => finish_reason(reason.as_deref()),
                };
                generation.prompt_tokens = input_tokens;
                generation.completion_tokens = output_tokens;
            }
        }
        generation.generation_seconds = clock.generation_seconds();
        Ok(generation)
    }
}
