//! The runbook routes through the real assembly (`assemble::build_application`) over a SQLite
//! file: listing and reading, the admin token, validation, retrieval of a new runbook, the audit
//! trail, and persistence across a restart.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{assert_problem, get, send, text, troubleshoot_request};
use faultmaven_server::config::Config;
use faultmaven_server::{assemble, router, AppState};
use faultmaven_store::{AuditAction, AuditLog, SqliteAuditLog};
use std::path::Path;

const TOKEN: &str = "runbook-admin-token-0123456789";

const FROBNICATOR: &str = "---
title: Frobnicator overheating
symptoms: [FrobnicatorOverheatException, \"frobnicator temperature above limit\"]
services: [frobnicator]
tags: [frobnicator, overheating]
category: resource_exhaustion
---
## Confirm
The frobnicator log shows the temperature limit:
```sh
grep FrobnicatorOverheatException /var/log/frobnicator.log
```
";

/// The application over `database` with no model and keyword retrieval only; `token` enables
/// the admin routes.
async fn app_over(database: &Path, token: Option<&str>) -> axum::Router {
    let mut environment = vec![
        (
            "FAULTMAVEN__STORE__SQLITE_PATH".to_owned(),
            database.display().to_string(),
        ),
        ("FAULTMAVEN__LLM__PROVIDER".to_owned(), "none".to_owned()),
        (
            "FAULTMAVEN__KNOWLEDGE__EMBEDDINGS".to_owned(),
            "false".to_owned(),
        ),
        (
            "FAULTMAVEN__KNOWLEDGE__MAX_RUNBOOK_BYTES".to_owned(),
            "4096".to_owned(),
        ),
    ];
    if let Some(token) = token {
        environment.push((
            "FAULTMAVEN__SERVER__ADMIN_TOKEN".to_owned(),
            token.to_owned(),
        ));
    }
    let config = Config::load(None, environment).unwrap();
    let application = assemble::build_application(&config).await.unwrap();
    router(AppState {
        engine: application.engine,
        runbooks: application.runbooks,
        limits: common::default_limits(),
    })
}

fn put(id: &str, body: impl Into<Body>, token: Option<&str>) -> Request<Body> {
    let mut request = Request::put(format!("/api/v1/admin/runbooks/{id}"))
        .header("content-type", "text/markdown");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(body.into()).unwrap()
}

fn delete(id: &str, token: Option<&str>) -> Request<Body> {
    let mut request = Request::delete(format!("/api/v1/admin/runbooks/{id}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn admin_routes_are_refused_without_a_configured_token_or_the_right_bearer() {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("faultmaven.sqlite");
    let disabled = app_over(&database, None).await;
    let refused = send(&disabled, put("frobnicator", FROBNICATOR, Some(TOKEN))).await;
    assert_problem(&refused, 403, "admin-disabled");
    assert!(refused.2["detail"]
        .as_str()
        .unwrap()
        .contains("FAULTMAVEN__SERVER__ADMIN_TOKEN"));
    assert_problem(
        &send(&disabled, delete("disk-full", None)).await,
        403,
        "admin-disabled",
    );
    // Reading needs no token.
    assert_eq!(
        send(&disabled, get("/api/v1/runbooks/disk-full")).await.0,
        200
    );

    let enabled = app_over(&database, Some(TOKEN)).await;
    assert_problem(
        &send(&enabled, put("frobnicator", FROBNICATOR, None)).await,
        401,
        "unauthorized",
    );
    assert_problem(
        &send(
            &enabled,
            put(
                "frobnicator",
                FROBNICATOR,
                Some("runbook-admin-token-012345678"),
            ),
        )
        .await,
        401,
        "unauthorized",
    );
    let basic = Request::delete("/api/v1/admin/runbooks/disk-full")
        .header("authorization", format!("Basic {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    assert_problem(&send(&enabled, basic).await, 401, "unauthorized");
    // Nothing was changed by the refused requests.
    assert_problem(
        &send(&enabled, get("/api/v1/runbooks/frobnicator")).await,
        404,
        "unknown-runbook",
    );
    assert_eq!(
        send(&enabled, get("/api/v1/runbooks/disk-full")).await.0,
        200
    );
}

#[tokio::test]
async fn bad_ids_front_matter_sizes_and_encodings_are_4xx_problems() {
    let directory = tempfile::tempdir().unwrap();
    let app = app_over(&directory.path().join("faultmaven.sqlite"), Some(TOKEN)).await;
    let token = Some(TOKEN);
    assert_problem(
        &send(&app, put("bad%20id", FROBNICATOR, token)).await,
        400,
        "invalid-runbook-id",
    );
    assert_problem(
        &send(&app, put(&"x".repeat(129), FROBNICATOR, token)).await,
        400,
        "invalid-runbook-id",
    );
    assert_problem(
        &send(&app, get("/api/v1/runbooks/bad%20id")).await,
        400,
        "invalid-runbook-id",
    );

    let no_title = FROBNICATOR.replace("title: Frobnicator overheating\n", "");
    let missing = send(&app, put("frobnicator", no_title, token)).await;
    assert_problem(&missing, 400, "invalid-runbook");
    assert!(
        missing.2["detail"].as_str().unwrap().contains("title"),
        "{}",
        missing.2
    );
    let bad_category = FROBNICATOR.replace("resource_exhaustion", "gremlins");
    let category = send(&app, put("frobnicator", bad_category, token)).await;
    assert_problem(&category, 400, "invalid-runbook");
    assert!(
        category.2["detail"].as_str().unwrap().contains("line 6"),
        "{}",
        category.2
    );
    assert_problem(
        &send(&app, put("frobnicator", "no front matter", token)).await,
        400,
        "invalid-runbook",
    );

    let oversize = format!("{FROBNICATOR}{}", "padding line\n".repeat(400));
    assert_problem(
        &send(&app, put("frobnicator", oversize, token)).await,
        413,
        "runbook-too-large",
    );
    // "overheating" with a Latin-1 é (one byte, 0xe9): not UTF-8.
    let mut bytes = FROBNICATOR.as_bytes().to_vec();
    bytes.insert(FROBNICATOR.find("overheating").unwrap(), 0xe9);
    assert_problem(
        &send(&app, put("frobnicator", bytes, token)).await,
        400,
        "invalid-text",
    );
    assert_problem(
        &send(&app, delete("never-there", token)).await,
        404,
        "unknown-runbook",
    );
    assert_eq!(
        send(&app, get("/api/v1/runbooks")).await.2["runbooks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|runbook| runbook["source"] == "admin")
            .count(),
        0,
        "nothing was added"
    );
}

async fn runbook_ids(app: &axum::Router) -> Vec<(String, String)> {
    let (status, _, body) = send(app, get("/api/v1/runbooks")).await;
    assert_eq!(status, 200);
    body["runbooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|runbook| {
            (
                runbook["id"].as_str().unwrap().to_owned(),
                runbook["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn changes_are_searchable_at_once_audited_and_survive_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("faultmaven.sqlite");
    let app = app_over(&database, Some(TOKEN)).await;
    let before = runbook_ids(&app).await;
    assert!(before.iter().all(|(_, source)| source == "builtin"));

    let created = send(&app, put("frobnicator", FROBNICATOR, Some(TOKEN))).await;
    assert_eq!(created.0, 201, "{}", created.2);
    assert_eq!(created.2["id"], "frobnicator");
    assert_eq!(created.2["source"], "admin");
    assert_eq!(created.2["category"], "resource_exhaustion");
    assert_eq!(
        created.2["steps"][0]["command"],
        "grep FrobnicatorOverheatException /var/log/frobnicator.log"
    );

    // A troubleshoot request that matches it finds it at once.
    let (status, _, answer) = send(
        &app,
        troubleshoot_request(&[text(
            "query",
            "FrobnicatorOverheatException on the line 3 frobnicator",
        )]),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let hypotheses = answer["hypotheses"].as_array().unwrap();
    assert_eq!(hypotheses[0]["runbook"], "frobnicator", "{answer}");

    let replaced = send(
        &app,
        put(
            "frobnicator",
            FROBNICATOR.replace("overheating\n", "running hot\n"),
            Some(TOKEN),
        ),
    )
    .await;
    assert_eq!(replaced.0, 200, "{}", replaced.2);
    assert_eq!(replaced.2["title"], "Frobnicator running hot");
    // A built-in runbook is overridden by id, and another is deleted.
    let disk = FROBNICATOR
        .replace("Frobnicator overheating", "Disk full (our own procedure)")
        .replace("frobnicator.log", "disk.log");
    assert_eq!(send(&app, put("disk-full", disk, Some(TOKEN))).await.0, 200);
    let deleted = send(&app, delete("oom-killed", Some(TOKEN))).await;
    assert_eq!(deleted.0, 204, "{}", deleted.2);
    assert_problem(
        &send(&app, get("/api/v1/runbooks/oom-killed")).await,
        404,
        "unknown-runbook",
    );
    assert_problem(
        &send(&app, delete("oom-killed", Some(TOKEN))).await,
        404,
        "unknown-runbook",
    );

    let expected_after = |ids: &[(String, String)]| {
        assert_eq!(ids.len(), before.len(), "one added, one deleted");
        assert!(ids.contains(&("frobnicator".to_owned(), "admin".to_owned())));
        assert!(ids.contains(&("disk-full".to_owned(), "admin".to_owned())));
        assert!(!ids.iter().any(|(id, _)| id == "oom-killed"));
    };
    expected_after(&runbook_ids(&app).await);
    drop(app);

    // A restart over the same database serves the same runbooks.
    let restarted = app_over(&database, Some(TOKEN)).await;
    expected_after(&runbook_ids(&restarted).await);
    let (_, _, frobnicator) = send(&restarted, get("/api/v1/runbooks/frobnicator")).await;
    assert_eq!(frobnicator["title"], "Frobnicator running hot");
    let (_, _, disk) = send(&restarted, get("/api/v1/runbooks/disk-full")).await;
    assert_eq!(disk["title"], "Disk full (our own procedure)");

    // Deleting an added runbook forgets it for good; re-creating a deleted built-in brings it back.
    assert_eq!(
        send(&restarted, delete("frobnicator", Some(TOKEN))).await.0,
        204
    );
    let oom = FROBNICATOR.replace("Frobnicator overheating", "OOMKilled, our way");
    assert_eq!(
        send(&restarted, put("oom-killed", oom, Some(TOKEN)))
            .await
            .0,
        201
    );
    drop(restarted);
    let again = app_over(&database, Some(TOKEN)).await;
    let ids = runbook_ids(&again).await;
    assert!(!ids.iter().any(|(id, _)| id == "frobnicator"));
    assert!(ids.contains(&("oom-killed".to_owned(), "admin".to_owned())));

    let audit = SqliteAuditLog::open(&database).unwrap();
    let changes: Vec<(String, String)> = audit
        .recent(50)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.action == AuditAction::RunbookChange)
        .map(|event| (event.model, event.outcome))
        .rev()
        .collect();
    let expected: Vec<(String, String)> = [
        ("frobnicator", "created"),
        ("frobnicator", "replaced"),
        ("disk-full", "replaced"),
        ("oom-killed", "deleted"),
        ("frobnicator", "deleted"),
        ("oom-killed", "created"),
    ]
    .iter()
    .map(|(id, outcome)| ((*id).to_owned(), (*outcome).to_owned()))
    .collect();
    assert_eq!(changes, expected);
    let first = audit.recent(50).await.unwrap();
    let created_event = first
        .iter()
        .rfind(|event| event.action == AuditAction::RunbookChange)
        .unwrap();
    assert_eq!(created_event.bytes, FROBNICATOR.len() as u64);
    assert_eq!(created_event.sha256.as_ref().map(String::len), Some(64));
}

#[tokio::test]
async fn the_openapi_document_describes_the_runbook_routes_and_the_admin_token() {
    let directory = tempfile::tempdir().unwrap();
    let app = app_over(&directory.path().join("faultmaven.sqlite"), None).await;
    let (status, _, document) = send(&app, get("/api/v1/openapi.json")).await;
    assert_eq!(status, 200);
    let paths = &document["paths"];
    assert!(paths["/api/v1/runbooks"]["get"].is_object());
    assert!(paths["/api/v1/runbooks/{id}"]["get"].is_object());
    let admin = &paths["/api/v1/admin/runbooks/{id}"];
    assert!(admin["put"]["responses"]["413"].is_object());
    assert!(admin["delete"]["responses"]["403"].is_object());
    assert_eq!(
        admin["put"]["security"][0]["admin_token"],
        serde_json::json!([])
    );
    assert_eq!(
        document["components"]["securitySchemes"]["admin_token"]["scheme"],
        "bearer"
    );
}
