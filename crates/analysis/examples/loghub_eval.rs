//! Grouping accuracy of the template miner on loghub-2k, per system and mean.
//!
//! Run: `cargo run --release -p faultmaven-analysis --example loghub_eval`
//! (data from `$LOGHUB_2K_DIR`, default `../shared/datasets/loghub-2k`).
//! With `--verbose SYSTEM` it prints the ground-truth groups the miner got wrong; with
//! `--loghub2` it scores against the Loghub-2.0 corrected ground truth (14 systems, groups by
//! `EventTemplate`, as in the Loghub-2.0 paper) instead of the original `EventId`s.

#[path = "../tests/support/loghub.rs"]
mod loghub;

use faultmaven_analysis::{MinerConfig, TemplateMiner};
use std::collections::BTreeMap;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args
        .iter()
        .position(|a| a == "--verbose")
        .and_then(|i| args.get(i + 1).cloned());
    let dir = loghub::dataset_dir();
    // `--config '{"similarity_threshold":0.6}'` overrides settings, for sweeps.
    let config: MinerConfig = match args.iter().position(|a| a == "--config") {
        Some(i) => serde_json::from_str(args.get(i + 1).map_or("{}", String::as_str))
            .map_err(|e| format!("bad --config: {e}"))?,
        None => MinerConfig::default(),
    };
    println!("| System | GA | templates mined | truth groups |");
    println!("|---|---|---|---|");
    let mut sum = 0.0;
    let mut systems = 0u32;
    for system in loghub::SYSTEMS {
        let labelled = if args.iter().any(|a| a == "--loghub2") {
            match loghub::load_loghub2(&dir, system) {
                Some(labelled) => labelled?,
                None => continue,
            }
        } else {
            loghub::load(&dir, system)?
        };
        let (ga, mined) = loghub::evaluate(&labelled, &config);
        let truth: std::collections::HashSet<&String> = labelled.event_ids.iter().collect();
        println!("| {system} | {ga:.4} | {mined} | {} |", truth.len());
        sum += ga;
        systems += 1;
        if verbose.as_deref() == Some(system) {
            explain(&labelled, &config);
        }
    }
    println!("| **Mean** | **{:.4}** | | |", sum / f64::from(systems));
    Ok(())
}

/// Prints, for every wrongly grouped truth group, the mined templates its lines went to.
fn explain(labelled: &loghub::Labelled, config: &MinerConfig) {
    let mut miner = TemplateMiner::new(config);
    let ids: Vec<u32> = labelled.contents.iter().map(|l| miner.add(l)).collect();
    let ids: Vec<u32> = ids.into_iter().map(|id| miner.resolve(id)).collect();
    let mut by_truth: BTreeMap<&str, BTreeMap<u32, usize>> = BTreeMap::new();
    let mut by_mined: BTreeMap<u32, BTreeMap<&str, usize>> = BTreeMap::new();
    for (id, truth) in ids.iter().zip(&labelled.event_ids) {
        *by_truth.entry(truth).or_default().entry(*id).or_default() += 1;
        *by_mined.entry(*id).or_default().entry(truth).or_default() += 1;
    }
    for (truth, mined) in &by_truth {
        let clean = mined.len() == 1 && mined.keys().all(|id| by_mined[id].len() == 1);
        if clean {
            continue;
        }
        let example = labelled
            .event_ids
            .iter()
            .position(|t| t == truth)
            .map(|i| labelled.contents[i].as_str())
            .unwrap_or("");
        println!("truth {truth}: e.g. {example:?}");
        for (id, n) in mined {
            let others: Vec<String> = by_mined[id]
                .iter()
                .filter(|(t, _)| *t != truth)
                .map(|(t, n)| format!("{t}x{n}"))
                .collect();
            println!(
                "    {n:>4} -> #{id} {:?} {}",
                miner.template_text(*id).unwrap_or_default(),
                if others.is_empty() {
                    String::new()
                } else {
                    format!("(also {})", others.join(" "))
                }
            );
        }
    }
}
