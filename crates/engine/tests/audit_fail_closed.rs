//! The audit trail fails closed: an upload the trail cannot record fails the request before
//! anything is stored, and a prompt it cannot record is never sent to the model.
#![allow(clippy::unwrap_used)]

mod common;

use async_trait::async_trait;
use faultmaven_engine::{Engine, EngineConfig, EngineErrorKind, EngineParts};
use faultmaven_knowledge::{builtin_runbooks, CaseLibrary, KnowledgeBase};
use faultmaven_llm::{FinishReason, Generation, GenerationRequest, LlmError, LlmProvider};
use faultmaven_store::{
    AuditAction, AuditEvent, AuditLog, InMemoryVectorIndex, SessionStore, SqliteAuditLog,
    SqliteSessionStore, StoreError,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const LOG: &str = "2024-05-01T14:03:01Z ERROR checkout connection refused\n\
2024-05-01T14:03:02Z ERROR checkout connection refused\n";

/// A real SQLite audit log that refuses to write one kind of event, as a full disk or a
/// locked database would.
struct RefusingAuditLog {
    inner: SqliteAuditLog,
    refused: AuditAction,
}

#[async_trait]
impl AuditLog for RefusingAuditLog {
    async fn record(&self, event: &AuditEvent) -> Result<(), StoreError> {
        if event.action == self.refused {
            return Err(StoreError::Unrepresentable("the audit disk is full".into()));
        }
        self.inner.record(event).await
    }

    async fn recent(&self, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        self.inner.recent(limit).await
    }
}

/// A model double that counts the prompts it receives.
#[derive(Default)]
struct CountingModel {
    calls: AtomicUsize,
}

#[async_trait]
impl LlmProvider for CountingModel {
    fn name(&self) -> &str {
        "test:counting"
    }

    fn context_tokens(&self) -> usize {
        4096
    }

    async fn generate(
        &self,
        _request: GenerationRequest,
        _tokens: Option<tokio::sync::mpsc::Sender<faultmaven_llm::StreamPiece>>,
    ) -> Result<Generation, LlmError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(Generation {
            text: "The model wrote this.".into(),
            model: "test:counting".into(),
            prompt_tokens: 10,
            completion_tokens: 5,
            finish_reason: FinishReason::Stop,
            prompt_seconds: 0.0,
            generation_seconds: 0.0,
            fallback_reason: None,
        })
    }
}

fn engine(
    refused: AuditAction,
) -> (
    Engine,
    Arc<SqliteSessionStore>,
    Arc<CountingModel>,
    SqliteAuditLog,
) {
    let store = Arc::new(SqliteSessionStore::in_memory().unwrap());
    let model = Arc::new(CountingModel::default());
    let log = SqliteAuditLog::in_memory().unwrap();
    let knowledge = KnowledgeBase::new(
        builtin_runbooks(),
        None,
        Arc::new(InMemoryVectorIndex::new()),
    )
    .unwrap();
    let engine = Engine::new(
        EngineConfig::default(),
        EngineParts {
            store: store.clone(),
            llm: Some(model.clone()),
            knowledge: Arc::new(knowledge),
            case_store: store.clone(),
            cases: Arc::new(
                CaseLibrary::new(Vec::new(), None, Arc::new(InMemoryVectorIndex::new())).unwrap(),
            ),
        },
    )
    .with_audit_log(Arc::new(RefusingAuditLog {
        inner: log.clone(),
        refused,
    }));
    (engine, store, model, log)
}

async fn investigate(
    engine: &Engine,
) -> Result<faultmaven_engine::TroubleshootOutcome, faultmaven_engine::EngineError> {
    common::with_log(engine, "why does checkout fail?", "app.log", LOG)
        .await
        .finish()
        .await
}

#[tokio::test]
async fn an_upload_the_trail_cannot_record_fails_the_request_and_stores_nothing() {
    let (engine, store, model, _log) = engine(AuditAction::Upload);
    let error = investigate(&engine).await.unwrap_err();
    assert_eq!(error.kind(), EngineErrorKind::Unavailable, "{error}");
    assert_eq!(
        model.calls.load(Ordering::SeqCst),
        0,
        "no model saw the data"
    );
    let swept = store
        .delete_expired(faultmaven_model::Timestamp::from_unix_nanos(i64::MAX))
        .await
        .unwrap();
    assert_eq!(swept, 0, "no session was stored");
}

#[tokio::test]
async fn a_prompt_the_trail_cannot_record_is_never_sent() {
    let (engine, _store, model, log) = engine(AuditAction::LlmPrompt);
    let outcome = investigate(&engine).await.unwrap();
    assert_eq!(model.calls.load(Ordering::SeqCst), 0);
    assert_eq!(outcome.provenance.provider, "none");
    let reason = outcome.provenance.fallback_reason.unwrap();
    assert!(reason.contains("audit trail"), "{reason}");
    assert!(!outcome.answer.contains("The model wrote this."));
    let rows = log.recent(10).await.unwrap();
    assert!(
        rows.iter().all(|r| r.action == AuditAction::Upload),
        "{rows:#?}"
    );
}

#[tokio::test]
async fn an_unrecorded_outcome_keeps_the_answer() {
    let (engine, _store, model, log) = engine(AuditAction::LlmCall);
    let outcome = investigate(&engine).await.unwrap();
    assert!(model.calls.load(Ordering::SeqCst) >= 1);
    assert!(outcome.answer.contains("The model wrote this."));
    let rows = log.recent(10).await.unwrap();
    assert!(rows.iter().any(|r| r.action == AuditAction::LlmPrompt));
}
