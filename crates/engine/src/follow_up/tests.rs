//! Unit tests of follow-up questions: when they are asked, what they ask, what answers do.

use super::*;
use faultmaven_model::{
    AttachmentId, Evidence, FindingKind, QuestionAnswer, Severity, Suspect, SuspectKind,
};

/// 2024-05-01T14:02:00Z.
const ONSET: Timestamp = Timestamp::from_unix_millis(1_714_572_120_000);

fn finding(number: u32, title: &str, subject: &str, kind: SuspectKind) -> Finding {
    Finding {
        id: FindingId::new(number),
        kind: FindingKind::ErrorTemplate,
        severity: Severity::High,
        title: title.into(),
        detail: String::new(),
        score: 0.8,
        first_seen: Some(ONSET),
        last_seen: None,
        subjects: vec![Suspect {
            kind,
            name: subject.into(),
        }],
        template_id: None,
        evidence: vec![Evidence::LogLines {
            attachment: AttachmentId::new(1),
            first_line: 1,
            last_line: 1,
            excerpt: None,
        }],
        entities: Vec::new(),
    }
}

fn hypothesis(
    number: u32,
    category: HypothesisCategory,
    confidence: f64,
    suspect: (SuspectKind, &str),
    finding: u32,
) -> Hypothesis {
    Hypothesis {
        id: HypothesisId::new(number),
        title: format!("cause {number}"),
        category,
        confidence,
        rationale: String::new(),
        finding_ids: vec![FindingId::new(finding)],
        suspects: vec![Suspect {
            kind: suspect.0,
            name: suspect.1.into(),
        }],
        next_steps: Vec::new(),
        runbook: None,
        status: HypothesisStatus::Open,
    }
}

/// A configuration change of checkout against an outage of orders-db.
fn rivals(config: f64, database: f64) -> (Vec<Hypothesis>, Vec<Finding>) {
    (
        vec![
            hypothesis(
                1,
                HypothesisCategory::Configuration,
                config,
                (SuspectKind::Service, "checkout"),
                1,
            ),
            hypothesis(
                2,
                HypothesisCategory::DependencyFailure,
                database,
                (SuspectKind::Dependency, "orders-db"),
                2,
            ),
        ],
        vec![
            finding(
                1,
                "config key pool.size changed",
                "checkout",
                SuspectKind::Service,
            ),
            finding(
                2,
                "connection refused",
                "orders-db",
                SuspectKind::Dependency,
            ),
        ],
    )
}

fn open(questions: &[FollowUpQuestion]) -> Vec<&FollowUpQuestion> {
    questions.iter().filter(|q| q.answer.is_none()).collect()
}

#[test]
fn close_is_within_two_to_one_odds() {
    // 0.60 vs 0.50: odds 1.5 vs 1.0, a log-odds gap of 0.41 <= ln 2.
    let (close, _) = rivals(0.60, 0.50);
    assert!(close_hypotheses(&close).is_some());
    // 0.90 vs 0.60: odds 9 vs 1.5, a gap of 1.79.
    let (far, _) = rivals(0.90, 0.60);
    assert!(close_hypotheses(&far).is_none());
    // The same probability gap (0.10) is close in the middle and not close near certainty.
    let (middle, _) = rivals(0.55, 0.45);
    assert!(close_hypotheses(&middle).is_some());
    let (edge, _) = rivals(0.995, 0.895);
    assert!(close_hypotheses(&edge).is_none());
}

#[test]
fn close_hypotheses_get_one_discriminating_question_each() {
    let (hypotheses, findings) = rivals(0.60, 0.55);
    let questions = refresh_questions(Vec::new(), &hypotheses, &findings, &[]);
    assert_eq!(questions.len(), 2, "{questions:#?}");
    let deploy = &questions[0];
    assert_eq!(deploy.id, QuestionId::new(1));
    assert_eq!(deploy.topic, QuestionTopic::ConfigChange);
    assert_eq!(
        deploy.text,
        "Was the configuration of checkout changed at or shortly before 14:02 UTC?"
    );
    assert_eq!(deploy.supports_if_yes, vec![HypothesisId::new(1)]);
    assert_eq!(deploy.weakens_if_yes, vec![HypothesisId::new(2)]);
    let outage = &questions[1];
    assert_eq!(outage.topic, QuestionTopic::DependencyDown);
    assert_eq!(
        outage.text,
        "Was orders-db down, restarting or unreachable at 14:02 UTC?"
    );
    assert_eq!(outage.supports_if_yes, vec![HypothesisId::new(2)]);
    assert!(outage.reason.contains("H1 (60%)") && outage.reason.contains("H2 (55%)"));
}

#[test]
fn far_apart_or_confirmed_hypotheses_get_no_question() {
    let (far, findings) = rivals(0.90, 0.30);
    assert!(refresh_questions(Vec::new(), &far, &findings, &[]).is_empty());
    let (mut confirmed, findings) = rivals(0.60, 0.55);
    confirmed[1].status = HypothesisStatus::Confirmed;
    assert!(refresh_questions(Vec::new(), &confirmed, &findings, &[]).is_empty());
}

#[test]
fn a_question_both_sides_predict_is_not_asked() {
    let (mut hypotheses, findings) = rivals(0.60, 0.55);
    hypotheses[1].category = HypothesisCategory::Configuration;
    hypotheses[1].suspects = hypotheses[0].suspects.clone();
    assert!(refresh_questions(Vec::new(), &hypotheses, &findings, &[]).is_empty());
}

#[test]
fn yes_moves_the_supported_hypothesis_up_and_no_moves_it_down() {
    let (hypotheses, findings) = rivals(0.60, 0.55);
    let questions = refresh_questions(Vec::new(), &hypotheses, &findings, &[]);
    let outage = questions
        .iter()
        .find(|q| q.supports_if_yes == [HypothesisId::new(2)])
        .unwrap();

    let mut after_yes = hypotheses.clone();
    apply_answer(&mut after_yes, outage, AnswerValue::Yes);
    assert_eq!(after_yes[0].id, HypothesisId::new(2), "{after_yes:#?}");
    assert!(after_yes[0].confidence > 0.55 && after_yes[1].confidence < 0.60);

    let mut after_no = hypotheses.clone();
    apply_answer(&mut after_no, outage, AnswerValue::No);
    assert_eq!(after_no[0].id, HypothesisId::new(1));
    assert!(after_no[1].confidence < 0.55 && after_no[0].confidence > 0.60);

    let mut after_unknown = hypotheses.clone();
    apply_answer(&mut after_unknown, outage, AnswerValue::Unknown);
    assert_eq!(after_unknown, hypotheses);
}

#[test]
fn answered_questions_are_kept_and_never_asked_again() {
    let (hypotheses, findings) = rivals(0.60, 0.55);
    let mut questions = refresh_questions(Vec::new(), &hypotheses, &findings, &[]);
    questions[0].answer = Some(QuestionAnswer {
        value: AnswerValue::Unknown,
        comment: None,
        at: ONSET,
    });
    let again = refresh_questions(questions.clone(), &hypotheses, &findings, &[]);
    let asked_about_config = again
        .iter()
        .filter(|q| q.topic == QuestionTopic::ConfigChange)
        .count();
    assert_eq!(asked_about_config, 1, "{again:#?}");
    assert!(again[0].answer.is_some());
    // The open question asked again keeps its id; the deploy question takes the
    // configuration one's place for H1 with a new id.
    let open_ids: Vec<_> = open(&again).iter().map(|q| q.id).collect();
    assert!(open_ids.contains(&questions[1].id), "{again:#?}");
    assert!(open(&again)
        .iter()
        .any(|q| q.topic == QuestionTopic::Deploy && q.id == QuestionId::new(3)));
}

#[test]
fn answered_odds_survive_a_later_rescoring() {
    let (hypotheses, findings) = rivals(0.60, 0.55);
    let mut questions = refresh_questions(Vec::new(), &hypotheses, &findings, &[]);
    questions[1].answer = Some(QuestionAnswer {
        value: AnswerValue::Yes,
        comment: None,
        at: ONSET,
    });
    assert_eq!(answered_odds_factor(HypothesisId::new(2), &questions), 3.0);
    assert_eq!(answered_odds_factor(HypothesisId::new(1), &questions), 0.5);
    assert_eq!(answered_odds_factor(HypothesisId::new(7), &questions), 1.0);
}

#[test]
fn disk_trouble_asks_about_a_full_disk() {
    let (mut hypotheses, mut findings) = rivals(0.60, 0.55);
    hypotheses[1].category = HypothesisCategory::ResourceExhaustion;
    findings[1].title = "write failed: No space left on device".into();
    let questions = refresh_questions(Vec::new(), &hypotheses, &findings, &[]);
    let disk = questions
        .iter()
        .find(|q| q.topic == QuestionTopic::DiskFull)
        .unwrap();
    assert_eq!(
        disk.text,
        "Did the disk of orders-db fill up before 14:02 UTC?"
    );
}

#[test]
fn the_answer_section_lists_open_questions_only() {
    let (hypotheses, findings) = rivals(0.60, 0.55);
    let mut questions = refresh_questions(Vec::new(), &hypotheses, &findings, &[]);
    let section = questions_section(&questions);
    assert!(section.contains("## Questions that would settle it"));
    assert!(section.contains("- Q1 Was the configuration of checkout"));
    assert!(section.contains("(yes supports H1; no supports H2)"));
    for question in &mut questions {
        question.answer = Some(QuestionAnswer {
            value: AnswerValue::No,
            comment: None,
            at: ONSET,
        });
    }
    assert_eq!(questions_section(&questions), "");
}

#[test]
fn without_a_named_entity_the_question_says_what_it_is_about() {
    let (mut hypotheses, mut findings) = rivals(0.60, 0.55);
    for hypothesis in &mut hypotheses {
        hypothesis.suspects.clear();
    }
    for finding in &mut findings {
        finding.subjects.clear();
    }
    let questions = refresh_questions(Vec::new(), &hypotheses, &findings, &[]);
    let texts: Vec<&str> = questions.iter().map(|q| q.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Was the configuration of the failing service changed at or shortly before 14:02 UTC?",
            "Was a dependency of the failing service (database, cache, downstream API) down, \
             restarting or unreachable at 14:02 UTC?",
        ]
    );
    assert!(questions.iter().all(|q| q.entity.is_none()));
}
