//! Retrieval evaluation: labelled queries in, Recall@k and MRR out, for the keyword, vector and
//! fused rankings of one [`KnowledgeBase`], so the three can be compared on the same queries.

use crate::{KnowledgeBase, KnowledgeError, RunbookHit};
use std::collections::BTreeMap;

/// One labelled query: the runbook that answers it, and how it is phrased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrievalCase {
    /// What the engineer typed or pasted.
    pub query: String,
    /// Id of the runbook that answers it.
    pub expected: String,
    /// `log`, `question` or `paraphrase`: lets the report show where each ranking is weak.
    pub style: String,
}

/// Parses `query<TAB>expected id<TAB>style` lines; `#` lines and blank lines are skipped.
///
/// Returns the 1-based number of the first malformed line as the error.
pub fn parse_retrieval_cases(table: &str) -> Result<Vec<RetrievalCase>, usize> {
    let mut cases = Vec::new();
    for (index, line) in table.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t');
        match (fields.next(), fields.next(), fields.next(), fields.next()) {
            (Some(query), Some(expected), Some(style), None)
                if !query.trim().is_empty() && !expected.trim().is_empty() =>
            {
                cases.push(RetrievalCase {
                    query: query.to_owned(),
                    expected: expected.to_owned(),
                    style: style.trim().to_owned(),
                });
            }
            _ => return Err(index + 1),
        }
    }
    Ok(cases)
}

/// Which ranking of a search to score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ranking {
    /// BM25 alone.
    Keyword,
    /// Cosine similarity of embeddings alone.
    Vector,
    /// Reciprocal rank fusion of both (what the product uses).
    Hybrid,
}

impl Ranking {
    /// Lowercase name for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keyword => "keyword",
            Self::Vector => "vector",
            Self::Hybrid => "hybrid",
        }
    }
}

/// Recall@1, Recall@5 and mean reciprocal rank over a set of queries.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RetrievalScores {
    /// How many queries were scored.
    pub queries: usize,
    /// Share of queries whose runbook is ranked first.
    pub recall_at_1: f64,
    /// Share of queries whose runbook is in the top five.
    pub recall_at_5: f64,
    /// Mean of 1 / rank (0 when the runbook is not ranked at all).
    pub mean_reciprocal_rank: f64,
}

/// Accumulates ranks into [`RetrievalScores`].
#[derive(Debug, Default, Clone, Copy)]
struct RankTally {
    queries: usize,
    first: usize,
    top_five: usize,
    reciprocal_sum: f64,
}

impl RankTally {
    fn add(&mut self, rank: Option<usize>) {
        self.queries += 1;
        if let Some(rank) = rank {
            self.first += usize::from(rank == 1);
            self.top_five += usize::from(rank <= 5);
            self.reciprocal_sum += 1.0 / rank as f64;
        }
    }

    fn scores(self) -> RetrievalScores {
        let queries = self.queries.max(1) as f64;
        RetrievalScores {
            queries: self.queries,
            recall_at_1: self.first as f64 / queries,
            recall_at_5: self.top_five as f64 / queries,
            mean_reciprocal_rank: self.reciprocal_sum / queries,
        }
    }
}

/// The scores of every ranking, overall (style `all`) and per query style.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RetrievalReport {
    /// (style, ranking) -> scores; style `all` covers every query.
    pub scores: BTreeMap<(String, Ranking), RetrievalScores>,
    /// Queries whose runbook the hybrid ranking did not place in the top five, with what it
    /// placed first.
    pub hybrid_misses: Vec<(RetrievalCase, Option<String>)>,
}

impl RetrievalReport {
    /// Scores of `ranking` over every query.
    pub fn overall(&self, ranking: Ranking) -> RetrievalScores {
        self.scores
            .get(&("all".to_owned(), ranking))
            .copied()
            .unwrap_or_default()
    }
}

/// 1-based rank of `expected` when the hits are ordered by `rank_of` (hits without a rank in
/// that list are not ranked).
fn rank_in(
    hits: &[RunbookHit],
    expected: &str,
    rank_of: impl Fn(&RunbookHit) -> Option<usize>,
) -> Option<usize> {
    hits.iter()
        .find(|hit| hit.runbook_id == expected)
        .and_then(rank_of)
}

/// Runs every case through `base` once (asking for every runbook, so both single lists are
/// complete) and scores the keyword, vector and hybrid rankings of the same search.
pub fn evaluate_retrieval(
    base: &KnowledgeBase,
    cases: &[RetrievalCase],
) -> Result<RetrievalReport, KnowledgeError> {
    let mut tallies: BTreeMap<(String, Ranking), RankTally> = BTreeMap::new();
    let mut report = RetrievalReport::default();
    for case in cases {
        // Asking for every runbook makes both single lists complete, but also deepens the fused
        // candidate lists; the hybrid ranking is therefore scored from a search of the product's
        // own depth (`MINIMUM_CANDIDATES`), whose order is exactly what the engine sees.
        let hits = base.search(&case.query, base.len())?;
        let product_hits = base.search(&case.query, crate::knowledge_base::MINIMUM_CANDIDATES)?;
        let hybrid_rank = product_hits
            .iter()
            .position(|hit| hit.runbook_id == case.expected)
            .map(|index| index + 1);
        let ranks = [
            (
                Ranking::Keyword,
                rank_in(&hits, &case.expected, |hit| hit.keyword_rank),
            ),
            (
                Ranking::Vector,
                rank_in(&hits, &case.expected, |hit| hit.vector_rank),
            ),
            (Ranking::Hybrid, hybrid_rank),
        ];
        for (ranking, rank) in ranks {
            for style in ["all", case.style.as_str()] {
                tallies
                    .entry((style.to_owned(), ranking))
                    .or_default()
                    .add(rank);
            }
        }
        if hybrid_rank.is_none_or(|rank| rank > 5) {
            report
                .hybrid_misses
                .push((case.clone(), hits.first().map(|hit| hit.runbook_id.clone())));
        }
    }
    report.scores = tallies
        .into_iter()
        .map(|(key, tally)| (key, tally.scores()))
        .collect();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cases_and_reports_the_bad_line() {
        let table = "# comment\nq one\trb-a\tlog\n\nq two\trb-b\tparaphrase\n";
        let cases = parse_retrieval_cases(table).expect("parse");
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[1].expected, "rb-b");
        assert_eq!(parse_retrieval_cases("q\trb\n"), Err(1));
        assert_eq!(parse_retrieval_cases("# c\nq\trb\tlog\textra\n"), Err(2));
    }

    #[test]
    fn tally_computes_recall_and_mrr() {
        let mut tally = RankTally::default();
        for rank in [Some(1), Some(2), Some(6), None] {
            tally.add(rank);
        }
        let scores = tally.scores();
        assert_eq!(scores.queries, 4);
        assert!((scores.recall_at_1 - 0.25).abs() < 1e-12);
        assert!((scores.recall_at_5 - 0.5).abs() < 1e-12);
        let mrr = (1.0 + 0.5 + 1.0 / 6.0) / 4.0;
        assert!((scores.mean_reciprocal_rank - mrr).abs() < 1e-12);
    }

    #[test]
    fn keyword_only_base_scores_the_shipped_table() {
        let base = KnowledgeBase::new(
            crate::builtin_runbooks(),
            None,
            std::sync::Arc::new(faultmaven_store::InMemoryVectorIndex::new()),
        )
        .expect("keyword base");
        let cases = parse_retrieval_cases(include_str!("../eval/retrieval-queries.tsv"))
            .expect("the shipped table parses");
        assert!(cases.len() >= 150, "{} cases", cases.len());
        for case in &cases {
            assert!(base.runbook(&case.expected).is_some(), "{case:?}");
        }
        let report = evaluate_retrieval(&base, &cases).expect("evaluate");
        // Without an embedder the vector ranking ranks nothing.
        assert_eq!(report.overall(Ranking::Vector).recall_at_5, 0.0);
        let keyword = report.overall(Ranking::Keyword);
        assert_eq!(keyword, report.overall(Ranking::Hybrid));
        assert_eq!(keyword.queries, cases.len());
        // Log lines share words with runbook symptoms; BM25 must do well on them. The floor is
        // below the measured figure (see the retrieval eval) so only a real regression fails.
        let logs = report.scores[&("log".to_owned(), Ranking::Keyword)];
        assert!(logs.recall_at_5 >= 0.85, "{logs:?}");
    }
}
