//! Prints Recall@1, Recall@5 and MRR of keyword (BM25), vector (all-MiniLM-L6-v2) and hybrid
//! retrieval over the shipped runbooks, on the labelled queries of `eval/retrieval-queries.tsv`:
//! on the development half, the held-out half, all queries and per query style.
//!
//! The fusion is chosen on the development half only (best hybrid MRR over
//! `Fusion::candidates()`); the product's `Fusion::DEFAULT` must be that choice, which this
//! checks and says. The original reciprocal rank fusion (k = 60, equal weights) is printed
//! beside it for comparison.
//!
//! Run with `./scripts/eval retrieval` (which fetches the model first), or
//! `cargo run --release -p faultmaven-knowledge --example retrieval_eval`.

use anyhow::{anyhow, Context};
use faultmaven_knowledge::{
    builtin_runbooks, choose_fusion, parse_retrieval_cases, rank_cases, score_rankings, Fusion,
    Group, KnowledgeBase, Normalisation, RankedCase, Ranking, RetrievalReport, Split,
    MINIMUM_CANDIDATES,
};
use faultmaven_llm::{Embedder, MiniLmEmbedder, ModelPaths};
use faultmaven_store::HnswVectorIndex;
use std::sync::Arc;

/// The fusion of the first version: plain reciprocal rank fusion as in the paper.
const PAPER_RRF: Fusion = Fusion::ReciprocalRank {
    rank_constant: 60.0,
    keyword_weight: 1.0,
    vector_weight: 1.0,
};

fn main() -> anyhow::Result<()> {
    let table = include_str!("../eval/retrieval-queries.tsv");
    let cases = parse_retrieval_cases(table)
        .map_err(|line| anyhow!("retrieval-queries.tsv line {line} is malformed"))?;
    let model_dir = ModelPaths::from_environment().minilm_dir;
    let embedder = MiniLmEmbedder::load(&model_dir).with_context(|| {
        format!(
            "loading all-MiniLM-L6-v2 from {} (run scripts/fetch-models)",
            model_dir.display()
        )
    })?;
    let embedder: Arc<dyn Embedder> = Arc::new(embedder);
    let runbooks = builtin_runbooks();
    let runbook_count = runbooks.len();
    let base = KnowledgeBase::new(runbooks, Some(embedder), Arc::new(HnswVectorIndex::new()))?;
    let started = std::time::Instant::now();
    let ranked = rank_cases(&base, &cases)?;
    let elapsed = started.elapsed();
    let split_count = |split: Split| cases.iter().filter(|case| case.split == split).count();
    println!(
        "Retrieval over {runbook_count} runbooks, {} labelled queries ({} dev, {} held-out; \
         {:.1} ms per query, embedding included)\n",
        cases.len(),
        split_count(Split::Development),
        split_count(Split::HeldOut),
        elapsed.as_secs_f64() * 1000.0 / cases.len().max(1) as f64
    );

    let candidates = Fusion::candidates();
    let (chosen, development) =
        choose_fusion(&ranked, &candidates).context("no fusion candidates")?;
    println!(
        "Fusion chosen on the dev half ({} candidates): {} (dev MRR {:.3}, Recall@1 {:.3})",
        candidates.len(),
        chosen.describe(),
        development.mean_reciprocal_rank,
        development.recall_at_1
    );
    if chosen == Fusion::DEFAULT {
        println!("The product's default fusion is this choice.\n");
    } else {
        println!(
            "WARNING: the product's default is {}, not the dev choice; update Fusion::DEFAULT.\n",
            Fusion::DEFAULT.describe()
        );
    }

    print_families(&ranked, &candidates);

    let product = score_rankings(&ranked, Fusion::DEFAULT);
    let paper = score_rankings(&ranked, PAPER_RRF);
    println!(
        "{:<11} {:>7} {:<14} {:>9} {:>9} {:>7}",
        "queries", "count", "ranking", "Recall@1", "Recall@5", "MRR"
    );
    let mut groups = vec![
        Group::Split(Split::HeldOut),
        Group::Split(Split::Development),
        Group::All,
    ];
    let mut styles: Vec<&str> = Vec::new();
    for case in &cases {
        if !styles.contains(&case.style.as_str()) {
            styles.push(case.style.as_str());
        }
    }
    groups.extend(styles.iter().map(|style| Group::Style(style)));
    for group in groups {
        print_group(&product, &paper, group);
    }

    print_paired(&ranked);

    println!("\nHybrid misses (expected runbook not in the top 5):");
    for (case, first) in &product.hybrid_misses {
        println!(
            "  [{} {}] {:?}: expected {}, first {}",
            case.split.as_str(),
            case.style,
            case.query,
            case.expected,
            first.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

/// One block of the table: keyword, vector, the product's hybrid and the paper's RRF.
fn print_group(product: &RetrievalReport, paper: &RetrievalReport, group: Group<'_>) {
    let name = match group {
        Group::All => "all".to_owned(),
        Group::Split(split) => split.as_str().to_owned(),
        Group::Style(style) => style.to_owned(),
    };
    let rows = [
        ("keyword", product.group(group, Ranking::Keyword)),
        ("vector", product.group(group, Ranking::Vector)),
        ("hybrid", product.group(group, Ranking::Hybrid)),
        ("(rrf k=60)", paper.group(group, Ranking::Hybrid)),
    ];
    for (label, scores) in rows {
        if scores.queries == 0 {
            continue;
        }
        println!(
            "{:<11} {:>7} {:<14} {:>9.3} {:>9.3} {:>7.3}",
            name,
            scores.queries,
            label,
            scores.recall_at_1,
            scores.recall_at_5,
            scores.mean_reciprocal_rank
        );
    }
}

/// Whether a fusion belongs to a family of the grid.
type IsMember = fn(&Fusion) -> bool;

/// The best member of each family of fusions on the dev half (by the same rule as the choice),
/// with its held-out figures: shows whether the normalisation matters, without choosing by them.
fn print_families(ranked: &[RankedCase], candidates: &[Fusion]) {
    let families: [(&str, IsMember); 4] = [
        ("rrf", |fusion| {
            matches!(fusion, Fusion::ReciprocalRank { .. })
        }),
        ("convex best", |fusion| {
            matches!(
                fusion,
                Fusion::Convex {
                    normalisation: Normalisation::Best,
                    ..
                }
            )
        }),
        ("convex minmax", |fusion| {
            matches!(
                fusion,
                Fusion::Convex {
                    normalisation: Normalisation::MinMax,
                    ..
                }
            )
        }),
        ("convex theoretical", |fusion| {
            matches!(
                fusion,
                Fusion::Convex {
                    normalisation: Normalisation::Theoretical,
                    ..
                }
            )
        }),
    ];
    println!(
        "{:<19} {:<38} {:>8} {:>8} | {:>13} {:>12}",
        "family", "best on dev", "dev R@1", "dev MRR", "held-out R@1", "held-out MRR"
    );
    for (name, member) in families {
        let family: Vec<Fusion> = candidates.iter().copied().filter(member).collect();
        let Some((fusion, development)) = choose_fusion(ranked, &family) else {
            continue;
        };
        let held_out =
            score_rankings(ranked, fusion).group(Group::Split(Split::HeldOut), Ranking::Hybrid);
        println!(
            "{:<19} {:<38} {:>8.3} {:>8.3} | {:>13.3} {:>12.3}",
            name,
            fusion.describe(),
            development.recall_at_1,
            development.mean_reciprocal_rank,
            held_out.recall_at_1,
            held_out.mean_reciprocal_rank
        );
    }
    println!();
}

/// Held-out queries where the product's hybrid ranking and the keyword ranking disagree at
/// rank 1: how many each gets right that the other misses (a paired count, so a difference of
/// one or two queries reads as the noise it is).
fn print_paired(ranked: &[RankedCase]) {
    let (mut hybrid_only, mut keyword_only) = (0, 0);
    for RankedCase { case, rankings } in ranked {
        if case.split != Split::HeldOut {
            continue;
        }
        let keyword_first = rankings.keyword.first().map(|(id, _)| id.as_str());
        let hybrid = rankings.truncated(MINIMUM_CANDIDATES).fuse(Fusion::DEFAULT);
        let hybrid_first = hybrid.first().map(|hit| hit.runbook_id.as_str());
        let expected = Some(case.expected.as_str());
        match (hybrid_first == expected, keyword_first == expected) {
            (true, false) => hybrid_only += 1,
            (false, true) => keyword_only += 1,
            _ => {}
        }
    }
    println!(
        "\nHeld-out, rank 1: hybrid right where keyword is wrong {hybrid_only}, keyword right \
         where hybrid is wrong {keyword_only}"
    );
}
