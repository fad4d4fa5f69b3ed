//! Falls back from a primary (remote) model to another (the embedded one) when the primary
//! fails, and says so in the generation's `fallback_reason`.

use crate::{Generation, GenerationRequest, LlmError, LlmErrorKind, LlmProvider};
use async_trait::async_trait;
use std::sync::Arc;

/// Tries `primary`; when it fails (unreachable, timed out, rate limited past its retries,
/// refused, malformed answer), asks `fallback` with the same request.
///
/// Tokens streamed by the primary before it failed have already reached the receiver; the
/// fallback's tokens follow them, and the returned [`Generation::text`] is the fallback's alone.
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

    fn context_tokens(&self) -> usize {
        // The prompt must fit whichever model ends up reading it.
        self.primary
            .context_tokens()
            .min(self.fallback.context_tokens())
    }

    async fn generate(
        &self,
        request: GenerationRequest,
        tokens: Option<tokio::sync::mpsc::Sender<String>>,
    ) -> Result<Generation, LlmError> {
        let error = match self.primary.generate(request.clone(), tokens.clone()).await {
            Ok(generation) => return Ok(generation),
            // The caller went away: nobody wants the fallback's answer either.
            Err(error) if error.kind() == LlmErrorKind::Cancelled => return Err(error),
            Err(error) => error,
        };
        tracing::warn!(
            primary = self.primary.name(),
            fallback = self.fallback.name(),
            %error,
            "remote model failed; falling back"
        );
        let mut generation = self.fallback.generate(request, tokens).await?;
        generation.fallback_reason = Some(format!("{} failed: {error}", self.primary.name()));
        Ok(generation)
    }
}
