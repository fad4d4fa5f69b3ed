//! The engine with the real embedded model and a real SQLite audit log: every model call and
//! upload is audited without content, and progress arrives stage by stage with the summary
//! streamed.
#![allow(clippy::unwrap_used)]

mod common;

use faultmaven_engine::{Engine, EngineConfig, EngineParts, Progress};
use faultmaven_knowledge::{builtin_runbooks, CaseLibrary, KnowledgeBase};
use faultmaven_llm::{EmbeddedLlm, EmbeddedLlmOptions, ModelPaths};
use faultmaven_store::{
    AuditAction, AuditLog, InMemoryVectorIndex, SqliteAuditLog, SqliteSessionStore,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;

const QUESTION: &str = "why does checkout-canary-7731 fail since 14:03?";
const LOG: &str = "2024-05-01T14:03:01Z ERROR checkout-canary-7731 connection pool exhausted: timeout after 30000ms waiting for zebra-db-primary\n\
2024-05-01T14:03:02Z ERROR checkout-canary-7731 connection pool exhausted: timeout after 30000ms waiting for zebra-db-primary\n\
2024-05-01T14:03:03Z INFO checkout-canary-7731 request served in 12ms\n\
2024-05-01T14:03:04Z ERROR checkout-canary-7731 connection pool exhausted: timeout after 30000ms waiting for zebra-db-primary\n";

fn engine(audit: Arc<dyn AuditLog>) -> Engine {
    let paths = ModelPaths::from_environment();
    assert!(
        paths.smollm2_gguf.exists(),
        "{} is missing: run scripts/fetch-models",
        paths.smollm2_gguf.display()
    );
    let llm = EmbeddedLlm::load(&paths.smollm2_gguf, EmbeddedLlmOptions::default()).unwrap();
    let knowledge = KnowledgeBase::new(
        builtin_runbooks(),
        None,
        Arc::new(InMemoryVectorIndex::new()),
    )
    .unwrap();
    let config = EngineConfig {
        answer_max_tokens: 24,
        ..EngineConfig::default()
    };
    let store = Arc::new(SqliteSessionStore::in_memory().unwrap());
    Engine::new(
        config,
        EngineParts {
            store: store.clone(),
            llm: Some(Arc::new(llm)),
            knowledge: Arc::new(knowledge),
            case_store: store,
            cases: Arc::new(
                CaseLibrary::new(Vec::new(), None, Arc::new(InMemoryVectorIndex::new())).unwrap(),
            ),
        },
    )
    .with_audit_log(audit)
}

#[tokio::test]
async fn model_calls_and_uploads_are_audited_without_content_and_progress_streams() {
    let audit = Arc::new(SqliteAuditLog::in_memory().unwrap());
    let engine = engine(audit.clone());
    let investigation = common::with_log(&engine, QUESTION, "app.log", LOG).await;

    let (sender, mut receiver) = tokio::sync::mpsc::channel(8);
    let collector = tokio::spawn(async move {
        let mut events = Vec::new();
        while let Some(event) = receiver.recv().await {
            events.push(event);
        }
        events
    });
    let outcome = investigation
        .finish_with_progress(Some(sender))
        .await
        .unwrap();
    let events = collector.await.unwrap();

    // Stages in order, then the summary's pieces.
    let stage = |event: &Progress| match event {
        Progress::Parsed { .. } => "parsed",
        Progress::Analysed { .. } => "analysed",
        Progress::Retrieved { .. } => "retrieved",
        Progress::Answering { .. } => "answering",
        Progress::AnswerDelta { .. } => "delta",
        Progress::AnswerReset { .. } => "reset",
    };
    let stages: Vec<&str> = events.iter().map(stage).collect();
    assert_eq!(
        stages[..4],
        ["parsed", "analysed", "retrieved", "answering"],
        "{stages:?}"
    );
    assert!(
        stages[4..].iter().all(|s| *s == "delta") && stages.len() > 4,
        "{stages:?}"
    );
    match &events[0] {
        Progress::Parsed { attachments } => {
            assert_eq!(attachments.len(), 1);
            assert_eq!(attachments[0].lines, 4);
        }
        other => panic!("{other:?}"),
    }
    match &events[1] {
        Progress::Analysed { findings, .. } => assert_eq!(*findings, outcome.findings.len()),
        other => panic!("{other:?}"),
    }
    let streamed: String = events
        .iter()
        .filter_map(|event| match event {
            Progress::AnswerDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(!streamed.trim().is_empty());
    assert_eq!(
        outcome.provenance.provider,
        "embedded:smollm2-135m-instruct"
    );
    assert!(outcome.provenance.completion_tokens > 0);

    let rows = audit.recent(10).await.unwrap();
    assert_eq!(rows.len(), 3, "{rows:#?}");
    // The prompt is recorded before it leaves, the call's outcome after it ends.
    assert_eq!(
        rows.iter().map(|r| r.action).collect::<Vec<_>>(),
        [
            AuditAction::LlmCall,
            AuditAction::LlmPrompt,
            AuditAction::Upload
        ]
    );
    let prompt = rows
        .iter()
        .find(|r| r.action == AuditAction::LlmPrompt)
        .unwrap();
    assert_eq!(prompt.outcome, "sent");
    let call = rows
        .iter()
        .find(|r| r.action == AuditAction::LlmCall)
        .unwrap();
    assert_eq!(call.provider, "embedded:smollm2-135m-instruct");
    assert_eq!(call.model, "embedded:smollm2-135m-instruct");
    assert_eq!(
        call.session_id.as_deref(),
        Some(outcome.session_id.as_str())
    );
    assert_eq!(call.outcome, "ok");
    assert!(call.bytes > QUESTION.len() as u64);
    let hash = call.sha256.as_deref().unwrap();
    assert!(
        hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{hash}"
    );
    assert_eq!(prompt.sha256, call.sha256);
    assert_eq!(prompt.bytes, call.bytes);
    assert_eq!(u64::from(outcome.provenance.prompt_tokens), call.tokens_in);
    assert_eq!(
        u64::from(outcome.provenance.completion_tokens),
        call.tokens_out
    );
    let upload = rows
        .iter()
        .find(|r| r.action == AuditAction::Upload)
        .unwrap();
    assert_eq!(upload.bytes, LOG.len() as u64);
    assert_eq!(upload.decoded_bytes, Some(LOG.len() as u64));
    assert_eq!(upload.records, Some(4));
    assert_eq!(upload.model, "a1");
    // The hash of exactly the bytes received, computed while they streamed.
    let expected: String = Sha256::digest(LOG.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert_eq!(upload.sha256.as_deref(), Some(expected.as_str()));

    // No row carries content: not the question, not the log, not the model's words.
    for row in &rows {
        let text = serde_json::to_string(row).unwrap();
        for secret in [
            "checkout-canary-7731",
            "zebra-db-primary",
            "14:03",
            "pool exhausted",
        ] {
            assert!(!text.contains(secret), "{secret} leaked into {text}");
        }
        if streamed.trim().len() > 12 {
            assert!(
                !text.contains(streamed.trim()),
                "the answer leaked into {text}"
            );
        }
    }
}
