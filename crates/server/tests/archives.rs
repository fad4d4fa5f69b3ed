//! Archives and pasted code through the real HTTP API: each archive member is an attachment of
//! its own that findings cite; a pasted stack trace becomes an exception finding citing its
//! frames; hostile archives give issues or a clear problem, never a failure of the server.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;

/// `(id, name, kind, format)` of every attachment in the response.
fn attachments(body: &serde_json::Value) -> Vec<(String, String, String, String)> {
    body["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let field = |key: &str| a[key].as_str().unwrap().to_owned();
            (field("id"), field("name"), field("kind"), field("format"))
        })
        .collect()
}

/// Every `(attachment, first_line)` the findings cite.
fn cited(body: &serde_json::Value) -> Vec<(String, u64)> {
    body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap().iter())
        .filter(|e| e["type"] == "log_lines")
        .map(|e| {
            (
                e["attachment"].as_str().unwrap().to_owned(),
                e["first_line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn archive_members_and_pasted_traces_become_attachments_and_findings() {
    let app = app();
    let (status, _, body) = send(
        &app,
        troubleshoot_request(&[
            file(
                "file",
                "node-logs.tar.gz",
                testdata("archives/node-logs.tar.gz"),
            ),
            file(
                "file",
                "support-bundle.zip",
                testdata("archives/support-bundle.zip"),
            ),
            file("file", "npe.txt", testdata("code/java-npe.trace")),
        ]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let found = attachments(&body);
    let expected = [
        ("a1", "node-logs.tar.gz", "archive", "tar"),
        (
            "a2",
            "node-logs.tar.gz!/var/log/checkout-api.log",
            "log",
            "plain_text_log",
        ),
        (
            "a3",
            "node-logs.tar.gz!/var/log/worker.jsonl",
            "log",
            "json_lines",
        ),
        ("a4", "support-bundle.zip", "archive", "zip"),
        (
            "a5",
            "support-bundle.zip!/logs/checkout-api.log",
            "log",
            "plain_text_log",
        ),
        (
            "a6",
            "support-bundle.zip!/metrics/host.csv",
            "metric",
            "csv_metrics",
        ),
        (
            "a7",
            "support-bundle.zip!/logs/worker.jsonl.gz",
            "log",
            "json_lines",
        ),
        ("a8", "npe.txt", "code", "code"),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(found, expected);

    let cited = cited(&body);
    // The payment-gateway errors inside the tar member are cited there, by member and line.
    assert!(
        cited.iter().any(|(attachment, _)| attachment == "a2"),
        "no finding cites the tar member: {cited:?}"
    );
    // The pasted trace: its exception line and its top frames (lines 2, 3, 4).
    let exception = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["title"]
                .as_str()
                .unwrap()
                .contains("NullPointerException")
        })
        .unwrap_or_else(|| panic!("no exception finding: {body}"));
    let lines: Vec<u64> = exception["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["attachment"] == "a8")
        .map(|e| e["first_line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 2, 3, 4], "{exception}");
}

#[tokio::test]
async fn hostile_archives_give_issues_or_a_clear_problem() {
    let app = app();
    // Archives nest: a zip inside a tar is read member by member.
    let (status, _, body) = send(
        &app,
        troubleshoot_request(&[file(
            "file",
            "bundle.tar",
            testdata("archives/nested-bundle.tar"),
        )]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["attachments"].as_array().unwrap().len(), 5);

    // A zip signature with nothing readable after it: a problem, not a failure.
    let mut fake = b"PK\x03\x04".to_vec();
    fake.extend_from_slice(&[0x41; 400]);
    assert_problem(
        &send(&app, troubleshoot_request(&[file("file", "x.zip", fake)])).await,
        400,
        "invalid-input",
    );
    // A tar whose members climb out of it: reported, never followed.
    let mut header = [0u8; 512];
    header[..14].copy_from_slice(b"../../etc/evil");
    header[100..107].copy_from_slice(b"0000644");
    header[124..135].copy_from_slice(b"00000000006");
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut tar = header.to_vec();
    tar.extend_from_slice(b"evil!\n");
    tar.resize(2048, 0);
    let (status, _, body) =
        send(&app, troubleshoot_request(&[file("file", "evil.tar", tar)])).await;
    assert_eq!(status, 200, "{body}");
    let issues = body["attachments"][0]["issues"].to_string();
    assert!(issues.contains("climbs out of the archive"), "{body}");
    assert_eq!(body["attachments"].as_array().unwrap().len(), 1);
}
