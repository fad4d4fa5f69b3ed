//! Falls back from a primary (remote) model to another (the embedded one) when the primary
//! fails, and says so in the generation's `fallback_reason`.

use crate::{Generation, GenerationRequest, LlmError, LlmErrorKind, LlmProvider, StreamPiece};
use async_trait::async_trait;
use std::sync::Arc;

/// Tries `primary`; when it fails (unreachable, timed out, rate limited past its retries,
/// refused, malformed answer), asks `fallback` with the same request.
///
/// Tokens streamed by the primary before it failed have already reached the receiver: when
/// there were any, a [`StreamPiece::Reset`] tells the receiver to discard them before the
/// fallback's tokens follow. The returned [`Generation::text`] is the fallback's alone.
pub struct FallbackProvider {
    primary: Arc<dyn LlmProvider>,
    fallback: Arc<dyn LlmProvider>,
}

impl FallbackProvider {
    /// `primary`, falling back to `fallback`.
    pub fn new(primary: Arc<dyn LlmProvider>, fallback: Arc<dyn LlmProvider>) -> Self {
        Self { primary, fallback }
    }
}

#[async_trait]
impl LlmProvider for FallbackProvider {
    /// The primary's name: it is the provider the prompt goes to first.
    fn name(&self) -> &str {
        self.primary.name()
    }

    /// The primary's: it is asked first, and work it alone can do is not sent to the fallback
    /// (see [`GenerationRequest::allow_fallback`]).
    fn follows_structured_instructions(&self) -> bool {
        self.primary.follows_structured_instructions()
    }

    fn context_tokens(&self) -> usize {
        // The prompt must fit whichever model ends up reading it.
        self.primary
            .context_tokens()
            .min(self.fallback.context_tokens())
    }

    async fn generate(
        &self,
        request: GenerationRequest,
        tokens: Option<tokio::sync::mpsc::Sender<StreamPiece>>,
    ) -> Result<Generation, LlmError> {
        let (primary, streamed_text) = match &tokens {
            None => (self.primary.generate(request.clone(), None).await, false),
            Some(tokens) => self.primary_relayed(request.clone(), tokens).await,
        };
        let error = match primary {
            Ok(generation) => return Ok(generation),
            // The caller went away: nobody wants the fallback's answer either.
            Err(error) if error.kind() == LlmErrorKind::Cancelled => return Err(error),
            Err(error) if !request.allow_fallback => return Err(error),
            Err(error) => error,
        };
        tracing::warn!(
            primary = self.primary.name(),
            fallback = self.fallback.name(),
            %error,
            "remote model failed; falling back"
        );
        let reason = format!("{} failed: {error}", self.primary.name());
        if let (Some(tokens), true) = (&tokens, streamed_text) {
            let reset = StreamPiece::Reset {
                reason: reason.clone(),
            };
            if tokens.send(reset).await.is_err() {
                return Err(LlmError::Cancelled);
            }
        }
        let mut generation = self.fallback.generate(request, tokens).await?;
        generation.fallback_reason = Some(reason);
        Ok(generation)
    }
}

impl FallbackProvider {
    /// Runs the primary with its pieces relayed to `tokens`, noting whether any text got
    /// through. The relay ends when the receiver does, which closes the primary's sender and
    /// so cancels it, as if it held `tokens` itself.
    async fn primary_relayed(
        &self,
        request: GenerationRequest,
        tokens: &tokio::sync::mpsc::Sender<StreamPiece>,
    ) -> (Result<Generation, LlmError>, bool) {
        let (relay_sender, mut relay_receiver) = tokio::sync::mpsc::channel(1);
        let relay = async move {
            let mut streamed_text = false;
            while let Some(piece) = relay_receiver.recv().await {
                streamed_text |= matches!(&piece, StreamPiece::Text(text) if !text.is_empty());
                if tokens.send(piece).await.is_err() {
                    break;
                }
            }
            streamed_text
        };
        let (result, streamed_text) =
            tokio::join!(self.primary.generate(request, Some(relay_sender)), relay);
        (result, streamed_text)
    }
}
