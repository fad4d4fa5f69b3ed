//! The OpenAI-compatible chat completions API (`POST {base}/chat/completions`), spoken by
//! OpenAI, vLLM, Ollama, LM Studio, LiteLLM and others; streamed as server-sent events of
//! `chat.completion.chunk` objects ending with `data: [DONE]`.

use super::transport::Transport;
use super::{read_event_stream, RemoteOptions, StreamEnd, StreamStep};
use crate::{FinishReason, Generation, GenerationRequest, LlmError, LlmProvider};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

/// A model behind an OpenAI-compatible `/chat/completions` endpoint.
#[derive(Debug)]
pub struct OpenAiCompatibleProvider {
    transport: Transport,
    name: String,
}

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
        let name = format!("openai:{}", options.model);
        Ok(Self {
            transport: Transport::new(name.clone(), options)?,
            name,
        })
    }

    /// The request body, as the API documents it.
    pub fn request_body(&self, request: &GenerationRequest, stream: bool) -> serde_json::Value {
        let options = self.transport.options();
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

    fn headers(&self) -> Result<reqwest::header::HeaderMap, LlmError> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(key) = &self.transport.options().api_key {
            headers.insert(
                reqwest::header::AUTHORIZATION,
                super::header_value(&self.name, &format!("Bearer {}", key.expose()))?,
            );
        }
        Ok(headers)
    }
}

#[async_trait]
impl LlmProvider for OpenAiCompatibleProvider {
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
                "chat/completions",
                self.headers()?,
                &self.request_body(&request, tokens.is_some()),
            )
            .await?;
        let mut generation = clock.empty_generation(&self.name);
        match tokens {
            None => {
                let bytes = transport.read_body(response, deadline).await?;
                let completion: Completion = serde_json::from_slice(&bytes).map_err(|error| {
                    transport.protocol(format!("completion is not the documented JSON: {error}"))
                })?;
                let choice = completion
                    .choices
                    .into_iter()
                    .next()
                    .ok_or_else(|| transport.protocol("completion has no choices"))?;
                generation.text = choice.message.content.unwrap_or_default();
                generation.finish_reason = finish_reason(choice.finish_reason.as_deref());
                if let Some(usage) = completion.usage {
                    generation.prompt_tokens = usage.prompt_tokens;
                    generation.completion_tokens = usage.completion_tokens;
                }
            }
            Some(sender) => {
                let mut usage = None;
                let mut reason = None;
                let mut content_chunks = 0u32;
                let mut text = String::new();
                let end =
                    read_event_stream(transport, response, deadline, &sender, &mut text, |event| {
                        if event.data.trim() == "[DONE]" {
                            return Ok(StreamStep::Done);
                        }
                        let chunk: Chunk = serde_json::from_str(&event.data).map_err(|error| {
                            transport.protocol(format!("stream chunk is not JSON: {error}"))
                        })?;
                        if let Some(error) = chunk.error {
                            return Err(transport.protocol(format!("error in stream: {error}")));
                        }
                        if chunk.usage.is_some() {
                            usage = chunk.usage;
                        }
                        let mut piece = String::new();
                        for choice in chunk.choices {
                            if let Some(content) = choice.delta.and_then(|delta| delta.content) {
                                piece.push_str(&content);
                            }
                            if choice.finish_reason.is_some() {
                                reason = choice.finish_reason;
                            }
                        }
                        if !piece.is_empty() {
                            content_chunks += 1;
                        }
                        Ok(StreamStep::Text(piece))
                    })
                    .await?;
                generation.text = text;
                match end {
                    StreamEnd::Cancelled => generation.finish_reason = FinishReason::Cancelled,
                    StreamEnd::EndOfBody if reason.is_none() => {
                        return Err(transport.protocol("stream ended before [DONE]"));
                    }
                    StreamEnd::Done | StreamEnd::EndOfBody => {
                        generation.finish_reason = finish_reason(reason.as_deref());
                    }
                }
                match usage {
                    Some(usage) => {
                        generation.prompt_tokens = usage.prompt_tokens;
                        generation.completion_tokens = usage.completion_tokens;
                    }
                    // Servers that ignore `stream_options` send no usage; they send one content
                    // chunk per token, so the chunk count is the best estimate there is.
                    None => generation.completion_tokens = content_chunks,
                }
            }
        }
        generation.generation_seconds = clock.generation_seconds();
        Ok(generation)
    }
}
