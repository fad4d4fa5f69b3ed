//! Helpers shared by the engine's integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use faultmaven_engine::{Engine, Investigation};
use faultmaven_model::AttachmentRole;

/// Starts a request with `question` and one incident upload `file_name` holding `log`, fed in
/// one chunk; the caller finishes it.
pub async fn with_log(
    engine: &Engine,
    question: &str,
    file_name: &str,
    log: &str,
) -> Investigation {
    let mut investigation = engine.begin(Some(question.into()), None).await.unwrap();
    investigation
        .begin_attachment(file_name, AttachmentRole::Incident)
        .await
        .unwrap();
    investigation
        .intake
        .feed(log.as_bytes().to_vec())
        .await
        .unwrap();
    investigation.intake.end_attachment().await.unwrap();
    investigation
}
