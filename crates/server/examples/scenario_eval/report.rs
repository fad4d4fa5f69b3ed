//! Tables of the scenario evaluation: accuracy, citations, hallucinations and latency per split,
//! the reliability table of the top hypothesis's confidence, and the scenarios that failed.

use crate::scenario::Split;
use crate::score::{CitationKind, ScenarioScore};
use std::fmt::Write as _;

/// One scenario's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Scenario id.
    pub id: String,
    /// Its split.
    pub split: Split,
    /// Its truth, `category/component`, for the failure list.
    pub truth: String,
    /// What happened, for the failure list.
    pub description: String,
    /// Whole-request seconds.
    pub seconds: f64,
    /// The score, or the error that prevented scoring.
    pub score: Result<ScenarioScore, String>,
    /// The top three hypotheses as `category/title`, for the failure list.
    pub top: Vec<String>,
}

/// The `q`-quantile (nearest rank) of sorted values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

/// The summary row of a group of outcomes.
pub fn summary_row(label: &str, outcomes: &[&Outcome]) -> String {
    let n = outcomes.len();
    let scores: Vec<&ScenarioScore> = outcomes
        .iter()
        .filter_map(|o| o.score.as_ref().ok())
        .collect();
    let top1 = scores.iter().filter(|s| s.rank == Some(1)).count();
    let top3 = scores
        .iter()
        .filter(|s| s.rank.is_some_and(|r| r <= 3))
        .count();
    let steps = scores.iter().filter(|s| s.next_step_found).count();
    let (verified, cited) = scores.iter().fold((0, 0), |(v, c), s| {
        let (sv, sc) = s.citation_counts();
        (v + sv, c + sc)
    });
    let hallucinated: usize = scores.iter().map(|s| s.hallucinated.len()).sum();
    let mut seconds: Vec<f64> = outcomes.iter().map(|o| o.seconds).collect();
    seconds.sort_by(f64::total_cmp);
    format!(
        "{label:8} {n:>5} {:>7} {:>7} {:>9} {:>10} {:>12.2} {:>7.2} {:>7.2} {:>6}",
        percent(top1, n),
        percent(top3, n),
        percent(steps, n),
        percent(verified, cited),
        if n == 0 {
            0.0
        } else {
            hallucinated as f64 / n as f64
        },
        quantile(&seconds, 0.5),
        quantile(&seconds, 0.95),
        n - scores.len(),
    )
}

/// The whole report.
pub fn render(outcomes: &[Outcome], model: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Scenario evaluation through POST /api/v1/troubleshoot (model: {model})"
    );
    let _ = writeln!(
        out,
        "\n{:8} {:>5} {:>7} {:>7} {:>9} {:>10} {:>12} {:>7} {:>7} {:>6}",
        "split",
        "n",
        "top-1",
        "top-3",
        "next-step",
        "citations",
        "halluc/answ",
        "p50 s",
        "p95 s",
        "errors"
    );
    for split in [Some(Split::Dev), Some(Split::Holdout), None] {
        let group: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| split.is_none_or(|s| o.split == s))
            .collect();
        let label = split.map_or("all", Split::name);
        let _ = writeln!(out, "{}", summary_row(label, &group));
    }
    let _ = writeln!(
        out,
        "Goals: top-1 >= 80%, top-3 >= 95%, citations 100% verified, 0 hallucinated entities per answer."
    );

    let _ = writeln!(out, "\nCitations by kind (verified / all):");
    let kinds = [
        CitationKind::Finding,
        CitationKind::Hypothesis,
        CitationKind::Lines,
        CitationKind::Entity,
        CitationKind::Command,
    ];
    for kind in kinds {
        let (verified, all) = outcomes
            .iter()
            .filter_map(|o| o.score.as_ref().ok())
            .flat_map(|s| &s.citations)
            .filter(|c| c.kind == kind)
            .fold((0, 0), |(v, a), c| (v + usize::from(c.verified), a + 1));
        let _ = writeln!(
            out,
            "  {:14} {verified:>6} / {all:<6} {}",
            kind.name(),
            percent(verified, all)
        );
    }
    let removed: usize = outcomes
        .iter()
        .filter_map(|o| o.score.as_ref().ok())
        .map(|s| s.removed_by_server)
        .sum();
    let _ = writeln!(
        out,
        "  (the server itself removed {removed} unverifiable citation(s) from model text)"
    );
    let flagged: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| o.score.as_ref().ok())
        .flat_map(|s| s.flagged_by_server.iter().map(String::as_str))
        .collect();
    let _ = writeln!(
        out,
        "  (and marked {} name(s) in model text as not in the data: {})",
        flagged.len(),
        flagged.join(" ")
    );

    out.push_str(&reliability_table(outcomes));

    let _ = writeln!(
        out,
        "\nPer scenario (rank of the first correct hypothesis, '-' when none):"
    );
    for outcome in outcomes {
        let (rank, step, citations, hallucinated) = match &outcome.score {
            Ok(s) => {
                let (v, c) = s.citation_counts();
                (
                    s.rank.map_or("-".into(), |r| r.to_string()),
                    if s.next_step_found { "yes" } else { "no" },
                    format!("{v}/{c}"),
                    s.hallucinated.join(" "),
                )
            }
            Err(error) => ("err".into(), "-", "-".into(), error.clone()),
        };
        let _ = writeln!(
            out,
            "  {:7} {:38} rank {:>3}  step {:3}  cited {:>7}  {:6.2}s  {}",
            outcome.split.name(),
            outcome.id,
            rank,
            step,
            citations,
            outcome.seconds,
            hallucinated
        );
    }
    let unverified: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.score.as_ref().ok().map(|s| (o, s)))
        .flat_map(|(o, s)| {
            s.citations
                .iter()
                .filter(|c| !c.verified)
                .map(move |c| format!("  {:38} {}: {}", o.id, c.kind.name(), c.text))
        })
        .collect();
    if !unverified.is_empty() {
        let _ = writeln!(out, "\nCitations that did not verify:");
        for line in unverified.iter().take(40) {
            let _ = writeln!(out, "{line}");
        }
    }
    let misses: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| !matches!(&o.score, Ok(s) if s.rank == Some(1)))
        .collect();
    if !misses.is_empty() {
        let _ = writeln!(
            out,
            "\nNot ranked first (truth; then the top three as category: title):"
        );
        for outcome in misses {
            let _ = writeln!(
                out,
                "  {:7} {} (truth {})",
                outcome.split.name(),
                outcome.id,
                outcome.truth
            );
            let _ = writeln!(out, "      what happened: {}", outcome.description);
            for (index, top) in outcome.top.iter().enumerate() {
                let _ = writeln!(out, "      {}. {}", index + 1, top);
            }
        }
    }
    out
}

/// Confidence bins of the top hypothesis against how often it was right, with the Brier score
/// and the expected calibration error (bins weighted by their size).
pub fn reliability_table(outcomes: &[Outcome]) -> String {
    let points: Vec<(f64, bool)> = outcomes
        .iter()
        .filter_map(|o| o.score.as_ref().ok())
        .map(|s| (s.top_confidence.clamp(0.0, 1.0), s.rank == Some(1)))
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nReliability of the top hypothesis's confidence (all splits):\n  {:11} {:>5} {:>10} {:>9}",
        "confidence", "n", "mean conf", "accuracy"
    );
    let bins = 5;
    let mut ece = 0.0;
    for bin in 0..bins {
        let low = bin as f64 / bins as f64;
        let high = (bin + 1) as f64 / bins as f64;
        let members: Vec<&(f64, bool)> = points
            .iter()
            .filter(|(c, _)| *c >= low && (*c < high || (bin == bins - 1 && *c <= high)))
            .collect();
        if members.is_empty() {
            let _ = writeln!(
                out,
                "  {low:.1}-{high:.1}    {:>5} {:>10} {:>9}",
                0, "-", "-"
            );
            continue;
        }
        let n = members.len() as f64;
        let mean_confidence = members.iter().map(|(c, _)| c).sum::<f64>() / n;
        let accuracy = members.iter().filter(|(_, right)| *right).count() as f64 / n;
        ece += n / points.len() as f64 * (accuracy - mean_confidence).abs();
        let _ = writeln!(
            out,
            "  {low:.1}-{high:.1}    {:>5} {:>10.2} {:>8.1}%",
            members.len(),
            mean_confidence,
            100.0 * accuracy
        );
    }
    let brier = if points.is_empty() {
        f64::NAN
    } else {
        points
            .iter()
            .map(|(c, right)| (c - f64::from(u8::from(*right))).powi(2))
            .sum::<f64>()
            / points.len() as f64
    };
    let _ = writeln!(
        out,
        "  Brier score {brier:.3}, expected calibration error {ece:.3} (lower is better)"
    );
    out
}
