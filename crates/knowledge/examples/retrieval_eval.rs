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
    Group, KnowledgeBase, Ranking, RetrievalReport, Split,
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
