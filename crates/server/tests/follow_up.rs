//! The follow-up questions API through the router: answering moves the hypotheses at once,
//! a question is answered once, bad answers are problem+json, and the session shows it all.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use faultmaven_engine::EngineConfig;
use faultmaven_model::{
    AttachmentId, Evidence, Finding, FindingId, FindingKind, FollowUpQuestion, Hypothesis,
    HypothesisCategory, HypothesisId, HypothesisStatus, Intent, QuestionId, QuestionTopic,
    RequestKind, SessionId, SessionState, Severity, Suspect, SuspectKind, Timestamp,
};
use faultmaven_server::router;
use faultmaven_store::{SessionStore, SqliteSessionStore};
use std::sync::Arc;

const SESSION: &str = "follow-up-session-0001";

fn suspect(kind: SuspectKind, name: &str) -> Suspect {
    Suspect {
        kind,
        name: name.into(),
    }
}

fn finding(number: u32, title: &str, subject: Suspect) -> Finding {
    Finding {
        id: FindingId::new(number),
        kind: FindingKind::ErrorTemplate,
        severity: Severity::High,
        title: title.into(),
        detail: String::new(),
        score: 0.8,
        first_seen: Some(Timestamp::from_unix_millis(1_714_572_120_000)),
        last_seen: None,
        subjects: vec![subject],
        template_id: None,
        evidence: vec![Evidence::LogLines {
            attachment: AttachmentId::new(1),
            first_line: 1,
            last_line: 1,
            excerpt: None,
        }],
        entities: Vec::new(),
    }
}

fn hypothesis(
    number: u32,
    title: &str,
    category: HypothesisCategory,
    confidence: f64,
    blamed: Suspect,
) -> Hypothesis {
    Hypothesis {
        id: HypothesisId::new(number),
        title: title.into(),
        category,
        confidence,
        rationale: String::new(),
        finding_ids: vec![FindingId::new(number)],
        suspects: vec![blamed],
        next_steps: Vec::new(),
        runbook: None,
        status: HypothesisStatus::Open,
    }
}

/// A session whose two leading hypotheses are close, with the question that separates them.
fn session() -> SessionState {
    let at = Timestamp::from_unix_millis(1_714_572_187_000);
    let checkout = suspect(SuspectKind::Service, "checkout");
    let database = suspect(SuspectKind::Dependency, "orders-db");
    SessionState {
        id: SessionId::parse(SESSION).unwrap(),
        created_at: at,
        updated_at: at,
        // 2100-01-01: the test must not depend on the clock.
        expires_at: Timestamp::from_unix_millis(4_102_444_800_000),
        queries: vec!["why does checkout fail?".into()],
        request_kind: RequestKind::Combined,
        intent: Intent::DiagnoseError,
        attachments: Vec::new(),
        findings: vec![
            finding(1, "pool.size changed", checkout.clone()),
            finding(2, "connection refused", database.clone()),
        ],
        templates: Vec::new(),
        hypotheses: vec![
            hypothesis(
                1,
                "checkout's configuration changed",
                HypothesisCategory::Configuration,
                0.60,
                checkout,
            ),
            hypothesis(
                2,
                "orders-db is down",
                HypothesisCategory::DependencyFailure,
                0.55,
                database,
            ),
        ],
        answer: String::new(),
        feedback: Vec::new(),
        follow_up_questions: vec![FollowUpQuestion {
            id: QuestionId::new(1),
            text: "Was orders-db down, restarting or unreachable at 14:02 UTC?".into(),
            topic: QuestionTopic::DependencyDown,
            entity: Some("orders-db".into()),
            supports_if_yes: vec![HypothesisId::new(2)],
            weakens_if_yes: vec![HypothesisId::new(1)],
            finding_ids: vec![FindingId::new(2)],
            reason: "H1 (60%) and H2 (55%) are within 2:1 odds of each other".into(),
            answer: None,
        }],
        plots: Default::default(),
        notices: Vec::new(),
    }
}

async fn app_with_session() -> axum::Router {
    let store = Arc::new(SqliteSessionStore::in_memory().unwrap());
    store.put(&session()).await.unwrap();
    router(state_with(store, EngineConfig::default(), default_limits()))
}

fn answer(body: serde_json::Value) -> Request<Body> {
    post_json(
        format!("/api/v1/sessions/{SESSION}/answers"),
        body.to_string(),
    )
}

#[tokio::test]
async fn a_yes_reranks_at_once_and_the_question_is_not_asked_again() {
    let app = app_with_session().await;
    let (status, _, body) = send(
        &app,
        answer(serde_json::json!({
            "question_id": "Q1", "answer": "yes", "comment": "paged by the DBA, owner bob@example.com"
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let hypotheses = body["hypotheses"].as_array().unwrap();
    assert_eq!(hypotheses[0]["id"], "H2", "{body:#}");
    assert!(hypotheses[0]["confidence"].as_f64().unwrap() > 0.55);
    assert!(hypotheses[1]["confidence"].as_f64().unwrap() < 0.60);
    let questions = body["follow_up_questions"].as_array().unwrap();
    let answered = questions.iter().find(|q| q["id"] == "Q1").unwrap();
    assert_eq!(answered["answer"], "yes");
    let comment = answered["answer_comment"].as_str().unwrap();
    assert!(!comment.contains("bob@example.com"), "redacted: {comment}");
    assert_eq!(
        questions
            .iter()
            .filter(|q| q["topic"] == "dependency_down" && q["entity"] == "orders-db")
            .count(),
        1,
        "asked once: {questions:#?}"
    );

    // Answered once: a second answer would move the confidences twice.
    assert_problem(
        &send(
            &app,
            answer(serde_json::json!({"question_id": "Q1", "answer": "no"})),
        )
        .await,
        409,
        "question-answered",
    );
    let (status, _, state) = get_session(&app, SESSION).await;
    assert_eq!(status, 200);
    assert_eq!(state["hypotheses"][0]["id"], "H2");
    assert_eq!(state["follow_up_questions"][0]["answer"], "yes");
}

#[tokio::test]
async fn bad_answers_are_problems() {
    let app = app_with_session().await;
    for (body, status, slug) in [
        (
            serde_json::json!({"question_id": "Q9", "answer": "yes"}),
            404,
            "unknown-question",
        ),
        (
            serde_json::json!({"question_id": "H1", "answer": "yes"}),
            400,
            "invalid-question-id",
        ),
        (
            serde_json::json!({"question_id": "Q1", "answer": "maybe"}),
            400,
            "invalid-answer",
        ),
        (
            serde_json::json!({"question_id": "Q1"}),
            400,
            "invalid-body",
        ),
        (
            serde_json::json!({"question_id": "Q1", "answer": "yes", "comment": "x".repeat(5000)}),
            413,
            "field-too-large",
        ),
    ] {
        assert_problem(&send(&app, answer(body)).await, status, slug);
    }
    let unknown_session = post_json(
        "/api/v1/sessions/no-such-session-01/answers",
        r#"{"question_id": "Q1", "answer": "yes"}"#,
    );
    assert_problem(&send(&app, unknown_session).await, 404, "unknown-session");
    // Nothing moved.
    let (_, _, state) = get_session(&app, SESSION).await;
    assert_eq!(state["hypotheses"][0]["id"], "H1");
    assert!(state["follow_up_questions"][0]["answer"].is_null());
}

#[tokio::test]
async fn the_openapi_document_has_the_answers_route_and_questions() {
    let (status, _, spec) = send(&app(), get("/api/v1/openapi.json")).await;
    assert_eq!(status, 200);
    assert!(spec["paths"]["/api/v1/sessions/{id}/answers"]["post"].is_object());
    let schemas = &spec["components"]["schemas"];
    assert!(schemas["TroubleshootResponse"]["properties"]["follow_up_questions"].is_object());
    assert!(schemas["TroubleshootResponse"]["properties"]["model_hypotheses"].is_object());
    assert!(schemas["FollowUpQuestion"].is_object());
}
