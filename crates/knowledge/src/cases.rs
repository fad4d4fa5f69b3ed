//! Past cases as a searchable library: keyword (BM25) and vector retrieval fused by reciprocal
//! rank, like runbooks, but growing while the server runs (a case is added each time an engineer
//! confirms a hypothesis).

use crate::bm25::Bm25Index;
use crate::{KnowledgeError, RRF_K};
use faultmaven_llm::Embedder;
use faultmaven_model::PastCase;
use faultmaven_store::VectorIndex;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

/// Prefix of case ids in the shared vector index (runbooks use `runbook:`).
const VECTOR_ID_PREFIX: &str = "case:";

/// A vector-only match below this cosine similarity is not shown: with a handful of cases the
/// nearest one is always *some* case, and suggesting an unrelated incident costs the engineer's
/// trust. all-MiniLM-L6-v2 puts paraphrases of one incident well above 0.5 and unrelated
/// incident descriptions mostly below 0.35.
const MINIMUM_VECTOR_SIMILARITY: f32 = 0.5;

/// One case found by [`CaseLibrary::search`].
#[derive(Debug, Clone, PartialEq)]
pub struct CaseHit {
    /// The case.
    pub case: PastCase,
    /// Reciprocal-rank-fusion score; only comparable within one search.
    pub score: f32,
    /// 1-based rank in the keyword list, if keywords found it.
    pub keyword_rank: Option<usize>,
    /// Cosine similarity to the query, if vector retrieval ran and kept it.
    pub vector_similarity: Option<f32>,
}

struct Indexed {
    cases: Vec<PastCase>,
    position_of: HashMap<String, usize>,
    keyword_index: Bm25Index,
}

impl Indexed {
    fn new(cases: Vec<PastCase>) -> Self {
        let position_of = cases
            .iter()
            .enumerate()
            .map(|(position, case)| (case.id.clone(), position))
            .collect();
        let keyword_index = Bm25Index::new(cases.iter().map(|case| {
            [
                (case.root_cause.clone(), 2.0),
                (case.symptoms.join("\n"), 2.0),
                (case.resolution.join("\n"), 1.0),
                (
                    case.suspects
                        .iter()
                        .map(|suspect| suspect.name.as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                    1.0,
                ),
            ]
        }));
        Self {
            cases,
            position_of,
            keyword_index,
        }
    }
}

/// Resolved cases with keyword and (optionally) vector retrieval. Shared across requests.
pub struct CaseLibrary {
    embedder: Option<Arc<dyn Embedder>>,
    vector_index: Arc<dyn VectorIndex>,
    indexed: RwLock<Indexed>,
}

impl std::fmt::Debug for CaseLibrary {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CaseLibrary")
            .field("cases", &self.len())
            .finish_non_exhaustive()
    }
}

impl CaseLibrary {
    /// Indexes `cases` (embedding them in one batch when there is an embedder). CPU-heavy with
    /// an embedder: call at start-up or from `spawn_blocking`.
    pub fn new(
        cases: Vec<PastCase>,
        embedder: Option<Arc<dyn Embedder>>,
        vector_index: Arc<dyn VectorIndex>,
    ) -> Result<Self, KnowledgeError> {
        let library = Self {
            embedder,
            vector_index,
            indexed: RwLock::new(Indexed::new(Vec::new())),
        };
        library.embed_all(&cases)?;
        *library.write() = Indexed::new(deduplicate(cases));
        Ok(library)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Indexed> {
        // Every write replaces the whole `Indexed` value at once, so a panic elsewhere cannot
        // leave it half-updated: a poisoned lock is safe to take over.
        self.indexed.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Indexed> {
        self.indexed.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn embed_all(&self, cases: &[PastCase]) -> Result<(), KnowledgeError> {
        let Some(embedder) = &self.embedder else {
            return Ok(());
        };
        if cases.is_empty() {
            return Ok(());
        }
        let texts: Vec<String> = cases.iter().map(PastCase::search_text).collect();
        let text_refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = embedder.embed(&text_refs)?;
        if vectors.len() != cases.len() {
            return Err(KnowledgeError::EmbeddingCount {
                expected: cases.len(),
                returned: vectors.len(),
            });
        }
        for (case, vector) in cases.iter().zip(vectors) {
            self.vector_index
                .upsert(&format!("{VECTOR_ID_PREFIX}{}", case.id), vector)?;
        }
        Ok(())
    }

    /// Adds a case, replacing one with the same id. Embeds it when there is an embedder.
    pub fn add(&self, case: PastCase) -> Result<(), KnowledgeError> {
        self.embed_all(std::slice::from_ref(&case))?;
        let mut indexed = self.write();
        let mut cases = std::mem::take(&mut indexed.cases);
        cases.retain(|existing| existing.id != case.id);
        cases.push(case);
        *indexed = Indexed::new(cases);
        Ok(())
    }

    /// How many cases there are.
    pub fn len(&self) -> usize {
        self.read().cases.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `k` cases most similar to `query`, best first. Only cases that share words with the
    /// query, or whose embedding is close to it, are returned (possibly none).
    pub fn search(&self, query: &str, k: usize) -> Result<Vec<CaseHit>, KnowledgeError> {
        if k == 0 || query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let similarities = match &self.embedder {
            Some(embedder) if !self.is_empty() => {
                let mut vectors = embedder.embed(&[query])?;
                if vectors.len() != 1 {
                    return Err(KnowledgeError::EmbeddingCount {
                        expected: 1,
                        returned: vectors.len(),
                    });
                }
                let query_vector = vectors.swap_remove(0);
                // Enough that the best `depth` cases are found even when every other entry of
                // a shared index (runbooks) ranks above them.
                let depth = k.max(crate::knowledge_base::MINIMUM_CANDIDATES);
                let others = self.vector_index.len().saturating_sub(self.len());
                self.vector_index.search(&query_vector, depth + others)
            }
            _ => Vec::new(),
        };
        let indexed = self.read();
        let mut hits: HashMap<usize, CaseHit> = HashMap::new();
        for (rank, (position, _)) in (1..).zip(indexed.keyword_index.search(query)) {
            let hit = hits.entry(position).or_insert_with(|| CaseHit {
                case: indexed.cases[position].clone(),
                score: 0.0,
                keyword_rank: None,
                vector_similarity: None,
            });
            hit.score += 1.0 / (RRF_K + rank as f32);
            hit.keyword_rank = Some(rank);
        }
        let vector_list = similarities.into_iter().filter_map(|(id, similarity)| {
            let case_id = id.strip_prefix(VECTOR_ID_PREFIX)?;
            let position = *indexed.position_of.get(case_id)?;
            Some((position, similarity))
        });
        for (rank, (position, similarity)) in (1..).zip(vector_list) {
            let entry = hits.entry(position);
            let is_new = matches!(entry, std::collections::hash_map::Entry::Vacant(_));
            if is_new && similarity < MINIMUM_VECTOR_SIMILARITY {
                continue;
            }
            let hit = entry.or_insert_with(|| CaseHit {
                case: indexed.cases[position].clone(),
                score: 0.0,
                keyword_rank: None,
                vector_similarity: None,
            });
            hit.score += 1.0 / (RRF_K + rank as f32);
            hit.vector_similarity = Some(similarity);
        }
        let mut ranked: Vec<CaseHit> = hits.into_values().collect();
        ranked.sort_by(|left, right| {
            right
                .score
                .total_cmp(&left.score)
                .then_with(|| left.case.id.cmp(&right.case.id))
        });
        ranked.truncate(k);
        Ok(ranked)
    }
}

/// Keeps the last case of each id (a later confirmation replaces an earlier one).
fn deduplicate(cases: Vec<PastCase>) -> Vec<PastCase> {
    let mut last_of: HashMap<String, PastCase> = HashMap::new();
    let mut order = Vec::new();
    for case in cases {
        if !last_of.contains_key(&case.id) {
            order.push(case.id.clone());
        }
        last_of.insert(case.id.clone(), case);
    }
    order
        .into_iter()
        .filter_map(|id| last_of.remove(&id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultmaven_model::{HypothesisCategory, SessionId, Timestamp};
    use faultmaven_store::InMemoryVectorIndex;

    fn case(id: &str, root_cause: &str, symptom: &str) -> PastCase {
        PastCase {
            id: id.to_owned(),
            created_at: Timestamp::from_unix_nanos(1),
            session_id: SessionId::from_random_bytes([1; 16]),
            root_cause: root_cause.to_owned(),
            category: HypothesisCategory::ResourceExhaustion,
            suspects: Vec::new(),
            symptoms: vec![symptom.to_owned()],
            resolution: vec!["fixed it".to_owned()],
            runbook: None,
        }
    }

    #[test]
    fn keyword_search_finds_cases_added_at_run_time_and_replaces_by_id() {
        let library =
            CaseLibrary::new(Vec::new(), None, Arc::new(InMemoryVectorIndex::new())).expect("new");
        assert!(library.search("pool", 3).expect("search").is_empty());
        library
            .add(case(
                "case-1",
                "Connection pool exhausted",
                "HikariPool timeout",
            ))
            .expect("add");
        library
            .add(case(
                "case-2",
                "Disk full on the database host",
                "No space left",
            ))
            .expect("add");
        let hits = library
            .search("HikariPool connection timeout", 3)
            .expect("search");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].case.id, "case-1");
        assert_eq!(library.search("kafka lag", 3).expect("search"), Vec::new());

        library
            .add(case(
                "case-1",
                "Connection pool too small",
                "HikariPool timeout",
            ))
            .expect("replace");
        assert_eq!(library.len(), 2);
        let hits = library.search("HikariPool", 3).expect("search");
        assert_eq!(hits[0].case.root_cause, "Connection pool too small");
    }

    #[test]
    fn new_keeps_the_last_case_of_each_id() {
        let library = CaseLibrary::new(
            vec![
                case("case-1", "first", "a b c"),
                case("case-1", "second", "a b c"),
            ],
            None,
            Arc::new(InMemoryVectorIndex::new()),
        )
        .expect("new");
        assert_eq!(library.len(), 1);
        assert_eq!(
            library.search("second", 1).expect("search")[0]
                .case
                .root_cause,
            "second"
        );
    }
}
