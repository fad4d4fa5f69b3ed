//! Property tests of the container, journal, Windows event, Influx, statsd, Prometheus API
//! and OTLP metrics parsers: arbitrary bytes under
//! each format's name and arbitrary lines after a valid head never panic and give bounded
//! output (at most one record per line, plus issues).

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use proptest::prelude::*;

/// A valid head that makes the sniffer pick the format, so the tail reaches its parser.
const HEADS: &[&str] = &[
    "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:00Z\"}\n{\"log\":\"b\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:01Z\"}\n",
    "2024-05-01T10:00:00.1Z stdout F a\n2024-05-01T10:00:00.2Z stderr P b\n",
    "__REALTIME_TIMESTAMP=1714557600123456\nMESSAGE=x\nPRIORITY=3\n\n",
    "{\"__REALTIME_TIMESTAMP\":\"1714557600123456\",\"MESSAGE\":\"x\"}\n",
    "Event[0]:\n  Log Name: System\n  Source: X\n  Event ID: 1\n  Description:\nboom\n",
    "cpu,host=a usage=1.5 1714557600000000000\ncpu,host=b usage=2i 1714557600000000000\n",
    "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}\n",
    "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"x\",\"gauge\":{\"dataPoints\":[{\"asInt\":\"1\"}]}}]}]}]}\n",
    "a.b:1|c|#env:prod\nc.d:2.5|ms|@0.1\n",
    "TimeCreated  : 5/1/2024 10:03:07 AM\nProviderName : X\nId           : 1\nMessage      : boom\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_tails_after_a_valid_head(
        head in 0..HEADS.len(),
        tail in proptest::collection::vec(any::<u8>(), 0..2048),
        chunk in 1usize..64,
    ) {
        let mut bytes = HEADS[head].as_bytes().to_vec();
        bytes.extend_from_slice(&tail);
        let (summary, (logs, metrics)) =
            support::parse_in_chunks("upload", &bytes, &[chunk], &support::config()).unwrap();
        prop_assert!(logs.len() + metrics.len() <= summary.lines as usize + 1);
    }

    #[test]
    fn arbitrary_lines_in_each_layout(
        head in 0..HEADS.len(),
        lines in proptest::collection::vec("[ -~\\t]{0,80}", 0..40),
    ) {
        let text = format!("{}{}\n", HEADS[head], lines.join("\n"));
        let (summary, (logs, _)) = support::parse("upload", text.as_bytes());
        prop_assert!(logs.len() <= summary.lines as usize);
    }
}

#[test]
fn a_minified_prometheus_response_longer_than_a_line_is_read_whole() {
    let series: Vec<String> = (0..2000)
        .map(|index| {
            format!(
                r#"{{"metric":{{"__name__":"up","instance":"10.0.{}.{}:9100"}},"value":[1714557600,"1"]}}"#,
                index / 256,
                index % 256
            )
        })
        .collect();
    let body = format!(
        r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#,
        series.join(",")
    );
    assert!(body.len() > support::config().max_line_bytes);
    let (summary, (_, metrics)) = support::parse("response.json", body.as_bytes());
    assert_eq!(summary.format, "prometheus_api_json");
    assert!(summary.issues.is_empty(), "{:?}", summary.issues);
    assert_eq!(metrics.len(), 2000);
}
