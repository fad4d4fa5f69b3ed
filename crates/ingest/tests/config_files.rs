//! Configuration samples under `testdata/<format>/`: every file is sniffed and flattened into
//! redacted key paths, and the result is compared with a reviewed snapshot.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::{AttachmentParser, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole, AttachmentSummary, CollectedRecords};
use std::fmt::Write;
use std::sync::Arc;

fn parse_collected(name: &str, bytes: &[u8]) -> (AttachmentSummary, CollectedRecords) {
    let config = support::config();
    let redactor = Arc::new(Redactor::new(&config.redaction));
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        name,
        AttachmentRole::Incident,
        &config,
        redactor,
    );
    let mut sink = CollectedRecords::default();
    // Small chunks: the buffering parser must not depend on how the upload arrives.
    for chunk in bytes.chunks(37) {
        parser.feed(chunk, &mut sink).unwrap();
    }
    let summary = parser.finish(&mut sink).unwrap();
    (summary, sink)
}

/// The normalized output of one sample as reviewable text.
fn render(folder: &str, file: &str) -> String {
    let path = support::repo_root()
        .join("testdata")
        .join(folder)
        .join(file);
    let bytes = std::fs::read(&path).unwrap();
    let (summary, records) = parse_collected(file, &bytes);
    let mut out = String::new();
    writeln!(
        out,
        "format: {} ({}), records: {}, issues: {:?}",
        summary.format,
        summary.kind.as_str(),
        summary.records,
        summary.issues
    )
    .unwrap();
    for entry in &records.configs {
        let line = entry
            .line
            .map_or_else(|| "-".to_owned(), |line| line.to_string());
        let label = entry.document_label.as_deref().unwrap_or("-");
        writeln!(
            out,
            "{line:>3} #{} [{label}] {} = {:?}",
            entry.document, entry.path, entry.value
        )
        .unwrap();
    }
    assert!(records.logs.is_empty() && records.metrics.is_empty());
    out
}

macro_rules! config_snapshot {
    ($test:ident, $folder:literal, $file:literal, $format:literal) => {
        #[test]
        fn $test() {
            let rendered = render($folder, $file);
            assert!(
                rendered.starts_with(concat!("format: ", $format, " ")),
                "{rendered}"
            );
            insta::assert_snapshot!(rendered);
        }
    };
}

config_snapshot!(
    kubernetes_manifests,
    "k8s",
    "checkout.yaml",
    "kubernetes_yaml"
);
config_snapshot!(plain_yaml, "yaml", "prometheus-alerts.yml", "yaml");
config_snapshot!(toml_service, "toml", "service.toml", "toml");
config_snapshot!(ini_mysql, "ini", "my.cnf", "ini");
config_snapshot!(dotenv_app, "env", "app.env", "dotenv");
config_snapshot!(
    dockerfile_multistage,
    "dockerfile",
    "Dockerfile",
    "dockerfile"
);
config_snapshot!(nginx_site, "nginx", "nginx.conf", "nginx_conf");
config_snapshot!(
    json_appsettings,
    "json",
    "appsettings.json",
    "json_document"
);

/// The same documents sniffed without a helpful name still parse as configuration.
#[test]
fn content_decides_without_names() {
    for (folder, file, format) in [
        ("k8s", "checkout.yaml", "kubernetes_yaml"),
        ("dockerfile", "Dockerfile", "dockerfile"),
        ("nginx", "nginx.conf", "nginx_conf"),
        ("env", "app.env", "dotenv"),
        ("toml", "service.toml", "toml"),
    ] {
        let bytes = std::fs::read(
            support::repo_root()
                .join("testdata")
                .join(folder)
                .join(file),
        )
        .unwrap();
        let (summary, records) = parse_collected("upload", &bytes);
        assert_eq!(summary.format, format, "{folder}/{file}");
        assert!(!records.configs.is_empty());
    }
}

/// Secrets in configuration values never come out in clear.
#[test]
fn configuration_secrets_are_redacted() {
    for (folder, file, secret) in [
        ("k8s", "checkout.yaml", "S3cretPassw0rd"),
        ("k8s", "checkout.yaml", "ghp_1234567890"),
        ("toml", "service.toml", "pa55word-ledger"),
        (
            "toml",
            "service.toml",
            "sk_live_51HqLyjWDarjtT1zdp7dcXYZabc123",
        ),
        ("ini", "my.cnf", "Tr0ub4dor"),
        ("env", "app.env", "r3dis-secret"),
        ("env", "app.env", "wJalrXUtnFEMI"),
        ("env", "app.env", "AKIAIOSFODNN7EXAMPLE"),
        ("json", "appsettings.json", "Winter2024!"),
        ("yaml", "prometheus-alerts.yml", "hunter2hunter2"),
        ("nginx", "nginx.conf", "eyJhbGciOiJIUzI1NiJ9"),
    ] {
        let rendered = render(folder, file);
        assert!(
            !rendered.contains(secret),
            "{folder}/{file} leaks {secret}:\n{rendered}"
        );
    }
}

/// A configuration document over the size cap is parsed up to the cap, with an issue.
#[test]
fn oversized_document_is_cut_with_an_issue() {
    let mut config = support::config();
    config.max_config_document_bytes = 1024;
    let text: String = (0..500).map(|i| format!("KEY_{i}=value{i}\n")).collect();
    let (summary, _) = support::parse_in_chunks("big.env", text.as_bytes(), &[], &config).unwrap();
    assert_eq!(summary.format, "dotenv");
    assert!(
        summary.records > 10 && summary.records < 100,
        "{}",
        summary.records
    );
    assert!(summary
        .issues
        .iter()
        .any(|issue| issue.reason.contains("larger than 1024 bytes")));
}
