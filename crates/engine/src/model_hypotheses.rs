//! Hypotheses proposed by a capable (remote) model: it reads the findings and the engine's own
//! hypotheses and answers in a strict JSON shape; every candidate is checked against the
//! session before it is kept.
//!
//! A candidate is kept only when every finding it cites exists in the session (and it cites
//! at least one) and every entity it names occurs in the analysed data; the rest are dropped
//! with the reason, reported in [`ModelHypothesesReport`]. Its confidence comes from the
//! scores of the findings it cites, never from the model's say-so, and never exceeds the
//! engine's own hypotheses on the same evidence. The embedded 135M model is not asked: it
//! cannot keep to the JSON shape ([`LlmProvider::follows_structured_instructions`]).

use crate::answer::sanitize;
use faultmaven_ingest::Redactor;
use faultmaven_llm::{ChatMessage, GenerationRequest, LlmProvider};
use faultmaven_model::{
    Evidence, Finding, FindingId, Hypothesis, HypothesisCategory, HypothesisId, HypothesisStatus,
    NextStep, RootCause, TemplateSummary, TimelineEvent,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt::Write as _;

const SYSTEM_TEMPLATE: &str = include_str!("../prompts/hypotheses_system.txt");
const USER_TEMPLATE: &str = include_str!("../prompts/hypotheses_user.txt");

/// Findings listed in the prompt, strongest first.
const FINDINGS_IN_PROMPT: usize = 30;
/// Candidates read from one answer; the prompt asks for at most 3.
const MAX_CANDIDATES: usize = 5;
/// Longest title kept, in characters.
const MAX_TITLE_CHARS: usize = 160;
/// Longest rationale or next step kept, in characters.
const MAX_TEXT_CHARS: usize = 600;
/// Next steps kept per candidate.
const MAX_STEPS: usize = 3;
/// Shortest entity name checked against the data: shorter ones match anything.
const MIN_ENTITY_CHARS: usize = 3;

/// Confidence of a candidate citing findings of score 0; the findings' best score adds
/// [`MODEL_SPAN`] times itself. A model's reading of the findings is worth less than the
/// engine's rules and runbooks, so even perfect evidence stays at 0.70.
const MODEL_BASE: f64 = 0.25;
/// See [`MODEL_BASE`].
const MODEL_SPAN: f64 = 0.45;

/// What became of the model's proposals in one request.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelHypothesesReport {
    /// The provider asked, or `none`.
    pub provider: String,
    /// True when the model was asked.
    pub asked: bool,
    /// Titles of the candidates kept (they are among the hypotheses).
    pub kept: Vec<String>,
    /// Candidates dropped and why.
    pub dropped: Vec<DroppedCandidate>,
    /// Why the model was not asked or its answer was not usable, when so.
    pub note: Option<String>,
}

/// A candidate that did not pass the checks.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DroppedCandidate {
    /// Its title as the model wrote it (redacted, cut), or empty.
    pub title: String,
    /// Why it was dropped.
    pub reason: String,
}

/// What the model is shown and what its candidates are checked against.
pub(crate) struct ModelHypothesisInputs<'a> {
    /// The redacted question.
    pub question: Option<&'a str>,
    /// Every finding of the session.
    pub findings: &'a [Finding],
    /// The engine's own candidates of this request.
    pub engine_hypotheses: &'a [Hypothesis],
    /// Log templates of this request.
    pub templates: &'a [TemplateSummary],
    /// Root-cause suspects of this request.
    pub root_causes: &'a [RootCause],
    /// Timeline of this request.
    pub timeline: &'a [TimelineEvent],
}

/// Builds the request: findings (fenced as data) and the engine's hypotheses.
pub(crate) fn hypotheses_request(
    inputs: &ModelHypothesisInputs<'_>,
    max_tokens: u32,
) -> GenerationRequest {
    let mut ranked: Vec<&Finding> = inputs.findings.iter().collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    let mut findings = String::new();
    for finding in ranked.into_iter().take(FINDINGS_IN_PROMPT) {
        let subjects: Vec<&str> = finding.subjects.iter().map(|s| s.name.as_str()).collect();
        let _ = write!(
            findings,
            "- [{}] {:?}, score {:.2}: <data>{}</data>",
            finding.id,
            finding.severity,
            finding.score,
            sanitize(&finding.title)
        );
        if !subjects.is_empty() {
            let _ = write!(
                findings,
                " about <data>{}</data>",
                sanitize(&subjects.join(", "))
            );
        }
        if let Some(at) = finding.first_seen {
            let _ = write!(findings, " from {}", at.to_rfc3339());
        }
        findings.push('\n');
    }
    if findings.is_empty() {
        findings.push_str("- (none)\n");
    }
    let mut hypotheses = String::new();
    for hypothesis in inputs.engine_hypotheses {
        let cited: Vec<String> = hypothesis
            .finding_ids
            .iter()
            .map(ToString::to_string)
            .collect();
        let _ = writeln!(
            hypotheses,
            "- <data>{}</data> [{}]",
            sanitize(&hypothesis.title),
            cited.join(", ")
        );
    }
    if hypotheses.is_empty() {
        hypotheses.push_str("- (none)\n");
    }
    let question = inputs
        .question
        .map(sanitize)
        .unwrap_or_else(|| "(none: the engineer attached data without a question)".into());
    let user = USER_TEMPLATE
        .replace("{question}", &question)
        .replace("{findings}", findings.trim_end())
        .replace("{hypotheses}", hypotheses.trim_end());
    GenerationRequest {
        messages: vec![
            ChatMessage::system(SYSTEM_TEMPLATE.trim()),
            ChatMessage::user(user),
        ],
        max_tokens,
        temperature: 0.0,
        stop: Vec::new(),
        allow_fallback: false,
    }
}

/// One candidate as the model wrote it, read field by field so one wrong field drops only
/// its candidate.
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    title: String,
    category: HypothesisCategory,
    finding_ids: Vec<String>,
    entities: Vec<String>,
    rationale: String,
    next_steps: Vec<String>,
}

fn cut(text: &str, limit: usize) -> String {
    text.trim().chars().take(limit).collect()
}

fn strings(value: Option<&Value>) -> Result<Vec<String>, &'static str> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or("a list holds a non-string")
            })
            .collect(),
        Some(_) => Err("a list field is not a list"),
    }
}

fn category(text: &str) -> HypothesisCategory {
    serde_json::from_value(Value::String(text.trim().to_ascii_lowercase()))
        .unwrap_or(HypothesisCategory::Unknown)
}

fn candidate(value: &Value) -> Result<Candidate, (String, &'static str)> {
    let object = value
        .as_object()
        .ok_or_else(|| (String::new(), "not a JSON object"))?;
    let title = object
        .get("title")
        .and_then(Value::as_str)
        .map(|t| cut(t, MAX_TITLE_CHARS))
        .unwrap_or_default();
    let fail = |reason| (title.clone(), reason);
    if title.is_empty() {
        return Err(fail("no title"));
    }
    Ok(Candidate {
        category: object
            .get("category")
            .and_then(Value::as_str)
            .map_or(HypothesisCategory::Unknown, category),
        finding_ids: strings(object.get("finding_ids")).map_err(fail)?,
        entities: strings(object.get("entities")).map_err(fail)?,
        rationale: object
            .get("rationale")
            .and_then(Value::as_str)
            .map(|t| cut(t, MAX_TEXT_CHARS))
            .unwrap_or_default(),
        next_steps: strings(object.get("next_steps"))
            .map_err(fail)?
            .iter()
            .map(|step| cut(step, MAX_TEXT_CHARS))
            .filter(|step| !step.is_empty())
            .take(MAX_STEPS)
            .collect(),
        title,
    })
}

/// The JSON object in the model's text: models often wrap it in a code fence or a sentence,
/// so the outermost `{ … }` is taken.
fn json_object(text: &str) -> Result<Value, String> {
    let start = text.find('{').ok_or("the answer holds no JSON object")?;
    let end = text.rfind('}').ok_or("the answer holds no JSON object")?;
    if end < start {
        return Err("the answer holds no JSON object".into());
    }
    serde_json::from_str(&text[start..=end]).map_err(|error| format!("malformed JSON: {error}"))
}

/// Reads the candidates from the model's answer, or says why the answer is unusable.
fn parse_candidates(text: &str) -> Result<(Vec<Candidate>, Vec<DroppedCandidate>), String> {
    let answer = json_object(text)?;
    let list = answer
        .get("hypotheses")
        .and_then(Value::as_array)
        .ok_or("the JSON object has no \"hypotheses\" list")?;
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for value in list.iter().take(MAX_CANDIDATES) {
        match candidate(value) {
            Ok(candidate) => kept.push(candidate),
            Err((title, reason)) => dropped.push(DroppedCandidate {
                title,
                reason: reason.to_owned(),
            }),
        }
    }
    Ok((kept, dropped))
}

/// Lowercased text of everything the analysis kept from the data, to check that a named
/// entity occurs in it.
fn data_text(inputs: &ModelHypothesisInputs<'_>) -> String {
    let mut text = String::new();
    let mut add = |piece: &str| {
        text.push_str(&piece.to_lowercase());
        text.push('\n');
    };
    for finding in inputs.findings {
        add(&finding.title);
        add(&finding.detail);
        finding.subjects.iter().for_each(|s| add(&s.name));
        finding.entities.iter().for_each(|e| add(&e.id));
        for evidence in &finding.evidence {
            match evidence {
                Evidence::LogLines {
                    excerpt: Some(excerpt),
                    ..
                } => add(excerpt),
                Evidence::MetricPoint { series, .. } => add(series),
                Evidence::ConfigKey { path, .. } => add(path),
                Evidence::Span { .. } | Evidence::LogLines { excerpt: None, .. } => {}
            }
        }
    }
    inputs.templates.iter().for_each(|t| add(&t.template));
    for cause in inputs.root_causes {
        add(&cause.entity.name);
        cause.related.iter().for_each(|s| add(&s.name));
    }
    for event in inputs.timeline {
        add(&event.description);
        if let Some(entity) = &event.entity {
            add(&entity.name);
        }
    }
    text
}

/// Checks a candidate against the session; returns the cited findings or why it is dropped.
fn vet(
    candidate: &Candidate,
    findings: &[Finding],
    data: &str,
) -> Result<BTreeSet<FindingId>, String> {
    let mut cited = BTreeSet::new();
    for text in &candidate.finding_ids {
        let id = FindingId::parse(text.trim().trim_matches(['[', ']']))
            .ok()
            .filter(|id| findings.iter().any(|f| f.id == *id))
            .ok_or_else(|| {
                format!(
                    "cites {:?}, which is not a finding of this session",
                    cut(text, 16)
                )
            })?;
        cited.insert(id);
    }
    if cited.is_empty() {
        return Err("cites no finding".into());
    }
    for entity in &candidate.entities {
        let name = entity.trim().to_lowercase();
        if name.chars().count() >= MIN_ENTITY_CHARS && !data.contains(&name) {
            return Err(format!(
                "names {:?}, which does not occur in the data",
                cut(entity, 64)
            ));
        }
    }
    Ok(cited)
}

/// The candidate's confidence: from the best score among its cited findings, never above the
/// engine's own hypotheses that cite any of the same findings.
fn confidence(cited: &BTreeSet<FindingId>, findings: &[Finding], engine: &[Hypothesis]) -> f64 {
    let evidence = findings
        .iter()
        .filter(|f| cited.contains(&f.id))
        .map(|f| f.score.clamp(0.0, 1.0))
        .fold(0.0, f64::max);
    let own = MODEL_BASE + MODEL_SPAN * evidence;
    engine
        .iter()
        .filter(|h| h.finding_ids.iter().any(|id| cited.contains(id)))
        .map(|h| h.confidence)
        .fold(own, f64::min)
}

/// The engine hypothesis with the same title, when there is one. Same family on the same
/// findings is not a duplicate: the model's point is often a more specific cause ("a failover
/// of orders-db" where the engine says "a dependency failed").
fn duplicate_of<'a>(candidate: &Candidate, engine: &'a [Hypothesis]) -> Option<&'a str> {
    engine
        .iter()
        .find(|h| h.title.trim().eq_ignore_ascii_case(&candidate.title))
        .map(|h| h.title.as_str())
}

/// Turns the model's answer into hypotheses the engine can rank (ids unset), recording what
/// was kept and dropped. Model text is redacted before it is kept.
fn hypotheses_from_answer(
    text: &str,
    inputs: &ModelHypothesisInputs<'_>,
    redactor: &Redactor,
    provider: &str,
    report: &mut ModelHypothesesReport,
) -> Vec<Hypothesis> {
    let (candidates, mut dropped) = match parse_candidates(text) {
        Ok(parsed) => parsed,
        Err(note) => {
            report.note = Some(format!("the model's answer was ignored: {note}"));
            return Vec::new();
        }
    };
    let data = data_text(inputs);
    let mut kept = Vec::new();
    for candidate in candidates {
        let title = redactor.redact(&candidate.title).into_owned();
        let verdict =
            vet(&candidate, inputs.findings, &data).and_then(|cited| {
                match duplicate_of(&candidate, inputs.engine_hypotheses) {
                    Some(same) => Err(format!("the engine already proposes it: {same}")),
                    None => Ok(cited),
                }
            });
        let cited = match verdict {
            Ok(cited) => cited,
            Err(reason) => {
                dropped.push(DroppedCandidate { title, reason });
                continue;
            }
        };
        let cited_list: Vec<String> = cited.iter().map(ToString::to_string).collect();
        let rationale = redactor.redact(&candidate.rationale).into_owned();
        kept.push(Hypothesis {
            id: HypothesisId::new(0),
            confidence: confidence(&cited, inputs.findings, inputs.engine_hypotheses),
            category: candidate.category,
            rationale: format!(
                "Proposed by {provider} from {}; its confidence comes from those findings. {rationale}",
                cited_list.join(", ")
            )
            .trim_end()
            .to_owned(),
            finding_ids: cited.into_iter().collect(),
            suspects: Vec::new(),
            next_steps: candidate
                .next_steps
                .iter()
                .map(|step| NextStep {
                    description: redactor.redact(step).into_owned(),
                    command: None,
                })
                .collect(),
            runbook: None,
            status: HypothesisStatus::Open,
            title,
        });
    }
    report.kept = kept.iter().map(|h| h.title.clone()).collect();
    report.dropped = dropped;
    kept
}

/// Asks `llm` for candidate hypotheses when it is capable of it, and returns those that pass
/// the checks with the report. A model that cannot keep to the JSON shape is not asked; a
/// failed call or an unusable answer leaves the engine's hypotheses as they are.
pub(crate) async fn propose(
    llm: Option<&dyn LlmProvider>,
    inputs: &ModelHypothesisInputs<'_>,
    redactor: &Redactor,
    max_tokens: u32,
) -> (Vec<Hypothesis>, ModelHypothesesReport) {
    let mut report = ModelHypothesesReport {
        provider: llm.map_or_else(|| "none".to_owned(), |llm| llm.name().to_owned()),
        ..ModelHypothesesReport::default()
    };
    let Some(llm) = llm else {
        report.note = Some("no language model configured".into());
        return (Vec::new(), report);
    };
    if !llm.follows_structured_instructions() {
        report.note = Some(
            "not asked: the model is too small to propose hypotheses in the JSON shape".into(),
        );
        return (Vec::new(), report);
    }
    if max_tokens == 0 {
        report.note = Some("not asked: disabled by configuration".into());
        return (Vec::new(), report);
    }
    if inputs.findings.is_empty() {
        report.note = Some("not asked: no findings to reason over".into());
        return (Vec::new(), report);
    }
    report.asked = true;
    let generation = match llm
        .generate(hypotheses_request(inputs, max_tokens), None)
        .await
    {
        Ok(generation) => generation,
        Err(error) => {
            tracing::warn!(%error, "the model proposed no hypotheses");
            report.note = Some(format!("the model failed: {error}"));
            return (Vec::new(), report);
        }
    };
    let provider = report.provider.clone();
    let kept = hypotheses_from_answer(&generation.text, inputs, redactor, &provider, &mut report);
    (kept, report)
}

#[cfg(test)]
mod tests;
