//! The behaviour every [`SessionStore`] backend must show, as one suite each backend's tests run
//! against a fresh store.

use crate::{SessionStore, StoreErrorKind};
use faultmaven_model::{
    AnalysisNotice, AnomalousRange, AnswerValue, AttachmentId, AttachmentRole, AttachmentSummary,
    DataKind, Evidence, FeedbackEvent, Finding, FindingId, FindingKind, FollowUpQuestion,
    Hypothesis, HypothesisCategory, HypothesisId, HypothesisStatus, Intent, NextStep, NoticeKind,
    ParseIssue, PlotPoint, QuestionAnswer, QuestionId, QuestionTopic, RequestKind, SeriesPlot,
    SessionId, SessionPlots, SessionState, Severity, Signal, SpanKind, Suspect, SuspectKind,
    TemplateSummary, TimelineEvent, Timestamp, TraceWaterfall, Verdict, WaterfallSpan,
};
use std::sync::Arc;

/// 2024-05-01T14:03:07Z, the instant the sample sessions are created.
pub(crate) const CREATED: Timestamp = Timestamp::from_unix_millis(1_714_572_187_000);
const HOUR_NANOS: i64 = 3_600_000_000_000;

/// A session holding one of everything the model has, expiring at `expires_at`.
pub(crate) fn sample_session(id: &str, expires_at: Timestamp) -> SessionState {
    let attachment = AttachmentId::new(1);
    SessionState {
        id: SessionId::parse(id).expect("test ids are valid"),
        created_at: CREATED,
        updated_at: CREATED,
        expires_at,
        queries: vec!["why does checkout return 500s since 14:00?".to_owned()],
        request_kind: RequestKind::Combined,
        intent: Intent::DiagnoseError,
        attachments: vec![AttachmentSummary {
            id: attachment,
            name: "checkout.log".to_owned(),
            role: AttachmentRole::Incident,
            kind: DataKind::Log,
            format: "plain_text_log".to_owned(),
            bytes: 48_213,
            lines: 412,
            records: 409,
            issues: vec![ParseIssue {
                line: Some(17),
                reason: "timestamp not recognised".to_owned(),
            }],
            issues_truncated: false,
        }],
        findings: vec![Finding {
            id: FindingId::new(1),
            kind: FindingKind::ErrorTemplate,
            severity: Severity::High,
            title: "Template E3 'Connection refused to <*>' 212 times from 14:03".to_owned(),
            detail: "212 lines between 14:03 and 14:20, none in the baseline.".to_owned(),
            score: 0.87,
            first_seen: Some(Timestamp::from_unix_millis(1_714_572_180_000)),
            last_seen: Some(Timestamp::from_unix_millis(1_714_573_200_123)),
            subjects: vec![Suspect {
                kind: SuspectKind::Dependency,
                name: "postgres-primary".to_owned(),
            }],
            template_id: Some(3),
            entities: Vec::new(),
            evidence: vec![Evidence::LogLines {
                attachment,
                first_line: 40,
                last_line: 40,
                excerpt: Some("ERROR Connection refused to 10.0.0.7:5432".to_owned()),
            }],
        }],
        templates: vec![TemplateSummary {
            id: 3,
            template: "Connection refused to <*>".to_owned(),
            count: 212,
            baseline_count: 0,
            level: Some(faultmaven_model::Level::Error),
            first_attachment: attachment,
            first_line: 40,
            histogram: None,
        }],
        hypotheses: vec![Hypothesis {
            id: HypothesisId::new(1),
            title: "The database is down or refusing connections".to_owned(),
            category: HypothesisCategory::DependencyFailure,
            confidence: 0.72,
            rationale: "F1: connection refused to the database port from 14:03.".to_owned(),
            finding_ids: vec![FindingId::new(1)],
            suspects: vec![Suspect {
                kind: SuspectKind::Dependency,
                name: "postgres-primary".to_owned(),
            }],
            next_steps: vec![NextStep {
                description: "Check that the database accepts connections".to_owned(),
                command: Some("pg_isready -h postgres-primary -p 5432".to_owned()),
            }],
            runbook: Some("database-connection-refused".to_owned()),
            status: HypothesisStatus::Open,
        }],
        answer: "The most likely cause is **the database refusing connections**.".to_owned(),
        feedback: vec![FeedbackEvent {
            hypothesis_id: HypothesisId::new(1),
            verdict: Verdict::Helpful,
            comment: Some("db restarted at 14:02".to_owned()),
            at: Timestamp::from_unix_millis(1_714_573_300_000),
        }],
        follow_up_questions: vec![FollowUpQuestion {
            id: QuestionId::new(1),
            text: "Was there a deploy of checkout at or shortly before 14:03 UTC?".to_owned(),
            topic: QuestionTopic::Deploy,
            entity: Some("checkout".to_owned()),
            supports_if_yes: vec![HypothesisId::new(1)],
            weakens_if_yes: vec![HypothesisId::new(2)],
            finding_ids: vec![FindingId::new(1)],
            reason: "H1 (62%) and H2 (55%) are within 2:1 odds".to_owned(),
            answer: Some(QuestionAnswer {
                value: AnswerValue::No,
                comment: None,
                at: Timestamp::from_unix_millis(1_714_573_400_000),
            }),
        }],
        plots: sample_plots(attachment),
        notices: vec![AnalysisNotice {
            kind: NoticeKind::LogMiningOverflow,
            title: "1,204 of 80,000 log lines were not mined into templates of their own"
                .to_owned(),
            detail: "The template miner keeps at most 5,000 templates.".to_owned(),
            count: 1_204,
        }],
    }
}

/// One of each plot: a timeline event, a series with its band and an anomalous range, and a
/// two-span waterfall.
fn sample_plots(attachment: AttachmentId) -> SessionPlots {
    let at = |offset_seconds: i64| {
        Timestamp::from_unix_millis(1_714_572_180_000 + offset_seconds * 1000)
    };
    let database = Suspect {
        kind: SuspectKind::Dependency,
        name: "postgres-primary".to_owned(),
    };
    SessionPlots {
        timeline: vec![TimelineEvent {
            at: at(0),
            signal: Signal::Log,
            entity: Some(database.clone()),
            description: "Connection refused to <*> from 14:03".to_owned(),
            strength: 0.87,
            finding_id: Some(FindingId::new(1)),
        }],
        series_plots: vec![SeriesPlot {
            finding_id: FindingId::new(1),
            finding_ids: vec![FindingId::new(1)],
            attachment,
            series: "db_connections{pod=\"checkout-1\"}".to_owned(),
            metric: "db_connections".to_owned(),
            unit: None,
            entities: vec![database],
            band_method: "rolling median ± 3 × 1.4826 MAD of the previous 60 points".to_owned(),
            points: vec![
                PlotPoint {
                    at: at(0),
                    value: 40.0,
                    lower: None,
                    upper: None,
                    anomalous: false,
                },
                PlotPoint {
                    at: at(60),
                    value: 0.0,
                    lower: Some(35.5),
                    upper: Some(44.25),
                    anomalous: true,
                },
            ],
            total_points: 2,
            anomalous_ranges: vec![AnomalousRange {
                start: at(60),
                end: at(60),
                finding_id: FindingId::new(1),
                kind: FindingKind::MetricAnomaly,
            }],
        }],
        trace_waterfall: Some(TraceWaterfall {
            attachment,
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".to_owned(),
            finding_id: None,
            reason: "the slowest trace".to_owned(),
            start: at(0),
            duration_ns: 2_500_000_000,
            spans: vec![
                WaterfallSpan {
                    span_id: "00f067aa0ba902b7".to_owned(),
                    parent_span_id: None,
                    service: "checkout".to_owned(),
                    operation: "POST /checkout".to_owned(),
                    kind: SpanKind::Server,
                    depth: 0,
                    start_offset_ns: 0,
                    duration_ns: 2_500_000_000,
                    self_time_ns: 500_000_000,
                    is_error: true,
                    critical: true,
                },
                WaterfallSpan {
                    span_id: "b7ad6b7169203331".to_owned(),
                    parent_span_id: Some("00f067aa0ba902b7".to_owned()),
                    service: "checkout".to_owned(),
                    operation: "SELECT orders".to_owned(),
                    kind: SpanKind::Client,
                    depth: 1,
                    start_offset_ns: 1_000_000,
                    duration_ns: 2_000_000_000,
                    self_time_ns: 2_000_000_000,
                    is_error: true,
                    critical: true,
                },
            ],
            total_spans: 2,
            note: None,
        }),
    }
}

fn id(text: &str) -> SessionId {
    SessionId::parse(text).expect("test ids are valid")
}

fn later(instant: Timestamp, nanos: i64) -> Timestamp {
    Timestamp::from_unix_nanos(instant.unix_nanos() + nanos)
}

/// Runs every check against `store`, which must be empty. Concurrency checks need a
/// multi-threaded runtime to mean anything.
pub(crate) async fn run_session_store_suite(store: Arc<dyn SessionStore>) {
    store.ping().await.expect("a fresh store answers ping");
    put_then_get_round_trips(&*store).await;
    put_replaces_a_session_with_the_same_id(&*store).await;
    expired_sessions_are_hidden_then_removed(&*store).await;
    delete_reports_whether_a_session_existed(&*store).await;
    sessions_that_would_not_read_back_are_refused(&*store).await;
    concurrent_puts_all_land(Arc::clone(&store)).await;
    store.ping().await.expect("the store still answers ping");
}

async fn put_then_get_round_trips(store: &dyn SessionStore) {
    let expires_at = later(CREATED, HOUR_NANOS);
    let session = sample_session("round-trip-1", expires_at);
    store.put(&session).await.expect("put");
    let read = store.get(&session.id, CREATED).await.expect("get");
    assert_eq!(read.as_ref(), Some(&session));
    assert_eq!(
        store.get(&id("never-stored"), CREATED).await.expect("get"),
        None
    );
}

async fn put_replaces_a_session_with_the_same_id(store: &dyn SessionStore) {
    let mut session = sample_session("overwrite-1", later(CREATED, HOUR_NANOS));
    store.put(&session).await.expect("first put");
    session
        .queries
        .push("is it the connection pool?".to_owned());
    session.answer = "Probably the pool.".to_owned();
    session.hypotheses[0].status = HypothesisStatus::Confirmed;
    session.updated_at = later(CREATED, 60_000_000_000);
    session.expires_at = later(CREATED, 2 * HOUR_NANOS);
    store.put(&session).await.expect("second put");
    let read = store
        .get(&session.id, later(CREATED, HOUR_NANOS + 1))
        .await
        .expect("get");
    assert_eq!(
        read.as_ref(),
        Some(&session),
        "the replacement, with its new expiry, is what reads back"
    );
}

async fn expired_sessions_are_hidden_then_removed(store: &dyn SessionStore) {
    let expires_at = later(CREATED, HOUR_NANOS);
    let short = sample_session("expiry-short", expires_at);
    let long = sample_session("expiry-long", later(CREATED, 3 * HOUR_NANOS));
    store.put(&short).await.expect("put");
    store.put(&long).await.expect("put");

    // Live up to and including its expiry instant, gone one nanosecond after.
    assert!(store
        .get(&short.id, expires_at)
        .await
        .expect("get")
        .is_some());
    let just_after = later(expires_at, 1);
    assert_eq!(store.get(&short.id, just_after).await.expect("get"), None);

    assert_eq!(store.delete_expired(expires_at).await.expect("sweep"), 0);
    // `overwrite-1` (expiring at 2 h) is in the store too, so sweep at 2.5 h removes the round
    // trip session, `expiry-short` and `overwrite-1`, and keeps `expiry-long`.
    let removed = store
        .delete_expired(later(CREATED, 5 * HOUR_NANOS / 2))
        .await
        .expect("sweep");
    assert_eq!(removed, 3);
    assert_eq!(
        store.get(&short.id, CREATED).await.expect("get"),
        None,
        "a swept session is gone even for a reader with an earlier clock"
    );
    assert_eq!(
        store.get(&long.id, CREATED).await.expect("get").as_ref(),
        Some(&long)
    );
    assert_eq!(
        store
            .delete_expired(later(CREATED, 5 * HOUR_NANOS / 2))
            .await
            .expect("sweep"),
        0
    );
}

async fn delete_reports_whether_a_session_existed(store: &dyn SessionStore) {
    assert!(!store.delete(&id("never-stored")).await.expect("delete"));
    let session = sample_session("delete-me-1", later(CREATED, HOUR_NANOS));
    store.put(&session).await.expect("put");
    assert!(store.delete(&session.id).await.expect("delete"));
    assert_eq!(store.get(&session.id, CREATED).await.expect("get"), None);
    assert!(!store.delete(&session.id).await.expect("second delete"));
}

async fn sessions_that_would_not_read_back_are_refused(store: &dyn SessionStore) {
    let mut session = sample_session("not-a-number", later(CREATED, HOUR_NANOS));
    session.hypotheses[0].confidence = f64::NAN;
    let error = store.put(&session).await.expect_err("NaN cannot be stored");
    assert_eq!(error.kind(), StoreErrorKind::InvalidInput, "{error}");
    assert_eq!(store.get(&session.id, CREATED).await.expect("get"), None);
}

async fn concurrent_puts_all_land(store: Arc<dyn SessionStore>) {
    const WRITERS: usize = 8;
    const SESSIONS_PER_WRITER: usize = 12;
    let expires_at = later(CREATED, 10 * HOUR_NANOS);
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            for number in 0..SESSIONS_PER_WRITER {
                let own = sample_session(&format!("writer-{writer}-{number}"), expires_at);
                store.put(&own).await.expect("put own session");
                // Every writer also rewrites one shared session: last write wins, none fails.
                let mut shared = sample_session("shared-by-all", expires_at);
                shared.answer = format!("written by {writer} ({number})");
                store.put(&shared).await.expect("put shared session");
            }
        }));
    }
    for task in tasks {
        task.await.expect("writer task");
    }
    for writer in 0..WRITERS {
        for number in 0..SESSIONS_PER_WRITER {
            let session_id = id(&format!("writer-{writer}-{number}"));
            let read = store.get(&session_id, CREATED).await.expect("get");
            assert_eq!(read.map(|session| session.id), Some(session_id));
        }
    }
    let shared = store
        .get(&id("shared-by-all"), CREATED)
        .await
        .expect("get")
        .expect("the shared session exists");
    assert!(
        shared.answer.starts_with("written by "),
        "{:?}",
        shared.answer
    );
}
