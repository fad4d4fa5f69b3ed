//! The text-generation seam: chat messages in, generated text out, optionally streamed.

use crate::LlmError;
use async_trait::async_trait;

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    /// Instructions that frame the conversation.
    System,
    /// The person asking.
    User,
    /// The model.
    Assistant,
}

impl ChatRole {
    /// The role's name as chat templates and OpenAI-compatible APIs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatRole::System => "system",
            ChatRole::User => "user",
            ChatRole::Assistant => "assistant",
        }
    }
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: ChatRole,
    /// What it says.
    pub content: String,
}

impl ChatMessage {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::System,
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::User,
            content: content.into(),
        }
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::Assistant,
            content: content.into(),
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GenerationRequest {
    /// The conversation so far; the model answers as the assistant.
    pub messages: Vec<ChatMessage>,
    /// Upper bound on generated tokens.
    pub max_tokens: u32,
    /// Sampling temperature; 0 means greedy (deterministic) decoding.
    pub temperature: f32,
    /// Generation stops before any of these strings; they are not part of the returned text.
    pub stop: Vec<String>,
    /// Whether a fallback model may answer when the configured one fails. False for work only
    /// a capable model can do (proposing hypotheses as strict JSON): a small fallback's answer
    /// would be discarded anyway, after costing CPU time.
    #[serde(default = "allow_fallback_by_default")]
    pub allow_fallback: bool,
}

fn allow_fallback_by_default() -> bool {
    true
}

impl GenerationRequest {
    /// A greedy request for at most `max_tokens` tokens with no extra stop strings.
    pub fn greedy(messages: Vec<ChatMessage>, max_tokens: u32) -> Self {
        Self {
            messages,
            max_tokens,
            temperature: 0.0,
            stop: Vec::new(),
            allow_fallback: true,
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FinishReason {
    /// The model ended its turn or produced a stop string.
    Stop,
    /// `max_tokens` (or the context window) was reached.
    Length,
    /// The receiver of streamed tokens went away.
    Cancelled,
}

/// The result of one generation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Generation {
    /// The generated text, without the end-of-turn marker or stop strings.
    pub text: String,
    /// The provider's model name.
    pub model: String,
    /// Tokens in the prompt as fed to the model (after any truncation).
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub completion_tokens: u32,
    /// Why generation ended.
    pub finish_reason: FinishReason,
    /// Wall time spent processing the prompt.
    pub prompt_seconds: f64,
    /// Wall time spent generating after the prompt.
    pub generation_seconds: f64,
    /// Set when the configured provider failed and a fallback model wrote this text: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
}

/// One message on a generation's token stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamPiece {
    /// Text to append to what was streamed so far.
    Text(String),
    /// Discard everything streamed so far: the provider that wrote it failed part-way and
    /// another one starts the answer over; its text follows.
    Reset {
        /// Why (an error message, never content).
        reason: String,
    },
}

/// A text-generation backend, held as `Arc<dyn LlmProvider>` by the engine.
#[async_trait]
pub trait LlmProvider: Send + Sync + 'static {
    /// The model's name, for example `embedded:smollm2-135m-instruct`.
    fn name(&self) -> &str;

    /// The context window in tokens (prompt plus generated tokens).
    fn context_tokens(&self) -> usize;

    /// True when the model keeps to a strict JSON shape and reasons over a list of findings
    /// well enough to propose hypotheses of its own. The remote models do; the embedded
    /// 135M-parameter model does not (it loses the shape and repeats the prompt), so the
    /// default is false.
    fn follows_structured_instructions(&self) -> bool {
        false
    }

    /// Generates the assistant's answer to `request.messages`.
    ///
    /// tokens: when Some, each decoded text piece is sent as soon as it is generated (as
    /// [`StreamPiece::Text`]); when the receiver is dropped, generation stops (that is how a
    /// client going away cancels it) with [`FinishReason::Cancelled`].
    async fn generate(
        &self,
        request: GenerationRequest,
        tokens: Option<tokio::sync::mpsc::Sender<StreamPiece>>,
    ) -> Result<Generation, LlmError>;
}
