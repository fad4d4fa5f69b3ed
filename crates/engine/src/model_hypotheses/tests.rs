//! Unit tests of reading and checking a model's candidate hypotheses.

use super::*;
use faultmaven_ingest::RedactionConfig;
use faultmaven_model::{AttachmentId, FindingKind, Severity, Suspect, SuspectKind};

fn finding(number: u32, title: &str, score: f64) -> Finding {
    Finding {
        id: FindingId::new(number),
        kind: FindingKind::ErrorTemplate,
        severity: Severity::High,
        title: title.into(),
        detail: String::new(),
        score,
        first_seen: None,
        last_seen: None,
        subjects: vec![Suspect {
            kind: SuspectKind::Service,
            name: "checkout".into(),
        }],
        template_id: None,
        evidence: vec![Evidence::LogLines {
            attachment: AttachmentId::new(1),
            first_line: 3,
            last_line: 3,
            excerpt: Some("ERROR checkout connection refused to orders-db:5432".into()),
        }],
        entities: Vec::new(),
    }
}

fn engine_hypothesis(title: &str, confidence: f64, findings: &[u32]) -> Hypothesis {
    Hypothesis {
        id: HypothesisId::new(0),
        title: title.into(),
        category: HypothesisCategory::DependencyFailure,
        confidence,
        rationale: String::new(),
        finding_ids: findings.iter().map(|&n| FindingId::new(n)).collect(),
        suspects: Vec::new(),
        next_steps: Vec::new(),
        runbook: None,
        status: HypothesisStatus::Open,
    }
}

struct Session {
    findings: Vec<Finding>,
    engine: Vec<Hypothesis>,
}

impl Session {
    fn new() -> Self {
        Self {
            findings: vec![
                finding(1, "connection refused to orders-db", 0.9),
                finding(2, "latency of checkout rose", 0.4),
            ],
            engine: vec![engine_hypothesis("A dependency failed", 0.5, &[1])],
        }
    }

    fn inputs(&self) -> ModelHypothesisInputs<'_> {
        ModelHypothesisInputs {
            question: Some("why does checkout fail?"),
            findings: &self.findings,
            engine_hypotheses: &self.engine,
            templates: &[],
            root_causes: &[],
            timeline: &[],
        }
    }

    fn read(&self, answer: &str) -> (Vec<Hypothesis>, ModelHypothesesReport) {
        let mut report = ModelHypothesesReport::default();
        let redactor = Redactor::new(&RedactionConfig::default());
        let kept = hypotheses_from_answer(answer, &self.inputs(), &redactor, "test:m", &mut report);
        (kept, report)
    }
}

#[test]
fn a_fenced_answer_is_read_and_its_candidate_scored_from_its_findings() {
    let session = Session::new();
    let (kept, report) = session.read(
        "Here you go:\n```json\n{\"hypotheses\": [{\"title\": \"  Latency from checkout's own CPU  \", \
         \"category\": \"Performance\", \"finding_ids\": [\"[F2]\"], \"entities\": [\"checkout\", \"db\"], \
         \"next_steps\": [\"profile it\", \"\", 7]}]}\n```",
    );
    assert!(
        kept.is_empty(),
        "a list holding a number drops the candidate"
    );
    assert_eq!(report.dropped[0].reason, "a list holds a non-string");

    let (kept, report) = session.read(
        "{\"hypotheses\": [{\"title\": \"  Latency from checkout's own CPU  \", \
         \"category\": \"Performance\", \"finding_ids\": [\"[F2]\"], \"entities\": [\"checkout\", \"db\"], \
         \"next_steps\": [\"profile it\", \"\"]}]}",
    );
    assert_eq!(report.kept, vec!["Latency from checkout's own CPU"]);
    let hypothesis = &kept[0];
    assert_eq!(hypothesis.category, HypothesisCategory::Performance);
    assert_eq!(hypothesis.finding_ids, vec![FindingId::new(2)]);
    // 0.25 + 0.45 * 0.4: F2 is cited by no engine hypothesis, so nothing caps it.
    assert!(
        (hypothesis.confidence - 0.43).abs() < 1e-9,
        "{}",
        hypothesis.confidence
    );
    assert_eq!(hypothesis.next_steps.len(), 1);
    assert!(hypothesis
        .rationale
        .starts_with("Proposed by test:m from F2"));
}

#[test]
fn a_candidate_never_outranks_the_engine_on_the_same_evidence() {
    let session = Session::new();
    let (kept, _) = session.read(
        "{\"hypotheses\": [{\"title\": \"orders-db failed over\", \"category\": \"dependency_failure\", \
         \"finding_ids\": [\"F1\"], \"entities\": [\"orders-db\"]}]}",
    );
    // Its own score would be 0.25 + 0.45 * 0.9 = 0.655; the engine's hypothesis on F1 is 0.5.
    assert_eq!(kept[0].confidence, 0.5);
}

#[test]
fn unsupported_candidates_are_dropped_with_the_reason() {
    let session = Session::new();
    let (kept, report) = session.read(
        "{\"hypotheses\": [\
           {\"title\": \"ghost finding\", \"finding_ids\": [\"F1\", \"F42\"]},\
           {\"title\": \"no evidence at all\", \"finding_ids\": []},\
           {\"title\": \"invented host\", \"finding_ids\": [\"F1\"], \"entities\": [\"db-replica-9\"]},\
           {\"title\": \"A dependency failed\", \"finding_ids\": [\"F1\"]},\
           {\"category\": \"network\"},\
           {\"title\": \"bad list\", \"finding_ids\": \"F1\"}\
         ]}",
    );
    assert!(kept.is_empty());
    // The sixth candidate ("bad list") is past the cap of five and never read.
    let reasons: Vec<&str> = report.dropped.iter().map(|d| d.reason.as_str()).collect();
    assert_eq!(
        reasons,
        vec![
            "no title",
            "cites \"F42\", which is not a finding of this session",
            "cites no finding",
            "names \"db-replica-9\", which does not occur in the data",
            "the engine already proposes it: A dependency failed",
        ]
    );
}

#[test]
fn a_list_field_of_the_wrong_type_drops_its_candidate() {
    let (kept, report) = Session::new()
        .read("{\"hypotheses\": [{\"title\": \"bad list\", \"finding_ids\": \"F1\"}]}");
    assert!(kept.is_empty());
    assert_eq!(report.dropped[0].reason, "a list field is not a list");
    assert_eq!(report.dropped[0].title, "bad list");
}

#[test]
fn unusable_answers_leave_a_note() {
    let session = Session::new();
    for (answer, note) in [
        ("I think it is the database.", "holds no JSON object"),
        ("{\"hypotheses\": [", "holds no JSON object"),
        ("{\"hypotheses\": [}", "malformed JSON"),
        ("{\"causes\": []}", "no \"hypotheses\" list"),
    ] {
        let (kept, report) = session.read(answer);
        assert!(kept.is_empty());
        let written = report.note.unwrap();
        assert!(written.contains(note), "{answer:?}: {written}");
    }
}

#[test]
fn model_text_is_redacted_before_it_is_kept() {
    let session = Session::new();
    let (kept, _) = session.read(
        "{\"hypotheses\": [{\"title\": \"alice@example.com broke orders-db\", \
         \"finding_ids\": [\"F1\"], \"rationale\": \"ask alice@example.com\"}]}",
    );
    assert!(
        !kept[0].title.contains("alice@example.com"),
        "{}",
        kept[0].title
    );
    assert!(!kept[0].rationale.contains("alice@example.com"));
}

#[tokio::test]
async fn a_model_that_cannot_keep_the_shape_is_not_asked() {
    struct Small;
    #[async_trait::async_trait]
    impl LlmProvider for Small {
        fn name(&self) -> &str {
            "embedded:small"
        }
        fn context_tokens(&self) -> usize {
            2048
        }
        async fn generate(
            &self,
            _request: GenerationRequest,
            _tokens: Option<tokio::sync::mpsc::Sender<faultmaven_llm::StreamPiece>>,
        ) -> Result<faultmaven_llm::Generation, faultmaven_llm::LlmError> {
            panic!("the small model must not be asked");
        }
    }
    let session = Session::new();
    let redactor = Redactor::new(&RedactionConfig::default());
    let (kept, report) = propose(Some(&Small), &session.inputs(), &redactor, 700).await;
    assert!(kept.is_empty() && !report.asked);
    assert!(report.note.unwrap().contains("too small"));
    let (_, report) = propose(None, &session.inputs(), &redactor, 700).await;
    assert_eq!(report.provider, "none");
}

#[test]
fn the_prompt_fences_data_and_lists_findings_by_strength() {
    let session = Session::new();
    let request = hypotheses_request(&session.inputs(), 700);
    assert!(!request.allow_fallback);
    let user = &request.messages[1].content;
    let first = user.find("[F1]").unwrap();
    let second = user.find("[F2]").unwrap();
    assert!(first < second, "{user}");
    assert!(user.contains("<data>connection refused to orders-db</data>"));
    assert!(user.contains("<data>A dependency failed</data> [F1]"));
}
