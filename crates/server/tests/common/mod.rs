//! Helpers shared by the server's integration tests.
#![allow(missing_docs, clippy::unwrap_used)]
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, Response};
use faultmaven_engine::{Engine, EngineConfig, EngineParts};
use faultmaven_knowledge::{builtin_runbooks, CaseLibrary, KnowledgeBase};
use faultmaven_llm::LlmProvider;
use faultmaven_server::runbooks::{apply_stored_runbooks, RunbookAdmin, RunbookAdminOptions};
use faultmaven_server::{router, AppState, Limits};
use faultmaven_store::{InMemoryVectorIndex, SqliteSessionStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

pub const BOUNDARY: &str = "----faultmaven-test-boundary-7MA4YWxkTrZu0gW";

/// Repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file of `testdata/` by its path there, e.g. `plots/checkout-metrics.csv`.
pub fn testdata(path: &str) -> Vec<u8> {
    let full = repo_root().join("testdata").join(path);
    std::fs::read(&full).unwrap_or_else(|error| panic!("{}: {error}", full.display()))
}

/// A sample upload of `testdata/api/`.
pub fn fixture(name: &str) -> Vec<u8> {
    testdata(&format!("api/{name}"))
}

pub fn default_limits() -> Limits {
    Limits {
        max_body_bytes: 8 * 1024 * 1024,
        max_files: 4,
        max_text_field_bytes: 4096,
    }
}

/// The admin token of [`state_with`].
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// The application state over a real SQLite store (file or memory): keyword retrieval and no
/// language model (API tests check the pipeline's contract; the embedded model is exercised in
/// the e2e test), and runbook routes whose admin token is [`ADMIN_TOKEN`].
pub fn state_with(
    store: Arc<SqliteSessionStore>,
    config: EngineConfig,
    limits: Limits,
) -> AppState {
    state_with_model(store, config, limits, None)
}

/// [`state_with`], with `llm` writing the answers.
pub fn state_with_model(
    store: Arc<SqliteSessionStore>,
    config: EngineConfig,
    limits: Limits,
    llm: Option<Arc<dyn LlmProvider>>,
) -> AppState {
    let knowledge = builtin_keyword_knowledge();
    let engine = Engine::new(
        config,
        EngineParts {
            store: store.clone(),
            llm,
            knowledge: Arc::clone(&knowledge),
            case_store: store.clone(),
            cases: Arc::new(
                CaseLibrary::new(Vec::new(), None, Arc::new(InMemoryVectorIndex::new())).unwrap(),
            ),
        },
    );
    AppState {
        engine,
        limits,
        runbooks: runbook_admin_over(knowledge, store),
    }
}

/// The built-in runbooks with keyword retrieval only.
pub fn builtin_keyword_knowledge() -> Arc<KnowledgeBase> {
    Arc::new(
        KnowledgeBase::new(
            builtin_runbooks(),
            None,
            Arc::new(InMemoryVectorIndex::new()),
        )
        .unwrap(),
    )
}

/// Runbook routes over `knowledge` (the built-in runbooks), storing changes in `store`, with
/// [`ADMIN_TOKEN`] as the admin token and no audit log.
pub fn runbook_admin_over(
    knowledge: Arc<KnowledgeBase>,
    store: Arc<SqliteSessionStore>,
) -> RunbookAdmin {
    let loaded = apply_stored_runbooks(builtin_runbooks(), Vec::new(), Vec::new());
    let options = RunbookAdminOptions {
        token: Some(faultmaven_server::admin_token::AdminToken::new(ADMIN_TOKEN).unwrap()),
        max_runbook_bytes: 64 * 1024,
    };
    RunbookAdmin::new(knowledge, store, None, &loaded, options)
}

pub fn app_with(limits: Limits, config: EngineConfig) -> axum::Router {
    let store = Arc::new(SqliteSessionStore::in_memory().unwrap());
    router(state_with(store, config, limits))
}

pub fn app() -> axum::Router {
    app_with(default_limits(), EngineConfig::default())
}

/// One multipart part: field name, optional file name, content.
pub struct Part<'a> {
    pub name: &'a str,
    pub file_name: Option<&'a str>,
    pub content: Vec<u8>,
}

pub fn text(name: &str, value: &str) -> Part<'static> {
    Part {
        name: Box::leak(name.to_owned().into_boxed_str()),
        file_name: None,
        content: value.as_bytes().to_vec(),
    }
}

pub fn file<'a>(name: &'a str, file_name: &'a str, content: Vec<u8>) -> Part<'a> {
    Part {
        name,
        file_name: Some(file_name),
        content,
    }
}

pub fn multipart_body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part.file_name {
            Some(file_name) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                    part.name, file_name
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{}\"\r\n\r\n", part.name).as_bytes(),
            ),
        }
        body.extend_from_slice(&part.content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn troubleshoot_request(parts: &[Part<'_>]) -> Request<Body> {
    Request::post("/api/v1/troubleshoot")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart_body(parts)))
        .unwrap()
}

/// `GET path`.
pub fn get(path: impl AsRef<str>) -> Request<Body> {
    Request::get(path.as_ref()).body(Body::empty()).unwrap()
}

/// `DELETE path`.
pub fn delete(path: impl AsRef<str>) -> Request<Body> {
    Request::delete(path.as_ref()).body(Body::empty()).unwrap()
}

/// `POST path` with a JSON body, taken as text so malformed JSON can be sent too.
pub fn post_json(path: impl AsRef<str>, body: impl Into<String>) -> Request<Body> {
    Request::post(path.as_ref())
        .header("content-type", "application/json")
        .body(Body::from(body.into()))
        .unwrap()
}

/// The session's state as `GET /api/v1/sessions/{id}` returns it.
pub async fn get_session(app: &axum::Router, session: &str) -> (u16, String, serde_json::Value) {
    send(app, get(format!("/api/v1/sessions/{session}"))).await
}

pub async fn send(app: &axum::Router, request: Request<Body>) -> (u16, String, serde_json::Value) {
    let response: Response<Body> = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let json = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned())
        })
    };
    (status, content_type, json)
}

/// Asserts a problem+json response with the given status and type slug.
pub fn assert_problem(result: &(u16, String, serde_json::Value), status: u16, slug: &str) {
    let (got_status, content_type, body) = result;
    assert_eq!(*got_status, status, "body: {body}");
    assert_eq!(content_type, "application/problem+json", "body: {body}");
    assert_eq!(body["type"], format!("/problems/{slug}"), "body: {body}");
    assert_eq!(body["status"], status);
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}
