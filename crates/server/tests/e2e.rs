//! End to end on a real socket with the real parts: the embedded SmolLM2 model, MiniLM
//! retrieval, a SQLite file, and the `faultmaven` binary's CLI. Needs the models fetched by
//! `scripts/fetch-models` (the test command does it first).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::{fixture, repo_root};
use faultmaven_server::config::Config;
use faultmaven_server::{assemble, router, AppState, Limits};
use std::time::Duration;

/// Starts the real server on a free port with the default configuration (embedded model) and a
/// fresh database; returns its base URL.
async fn spawn_app(database_dir: &std::path::Path) -> String {
    let config = Config::load(
        None,
        vec![(
            "FAULTMAVEN__STORE__SQLITE_PATH".to_owned(),
            database_dir.join("e2e.sqlite").display().to_string(),
        )],
    )
    .unwrap();
    assert_eq!(config.llm.provider, "embedded");
    let assemble::Application { engine, runbooks } = assemble::build_application(&config)
        .await
        .unwrap_or_else(|error| panic!("{error:#} (run scripts/fetch-models first)"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = router(AppState {
        engine,
        runbooks,
        limits: Limits {
            max_body_bytes: 16 * 1024 * 1024,
            max_files: 8,
            max_text_field_bytes: 16 * 1024,
        },
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_socket_real_model_answer_and_feedback() {
    let dir = tempfile::tempdir().unwrap();
    let base = spawn_app(dir.path()).await;
    // A guard against a hang, not a speed check (that is `./scripts/bench llm`): the real
    // model on 2 cores shared with other builds took over 300 s at load average 20.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(900))
        .build()
        .unwrap();

    let form = reqwest::multipart::Form::new()
        .text(
            "query",
            "Checkout started failing around 14:03. What is going on?",
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(fixture("checkout.log")).file_name("checkout.log"),
        );
    let response = client
        .post(format!("{base}/api/v1/troubleshoot"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();

    let provenance = &body["answer_provenance"];
    assert!(
        provenance["provider"].as_str().unwrap().contains("smollm2"),
        "{provenance}"
    );
    assert!(provenance["fallback_reason"].is_null(), "{provenance}");
    assert!(provenance["completion_tokens"].as_u64().unwrap() > 0);
    assert!(provenance["prompt_tokens"].as_u64().unwrap() > 50);
    let answer = body["answer"].as_str().unwrap();
    assert!(answer.starts_with("## Summary\n"));
    assert!(!answer.contains("<|im_end|>") && !answer.contains("<|im_start|>"));
    let summary = answer
        .split("\n\n## ")
        .next()
        .unwrap()
        .trim_start_matches("## Summary\n");
    assert!(
        summary.split_whitespace().count() >= 5,
        "the model wrote too little: {summary:?}"
    );
    // Every finding id the answer cites exists.
    let ids: Vec<String> = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    for word in answer.split(|c: char| !c.is_alphanumeric()) {
        if word.len() > 1 && word.starts_with('F') && word[1..].bytes().all(|b| b.is_ascii_digit())
        {
            assert!(
                ids.iter().any(|id| id == word),
                "answer cites {word}, which does not exist"
            );
        }
    }

    let session = body["session_id"].as_str().unwrap();
    let top = body["hypotheses"][0]["id"].as_str().unwrap();
    let response = client
        .post(format!("{base}/api/v1/sessions/{session}/feedback"))
        .json(&serde_json::json!({"hypothesis_id": top, "verdict": "worked"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let reranked: serde_json::Value = response.json().await.unwrap();
    assert_eq!(reranked["hypotheses"][0]["id"], top);
    assert_eq!(reranked["hypotheses"][0]["status"], "confirmed");

    let health: serde_json::Value = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(health["llm"].as_str().unwrap().contains("smollm2"));
}

#[test]
fn cli_analyze_prints_the_api_json_and_a_report() {
    let binary = env!("CARGO_BIN_EXE_faultmaven");
    let log = repo_root().join("testdata/api/checkout.log");
    let metrics = repo_root().join("testdata/api/checkout_metrics.csv");
    let baseline = repo_root().join("testdata/api/baseline.log");
    let output = std::process::Command::new(binary)
        .args([
            "analyze",
            "--no-llm",
            "--json",
            "--query",
            "why is checkout failing?",
        ])
        .arg("--baseline")
        .arg(&baseline)
        .arg(&log)
        .arg(&metrics)
        .env("FAULTMAVEN__KNOWLEDGE__EMBEDDINGS", "false")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["request_kind"], "combined");
    assert_eq!(body["attachments"].as_array().unwrap().len(), 3);
    assert_eq!(body["attachments"][2]["role"], "baseline");
    assert!(!body["hypotheses"].as_array().unwrap().is_empty());
    assert!(!body["findings"].as_array().unwrap().is_empty());

    let output = std::process::Command::new(binary)
        .args(["analyze", "--no-llm"])
        .arg(&log)
        .env("FAULTMAVEN__KNOWLEDGE__EMBEDDINGS", "false")
        .output()
        .unwrap();
    assert!(output.status.success());
    let report = String::from_utf8(output.stdout).unwrap();
    assert!(
        report.contains("Hypotheses") && report.contains("Findings") && report.contains("H1"),
        "{report}"
    );

    // A missing file is a clear error, not a panic.
    let output = std::process::Command::new(binary)
        .args(["analyze", "--no-llm", "/nonexistent/file.log"])
        .env("FAULTMAVEN__KNOWLEDGE__EMBEDDINGS", "false")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/nonexistent/file.log") && !stderr.contains("panicked"),
        "{stderr}"
    );
}
