//! Measures the log anomaly findings: line-level alerts on Loghub's BGL_2k.log and flagged
//! request ids on a generated workload with injected faulty flows. Run by
//! `./scripts/eval anomalies`; prints markdown tables.
//!
//! Usage: `anomaly_eval bgl PATH` | `anomaly_eval workload [FLOWS] [FAULT_PER_MILLE] [SEED]
//! [--baseline]` | `anomaly_eval loghub-entities DIR`.

mod workload;

use anyhow::{bail, Context, Result};
use faultmaven_analysis::{AnalysisConfig, AnalysisReport, Analyzer};
use faultmaven_ingest::{AttachmentParser, IngestConfig, RedactionConfig, Redactor};
use faultmaven_model::{
    AttachmentId, AttachmentRole, FindingKind, Level, LogRecord, MetricSample, RecordSink,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What the evaluation keeps of each record beside feeding the analyzer.
struct LineInfo {
    first_line: u64,
    last_line: u64,
    raw_template: u32,
    level: Option<Level>,
    time: Option<i64>,
}

struct Recorder {
    analyzer: Analyzer,
    lines: Vec<LineInfo>,
}

impl RecordSink for Recorder {
    fn log(&mut self, record: LogRecord<'_>) {
        let (first_line, last_line, level) = (record.first_line, record.last_line, record.level);
        let time = record.timestamp.map(|t| t.unix_nanos());
        self.analyzer.log(record);
        self.lines.push(LineInfo {
            first_line,
            last_line,
            raw_template: self.analyzer.last_template().unwrap_or(0),
            level,
            time,
        });
    }

    fn metric(&mut self, sample: MetricSample<'_>) {
        self.analyzer.metric(sample);
    }
}

/// Parses `text` as one incident upload (the product path: sniffing, headers, redaction) and
/// analyses it with the default configuration.
fn analyse(name: &str, text: &str) -> Result<(AnalysisReport, Vec<LineInfo>, Vec<u32>)> {
    analyse_with_baseline(name, text, None)
}

/// Like [`analyse`], with an optional known-good baseline upload parsed first.
fn analyse_with_baseline(
    name: &str,
    text: &str,
    baseline: Option<&str>,
) -> Result<(AnalysisReport, Vec<LineInfo>, Vec<u32>)> {
    let id = AttachmentId::new(1);
    let mut analyzer = Analyzer::new(&AnalysisConfig::default());
    analyzer.register_attachment(id, AttachmentRole::Incident, name);
    let mut recorder = Recorder {
        analyzer,
        lines: Vec::new(),
    };
    let redactor = Arc::new(Redactor::new(&RedactionConfig::default()));
    if let Some(baseline) = baseline {
        let baseline_id = AttachmentId::new(2);
        recorder.analyzer.register_attachment(
            baseline_id,
            AttachmentRole::Baseline,
            "baseline.log",
        );
        let mut parser = AttachmentParser::new(
            baseline_id,
            "baseline.log",
            AttachmentRole::Baseline,
            &IngestConfig::default(),
            Arc::clone(&redactor),
        );
        for chunk in baseline.as_bytes().chunks(64 * 1024) {
            parser.feed(chunk, &mut recorder.analyzer)?;
        }
        parser.finish(&mut recorder.analyzer)?;
    }
    let mut parser = AttachmentParser::new(
        id,
        name,
        AttachmentRole::Incident,
        &IngestConfig::default(),
        redactor,
    );
    for chunk in text.as_bytes().chunks(64 * 1024) {
        parser.feed(chunk, &mut recorder)?;
    }
    parser.finish(&mut recorder)?;
    let ids = recorder.analyzer.report_template_ids();
    let report = recorder.analyzer.finish(1);
    Ok((report, recorder.lines, ids))
}

struct Scores {
    true_positives: usize,
    false_positives: usize,
    false_negatives: usize,
}

impl Scores {
    fn of(flagged: &BTreeSet<u64>, truth: &BTreeSet<u64>) -> Self {
        let true_positives = flagged.intersection(truth).count();
        Self {
            true_positives,
            false_positives: flagged.len() - true_positives,
            false_negatives: truth.len() - true_positives,
        }
    }

    fn row(&self, name: &str) -> String {
        let tp = self.true_positives as f64;
        let precision = tp / (tp + self.false_positives as f64).max(1.0);
        let recall = tp / (tp + self.false_negatives as f64).max(1.0);
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        format!(
            "| {name} | {} | {} | {} | {precision:.3} | {recall:.3} | {f1:.3} |",
            self.true_positives, self.false_positives, self.false_negatives
        )
    }
}

const SCORE_HEADER: &str =
    "| rule | TP | FP | FN | precision | recall | F1 |\n|---|---|---|---|---|---|---|";

fn bgl(path: &str) -> Result<()> {
    let raw = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    // The first token is the label: `-` for a normal line, an alert category otherwise. It is
    // cut off before the analysis sees the line.
    let mut truth = BTreeSet::new();
    let mut text = String::with_capacity(raw.len());
    for (index, line) in raw.lines().enumerate() {
        let (label, rest) = line.split_once(' ').unwrap_or((line, ""));
        if label != "-" {
            truth.insert(index as u64 + 1);
        }
        text.push_str(rest);
        text.push('\n');
    }
    let (report, lines, ids) = analyse("BGL_2k.log", &text)?;
    let template_of = |info: &LineInfo| {
        ids.get(info.raw_template as usize - 1)
            .copied()
            .unwrap_or(0)
    };
    let mut rules: BTreeMap<&str, BTreeSet<u64>> = BTreeMap::new();
    let mut add = |rule: &'static str, info: &LineInfo| {
        rules
            .entry(rule)
            .or_default()
            .extend(info.first_line..=info.last_line);
    };
    for finding in &report.findings {
        match finding.kind {
            FindingKind::ErrorTemplate
            | FindingKind::WarningTemplate
            | FindingKind::NewTemplate => {
                let rule = if finding.kind == FindingKind::WarningTemplate {
                    "warning templates"
                } else {
                    "error templates"
                };
                for info in lines
                    .iter()
                    .filter(|i| Some(template_of(i)) == finding.template_id)
                {
                    add(rule, info);
                }
            }
            FindingKind::LogBurst => {
                let (Some(low), Some(high)) = (finding.first_seen, finding.last_seen) else {
                    continue;
                };
                let inside = |info: &LineInfo| {
                    info.time
                        .is_some_and(|t| t >= low.unix_nanos() && t < high.unix_nanos())
                };
                for info in lines.iter().filter(|i| inside(i)) {
                    let matches = match finding.template_id {
                        Some(id) => template_of(info) == id,
                        None if finding.title.starts_with("ERROR") => {
                            info.level.is_some_and(Level::is_error)
                        }
                        None => info.level == Some(Level::Warn),
                    };
                    if matches {
                        add("bursts (any)", info);
                        if info.level.is_some_and(Level::is_error) {
                            add("bursts (error lines)", info);
                        }
                    }
                }
            }
            FindingKind::EntityAnomaly => {
                for entity in &finding.entities {
                    if let Some(info) = lines.iter().find(|i| i.first_line == entity.line) {
                        add("entity anomalies", info);
                    }
                }
            }
            _ => {}
        }
    }
    println!(
        "### BGL_2k.log line-level alerts ({} lines, {} alerts)\n",
        raw.lines().count(),
        truth.len()
    );
    println!("{SCORE_HEADER}");
    let get = |name: &str| rules.get(name).cloned().unwrap_or_default();
    for name in [
        "error templates",
        "warning templates",
        "bursts (error lines)",
        "bursts (any)",
        "entity anomalies",
    ] {
        println!(
            "{}",
            Scores::of(&get(name), &truth).row(&format!("only: {name}"))
        );
    }
    let mut union = get("error templates");
    union.extend(get("bursts (error lines)"));
    union.extend(get("entity anomalies"));
    println!(
        "{}",
        Scores::of(&union, &truth)
            .row("**flagged = error templates + error-line bursts + entity anomalies**")
    );
    union.extend(get("warning templates"));
    union.extend(get("bursts (any)"));
    println!(
        "{}",
        Scores::of(&union, &truth).row("every log finding (+ warnings, + all bursts)")
    );
    println!();
    Ok(())
}

fn workload(flows: usize, fault_per_mille: u64, seed: u64, with_baseline: bool) -> Result<()> {
    let workload = workload::generate(flows, fault_per_mille, seed);
    // The baseline: the same services on another day, no faults (another seed).
    let baseline =
        with_baseline.then(|| workload::generate(flows, 0, seed.wrapping_add(1000)).text);
    let (report, _, _) = analyse_with_baseline("flows.log", &workload.text, baseline.as_deref())?;
    let mut by_family: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut flagged: BTreeSet<String> = BTreeSet::new();
    for finding in report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::EntityAnomaly)
    {
        for entity in &finding.entities {
            if entity.kind != "req-<*>" {
                continue;
            }
            flagged.insert(entity.id.clone());
            by_family
                .entry(finding.title.split(" ids ").nth(1).unwrap_or("").to_owned())
                .or_default()
                .insert(entity.id.clone());
        }
    }
    let index: BTreeMap<&str, Option<workload::Fault>> = workload
        .flows
        .iter()
        .map(|(id, fault)| (id.as_str(), *fault))
        .collect();
    let numbered: BTreeMap<&str, u64> = workload
        .flows
        .iter()
        .enumerate()
        .map(|(n, (id, _))| (id.as_str(), n as u64))
        .collect();
    let truth: BTreeSet<u64> = workload
        .flows
        .iter()
        .enumerate()
        .filter(|(_, (_, fault))| fault.is_some())
        .map(|(n, _)| n as u64)
        .collect();
    let as_numbers = |ids: &BTreeSet<String>| -> BTreeSet<u64> {
        ids.iter()
            .filter_map(|id| numbered.get(id.as_str()).copied())
            .collect()
    };
    println!(
        "### Generated request flows: {} flows, {} faulty, {} lines (seed {seed}){}\n",
        workload.flows.len(),
        truth.len(),
        workload.text.lines().count(),
        if with_baseline {
            ", with a fault-free baseline upload of as many flows"
        } else {
            ", no baseline"
        }
    );
    println!("{SCORE_HEADER}");
    for (family, ids) in &by_family {
        println!(
            "{}",
            Scores::of(&as_numbers(ids), &truth).row(&format!("only: ids that {family}"))
        );
    }
    let mut unknown = 0;
    for id in &flagged {
        if !index.contains_key(id.as_str()) {
            unknown += 1;
        }
    }
    if unknown > 0 {
        bail!("{unknown} flagged ids are not request ids of the workload");
    }
    println!(
        "{}",
        Scores::of(&as_numbers(&flagged), &truth).row("**flagged = any entity anomaly finding**")
    );
    println!("\n| fault | flows | found | recall |\n|---|---|---|---|");
    for fault in workload::Fault::ALL {
        let of_fault: Vec<&str> = workload
            .flows
            .iter()
            .filter(|(_, f)| *f == Some(fault))
            .map(|(id, _)| id.as_str())
            .collect();
        let found = of_fault.iter().filter(|id| flagged.contains(**id)).count();
        println!(
            "| {} | {} | {found} | {:.3} |",
            fault.name(),
            of_fault.len(),
            found as f64 / of_fault.len().max(1) as f64
        );
    }
    println!();
    Ok(())
}

/// Entity-anomaly findings on every Loghub-2k system (no labels: shows what is flagged where).
fn loghub_entities(dir: &str) -> Result<()> {
    println!("### Entity-anomaly findings on Loghub-2k (unlabelled; what a user would see)\n");
    println!("| system | finding | flagged ids |\n|---|---|---|");
    let mut systems: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {dir}"))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    systems.sort();
    for system in systems {
        let path = format!("{dir}/{system}/{system}_2k.log");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let (report, _, _) = analyse(&format!("{system}_2k.log"), &text)?;
        let mut any = false;
        for finding in report
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::EntityAnomaly)
        {
            any = true;
            let ids: Vec<&str> = finding
                .entities
                .iter()
                .take(3)
                .map(|e| e.id.as_str())
                .collect();
            println!(
                "| {system} | {} | {}{} |",
                finding.title,
                ids.join(", "),
                if finding.entities.len() > 3 {
                    ", …"
                } else {
                    ""
                }
            );
        }
        if !any {
            println!("| {system} | (none) | |");
        }
    }
    println!();
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("loghub-entities") => loghub_entities(
            args.get(1)
                .context("usage: anomaly_eval loghub-entities DIR")?,
        ),
        Some("bgl") => bgl(args.get(1).context("usage: anomaly_eval bgl PATH")?),
        Some("workload") => {
            let number = |index: usize, default: u64| -> Result<u64> {
                args.get(index)
                    .filter(|a| !a.starts_with("--"))
                    .map_or(Ok(default), |text| text.parse().context("not a number"))
            };
            let with_baseline = args.iter().any(|a| a == "--baseline");
            workload(
                number(1, 2000)? as usize,
                number(2, 100)?,
                number(3, 7)?,
                with_baseline,
            )
        }
        _ => bail!("usage: anomaly_eval bgl PATH | workload [FLOWS] [FAULT_PER_MILLE] [SEED]"),
    }
}
