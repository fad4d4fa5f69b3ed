//! A deterministic simulator of a microservice system (15 services, 7 databases and caches,
//! a call graph, daily load) that writes what an engineer would upload — OTLP JSON or CSV
//! traces, JSON and text logs, one metrics CSV per pod — with one injected fault of known
//! root cause per case and unrelated background events, for evaluating root-cause ranking.
//!
//! The answer is written only to `truth.json` beside the `incident/` and `baseline/`
//! folders: no file the product reads names the fault or its target.

mod rng;
mod simulate;
mod system;

pub use rng::Rng;
pub use simulate::{write_window, ActiveFault, Background, Window};
pub use system::{FaultKind, NODES, REQUESTS};

use std::path::Path;

/// Minutes per window.
const WINDOW_MINUTES: i64 = 40;
const MINUTE: i64 = 60_000_000_000;
const DAY: i64 = 1_440 * MINUTE;
/// 2024-05-01T00:00:00Z.
const FIRST_DAY: i64 = 1_714_521_600_000_000_000;

/// The known answer of one case.
#[derive(Debug, Clone)]
pub struct Truth {
    /// Case number.
    pub case: u32,
    /// Fault kind.
    pub fault: FaultKind,
    /// The root-cause entity's name.
    pub root_cause: String,
    /// When the fault starts, ns since the epoch.
    pub onset: i64,
}

fn pod_names(rng: &mut Rng) -> Vec<String> {
    NODES
        .iter()
        .map(|node| {
            if node.database {
                format!("{}-0", node.name)
            } else {
                let hash_length = 9 + rng.index(2);
                format!(
                    "{}-{}-{}",
                    node.name,
                    rng.pod_suffix(hash_length),
                    rng.pod_suffix(5)
                )
            }
        })
        .collect()
}

fn transient_background(rng: &mut Rng, start: i64, avoid: usize, count: usize) -> Vec<Background> {
    let services: Vec<usize> = (0..NODES.len())
        .filter(|&i| !NODES[i].database && i != avoid)
        .collect();
    (0..count)
        .map(|_| {
            let node = services[rng.index(services.len())];
            let at = start + (rng.range(0.05, 0.95) * (WINDOW_MINUTES * MINUTE) as f64) as i64;
            match rng.index(3) {
                0 => Background::CpuSpike {
                    node,
                    start: at,
                    end: at + (rng.range(1.0, 3.0) * MINUTE as f64) as i64,
                },
                1 => Background::LogBurst { node, start: at },
                _ => Background::ConfigReload { node, at },
            }
        })
        .collect()
}

/// Generates case `case` from `seed` into `dir/case-NNN/`.
pub fn generate_case(dir: &Path, case: u32, seed: u64) -> anyhow::Result<Truth> {
    let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(u64::from(case)));
    let kind = FaultKind::ALL[case as usize % FaultKind::ALL.len()];
    let candidates: Vec<usize> = (0..NODES.len())
        .filter(|&i| NODES[i].database == (kind == FaultKind::DatabaseOutage))
        .collect();
    let target = candidates[rng.index(candidates.len())];
    let magnitude = match kind {
        FaultKind::NetworkDelay => rng.range(60.0, 200.0),
        FaultKind::CpuContention => rng.range(3.0, 6.0),
        FaultKind::MemoryLeak => NODES[target].memory_mb * rng.range(0.02, 0.05),
        FaultKind::ErrorReturns => rng.range(0.3, 0.7),
        FaultKind::BadConfig => rng.range(30.0, 120.0),
        FaultKind::DatabaseOutage => 1.0,
    };
    let day = FIRST_DAY + (case as i64 % 20) * DAY;
    let start = day + (rng.range(0.0, 22.0) * 60.0) as i64 * MINUTE;
    let onset = start + (rng.range(0.45, 0.7) * (WINDOW_MINUTES * MINUTE) as f64) as i64;
    let pods = pod_names(&mut rng);
    let services: Vec<usize> = (0..NODES.len())
        .filter(|&i| !NODES[i].database && i != target)
        .collect();
    let chronic = vec![
        Background::ChronicSlow {
            node: services[rng.index(services.len())],
        },
        Background::ChronicErrors {
            node: services[rng.index(services.len())],
        },
    ];
    let rate = rng.range(20.0, 35.0);
    // Even cases export OTLP JSON, odd ones a CSV span table.
    let otlp = case & 1 == 0;
    let background_count = 2 + rng.index(2);
    let mut incident_background = chronic.clone();
    incident_background.extend(transient_background(
        &mut rng,
        start,
        target,
        background_count,
    ));
    let mut baseline_background = chronic;
    baseline_background.extend(transient_background(
        &mut rng,
        start - DAY,
        target,
        background_count,
    ));
    let case_dir = dir.join(format!("case-{case:03}"));
    let incident = Window {
        start,
        minutes: WINDOW_MINUTES,
        requests_per_minute: rate,
        fault: Some(ActiveFault {
            kind,
            target,
            onset,
            magnitude,
        }),
        background: incident_background,
        pods: pods.clone(),
        otlp,
    };
    write_window(&case_dir.join("incident"), &incident, rng.next_u64())?;
    let baseline = Window {
        start: start - DAY,
        fault: None,
        background: baseline_background,
        ..incident
    };
    write_window(&case_dir.join("baseline"), &baseline, rng.next_u64())?;
    let truth = Truth {
        case,
        fault: kind,
        root_cause: NODES[target].name.to_owned(),
        onset,
    };
    let json = serde_json::json!({
        "case": case,
        "fault": kind.name(),
        "root_cause": truth.root_cause,
        "mechanism": kind.mechanism(),
        "onset_unix_nanos": onset,
        "magnitude": magnitude,
    });
    std::fs::write(
        case_dir.join("truth.json"),
        serde_json::to_vec_pretty(&json)?,
    )?;
    Ok(truth)
}
