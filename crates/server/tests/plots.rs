//! Plot data in the troubleshoot response: a metrics CSV with a database outage and an OTLP
//! trace upload give series plots with a band and anomalous ranges, the waterfall of a slow
//! trace, and timeline events with what a plot needs (samples in `testdata/plots/`).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

fn array<'a>(value: &'a Value, what: &str) -> &'a Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what} is not an array: {value}"))
}

/// RFC 3339 text compares in time order when every timestamp is UTC with the same precision;
/// these are whole seconds.
fn within(at: &Value, start: &str, end: &str) -> bool {
    let at = at.as_str().unwrap();
    (start..=end).contains(&at)
}

/// The metrics of a database outage and traces of the same window (`testdata/plots/`).
fn outage_request() -> axum::http::Request<axum::body::Body> {
    troubleshoot_request(&[
        file(
            "file",
            "checkout-metrics.csv",
            testdata("plots/checkout-metrics.csv"),
        ),
        file(
            "file",
            "checkout-traces.otlp.json",
            testdata("plots/checkout-traces.otlp.json"),
        ),
    ])
}

#[tokio::test]
async fn an_outage_with_traces_returns_series_plots_a_waterfall_and_a_rich_timeline() {
    let app = app();
    let (status, _, body) = send(&app, outage_request()).await;
    assert_eq!(status, 200, "{body}");
    let findings = array(&body["findings"], "findings");
    let finding = |id: &Value| {
        findings
            .iter()
            .find(|f| f["id"] == *id)
            .unwrap_or_else(|| panic!("{id} is not a finding of the response"))
    };

    // Series: each plot belongs to a metric finding, is capped, has a band and marks the outage.
    let plots = array(&body["series_plots"], "series_plots");
    assert!(!plots.is_empty(), "no series plots: {body:#}");
    assert!(plots.len() <= 6);
    let mut outage_marked = false;
    for plot in plots {
        let lead = finding(&plot["finding_id"]);
        assert!(
            lead["kind"].as_str().unwrap().starts_with("metric_"),
            "{lead}"
        );
        assert_eq!(plot["finding_ids"][0], plot["finding_id"]);
        assert_eq!(plot["attachment"], "a1");
        assert_eq!(plot["total_points"], 360);
        let points = array(&plot["points"], "points");
        assert!(!points.is_empty() && points.len() <= 500);
        assert!(points
            .windows(2)
            .all(|pair| pair[0]["at"].as_str() < pair[1]["at"].as_str()));
        let banded: Vec<&Value> = points.iter().filter(|p| p["lower"].is_number()).collect();
        assert!(
            banded.len() > 300,
            "the band covers the series after its first points"
        );
        assert!(banded
            .iter()
            .all(|p| p["lower"].as_f64().unwrap() <= p["upper"].as_f64().unwrap()));
        assert!(plot["band_method"].as_str().unwrap().contains("median"));
        let ranges = array(&plot["anomalous_ranges"], "anomalous_ranges");
        assert!(!ranges.is_empty());
        for range in ranges {
            finding(&range["finding_id"]);
            assert!(range["start"].as_str() <= range["end"].as_str());
        }
        outage_marked |= points.iter().any(|p| {
            p["anomalous"] == true
                && within(&p["at"], "2024-05-01T14:40:00Z", "2024-05-01T14:49:50Z")
        });
    }
    assert!(outage_marked, "no plotted point of the outage is marked");
    let latency = plots
        .iter()
        .find(|p| p["metric"] == "latency_p99_ms")
        .unwrap_or_else(|| panic!("latency is not plotted: {body:#}"));
    assert_eq!(latency["unit"], "ms");

    // Waterfall: one of the traces that went through the outage, laid out and flagged.
    let waterfall = &body["trace_waterfall"];
    assert!(waterfall.is_object(), "no waterfall: {body:#}");
    assert_eq!(waterfall["attachment"], "a2");
    assert!(
        within(
            &waterfall["start"],
            "2024-05-01T14:40:00Z",
            "2024-05-01T14:50:00Z"
        ),
        "{waterfall:#}"
    );
    assert!(waterfall["duration_ms"].as_f64().unwrap() > 2_900.0);
    assert_eq!(waterfall["total_spans"], 5);
    assert_eq!(waterfall["note"], Value::Null);
    if let Some(id) = waterfall["finding_id"].as_str() {
        assert_eq!(finding(&Value::from(id))["kind"], "trace_anomaly");
    }
    let spans = array(&waterfall["spans"], "spans");
    let rows: Vec<(&str, u64, bool)> = spans
        .iter()
        .map(|s| {
            (
                s["operation"].as_str().unwrap(),
                s["depth"].as_u64().unwrap(),
                s["critical"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("GET /checkout", 0, true),
            ("POST /orders", 1, true),
            ("load cart", 2, false),
            ("Charge", 2, true),
            ("INSERT payments", 3, true),
        ]
    );
    assert_eq!(spans[0]["start_ms"], 0.0);
    assert_eq!(spans[0]["parent_span_id"], Value::Null);
    assert_eq!(spans[1]["parent_span_id"], spans[0]["span_id"]);
    assert_eq!(spans[4]["service"], "payments");
    assert_eq!(spans[4]["kind"], "client");
    assert_eq!(spans[4]["is_error"], true);
    assert!(spans[4]["duration_ms"].as_f64().unwrap() > 2_900.0);
    assert!(spans[4]["start_ms"].as_f64().unwrap() > spans[3]["start_ms"].as_f64().unwrap());

    // Timeline: events that come from findings carry their severity, kind and window.
    let timeline = array(&body["timeline"], "timeline");
    let from_findings: Vec<&Value> = timeline
        .iter()
        .filter(|e| e["finding_id"].is_string())
        .collect();
    assert!(!from_findings.is_empty());
    for event in &from_findings {
        let source = finding(&event["finding_id"]);
        assert_eq!(event["severity"], source["severity"]);
        assert_eq!(event["finding_kind"], source["kind"]);
        if let Some(until) = event["until"].as_str() {
            assert_eq!(Some(until), source["last_seen"].as_str());
            assert!(event["at"].as_str().unwrap() < until);
        }
    }
    assert!(from_findings.iter().any(|e| e["until"].is_string()));
}

/// The plot fields of a response or a session.
fn plot_fields(body: &Value) -> [&Value; 3] {
    [
        &body["timeline"],
        &body["series_plots"],
        &body["trace_waterfall"],
    ]
}

#[tokio::test]
async fn a_reopened_session_returns_its_plots_and_a_question_alone_keeps_them() {
    let app = app();
    let (status, _, first) = send(&app, outage_request()).await;
    assert_eq!(status, 200, "{first}");
    assert!(!array(&first["series_plots"], "series_plots").is_empty());
    assert!(first["trace_waterfall"].is_object());
    assert!(!array(&first["timeline"], "timeline").is_empty());
    let session = first["session_id"].as_str().unwrap();

    let (status, _, stored) = get_session(&app, session).await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(plot_fields(&stored), plot_fields(&first));

    // A follow-up question analyses no data: the session keeps the plots it had.
    let (status, _, follow_up) = send(
        &app,
        troubleshoot_request(&[
            text("session_id", session),
            text("query", "is it the database?"),
        ]),
    )
    .await;
    assert_eq!(status, 200, "{follow_up}");
    assert_eq!(follow_up["series_plots"], serde_json::json!([]));
    let (_, _, stored) = get_session(&app, session).await;
    assert_eq!(plot_fields(&stored), plot_fields(&first));

    // New data replaces them: a log alone has no series or waterfall.
    let (status, _, logs) = send(
        &app,
        troubleshoot_request(&[
            text("session_id", session),
            file("file", "checkout.log", fixture("checkout.log")),
        ]),
    )
    .await;
    assert_eq!(status, 200, "{logs}");
    let (_, _, stored) = get_session(&app, session).await;
    assert_eq!(plot_fields(&stored), plot_fields(&logs));
    assert_eq!(stored["series_plots"], serde_json::json!([]));

    let (status, _, _) = send(&app, delete(format!("/api/v1/sessions/{session}"))).await;
    assert_eq!(status, 204);
    assert_eq!(get_session(&app, session).await.0, 404);
}

#[tokio::test]
async fn a_log_only_request_has_no_plots_and_the_schemas_are_published() {
    let app = app();
    let (status, _, body) = send(
        &app,
        troubleshoot_request(&[file("file", "checkout.log", fixture("checkout.log"))]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["series_plots"], serde_json::json!([]));
    assert_eq!(body["trace_waterfall"], Value::Null);

    let (status, _, spec) = send(&app, get("/api/v1/openapi.json")).await;
    assert_eq!(status, 200);
    let schemas = &spec["components"]["schemas"];
    for name in [
        "SeriesPlot",
        "PlotPoint",
        "AnomalousRange",
        "TraceWaterfall",
        "WaterfallSpan",
    ] {
        assert!(schemas[name].is_object(), "openapi lacks {name}");
    }
    let response = &schemas["TroubleshootResponse"]["properties"];
    assert!(response["series_plots"].is_object() && response["trace_waterfall"].is_object());
    let session = &schemas["SessionResponse"]["properties"];
    for field in ["timeline", "series_plots", "trace_waterfall", "notices"] {
        assert!(session[field].is_object(), "SessionResponse lacks {field}");
    }
    assert!(schemas["TimelineEvent"]["properties"]["severity"].is_object());
}

#[tokio::test]
async fn plot_assets_are_served_under_the_page_policy() {
    for (path, content_type, marker) in [
        ("/plots.js", "text/javascript", "FaultMavenPlots"),
        ("/plots.css", "text/css", ".wf-bar"),
    ] {
        let response = tower::ServiceExt::oneshot(app(), get(path)).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        assert!(headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with(content_type));
        assert!(headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'"));
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(String::from_utf8_lossy(&body).contains(marker), "{path}");
    }
}
