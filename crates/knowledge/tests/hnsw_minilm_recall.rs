//! The HNSW index against the exact one on real all-MiniLM-L6-v2 embeddings: every distinct line
//! of the shipped runbooks (titles, symptoms, prose and commands) is indexed, and the labelled
//! retrieval queries are the queries. Without the model files this test fails and says how to
//! get them (`scripts/fetch-models`).

use faultmaven_knowledge::{builtin_runbooks, parse_retrieval_cases};
use faultmaven_llm::{Embedder, MiniLmEmbedder, ModelPaths};
use faultmaven_store::{HnswParameters, HnswVectorIndex, InMemoryVectorIndex, VectorIndex};
use std::collections::BTreeSet;

fn embed_all(embedder: &MiniLmEmbedder, texts: &[String]) -> Vec<Vec<f32>> {
    let mut vectors = Vec::with_capacity(texts.len());
    for batch in texts.chunks(64) {
        let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
        vectors.extend(embedder.embed(&refs).expect("embed"));
    }
    vectors
}

#[test]
fn hnsw_recall_at_10_on_minilm_vectors_of_runbook_lines() {
    let model_dir = ModelPaths::from_environment().minilm_dir;
    let embedder = MiniLmEmbedder::load(&model_dir).unwrap_or_else(|error| {
        panic!(
            "cannot load all-MiniLM-L6-v2 from {} (run scripts/fetch-models): {error}",
            model_dir.display()
        )
    });
    let lines: BTreeSet<String> = builtin_runbooks()
        .iter()
        .flat_map(|runbook| {
            let front_matter =
                std::iter::once(runbook.title.clone()).chain(runbook.symptoms.clone());
            let body: Vec<String> = runbook
                .body
                .lines()
                .map(str::trim)
                .filter(|line| line.len() > 3 && !line.starts_with("```"))
                .map(str::to_owned)
                .collect();
            front_matter.chain(body).collect::<Vec<_>>()
        })
        .collect();
    let texts: Vec<String> = lines.into_iter().collect();
    assert!(texts.len() > 1_000, "{} lines", texts.len());
    let queries: Vec<String> = parse_retrieval_cases(include_str!("../eval/retrieval-queries.tsv"))
        .expect("the shipped table parses")
        .into_iter()
        .map(|case| case.query)
        .collect();

    // Every search walks the graph: at this size the index would otherwise scan (exactly).
    let parameters = HnswParameters {
        exhaustive_below: 0,
        ..HnswParameters::default()
    };
    let hnsw = HnswVectorIndex::with_parameters(None, parameters);
    let exact = InMemoryVectorIndex::new();
    for (number, vector) in embed_all(&embedder, &texts).into_iter().enumerate() {
        let id = format!("line-{number}");
        hnsw.upsert(&id, vector.clone()).expect("hnsw upsert");
        exact.upsert(&id, vector).expect("exact upsert");
    }
    let mut found = 0usize;
    for query in embed_all(&embedder, &queries) {
        let truth: Vec<String> = exact
            .search(&query, 10)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        found += hnsw
            .search(&query, 10)
            .iter()
            .filter(|(id, _)| truth.contains(id))
            .count();
    }
    let recall = found as f64 / (10 * queries.len()) as f64;
    println!(
        "HNSW recall@10 vs exact on {} MiniLM vectors: {recall:.4}",
        texts.len()
    );
    assert!(recall >= 0.99, "recall@10 {recall}");
}
