//! `faultmaven-sim`: writes fault-injection cases for the root-cause evaluation.
//!
//! ```text
//! faultmaven-sim --out DIR [--cases 66] [--seed 7]
//! ```

use anyhow::Context;
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let mut out: Option<PathBuf> = None;
    let mut cases: u32 = 66;
    let mut seed: u64 = 7;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--cases" => cases = value()?.parse().context("--cases takes a number")?,
            "--seed" => seed = value()?.parse().context("--seed takes a number")?,
            "-h" | "--help" => {
                println!("faultmaven-sim --out DIR [--cases 66] [--seed 7]");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let out = out.context("give --out DIR")?;
    for case in 0..cases {
        let truth = faultmaven_simulator::generate_case(&out, case, seed)?;
        println!("case-{case:03} {} {}", truth.fault.name(), truth.root_cause);
    }
    Ok(())
}
