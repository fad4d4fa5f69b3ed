//! The JSON wire contract of the API (and of `faultmaven analyze --json`), with OpenAPI schemas.
//!
//! These mirror the `model` types on purpose: the API is a stable contract that can evolve
//! separately from the internal model, and only this crate knows JSON over HTTP.

use faultmaven_engine::{AnswerProvenance, TroubleshootOutcome};
use faultmaven_model as model;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod notices;
mod plots;
pub use notices::Notice;
pub use plots::{AnomalousRange, PlotPoint, SeriesPlot, TraceWaterfall, WaterfallSpan};

/// The answer to `POST /api/v1/troubleshoot`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TroubleshootResponse {
    /// Send it back as `session_id` to continue the session.
    pub session_id: String,
    /// `query_only`, `data_only` or `combined`.
    #[schema(example = "combined")]
    pub request_kind: String,
    /// `diagnose_error`, `performance`, `config_review`, `explain_data`, `how_to`, `outage`, `security`.
    #[schema(example = "diagnose_error")]
    pub intent: String,
    /// One entry per uploaded file of this request.
    pub attachments: Vec<Attachment>,
    /// What the analysis established, ranked.
    pub findings: Vec<Finding>,
    /// Candidate causes of the whole session, ranked.
    pub hypotheses: Vec<Hypothesis>,
    /// Mined log templates (most frequent first, at most 200).
    pub templates: Vec<Template>,
    /// Resolved past cases with similar symptoms (from earlier sessions), best first.
    pub similar_cases: Vec<SimilarCase>,
    /// Markdown answer grounded in the findings and hypotheses.
    pub answer: String,
    /// Who wrote the summary part of the answer.
    pub answer_provenance: Provenance,
    /// When the session and everything derived from its data is deleted (RFC 3339).
    pub expires_at: String,
    /// Suspect entities most likely to have started the incident, most likely first.
    pub root_causes: Vec<RootCause>,
    /// Events of every signal on one timeline, earliest first.
    pub timeline: Vec<TimelineEvent>,
    /// Anomalous metric series with their expected band, most important first (at most 6).
    pub series_plots: Vec<SeriesPlot>,
    /// The waterfall of one slow trace (the one the top trace finding cites, or the slowest).
    pub trace_waterfall: Option<TraceWaterfall>,
    /// What limited this request's analysis (a miner budget spent, ...); empty when nothing did.
    #[serde(default)]
    pub notices: Vec<Notice>,
    /// Questions that would separate the leading hypotheses when they are close (within 2:1
    /// odds); answer them with `POST /api/v1/sessions/{id}/answers`. Answered ones carry
    /// their answer and are never asked again.
    pub follow_up_questions: Vec<FollowUpQuestion>,
    /// What became of the hypotheses a remote model proposed (checked against the findings).
    pub model_hypotheses: ModelHypotheses,
}

/// Hypotheses a capable (remote) model proposed: kept only when every finding they cite exists
/// and every entity they name occurs in the data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ModelHypotheses {
    /// The provider asked, or `none`.
    pub provider: String,
    /// False when the model was not asked (none configured, or the embedded model, too small).
    pub asked: bool,
    /// Titles of the candidates kept; they are among `hypotheses`.
    pub kept: Vec<String>,
    /// Candidates dropped, with why.
    pub dropped: Vec<DroppedCandidate>,
    /// Why the model was not asked or its answer was ignored (malformed JSON), when so.
    pub note: Option<String>,
}

/// A model's candidate hypothesis that did not pass the checks.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DroppedCandidate {
    /// Its title (redacted), or empty.
    pub title: String,
    /// Why, e.g. `cites "F99", which is not a finding of this session`.
    pub reason: String,
}

/// A ranked root-cause suspect.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RootCause {
    /// 1 for the most likely.
    pub rank: u32,
    /// The suspect entity.
    pub entity: Entity,
    /// Other names of it in the data (pods, hosts).
    pub related: Vec<Entity>,
    /// `network_latency`, `cpu_saturation`, `memory`, `errors`, `configuration`, `dependency_outage` or `latency`.
    pub mechanism: String,
    /// In [0, 1].
    pub score: f64,
    /// When its first anomaly started (RFC 3339).
    pub onset: Option<String>,
    /// One sentence.
    pub summary: String,
    /// Evidence across signals, strongest first.
    pub evidence: Vec<RootCauseEvidence>,
}

/// One piece of evidence for a root-cause suspect.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RootCauseEvidence {
    /// `log`, `metric`, `trace` or `config`.
    pub signal: String,
    /// What it shows.
    pub description: String,
    /// The finding stating it, when one does.
    pub finding_id: Option<String>,
    /// A pointer into the data.
    pub evidence: Option<Evidence>,
}

/// One event on the incident timeline.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimelineEvent {
    /// RFC 3339.
    pub at: String,
    /// End of the finding's window (RFC 3339), when it lasts.
    pub until: Option<String>,
    /// `log`, `metric`, `trace` or `config`.
    pub signal: String,
    /// The entity, when known.
    pub entity: Option<Entity>,
    /// What happened.
    pub description: String,
    /// In [0, 1].
    pub strength: f64,
    /// The finding it comes from.
    pub finding_id: Option<String>,
    /// That finding's severity (`info` to `critical`).
    pub severity: Option<String>,
    /// That finding's kind, e.g. `metric_shift`.
    pub finding_kind: Option<String>,
}

impl From<&model::RootCause> for RootCause {
    fn from(c: &model::RootCause) -> Self {
        Self {
            rank: c.rank,
            entity: Entity::from(&c.entity),
            related: c.related.iter().map(Entity::from).collect(),
            mechanism: c.mechanism.as_str().to_owned(),
            score: (c.score * 1000.0).round() / 1000.0,
            onset: c.onset.map(|t| t.to_rfc3339()),
            summary: c.summary.clone(),
            evidence: c
                .evidence
                .iter()
                .map(|e| RootCauseEvidence {
                    signal: snake(&e.signal),
                    description: e.description.clone(),
                    finding_id: e.finding_id.as_ref().map(ToString::to_string),
                    evidence: e.evidence.as_ref().map(Evidence::from),
                })
                .collect(),
        }
    }
}

/// A resolved past case: what an engineer confirmed in an earlier session. Redacted, derived
/// text only; the earlier session's data is gone.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SimilarCase {
    /// `case-<session>-<hypothesis>`.
    pub id: String,
    /// The confirmed cause.
    pub root_cause: String,
    /// Cause family, e.g. `resource_exhaustion`.
    pub category: String,
    /// What was observed then (finding titles).
    pub symptoms: Vec<String>,
    /// What fixed it: the engineer's comment first, then the steps that were proposed.
    pub resolution: Vec<String>,
    /// The runbook that matched, if any.
    pub runbook: Option<String>,
    /// When it was recorded (RFC 3339).
    pub recorded_at: String,
    /// Retrieval score (reciprocal rank fusion); only comparable within one response.
    pub score: f32,
}

impl From<&faultmaven_knowledge::CaseHit> for SimilarCase {
    fn from(hit: &faultmaven_knowledge::CaseHit) -> Self {
        let case = &hit.case;
        Self {
            id: case.id.clone(),
            root_cause: case.root_cause.clone(),
            category: snake(&case.category),
            symptoms: case.symptoms.clone(),
            resolution: case.resolution.clone(),
            runbook: case.runbook.clone(),
            recorded_at: case.created_at.to_rfc3339(),
            score: hit.score,
        }
    }
}

/// One uploaded file.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    /// `a1`, `a2`, ...
    pub id: String,
    /// File name as sent.
    pub name: String,
    /// `incident` or `baseline`.
    pub role: String,
    /// `log`, `metric`, `trace`, `config`, `code` or `unknown`.
    pub kind: String,
    /// Detected format, e.g. `json_lines`.
    pub format: String,
    /// Bytes read (after decompression).
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Records produced.
    pub records: u64,
    /// Problems met while parsing.
    pub issues: Vec<Issue>,
    /// More issues occurred than are listed.
    pub issues_truncated: bool,
}

/// A parse problem.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Issue {
    /// 1-based line, when tied to one.
    pub line: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

/// An entity.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Entity {
    /// `service`, `host`, `pod`, `container`, `component`, `metric`, `endpoint`, `dependency`, `config_key`.
    pub kind: String,
    /// Name as in the data.
    pub name: String,
}

/// A pointer into the uploaded data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Evidence {
    /// Lines of an upload.
    LogLines {
        /// Attachment id.
        attachment: String,
        /// First line, 1-based.
        first_line: u64,
        /// Last line, inclusive.
        last_line: u64,
        /// Redacted text of the first line, shortened.
        excerpt: Option<String>,
    },
    /// A point of a metric series.
    MetricPoint {
        /// Attachment id.
        attachment: String,
        /// Series name and labels.
        series: String,
        /// RFC 3339, when the series is timed.
        timestamp: Option<String>,
        /// Observed value.
        value: f64,
        /// Line of the upload, 1-based.
        line: u64,
    },
    /// A span.
    Span {
        /// Attachment id.
        attachment: String,
        /// Trace id.
        trace_id: String,
        /// Span id.
        span_id: String,
    },
    /// A configuration key.
    ConfigKey {
        /// Attachment id.
        attachment: String,
        /// Key path.
        path: String,
        /// Line, when known.
        line: Option<u64>,
    },
}

/// A fact established by analysis.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    /// `F1`, `F2`, ...
    pub id: String,
    /// e.g. `error_template`, `log_burst`, `new_template`, `exception`, `metric_anomaly`.
    pub kind: String,
    /// `info`, `low`, `medium`, `high`, `critical`.
    pub severity: String,
    /// One line for a human.
    pub title: String,
    /// Counts, window, comparison.
    pub detail: String,
    /// Signal strength in [0, 1].
    pub score: f64,
    /// Start of the window (RFC 3339).
    pub first_seen: Option<String>,
    /// End of the window (RFC 3339).
    pub last_seen: Option<String>,
    /// Entities it is about.
    pub subjects: Vec<Entity>,
    /// Template id, for log-template findings.
    pub template_id: Option<u32>,
    /// Pointers into the data.
    pub evidence: Vec<Evidence>,
    /// Every entity an entity-anomaly finding flags, with its score (absent otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<FlaggedEntity>,
}

/// An entity (request id, block id, session, pod, ...) flagged by a finding.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FlaggedEntity {
    /// Kind of identifier: a key (`user_id`) or a shape (`req-<*>`, `blk_-<*>`, `uuid`, `ip`).
    pub kind: String,
    /// The identifier as in the data.
    pub id: String,
    /// How anomalous, in [0, 1].
    pub score: f64,
    /// Why, in a few words.
    pub reason: String,
    /// Attachment of the line that shows it.
    pub attachment: String,
    /// That line, 1-based.
    pub line: u64,
}

/// Lines of one template per time bucket.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateHistogram {
    /// Bucket width in seconds.
    pub bucket_seconds: i64,
    /// Start of the first incident bucket (RFC 3339); the same for every template.
    pub start: String,
    /// Incident lines per bucket.
    pub counts: Vec<u64>,
    /// Start of the first baseline bucket (RFC 3339), when the baseline is timed.
    pub baseline_start: Option<String>,
    /// Baseline lines per bucket of the same width.
    pub baseline_counts: Vec<u64>,
}

/// An action to confirm or rule out a hypothesis.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NextStep {
    /// What to do and what to look for.
    pub description: String,
    /// A command, when there is one.
    pub command: Option<String>,
}

/// A candidate cause.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Hypothesis {
    /// `H1`, `H2`, ... stable within the session.
    pub id: String,
    /// The proposed cause.
    pub title: String,
    /// Family of cause, e.g. `resource_exhaustion`.
    pub category: String,
    /// In [0, 1].
    pub confidence: f64,
    /// Why.
    pub rationale: String,
    /// Supporting findings.
    pub finding_ids: Vec<String>,
    /// Blamed entities.
    pub suspects: Vec<Entity>,
    /// How to check it.
    pub next_steps: Vec<NextStep>,
    /// Runbook id, when one matched.
    pub runbook: Option<String>,
    /// `open`, `confirmed` or `ruled_out`.
    pub status: String,
}

/// A mined log template.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Template {
    /// Template id.
    pub id: u32,
    /// Text with `<*>` for variables.
    pub template: String,
    /// Matching lines in incident data.
    pub count: u64,
    /// Matching lines in baseline data.
    pub baseline_count: u64,
    /// Most severe level seen.
    pub level: Option<String>,
    /// Attachment of the first matching line.
    pub first_attachment: String,
    /// First matching line.
    pub first_line: u64,
    /// Lines per time bucket, when the lines are timed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<TemplateHistogram>,
}

/// Who wrote the summary.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Provenance {
    /// Provider name, or `none`.
    pub provider: String,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generated tokens.
    pub completion_tokens: u32,
    /// Seconds in the model.
    pub seconds: f64,
    /// Citations removed because they did not verify.
    pub removed_citations: Vec<String>,
    /// Names the model wrote that were in nothing it was shown; each is marked in the text.
    #[serde(default)]
    pub unverified_names: Vec<String>,
    /// Why the model was not used, if it was not.
    pub fallback_reason: Option<String>,
}

/// Body of `POST /api/v1/sessions/{id}/feedback`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// The hypothesis, e.g. `H2`.
    pub hypothesis_id: String,
    /// `worked`, `ruled_out`, `helpful` or `not_helpful`.
    pub verdict: String,
    /// Optional free text (redacted before it is stored).
    pub comment: Option<String>,
}

/// Hypotheses after feedback, re-ranked.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HypothesesResponse {
    /// Ranked hypotheses.
    pub hypotheses: Vec<Hypothesis>,
}

/// Body of `POST /api/v1/sessions/{id}/answers`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The follow-up question, e.g. `Q1`.
    pub question_id: String,
    /// `yes`, `no` or `unknown` (recorded so the question is not asked again; moves nothing).
    pub answer: String,
    /// Optional free text (redacted before it is stored).
    pub comment: Option<String>,
}

/// Hypotheses re-ranked after an answer, with the session's questions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnswerResponse {
    /// Ranked hypotheses.
    pub hypotheses: Vec<Hypothesis>,
    /// Every question of the session: answered ones carry their answer; the open ones are
    /// still worth asking.
    pub follow_up_questions: Vec<FollowUpQuestion>,
}

/// A question whose yes/no answer separates hypotheses that are close (within 2:1 odds).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FollowUpQuestion {
    /// `Q1`, `Q2`, ... stable within the session.
    pub id: String,
    /// The question, e.g. "Was there a deploy of checkout at or shortly before 14:02 UTC?".
    pub text: String,
    /// `deploy`, `config_change`, `resource_limit`, `disk_full`, `dependency_down`,
    /// `network_fault`, `load_increase` or `credential_change`.
    pub topic: String,
    /// The entity it names.
    pub entity: Option<String>,
    /// Hypotheses a "yes" makes more likely (a "no" less likely).
    pub supports_if_yes: Vec<String>,
    /// Hypotheses a "yes" makes less likely (a "no" more likely).
    pub weakens_if_yes: Vec<String>,
    /// The findings it is about.
    pub finding_ids: Vec<String>,
    /// Which hypotheses are close, and how close.
    pub reason: String,
    /// `yes`, `no` or `unknown` once answered; absent while the question is open.
    pub answer: Option<String>,
    /// The redacted comment sent with the answer.
    pub answer_comment: Option<String>,
}

impl From<&model::FollowUpQuestion> for FollowUpQuestion {
    fn from(q: &model::FollowUpQuestion) -> Self {
        let ids = |ids: &[model::HypothesisId]| ids.iter().map(ToString::to_string).collect();
        Self {
            id: q.id.to_string(),
            text: q.text.clone(),
            topic: q.topic.as_str().to_owned(),
            entity: q.entity.clone(),
            supports_if_yes: ids(&q.supports_if_yes),
            weakens_if_yes: ids(&q.weakens_if_yes),
            finding_ids: q.finding_ids.iter().map(ToString::to_string).collect(),
            reason: q.reason.clone(),
            answer: q.answer.as_ref().map(|a| snake(&a.value)),
            answer_comment: q.answer.as_ref().and_then(|a| a.comment.clone()),
        }
    }
}

/// A feedback event as stored.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Feedback {
    /// Hypothesis id.
    pub hypothesis_id: String,
    /// Verdict.
    pub verdict: String,
    /// Redacted comment.
    pub comment: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// `GET /api/v1/sessions/{id}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionResponse {
    /// Session id.
    pub session_id: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
    /// Deletion time (RFC 3339).
    pub expires_at: String,
    /// Questions so far, redacted.
    pub queries: Vec<String>,
    /// Latest request kind.
    pub request_kind: String,
    /// Latest intent.
    pub intent: String,
    /// All uploads of the session.
    pub attachments: Vec<Attachment>,
    /// All findings of the session.
    pub findings: Vec<Finding>,
    /// Ranked hypotheses.
    pub hypotheses: Vec<Hypothesis>,
    /// Latest answer.
    pub answer: String,
    /// Feedback so far.
    pub feedback: Vec<Feedback>,
    /// Follow-up questions, open and answered.
    pub follow_up_questions: Vec<FollowUpQuestion>,
    /// Timeline of the latest request that carried data, earliest first.
    #[serde(default)]
    pub timeline: Vec<TimelineEvent>,
    /// Anomalous metric series of the latest request that carried data.
    #[serde(default)]
    pub series_plots: Vec<SeriesPlot>,
    /// Waterfall of one slow trace of the latest request that carried data.
    #[serde(default)]
    pub trace_waterfall: Option<TraceWaterfall>,
    /// What limited the analysis of the latest request that carried data.
    #[serde(default)]
    pub notices: Vec<Notice>,
}

/// `GET /readyz` and `GET /healthz`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Language model in use, or `none`.
    pub llm: String,
    /// Runbooks loaded.
    pub runbooks: usize,
}

/// An RFC 9457 problem body (`application/problem+json`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the problem type, e.g. `/problems/empty-request`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened in this case.
    pub detail: String,
}

fn snake<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => String::new(),
    }
}

impl From<&model::AttachmentSummary> for Attachment {
    fn from(a: &model::AttachmentSummary) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name.clone(),
            role: snake(&a.role),
            kind: a.kind.as_str().to_owned(),
            format: a.format.clone(),
            bytes: a.bytes,
            lines: a.lines,
            records: a.records,
            issues: a
                .issues
                .iter()
                .map(|i| Issue {
                    line: i.line,
                    reason: i.reason.clone(),
                })
                .collect(),
            issues_truncated: a.issues_truncated,
        }
    }
}

impl From<&model::Suspect> for Entity {
    fn from(s: &model::Suspect) -> Self {
        Self {
            kind: snake(&s.kind),
            name: s.name.clone(),
        }
    }
}

impl From<&model::Evidence> for Evidence {
    fn from(e: &model::Evidence) -> Self {
        match e {
            model::Evidence::LogLines {
                attachment,
                first_line,
                last_line,
                excerpt,
            } => Self::LogLines {
                attachment: attachment.to_string(),
                first_line: *first_line,
                last_line: *last_line,
                excerpt: excerpt.clone(),
            },
            model::Evidence::MetricPoint {
                attachment,
                series,
                timestamp,
                value,
                line,
            } => Self::MetricPoint {
                attachment: attachment.to_string(),
                series: series.clone(),
                timestamp: timestamp.map(|t| t.to_rfc3339()),
                value: *value,
                line: *line,
            },
            model::Evidence::Span {
                attachment,
                trace_id,
                span_id,
            } => Self::Span {
                attachment: attachment.to_string(),
                trace_id: trace_id.clone(),
                span_id: span_id.clone(),
            },
            model::Evidence::ConfigKey {
                attachment,
                path,
                line,
            } => Self::ConfigKey {
                attachment: attachment.to_string(),
                path: path.clone(),
                line: *line,
            },
        }
    }
}

impl From<&model::Finding> for Finding {
    fn from(f: &model::Finding) -> Self {
        Self {
            id: f.id.to_string(),
            kind: snake(&f.kind),
            severity: snake(&f.severity),
            title: f.title.clone(),
            detail: f.detail.clone(),
            score: f.score,
            first_seen: f.first_seen.map(|t| t.to_rfc3339()),
            last_seen: f.last_seen.map(|t| t.to_rfc3339()),
            subjects: f.subjects.iter().map(Entity::from).collect(),
            template_id: f.template_id,
            evidence: f.evidence.iter().map(Evidence::from).collect(),
            entities: f
                .entities
                .iter()
                .map(|e| FlaggedEntity {
                    kind: e.kind.clone(),
                    id: e.id.clone(),
                    score: e.score,
                    reason: e.reason.clone(),
                    attachment: e.attachment.to_string(),
                    line: e.line,
                })
                .collect(),
        }
    }
}

impl From<&model::NextStep> for NextStep {
    fn from(step: &model::NextStep) -> Self {
        Self {
            description: step.description.clone(),
            command: step.command.clone(),
        }
    }
}

impl From<&model::Hypothesis> for Hypothesis {
    fn from(h: &model::Hypothesis) -> Self {
        Self {
            id: h.id.to_string(),
            title: h.title.clone(),
            category: snake(&h.category),
            confidence: (h.confidence * 1000.0).round() / 1000.0,
            rationale: h.rationale.clone(),
            finding_ids: h.finding_ids.iter().map(ToString::to_string).collect(),
            suspects: h.suspects.iter().map(Entity::from).collect(),
            next_steps: h.next_steps.iter().map(NextStep::from).collect(),
            runbook: h.runbook.clone(),
            status: snake(&h.status),
        }
    }
}

impl From<&model::TemplateSummary> for Template {
    fn from(t: &model::TemplateSummary) -> Self {
        Self {
            id: t.id,
            template: t.template.clone(),
            count: t.count,
            baseline_count: t.baseline_count,
            level: t.level.map(|l| l.as_str().to_owned()),
            first_attachment: t.first_attachment.to_string(),
            first_line: t.first_line,
            histogram: t.histogram.as_ref().map(|h| TemplateHistogram {
                bucket_seconds: h.bucket_seconds,
                start: h.start.to_rfc3339(),
                counts: h.counts.clone(),
                baseline_start: h.baseline_start.map(|t| t.to_rfc3339()),
                baseline_counts: h.baseline_counts.clone(),
            }),
        }
    }
}

impl From<&AnswerProvenance> for Provenance {
    fn from(p: &AnswerProvenance) -> Self {
        Self {
            provider: p.provider.clone(),
            prompt_tokens: p.prompt_tokens,
            completion_tokens: p.completion_tokens,
            seconds: (p.seconds * 1000.0).round() / 1000.0,
            removed_citations: p.removed_citations.clone(),
            unverified_names: p.unverified_names.clone(),
            fallback_reason: p.fallback_reason.clone(),
        }
    }
}

/// Templates listed in a response.
const TEMPLATES_IN_RESPONSE: usize = 200;

impl From<&TroubleshootOutcome> for TroubleshootResponse {
    fn from(o: &TroubleshootOutcome) -> Self {
        Self {
            session_id: o.session_id.to_string(),
            request_kind: snake(&o.request_kind),
            intent: o.intent.as_str().to_owned(),
            attachments: o.attachments.iter().map(Attachment::from).collect(),
            findings: o.findings.iter().map(Finding::from).collect(),
            hypotheses: o.hypotheses.iter().map(Hypothesis::from).collect(),
            templates: o
                .templates
                .iter()
                .take(TEMPLATES_IN_RESPONSE)
                .map(Template::from)
                .collect(),
            similar_cases: o.similar_cases.iter().map(SimilarCase::from).collect(),
            answer: o.answer.clone(),
            answer_provenance: Provenance::from(&o.provenance),
            expires_at: o.expires_at.to_rfc3339(),
            root_causes: o.root_causes.iter().map(RootCause::from).collect(),
            timeline: plots::timeline(&o.timeline, &o.findings),
            series_plots: o.series_plots.iter().map(SeriesPlot::from).collect(),
            trace_waterfall: o.trace_waterfall.as_ref().map(TraceWaterfall::from),
            notices: o.notices.iter().map(Notice::from).collect(),
            follow_up_questions: o
                .follow_up_questions
                .iter()
                .map(FollowUpQuestion::from)
                .collect(),
            model_hypotheses: ModelHypotheses {
                provider: o.model_hypotheses.provider.clone(),
                asked: o.model_hypotheses.asked,
                kept: o.model_hypotheses.kept.clone(),
                dropped: o
                    .model_hypotheses
                    .dropped
                    .iter()
                    .map(|d| DroppedCandidate {
                        title: d.title.clone(),
                        reason: d.reason.clone(),
                    })
                    .collect(),
                note: o.model_hypotheses.note.clone(),
            },
        }
    }
}

impl From<&model::SessionState> for SessionResponse {
    fn from(s: &model::SessionState) -> Self {
        Self {
            session_id: s.id.to_string(),
            created_at: s.created_at.to_rfc3339(),
            updated_at: s.updated_at.to_rfc3339(),
            expires_at: s.expires_at.to_rfc3339(),
            queries: s.queries.clone(),
            request_kind: snake(&s.request_kind),
            intent: s.intent.as_str().to_owned(),
            attachments: s.attachments.iter().map(Attachment::from).collect(),
            findings: s.findings.iter().map(Finding::from).collect(),
            hypotheses: s.hypotheses.iter().map(Hypothesis::from).collect(),
            answer: s.answer.clone(),
            feedback: s
                .feedback
                .iter()
                .map(|f| Feedback {
                    hypothesis_id: f.hypothesis_id.to_string(),
                    verdict: snake(&f.verdict),
                    comment: f.comment.clone(),
                    at: f.at.to_rfc3339(),
                })
                .collect(),
            follow_up_questions: s
                .follow_up_questions
                .iter()
                .map(FollowUpQuestion::from)
                .collect(),
            // The session's findings include the plotted request's, so every event finds its
            // finding's severity and window.
            timeline: plots::timeline(&s.plots.timeline, &s.findings),
            series_plots: s.plots.series_plots.iter().map(SeriesPlot::from).collect(),
            trace_waterfall: s.plots.trace_waterfall.as_ref().map(TraceWaterfall::from),
            notices: s.notices.iter().map(Notice::from).collect(),
        }
    }
}

/// The multipart form of `POST /api/v1/troubleshoot` (for the OpenAPI document).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct TroubleshootForm {
    /// The question (optional when files are attached).
    pub query: Option<String>,
    /// Continue this session (must come before the file parts).
    pub session_id: Option<String>,
    /// Data to investigate: any number of parts, any format (detected from content).
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
    /// Known-good data to compare with: any number of parts.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub baseline: Vec<Vec<u8>>,
}

/// A runbook in `GET /api/v1/runbooks`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RunbookSummary {
    /// Stable id (the file stem, or the id it was written under).
    pub id: String,
    /// The cause it is about.
    pub title: String,
    /// `resource_exhaustion`, `dependency_failure`, `network`, `configuration`, `code_defect`,
    /// `performance`, `security`, `storage` or `unknown`.
    pub category: String,
    /// Log phrases and metric signs it matches.
    pub symptoms: Vec<String>,
    /// Technologies it applies to.
    pub services: Vec<String>,
    /// Retrieval keywords.
    pub tags: Vec<String>,
    /// `builtin` (shipped), `directory` (`[knowledge] runbook_dir`) or `admin` (written through
    /// the admin API, possibly replacing one of the others).
    #[schema(example = "builtin")]
    pub source: String,
}

impl RunbookSummary {
    /// The summary of `runbook`, which comes from `source`.
    pub fn new(
        runbook: &faultmaven_knowledge::Runbook,
        source: crate::runbooks::RunbookSource,
    ) -> Self {
        Self {
            id: runbook.id.clone(),
            title: runbook.title.clone(),
            category: snake(&runbook.category),
            symptoms: runbook.symptoms.clone(),
            services: runbook.services.clone(),
            tags: runbook.tags.clone(),
            source: source.as_str().to_owned(),
        }
    }
}

/// `GET /api/v1/runbooks`: every runbook in use, by id.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RunbookList {
    /// The runbooks.
    pub runbooks: Vec<RunbookSummary>,
}

/// One runbook with its body: `GET /api/v1/runbooks/{id}` and the admin `PUT`'s answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RunbookDetail {
    /// What the list shows.
    #[serde(flatten)]
    pub summary: RunbookSummary,
    /// The markdown after the front matter.
    pub body: String,
    /// The checks of the body: each fenced command with the line before it.
    pub steps: Vec<NextStep>,
}

impl RunbookDetail {
    /// The detail of `runbook`, which comes from `source`.
    pub fn new(
        runbook: &faultmaven_knowledge::Runbook,
        source: crate::runbooks::RunbookSource,
    ) -> Self {
        Self {
            summary: RunbookSummary::new(runbook, source),
            body: runbook.body.clone(),
            steps: runbook.steps.iter().map(NextStep::from).collect(),
        }
    }
}
