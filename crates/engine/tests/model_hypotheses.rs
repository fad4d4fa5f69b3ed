//! Hypotheses proposed by a remote model, through the real OpenAI-compatible client against
//! the local wire double of `crates/llm/tests`: a candidate citing real findings and naming
//! entities of the data is kept and ranked by the engine; one citing a finding that does not
//! exist or naming an entity absent from the data is dropped; malformed JSON is ignored with
//! a note.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../llm/tests/double/mod.rs"]
mod double;

use double::{Double, Reply};
use faultmaven_engine::{Engine, EngineConfig, EngineParts, TroubleshootOutcome};
use faultmaven_knowledge::{builtin_runbooks, CaseLibrary, KnowledgeBase};
use faultmaven_llm::{OpenAiCompatibleProvider, RemoteOptions};
use faultmaven_store::{InMemoryVectorIndex, SqliteSessionStore};
use std::sync::Arc;
use std::time::Duration;

const LOG: &str = "\
2024-05-01T14:02:58Z INFO checkout request served in 12ms
2024-05-01T14:03:01Z ERROR checkout connection refused to orders-db:5432
2024-05-01T14:03:02Z ERROR checkout connection refused to orders-db:5432
2024-05-01T14:03:03Z ERROR checkout connection refused to orders-db:5432
2024-05-01T14:03:04Z ERROR checkout connection refused to orders-db:5432
2024-05-01T14:03:05Z ERROR checkout connection refused to orders-db:5432
";

/// An OpenAI chat completion whose message is `content`.
fn completion(content: &str) -> String {
    serde_json::json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 300, "completion_tokens": 80, "total_tokens": 380}
    })
    .to_string()
}

fn engine(double: &Double) -> Engine {
    let mut options = RemoteOptions::new(double.base_url(), "gpt-4o-mini");
    options.request_timeout = Duration::from_secs(10);
    options.max_retries = 0;
    let remote = OpenAiCompatibleProvider::new(options).unwrap();
    let store = Arc::new(SqliteSessionStore::in_memory().unwrap());
    Engine::new(
        EngineConfig::default(),
        EngineParts {
            store: store.clone(),
            llm: Some(Arc::new(remote)),
            knowledge: Arc::new(
                KnowledgeBase::new(
                    builtin_runbooks(),
                    None,
                    Arc::new(InMemoryVectorIndex::new()),
                )
                .unwrap(),
            ),
            case_store: store,
            cases: Arc::new(
                CaseLibrary::new(Vec::new(), None, Arc::new(InMemoryVectorIndex::new())).unwrap(),
            ),
        },
    )
}

async fn investigate(engine: &Engine) -> TroubleshootOutcome {
    common::with_log(
        engine,
        "why does checkout fail since 14:03?",
        "checkout.log",
        LOG,
    )
    .await
    .finish()
    .await
    .unwrap()
}

#[tokio::test]
async fn candidates_are_kept_only_with_real_findings_and_entities() {
    let proposals = serde_json::json!({"hypotheses": [
        {
            "title": "orders-db stopped accepting connections after a failover",
            "category": "dependency_failure",
            "finding_ids": ["F1"],
            "entities": ["orders-db", "checkout"],
            "rationale": "Every error is a refused connection to orders-db:5432 from 14:03.",
            "next_steps": ["Check the orders-db primary and its recent failovers."]
        },
        {
            "title": "A bad deploy of checkout at 14:00",
            "category": "code_defect",
            "finding_ids": ["F1", "F99"],
            "entities": ["checkout"]
        },
        {
            "title": "payments-gateway throttles checkout",
            "category": "network",
            "finding_ids": ["F1"],
            "entities": ["payments-gateway"]
        },
        "not an object"
    ]});
    let answer = format!("```json\n{proposals}\n```");
    let double = Double::start(vec![
        Reply::json(200, &completion(&answer)),
        Reply::json(
            200,
            &completion("Connections to orders-db are refused [F1]."),
        ),
    ])
    .await;
    let engine = engine(&double);
    let outcome = investigate(&engine).await;
    assert!(!outcome.findings.is_empty());
    assert!(outcome.findings.iter().any(|f| f.id.to_string() == "F1"));

    let report = &outcome.model_hypotheses;
    assert!(report.asked);
    assert_eq!(report.provider, "openai:gpt-4o-mini");
    assert_eq!(
        report.kept,
        vec!["orders-db stopped accepting connections after a failover"],
        "{report:#?}"
    );
    let reasons: Vec<&str> = report.dropped.iter().map(|d| d.reason.as_str()).collect();
    assert_eq!(report.dropped.len(), 3, "{report:#?}");
    assert!(reasons.iter().any(|r| r.contains("\"F99\"")), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("\"payments-gateway\"")),
        "{reasons:?}"
    );
    assert!(reasons.contains(&"not a JSON object"), "{reasons:?}");

    let kept = outcome
        .hypotheses
        .iter()
        .find(|h| h.title == report.kept[0])
        .unwrap();
    assert!(kept
        .rationale
        .starts_with("Proposed by openai:gpt-4o-mini from F1"));
    assert_eq!(kept.finding_ids.len(), 1);
    // Never above the engine's own hypotheses on the same evidence.
    for engine_hypothesis in outcome
        .hypotheses
        .iter()
        .filter(|h| h.title != kept.title && h.finding_ids.contains(&kept.finding_ids[0]))
    {
        assert!(
            kept.confidence <= engine_hypothesis.confidence,
            "{kept:#?} outranks {engine_hypothesis:#?}"
        );
    }

    // The model saw findings and the JSON shape; nothing else was asked of it.
    let requests = double.requests();
    assert_eq!(requests.len(), 2);
    let prompt = requests[0].body["messages"].to_string();
    assert!(
        prompt.contains("[F1]") && prompt.contains("\\\"hypotheses\\\""),
        "{prompt}"
    );
}

#[tokio::test]
async fn malformed_json_is_ignored_with_a_note() {
    let double = Double::start(vec![
        Reply::json(
            200,
            &completion("Sure! {\"hypotheses\": [{\"title\": \"half\"}"),
        ),
        Reply::json(
            200,
            &completion("Connections to orders-db are refused [F1]."),
        ),
    ])
    .await;
    let engine = engine(&double);
    let outcome = investigate(&engine).await;
    let report = &outcome.model_hypotheses;
    assert!(report.asked && report.kept.is_empty() && report.dropped.is_empty());
    let note = report.note.as_deref().unwrap();
    assert!(note.contains("malformed JSON"), "{note}");
    assert!(outcome
        .hypotheses
        .iter()
        .all(|h| !h.rationale.starts_with("Proposed by")));
    assert!(
        !outcome.hypotheses.is_empty(),
        "the engine's own hypotheses stand"
    );
}
