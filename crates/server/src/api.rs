//! HTTP routes of the API. `router(state)` is the whole application, so tests call it with
//! `oneshot` and no socket.

use crate::dto::{
    AnswerRequest, AnswerResponse, FeedbackRequest, FollowUpQuestion, Health, HypothesesResponse,
    Hypothesis, SessionResponse, TroubleshootResponse,
};
use crate::error::ApiError;
use crate::runbooks::{self, RunbookAdmin};
use crate::{events, ui};
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRef, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use faultmaven_engine::{Engine, Investigation};
use faultmaven_model::{AnswerValue, AttachmentRole, HypothesisId, QuestionId, SessionId, Verdict};
use utoipa::OpenApi;

/// Limits on one request, enforced while it streams in.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest body in bytes.
    pub max_body_bytes: usize,
    /// Most file parts.
    pub max_files: usize,
    /// Longest text field in bytes.
    pub max_text_field_bytes: usize,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The application.
    pub engine: Engine,
    /// Request limits.
    pub limits: Limits,
    /// The runbook routes (list, read, and the admin changes).
    pub runbooks: RunbookAdmin,
}

impl FromRef<AppState> for RunbookAdmin {
    fn from_ref(state: &AppState) -> Self {
        state.runbooks.clone()
    }
}

/// Declares the admin bearer token in the OpenAPI document.
struct AdminTokenScheme;

impl utoipa::Modify for AdminTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The `[server] admin_token` (FAULTMAVEN__SERVER__ADMIN_TOKEN)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document, generated from the handlers and DTOs below.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "FaultMaven API",
        description = "Ask a question and attach logs, metrics, traces or configs in one call; get findings with evidence, ranked hypotheses and next steps."
    ),
    paths(
        troubleshoot,
        feedback,
        answer_question,
        get_session,
        delete_session,
        runbooks::list_runbooks,
        runbooks::get_runbook,
        runbooks::put_runbook,
        runbooks::delete_runbook,
        healthz,
        readyz
    ),
    components(schemas(crate::dto::TroubleshootForm, crate::dto::Problem)),
    modifiers(&AdminTokenScheme)
)]
pub struct ApiDoc;

/// The application's routes.
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits.max_body_bytes;
    Router::new()
        .route("/api/v1/troubleshoot", post(troubleshoot))
        .route(
            "/api/v1/sessions/{id}",
            get(get_session).delete(delete_session),
        )
        .route("/api/v1/sessions/{id}/feedback", post(feedback))
        .route("/api/v1/sessions/{id}/answers", post(answer_question))
        .route("/api/v1/runbooks", get(runbooks::list_runbooks))
        .route("/api/v1/runbooks/{id}", get(runbooks::get_runbook))
        .route(
            "/api/v1/admin/runbooks/{id}",
            put(runbooks::put_runbook).delete(runbooks::delete_runbook),
        )
        .route("/api/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(ui::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "no such route",
    )
}

fn multipart_error(error: MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Request too large",
            format!("the request body exceeds the limit: {}", error.body_text()),
        )
    } else {
        ApiError::bad_request(
            "malformed-multipart",
            "Malformed multipart body",
            error.body_text(),
        )
    }
}

fn parse_session_id(text: &str) -> Result<SessionId, ApiError> {
    SessionId::parse(text.trim()).map_err(|error| {
        ApiError::bad_request(
            "invalid-session-id",
            "Invalid session id",
            error.to_string(),
        )
    })
}

/// Reads a text field, refusing it as soon as it passes the limit.
async fn read_text_field(field: &mut Field<'_>, limit: usize) -> Result<String, ApiError> {
    let name = field.name().unwrap_or_default().to_owned();
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "field-too-large",
                "Text field too large",
                format!("the `{name}` field is longer than {limit} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| {
        ApiError::bad_request(
            "invalid-text",
            "Invalid text field",
            format!("the `{name}` field is not UTF-8"),
        )
    })
}

/// A file name from the client is a hint for people, not a path: keep the last path segment,
/// printable characters only, at most 200 characters.
fn clean_file_name(raw: Option<&str>, number: usize) -> String {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() {
        format!("upload-{number}")
    } else {
        cleaned
    }
}

/// Ask a question and attach data: one call through the whole pipeline.
///
/// With `Accept: text/event-stream` the answer comes as server-sent events, stage by stage:
/// `parsed` (`{"attachments": [...]}`), `analysed` (`{"findings": n, "templates": n}`),
/// `retrieved` (`{"runbooks": ["title", ...]}`), `answering` (`{"provider": "...",
/// "hypotheses": n}`), zero or more `answer_delta` (`{"text": "..."}`, the summary as the model
/// writes it, unverified), at most one `answer_reset` (`{"reason": "..."}`: discard the deltas
/// so far, the remote model failed part-way and the fallback's deltas follow), then `done`
/// with the same JSON as the plain response, or `error` with a problem object. Errors found
/// while the upload streams in are still plain `application/problem+json` responses.
#[utoipa::path(
    post,
    path = "/api/v1/troubleshoot",
    request_body(content = crate::dto::TroubleshootForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Findings, ranked hypotheses and the answer; as server-sent events (parsed, analysed, retrieved, answering, answer_delta, answer_reset, done or error) when the client accepts text/event-stream", content(
            (TroubleshootResponse = "application/json"),
            (String = "text/event-stream")
        )),
        (status = 400, description = "Empty request, malformed multipart, unknown field or invalid session id", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown or expired session", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body, field, file count or decompressed size over its limit", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit trail cannot record the upload; nothing was kept", body = crate::dto::Problem, content_type = "application/problem+json"),
    )
)]
async fn troubleshoot(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut multipart = multipart.map_err(|rejection| {
        ApiError::bad_request(
            "malformed-multipart",
            "Malformed multipart body",
            format!("expected multipart/form-data: {rejection}"),
        )
    })?;
    let limits = &state.limits;
    let mut query: Option<String> = None;
    let mut session_id: Option<SessionId> = None;
    let mut investigation: Option<Investigation> = None;
    let mut files = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "query" => {
                if query.is_some() {
                    return Err(ApiError::bad_request(
                        "duplicate-field",
                        "Duplicate field",
                        "send `query` once",
                    ));
                }
                query = Some(read_text_field(&mut field, limits.max_text_field_bytes).await?);
            }
            "session_id" => {
                if investigation.is_some() {
                    return Err(ApiError::bad_request(
                        "field-order",
                        "Field out of order",
                        "`session_id` must come before the file parts",
                    ));
                }
                let text = read_text_field(&mut field, limits.max_text_field_bytes).await?;
                if !text.trim().is_empty() {
                    session_id = Some(parse_session_id(&text)?);
                }
            }
            "file" | "baseline" => {
                files += 1;
                if files > limits.max_files {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too-many-files",
                        "Too many files",
                        format!("at most {} files per request", limits.max_files),
                    ));
                }
                let role = if name == "baseline" {
                    AttachmentRole::Baseline
                } else {
                    AttachmentRole::Incident
                };
                let file_name = clean_file_name(field.file_name(), files);
                let current = match investigation.as_mut() {
                    Some(current) => current,
                    None => {
                        investigation.insert(state.engine.begin(None, session_id.clone()).await?)
                    }
                };
                current.begin_attachment(&file_name, role).await?;
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    current.intake.feed(chunk.to_vec()).await?;
                }
                current.intake.end_attachment().await?;
            }
            other => {
                let shown: String = other.chars().take(64).collect();
                let detail =
                    format!("unknown field {shown:?}; expected query, session_id, file, baseline");
                return Err(ApiError::bad_request(
                    "unknown-field",
                    "Unknown field",
                    detail,
                ));
            }
        }
    }
    let mut investigation = match investigation {
        Some(investigation) => investigation,
        None => state.engine.begin(None, session_id).await?,
    };
    investigation.set_query(query.clone())?;
    if events::wants_event_stream(&headers) {
        // An empty request is refused with a plain 400 before any event is sent.
        if files == 0 && query.as_deref().is_none_or(|q| q.trim().is_empty()) {
            return Err(faultmaven_engine::EngineError::EmptyRequest.into());
        }
        return Ok(events::stream_finish(investigation));
    }
    let outcome = investigation.finish().await?;
    Ok(Json(TroubleshootResponse::from(&outcome)).into_response())
}

/// Say what worked or what was ruled out; the hypotheses come back re-ranked at once.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/feedback",
    params(("id" = String, Path, description = "Session id")),
    request_body = FeedbackRequest,
    responses(
        (status = 200, description = "Hypotheses re-ranked", body = HypothesesResponse),
        (status = 400, description = "Invalid body, hypothesis id or verdict", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown session or hypothesis", body = crate::dto::Problem, content_type = "application/problem+json"),
    )
)]
async fn feedback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<FeedbackRequest>, JsonRejection>,
) -> Result<Json<HypothesesResponse>, ApiError> {
    let session_id = parse_session_id(&id)?;
    let Json(body) = body.map_err(|rejection| {
        ApiError::bad_request("invalid-body", "Invalid JSON body", rejection.body_text())
    })?;
    let hypothesis_id = HypothesisId::parse(&body.hypothesis_id).map_err(|error| {
        ApiError::bad_request(
            "invalid-hypothesis-id",
            "Invalid hypothesis id",
            error.to_string(),
        )
    })?;
    let verdict: Verdict = serde_json::from_value(serde_json::Value::String(body.verdict.clone()))
        .map_err(|_| {
            ApiError::bad_request(
                "invalid-verdict",
                "Invalid verdict",
                format!(
                    "verdict {:?} is not one of worked, ruled_out, helpful, not_helpful",
                    body.verdict.chars().take(32).collect::<String>()
                ),
            )
        })?;
    check_comment(body.comment.as_deref(), &state.limits)?;
    let hypotheses = state
        .engine
        .feedback(&session_id, hypothesis_id, verdict, body.comment)
        .await?;
    Ok(Json(HypothesesResponse {
        hypotheses: hypotheses.iter().map(Hypothesis::from).collect(),
    }))
}

/// Refuses a comment longer than the text field limit.
fn check_comment(comment: Option<&str>, limits: &Limits) -> Result<(), ApiError> {
    match comment {
        Some(comment) if comment.len() > limits.max_text_field_bytes => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "field-too-large",
            "Comment too large",
            format!(
                "the comment is longer than {} bytes",
                limits.max_text_field_bytes
            ),
        )),
        _ => Ok(()),
    }
}

/// Answer a follow-up question; the hypotheses it separates move at once and come back
/// re-ranked with the questions still worth asking. Each question is answered once.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/answers",
    params(("id" = String, Path, description = "Session id")),
    request_body = AnswerRequest,
    responses(
        (status = 200, description = "Hypotheses re-ranked", body = AnswerResponse),
        (status = 400, description = "Invalid body, question id or answer", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown session or question", body = crate::dto::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The question was answered already", body = crate::dto::Problem, content_type = "application/problem+json"),
    )
)]
async fn answer_question(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<AnswerRequest>, JsonRejection>,
) -> Result<Json<AnswerResponse>, ApiError> {
    let session_id = parse_session_id(&id)?;
    let Json(body) = body.map_err(|rejection| {
        ApiError::bad_request("invalid-body", "Invalid JSON body", rejection.body_text())
    })?;
    let question_id = QuestionId::parse(&body.question_id).map_err(|error| {
        ApiError::bad_request(
            "invalid-question-id",
            "Invalid question id",
            error.to_string(),
        )
    })?;
    let answer: AnswerValue =
        serde_json::from_value(serde_json::Value::String(body.answer.clone())).map_err(|_| {
            ApiError::bad_request(
                "invalid-answer",
                "Invalid answer",
                format!(
                    "answer {:?} is not one of yes, no, unknown",
                    body.answer.chars().take(32).collect::<String>()
                ),
            )
        })?;
    check_comment(body.comment.as_deref(), &state.limits)?;
    let outcome = state
        .engine
        .answer_question(&session_id, question_id, answer, body.comment)
        .await?;
    Ok(Json(AnswerResponse {
        hypotheses: outcome.hypotheses.iter().map(Hypothesis::from).collect(),
        follow_up_questions: outcome
            .follow_up_questions
            .iter()
            .map(FollowUpQuestion::from)
            .collect(),
    }))
}

/// The session's findings, hypotheses, answer and feedback (never raw data).
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{id}",
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 200, description = "The session", body = SessionResponse),
        (status = 404, description = "Unknown or expired session", body = crate::dto::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SessionResponse>, ApiError> {
    let session = state.engine.session(&parse_session_id(&id)?).await?;
    Ok(Json(SessionResponse::from(&session)))
}

/// Deletes the session and everything derived from its data.
#[utoipa::path(
    delete,
    path = "/api/v1/sessions/{id}",
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "Unknown or expired session", body = crate::dto::Problem, content_type = "application/problem+json"),
    )
)]
async fn delete_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_session(&parse_session_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn health(state: &AppState) -> Health {
    Health {
        status: "ok".into(),
        llm: state.engine.llm_name(),
        runbooks: state.engine.runbook_count(),
    }
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
async fn healthz(State(state): State<AppState>) -> Json<Health> {
    Json(health(&state))
}

/// The process can serve requests: the session store answers.
#[utoipa::path(
    get,
    path = "/readyz",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "The session store does not answer", body = crate::dto::Problem, content_type = "application/problem+json"),
    )
)]
async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.engine.store().ping().await.map_err(|error| {
        tracing::error!(%error, "session store not ready");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            "Not ready",
            "the session store does not answer",
        )
    })?;
    Ok(Json(health(&state)))
}
