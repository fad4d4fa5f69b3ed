//! Stack traces pasted on their own (parsed by ingest's `code` format) become exception
//! findings whose evidence cites the exception line and the top frames of the paste.

use faultmaven_analysis::{AnalysisConfig, Analyzer};
use faultmaven_ingest::{IngestConfig, Redactor, UploadParser};
use faultmaven_model::{AttachmentId, AttachmentRole, Evidence, Finding, FindingKind};
use std::sync::Arc;

/// Parses `testdata/code/<file>` and returns the exception finding and its evidence lines.
fn exception_finding(file: &str) -> anyhow::Result<(Finding, Vec<u64>)> {
    let path = format!("{}/../../testdata/code/{file}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(path)?;
    let id = AttachmentId::new(1);
    let mut analyzer = Analyzer::new(&AnalysisConfig::default());
    analyzer.register_attachment(id, AttachmentRole::Incident, file);
    let config = IngestConfig::default();
    let redactor = Arc::new(Redactor::new(&config.redaction));
    let mut parser = UploadParser::new(id, file, AttachmentRole::Incident, &config, redactor);
    parser.feed(&bytes, &mut analyzer)?;
    parser.finish(&mut analyzer)?;
    let report = analyzer.finish(1);
    let finding = report
        .findings
        .into_iter()
        .find(|finding| finding.kind == FindingKind::Exception)
        .ok_or_else(|| anyhow::anyhow!("{file}: no exception finding"))?;
    let lines = finding
        .evidence
        .iter()
        .filter_map(|evidence| match evidence {
            Evidence::LogLines { first_line, .. } => Some(*first_line),
            _ => None,
        })
        .collect();
    Ok((finding, lines))
}

#[test]
fn traces_of_every_runtime_cite_exception_and_frames() -> anyhow::Result<()> {
    // (file, exception type in the title, evidence lines: the header, then the top frames)
    let cases: &[(&str, &str, &[u64])] = &[
        (
            "java-npe.trace",
            "java.lang.NullPointerException",
            &[1, 2, 3, 4],
        ),
        ("python-keyerror.trace", "KeyError", &[6, 4, 2]),
        ("go-nil-map.trace", "panic", &[1, 4, 6, 8]),
        ("node-typeerror.trace", "TypeError", &[1, 2, 3, 4]),
        (
            "dotnet-invalidop.trace",
            "System.InvalidOperationException",
            &[1, 2, 3, 4],
        ),
        ("ruby-nomethod.trace", "NoMethodError", &[1, 1, 2, 4]),
        ("php-uncaught.trace", "RuntimeException", &[1, 3, 4, 5]),
        ("rust-panic.trace", "panic", &[1, 4, 6, 8]),
    ];
    for (file, kind, lines) in cases {
        let (finding, evidence) = exception_finding(file)?;
        assert!(finding.title.starts_with(kind), "{file}: {}", finding.title);
        assert_eq!(&evidence, lines, "{file}: {}", finding.detail);
        assert!(
            finding.detail.contains("Top frames:"),
            "{file}: {}",
            finding.detail
        );
    }
    Ok(())
}

#[test]
fn source_without_an_exception_gives_no_exception_finding() -> anyhow::Result<()> {
    assert!(exception_finding("retry.py").is_err());
    Ok(())
}
