//! The metric detectors on the NAB artificial subset: no finding on the series without
//! anomalies, and the labelled spike episode found inside its window.
//! Data: `$NAB_SUBSET_DIR`, else `shared/datasets/nab-subset` in a parent folder.

mod support;

use faultmaven_analysis::{AnalysisConfig, AnalysisReport, Analyzer};
use faultmaven_model::{AttachmentId, AttachmentRole, FindingKind, RecordSink};
use support::nab;

fn analyze(file: &str) -> AnalysisReport {
    let attachment = AttachmentId::new(1);
    let mut analyzer = Analyzer::new(&AnalysisConfig::default());
    analyzer.register_attachment(attachment, AttachmentRole::Incident, file);
    let samples =
        nab::load(&nab::dataset_dir(), file, attachment).unwrap_or_else(|e| panic!("{e}"));
    assert!(samples.len() > 4000, "{file}: {} rows", samples.len());
    for sample in samples {
        analyzer.metric(sample);
    }
    analyzer.finish(1)
}

#[test]
fn series_without_anomalies_raise_nothing() {
    for file in [
        "artificialNoAnomaly/art_daily_no_noise.csv",
        "artificialNoAnomaly/art_daily_perfect_square_wave.csv",
        "artificialNoAnomaly/art_daily_small_noise.csv",
        "artificialNoAnomaly/art_flatline.csv",
        "artificialNoAnomaly/art_noisy.csv",
    ] {
        let report = analyze(file);
        assert_eq!(report.series, 1);
        assert!(report.findings.is_empty(), "{file}: {:#?}", report.findings);
    }
}

#[test]
fn load_balancer_spikes_are_found_inside_the_labelled_window() {
    let report = analyze("artificialWithAnomaly/art_load_balancer_spikes.csv");
    let anomalies: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::MetricAnomaly)
        .collect();
    assert_eq!(anomalies.len(), 1, "{:#?}", report.findings);
    let window_start = nab::parse_time("2014-04-10 11:50:00").expect("time");
    let window_end = nab::parse_time("2014-04-11 21:20:00").expect("time");
    let (first, last) = (
        anomalies[0].first_seen.expect("timed"),
        anomalies[0].last_seen.expect("timed"),
    );
    assert!(
        window_start <= first && last <= window_end,
        "episode {first}..{last} outside the window {window_start}..{window_end}"
    );
}
