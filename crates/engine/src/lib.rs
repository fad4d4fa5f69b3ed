//! The application: query handling, orchestration of ingest → analysis → knowledge → LLM,
//! hypotheses and session learning.
//!
//! Architecture invariant: the engine knows no HTTP and no SQL. The server (or the CLI) feeds it
//! uploads as byte streams through an [`Investigation`] and gets typed results back; storage,
//! models and retrieval come in as trait objects.

mod answer;
mod answers;
mod audit;
mod calibration;
mod cases;
mod follow_up;
mod hypotheses;
mod intake;
mod learning;
mod model_hypotheses;
mod progress;
pub mod query;
mod ranking;
mod root_causes;
mod suspects;

pub use answer::{AnswerProvenance, UNVERIFIED_NAME_MARK};
pub use answers::QuestionOutcome;
pub use hypotheses::{categorize, category_phrase};
pub use intake::{DataIntake, IntakeResult, ReceivedUpload};
pub use model_hypotheses::{DroppedCandidate, ModelHypothesesReport};
pub use progress::Progress;

use answer::AnswerInputs;
use faultmaven_analysis::AnalysisConfig;
use faultmaven_ingest::{IngestConfig, Redactor};
use faultmaven_knowledge::{CaseHit, CaseLibrary, KnowledgeBase};
use faultmaven_llm::{LlmProvider, StreamPiece};
use faultmaven_model::{
    AttachmentRole, AttachmentSummary, FeedbackEvent, Finding, FollowUpQuestion, Hypothesis,
    HypothesisId, Intent, QuestionId, RequestKind, SessionId, SessionPlots, SessionState,
    TemplateSummary, Timestamp, Verdict,
};
use faultmaven_store::{AuditLog, CaseStore, SessionStore};
use hypotheses::{build_hypotheses, HypothesisInputs, RetrievedRunbook};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// Why an engine operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The session does not exist or has expired.
    #[error("session {0} not found or expired")]
    UnknownSession(SessionId),
    /// The hypothesis is not part of the session.
    #[error("hypothesis {0} is not part of this session")]
    UnknownHypothesis(HypothesisId),
    /// The follow-up question is not part of the session.
    #[error("question {0} is not part of this session")]
    UnknownQuestion(QuestionId),
    /// The follow-up question was answered already; its answer has moved the hypotheses.
    #[error("question {0} has been answered already")]
    QuestionAlreadyAnswered(QuestionId),
    /// Neither a question nor data.
    #[error("the request has neither a question nor data")]
    EmptyRequest,
    /// The question is longer than allowed.
    #[error("the question is {length} bytes; the limit is {limit}")]
    QueryTooLong {
        /// Bytes received.
        length: usize,
        /// The limit.
        limit: usize,
    },
    /// An upload could not be read (too large once decompressed, corrupt compression, ...).
    #[error(transparent)]
    Ingest(#[from] faultmaven_ingest::IngestError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] faultmaven_store::StoreError),
    /// The audit trail cannot record an upload: the request fails rather than leave data
    /// unaccounted for.
    #[error("the audit trail is unavailable: {0}")]
    AuditUnavailable(faultmaven_store::StoreError),
    /// Retrieval failed.
    #[error(transparent)]
    Knowledge(#[from] faultmaven_knowledge::KnowledgeError),
    /// A bug or an unexpected failure inside the engine.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Coarse classes of [`EngineError`], for mapping to HTTP statuses and exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineErrorKind {
    /// The client asked for something that does not exist.
    NotFound,
    /// The client sent something invalid.
    InvalidInput,
    /// An upload exceeded a limit.
    TooLarge,
    /// The request conflicts with the session's state (a question answered twice).
    Conflict,
    /// A part the service cannot work without (the audit trail) is down; retry later.
    Unavailable,
    /// The service failed.
    Internal,
}

impl EngineError {
    /// The class of the error.
    pub fn kind(&self) -> EngineErrorKind {
        match self {
            Self::UnknownSession(_) | Self::UnknownHypothesis(_) | Self::UnknownQuestion(_) => {
                EngineErrorKind::NotFound
            }
            Self::QuestionAlreadyAnswered(_) => EngineErrorKind::Conflict,
            Self::EmptyRequest => EngineErrorKind::InvalidInput,
            Self::QueryTooLong { .. } => EngineErrorKind::TooLarge,
            Self::Ingest(error) => match error.kind() {
                faultmaven_ingest::IngestErrorKind::TooLarge => EngineErrorKind::TooLarge,
                faultmaven_ingest::IngestErrorKind::InvalidInput => EngineErrorKind::InvalidInput,
            },
            Self::Store(_) | Self::Knowledge(_) | Self::Internal(_) => EngineErrorKind::Internal,
            Self::AuditUnavailable(_) => EngineErrorKind::Unavailable,
        }
    }
}

/// Engine settings (the `[engine]`, `[ingest]` and `[analysis]` sections of the configuration).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// How long a session lives after its last change, in seconds.
    pub session_ttl_seconds: u64,
    /// Longest question accepted, in bytes.
    pub max_query_bytes: usize,
    /// Hypotheses kept per session.
    pub max_hypotheses: usize,
    /// Runbooks retrieved per request.
    pub runbooks_retrieved: usize,
    /// Tokens the model may write for the summary.
    pub answer_max_tokens: u32,
    /// Tokens a capable (remote) model may write when it proposes hypotheses; 0 disables it.
    /// The embedded model is never asked.
    pub model_hypotheses_max_tokens: u32,
    /// Parsing settings.
    pub ingest: IngestConfig,
    /// Analysis settings.
    pub analysis: AnalysisConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            session_ttl_seconds: 4 * 3600,
            max_query_bytes: 16 * 1024,
            max_hypotheses: 5,
            runbooks_retrieved: 5,
            answer_max_tokens: 160,
            model_hypotheses_max_tokens: 700,
            ingest: IngestConfig::default(),
            analysis: AnalysisConfig::default(),
        }
    }
}

/// The parts the engine is assembled from.
pub struct EngineParts {
    /// Where sessions live.
    pub store: Arc<dyn SessionStore>,
    /// The model that writes summaries; `None` means the engine writes them itself.
    pub llm: Option<Arc<dyn LlmProvider>>,
    /// Runbooks and retrieval.
    pub knowledge: Arc<KnowledgeBase>,
    /// Where confirmed cases are kept (they outlive sessions; redacted summaries only).
    pub case_store: Arc<dyn CaseStore>,
    /// The searchable library of those cases, loaded from `case_store` at start-up.
    pub cases: Arc<CaseLibrary>,
}

struct Inner {
    config: EngineConfig,
    parts: EngineParts,
    /// Set once at assembly by [`Engine::with_audit_log`]; empty means no audit trail.
    audit: std::sync::OnceLock<Arc<dyn AuditLog>>,
}

/// The application. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// The result of one troubleshooting request.
#[derive(Debug, Clone)]
pub struct TroubleshootOutcome {
    /// The session (new or continued).
    pub session_id: SessionId,
    /// What the request carried.
    pub request_kind: RequestKind,
    /// What the engineer wants.
    pub intent: Intent,
    /// This request's uploads.
    pub attachments: Vec<AttachmentSummary>,
    /// This request's findings.
    pub findings: Vec<Finding>,
    /// All hypotheses of the session, ranked.
    pub hypotheses: Vec<Hypothesis>,
    /// Log templates mined in this request.
    pub templates: Vec<TemplateSummary>,
    /// Resolved past cases that resemble this request, best first.
    pub similar_cases: Vec<CaseHit>,
    /// Markdown answer.
    pub answer: String,
    /// Who wrote the summary and at what cost.
    pub provenance: AnswerProvenance,
    /// When the session expires.
    pub expires_at: Timestamp,
    /// Suspect entities of this request's data, most likely root cause first.
    pub root_causes: Vec<faultmaven_model::RootCause>,
    /// Events of this request's signals on one timeline.
    pub timeline: Vec<faultmaven_model::TimelineEvent>,
    /// This request's anomalous metric series, ready to plot.
    pub series_plots: Vec<faultmaven_model::SeriesPlot>,
    /// The waterfall of one slow trace of this request.
    pub trace_waterfall: Option<faultmaven_model::TraceWaterfall>,
    /// What limited this request's analysis (a miner budget spent, ...).
    pub notices: Vec<faultmaven_model::AnalysisNotice>,
    /// The session's follow-up questions: open ones (the leading hypotheses are close) and
    /// answered ones.
    pub follow_up_questions: Vec<FollowUpQuestion>,
    /// What became of the hypotheses a capable model proposed.
    pub model_hypotheses: ModelHypothesesReport,
}

/// One request in progress: feed its uploads through `intake`, then `finish`.
pub struct Investigation {
    engine: Engine,
    query: Option<String>,
    prior: Option<SessionState>,
    redactor: Arc<Redactor>,
    /// Stream uploads here.
    pub intake: DataIntake,
}

fn now() -> Timestamp {
    Timestamp::from(chrono::Utc::now())
}

impl Engine {
    /// Assembles the engine.
    pub fn new(config: EngineConfig, parts: EngineParts) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                parts,
                audit: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Records every model call and upload of this engine (and its clones) in `audit`. Call it
    /// once at assembly; a second call keeps the first log.
    pub fn with_audit_log(self, audit: Arc<dyn AuditLog>) -> Self {
        if self.inner.audit.set(audit).is_err() {
            tracing::warn!("the engine already has an audit log; keeping the first");
        }
        self
    }

    /// The configuration in force.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The session store (for readiness checks and the TTL sweeper).
    pub fn store(&self) -> Arc<dyn SessionStore> {
        Arc::clone(&self.inner.parts.store)
    }

    /// Name of the language model, or `none`.
    pub fn llm_name(&self) -> String {
        self.inner
            .parts
            .llm
            .as_ref()
            .map_or_else(|| "none".to_owned(), |llm| llm.name().to_owned())
    }

    /// Number of runbooks in the knowledge base.
    pub fn runbook_count(&self) -> usize {
        self.inner.parts.knowledge.len()
    }

    /// Starts a request. Checks the question and the session before any upload is read, so a
    /// bad request fails before the client has sent megabytes.
    pub async fn begin(
        &self,
        query: Option<String>,
        session_id: Option<SessionId>,
    ) -> Result<Investigation, EngineError> {
        let query = query.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
        if let Some(q) = &query {
            if q.len() > self.inner.config.max_query_bytes {
                return Err(EngineError::QueryTooLong {
                    length: q.len(),
                    limit: self.inner.config.max_query_bytes,
                });
            }
        }
        let prior = match session_id {
            Some(id) => Some(
                self.inner
                    .parts
                    .store
                    .get(&id, now())
                    .await?
                    .ok_or(EngineError::UnknownSession(id))?,
            ),
            None => None,
        };
        let next_attachment = prior.as_ref().map_or(1, |s| {
            s.attachments
                .iter()
                .map(|a| a.id.number())
                .max()
                .unwrap_or(0)
                + 1
        });
        let next_finding = prior.as_ref().map_or(1, |s| {
            s.findings.iter().map(|f| f.id.number()).max().unwrap_or(0) + 1
        });
        // One redactor per request: numbered placeholders (`<REDACTED:email:2>`) stay consistent
        // within the request and can never correlate data across sessions.
        let redactor = Arc::new(Redactor::new(&self.inner.config.ingest.redaction));
        let intake = DataIntake::start(
            self.inner.config.ingest.clone(),
            self.inner.config.analysis.clone(),
            Arc::clone(&redactor),
            next_attachment,
            next_finding,
        );
        Ok(Investigation {
            engine: self.clone(),
            query,
            prior,
            redactor,
            intake,
        })
    }

    /// Applies feedback to a hypothesis and returns the session's hypotheses, re-ranked.
    pub async fn feedback(
        &self,
        session_id: &SessionId,
        hypothesis_id: HypothesisId,
        verdict: Verdict,
        comment: Option<String>,
    ) -> Result<Vec<Hypothesis>, EngineError> {
        let store = &self.inner.parts.store;
        let mut session = store
            .get(session_id, now())
            .await?
            .ok_or_else(|| EngineError::UnknownSession(session_id.clone()))?;
        learning::apply_feedback(&mut session.hypotheses, hypothesis_id, verdict)?;
        // Feedback can separate the leaders (or confirm one): the open questions follow.
        session.follow_up_questions = follow_up::refresh_questions(
            std::mem::take(&mut session.follow_up_questions),
            &session.hypotheses,
            &session.findings,
            &[],
        );
        let comment = comment
            .map(|c| c.chars().take(2000).collect::<String>())
            .map(|c| self.redact(&c));
        let at = now();
        if verdict == Verdict::Worked {
            self.record_case(&session, hypothesis_id, comment.as_deref(), at)
                .await?;
        }
        session.feedback.push(FeedbackEvent {
            hypothesis_id,
            verdict,
            comment,
            at,
        });
        session.updated_at = at;
        session.expires_at = self.expiry_from(at);
        store.put(&session).await?;
        Ok(session.hypotheses)
    }

    /// Keeps what a confirmed hypothesis teaches as a past case, durable and searchable at once.
    async fn record_case(
        &self,
        session: &SessionState,
        hypothesis_id: HypothesisId,
        comment: Option<&str>,
        at: Timestamp,
    ) -> Result<(), EngineError> {
        let Some(case) = cases::case_from_confirmation(session, hypothesis_id, comment, at) else {
            return Ok(());
        };
        self.inner.parts.case_store.put_case(&case).await?;
        let library = Arc::clone(&self.inner.parts.cases);
        // Embedding the case is CPU work: off the async runtime.
        tokio::task::spawn_blocking(move || library.add(case))
            .await
            .map_err(|error| EngineError::Internal(format!("case indexing failed: {error}")))??;
        Ok(())
    }

    /// Number of past cases the engine can retrieve.
    pub fn case_count(&self) -> usize {
        self.inner.parts.cases.len()
    }

    /// The session's state.
    pub async fn session(&self, session_id: &SessionId) -> Result<SessionState, EngineError> {
        self.inner
            .parts
            .store
            .get(session_id, now())
            .await?
            .ok_or_else(|| EngineError::UnknownSession(session_id.clone()))
    }

    /// Deletes a session and everything derived from its data.
    pub async fn delete_session(&self, session_id: &SessionId) -> Result<(), EngineError> {
        if self.inner.parts.store.delete(session_id).await? {
            Ok(())
        } else {
            Err(EngineError::UnknownSession(session_id.clone()))
        }
    }

    /// Redacts free text with the engine's redactor.
    pub fn redact(&self, text: &str) -> String {
        Redactor::new(&self.inner.config.ingest.redaction)
            .redact(text)
            .into_owned()
    }

    fn expiry_from(&self, at: Timestamp) -> Timestamp {
        let ttl = Duration::from_secs(self.inner.config.session_ttl_seconds);
        Timestamp::from_unix_nanos(at.unix_nanos().saturating_add(ttl.as_nanos() as i64))
    }
}

impl Investigation {
    /// Sets the question (a multipart form may send it after the files).
    pub fn set_query(&mut self, query: Option<String>) -> Result<(), EngineError> {
        let query = query.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
        if let Some(q) = &query {
            let limit = self.engine.inner.config.max_query_bytes;
            if q.len() > limit {
                return Err(EngineError::QueryTooLong {
                    length: q.len(),
                    limit,
                });
            }
        }
        self.query = query;
        Ok(())
    }

    /// Starts the next upload of the request.
    pub async fn begin_attachment(
        &mut self,
        name: &str,
        role: AttachmentRole,
    ) -> Result<(), EngineError> {
        self.intake.begin_attachment(name, role).await
    }

    /// Ends the request's data: analyses, retrieves runbooks, builds and ranks hypotheses,
    /// writes the answer and saves the session.
    pub async fn finish(self) -> Result<TroubleshootOutcome, EngineError> {
        self.finish_with_progress(None).await
    }

    /// [`Investigation::finish`], telling `progress` about each stage as it completes and
    /// streaming the summary's text as the model writes it. When the receiver goes away the
    /// request still completes (the session is saved) but the model stops writing.
    pub async fn finish_with_progress(
        self,
        progress: Option<tokio::sync::mpsc::Sender<Progress>>,
    ) -> Result<TroubleshootOutcome, EngineError> {
        let report_progress = |event: Progress| {
            let progress = progress.clone();
            async move {
                if let Some(progress) = progress {
                    // A client that went away no longer needs progress; the work goes on.
                    let _ = progress.send(event).await;
                }
            }
        };
        let Investigation {
            engine,
            query,
            prior,
            redactor,
            intake,
        } = self;
        let inner = &engine.inner;
        let attachment_count = intake.attachment_count() as usize;
        if query.is_none() && attachment_count == 0 {
            return Err(EngineError::EmptyRequest);
        }
        let IntakeResult {
            attachments,
            received,
            report,
        } = intake.finish().await?;
        let query = query.map(|q| redactor.redact(&q).into_owned());
        let session_id = match &prior {
            Some(p) => p.id.clone(),
            None => SessionId::from_random_bytes(random_bytes()),
        };
        if let Some(audit) = inner.audit.get() {
            audit::record_uploads(audit.as_ref(), &session_id, &attachments, &received)
                .await
                .map_err(EngineError::AuditUnavailable)?;
        }
        report_progress(Progress::Parsed {
            attachments: attachments.clone(),
        })
        .await;
        report_progress(Progress::Analysed {
            findings: report.findings.len(),
            templates: report.templates.len(),
        })
        .await;

        let request_kind = query::classify_request_kind(query.is_some(), attachment_count);
        let signals = query::DataSignals {
            kinds: attachments.iter().map(|a| a.kind).collect(),
            finding_kinds: report.findings.iter().map(|f| f.kind).collect(),
        };
        let intent = query::classify_intent(query.as_deref(), &signals);

        // Retrieval is queried with the question and what the data showed.
        let mut retrieval_text = query.clone().unwrap_or_default();
        for finding in report.findings.iter().take(8) {
            retrieval_text.push('\n');
            retrieval_text.push_str(&finding.title);
        }
        let knowledge = Arc::clone(&inner.parts.knowledge);
        let case_library = Arc::clone(&inner.parts.cases);
        let case_text = cases::case_query(query.as_deref(), &report.findings);
        let runbooks_wanted = inner.config.runbooks_retrieved;
        let (hits, similar_cases) = tokio::task::spawn_blocking(move || {
            let runbook_hits = knowledge.search(&retrieval_text, runbooks_wanted)?;
            let case_hits = case_library.search(&case_text, SIMILAR_CASES)?;
            Ok::<_, faultmaven_knowledge::KnowledgeError>((runbook_hits, case_hits))
        })
        .await
        .map_err(|error| EngineError::Internal(format!("retrieval task failed: {error}")))??;
        // Runbooks are looked up once and held, so an admin edit during this request cannot
        // change them under it.
        let found_runbooks: Vec<(usize, Arc<faultmaven_knowledge::Runbook>)> = hits
            .iter()
            .enumerate()
            .filter_map(|(rank, hit)| {
                let runbook = inner.parts.knowledge.runbook(&hit.runbook_id)?;
                Some((rank, runbook))
            })
            .collect();
        let retrieved: Vec<RetrievedRunbook<'_>> = found_runbooks
            .iter()
            .map(|(rank, runbook)| RetrievedRunbook {
                runbook,
                rank: *rank,
            })
            .collect();
        report_progress(Progress::Retrieved {
            runbooks: retrieved
                .iter()
                .map(|hit| hit.runbook.title.clone())
                .collect(),
        })
        .await;

        let mut all_attachments = prior
            .as_ref()
            .map(|p| p.attachments.clone())
            .unwrap_or_default();
        all_attachments.extend(attachments.iter().cloned());
        let mut all_findings = prior
            .as_ref()
            .map(|p| p.findings.clone())
            .unwrap_or_default();
        all_findings.extend(report.findings.iter().cloned());

        let library = inner.parts.knowledge.runbooks();
        let mut fresh = build_hypotheses(&HypothesisInputs {
            findings: &report.findings,
            attachments: &all_attachments,
            runbooks: retrieved,
            library: &library,
            has_data: attachment_count > 0,
            question: query.as_deref(),
            limit: inner.config.max_hypotheses,
        });
        fresh.extend(root_causes::root_cause_hypotheses(&report.root_causes));
        ranking::weigh_against_each_other(&mut fresh, &report.findings);
        calibration::CalibrationMap::fitted().calibrate(&mut fresh);
        cases::apply_case_evidence(&mut fresh, &similar_cases);
        let llm: Option<Arc<dyn LlmProvider>> = match (&inner.parts.llm, inner.audit.get()) {
            (Some(llm), Some(audit)) => Some(Arc::new(audit::AuditedLlm {
                inner: Arc::clone(llm),
                audit: Arc::clone(audit),
                session_id: session_id.clone(),
            })),
            (llm, _) => llm.clone(),
        };
        let (proposed, model_hypotheses) = model_hypotheses::propose(
            llm.as_deref(),
            &model_hypotheses::ModelHypothesisInputs {
                question: query.as_deref(),
                findings: &all_findings,
                engine_hypotheses: &fresh,
                templates: &report.templates,
                root_causes: &report.root_causes,
                timeline: &report.timeline,
            },
            &redactor,
            inner.config.model_hypotheses_max_tokens,
        )
        .await;
        fresh.extend(proposed);
        fresh.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        fresh.truncate(inner.config.max_hypotheses.max(1));
        let (prior_hypotheses, feedback, prior_questions) = prior
            .as_ref()
            .map(|p| {
                (
                    p.hypotheses.clone(),
                    p.feedback.clone(),
                    p.follow_up_questions.clone(),
                )
            })
            .unwrap_or_default();
        let mut hypotheses =
            learning::merge_hypotheses(prior_hypotheses, fresh, &feedback, &prior_questions);
        hypotheses.truncate(inner.config.max_hypotheses.max(1) * 3);
        let follow_up_questions = follow_up::refresh_questions(
            prior_questions,
            &hypotheses,
            &all_findings,
            &report.timeline,
        );

        let attachment_names: Vec<_> = all_attachments
            .iter()
            .map(|a| (a.id, a.name.clone()))
            .collect();
        report_progress(Progress::Answering {
            provider: llm
                .as_ref()
                .map_or_else(|| "none".to_owned(), |llm| llm.name().to_owned()),
            hypotheses: hypotheses.len(),
        })
        .await;
        // Summary pieces go to the client as they are written; the forwarder ends (and the
        // model stops) when the client does.
        let (token_sender, forwarder) = match &progress {
            Some(progress) if llm.is_some() => {
                let (sender, mut receiver) = tokio::sync::mpsc::channel::<StreamPiece>(32);
                let progress = progress.clone();
                let forwarder = tokio::spawn(async move {
                    while let Some(piece) = receiver.recv().await {
                        let event = match piece {
                            StreamPiece::Text(text) => Progress::AnswerDelta { text },
                            StreamPiece::Reset { reason } => Progress::AnswerReset { reason },
                        };
                        if progress.send(event).await.is_err() {
                            break;
                        }
                    }
                });
                (Some(sender), Some(forwarder))
            }
            _ => (None, None),
        };
        let (answer, provenance) = answer::write_answer(
            &AnswerInputs {
                question: query.as_deref(),
                findings: &report.findings,
                hypotheses: &hypotheses,
                attachment_names: &attachment_names,
            },
            llm.as_deref(),
            inner.config.answer_max_tokens,
            token_sender,
        )
        .await;
        if let Some(forwarder) = forwarder {
            // Every delta is delivered before the caller sees the outcome.
            let _ = forwarder.await;
        }
        let answer = answer
            + &follow_up::questions_section(&follow_up_questions)
            + &cases::similar_cases_section(&similar_cases);

        let at = now();
        let mut queries = prior
            .as_ref()
            .map(|p| p.queries.clone())
            .unwrap_or_default();
        queries.extend(query.iter().cloned());
        // The session keeps the plots and notices of its latest request with data: a question
        // alone analyses nothing, and must not blank what the engineer was looking at.
        let (plots, notices) = if attachment_count > 0 {
            let mut plots = SessionPlots {
                timeline: report.timeline.clone(),
                series_plots: report.series_plots.clone(),
                trace_waterfall: report.trace_waterfall.clone(),
            };
            plots.drop_non_finite();
            (plots, report.notices.clone())
        } else {
            prior
                .as_ref()
                .map(|p| (p.plots.clone(), p.notices.clone()))
                .unwrap_or_default()
        };
        let state = SessionState {
            id: session_id.clone(),
            created_at: prior.as_ref().map_or(at, |p| p.created_at),
            updated_at: at,
            expires_at: engine.expiry_from(at),
            queries,
            request_kind,
            intent,
            attachments: all_attachments,
            findings: all_findings,
            templates: report.templates.clone(),
            hypotheses: hypotheses.clone(),
            answer: answer.clone(),
            feedback,
            follow_up_questions: follow_up_questions.clone(),
            plots,
            notices,
        };
        inner.parts.store.put(&state).await?;
        Ok(TroubleshootOutcome {
            session_id,
            request_kind,
            intent,
            attachments,
            findings: report.findings,
            hypotheses,
            templates: report.templates,
            similar_cases,
            answer,
            provenance,
            expires_at: state.expires_at,
            root_causes: report.root_causes,
            timeline: report.timeline,
            series_plots: report.series_plots,
            trace_waterfall: report.trace_waterfall,
            notices: report.notices,
            follow_up_questions,
            model_hypotheses,
        })
    }
}

/// Past cases returned per request.
const SIMILAR_CASES: usize = 3;

/// 16 bytes from the operating system's random generator: session ids must not be guessable.
fn random_bytes() -> [u8; 16] {
    uuid::Uuid::new_v4().into_bytes()
}
