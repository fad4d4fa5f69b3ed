//! Past cases: written when an engineer confirms a hypothesis ("worked"), retrieved for later
//! requests whose question and findings resemble them.
//!
//! A case is built only from derived, redacted session data (finding titles, the hypothesis,
//! the redacted feedback comment), so it may outlive the session without keeping raw data.

use faultmaven_knowledge::CaseHit;
use faultmaven_model::{Finding, Hypothesis, HypothesisId, PastCase, SessionState, Timestamp};

/// Longest symptom or resolution line kept in a case.
const MAX_LINE_CHARS: usize = 300;
/// Symptoms kept per case: the findings the hypothesis cited, most relevant first.
const MAX_SYMPTOMS: usize = 8;
/// Next steps kept as part of the resolution.
const MAX_STEPS: usize = 5;

fn clip(text: &str) -> String {
    text.chars().take(MAX_LINE_CHARS).collect()
}

/// The case a confirmed hypothesis of `session` teaches, with the engineer's (already redacted)
/// comment first in the resolution. `None` when the hypothesis is not in the session.
pub fn case_from_confirmation(
    session: &SessionState,
    hypothesis_id: HypothesisId,
    comment: Option<&str>,
    at: Timestamp,
) -> Option<PastCase> {
    let hypothesis: &Hypothesis = session
        .hypotheses
        .iter()
        .find(|hypothesis| hypothesis.id == hypothesis_id)?;
    let cited: Vec<&Finding> = hypothesis
        .finding_ids
        .iter()
        .filter_map(|id| session.findings.iter().find(|finding| finding.id == *id))
        .collect();
    let symptoms = cited
        .iter()
        .take(MAX_SYMPTOMS)
        .map(|finding| clip(&finding.title))
        .collect();
    let mut resolution: Vec<String> = comment
        .map(str::trim)
        .filter(|comment| !comment.is_empty())
        .map(clip)
        .into_iter()
        .collect();
    resolution.extend(hypothesis.next_steps.iter().take(MAX_STEPS).map(|step| {
        clip(&match &step.command {
            Some(command) => format!("{}: {command}", step.description),
            None => step.description.clone(),
        })
    }));
    Some(PastCase {
        id: format!("case-{}-{}", session.id.as_str(), hypothesis_id),
        created_at: at,
        session_id: session.id.clone(),
        root_cause: clip(&hypothesis.title),
        category: hypothesis.category,
        suspects: hypothesis.suspects.clone(),
        symptoms,
        resolution,
        runbook: hypothesis.runbook.clone(),
    })
}

/// The text similar cases are searched with: the question and the most relevant finding titles
/// (the same text runbooks are retrieved with).
pub fn case_query(question: Option<&str>, findings: &[Finding]) -> String {
    let mut text = question.unwrap_or_default().to_owned();
    for finding in findings.iter().take(8) {
        text.push('\n');
        text.push_str(&finding.title);
    }
    text
}

/// Odds multiplier for a hypothesis that names the same cause as a confirmed past case: a
/// resolved incident with matching symptoms is real evidence, but weaker than this session's
/// own data, so it nudges rather than decides.
const PAST_CASE_ODDS: f64 = 1.5;

/// True when the hypothesis and the case blame the same thing: the same runbook, or the same
/// category and at least one common suspect.
fn same_cause(hypothesis: &Hypothesis, case: &PastCase) -> bool {
    if hypothesis.runbook.is_some() && hypothesis.runbook == case.runbook {
        return true;
    }
    hypothesis.category == case.category
        && hypothesis
            .suspects
            .iter()
            .any(|suspect| case.suspects.contains(suspect))
}

/// Raises fresh hypotheses that match a similar confirmed case and says so in their rationale.
pub fn apply_case_evidence(hypotheses: &mut [Hypothesis], similar: &[CaseHit]) {
    for hypothesis in hypotheses.iter_mut() {
        let Some(hit) = similar.iter().find(|hit| same_cause(hypothesis, &hit.case)) else {
            continue;
        };
        let confidence = hypothesis.confidence.clamp(1e-6, 1.0 - 1e-6);
        let odds = confidence / (1.0 - confidence) * PAST_CASE_ODDS;
        hypothesis.confidence = odds / (1.0 + odds);
        hypothesis.rationale.push_str(&format!(
            " A past case with similar symptoms was resolved as \"{}\" ({}).",
            hit.case.root_cause, hit.case.id
        ));
    }
}

/// The answer's section on similar past cases (empty when there are none).
pub fn similar_cases_section(similar: &[CaseHit]) -> String {
    if similar.is_empty() {
        return String::new();
    }
    let mut section = String::from("\n\n## Similar past cases\n");
    for hit in similar {
        let case = &hit.case;
        section.push_str(&format!("\n- **{}** ({})", case.root_cause, case.id));
        if let Some(first) = case.resolution.first() {
            section.push_str(&format!(": resolved by {first}"));
        }
    }
    section.push('\n');
    section
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultmaven_model::{
        FindingId, FindingKind, HypothesisCategory, HypothesisStatus, Intent, NextStep,
        RequestKind, SessionId, Severity, Suspect, SuspectKind,
    };

    fn checkout() -> Suspect {
        Suspect {
            kind: SuspectKind::Service,
            name: "checkout".to_owned(),
        }
    }

    fn hypothesis(number: u32, runbook: Option<&str>, confidence: f64) -> Hypothesis {
        Hypothesis {
            id: HypothesisId::new(number),
            title: "Connection pool exhausted in checkout".to_owned(),
            category: HypothesisCategory::ResourceExhaustion,
            confidence,
            rationale: "E1 repeats.".to_owned(),
            finding_ids: vec![FindingId::new(1), FindingId::new(9)],
            suspects: vec![checkout()],
            next_steps: vec![NextStep {
                description: "Count connections by state".to_owned(),
                command: Some(
                    "psql -c 'select state, count(*) from pg_stat_activity group by 1'".to_owned(),
                ),
            }],
            runbook: runbook.map(str::to_owned),
            status: HypothesisStatus::Open,
        }
    }

    fn session() -> SessionState {
        let at = Timestamp::from_unix_nanos(5);
        SessionState {
            id: SessionId::from_random_bytes([3; 16]),
            created_at: at,
            updated_at: at,
            expires_at: at,
            queries: Vec::new(),
            request_kind: RequestKind::DataOnly,
            intent: Intent::DiagnoseError,
            attachments: Vec::new(),
            findings: vec![Finding {
                id: FindingId::new(1),
                kind: FindingKind::ErrorTemplate,
                severity: Severity::High,
                title: "ERROR template E1 'HikariPool-1 - Connection is not available'".into(),
                detail: String::new(),
                score: 0.9,
                first_seen: None,
                last_seen: None,
                subjects: Vec::new(),
                template_id: Some(1),
                evidence: Vec::new(),
                entities: Vec::new(),
            }],
            templates: Vec::new(),
            hypotheses: vec![hypothesis(1, Some("connection-pool-exhausted"), 0.6)],
            answer: String::new(),
            feedback: Vec::new(),
            follow_up_questions: Vec::new(),
            plots: Default::default(),
            notices: Vec::new(),
        }
    }

    #[test]
    fn a_confirmation_becomes_a_case_of_derived_text_only() {
        let session = session();
        let at = Timestamp::from_unix_nanos(9);
        let case = case_from_confirmation(
            &session,
            HypothesisId::new(1),
            Some(" raised pool to 40 "),
            at,
        )
        .expect("case");
        assert_eq!(case.id, format!("case-{}-H1", session.id.as_str()));
        assert_eq!(case.root_cause, "Connection pool exhausted in checkout");
        // F9 does not exist in the session: only real findings become symptoms.
        assert_eq!(case.symptoms, vec![session.findings[0].title.clone()]);
        assert_eq!(case.resolution[0], "raised pool to 40");
        assert!(case.resolution[1].starts_with("Count connections by state: psql"));
        assert_eq!(case.runbook.as_deref(), Some("connection-pool-exhausted"));
        assert!(case_from_confirmation(&session, HypothesisId::new(7), None, at).is_none());
    }

    #[test]
    fn matching_cases_raise_hypotheses_and_say_why() {
        let session = session();
        let case = case_from_confirmation(&session, HypothesisId::new(1), None, session.created_at)
            .expect("case");
        let hit = CaseHit {
            case,
            score: 0.1,
            keyword_rank: Some(1),
            vector_similarity: None,
        };
        let mut unrelated = hypothesis(2, Some("disk-full"), 0.5);
        unrelated.category = HypothesisCategory::Storage;
        unrelated.suspects.clear();
        let mut list = vec![
            hypothesis(1, Some("connection-pool-exhausted"), 0.5),
            unrelated,
        ];
        apply_case_evidence(&mut list, std::slice::from_ref(&hit));
        assert!(
            (list[0].confidence - 0.6).abs() < 1e-9,
            "{}",
            list[0].confidence
        );
        assert!(list[0].rationale.contains("past case"));
        assert_eq!(list[1].confidence, 0.5);

        // Same category and a common suspect also count, without a runbook.
        let mut by_suspect = vec![hypothesis(3, None, 0.5)];
        apply_case_evidence(&mut by_suspect, std::slice::from_ref(&hit));
        assert!(by_suspect[0].confidence > 0.5);

        let section = similar_cases_section(&[hit]);
        assert!(section.contains("## Similar past cases"));
        assert!(section.contains("Connection pool exhausted in checkout"));
        assert_eq!(similar_cases_section(&[]), "");
    }
}
