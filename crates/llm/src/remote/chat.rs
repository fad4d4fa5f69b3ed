//! One chat call to a remote model, whatever its wire format: post the request (retries and
//! timeouts are the transport's), then read the answer whole or as server-sent events, forward
//! streamed text, and fill in the [`Generation`]. A [`WireFormat`] supplies only what differs
//! between APIs: path, headers, request body and how to read replies and stream events.

use super::sse::{SseDecoder, SseEvent};
use super::transport::{ReadOutcome, Transport};
use super::RemoteOptions;
use crate::{FinishReason, Generation, GenerationRequest, LlmError, LlmProvider, StreamPiece};
use async_trait::async_trait;
use reqwest::header::HeaderMap;

/// What one remote chat API says on the wire. Implemented by a zero-sized type per API.
pub(crate) trait WireFormat: std::fmt::Debug + Send + Sync + 'static {
    /// Reads one streamed answer; a fresh one per call.
    type Stream: StreamReader;
    /// The provider name's prefix, as in `openai:gpt-4o-mini`.
    const NAME_PREFIX: &'static str;
    /// The endpoint under the base URL.
    const PATH: &'static str;

    /// Authentication and version headers.
    fn headers(&self, provider: &str, options: &RemoteOptions) -> Result<HeaderMap, LlmError>;

    /// The request body, as the API documents it.
    fn request_body(
        &self,
        options: &RemoteOptions,
        request: &GenerationRequest,
        stream: bool,
    ) -> serde_json::Value;

    /// Reads a whole (non-streamed) reply body.
    fn parse_reply(&self, transport: &Transport, body: &[u8]) -> Result<Reply, LlmError>;

    /// A reader for one streamed answer.
    fn stream_reader(&self) -> Self::Stream;
}

/// A non-streamed answer, read from its body.
pub(crate) struct Reply {
    pub text: String,
    pub finish_reason: FinishReason,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

/// Interprets the events of one streamed answer and keeps its metadata (finish reason, usage).
pub(crate) trait StreamReader: Send {
    /// What one event means.
    fn on_event(&mut self, transport: &Transport, event: SseEvent) -> Result<StreamStep, LlmError>;

    /// Why the answer ended, once the stream ended by itself (`Done` or `EndOfBody`); an error
    /// when the API's end marker is missing and the answer may be cut short.
    fn finish_reason(
        &self,
        transport: &Transport,
        end: StreamEnd,
    ) -> Result<FinishReason, LlmError>;

    /// `(prompt, completion)` tokens as far as the events told.
    fn token_counts(&self) -> (u32, u32);
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

/// A model behind a remote chat API of wire format `W`. The public names are aliases:
/// [`super::OpenAiCompatibleProvider`] and [`super::AnthropicProvider`].
#[derive(Debug)]
pub struct RemoteChatProvider<W> {
    wire: W,
    transport: Transport,
    name: String,
}

/// A provider speaking `wire` to `options.model` at `options.base_url`. Builds the HTTP client;
/// sends nothing yet.
pub(crate) fn connect<W: WireFormat>(
    wire: W,
    options: RemoteOptions,
) -> Result<RemoteChatProvider<W>, LlmError> {
    let name = format!("{}:{}", W::NAME_PREFIX, options.model);
    Ok(RemoteChatProvider {
        wire,
        transport: Transport::new(name.clone(), options)?,
        name,
    })
}

#[async_trait]
impl<W: WireFormat> LlmProvider for RemoteChatProvider<W> {
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
        tokens: Option<tokio::sync::mpsc::Sender<StreamPiece>>,
    ) -> Result<Generation, LlmError> {
        let transport = &self.transport;
        let (response, deadline, clock) = transport
            .post_json(
                W::PATH,
                self.wire.headers(&self.name, transport.options())?,
                &self
                    .wire
                    .request_body(transport.options(), &request, tokens.is_some()),
            )
            .await?;
        let mut generation = clock.empty_generation(&self.name);
        match tokens {
            None => {
                let body = transport.read_body(response, deadline).await?;
                let reply = self.wire.parse_reply(transport, &body)?;
                generation.text = reply.text;
                generation.finish_reason = reply.finish_reason;
                generation.prompt_tokens = reply.prompt_tokens;
                generation.completion_tokens = reply.completion_tokens;
            }
            Some(sender) => {
                let mut reader = self.wire.stream_reader();
                let mut text = String::new();
                let end =
                    read_event_stream(transport, response, deadline, &sender, &mut text, |event| {
                        reader.on_event(transport, event)
                    })
                    .await?;
                generation.text = text;
                generation.finish_reason = match end {
                    StreamEnd::Cancelled => FinishReason::Cancelled,
                    StreamEnd::Done | StreamEnd::EndOfBody => {
                        reader.finish_reason(transport, end)?
                    }
                };
                (generation.prompt_tokens, generation.completion_tokens) = reader.token_counts();
            }
        }
        generation.generation_seconds = clock.generation_seconds();
        Ok(generation)
    }
}

/// Reads a streamed (server-sent events) body: decodes events, lets `on_event` interpret each,
/// appends text to `text` and forwards it to `tokens`.
async fn read_event_stream(
    transport: &Transport,
    mut response: reqwest::Response,
    deadline: tokio::time::Instant,
    tokens: &tokio::sync::mpsc::Sender<StreamPiece>,
    text: &mut String,
    mut on_event: impl FnMut(SseEvent) -> Result<StreamStep, LlmError>,
) -> Result<StreamEnd, LlmError> {
    let mut decoder = SseDecoder::new(transport.options().max_response_bytes);
    loop {
        let events = match transport
            .next_chunk(&mut response, deadline, Some(tokens))
            .await?
        {
            ReadOutcome::Chunk(bytes) => decoder
                .push(&bytes)
                .map_err(|error| transport.protocol(error.to_string()))?,
            ReadOutcome::Cancelled => return Ok(StreamEnd::Cancelled),
            ReadOutcome::End => {
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
                    if tokens.send(StreamPiece::Text(piece)).await.is_err() {
                        return Ok(StreamEnd::Cancelled);
                    }
                }
                StreamStep::Nothing => {}
                StreamStep::Done => return Ok(StreamEnd::Done),
            }
        }
    }
}
