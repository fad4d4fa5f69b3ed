//! The audit trail of model calls and uploads: every prompt the engine sends is recorded by
//! size and SHA-256 with the provider, tokens, latency and outcome, and every upload by the
//! size and SHA-256 of the bytes received, never by content.
//!
//! Failure policy. An audit trail that silently loses rows is not one, so the trail fails
//! closed wherever a row is the only record of data reaching someone:
//! - uploads: when their rows cannot be written the request fails (HTTP 503) before anything
//!   derived from the data is stored or shown to a model;
//! - model calls: an `llm_prompt` row is written *before* the prompt leaves; when it cannot be
//!   written the prompt is not sent (the engine writes the summary itself and says why).
//!
//! The `llm_call` row written after the call (tokens, latency, outcome) fails open: the prompt
//! row already proves who got what, and failing then would not un-send anything, only throw
//! away an answer the engineer needs; the gap is logged as an error for the operator.

use crate::intake::ReceivedUpload;
use faultmaven_llm::{
    FinishReason, Generation, GenerationRequest, LlmError, LlmProvider, StreamPiece,
};
use faultmaven_model::{AttachmentSummary, SessionId, Timestamp};
use faultmaven_store::{AuditAction, AuditEvent, AuditLog, StoreError};
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
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of a digest.
pub(crate) fn hex(digest: &[u8]) -> String {
    let mut hex = String::with_capacity(digest.len() * 2);
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

    fn follows_structured_instructions(&self) -> bool {
        self.inner.follows_structured_instructions()
    }

    async fn generate(
        &self,
        request: GenerationRequest,
        tokens: Option<tokio::sync::mpsc::Sender<StreamPiece>>,
    ) -> Result<Generation, LlmError> {
        let prompt = prompt_bytes(&request);
        let mut event = AuditEvent {
            at: now(),
            action: AuditAction::LlmPrompt,
            session_id: Some(self.session_id.as_str().to_owned()),
            provider: self.inner.name().to_owned(),
            model: self.inner.name().to_owned(),
            bytes: prompt.len() as u64,
            sha256: Some(sha256_hex(&prompt)),
            tokens_in: 0,
            tokens_out: 0,
            latency_ms: 0,
            outcome: "sent".into(),
            detail: None,
            records: None,
            decoded_bytes: None,
        };
        // Fail closed: a prompt the trail cannot record does not leave.
        if let Err(error) = self.audit.record(&event).await {
            tracing::error!(%error, "audit trail unavailable; the prompt was not sent");
            return Err(LlmError::InvalidRequest(format!(
                "not sent: the audit trail cannot record the prompt ({error})"
            )));
        }
        let started = Instant::now();
        let result = self.inner.generate(request, tokens).await;
        event.at = now();
        event.action = AuditAction::LlmCall;
        event.latency_ms = started.elapsed().as_millis() as u64;
        event.outcome = "ok".into();
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
        if let Err(error) = self.audit.record(&event).await {
            // Fails open (see the module comment): the prompt row already says who got what.
            tracing::error!(%error, "audit event of a finished model call not recorded");
        }
        result
    }
}

/// Records the request's uploads: format, size and SHA-256 as received, size after
/// decompression and records parsed (the bytes themselves were only ever in memory). Fails
/// closed: the caller fails the request when a row cannot be written.
pub(crate) async fn record_uploads(
    audit: &dyn AuditLog,
    session_id: &SessionId,
    attachments: &[AttachmentSummary],
    received: &[ReceivedUpload],
) -> Result<(), StoreError> {
    for (index, upload) in received.iter().enumerate() {
        // An archive's members have the ids from its own up to the next upload's.
        let first = upload.attachment.number();
        let end = received
            .get(index + 1)
            .map_or(u32::MAX, |next| next.attachment.number());
        let parts: Vec<&AttachmentSummary> = attachments
            .iter()
            .filter(|summary| (first..end).contains(&summary.id.number()))
            .collect();
        let format = parts
            .iter()
            .find(|summary| summary.id == upload.attachment)
            .map_or_else(|| "archive".to_owned(), |summary| summary.format.clone());
        let event = AuditEvent {
            at: now(),
            action: AuditAction::Upload,
            session_id: Some(session_id.as_str().to_owned()),
            provider: format,
            model: upload.attachment.to_string(),
            bytes: upload.bytes,
            sha256: Some(upload.sha256.clone()),
            tokens_in: 0,
            tokens_out: 0,
            latency_ms: 0,
            outcome: "ok".into(),
            detail: None,
            records: Some(parts.iter().map(|summary| summary.records).sum()),
            decoded_bytes: Some(parts.iter().map(|summary| summary.bytes).sum()),
        };
        audit.record(&event).await.inspect_err(|error| {
            tracing::error!(%error, "upload audit event not recorded; the request fails");
        })?;
    }
    Ok(())
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
