//! Session learning: feedback moves hypotheses at once, and follow-up requests merge their new
//! hypotheses into the session's list without losing what feedback established.
//!
//! Confidence is moved in log-odds space, so repeated feedback saturates smoothly and never
//! leaves [0, 1].

use crate::EngineError;
use faultmaven_model::{
    FeedbackEvent, FollowUpQuestion, Hypothesis, HypothesisId, HypothesisStatus, Verdict,
};

fn to_odds(probability: f64) -> f64 {
    let p = probability.clamp(1e-4, 1.0 - 1e-4);
    p / (1.0 - p)
}

fn from_odds(odds: f64) -> f64 {
    odds / (1.0 + odds)
}

/// Multiplies the hypothesis's odds by `odds_factor` (a likelihood ratio).
pub(crate) fn scale(hypothesis: &mut Hypothesis, odds_factor: f64) {
    hypothesis.confidence = from_odds(to_odds(hypothesis.confidence) * odds_factor).clamp(0.0, 1.0);
}

fn shares_findings(a: &Hypothesis, b: &Hypothesis) -> bool {
    a.finding_ids.iter().any(|id| b.finding_ids.contains(id))
}

/// Applies one piece of feedback and re-ranks. Fails when the hypothesis is not in the list.
pub fn apply_feedback(
    hypotheses: &mut [Hypothesis],
    hypothesis_id: HypothesisId,
    verdict: Verdict,
) -> Result<(), EngineError> {
    let target_index = hypotheses
        .iter()
        .position(|h| h.id == hypothesis_id)
        .ok_or(EngineError::UnknownHypothesis(hypothesis_id))?;
    let target = hypotheses[target_index].clone();
    for (index, hypothesis) in hypotheses.iter_mut().enumerate() {
        let is_target = index == target_index;
        match verdict {
            Verdict::Worked if is_target => {
                hypothesis.status = HypothesisStatus::Confirmed;
                hypothesis.confidence = hypothesis.confidence.max(0.97);
            }
            // One confirmed cause makes the others much less likely.
            Verdict::Worked if hypothesis.status == HypothesisStatus::Open => {
                scale(hypothesis, 0.3)
            }
            Verdict::RuledOut if is_target => {
                hypothesis.status = HypothesisStatus::RuledOut;
                scale(hypothesis, 0.05);
            }
            // The evidence still needs an explanation: hypotheses that cite the same findings
            // gain most, the rest a little.
            Verdict::RuledOut if hypothesis.status == HypothesisStatus::Open => scale(
                hypothesis,
                if shares_findings(hypothesis, &target) {
                    1.6
                } else {
                    1.2
                },
            ),
            Verdict::Helpful if is_target => scale(hypothesis, 1.8),
            Verdict::NotHelpful if is_target => scale(hypothesis, 0.5),
            _ => {}
        }
    }
    rerank(hypotheses);
    Ok(())
}

/// Sorts: confirmed first, then open by confidence, then ruled out; ties keep id order.
pub fn rerank(hypotheses: &mut [Hypothesis]) {
    let status_rank = |status: HypothesisStatus| match status {
        HypothesisStatus::Confirmed => 0,
        HypothesisStatus::Open => 1,
        HypothesisStatus::RuledOut => 2,
    };
    hypotheses.sort_by(|a, b| {
        status_rank(a.status)
            .cmp(&status_rank(b.status))
            .then(b.confidence.total_cmp(&a.confidence))
            .then(a.id.cmp(&b.id))
    });
}

/// Merges freshly built hypotheses (ids unset) into the session's list. A new hypothesis that
/// matches an existing one (same runbook, or same title) updates it in place and keeps its id
/// and status; the rest get new ids after the largest one in use. The odds factors of
/// "helpful"/"not helpful" feedback and of answered follow-up `questions` are applied to the
/// fresh confidence, so new evidence never undoes what the engineer said. Returns the merged
/// list, ranked.
pub fn merge_hypotheses(
    existing: Vec<Hypothesis>,
    fresh: Vec<Hypothesis>,
    feedback: &[FeedbackEvent],
    questions: &[FollowUpQuestion],
) -> Vec<Hypothesis> {
    let mut merged = existing;
    let mut next_number = merged.iter().map(|h| h.id.number()).max().unwrap_or(0) + 1;
    for mut hypothesis in fresh {
        let same = merged
            .iter_mut()
            .find(|old| match (&old.runbook, &hypothesis.runbook) {
                (Some(a), Some(b)) => a == b,
                _ => old.title == hypothesis.title,
            });
        match same {
            Some(old) => {
                for id in hypothesis.finding_ids {
                    if !old.finding_ids.contains(&id) {
                        old.finding_ids.push(id);
                    }
                }
                for suspect in hypothesis.suspects {
                    if !old.suspects.contains(&suspect) {
                        old.suspects.push(suspect);
                    }
                }
                old.rationale = hypothesis.rationale;
                old.next_steps = hypothesis.next_steps;
                if old.status == HypothesisStatus::Open {
                    // New evidence raises an open hypothesis; it never lowers what feedback set.
                    let helpful = feedback.iter().filter(|f| f.hypothesis_id == old.id).fold(
                        1.0,
                        |factor, f| match f.verdict {
                            Verdict::Helpful => factor * 1.8,
                            Verdict::NotHelpful => factor * 0.5,
                            _ => factor,
                        },
                    );
                    let answered = crate::follow_up::answered_odds_factor(old.id, questions);
                    let fresh_confidence =
                        from_odds(to_odds(hypothesis.confidence) * helpful * answered);
                    old.confidence = old.confidence.max(fresh_confidence);
                }
            }
            None => {
                hypothesis.id = HypothesisId::new(next_number);
                next_number += 1;
                merged.push(hypothesis);
            }
        }
    }
    rerank(&mut merged);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultmaven_model::{FindingId, HypothesisCategory};

    fn hypothesis(number: u32, confidence: f64, findings: &[u32]) -> Hypothesis {
        Hypothesis {
            id: HypothesisId::new(number),
            title: format!("cause {number}"),
            category: HypothesisCategory::Unknown,
            confidence,
            rationale: String::new(),
            finding_ids: findings.iter().map(|&n| FindingId::new(n)).collect(),
            suspects: vec![],
            next_steps: vec![],
            runbook: None,
            status: HypothesisStatus::Open,
        }
    }

    fn order(hypotheses: &[Hypothesis]) -> Vec<u32> {
        hypotheses.iter().map(|h| h.id.number()).collect()
    }

    #[test]
    fn ruled_out_moves_to_the_bottom_and_lifts_rivals_on_the_same_evidence() {
        let mut list = vec![
            hypothesis(1, 0.8, &[1]),
            hypothesis(2, 0.5, &[1]),
            hypothesis(3, 0.5, &[2]),
        ];
        apply_feedback(&mut list, HypothesisId::new(1), Verdict::RuledOut).unwrap();
        assert_eq!(order(&list), vec![2, 3, 1]);
        assert_eq!(list[2].status, HypothesisStatus::RuledOut);
        assert!(
            list[0].confidence > list[1].confidence,
            "shared evidence lifts H2 more than H3"
        );
    }

    #[test]
    fn worked_confirms_and_lowers_the_rest() {
        let mut list = vec![hypothesis(1, 0.8, &[1]), hypothesis(2, 0.3, &[2])];
        apply_feedback(&mut list, HypothesisId::new(2), Verdict::Worked).unwrap();
        assert_eq!(order(&list), vec![2, 1]);
        assert_eq!(list[0].status, HypothesisStatus::Confirmed);
        assert!(list[1].confidence < 0.8);
    }

    #[test]
    fn helpful_and_not_helpful_move_within_bounds() {
        let mut list = vec![hypothesis(1, 0.6, &[1]), hypothesis(2, 0.55, &[2])];
        apply_feedback(&mut list, HypothesisId::new(2), Verdict::Helpful).unwrap();
        assert_eq!(order(&list), vec![2, 1]);
        for _ in 0..50 {
            apply_feedback(&mut list, HypothesisId::new(2), Verdict::Helpful).unwrap();
        }
        assert!(list.iter().all(|h| (0.0..=1.0).contains(&h.confidence)));
        apply_feedback(&mut list, HypothesisId::new(1), Verdict::NotHelpful).unwrap();
        assert!(list[1].confidence < 0.6);
    }

    #[test]
    fn unknown_hypothesis_is_an_error() {
        let mut list = vec![hypothesis(1, 0.6, &[1])];
        assert!(matches!(
            apply_feedback(&mut list, HypothesisId::new(9), Verdict::Worked),
            Err(EngineError::UnknownHypothesis(_))
        ));
    }

    #[test]
    fn merge_keeps_ids_and_feedback() {
        let mut existing = vec![hypothesis(1, 0.7, &[1]), hypothesis(2, 0.6, &[2])];
        apply_feedback(&mut existing, HypothesisId::new(1), Verdict::RuledOut).unwrap();
        let mut again = hypothesis(0, 0.9, &[3]);
        again.title = "cause 1".into();
        let mut new = hypothesis(0, 0.5, &[4]);
        new.title = "brand new".into();
        let merged = merge_hypotheses(existing, vec![again, new], &[], &[]);
        let first = merged.iter().find(|h| h.title == "cause 1").unwrap();
        assert_eq!(first.id, HypothesisId::new(1));
        assert_eq!(
            first.status,
            HypothesisStatus::RuledOut,
            "feedback survives a follow-up"
        );
        assert!(first.finding_ids.contains(&FindingId::new(3)));
        let added = merged.iter().find(|h| h.title == "brand new").unwrap();
        assert_eq!(added.id, HypothesisId::new(3));
        assert_eq!(merged.last().unwrap().id, HypothesisId::new(1));
    }
}
