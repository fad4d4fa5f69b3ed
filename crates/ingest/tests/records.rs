//! What records come out of each parser, field by field, for small inputs.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::IngestConfig;
use faultmaven_model::{LogRecord, MetricSample};

/// A log record in a compact, comparable form.
#[derive(Debug, PartialEq)]
struct Log {
    lines: (u64, u64),
    timestamp: String,
    level: String,
    source: String,
    message: String,
    attributes: Vec<(String, String)>,
}

fn log(
    lines: (u64, u64),
    timestamp: &str,
    level: &str,
    source: &str,
    message: &str,
    attributes: &[(&str, &str)],
) -> Log {
    Log {
        lines,
        timestamp: timestamp.to_owned(),
        level: level.to_owned(),
        source: source.to_owned(),
        message: message.to_owned(),
        attributes: attributes
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
    }
}

fn simplify(record: &LogRecord<'_>) -> Log {
    Log {
        lines: (record.first_line, record.last_line),
        timestamp: record.timestamp.map(|t| t.to_rfc3339()).unwrap_or_default(),
        level: record
            .level
            .map(|l| l.as_str().to_owned())
            .unwrap_or_default(),
        source: record.source.as_deref().unwrap_or_default().to_owned(),
        message: record.message.to_string(),
        attributes: record
            .attributes
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
    }
}

/// Parses `input` as an upload named `name` and compares the log records and format.
fn check_logs_with(config: &IngestConfig, name: &str, input: &str, format: &str, expected: &[Log]) {
    let (summary, (logs, _)) =
        support::parse_in_chunks(name, input.as_bytes(), &[], config).expect("parse succeeds");
    assert_eq!(summary.format, format, "format of {name}");
    let actual: Vec<Log> = logs.iter().map(simplify).collect();
    assert_eq!(actual, expected, "records of {name}");
}

fn check_logs(name: &str, input: &str, format: &str, expected: &[Log]) {
    check_logs_with(&support::config(), name, input, format, expected);
}

/// A metric sample in a compact, comparable form.
#[derive(Debug, PartialEq)]
struct Metric {
    line: u64,
    name: String,
    labels: Vec<(String, String)>,
    timestamp: String,
    value: String,
}

fn metric(line: u64, name: &str, labels: &[(&str, &str)], timestamp: &str, value: &str) -> Metric {
    Metric {
        line,
        name: name.to_owned(),
        labels: labels
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
        timestamp: timestamp.to_owned(),
        value: value.to_owned(),
    }
}

fn simplify_metric(sample: &MetricSample<'_>) -> Metric {
    Metric {
        line: sample.line,
        name: sample.name.to_string(),
        labels: sample
            .labels
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
        timestamp: sample.timestamp.map(|t| t.to_rfc3339()).unwrap_or_default(),
        value: sample.value.to_string(),
    }
}

fn check_metrics(name: &str, input: &str, format: &str, expected: &[Metric]) -> Vec<String> {
    let (summary, (_, metrics)) = support::parse(name, input.as_bytes());
    assert_eq!(summary.format, format, "format of {name}");
    let actual: Vec<Metric> = metrics.iter().map(simplify_metric).collect();
    assert_eq!(actual, expected, "samples of {name}");
    summary
        .issues
        .into_iter()
        .map(|issue| issue.reason)
        .collect()
}

#[test]
fn json_lines_fields_come_from_the_content() {
    check_logs(
        "ecs.json",
        concat!(
            r#"{"@timestamp":"2024-05-01T14:03:07.123Z","log":{"level":"ERROR","logger":"db"},"message":"query failed","service":{"name":"api"},"http":{"status":500},"tags":["a","b"]}"#,
            "\n",
            r#"{"@timestamp":"2024-05-01T14:03:08Z","log":{"level":"info","logger":"db"},"message":"retry ok","service":{"name":"api"},"password":"hunter2"}"#,
            "\n",
            "not json at all\n",
        ),
        "json_lines",
        &[
            log(
                (1, 1),
                "2024-05-01T14:03:07.123Z",
                "error",
                "db",
                "query failed",
                &[
                    ("service.name", "api"),
                    ("http.status", "500"),
                    ("tags", r#"["a","b"]"#),
                ],
            ),
            log(
                (2, 2),
                "2024-05-01T14:03:08Z",
                "info",
                "db",
                "retry ok",
                &[
                    ("service.name", "api"),
                    ("password", "<REDACTED:password:1>"),
                ],
            ),
        ],
    );
}

#[test]
fn json_lines_with_numeric_levels_and_epoch_times() {
    check_logs(
        "pino.log",
        concat!(
            r#"{"level":30,"time":1714572187123,"pid":7,"hostname":"web-1","msg":"listening"}"#,
            "\n",
            r#"{"level":50,"time":1714572188000,"pid":7,"hostname":"web-1","msg":"crashed","err":{"type":"Error","stack":"Error: boom\n    at main (/app/index.js:3:9)"}}"#,
            "\n",
        ),
        "json_lines",
        &[
            log(
                (1, 1),
                "2024-05-01T14:03:07.123Z",
                "info",
                "web-1",
                "listening",
                &[("pid", "7")],
            ),
            log(
                (2, 2),
                "2024-05-01T14:03:08Z",
                "error",
                "web-1",
                "crashed",
                &[
                    ("pid", "7"),
                    ("err.type", "Error"),
                    ("err.stack", "Error: boom\n    at main (/app/index.js:3:9)"),
                ],
            ),
        ],
    );
}

#[test]
fn logfmt_pairs() {
    check_logs(
        "svc.log",
        concat!(
            "time=2024-05-01T14:03:07Z level=warn component=proxy msg=\"upstream slow\" latency_ms=812\n",
            "time=2024-05-01T14:03:09Z level=error component=proxy msg=\"upstream down\" token=abcd1234efgh5678\n",
        ),
        "logfmt",
        &[
            log(
                (1, 1),
                "2024-05-01T14:03:07Z",
                "warn",
                "proxy",
                "upstream slow",
                &[("latency_ms", "812")],
            ),
            log(
                (2, 2),
                "2024-05-01T14:03:09Z",
                "error",
                "proxy",
                "upstream down",
                &[("token", "<REDACTED:token:1>")],
            ),
        ],
    );
}

#[test]
fn log4j_with_stack_trace_is_one_record() {
    check_logs(
        "app.log",
        concat!(
            "2024-05-01 14:03:07,123 ERROR [main] com.shop.Api: request failed\r\n",
            "java.lang.IllegalStateException: pool exhausted\r\n",
            "\tat com.shop.Pool.get(Pool.java:42)\r\n",
            "\t... 3 more\r\n",
            "2024-05-01 14:03:08,000 INFO  [main] com.shop.Api: recovered\r\n",
        ),
        "plain_text_log",
        &[
            log(
                (1, 4),
                "2024-05-01T14:03:07.123Z",
                "error",
                "com.shop.Api",
                "request failed\njava.lang.IllegalStateException: pool exhausted\n\tat com.shop.Pool.get(Pool.java:42)\n\t... 3 more",
                &[("thread", "main")],
            ),
            log(
                (5, 5),
                "2024-05-01T14:03:08Z",
                "info",
                "com.shop.Api",
                "recovered",
                &[("thread", "main")],
            ),
        ],
    );
}

#[test]
fn syslog_takes_the_base_year_and_rolls_over() {
    check_logs(
        "messages",
        concat!(
            "Dec 31 23:59:58 web-1 sshd[22]: Accepted publickey for deploy\n",
            "Dec 31 23:59:59 web-1 kernel: eth0 link down\n",
            "Jan  1 00:00:01 web-1 CRON[31]: (root) CMD (backup)\n",
        ),
        "plain_text_log",
        &[
            log(
                (1, 1),
                "2024-12-31T23:59:58Z",
                "",
                "sshd",
                "Accepted publickey for deploy",
                &[("pid", "22"), ("host", "web-1")],
            ),
            log(
                (2, 2),
                "2024-12-31T23:59:59Z",
                "",
                "kernel",
                "eth0 link down",
                &[("host", "web-1")],
            ),
            log(
                (3, 3),
                "2025-01-01T00:00:01Z",
                "",
                "CRON",
                "(root) CMD (backup)",
                &[("pid", "31"), ("host", "web-1")],
            ),
        ],
    );
}

#[test]
fn python_traceback_inside_a_log_joins_its_record() {
    check_logs(
        "worker.log",
        concat!(
            "2024-05-01 14:03:07 ERROR worker: job 7 failed\n",
            "Traceback (most recent call last):\n",
            "  File \"/app/jobs.py\", line 3, in run\n",
            "    do()\n",
            "ValueError: bad input\n",
            "2024-05-01 14:03:09 INFO worker: job 8 done\n",
        ),
        "plain_text_log",
        &[
            log(
                (1, 5),
                "2024-05-01T14:03:07Z",
                "error",
                "worker",
                "job 7 failed\nTraceback (most recent call last):\n  File \"/app/jobs.py\", line 3, in run\n    do()\nValueError: bad input",
                &[],
            ),
            log((6, 6), "2024-05-01T14:03:09Z", "info", "worker", "job 8 done", &[]),
        ],
    );
}

#[test]
fn klog_lines_carry_their_level_in_the_timestamp() {
    check_logs(
        "kubelet.log",
        concat!(
            "I0501 14:03:07.123456    1234 kubelet.go:2457] \"SyncLoop ADD\" pods=[\"shop/checkout-1\"]\n",
            "E0501 14:03:08.000001    1234 pod_workers.go:1298] \"Error syncing pod, skipping\" err=\"failed to pull image\"\n",
        ),
        "plain_text_log",
        &[
            log(
                (1, 1),
                "2024-05-01T14:03:07.123456Z",
                "info",
                "",
                "1234 kubelet.go:2457] \"SyncLoop ADD\" pods=[\"shop/checkout-1\"]",
                &[],
            ),
            log(
                (2, 2),
                "2024-05-01T14:03:08.000001Z",
                "error",
                "",
                "1234 pod_workers.go:1298] \"Error syncing pod, skipping\" err=\"failed to pull image\"",
                &[],
            ),
        ],
    );
}

#[test]
fn docker_json_logs_lose_the_trailing_newline() {
    check_logs(
        "container.log",
        concat!(
            r#"{"log":"listening on :8080\n","stream":"stdout","time":"2024-05-01T14:03:07.123456789Z"}"#,
            "\n",
            r#"{"log":"panic: boom\n","stream":"stderr","time":"2024-05-01T14:03:08Z"}"#,
            "\n",
        ),
        "docker_json",
        &[
            log(
                (1, 1),
                "2024-05-01T14:03:07.123456789Z",
                "",
                "",
                "listening on :8080",
                &[("stream", "stdout")],
            ),
            log(
                (2, 2),
                "2024-05-01T14:03:08Z",
                "fatal",
                "",
                "boom",
                &[("stream", "stderr")],
            ),
        ],
    );
}

#[test]
fn runaway_records_are_split_without_losing_lines() {
    let config = IngestConfig {
        max_record_lines: 3,
        ..support::config()
    };
    let (summary, (logs, _)) = support::parse_in_chunks(
        "app.log",
        b"2024-05-01 14:03:07 ERROR api: boom\n\tat a\n\tat b\n\tat c\n\tat d\n",
        &[],
        &config,
    )
    .unwrap();
    let spans: Vec<(u64, u64)> = logs.iter().map(|r| (r.first_line, r.last_line)).collect();
    assert_eq!(spans, [(1, 3), (4, 5)]);
    assert_eq!(logs[1].message, "\tat c\n\tat d");
    assert_eq!(summary.issues.len(), 1);
    assert!(
        summary.issues[0].reason.contains("split"),
        "{:?}",
        summary.issues
    );
}

#[test]
fn unknown_text_keeps_every_line_and_masks_key_blocks() {
    check_logs(
        "notes.txt",
        concat!(
            "we rotated the key below\n",
            "\n",
            "-----BEGIN RSA PRIVATE KEY-----\n",
            "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n",
            "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n",
            "-----END RSA PRIVATE KEY-----\n",
            "ask dana.lee@example.com for details\n",
        ),
        "plain_text",
        &[
            log((1, 1), "", "", "", "we rotated the key below", &[]),
            log((3, 3), "", "", "", "<REDACTED:private_key:1>", &[]),
            log((4, 4), "", "", "", "<REDACTED:private_key>", &[]),
            log((5, 5), "", "", "", "<REDACTED:private_key>", &[]),
            log((6, 6), "", "", "", "-----END RSA PRIVATE KEY-----", &[]),
            log(
                (7, 7),
                "",
                "",
                "",
                "ask <REDACTED:email:1> for details",
                &[],
            ),
        ],
    );
}

#[test]
fn prometheus_samples() {
    let issues = check_metrics(
        "scrape.prom",
        concat!(
            "# HELP http_requests_total Requests.\n",
            "# TYPE http_requests_total counter\n",
            "http_requests_total{path=\"/api\",code=\"500\"} 7 1714572187000\n",
            "http_requests_total{code=\"200\",path=\"/api\"} 1.5e3\n",
            "broken{ 1\n",
            "up 1\n",
        ),
        "prometheus_text",
        &[
            metric(
                3,
                "http_requests_total",
                &[("code", "500"), ("path", "/api")],
                "2024-05-01T14:03:07Z",
                "7",
            ),
            metric(
                4,
                "http_requests_total",
                &[("code", "200"), ("path", "/api")],
                "",
                "1500",
            ),
            metric(6, "up", &[], "", "1"),
        ],
    );
    assert_eq!(issues.len(), 1, "{issues:?}");
}

#[test]
fn wide_csv_with_labels_and_bad_cells() {
    let issues = check_metrics(
        "hosts.csv",
        concat!(
            "time,host,cpu,mem\n",
            "2024-05-01 14:00:00,web-1,42.5,3100\n",
            "2024-05-01 14:01:00,web-1,oops,3104\n",
            "2024-05-01 14:02:00,web-1,,3108\n",
        ),
        "csv_metrics",
        &[
            metric(
                2,
                "cpu",
                &[("host", "web-1")],
                "2024-05-01T14:00:00Z",
                "42.5",
            ),
            metric(
                2,
                "mem",
                &[("host", "web-1")],
                "2024-05-01T14:00:00Z",
                "3100",
            ),
            metric(
                3,
                "mem",
                &[("host", "web-1")],
                "2024-05-01T14:01:00Z",
                "3104",
            ),
            metric(
                4,
                "mem",
                &[("host", "web-1")],
                "2024-05-01T14:02:00Z",
                "3108",
            ),
        ],
    );
    assert_eq!(
        issues,
        ["column \"cpu\": \"oops\" is not a number; cell skipped"]
    );
}

#[test]
fn epoch_seconds_in_tsv() {
    check_metrics(
        "latency.tsv",
        "ts\tp99_ms\n1714572187\t812\n1714572247\t790.5\n",
        "tsv_metrics",
        &[
            metric(2, "p99_ms", &[], "2024-05-01T14:03:07Z", "812"),
            metric(3, "p99_ms", &[], "2024-05-01T14:04:07Z", "790.5"),
        ],
    );
}

#[test]
fn nab_files_parse_completely() {
    let dir = faultmaven_test_datasets::Dataset::NabSubset
        .dir(env!("CARGO_MANIFEST_DIR"))
        .join("data");
    let mut files = Vec::new();
    for category in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        for file in std::fs::read_dir(category.path())
            .unwrap()
            .filter_map(Result::ok)
        {
            files.push(file.path());
        }
    }
    assert!(!files.is_empty());
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let rows = bytes.iter().filter(|&&b| b == b'\n').count() as u64 - 1;
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (summary, (_, metrics)) = support::parse(&name, &bytes);
        assert_eq!(summary.format, "csv_metrics", "{name}");
        assert_eq!(summary.records, rows, "{name}: one sample per row");
        assert!(summary.issues.is_empty(), "{name}: {:?}", summary.issues);
        assert!(metrics
            .iter()
            .all(|m| m.name == "value" && m.timestamp.is_some()));
        assert!(
            metrics.windows(2).all(|w| w[0].timestamp < w[1].timestamp),
            "{name}: times ascend"
        );
    }
}

#[test]
fn otlp_metrics_of_another_shape_or_kind_are_issues() {
    let gauge = r#"{"name":"up","gauge":{"dataPoints":[{"asInt":"1","timeUnixNano":"1714557600000000000"}]}}"#;
    for (document, reason) in [
        (
            r#"{"resourceMetrics": {"scopeMetrics": []}}"#.to_owned(),
            "`resourceMetrics` is an object, not an array",
        ),
        (
            format!(r#"{{"resourceMetrics": [{{"scopeMetrics": {{"metrics": [{gauge}]}}}}]}}"#),
            "`scopeMetrics` is an object, not an array",
        ),
        (
            format!(r#"{{"resourceMetrics": [{{"scopeMetrics": [{{"metrics": {gauge}}}]}}]}}"#),
            "`metrics` is an object, not an array",
        ),
        (
            r#"{"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"name":"rpc","summary":{"dataPoints":[]}}]}]}]}"#.to_owned(),
            "rpc: summary points are not read",
        ),
    ] {
        let (summary, (_, metrics)) = support::parse("metrics.json", document.as_bytes());
        assert_eq!(summary.format, "otlp_metrics_json", "{document}");
        assert!(metrics.is_empty(), "{document}");
        assert_eq!(summary.issues.len(), 1, "{document}: {:?}", summary.issues);
        assert!(
            summary.issues[0].reason.contains(reason),
            "{document}: {:?}",
            summary.issues
        );
    }
    // `null` is protobuf JSON's empty list; the good metric beside it is read.
    let document = format!(
        r#"{{"resourceMetrics": [{{"scopeMetrics": null}}, {{"scopeMetrics": [{{"metrics": [{gauge}]}}]}}]}}"#
    );
    let (summary, (_, metrics)) = support::parse("metrics.json", document.as_bytes());
    assert!(summary.issues.is_empty(), "{:?}", summary.issues);
    assert_eq!(metrics.len(), 1);
}
