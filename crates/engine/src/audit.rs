//! The audit trail of model calls and uploads: every prompt the engine sends is recorded by
//! size and SHA-256 with the provider, tokens, latency and outcome, never by content.

use faultmaven_llm::{FinishReason, Generation, GenerationRequest, LlmError, LlmProvider};
use faultmaven_model::{AttachmentSummary, SessionId, Timestamp};
use faultmaven_store::{AuditAction, AuditEvent, AuditLog};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

/// The bytes that describe a prompt: its messages as JSON, the form every provider serialises
/// them from. The audit stores their length and hash.
pub(crate) fn prompt_bytes(request: &GenerationRequest) -> Vec<u8> {
    serde_json::to_vec(&request.messages).unwrap_or_default()
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

fn now() -> Timestamp {
    Timestamp::from(chrono::Utc::now())
}

/// A provider whose every call is written to the audit log. Built per request, so the events
/// carry the request's session.
pub(crate) struct AuditedLlm {
    pub inner: Arc<dyn LlmProvider>,
    pub audit: Arc<dyn AuditLog>,
    pub session_id: SessionId,
}

#[async_trait::async_trait]
impl LlmProvider for AuditedLlm {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn context_tokens(&self) -> usize {
        self.inner.context_tokens()
    }

    async fn generate(
        &self,
        request: GenerationRequest,
        tokens: Option<tokio::sync::mpsc::Sender<String>>,
    ) -> Result<Generation, LlmError> {
        let prompt = prompt_bytes(&request);
        let started = Instant::now();
        let result = self.inner.generate(request, tokens).await;
        let mut event = AuditEvent {
            at: now(),
            action: AuditAction::LlmCall,
            session_id: Some(self.session_id.as_str().to_owned()),
            provider: self.inner.name().to_owned(),
            model: self.inner.name().to_owned(),
            bytes: prompt.len() as u64,
            sha256: Some(sha256_hex(&prompt)),
            tokens_in: 0,
            tokens_out: 0,
            latency_ms: started.elapsed().as_millis() as u64,
            outcome: "ok".into(),
            detail: None,
        };
        match &result {
            Ok(generation) => {
                event.model = generation.model.clone();
                event.tokens_in = generation.prompt_tokens.into();
                event.tokens_out = generation.completion_tokens.into();
                if generation.finish_reason == FinishReason::Cancelled {
                    event.outcome = "cancelled".into();
                } else if let Some(reason) = &generation.fallback_reason {
                    event.outcome = "fallback".into();
                    event.detail = Some(reason.clone());
                }
            }
            Err(error) => {
                event.outcome = "error".into();
                event.detail = Some(error.to_string());
            }
        }
        record(self.audit.as_ref(), &event).await;
        result
    }
}

/// Records the request's uploads: format, size and records parsed (the bytes themselves were
/// only ever in memory).
pub(crate) async fn record_uploads(
    audit: &dyn AuditLog,
    session_id: &SessionId,
    attachments: &[AttachmentSummary],
) {
    for attachment in attachments {
        let event = AuditEvent {
            at: now(),
            action: AuditAction::Upload,
            session_id: Some(session_id.as_str().to_owned()),
            provider: attachment.format.clone(),
            model: attachment.id.to_string(),
            bytes: attachment.bytes,
            sha256: None,
            tokens_in: attachment.records,
            tokens_out: 0,
            latency_ms: 0,
            outcome: "ok".into(),
            detail: None,
        };
        record(audit, &event).await;
    }
}

/// A failed audit write does not fail the engineer's request; it is logged as an error so the
/// operator sees the gap.
async fn record(audit: &dyn AuditLog, event: &AuditEvent) {
    if let Err(error) = audit.record(event).await {
        tracing::error!(%error, action = event.action.as_str(), "audit event not recorded");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_standard_test_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
