//! Follow-up questions: when the leading hypotheses are close, ask the engineer about an event
//! one of them predicts and its rival does not ("Was there a deploy of checkout at or shortly
//! before 14:02 UTC?"), and move their confidences at once when the answer comes.
//!
//! "Close" is measured in log-odds: two hypotheses are close when the odds of the leader are
//! less than twice the odds of the rival (`|logit(p1) - logit(p2)| <= ln 2`). Log-odds, not
//! probability, because a gap of 0.05 means little at 0.50 and a lot at 0.97; and a gap in
//! log-odds is exactly the log likelihood ratio one piece of evidence must carry to swap the
//! two. Within ln 2, one yes/no answer (odds factors below) swaps them or confirms the order;
//! beyond it, an answer would not change the ranking, so the engineer is not asked.

use faultmaven_model::{
    AnswerValue, Finding, FindingId, FollowUpQuestion, Hypothesis, HypothesisCategory,
    HypothesisId, HypothesisStatus, QuestionId, QuestionTopic, Suspect, SuspectKind, TimelineEvent,
    Timestamp,
};
use std::fmt::Write as _;

/// Largest log-odds gap between the leader and a rival for them to count as close (odds 2:1).
pub(crate) const CLOSE_LOG_ODDS: f64 = std::f64::consts::LN_2;

/// Rivals of the leading hypothesis considered at once.
const MAX_RIVALS: usize = 2;

/// Open questions asked at once: more is a questionnaire, not a follow-up.
const MAX_OPEN_QUESTIONS: usize = 3;

/// Odds factor of a "yes" for the hypotheses the question supports. The question names an
/// event the hypothesis predicts, at the time its evidence starts; the engineer confirming it
/// is strong evidence (about 3:1).
const YES_SUPPORTS: f64 = 3.0;
/// Odds factor of a "yes" for the rivals: the event is one they do not predict.
const YES_WEAKENS: f64 = 0.5;
/// Odds factor of a "no" for the supported hypotheses. Weaker than a yes: an engineer's "no"
/// is often "not that I know of".
const NO_SUPPORTS: f64 = 0.5;
/// Odds factor of a "no" for the rivals.
const NO_WEAKENS: f64 = 1.5;

/// The odds factors an answer applies: (to the hypotheses a yes supports, to their rivals).
fn answer_factors(value: AnswerValue) -> (f64, f64) {
    match value {
        AnswerValue::Yes => (YES_SUPPORTS, YES_WEAKENS),
        AnswerValue::No => (NO_SUPPORTS, NO_WEAKENS),
        AnswerValue::Unknown => (1.0, 1.0),
    }
}

fn log_odds(probability: f64) -> f64 {
    let p = probability.clamp(1e-4, 1.0 - 1e-4);
    (p / (1.0 - p)).ln()
}

/// The open leader and its close rivals (at most [`MAX_RIVALS`]), or `None` when a cause is
/// confirmed or no rival is close.
pub(crate) fn close_hypotheses(
    hypotheses: &[Hypothesis],
) -> Option<(&Hypothesis, Vec<&Hypothesis>)> {
    if hypotheses
        .iter()
        .any(|h| h.status == HypothesisStatus::Confirmed)
    {
        return None;
    }
    let mut open = hypotheses
        .iter()
        .filter(|h| h.status == HypothesisStatus::Open);
    let leader = open.next()?;
    let rivals: Vec<&Hypothesis> = open
        .filter(|h| log_odds(leader.confidence) - log_odds(h.confidence) <= CLOSE_LOG_ODDS)
        .take(MAX_RIVALS)
        .collect();
    (!rivals.is_empty()).then_some((leader, rivals))
}

/// A question one hypothesis predicts the answer to.
#[derive(Debug, Clone, PartialEq)]
struct Probe {
    topic: QuestionTopic,
    entity: Option<String>,
    onset: Option<Timestamp>,
    finding_ids: Vec<FindingId>,
}

fn mentions_disk(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        "disk",
        "no space",
        "enospc",
        "volume",
        "filesystem",
        "inode",
    ]
    .iter()
    .any(|word| text.contains(word))
}

/// The topics a hypothesis predicts, most telling first.
fn topics(hypothesis: &Hypothesis, findings: &[&Finding]) -> Vec<QuestionTopic> {
    let about_disk = mentions_disk(&hypothesis.title)
        || mentions_disk(&hypothesis.rationale)
        || findings.iter().any(|f| mentions_disk(&f.title));
    match hypothesis.category {
        HypothesisCategory::Storage => vec![QuestionTopic::DiskFull],
        HypothesisCategory::ResourceExhaustion if about_disk => vec![QuestionTopic::DiskFull],
        HypothesisCategory::ResourceExhaustion => vec![QuestionTopic::ResourceLimit],
        HypothesisCategory::Configuration => {
            vec![QuestionTopic::ConfigChange, QuestionTopic::Deploy]
        }
        HypothesisCategory::CodeDefect | HypothesisCategory::Unknown => vec![QuestionTopic::Deploy],
        HypothesisCategory::DependencyFailure => vec![QuestionTopic::DependencyDown],
        HypothesisCategory::Network => vec![QuestionTopic::NetworkFault],
        HypothesisCategory::Performance => {
            vec![QuestionTopic::LoadIncrease, QuestionTopic::Deploy]
        }
        HypothesisCategory::Security => vec![QuestionTopic::CredentialChange],
    }
}

/// The entity a question about `topic` names: a dependency for an outage, else the service,
/// pod or host the hypothesis blames, else what its findings are about.
fn entity(topic: QuestionTopic, hypothesis: &Hypothesis, findings: &[&Finding]) -> Option<String> {
    let named = |suspect: &Suspect| !suspect.name.trim().is_empty();
    let preferred: &[SuspectKind] = match topic {
        QuestionTopic::DependencyDown => &[SuspectKind::Dependency, SuspectKind::Service],
        _ => &[
            SuspectKind::Service,
            SuspectKind::Dependency,
            SuspectKind::Pod,
            SuspectKind::Container,
            SuspectKind::Host,
            SuspectKind::Component,
        ],
    };
    let subjects = || findings.iter().flat_map(|f| f.subjects.iter());
    preferred
        .iter()
        .find_map(|kind| {
            hypothesis
                .suspects
                .iter()
                .chain(subjects())
                .find(|s| s.kind == *kind && named(s))
        })
        .map(|s| s.name.clone())
}

/// When the hypothesis's evidence starts: its earliest finding, or the earliest timeline event
/// of its findings or entities.
fn onset(
    hypothesis: &Hypothesis,
    findings: &[&Finding],
    timeline: &[TimelineEvent],
) -> Option<Timestamp> {
    let from_findings = findings.iter().filter_map(|f| f.first_seen).min();
    let from_timeline = timeline
        .iter()
        .filter(|event| {
            event
                .finding_id
                .is_some_and(|id| hypothesis.finding_ids.contains(&id))
                || event
                    .entity
                    .as_ref()
                    .is_some_and(|e| hypothesis.suspects.contains(e))
        })
        .map(|event| event.at)
        .min();
    match (from_findings, from_timeline) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn probes(
    hypothesis: &Hypothesis,
    all_findings: &[Finding],
    timeline: &[TimelineEvent],
) -> Vec<Probe> {
    let findings: Vec<&Finding> = all_findings
        .iter()
        .filter(|f| hypothesis.finding_ids.contains(&f.id))
        .collect();
    let onset = onset(hypothesis, &findings, timeline);
    topics(hypothesis, &findings)
        .into_iter()
        .map(|topic| Probe {
            topic,
            entity: entity(topic, hypothesis, &findings),
            onset,
            finding_ids: hypothesis.finding_ids.iter().take(4).copied().collect(),
        })
        .collect()
}

fn clock(at: Timestamp) -> String {
    at.to_datetime().format("%H:%M UTC").to_string()
}

/// The question as the engineer reads it.
fn question_text(probe: &Probe) -> String {
    // Without a named entity, an outage question is about what the service depends on.
    let who = probe.entity.as_deref().unwrap_or(match probe.topic {
        QuestionTopic::DependencyDown => {
            "a dependency of the failing service (database, cache, downstream API)"
        }
        _ => "the failing service",
    });
    let at = |preposition: &str| {
        probe
            .onset
            .map_or_else(String::new, |t| format!(" {preposition} {}", clock(t)))
    };
    match probe.topic {
        QuestionTopic::Deploy => {
            format!("Was there a deploy of {who}{}?", at("at or shortly before"))
        }
        QuestionTopic::ConfigChange => format!(
            "Was the configuration of {who} changed{}?",
            at("at or shortly before")
        ),
        QuestionTopic::ResourceLimit => format!(
            "Did {who} hit a memory, connection or other resource limit (OOM kills, pool exhaustion){}?",
            at("before")
        ),
        QuestionTopic::DiskFull => format!("Did the disk of {who} fill up{}?", at("before")),
        QuestionTopic::DependencyDown => {
            format!("Was {who} down, restarting or unreachable{}?", at("at"))
        }
        QuestionTopic::NetworkFault => format!(
            "Was there network trouble (packet loss, DNS failures, added latency) to or from {who}{}?",
            at("around")
        ),
        QuestionTopic::LoadIncrease => format!(
            "Did traffic to {who} or its CPU use rise sharply{}?",
            at("around")
        ),
        QuestionTopic::CredentialChange => format!(
            "Did a certificate, password or token used by {who} expire or change{}?",
            at("shortly before")
        ),
    }
}

fn percent(hypothesis: &Hypothesis) -> String {
    format!("{} ({:.0}%)", hypothesis.id, hypothesis.confidence * 100.0)
}

/// Regenerates the session's questions from its hypotheses, findings and timeline. Answered
/// questions are kept as they are and never asked again; an open question asked again keeps
/// its id; open questions that no longer separate close hypotheses are dropped.
pub(crate) fn refresh_questions(
    existing: Vec<FollowUpQuestion>,
    hypotheses: &[Hypothesis],
    findings: &[Finding],
    timeline: &[TimelineEvent],
) -> Vec<FollowUpQuestion> {
    let mut next_number = existing.iter().map(|q| q.id.number()).max().unwrap_or(0) + 1;
    let (answered, previously_open): (Vec<_>, Vec<_>) =
        existing.into_iter().partition(|q| q.answer.is_some());
    let mut questions = answered;
    let Some((leader, rivals)) = close_hypotheses(hypotheses) else {
        return questions;
    };
    let mut contenders = vec![leader];
    contenders.extend(rivals.iter().copied());
    let all_probes: Vec<(HypothesisId, Vec<Probe>)> = contenders
        .iter()
        .map(|h| (h.id, probes(h, findings, timeline)))
        .collect();
    let reason = format!(
        "{} and {} are within {:.0}:1 odds of each other",
        percent(leader),
        rivals
            .iter()
            .map(|h| percent(h))
            .collect::<Vec<_>>()
            .join(", "),
        CLOSE_LOG_ODDS.exp()
    );
    let mut open = 0;
    'contenders: for (hypothesis_id, probes) in &all_probes {
        for probe in probes {
            if open >= MAX_OPEN_QUESTIONS {
                break 'contenders;
            }
            let entity = probe.entity.as_deref();
            // A question both sides predict separates nothing.
            let shared = all_probes.iter().any(|(other, other_probes)| {
                other != hypothesis_id
                    && other_probes
                        .iter()
                        .any(|p| p.topic == probe.topic && p.entity == probe.entity)
            });
            if shared
                || questions
                    .iter()
                    .any(|q| q.asks_same_as(probe.topic, entity))
            {
                continue;
            }
            let id = previously_open
                .iter()
                .find(|q| q.asks_same_as(probe.topic, entity))
                .map_or_else(
                    || {
                        next_number += 1;
                        QuestionId::new(next_number - 1)
                    },
                    |q| q.id,
                );
            questions.push(FollowUpQuestion {
                id,
                text: question_text(probe),
                topic: probe.topic,
                entity: probe.entity.clone(),
                supports_if_yes: vec![*hypothesis_id],
                weakens_if_yes: contenders
                    .iter()
                    .map(|h| h.id)
                    .filter(|id| id != hypothesis_id)
                    .collect(),
                finding_ids: probe.finding_ids.clone(),
                reason: reason.clone(),
                answer: None,
            });
            open += 1;
            // One question per hypothesis keeps the list short and balanced between sides.
            continue 'contenders;
        }
    }
    questions.sort_by_key(|q| q.id);
    questions
}

/// Moves confidences in log-odds space for an answer to `question`: a yes raises the
/// hypotheses it supports and lowers their rivals, a no the other way round (more gently),
/// unknown moves nothing. Only open hypotheses move; feedback's verdicts stand.
pub(crate) fn apply_answer(
    hypotheses: &mut [Hypothesis],
    question: &FollowUpQuestion,
    value: AnswerValue,
) {
    if value == AnswerValue::Unknown {
        return;
    }
    let (supported, rivals) = answer_factors(value);
    for hypothesis in hypotheses
        .iter_mut()
        .filter(|h| h.status == HypothesisStatus::Open)
    {
        if question.supports_if_yes.contains(&hypothesis.id) {
            crate::learning::scale(hypothesis, supported);
        } else if question.weakens_if_yes.contains(&hypothesis.id) {
            crate::learning::scale(hypothesis, rivals);
        }
    }
    crate::learning::rerank(hypotheses);
}

/// The product of the odds factors the answered `questions` apply to `hypothesis_id`, so a
/// later request's re-scored hypotheses keep what the answers established.
pub(crate) fn answered_odds_factor(
    hypothesis_id: HypothesisId,
    questions: &[FollowUpQuestion],
) -> f64 {
    questions
        .iter()
        .filter_map(|q| q.answer.as_ref().map(|a| (q, a.value)))
        .fold(1.0, |factor, (question, value)| {
            let (supported, rivals) = answer_factors(value);
            if question.supports_if_yes.contains(&hypothesis_id) {
                factor * supported
            } else if question.weakens_if_yes.contains(&hypothesis_id) {
                factor * rivals
            } else {
                factor
            }
        })
}

/// The answer's section listing the open questions, or nothing when there are none.
pub(crate) fn questions_section(questions: &[FollowUpQuestion]) -> String {
    let open: Vec<&FollowUpQuestion> = questions.iter().filter(|q| q.answer.is_none()).collect();
    let Some(first) = open.first() else {
        return String::new();
    };
    let mut out = format!("\n\n## Questions that would settle it\n{}:\n", first.reason);
    for question in open {
        let ids = |ids: &[HypothesisId]| {
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "- {} {} (yes supports {}; no supports {})",
            question.id,
            question.text,
            ids(&question.supports_if_yes),
            ids(&question.weakens_if_yes)
        );
    }
    out
}

#[cfg(test)]
mod tests;
