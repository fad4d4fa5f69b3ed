//! Accuracy of the template miner on loghub-2k: GA, FGA, PA and FTA per system and mean, in
//! the benchmark protocol and the product protocol, beside Drain3 and published numbers.
//!
//! Run it through `./scripts/eval loghub`, which also runs Drain3. By hand:
//! `cargo run --release -p faultmaven-analysis --example loghub_eval -- [options]`
//! (data from `$LOGHUB_2K_DIR`, else `shared/datasets/loghub-2k` in a parent folder).
//!
//! - (a) benchmark protocol: each raw line is cut by the system's header format from
//!   SETTINGS.md and the `Content` field is mined (as in the papers);
//! - (b) product protocol: the raw `*_2k.log` goes through `faultmaven_ingest`'s
//!   `AttachmentParser` exactly as an upload does (format sniffing, header and timestamp
//!   detection, multi-line joining, redaction), its records' messages are mined, and every
//!   line gets the template of the record that covers it.
//!
//! GA is scored against the original ground truth (`EventId`), PA/FGA/FTA against
//! `loghub2_corrected` (Android and Windows, absent there, against `icse22_corrected`; the
//! 14-system mean is the Loghub-2.0 paper's).
//!
//! Options: `--write-contents DIR` writes the protocol (a) contents, one file per system, for
//! Drain3 and exits; `--drain3 DIR` scores Drain3's output (`<System>.tsv`: cluster id, tab,
//! template per line); `--verbose SYSTEM` prints the truth templates we get wrong;
//! `--config JSON` overrides miner settings (for experiments only: the reported figures use
//! the default).

#[path = "../tests/support/mod.rs"]
mod support;

use faultmaven_analysis::{MinerConfig, TemplateMiner};
use faultmaven_ingest::{AttachmentParser, IngestConfig, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole, LogRecord, MetricSample, RecordSink};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use support::loghub::{self, SYSTEMS};
use support::scoring::{self, Parsed, Scores, System};

/// Published numbers from SETTINGS.md: Drain and Brain GA on the original truth (table A),
/// Drain GA/FGA/PA/FTA on loghub2_corrected (table B, `None` where the paper has none).
const PUBLISHED: [(&str, f64, f64, Option<[f64; 4]>); 16] = [
    ("Android", 0.911, 0.9605, None),
    ("Apache", 1.0, 1.0, Some([1.0, 1.0, 0.694, 0.5])),
    ("BGL", 0.9625, 0.986, Some([0.963, 0.833, 0.342, 0.211])),
    ("HDFS", 0.9975, 0.9975, Some([0.998, 0.839, 0.5, 0.323])),
    ("HPC", 0.887, 0.945, Some([0.887, 0.753, 0.635, 0.366])),
    ("Hadoop", 0.9475, 0.949, Some([0.948, 0.82, 0.269, 0.276])),
    ("HealthApp", 0.78, 1.0, Some([0.78, 0.351, 0.231, 0.109])),
    ("Linux", 0.69, 0.996, Some([0.69, 0.93, 0.183, 0.435])),
    ("Mac", 0.7865, 0.942, Some([0.786, 0.797, 0.217, 0.199])),
    ("OpenSSH", 0.7875, 1.0, Some([0.789, 0.88, 0.508, 0.44])),
    ("OpenStack", 0.7325, 1.0, Some([0.733, 0.117, 0.018, 0.018])),
    ("Proxifier", 0.5265, 1.0, Some([0.526, 0.538, 0.0, 0.0])),
    ("Spark", 0.92, 0.9975, Some([0.922, 0.87, 0.362, 0.493])),
    (
        "Thunderbird",
        0.955,
        0.971,
        Some([0.955, 0.773, 0.046, 0.248]),
    ),
    ("Windows", 0.997, 0.997, None),
    (
        "Zookeeper",
        0.9665,
        0.9875,
        Some([0.967, 0.854, 0.497, 0.354]),
    ),
];

struct Options {
    write_contents: Option<PathBuf>,
    drain3: Option<PathBuf>,
    verbose: Option<String>,
    config: MinerConfig,
}

fn main() -> Result<(), String> {
    let options = parse_options()?;
    let dir = loghub::dataset_dir();
    let mut systems = Vec::new();
    for name in SYSTEMS {
        systems.push(scoring::load_system(&dir, name)?);
    }
    if let Some(out) = &options.write_contents {
        return write_contents(out, &systems);
    }

    let mut rows = Vec::new();
    for system in &systems {
        let benchmark = mine_benchmark(system, &options.config);
        let product = mine_product(system, &options.config)?;
        let drain3 = match &options.drain3 {
            Some(dir) => Some(read_drain3(dir, system)?),
            None => None,
        };
        if options.verbose.as_deref() == Some(system.name) {
            explain(system, &benchmark);
        }
        rows.push(Row {
            name: system.name,
            loghub2: system.template_source == "loghub2_corrected",
            benchmark: scoring::score(system, &benchmark),
            product: scoring::score(system, &product),
            drain3: drain3.map(|parsed| scoring::score(system, &parsed)),
            skipped: system.contents.iter().filter(|c| c.is_none()).count(),
        });
    }
    print_tables(&rows, options.drain3.is_some());
    Ok(())
}

fn parse_options() -> Result<Options, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let config = match value("--config") {
        Some(json) => serde_json::from_str(&json).map_err(|e| format!("bad --config: {e}"))?,
        None => MinerConfig::default(),
    };
    Ok(Options {
        write_contents: value("--write-contents").map(PathBuf::from),
        drain3: value("--drain3").map(PathBuf::from),
        verbose: value("--verbose"),
        config,
    })
}

/// Protocol (a): the header format's `Content`, mined line by line.
fn mine_benchmark(system: &System, config: &MinerConfig) -> Vec<Parsed> {
    let mut miner = TemplateMiner::new(config);
    let ids: Vec<Option<u32>> = system
        .contents
        .iter()
        .map(|content| content.as_deref().map(|c| miner.add(c)))
        .collect();
    finalize(&miner, &ids)
}

/// Turns ids returned while streaming into final groups and texts (templates may merge after
/// a line joined them). Lines without an id get a group of their own and no text.
fn finalize(miner: &TemplateMiner, ids: &[Option<u32>]) -> Vec<Parsed> {
    ids.iter()
        .enumerate()
        .map(|(line, id)| match id {
            Some(id) => {
                let id = miner.resolve(*id);
                Parsed {
                    group: u64::from(id),
                    template: miner.template_text(id).unwrap_or_default(),
                }
            }
            None => Parsed {
                group: (1 << 40) + line as u64,
                template: String::new(),
            },
        })
        .collect()
}

/// Collects the messages of an upload with the lines they cover.
#[derive(Default)]
struct Messages {
    records: Vec<(u64, u64, String)>,
}

impl RecordSink for Messages {
    fn log(&mut self, record: LogRecord<'_>) {
        self.records.push((
            record.first_line,
            record.last_line,
            record.message.into_owned(),
        ));
    }

    fn metric(&mut self, _sample: MetricSample<'_>) {}
}

/// Protocol (b): the raw file through the product's ingest, then the miner.
fn mine_product(system: &System, config: &MinerConfig) -> Result<Vec<Parsed>, String> {
    let ingest = IngestConfig {
        base_year: Some(2024),
        ..IngestConfig::default()
    };
    let redactor = Arc::new(Redactor::new(&ingest.redaction));
    let name = format!("{}_2k.log", system.name);
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        &name,
        AttachmentRole::Incident,
        &ingest,
        redactor,
    );
    let mut messages = Messages::default();
    for chunk in system.raw.chunks(64 * 1024) {
        parser
            .feed(chunk, &mut messages)
            .map_err(|e| format!("{name}: {e}"))?;
    }
    parser
        .finish(&mut messages)
        .map_err(|e| format!("{name}: {e}"))?;
    if std::env::var("LOGHUB_SHOW_PRODUCT").as_deref() == Ok(system.name) {
        // Debug aid: what the product's normalizer made of the first lines.
        for (first, last, message) in messages.records.iter().take(5) {
            eprintln!("{first}-{last}: {message:?}");
        }
    }
    let mut miner = TemplateMiner::new(config);
    let mut ids: Vec<Option<u32>> = vec![None; system.event_ids.len()];
    for (first, last, message) in &messages.records {
        let id = miner.add(message);
        for line in *first..=*last {
            if let Some(slot) = (line as usize).checked_sub(1).and_then(|i| ids.get_mut(i)) {
                *slot = Some(id);
            }
        }
    }
    Ok(finalize(&miner, &ids))
}

fn write_contents(out: &Path, systems: &[System]) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for system in systems {
        // One content per line; a line the header did not match is written empty and
        // scored as unparsed, for every parser alike.
        let mut text = String::new();
        for content in &system.contents {
            text.push_str(content.as_deref().unwrap_or(""));
            text.push('\n');
        }
        let path = out.join(format!("{}.txt", system.name));
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn read_drain3(dir: &Path, system: &System) -> Result<Vec<Parsed>, String> {
    let path = dir.join(format!("{}.tsv", system.name));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let parsed: Vec<Parsed> = text
        .lines()
        .enumerate()
        .map(|(line, row)| {
            let (group, template) = row.split_once('\t').unwrap_or(("", ""));
            match group.parse::<u64>() {
                Ok(group) if system.contents[line].is_some() => Parsed {
                    group,
                    template: template.to_owned(),
                },
                _ => Parsed {
                    group: (1 << 40) + line as u64,
                    template: String::new(),
                },
            }
        })
        .collect();
    if parsed.len() != system.event_ids.len() {
        return Err(format!(
            "{}: {} rows for {} lines",
            path.display(),
            parsed.len(),
            system.event_ids.len()
        ));
    }
    Ok(parsed)
}

struct Row {
    name: &'static str,
    loghub2: bool,
    benchmark: Scores,
    product: Scores,
    drain3: Option<Scores>,
    skipped: usize,
}

fn cells(scores: &Scores) -> String {
    format!(
        "{:.4} | {:.4} | {:.4} | {:.4}",
        scores.ga, scores.fga, scores.pa, scores.fta
    )
}

fn print_tables(rows: &[Row], with_drain3: bool) {
    println!("### (a) benchmark protocol: header format of SETTINGS.md -> Content -> miner");
    println!();
    println!(
        "GA vs original EventId; FGA, PA, FTA vs loghub2_corrected († = icse22_corrected, \
         not in the 14-system mean). Drain/Brain = published (SETTINGS.md tables A and B)."
    );
    println!();
    let drain3_header = if with_drain3 {
        " Drain3 GA | Drain3 FGA | Drain3 PA | Drain3 FTA |"
    } else {
        ""
    };
    let drain3_rule = if with_drain3 { "---|---|---|---|" } else { "" };
    println!(
        "| System | GA | FGA | PA | FTA |{drain3_header} Drain GA | Drain FGA | Drain PA | \
         Drain FTA | Brain GA |"
    );
    println!("|---|---|---|---|---|{drain3_rule}---|---|---|---|---|");
    for row in rows {
        let published = PUBLISHED.iter().find(|p| p.0 == row.name);
        let drain3 = row
            .drain3
            .map(|s| format!(" {} |", cells(&s)))
            .unwrap_or_default();
        let (drain_ga, brain_ga, drain_b) = published.map_or((0.0, 0.0, None), |p| (p.1, p.2, p.3));
        let drain_b = drain_b.map_or("– | – | –".to_owned(), |b| {
            format!("{:.3} | {:.3} | {:.3}", b[1], b[2], b[3])
        });
        let mark = if row.loghub2 { "" } else { " †" };
        let skipped = if row.skipped > 0 {
            format!(" ({} lines unmatched)", row.skipped)
        } else {
            String::new()
        };
        println!(
            "| {}{mark}{skipped} | {} |{drain3} {drain_ga:.4} | {drain_b} | {brain_ga:.4} |",
            row.name,
            cells(&row.benchmark),
        );
    }
    let all: Vec<&Row> = rows.iter().collect();
    let fourteen: Vec<&Row> = rows.iter().filter(|r| r.loghub2).collect();
    for (label, set) in [("Mean (16)", &all), ("Mean (14, Loghub-2.0)", &fourteen)] {
        let ours = mean(set.iter().map(|r| r.benchmark));
        let drain3 = if with_drain3 {
            format!(" {} |", cells(&mean(set.iter().filter_map(|r| r.drain3))))
        } else {
            String::new()
        };
        let names: Vec<&str> = set.iter().map(|r| r.name).collect();
        let published: Vec<_> = PUBLISHED.iter().filter(|p| names.contains(&p.0)).collect();
        let n = published.len() as f64;
        let drain_ga = published.iter().map(|p| p.1).sum::<f64>() / n;
        let brain_ga = published.iter().map(|p| p.2).sum::<f64>() / n;
        let drain_b = if set.len() == 14 {
            let b: Vec<[f64; 4]> = published.iter().filter_map(|p| p.3).collect();
            let m = |i: usize| b.iter().map(|x| x[i]).sum::<f64>() / b.len() as f64;
            format!("{:.3} | {:.3} | {:.3}", m(1), m(2), m(3))
        } else {
            "– | – | –".to_owned()
        };
        println!(
            "| **{label}** | **{}** |{drain3} {drain_ga:.4} | {drain_b} | {brain_ga:.4} |",
            cells(&ours).replace(" | ", "** | **"),
        );
    }
    println!();
    println!(
        "### (b) product protocol: raw *_2k.log -> faultmaven_ingest::AttachmentParser -> records -> miner"
    );
    println!();
    println!("| System | GA | FGA | PA | FTA | ΔGA vs (a) | ΔPA vs (a) |");
    println!("|---|---|---|---|---|---|---|");
    for row in rows {
        let mark = if row.loghub2 { "" } else { " †" };
        println!(
            "| {}{mark} | {} | {:+.4} | {:+.4} |",
            row.name,
            cells(&row.product),
            row.product.ga - row.benchmark.ga,
            row.product.pa - row.benchmark.pa,
        );
    }
    for (label, set) in [("Mean (16)", &all), ("Mean (14, Loghub-2.0)", &fourteen)] {
        let product = mean(set.iter().map(|r| r.product));
        let benchmark = mean(set.iter().map(|r| r.benchmark));
        println!(
            "| **{label}** | **{}** | {:+.4} | {:+.4} |",
            cells(&product).replace(" | ", "** | **"),
            product.ga - benchmark.ga,
            product.pa - benchmark.pa,
        );
    }
}

fn mean(scores: impl Iterator<Item = Scores>) -> Scores {
    let mut sum = Scores::default();
    let mut n = 0.0;
    for s in scores {
        sum.ga += s.ga;
        sum.fga += s.fga;
        sum.pa += s.pa;
        sum.fta += s.fta;
        n += 1.0;
    }
    if n > 0.0 {
        sum.ga /= n;
        sum.fga /= n;
        sum.pa /= n;
        sum.fta /= n;
    }
    sum
}

/// Prints the truth templates whose lines we group or render wrongly, with what we made of
/// them.
fn explain(system: &System, parsed: &[Parsed]) {
    let mut by_truth: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for (p, t) in parsed.iter().zip(&system.templates) {
        if t.is_empty() {
            continue;
        }
        *by_truth
            .entry(t)
            .or_default()
            .entry(p.template.as_str())
            .or_default() += 1;
    }
    for (truth, predicted) in &by_truth {
        if predicted.len() == 1 && predicted.contains_key(truth) {
            continue;
        }
        println!("truth  {truth:?}");
        for (text, n) in predicted {
            println!("  {n:>5} {text:?}");
        }
    }
}
