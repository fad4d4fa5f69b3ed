//! The knowledge base: runbooks indexed for keyword (BM25) and vector retrieval, searched with a
//! fusion of the two ([`Fusion`]). Runbooks can be added, replaced and removed while it serves
//! searches (the admin API does), each change indexed at once.

use crate::bm25::Bm25Index;
use crate::fusion::{Fusion, Rankings};
use crate::{KnowledgeError, Runbook};
use faultmaven_llm::Embedder;
use faultmaven_store::VectorIndex;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

/// The RRF constant of the original paper (Cormack et al., 2009), used by the past-case library;
/// runbook search fuses as [`Fusion::DEFAULT`] says.
pub const RRF_K: f32 = 60.0;

/// How deep each list goes into the fusion: enough that a runbook ranked low by one retriever
/// and high by the other is still fused.
pub const MINIMUM_CANDIDATES: usize = 20;

/// Weight of each runbook field in the keyword index. The front matter is curated signal (the
/// phrases an engineer sees), so it counts double; the body is mostly commands and prose.
const TITLE_WEIGHT: f32 = 2.0;
const SYMPTOMS_WEIGHT: f32 = 2.0;
const TAGS_WEIGHT: f32 = 2.0;
const SERVICES_WEIGHT: f32 = 1.0;
const BODY_WEIGHT: f32 = 1.0;

/// Prefix of runbook ids in the vector index, so the index can hold other kinds of entries (past
/// cases) beside runbooks.
const VECTOR_ID_PREFIX: &str = "runbook:";

/// One runbook found by [`KnowledgeBase::search`].
#[derive(Debug, Clone, PartialEq)]
pub struct RunbookHit {
    /// The runbook's id; look it up with [`KnowledgeBase::runbook`].
    pub runbook_id: String,
    /// The fused score ([`Fusion`]); only comparable within one search.
    pub score: f32,
    /// 1-based rank in the keyword (BM25) list, if it was found by keywords.
    pub keyword_rank: Option<usize>,
    /// 1-based rank in the vector list, if vector retrieval ran and ranked it.
    pub vector_rank: Option<usize>,
    /// The BM25 score, if it was found by keywords (unbounded; larger is better).
    pub keyword_score: Option<f32>,
    /// Cosine similarity of the query and the runbook, if vector retrieval ran.
    pub vector_similarity: Option<f32>,
}

impl RunbookHit {
    /// A hit for `runbook_id` that no list has ranked yet.
    pub(crate) fn unranked(runbook_id: &str) -> Self {
        Self {
            runbook_id: runbook_id.to_owned(),
            score: 0.0,
            keyword_rank: None,
            vector_rank: None,
            keyword_score: None,
            vector_similarity: None,
        }
    }
}

/// The runbooks and their keyword index, replaced as one value on every change so a search never
/// sees a half-applied change.
struct Indexed {
    runbooks: Vec<Arc<Runbook>>,
    position_of: HashMap<String, usize>,
    keyword_index: Bm25Index,
}

impl Indexed {
    fn new(runbooks: Vec<Arc<Runbook>>) -> Self {
        let position_of = runbooks
            .iter()
            .enumerate()
            .map(|(position, runbook)| (runbook.id.clone(), position))
            .collect();
        let keyword_index = Bm25Index::new(runbooks.iter().map(|runbook| {
            [
                (Cow::Borrowed(runbook.title.as_str()), TITLE_WEIGHT),
                (Cow::Owned(runbook.symptoms.join("\n")), SYMPTOMS_WEIGHT),
                (Cow::Owned(runbook.tags.join("\n")), TAGS_WEIGHT),
                (Cow::Owned(runbook.services.join("\n")), SERVICES_WEIGHT),
                (Cow::Borrowed(runbook.body.as_str()), BODY_WEIGHT),
            ]
        }));
        Self {
            runbooks,
            position_of,
            keyword_index,
        }
    }
}

/// Runbooks with a keyword index and, when an embedder is given, a vector index. Shared across
/// requests; [`KnowledgeBase::upsert`] and [`KnowledgeBase::remove`] change it in place.
pub struct KnowledgeBase {
    embedder: Option<Arc<dyn Embedder>>,
    vector_index: Arc<dyn VectorIndex>,
    fusion: Fusion,
    indexed: RwLock<Indexed>,
    /// Serialises changes, so the vector index and the keyword index are updated in the same
    /// order by concurrent writers.
    changes: Mutex<()>,
}

impl std::fmt::Debug for KnowledgeBase {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("KnowledgeBase")
            .field("runbooks", &self.len())
            .field(
                "embedder",
                &self.embedder.as_ref().map(|e| e.name().to_owned()),
            )
            .field("fusion", &self.fusion)
            .finish_non_exhaustive()
    }
}

impl KnowledgeBase {
    /// Indexes `runbooks`. With an embedder, each runbook's title, symptoms and tags are embedded
    /// once (in one batched call) and stored in `vector_index`; without one, search is keyword
    /// only and the index is not touched.
    ///
    /// Embedding is CPU-heavy: call this at start-up or from `spawn_blocking`.
    pub fn new(
        runbooks: Vec<Runbook>,
        embedder: Option<Arc<dyn Embedder>>,
        vector_index: Arc<dyn VectorIndex>,
    ) -> Result<Self, KnowledgeError> {
        let mut seen = std::collections::HashSet::with_capacity(runbooks.len());
        for runbook in &runbooks {
            if !seen.insert(runbook.id.as_str()) {
                return Err(KnowledgeError::DuplicateRunbook(runbook.id.clone()));
            }
        }
        let base = Self {
            embedder,
            vector_index,
            fusion: Fusion::DEFAULT,
            indexed: RwLock::new(Indexed::new(Vec::new())),
            changes: Mutex::new(()),
        };
        base.embed(&runbooks)?;
        *base.indexed.write().unwrap_or_else(PoisonError::into_inner) =
            Indexed::new(runbooks.into_iter().map(Arc::new).collect());
        Ok(base)
    }

    /// The same knowledge base fusing its rankings with `fusion` instead of [`Fusion::DEFAULT`].
    pub fn with_fusion(mut self, fusion: Fusion) -> Self {
        self.fusion = fusion;
        self
    }

    /// The fusion [`KnowledgeBase::search`] uses.
    pub fn fusion(&self) -> Fusion {
        self.fusion
    }

    // Every change replaces the whole `Indexed` value at once, so a panic elsewhere cannot leave
    // it half-updated: a poisoned lock is safe to take over.
    fn read(&self) -> RwLockReadGuard<'_, Indexed> {
        self.indexed.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Embeds `runbooks` in one batch and stores their vectors (nothing without an embedder).
    fn embed(&self, runbooks: &[Runbook]) -> Result<(), KnowledgeError> {
        let Some(embedder) = &self.embedder else {
            return Ok(());
        };
        if runbooks.is_empty() {
            return Ok(());
        }
        let texts: Vec<String> = runbooks.iter().map(embedding_text).collect();
        let text_refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = embedder.embed(&text_refs)?;
        if vectors.len() != runbooks.len() {
            return Err(KnowledgeError::EmbeddingCount {
                expected: runbooks.len(),
                returned: vectors.len(),
            });
        }
        for (runbook, vector) in runbooks.iter().zip(vectors) {
            self.vector_index.upsert(&vector_id(&runbook.id), vector)?;
        }
        Ok(())
    }

    /// Adds `runbook`, or replaces the one with its id; indexed for keywords and vectors before
    /// this returns. Returns the replaced runbook. With an embedder this embeds the runbook: call
    /// it from `spawn_blocking` in async code.
    pub fn upsert(&self, runbook: Runbook) -> Result<Option<Arc<Runbook>>, KnowledgeError> {
        let _change = self.changes.lock().unwrap_or_else(PoisonError::into_inner);
        self.embed(std::slice::from_ref(&runbook))?;
        let mut runbooks = self.read().runbooks.clone();
        let runbook = Arc::new(runbook);
        let replaced = match runbooks.iter().position(|old| old.id == runbook.id) {
            Some(position) => Some(std::mem::replace(&mut runbooks[position], runbook)),
            None => {
                runbooks.push(runbook);
                None
            }
        };
        self.replace_indexed(runbooks);
        Ok(replaced)
    }

    /// Removes the runbook with this id from both indexes; the removed runbook, or `None` when
    /// there was none.
    pub fn remove(&self, id: &str) -> Option<Arc<Runbook>> {
        let _change = self.changes.lock().unwrap_or_else(PoisonError::into_inner);
        let mut runbooks = self.read().runbooks.clone();
        let position = runbooks.iter().position(|runbook| runbook.id == id)?;
        let removed = runbooks.remove(position);
        self.vector_index.remove(&vector_id(id));
        self.replace_indexed(runbooks);
        Some(removed)
    }

    fn replace_indexed(&self, runbooks: Vec<Arc<Runbook>>) {
        // The keyword index is rebuilt outside the lock (BM25 statistics depend on every
        // document); searches keep using the old one until the swap.
        let indexed = Indexed::new(runbooks);
        *self.indexed.write().unwrap_or_else(PoisonError::into_inner) = indexed;
    }

    /// The `k` runbooks most relevant to `query`, best first.
    ///
    /// The keyword (BM25) and vector rankings, each cut to `max(k, 20)`, are fused as
    /// [`KnowledgeBase::fusion`] says; without an embedder the keyword ranking alone is used, so a
    /// query sharing no word with any runbook finds nothing. With an embedder this embeds the
    /// query: call it from `spawn_blocking` in async code.
    pub fn search(&self, query: &str, k: usize) -> Result<Vec<RunbookHit>, KnowledgeError> {
        if k == 0 || query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let mut ranked = self
            .rankings(query, k.max(MINIMUM_CANDIDATES))?
            .fuse(self.fusion);
        ranked.truncate(k);
        Ok(ranked)
    }

    /// The keyword and vector rankings of `query`, each at most `depth` long, before fusion (for
    /// evaluation and for trying other fusions). Embeds the query when there is an embedder.
    pub fn rankings(&self, query: &str, depth: usize) -> Result<Rankings, KnowledgeError> {
        if depth == 0 || query.trim().is_empty() {
            return Ok(Rankings::default());
        }
        let query_vector = match &self.embedder {
            Some(embedder) => Some(embed_query(embedder.as_ref(), query)?),
            None => None,
        };
        let indexed = self.read();
        let keyword = indexed
            .keyword_index
            .search(query)
            .into_iter()
            .take(depth)
            .map(|(position, score)| (indexed.runbooks[position].id.clone(), score))
            .collect();
        let vector = match query_vector {
            Some(query_vector) => self.vector_ranking(&indexed, &query_vector, depth),
            None => Vec::new(),
        };
        Ok(Rankings { keyword, vector })
    }

    /// Runbook ids by cosine similarity to the query, best first, at most `depth`.
    fn vector_ranking(
        &self,
        indexed: &Indexed,
        query_vector: &[f32],
        depth: usize,
    ) -> Vec<(String, f32)> {
        // The index may hold other entries too (past cases in a shared index): ask for enough
        // that `depth` runbooks are among them even if every other entry ranks first.
        let others = self
            .vector_index
            .len()
            .saturating_sub(indexed.runbooks.len());
        self.vector_index
            .search(query_vector, depth + others)
            .into_iter()
            // A runbook at or below zero similarity has nothing in common with the query; ranking
            // it would only add noise to the fusion.
            .filter(|(_, similarity)| *similarity > 0.0)
            .filter_map(|(id, similarity)| {
                let runbook_id = id.strip_prefix(VECTOR_ID_PREFIX)?;
                indexed
                    .position_of
                    .contains_key(runbook_id)
                    .then(|| (runbook_id.to_owned(), similarity))
            })
            .take(depth)
            .collect()
    }

    /// The runbook with this id.
    pub fn runbook(&self, id: &str) -> Option<Arc<Runbook>> {
        let indexed = self.read();
        indexed
            .position_of
            .get(id)
            .map(|&position| Arc::clone(&indexed.runbooks[position]))
    }

    /// Every runbook: those given to [`KnowledgeBase::new`] in their order, then those added
    /// since (a replaced runbook keeps its place).
    pub fn runbooks(&self) -> Vec<Arc<Runbook>> {
        self.read().runbooks.clone()
    }

    /// How many runbooks there are.
    pub fn len(&self) -> usize {
        self.read().runbooks.len()
    }

    /// True when there are no runbooks.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The embedder's name, or `None` when search is keyword only.
    pub fn embedder_name(&self) -> Option<&str> {
        self.embedder.as_ref().map(|embedder| embedder.name())
    }
}

/// The embedding of one query.
fn embed_query(embedder: &dyn Embedder, query: &str) -> Result<Vec<f32>, KnowledgeError> {
    let mut vectors = embedder.embed(&[query])?;
    if vectors.len() != 1 {
        return Err(KnowledgeError::EmbeddingCount {
            expected: 1,
            returned: vectors.len(),
        });
    }
    Ok(vectors.swap_remove(0))
}

fn vector_id(runbook_id: &str) -> String {
    format!("{VECTOR_ID_PREFIX}{runbook_id}")
}

/// What is embedded for a runbook: the curated front matter, not the commands of the body, which
/// would pull every runbook towards "kubectl".
fn embedding_text(runbook: &Runbook) -> String {
    format!(
        "{}. {}. {}",
        runbook.title,
        runbook.symptoms.join("; "),
        runbook.tags.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{builtin_runbooks, parse_runbook, KnowledgeErrorKind};
    use faultmaven_llm::LlmError;
    use faultmaven_store::InMemoryVectorIndex;

    const DIMENSIONS: usize = 16;

    /// Words that share a meaning map to one dimension, so tests can pose queries that share no
    /// word with a runbook yet are close to it, as a real embedder would; other words hash into
    /// the remaining dimensions.
    const CONCEPTS: &[&[&str]] = &[
        &["storage", "disk", "space", "volume"],
        &["memory", "ram", "oom", "oomkilled", "heap"],
        &["dns", "resolve", "nxdomain", "hostname"],
    ];

    #[derive(Debug)]
    struct ConceptEmbedder;

    impl Embedder for ConceptEmbedder {
        fn name(&self) -> &str {
            "concept-test-embedder"
        }

        fn dimensions(&self) -> usize {
            DIMENSIONS
        }

        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, LlmError> {
            Ok(texts.iter().map(|text| concept_vector(text)).collect())
        }
    }

    fn concept_vector(text: &str) -> Vec<f32> {
        let mut vector = vec![0.0; DIMENSIONS];
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
        {
            let word = word.to_lowercase();
            let dimension = CONCEPTS
                .iter()
                .position(|concept| concept.contains(&word.as_str()))
                .unwrap_or_else(|| {
                    let hash = word.bytes().fold(2166136261u32, |hash, byte| {
                        (hash ^ u32::from(byte)).wrapping_mul(16777619)
                    });
                    CONCEPTS.len() + hash as usize % (DIMENSIONS - CONCEPTS.len())
                });
            vector[dimension] += 1.0;
        }
        vector
    }

    /// An embedder that fails or returns the wrong number of vectors.
    #[derive(Debug)]
    struct BrokenEmbedder {
        vectors_returned: Option<usize>,
    }

    impl Embedder for BrokenEmbedder {
        fn name(&self) -> &str {
            "broken"
        }

        fn dimensions(&self) -> usize {
            DIMENSIONS
        }

        fn embed(&self, _texts: &[&str]) -> Result<Vec<Vec<f32>>, LlmError> {
            match self.vectors_returned {
                Some(count) => Ok(vec![vec![1.0; DIMENSIONS]; count]),
                None => Err(LlmError::Inference("model crashed".to_owned())),
            }
        }
    }

    /// A runbook whose embedded text is `title`, `symptom` and `tags`, and whose body adds
    /// `body_text` (seen by keywords only) before one step.
    fn runbook(id: &str, title: &str, symptom: &str, tags: &str, body_text: &str) -> Runbook {
        let text = format!(
            "---\ntitle: {title}\nsymptoms: [\"{symptom}\"]\ntags: [{tags}]\ncategory: unknown\n---\n{body_text}\n\nCheck it:\n```\ntrue\n```\n"
        );
        parse_runbook(id, &text).expect("test runbook")
    }

    /// Three runbooks whose embeddings lie on the three concept axes.
    fn small_set() -> Vec<Runbook> {
        vec![
            runbook("disk", "Disk", "space", "volume", ""),
            runbook("memory", "Memory", "OOMKilled", "heap", ""),
            runbook("dns", "DNS", "NXDOMAIN", "hostname", ""),
        ]
    }

    /// These tests check the mechanics with plain reciprocal rank fusion (k = 60, equal
    /// weights), whose scores are easy to state; `fusion.rs` tests the other fusions.
    const RRF_60: Fusion = Fusion::ReciprocalRank {
        rank_constant: RRF_K,
        keyword_weight: 1.0,
        vector_weight: 1.0,
    };

    fn hybrid(runbooks: Vec<Runbook>, index: Arc<dyn VectorIndex>) -> KnowledgeBase {
        KnowledgeBase::new(runbooks, Some(Arc::new(ConceptEmbedder)), index)
            .expect("build")
            .with_fusion(RRF_60)
    }

    fn index() -> Arc<dyn VectorIndex> {
        Arc::new(InMemoryVectorIndex::with_dimensions(DIMENSIONS))
    }

    fn ids(hits: &[RunbookHit]) -> Vec<&str> {
        hits.iter().map(|hit| hit.runbook_id.as_str()).collect()
    }

    fn assert_close(actual: f32, expected: f32) {
        assert!((actual - expected).abs() < 1e-6, "{actual} vs {expected}");
    }

    #[test]
    fn keyword_only_without_an_embedder() {
        let vectors = index();
        let base = KnowledgeBase::new(small_set(), None, Arc::clone(&vectors))
            .expect("build")
            .with_fusion(RRF_60);
        assert!(vectors.is_empty(), "no embedder, no vectors");
        assert_eq!(base.embedder_name(), None);
        let hits = base.search("pod OOMKilled again", 5).expect("search");
        assert_eq!(ids(&hits), ["memory"]);
        assert_eq!(hits[0].keyword_rank, Some(1));
        assert_eq!(hits[0].vector_rank, None);
        assert_eq!(hits[0].vector_similarity, None);
        assert!(hits[0].keyword_score.is_some_and(|score| score > 0.0));
        assert_close(hits[0].score, 1.0 / 61.0);
        // "ram" appears in no runbook: keywords alone find nothing.
        assert!(base.search("ram", 5).expect("search").is_empty());
    }

    #[test]
    fn vector_retrieval_finds_what_keywords_miss() {
        let vectors = index();
        let base = hybrid(small_set(), Arc::clone(&vectors));
        assert_eq!(vectors.len(), 3);
        assert_eq!(base.embedder_name(), Some("concept-test-embedder"));
        let hits = base.search("ram", 5).expect("search");
        assert_eq!(
            ids(&hits),
            ["memory"],
            "runbooks orthogonal to the query are left out"
        );
        assert_eq!(hits[0].keyword_rank, None);
        assert_eq!(hits[0].vector_rank, Some(1));
        assert!(hits[0]
            .vector_similarity
            .is_some_and(|similarity| similarity > 0.5));
        assert_close(hits[0].score, 1.0 / 61.0);
    }

    #[test]
    fn fused_scores_add_reciprocal_ranks_of_both_lists() {
        let base = hybrid(small_set(), index());
        // Keywords find only "disk". The vector of "disk ram" is equally close to "disk" and
        // "memory" (the tie broken by id), and orthogonal to "dns", which is left out.
        let hits = base.search("disk ram", 5).expect("search");
        assert_eq!(ids(&hits), ["disk", "memory"]);
        assert_eq!(
            (hits[0].keyword_rank, hits[0].vector_rank),
            (Some(1), Some(1))
        );
        assert_close(hits[0].score, 2.0 / 61.0);
        assert_eq!((hits[1].keyword_rank, hits[1].vector_rank), (None, Some(2)));
        assert_close(hits[1].score, 1.0 / 62.0);
        assert_close(
            hits[0].vector_similarity.expect("ranked"),
            std::f32::consts::FRAC_1_SQRT_2,
        );
    }

    #[test]
    fn agreement_of_both_lists_beats_a_single_first_place() {
        let runbooks = vec![
            // Keywords only: "volume" is in its body, which is not embedded.
            runbook(
                "body-only",
                "DNS",
                "NXDOMAIN",
                "hostname",
                "volume volume volume",
            ),
            // Second in both lists: "volume" once, as a tag; "quota" pulls its vector off axis.
            runbook("both", "Disk", "space", "volume, quota", ""),
            // Vectors only: a memory runbook sharing no word with the query.
            runbook("vector-only", "Memory", "OOMKilled", "ram", ""),
        ];
        let base = hybrid(runbooks, index());
        let hits = base.search("volume heap", 3).expect("search");
        assert_eq!(ids(&hits), ["both", "body-only", "vector-only"]);
        let ranks: Vec<(Option<usize>, Option<usize>)> = hits
            .iter()
            .map(|hit| (hit.keyword_rank, hit.vector_rank))
            .collect();
        assert_eq!(
            ranks,
            [(Some(2), Some(2)), (Some(1), None), (None, Some(1))]
        );
        assert_close(hits[0].score, 2.0 / 62.0);
        // A tie of fused scores falls back to the best single rank, then the id.
        assert_close(hits[1].score, 1.0 / 61.0);
        assert_close(hits[2].score, 1.0 / 61.0);
    }

    #[test]
    fn other_entries_of_a_shared_index_are_ignored() {
        let vectors = index();
        vectors
            .upsert("case:42", concept_vector("ram heap memory"))
            .expect("upsert");
        vectors
            .upsert("runbook:retired", concept_vector("ram heap memory"))
            .expect("upsert");
        let base = hybrid(small_set(), Arc::clone(&vectors));
        let hits = base.search("ram", 5).expect("search");
        assert_eq!(ids(&hits), ["memory"]);
        assert_eq!(
            hits[0].vector_rank,
            Some(1),
            "ranks count runbooks of this base only"
        );
    }

    #[test]
    fn k_limits_results_and_empty_queries_find_nothing() {
        let base = hybrid(small_set(), index());
        assert_eq!(base.search("disk memory dns", 2).expect("search").len(), 2);
        assert_eq!(base.search("disk memory dns", 10).expect("search").len(), 3);
        assert!(base.search("disk", 0).expect("search").is_empty());
        assert!(base.search("   ", 5).expect("search").is_empty());
        assert!(base.search("", 5).expect("search").is_empty());
    }

    #[test]
    fn lookups() {
        let base = hybrid(small_set(), index());
        assert_eq!(base.len(), 3);
        assert!(!base.is_empty());
        assert_eq!(
            base.runbook("dns").map(|runbook| runbook.title.clone()),
            Some("DNS".to_owned())
        );
        assert!(base.runbook("nope").is_none());
        assert_eq!(base.runbooks().len(), 3);
        let empty = KnowledgeBase::new(Vec::new(), None, index()).expect("build");
        assert!(empty.is_empty());
        assert!(empty.search("anything", 3).expect("search").is_empty());
    }

    #[test]
    fn construction_errors() {
        let mut twice = small_set();
        twice.push(small_set().remove(0));
        let error = KnowledgeBase::new(twice, None, index()).expect_err("duplicate");
        assert!(matches!(&error, KnowledgeError::DuplicateRunbook(id) if id == "disk"));
        assert_eq!(error.kind(), KnowledgeErrorKind::InvalidRunbook);

        let short = Arc::new(BrokenEmbedder {
            vectors_returned: Some(1),
        });
        let error = KnowledgeBase::new(small_set(), Some(short), index()).expect_err("count");
        assert!(matches!(
            error,
            KnowledgeError::EmbeddingCount {
                expected: 3,
                returned: 1
            }
        ));

        let failing = Arc::new(BrokenEmbedder {
            vectors_returned: None,
        });
        let error = KnowledgeBase::new(small_set(), Some(failing), index()).expect_err("fails");
        assert!(matches!(error, KnowledgeError::Embedding(_)));
        assert_eq!(error.kind(), KnowledgeErrorKind::Retrieval);

        let narrow: Arc<dyn VectorIndex> =
            Arc::new(InMemoryVectorIndex::with_dimensions(DIMENSIONS / 2));
        let error = KnowledgeBase::new(small_set(), Some(Arc::new(ConceptEmbedder)), narrow)
            .expect_err("dimension");
        assert!(error.to_string().contains("dimensions"), "{error}");
        assert_eq!(error.kind(), KnowledgeErrorKind::Retrieval);
    }

    #[test]
    fn a_failing_embedder_at_search_time_is_an_error() {
        let base = hybrid(small_set(), index());
        let broken = KnowledgeBase {
            embedder: Some(Arc::new(BrokenEmbedder {
                vectors_returned: Some(2),
            })),
            ..base
        };
        let error = broken
            .search("disk", 3)
            .expect_err("two vectors for one query");
        assert!(matches!(
            error,
            KnowledgeError::EmbeddingCount {
                expected: 1,
                returned: 2
            }
        ));
    }

    #[test]
    fn added_replaced_and_removed_runbooks_are_searchable_at_once() {
        let vectors = index();
        let base = hybrid(small_set(), Arc::clone(&vectors));
        assert!(base.search("kafka lag", 3).expect("search").is_empty());
        let added = runbook("kafka", "Kafka consumer lag", "lag", "kafka", "");
        assert_eq!(base.upsert(added).expect("add"), None);
        assert_eq!(base.len(), 4);
        assert_eq!(vectors.len(), 4, "embedded at once");
        let hits = base.search("kafka lag", 3).expect("search");
        assert_eq!(ids(&hits), ["kafka"]);
        assert_eq!(
            (hits[0].keyword_rank, hits[0].vector_rank),
            (Some(1), Some(1))
        );

        // Replacing keeps the id and its place, and re-indexes the new text for both lists.
        let replaced = runbook("memory", "Swap storm", "swapping", "paging", "");
        let old = base.upsert(replaced).expect("replace").expect("had one");
        assert_eq!(old.title, "Memory");
        assert_eq!(base.len(), 4);
        assert_eq!(base.runbooks()[1].title, "Swap storm");
        assert!(base.search("OOMKilled", 3).expect("search").is_empty());
        assert_eq!(ids(&base.search("paging", 3).expect("search")), ["memory"]);

        let removed = base.remove("kafka").expect("removed");
        assert_eq!(removed.id, "kafka");
        assert!(base.remove("kafka").is_none());
        assert_eq!((base.len(), vectors.len()), (3, 3));
        assert!(base.runbook("kafka").is_none());
        let after = base.search("kafka lag", 3).expect("search");
        assert!(!ids(&after).contains(&"kafka"), "{after:?}");
    }

    #[test]
    fn rankings_are_cut_to_the_depth_and_the_default_fusion_is_used() {
        let base = KnowledgeBase::new(small_set(), Some(Arc::new(ConceptEmbedder)), index())
            .expect("build");
        assert_eq!(base.fusion(), Fusion::DEFAULT);
        let rankings = base.rankings("disk ram volume", 1).expect("rankings");
        assert_eq!(rankings.keyword.len(), 1);
        assert_eq!(rankings.vector.len(), 1);
        assert_eq!(rankings.keyword[0].0, "disk");
        assert_eq!(
            base.search("disk ram volume", 3).expect("search"),
            base.rankings("disk ram volume", 20)
                .expect("rankings")
                .fuse(Fusion::DEFAULT)
        );
        assert_eq!(base.rankings("", 5).expect("empty"), Rankings::default());
    }

    /// (query, expected runbook id) pairs from a tab-separated table; `#` lines are comments.
    fn retrieval_cases(table: &str) -> Vec<(&str, &str)> {
        table
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            .map(|line| line.split_once('\t').expect("query<TAB>runbook id"))
            .collect()
    }

    #[test]
    fn keyword_retrieval_over_the_shipped_runbooks() {
        let base = KnowledgeBase::new(builtin_runbooks(), None, index()).expect("build");
        let cases = retrieval_cases(include_str!("../testdata/log-line-queries.tsv"));
        assert!(cases.len() >= 20);
        let mut first = 0;
        for (query, expected) in &cases {
            let hits = base.search(query, 3).expect("search");
            let rank = hits.iter().position(|hit| hit.runbook_id == *expected);
            assert!(
                base.runbook(expected).is_some(),
                "unknown runbook {expected}"
            );
            assert!(
                rank.is_some(),
                "{query:?}: expected {expected} in the top 3, got {:?}",
                ids(&hits)
            );
            first += usize::from(rank == Some(0));
        }
        // Printed for the record (cargo test -- --nocapture); the assertion above is the bar.
        println!(
            "keyword only: {first}/{} first, all in the top 3",
            cases.len()
        );
        assert!(first * 10 >= cases.len() * 8, "only {first} first");
    }
}
