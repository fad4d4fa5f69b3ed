//! Runbooks and their retrieval: a keyword (BM25) index and, with an embedder, a vector index,
//! fused into one ranking ([`Fusion`]).
//!
//! Architecture invariant: this crate knows no model format and no storage backend; it sees the
//! [`faultmaven_llm::Embedder`] and [`faultmaven_store::VectorIndex`] traits only.

mod bm25;
mod builtin;
mod cases;
mod error;
mod eval;
mod fusion;
mod knowledge_base;
mod runbook;

pub use builtin::{builtin_runbooks, load_runbooks_from_dir};
pub use cases::{CaseHit, CaseLibrary};
pub use error::{KnowledgeError, KnowledgeErrorKind};
pub use eval::{
    choose_fusion, evaluate_retrieval, parse_retrieval_cases, rank_cases, score_rankings, Group,
    RankedCase, Ranking, RetrievalCase, RetrievalReport, RetrievalScores, Split,
};
pub use fusion::{Fusion, Normalisation, Rankings};
pub use knowledge_base::{KnowledgeBase, RunbookHit, MINIMUM_CANDIDATES, RRF_K};
pub use runbook::{parse_category, parse_runbook, Runbook};
