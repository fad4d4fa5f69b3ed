//! The runbook routes: anyone may list and read the runbooks in use; the admin routes, behind the
//! admin bearer token, create, replace and delete them. A change is validated by the same parser
//! as a runbook file, indexed at once (keywords and vectors), stored so it survives a restart,
//! and written to the audit log.

use crate::admin_token::AdminToken;
use crate::dto::{RunbookDetail, RunbookList, RunbookSummary};
use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use faultmaven_knowledge::{parse_runbook, KnowledgeBase, KnowledgeError, Runbook};
use faultmaven_model::Timestamp;
use faultmaven_store::{
    AuditAction, AuditEvent, AuditLog, RunbookBody, RunbookStore, StoredRunbook,
};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Where a runbook in use comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunbookSource {
    /// Shipped in the binary.
    Builtin,
    /// Loaded from `[knowledge] runbook_dir` at start-up.
    Directory,
    /// Written through the admin API (possibly replacing one of the others).
    Admin,
}

impl RunbookSource {
    /// The name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::Directory => "directory",
            Self::Admin => "admin",
        }
    }
}

/// The runbooks to index at start-up, with where each comes from.
#[derive(Debug)]
pub struct LoadedRunbooks {
    /// Built-in and directory runbooks with the stored admin changes applied.
    pub runbooks: Vec<Runbook>,
    /// Where every runbook the binary or the directory provides comes from (deleted ones too).
    pub base_sources: HashMap<String, RunbookSource>,
    /// Ids whose runbook in use was written through the admin API.
    pub admin_ids: HashSet<String>,
}

/// Applies the stored admin changes (`stored`) to the built-in and directory runbooks: a stored
/// runbook replaces the one of its id or is added, a tombstone removes it. A stored runbook that
/// no longer parses (a stricter parser in a newer release) is skipped with a warning, not fatal.
pub fn apply_stored_runbooks(
    builtin: Vec<Runbook>,
    directory: Vec<Runbook>,
    stored: Vec<StoredRunbook>,
) -> LoadedRunbooks {
    let mut base_sources = HashMap::new();
    for runbook in &builtin {
        base_sources.insert(runbook.id.clone(), RunbookSource::Builtin);
    }
    for runbook in &directory {
        base_sources.insert(runbook.id.clone(), RunbookSource::Directory);
    }
    let mut runbooks: Vec<Runbook> = builtin.into_iter().chain(directory).collect();
    let mut admin_ids = HashSet::new();
    for change in stored {
        let position = runbooks.iter().position(|runbook| runbook.id == change.id);
        match change.body {
            RunbookBody::Deleted => {
                if let Some(position) = position {
                    runbooks.remove(position);
                }
            }
            RunbookBody::Markdown(text) => match parse_runbook(&change.id, &text) {
                Ok(runbook) => {
                    admin_ids.insert(change.id);
                    match position {
                        Some(position) => runbooks[position] = runbook,
                        None => runbooks.push(runbook),
                    }
                }
                Err(error) => {
                    tracing::warn!(id = %change.id, %error, "stored runbook does not parse; skipped");
                }
            },
        }
    }
    LoadedRunbooks {
        runbooks,
        base_sources,
        admin_ids,
    }
}

/// What the runbook routes share.
#[derive(Clone)]
pub struct RunbookAdmin {
    knowledge: Arc<KnowledgeBase>,
    store: Arc<dyn RunbookStore>,
    audit: Option<Arc<dyn AuditLog>>,
    token: Option<AdminToken>,
    max_runbook_bytes: usize,
    base_sources: Arc<HashMap<String, RunbookSource>>,
    /// Ids written through the API. The lock also serialises changes, so the knowledge base and
    /// the store always see them in the same order.
    admin_ids: Arc<tokio::sync::Mutex<HashSet<String>>>,
}

/// Settings of [`RunbookAdmin::new`] besides the parts.
#[derive(Debug, Clone)]
pub struct RunbookAdminOptions {
    /// The admin bearer token; `None` disables the admin routes (403).
    pub token: Option<AdminToken>,
    /// Largest runbook accepted, in bytes.
    pub max_runbook_bytes: usize,
}

impl RunbookAdmin {
    /// The runbook routes' state over `knowledge` (built from `loaded.runbooks`).
    pub fn new(
        knowledge: Arc<KnowledgeBase>,
        store: Arc<dyn RunbookStore>,
        audit: Option<Arc<dyn AuditLog>>,
        loaded: &LoadedRunbooks,
        options: RunbookAdminOptions,
    ) -> Self {
        Self {
            knowledge,
            store,
            audit,
            token: options.token,
            max_runbook_bytes: options.max_runbook_bytes,
            base_sources: Arc::new(loaded.base_sources.clone()),
            admin_ids: Arc::new(tokio::sync::Mutex::new(loaded.admin_ids.clone())),
        }
    }

    fn source(&self, id: &str, admin_ids: &HashSet<String>) -> RunbookSource {
        if admin_ids.contains(id) {
            RunbookSource::Admin
        } else {
            self.base_sources
                .get(id)
                .copied()
                .unwrap_or(RunbookSource::Admin)
        }
    }

    /// Refuses the request unless the admin routes are enabled and it carries the token.
    fn authorize(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(token) = &self.token else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "admin-disabled",
                "Admin API disabled",
                "the admin routes are disabled: set [server] admin_token in the configuration \
                 file or FAULTMAVEN__SERVER__ADMIN_TOKEN (at least 16 characters) and restart",
            ));
        };
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value
                    .split_once(' ')
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                    .map(|(_, token)| token)
            });
        match presented {
            Some(presented) if token.matches(presented) => Ok(()),
            Some(_) => Err(unauthorized("the bearer token is not the admin token")),
            None => Err(unauthorized(
                "send the admin token as `Authorization: Bearer <token>`",
            )),
        }
    }

    async fn audit(&self, id: &str, outcome: &str, markdown: Option<&[u8]>) {
        let Some(audit) = &self.audit else {
            return;
        };
        let event = AuditEvent {
            at: now(),
            action: AuditAction::RunbookChange,
            session_id: None,
            provider: "admin-api".to_owned(),
            model: id.to_owned(),
            bytes: markdown.map_or(0, |bytes| bytes.len() as u64),
            sha256: markdown.map(sha256_hex),
            tokens_in: 0,
            tokens_out: 0,
            latency_ms: 0,
            outcome: outcome.to_owned(),
            detail: None,
            records: None,
            decoded_bytes: None,
        };
        // The change is made; an audit failure is logged for the operator rather than undoing it.
        if let Err(error) = audit.record(&event).await {
            tracing::error!(%error, runbook = id, "could not audit a runbook change");
        }
    }
}

fn now() -> Timestamp {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_unix_nanos(i64::try_from(since_epoch.as_nanos()).unwrap_or(i64::MAX))
}

fn unauthorized(detail: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Unauthorized",
        detail,
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn unknown_runbook(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown-runbook",
        "Unknown runbook",
        format!("no runbook has the id {id:?}"),
    )
}

/// The id from the path, checked by the runbook parser's own rule.
fn checked_id(id: &str) -> Result<&str, ApiError> {
    let valid = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(id)
    } else {
        let shown: String = id.chars().take(64).collect();
        Err(ApiError::bad_request(
            "invalid-runbook-id",
            "Invalid runbook id",
            format!(
                "runbook id {shown:?} must be 1 to 128 characters of A-Z, a-z, 0-9, '-', '_' and '.'"
            ),
        ))
    }
}

fn knowledge_error(error: KnowledgeError) -> ApiError {
    match error {
        KnowledgeError::InvalidRunbook { .. } | KnowledgeError::DuplicateRunbook(_) => {
            ApiError::bad_request("invalid-runbook", "Invalid runbook", error.to_string())
        }
        other => {
            tracing::error!(error = %other, "indexing a runbook failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "the runbook could not be indexed; it has been logged",
            )
        }
    }
}

fn store_error(error: faultmaven_store::StoreError) -> ApiError {
    tracing::error!(%error, "runbook store failed");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "store-unavailable",
        "Store unavailable",
        "the runbook could not be stored; nothing was changed",
    )
}

/// Runs CPU-heavy knowledge-base work (embedding) off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        tracing::error!(%error, "runbook indexing task failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the runbook could not be indexed; it has been logged",
        )
    })
}

/// Every runbook in use, by id.
#[utoipa::path(
    get,
    path = "/api/v1/runbooks",
    responses((status = 200, description = "The runbooks in use", body = RunbookList))
)]
pub async fn list_runbooks(State(admin): State<RunbookAdmin>) -> Json<RunbookList> {
    let admin_ids = admin.admin_ids.lock().await.clone();
    let mut runbooks: Vec<RunbookSummary> = admin
        .knowledge
        .runbooks()
        .iter()
        .map(|runbook| RunbookSummary::new(runbook, admin.source(&runbook.id, &admin_ids)))
        .collect();
    runbooks.sort_by(|left, right| left.id.cmp(&right.id));
    Json(RunbookList { runbooks })
}

/// One runbook in use, with its markdown body and steps.
#[utoipa::path(
    get,
    path = "/api/v1/runbooks/{id}",
    params(("id" = String, Path, description = "Runbook id")),
    responses(
        (status = 200, description = "The runbook", body = RunbookDetail),
        (status = 400, description = "Malformed id", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No runbook has this id", body = crate::dto::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_runbook(
    State(admin): State<RunbookAdmin>,
    Path(id): Path<String>,
) -> Result<Json<RunbookDetail>, ApiError> {
    let id = checked_id(&id)?;
    let runbook = admin
        .knowledge
        .runbook(id)
        .ok_or_else(|| unknown_runbook(id))?;
    let source = admin.source(id, &*admin.admin_ids.lock().await);
    Ok(Json(RunbookDetail::new(&runbook, source)))
}

/// Creates or replaces a runbook (admin). The body is the runbook file: front matter and
/// markdown, as in the runbook directory. It is searchable as soon as this returns.
#[utoipa::path(
    put,
    path = "/api/v1/admin/runbooks/{id}",
    params(("id" = String, Path, description = "Runbook id: A-Z, a-z, 0-9, '-', '_', '.'")),
    request_body(content = String, content_type = "text/markdown", description = "The runbook: `---` front matter (title, symptoms, category; optional services, tags) `---` then markdown"),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Replaced", body = RunbookDetail),
        (status = 201, description = "Created", body = RunbookDetail),
        (status = 400, description = "Malformed id, not UTF-8, or invalid front matter or steps (the detail names the line)", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin token", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The admin routes are disabled (no admin token configured)", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Runbook larger than [knowledge] max_runbook_bytes", body = crate::dto::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_runbook(
    State(admin): State<RunbookAdmin>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // Authorised before the body is read: an anonymous client cannot make the server read it.
    admin.authorize(&headers)?;
    let id = checked_id(&id)?.to_owned();
    let limit = admin.max_runbook_bytes;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "runbook-too-large",
            "Runbook too large",
            format!("a runbook may have at most {limit} bytes ([knowledge] max_runbook_bytes)"),
        )
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        ApiError::bad_request("invalid-text", "Invalid text", "the runbook is not UTF-8")
    })?;
    let runbook = parse_runbook(&id, text).map_err(knowledge_error)?;

    let mut admin_ids = admin.admin_ids.lock().await;
    let knowledge = Arc::clone(&admin.knowledge);
    let replaced = blocking(move || knowledge.upsert(runbook))
        .await?
        .map_err(knowledge_error)?;
    let stored = StoredRunbook {
        id: id.clone(),
        updated_at: now(),
        body: RunbookBody::Markdown(text.to_owned()),
    };
    if let Err(error) = admin.store.put_runbook(&stored).await {
        // Put the knowledge base back as it was, so what is served matches what is stored.
        let knowledge = Arc::clone(&admin.knowledge);
        let id_to_restore = id.clone();
        let restored = blocking(move || match replaced {
            Some(previous) => knowledge.upsert((*previous).clone()).map(|_| ()),
            None => {
                knowledge.remove(&id_to_restore);
                Ok(())
            }
        })
        .await;
        if !matches!(restored, Ok(Ok(()))) {
            tracing::error!(runbook = %id, "could not restore the runbook after a store failure");
        }
        return Err(store_error(error));
    }
    admin_ids.insert(id.clone());
    drop(admin_ids);
    let (status, outcome) = match replaced {
        Some(_) => (StatusCode::OK, "replaced"),
        None => (StatusCode::CREATED, "created"),
    };
    admin.audit(&id, outcome, Some(&bytes)).await;
    tracing::info!(runbook = %id, outcome, "runbook changed through the admin API");
    let runbook = admin
        .knowledge
        .runbook(&id)
        .ok_or_else(|| unknown_runbook(&id))?;
    Ok((
        status,
        Json(RunbookDetail::new(&runbook, RunbookSource::Admin)),
    )
        .into_response())
}

/// Deletes a runbook (admin): it is no longer retrieved, also after a restart. A built-in or
/// directory runbook is hidden; `PUT` the same id to bring a version of it back.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/runbooks/{id}",
    params(("id" = String, Path, description = "Runbook id")),
    security(("admin_token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin token", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The admin routes are disabled (no admin token configured)", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No runbook has this id", body = crate::dto::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_runbook(
    State(admin): State<RunbookAdmin>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    admin.authorize(&headers)?;
    let id = checked_id(&id)?.to_owned();
    let mut admin_ids = admin.admin_ids.lock().await;
    if admin.knowledge.runbook(&id).is_none() {
        return Err(unknown_runbook(&id));
    }
    // Stored first: if the store fails, nothing changed.
    if admin.base_sources.contains_key(&id) {
        let tombstone = StoredRunbook {
            id: id.clone(),
            updated_at: now(),
            body: RunbookBody::Deleted,
        };
        admin
            .store
            .put_runbook(&tombstone)
            .await
            .map_err(store_error)?;
    } else {
        admin.store.forget_runbook(&id).await.map_err(store_error)?;
    }
    admin.knowledge.remove(&id);
    admin_ids.remove(&id);
    drop(admin_ids);
    admin.audit(&id, "deleted", None).await;
    tracing::info!(runbook = %id, "runbook deleted through the admin API");
    Ok(StatusCode::NO_CONTENT)
}
