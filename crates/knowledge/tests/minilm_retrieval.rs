//! Retrieval over the shipped runbooks with the real embedding model (all-MiniLM-L6-v2), fetched
//! by `scripts/fetch-models`. Without the model files this test fails and says how to get them.

use faultmaven_knowledge::{builtin_runbooks, KnowledgeBase, RunbookHit};
use faultmaven_llm::{Embedder, MiniLmEmbedder, ModelPaths};
use faultmaven_store::InMemoryVectorIndex;
use std::sync::Arc;

/// (query, expected runbook id) pairs from a tab-separated table; `#` lines are comments.
fn cases(table: &str) -> Vec<(&str, &str)> {
    table
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| line.split_once('\t').expect("query<TAB>runbook id"))
        .collect()
}

/// 1-based rank of `expected` among the top `k` hits, if there.
fn rank_of(hits: &[RunbookHit], expected: &str) -> Option<usize> {
    hits.iter()
        .position(|hit| hit.runbook_id == expected)
        .map(|index| index + 1)
}

/// How many cases have their runbook first, and in the top 3.
fn score(base: &KnowledgeBase, cases: &[(&str, &str)]) -> (usize, usize, Vec<String>) {
    let (mut first, mut top_three, mut misses) = (0, 0, Vec::new());
    for (query, expected) in cases {
        let hits = base.search(query, 3).expect("search");
        match rank_of(&hits, expected) {
            Some(rank) => {
                first += usize::from(rank == 1);
                top_three += 1;
            }
            None => misses.push(format!(
                "{query:?}: expected {expected}, got {:?}",
                hits.iter()
                    .map(|hit| hit.runbook_id.as_str())
                    .collect::<Vec<_>>()
            )),
        }
    }
    (first, top_three, misses)
}

#[test]
fn minilm_hybrid_search_finds_the_right_runbooks() {
    let model_dir = ModelPaths::from_environment().minilm_dir;
    let embedder = MiniLmEmbedder::load(&model_dir).unwrap_or_else(|error| {
        panic!(
            "cannot load all-MiniLM-L6-v2 from {}: {error}",
            model_dir.display()
        )
    });
    let embedder: Arc<dyn Embedder> = Arc::new(embedder);
    let hybrid = KnowledgeBase::new(
        builtin_runbooks(),
        Some(embedder),
        Arc::new(InMemoryVectorIndex::new()),
    )
    .expect("build the hybrid knowledge base");
    let keyword_only = KnowledgeBase::new(
        builtin_runbooks(),
        None,
        Arc::new(InMemoryVectorIndex::new()),
    )
    .expect("build the keyword knowledge base");

    // The case the product is built around.
    let hits = hybrid
        .search(
            "java.lang.OutOfMemoryError: Java heap space in checkout pod",
            3,
        )
        .expect("search");
    assert!(rank_of(&hits, "oom-killed").is_some(), "{hits:?}");
    assert!(
        hits[0].vector_rank.is_some() && hits[0].keyword_rank.is_some(),
        "{hits:?}"
    );

    let log_lines = cases(include_str!("../testdata/log-line-queries.tsv"));
    let paraphrases = cases(include_str!("../testdata/paraphrase-queries.tsv"));
    let mut report = Vec::new();
    for (name, table) in [("log lines", &log_lines), ("paraphrases", &paraphrases)] {
        let (keyword_first, keyword_top, _) = score(&keyword_only, table);
        let (hybrid_first, hybrid_top, misses) = score(&hybrid, table);
        report.push(format!(
            "{name} ({} queries): keyword only {keyword_first} first / {keyword_top} top-3; \
             hybrid {hybrid_first} first / {hybrid_top} top-3; hybrid misses: {misses:#?}",
            table.len()
        ));
    }
    let report = report.join("\n");
    println!("{report}");

    let (_, log_top, log_misses) = score(&hybrid, &log_lines);
    assert_eq!(
        log_top,
        log_lines.len(),
        "every log line finds its runbook: {log_misses:#?}"
    );
    let (_, keyword_paraphrase_top, _) = score(&keyword_only, &paraphrases);
    let (_, paraphrase_top, _) = score(&hybrid, &paraphrases);
    assert!(
        paraphrase_top * 10 >= paraphrases.len() * 8,
        "hybrid search should place at least 80% of paraphrases in the top 3\n{report}"
    );
    assert!(
        paraphrase_top >= keyword_paraphrase_top,
        "vectors must not make paraphrase retrieval worse\n{report}"
    );
}

/// Past cases are found by meaning as well as by words, and an unrelated incident is not
/// suggested just because it is the nearest of a few.
#[test]
fn minilm_finds_past_cases_by_meaning_and_not_unrelated_ones() {
    use faultmaven_knowledge::CaseLibrary;
    use faultmaven_model::{HypothesisCategory, PastCase, SessionId, Timestamp};
    let model_dir = ModelPaths::from_environment().minilm_dir;
    let embedder: Arc<dyn Embedder> =
        Arc::new(MiniLmEmbedder::load(&model_dir).expect("load all-MiniLM-L6-v2"));
    let case = |id: &str, root_cause: &str, symptom: &str, fix: &str| PastCase {
        id: id.to_owned(),
        created_at: Timestamp::from_unix_nanos(1),
        session_id: SessionId::from_random_bytes([2; 16]),
        root_cause: root_cause.to_owned(),
        category: HypothesisCategory::ResourceExhaustion,
        suspects: Vec::new(),
        symptoms: vec![symptom.to_owned()],
        resolution: vec![fix.to_owned()],
        runbook: None,
    };
    let library = CaseLibrary::new(
        vec![
            case(
                "case-pool",
                "Database connection pool exhausted in checkout",
                "ERROR template E3 'HikariPool-1 - Connection is not available, request timed out'",
                "raised maximumPoolSize from 10 to 40",
            ),
            case(
                "case-disk",
                "Log volume full on the ingest nodes",
                "ERROR template E1 'write failed: No space left on device'",
                "rotated logs and grew the volume to 200 GiB",
            ),
        ],
        Some(embedder),
        Arc::new(InMemoryVectorIndex::new()),
    )
    .expect("index cases");
    let hits = library
        .search(
            "all request threads are stuck waiting for a free db connection",
            3,
        )
        .expect("search");
    assert_eq!(
        hits.first().map(|hit| hit.case.id.as_str()),
        Some("case-pool"),
        "{hits:#?}"
    );
    let unrelated = library
        .search("certificate expired on the public load balancer", 3)
        .expect("search");
    assert!(unrelated.is_empty(), "{unrelated:#?}");
}
