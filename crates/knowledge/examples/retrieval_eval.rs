//! Prints Recall@1, Recall@5 and MRR of keyword (BM25), vector (all-MiniLM-L6-v2) and hybrid
//! (reciprocal rank fusion) retrieval over the shipped runbooks, on the labelled queries of
//! `eval/retrieval-queries.tsv`, overall and per query style.
//!
//! Run with `./scripts/eval retrieval` (which fetches the model first), or
//! `cargo run --release -p faultmaven-knowledge --example retrieval_eval`.

use anyhow::{anyhow, Context};
use faultmaven_knowledge::{
    builtin_runbooks, evaluate_retrieval, parse_retrieval_cases, KnowledgeBase, Ranking,
};
use faultmaven_llm::{Embedder, MiniLmEmbedder, ModelPaths};
use faultmaven_store::InMemoryVectorIndex;
use std::sync::Arc;

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
    let base = KnowledgeBase::new(
        runbooks,
        Some(embedder),
        Arc::new(InMemoryVectorIndex::new()),
    )?;
    let started = std::time::Instant::now();
    let report = evaluate_retrieval(&base, &cases)?;
    let elapsed = started.elapsed();

    println!(
        "Retrieval over {runbook_count} runbooks, {} labelled queries ({:.1} ms per query, \
         embedding included)\n",
        cases.len(),
        elapsed.as_secs_f64() * 1000.0 / cases.len().max(1) as f64
    );
    println!(
        "{:<11} {:>7} {:<8} {:>9} {:>9} {:>7}",
        "queries", "count", "ranking", "Recall@1", "Recall@5", "MRR"
    );
    let mut styles: Vec<&str> = vec!["all"];
    for case in &cases {
        if !styles.contains(&case.style.as_str()) {
            styles.push(case.style.as_str());
        }
    }
    for style in styles {
        for ranking in [Ranking::Keyword, Ranking::Vector, Ranking::Hybrid] {
            let Some(scores) = report.scores.get(&(style.to_owned(), ranking)) else {
                continue;
            };
            println!(
                "{:<11} {:>7} {:<8} {:>9.3} {:>9.3} {:>7.3}",
                style,
                scores.queries,
                ranking.as_str(),
                scores.recall_at_1,
                scores.recall_at_5,
                scores.mean_reciprocal_rank
            );
        }
    }
    println!("\nHybrid misses (expected runbook not in the top 5):");
    for (case, first) in &report.hybrid_misses {
        println!(
            "  [{}] {:?}: expected {}, first {}",
            case.style,
            case.query,
            case.expected,
            first.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}
