//! End-to-end behaviour of the analyzer through its public API: each finding kind is
//! produced from small hand-written record streams, with the evidence it must cite.

use faultmaven_analysis::{AnalysisConfig, AnalysisReport, Analyzer};
use faultmaven_model::{
    AttachmentId, AttachmentRole, Evidence, Finding, FindingKind, Level, LogRecord, MetricSample,
    RecordSink, Severity, Suspect, SuspectKind, Timestamp,
};
use std::borrow::Cow;

/// 2024-05-01T14:00:00Z
const START_SECONDS: f64 = 1_714_572_000.0;

const INCIDENT: AttachmentId = AttachmentId::new(1);
const BASELINE: AttachmentId = AttachmentId::new(2);
const METRICS: AttachmentId = AttachmentId::new(3);

/// One log line of a scenario: minutes after 14:00, level, source, message.
struct Line {
    minute: f64,
    level: Option<Level>,
    source: &'static str,
    message: String,
    attributes: Vec<(&'static str, &'static str)>,
}

fn line(
    minute: f64,
    level: Option<Level>,
    source: &'static str,
    message: impl Into<String>,
) -> Line {
    Line {
        minute,
        level,
        source,
        message: message.into(),
        attributes: Vec::new(),
    }
}

fn at(minute: f64) -> Timestamp {
    Timestamp::from_unix_seconds_f64(START_SECONDS + minute * 60.0).expect("valid time")
}

/// Feeds `lines` as consecutive records of `attachment` (line numbers from 1; a message with
/// several lines takes several line numbers).
fn feed(analyzer: &mut Analyzer, attachment: AttachmentId, lines: &[Line]) {
    let mut number = 1;
    for line in lines {
        let height = line.message.lines().count().max(1) as u64;
        analyzer.log(LogRecord {
            attachment,
            first_line: number,
            last_line: number + height - 1,
            timestamp: Some(at(line.minute)),
            level: line.level,
            source: Some(Cow::Borrowed(line.source)),
            message: Cow::Borrowed(&line.message),
            attributes: line
                .attributes
                .iter()
                .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
                .collect(),
        });
        number += height;
    }
}

fn analyze(incident: &[Line], baseline: Option<&[Line]>) -> AnalysisReport {
    analyze_with(&AnalysisConfig::default(), incident, baseline)
}

fn analyze_with(
    config: &AnalysisConfig,
    incident: &[Line],
    baseline: Option<&[Line]>,
) -> AnalysisReport {
    let mut analyzer = Analyzer::new(config);
    analyzer.register_attachment(INCIDENT, AttachmentRole::Incident, "app.log");
    if let Some(baseline) = baseline {
        analyzer.register_attachment(BASELINE, AttachmentRole::Baseline, "last-week.log");
        feed(&mut analyzer, BASELINE, baseline);
    }
    feed(&mut analyzer, INCIDENT, incident);
    let report = analyzer.finish(1);
    check_invariants(&report);
    report
}

/// What every report must satisfy.
fn check_invariants(report: &AnalysisReport) {
    for (index, finding) in report.findings.iter().enumerate() {
        assert_eq!(
            finding.id.number(),
            index as u32 + 1,
            "ids follow rank order"
        );
        assert!(
            !finding.evidence.is_empty(),
            "{} has no evidence",
            finding.title
        );
        assert!(
            (0.0..=1.0).contains(&finding.score),
            "{}: score {}",
            finding.title,
            finding.score
        );
    }
    for pair in report.findings.windows(2) {
        let ordered = pair[0].severity > pair[1].severity
            || (pair[0].severity == pair[1].severity && pair[0].score >= pair[1].score);
        assert!(
            ordered,
            "{:?} ranked before {:?}",
            pair[0].title, pair[1].title
        );
    }
    for pair in report.templates.windows(2) {
        assert!(pair[0].count >= pair[1].count, "templates by count");
    }
}

fn of_kind(report: &AnalysisReport, kind: FindingKind) -> Vec<&Finding> {
    report.findings.iter().filter(|f| f.kind == kind).collect()
}

fn lines_of(evidence: &[Evidence]) -> Vec<(u32, u64, u64)> {
    evidence
        .iter()
        .filter_map(|e| match e {
            Evidence::LogLines {
                attachment,
                first_line,
                last_line,
                ..
            } => Some((attachment.number(), *first_line, *last_line)),
            _ => None,
        })
        .collect()
}

/// An hour of ordinary traffic: 5 request lines and `errors_per_minute` timeouts a minute.
fn steady_hour(errors_per_minute: usize) -> Vec<Line> {
    let mut lines = Vec::new();
    for minute in 0..60 {
        for request in 0..5 {
            let m = minute as f64 + request as f64 / 5.0;
            lines.push(line(
                m,
                Some(Level::Info),
                "api",
                format!(
                    "GET /orders/{} served in {} ms",
                    1000 + minute * 5 + request,
                    20 + request
                ),
            ));
        }
        for error in 0..errors_per_minute {
            let m = minute as f64 + 0.1 + error as f64 / 10.0;
            lines.push(line(
                m,
                Some(Level::Error),
                "api",
                format!("upstream timeout talking to db-{} after 5000 ms", error % 3),
            ));
        }
    }
    lines
}

#[test]
fn error_and_warning_templates_cite_their_lines_and_emitters() {
    let mut lines = vec![
        line(
            0.0,
            Some(Level::Info),
            "api",
            "service started on port 8080",
        ),
        line(
            1.0,
            Some(Level::Error),
            "db",
            "connection to 10.0.0.5:5432 refused",
        ),
        line(
            2.0,
            Some(Level::Warn),
            "api",
            "slow response from inventory: 2300 ms",
        ),
        line(
            3.0,
            Some(Level::Error),
            "db",
            "connection to 10.0.0.6:5432 refused",
        ),
        line(
            4.0,
            Some(Level::Fatal),
            "worker",
            "cannot allocate 512 MB for job 77",
        ),
    ];
    lines[3].attributes = vec![("host", "db-node-2")];
    let report = analyze(&lines, None);

    let errors = of_kind(&report, FindingKind::ErrorTemplate);
    assert_eq!(errors.len(), 2, "{:#?}", report.findings);
    // Fatal ranks first.
    assert_eq!(errors[0].severity, Severity::Critical);
    assert!(
        errors[0].title.starts_with("FATAL template E"),
        "{}",
        errors[0].title
    );
    let refused = errors[1];
    assert_eq!(refused.severity, Severity::High);
    assert!(
        refused
            .title
            .contains("\"connection to <*>:<*> refused\" seen 2 times (14:01–14:03)"),
        "{}",
        refused.title
    );
    assert_eq!(lines_of(&refused.evidence), vec![(1, 2, 2), (1, 4, 4)]);
    let Evidence::LogLines { excerpt, .. } = &refused.evidence[0] else {
        panic!("log evidence");
    };
    assert_eq!(
        excerpt.as_deref(),
        Some("connection to 10.0.0.5:5432 refused")
    );
    assert_eq!(
        refused.subjects,
        vec![
            Suspect {
                kind: SuspectKind::Component,
                name: "db".into()
            },
            Suspect {
                kind: SuspectKind::Host,
                name: "db-node-2".into()
            },
        ]
    );
    assert_eq!(refused.first_seen, Some(at(1.0)));
    assert_eq!(refused.last_seen, Some(at(3.0)));

    let warnings = of_kind(&report, FindingKind::WarningTemplate);
    assert_eq!(warnings.len(), 1);
    assert_eq!(lines_of(&warnings[0].evidence), vec![(1, 3, 3)]);
    // Info lines make no finding.
    assert!(report
        .findings
        .iter()
        .all(|f| !f.title.contains("service started")));
}

#[test]
fn lines_without_level_are_judged_by_their_words() {
    let lines = vec![
        line(
            0.0,
            None,
            "sshd",
            "Failed password for root from 1.2.3.4 port 22 ssh2",
        ),
        line(
            0.5,
            None,
            "sshd",
            "Accepted publickey for deploy from 1.2.3.5 port 22 ssh2",
        ),
        line(
            1.0,
            None,
            "sshd",
            "Failed password for root from 1.2.3.6 port 22 ssh2",
        ),
        line(2.0, None, "cron", "job 42 retrying in 30 s"),
    ];
    let report = analyze(&lines, None);
    let errors = of_kind(&report, FindingKind::ErrorTemplate);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].severity, Severity::Medium);
    assert!(
        errors[0].title.starts_with("failure template"),
        "{}",
        errors[0].title
    );
    assert!(errors[0].detail.contains("carry no level"));
    let warnings = of_kind(&report, FindingKind::WarningTemplate);
    assert_eq!(warnings.len(), 1);
    assert_eq!(lines_of(&warnings[0].evidence), vec![(1, 4, 4)]);
}

#[test]
fn an_error_burst_is_found_with_a_readable_title() {
    let mut lines = steady_hour(2);
    for minute in 30..35 {
        for error in 0..138 {
            let m = minute as f64 + 0.5 + error as f64 / 300.0;
            lines.push(line(
                m,
                Some(Level::Error),
                "api",
                format!("upstream timeout talking to db-{} after 5000 ms", error % 3),
            ));
        }
    }
    lines.sort_by(|a, b| a.minute.total_cmp(&b.minute));
    let report = analyze(&lines, None);
    let bursts = of_kind(&report, FindingKind::LogBurst);
    let level_burst = bursts
        .iter()
        .find(|f| f.title.starts_with("ERROR lines"))
        .unwrap_or_else(|| panic!("no ERROR burst in {:#?}", report.findings));
    assert_eq!(
        level_burst.title,
        "ERROR lines jumped from ~2/min to 140/min at 14:30–14:35"
    );
    assert_eq!(level_burst.severity, Severity::High);
    assert_eq!(level_burst.first_seen, Some(at(30.0)));
    assert_eq!(level_burst.last_seen, Some(at(35.0)));
    // Evidence: the first line of each bucket of the window, all inside it.
    let evidence = lines_of(&level_burst.evidence);
    assert_eq!(evidence.len(), 5);
    for (_, first, _) in evidence {
        let minute = lines[first as usize - 1].minute;
        assert!(
            (30.0..35.0).contains(&minute),
            "line {first} at minute {minute}"
        );
    }
    // The template behind it bursts too, and nothing else does.
    let template_burst = bursts
        .iter()
        .find(|f| f.template_id.is_some())
        .expect("template burst");
    assert!(template_burst
        .title
        .contains("upstream timeout talking to db-<*>"));
    assert_eq!(bursts.len(), 2, "{:#?}", bursts);
}

#[test]
fn a_steady_stream_has_no_burst() {
    let report = analyze(&steady_hour(2), None);
    assert!(
        of_kind(&report, FindingKind::LogBurst).is_empty(),
        "{:#?}",
        report.findings
    );
    // But the errors themselves are reported.
    assert_eq!(of_kind(&report, FindingKind::ErrorTemplate).len(), 1);
}

#[test]
fn new_and_vanished_templates_against_a_baseline() {
    let baseline: Vec<Line> = (0..20)
        .flat_map(|i| {
            let minute = i as f64;
            [
                line(
                    minute,
                    Some(Level::Info),
                    "api",
                    format!("GET /orders/{i} served in 20 ms"),
                ),
                line(
                    minute,
                    Some(Level::Info),
                    "cache",
                    format!("cache hit ratio 0.9{i}"),
                ),
            ]
        })
        .collect();
    let incident: Vec<Line> = (0..20)
        .flat_map(|i| {
            let minute = i as f64;
            [
                line(
                    minute,
                    Some(Level::Info),
                    "api",
                    format!("GET /orders/{i} served in 20 ms"),
                ),
                line(
                    minute,
                    Some(Level::Error),
                    "cache",
                    format!("cache node 10.1.1.{i} unreachable"),
                ),
            ]
        })
        .collect();
    let report = analyze(&incident, Some(&baseline));

    let new = of_kind(&report, FindingKind::NewTemplate);
    assert_eq!(new.len(), 1, "{:#?}", report.findings);
    assert!(
        new[0]
            .title
            .contains("\"cache node <*> unreachable\": 20 times"),
        "{}",
        new[0].title
    );
    assert_eq!(new[0].severity, Severity::High);
    assert!(lines_of(&new[0].evidence)
        .iter()
        .all(|(a, _, _)| *a == INCIDENT.number()));

    let vanished = of_kind(&report, FindingKind::VanishedTemplate);
    assert_eq!(vanished.len(), 1);
    assert!(
        vanished[0]
            .title
            .contains("\"cache hit ratio <*>\" stopped"),
        "{}",
        vanished[0].title
    );
    assert_eq!(lines_of(&vanished[0].evidence)[0], (2, 2, 2));

    let served = report
        .templates
        .iter()
        .find(|t| t.template.starts_with("GET"))
        .expect("shared template");
    assert_eq!((served.count, served.baseline_count), (20, 20));
    assert_eq!(report.log_records, 80);
}

#[test]
fn without_baseline_nothing_is_new_or_vanished() {
    let report = analyze(&steady_hour(1), None);
    assert!(of_kind(&report, FindingKind::NewTemplate).is_empty());
    assert!(of_kind(&report, FindingKind::VanishedTemplate).is_empty());
}

#[test]
fn exceptions_are_grouped_by_type_and_top_frame() {
    let java = "Request failed\njava.lang.NullPointerException: order was null\n\
                \tat com.acme.orders.Pricing.total(Pricing.java:41)\n\
                \tat com.acme.orders.Api.checkout(Api.java:88)";
    let lines = vec![
        line(0.0, Some(Level::Error), "orders", java),
        line(1.0, Some(Level::Info), "orders", "checkout ok for order 7"),
        line(2.0, Some(Level::Error), "orders", java),
        // A Python traceback that arrived one line per record.
        line(3.0, None, "worker", "Traceback (most recent call last):"),
        line(
            3.0,
            None,
            "worker",
            "  File \"/srv/jobs/sync.py\", line 12, in run",
        ),
        line(3.0, None, "worker", "    total += item['price']"),
        line(3.0, None, "worker", "KeyError: 'price'"),
        line(4.0, Some(Level::Info), "worker", "job finished"),
    ];
    let report = analyze(&lines, None);
    let exceptions = of_kind(&report, FindingKind::Exception);
    assert_eq!(exceptions.len(), 2, "{:#?}", report.findings);
    let npe = exceptions
        .iter()
        .find(|f| f.title.starts_with("java.lang.NullPointerException"))
        .expect("java exception");
    assert_eq!(
        npe.title,
        "java.lang.NullPointerException at com.acme.orders.Pricing.total (2 times)"
    );
    assert_eq!(npe.severity, Severity::High);
    assert_eq!(lines_of(&npe.evidence), vec![(1, 1, 4), (1, 6, 9)]);
    assert!(npe.detail.contains("order was null"));
    // First occurrence (line and time) and count are stated, and the window spans both.
    assert!(
        npe.detail.contains("thrown 2 times; first in"),
        "{}",
        npe.detail
    );
    assert!(npe.detail.contains(" line 1 at 2024-"), "{}", npe.detail);
    assert_eq!(npe.first_seen, Some(at(0.0)));
    assert_eq!(npe.last_seen, Some(at(2.0)));
    let key_error = exceptions
        .iter()
        .find(|f| f.title.starts_with("KeyError"))
        .expect("python exception");
    assert_eq!(key_error.title, "KeyError at run (sync.py:12) (1 time)");
    assert_eq!(lines_of(&key_error.evidence), vec![(1, 10, 13)]);
}

fn sample(
    series: &str,
    pod: &'static str,
    minute: f64,
    value: f64,
    line: u64,
) -> MetricSample<'static> {
    MetricSample {
        attachment: METRICS,
        line,
        name: Cow::Owned(series.to_owned()),
        labels: vec![(Cow::Borrowed("pod"), Cow::Borrowed(pod))],
        timestamp: Some(at(minute)),
        value,
    }
}

fn wobble(index: usize) -> f64 {
    // Deterministic noise in [-1, 1].
    ((index * 37 % 17) as f64 - 8.0) / 8.0
}

#[test]
fn metric_spikes_shifts_and_snapshots() {
    let mut analyzer = Analyzer::new(&AnalysisConfig::default());
    analyzer.register_attachment(METRICS, AttachmentRole::Incident, "metrics.csv");
    let mut line = 1;
    for minute in 0..120 {
        let cpu = match minute {
            70 => 95.0,
            71 => 97.5,
            72 => 90.0,
            _ => 40.0 + 2.0 * wobble(minute),
        };
        let memory = if minute < 90 { 512.0 } else { 900.0 } + 4.0 * wobble(minute + 5);
        let steady = 10.0 + wobble(minute);
        line += 1;
        analyzer.metric(sample("cpu_usage", "web-1", minute as f64, cpu, line));
        analyzer.metric(sample("memory_mb", "web-1", minute as f64, memory, line));
        analyzer.metric(sample("queue_depth", "web-2", minute as f64, steady, line));
        if minute % 30 == 0 {
            analyzer.metric(sample(
                "queue_depth",
                "web-2",
                minute as f64 + 0.5,
                f64::NAN,
                line,
            ));
        }
    }
    analyzer.metric(MetricSample {
        timestamp: None,
        ..sample("up", "web-3", 0.0, 1.0, 999)
    });
    let report = analyzer.finish(10);
    check_invariants_from(&report, 10);
    assert_eq!(report.series, 4);
    assert_eq!(report.metric_samples, 120 * 3 + 4 + 1);
    assert_eq!(report.time_range, Some((at(0.0), at(119.0))));

    let anomalies = of_kind(&report, FindingKind::MetricAnomaly);
    assert_eq!(anomalies.len(), 1, "{:#?}", report.findings);
    let spike = anomalies[0];
    assert_eq!(
        spike.title,
        "cpu_usage{pod=\"web-1\"} spiked to 97.5 at 15:10–15:12 (typical 40)"
    );
    assert_eq!(spike.severity, Severity::High);
    assert!(spike.subjects.contains(&Suspect {
        kind: SuspectKind::Pod,
        name: "web-1".into()
    }));
    assert!(spike.subjects.contains(&Suspect {
        kind: SuspectKind::Metric,
        name: "cpu_usage{pod=\"web-1\"}".into()
    }));
    let Evidence::MetricPoint {
        value,
        timestamp,
        line,
        ..
    } = &spike.evidence[0]
    else {
        panic!("metric evidence");
    };
    assert_eq!((*value, *timestamp, *line), (97.5, Some(at(71.0)), 73));

    let shifts = of_kind(&report, FindingKind::MetricShift);
    assert_eq!(shifts.len(), 1, "{:#?}", report.findings);
    assert!(
        shifts[0]
            .title
            .starts_with("memory_mb{pod=\"web-1\"} moved from ~512"),
        "{}",
        shifts[0].title
    );
    assert!(
        shifts[0].title.ends_with("at 15:30 and stayed"),
        "{}",
        shifts[0].title
    );
}

fn check_invariants_from(report: &AnalysisReport, first: u32) {
    for (index, finding) in report.findings.iter().enumerate() {
        assert_eq!(finding.id.number(), first + index as u32);
        assert!(!finding.evidence.is_empty());
    }
}

#[test]
fn findings_are_capped_ranked_and_deterministic() {
    let mut lines = Vec::new();
    for i in 0..40 {
        // 40 distinct error events (distinct words so they stay separate templates).
        let word: String = (0..6)
            .map(|k| char::from(b'a' + ((i * 7 + k * 3) % 26) as u8))
            .collect();
        lines.push(line(
            i as f64,
            Some(Level::Error),
            "svc",
            format!("{word} subsystem exploded"),
        ));
        lines.push(line(
            i as f64,
            Some(Level::Warn),
            "svc",
            format!("{word} backlog growing"),
        ));
    }
    let config = AnalysisConfig {
        max_findings: 10,
        ..AnalysisConfig::default()
    };
    let first = analyze_with(&config, &lines, None);
    let second = analyze_with(&config, &lines, None);
    assert_eq!(first, second, "same input, same report");
    assert_eq!(first.findings.len(), 10);
    // The budget goes to errors first, but no kind takes more than 60% while others wait.
    let errors = of_kind(&first, FindingKind::ErrorTemplate).len();
    let warnings = of_kind(&first, FindingKind::WarningTemplate).len();
    assert_eq!((errors, warnings), (6, 4));
}

#[test]
fn records_without_timestamps_still_make_findings() {
    let mut analyzer = Analyzer::new(&AnalysisConfig::default());
    for number in 1..=3 {
        analyzer.log(LogRecord {
            attachment: INCIDENT,
            first_line: number,
            last_line: number,
            timestamp: None,
            level: Some(Level::Error),
            source: None,
            message: Cow::Borrowed("disk /dev/sda1 is full"),
            attributes: Vec::new(),
        });
    }
    let report = analyzer.finish(1);
    assert_eq!(report.time_range, None);
    let errors = of_kind(&report, FindingKind::ErrorTemplate);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].title.ends_with("seen 3 times"),
        "{}",
        errors[0].title
    );
    assert_eq!(report.templates[0].template, "disk <*> is full");
    assert_eq!(errors[0].first_seen, None);
}

#[test]
fn a_template_at_mixed_levels_cites_its_error_lines() {
    let lines = vec![
        line(0.0, Some(Level::Info), "net", "link eth0 state changed"),
        line(1.0, Some(Level::Info), "net", "link eth0 state changed"),
        line(2.0, Some(Level::Error), "net", "link eth0 state changed"),
    ];
    let report = analyze(&lines, None);
    let errors = of_kind(&report, FindingKind::ErrorTemplate);
    assert_eq!(errors.len(), 1);
    assert_eq!(lines_of(&errors[0].evidence), vec![(1, 3, 3)]);
    assert_eq!(errors[0].first_seen, Some(at(2.0)));
    assert!(
        errors[0].title.ends_with("seen 1 time (14:02)"),
        "{}",
        errors[0].title
    );
    assert_eq!(report.templates[0].level, Some(Level::Error));
}

#[test]
fn the_analyzer_can_move_to_a_worker_thread_and_the_report_serializes() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<Analyzer>();
    let report = analyze(&steady_hour(1), None);
    let json = serde_json::to_value(&report).expect("serializable");
    assert_eq!(json["log_records"], 360);
    assert!(json["findings"][0]["id"]
        .as_str()
        .is_some_and(|id| id.starts_with('F')));
}

#[test]
fn an_empty_analysis_is_empty() {
    let report = Analyzer::new(&AnalysisConfig::default()).finish(1);
    assert!(report.findings.is_empty() && report.templates.is_empty());
    assert_eq!(
        (report.log_records, report.metric_samples, report.series),
        (0, 0, 0)
    );
}

#[test]
fn lines_past_the_miner_budget_are_reported_as_a_notice() {
    // 40 distinct events (letters only, so every word stays a constant) against a budget of 4
    // templates: most events find no template of their own.
    let words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
    ];
    let lines: Vec<Line> = (0..40)
        .map(|index| {
            let message = format!(
                "{} {} {} started",
                words[index % 8],
                words[(index / 8) % 8],
                words[(index * 3 + 1) % 8]
            );
            line(index as f64 * 0.5, Some(Level::Info), "app", message)
        })
        .collect();
    let mut config = AnalysisConfig::default();
    config.miner.max_templates = 4;
    let report = analyze_with(&config, &lines, None);
    assert!(report.overflowed_log_messages > 0);
    assert_eq!(report.notices.len(), 1, "{:?}", report.notices);
    let notice = &report.notices[0];
    assert_eq!(notice.kind, faultmaven_model::NoticeKind::LogMiningOverflow);
    assert_eq!(notice.count, report.overflowed_log_messages);
    assert!(
        notice.title.starts_with(&format!(
            "{} of 40 log lines were not mined",
            report.overflowed_log_messages
        )),
        "{}",
        notice.title
    );
    assert!(
        notice.detail.contains("at most 4 templates"),
        "{}",
        notice.detail
    );

    // Within the budget there is nothing to say.
    assert!(analyze(&lines, None).notices.is_empty());
}
