//! Retrieval evaluation: labelled queries in, Recall@k and MRR out, for the keyword, vector and
//! fused rankings of one [`KnowledgeBase`], so the three can be compared on the same queries.
//!
//! The queries are split in two halves, stratified by style: the fusion is chosen on the
//! development half only ([`choose_fusion`]) and reported on the held-out half, so the hybrid
//! figure is not tuned to the queries it is measured on.

use crate::fusion::{Fusion, Rankings};
use crate::knowledge_base::MINIMUM_CANDIDATES;
use crate::{KnowledgeBase, KnowledgeError};
use std::collections::BTreeMap;

/// Which half of the labelled queries a case belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Split {
    /// Used to choose the fusion.
    Development,
    /// Never used to choose anything; the figures reported as the result.
    HeldOut,
}

impl Split {
    /// Lowercase name for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "dev",
            Self::HeldOut => "held-out",
        }
    }
}

/// One labelled query: the runbook that answers it, and how it is phrased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrievalCase {
    /// What the engineer typed or pasted.
    pub query: String,
    /// Id of the runbook that answers it.
    pub expected: String,
    /// `log`, `question` or `paraphrase`: lets the report show where each ranking is weak.
    pub style: String,
    /// The half it belongs to (see [`parse_retrieval_cases`]).
    pub split: Split,
}

/// Parses `query<TAB>expected id<TAB>style` lines; `#` lines and blank lines are skipped.
///
/// Each case is put in a half by a hash of its query, stratified by style: within one style the
/// cases are ordered by the FNV-1a hash of the query text and alternately assigned to the
/// development and the held-out half. So the split depends only on the table's content (not on
/// line order), each style is halved evenly, and a query added later lands in a half without
/// anyone choosing which.
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
                    split: Split::Development,
                });
            }
            _ => return Err(index + 1),
        }
    }
    assign_splits(&mut cases);
    Ok(cases)
}

/// The stratified hash split described at [`parse_retrieval_cases`].
fn assign_splits(cases: &mut [RetrievalCase]) {
    let mut by_style: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
    for (position, case) in cases.iter().enumerate() {
        by_style
            .entry(case.style.as_str())
            .or_default()
            .push((fnv1a(case.query.as_bytes()), position));
    }
    let mut halves = Vec::with_capacity(cases.len());
    for mut members in by_style.into_values() {
        members.sort_unstable();
        for (order, (_, position)) in members.into_iter().enumerate() {
            let split = if order % 2 == 0 {
                Split::Development
            } else {
                Split::HeldOut
            };
            halves.push((position, split));
        }
    }
    for (position, split) in halves {
        cases[position].split = split;
    }
}

/// 64-bit FNV-1a: stable across platforms and releases, unlike the standard library's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Which ranking of a search to score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ranking {
    /// BM25 alone.
    Keyword,
    /// Cosine similarity of embeddings alone.
    Vector,
    /// The fusion of both (what the product uses).
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

/// The scores of every ranking by group of queries: `all`, each half (`dev`, `held-out`) and
/// each style.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RetrievalReport {
    /// The fusion the hybrid ranking used.
    pub fusion: Option<Fusion>,
    /// (group, ranking) -> scores; group `all` covers every query.
    pub scores: BTreeMap<(String, Ranking), RetrievalScores>,
    /// Queries whose runbook the hybrid ranking did not place in the top five, with what it
    /// placed first.
    pub hybrid_misses: Vec<(RetrievalCase, Option<String>)>,
}

impl RetrievalReport {
    /// Scores of `ranking` over every query.
    pub fn overall(&self, ranking: Ranking) -> RetrievalScores {
        self.group(Group::All, ranking)
    }

    /// Scores of `ranking` over one group of queries (zero queries when there are none).
    pub fn group(&self, group: Group<'_>, ranking: Ranking) -> RetrievalScores {
        self.scores
            .get(&(group.name().to_owned(), ranking))
            .copied()
            .unwrap_or_default()
    }
}

/// A group of queries in a [`RetrievalReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group<'a> {
    /// Every query.
    All,
    /// One half.
    Split(Split),
    /// One style (`log`, `question`, `paraphrase`).
    Style(&'a str),
}

impl Group<'_> {
    fn name(&self) -> &str {
        match self {
            Group::All => "all",
            Group::Split(split) => split.as_str(),
            Group::Style(style) => style,
        }
    }
}

/// A labelled query with its full keyword and vector rankings, computed once so that many
/// fusions can be scored without embedding the query again.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedCase {
    /// The labelled query.
    pub case: RetrievalCase,
    /// Both rankings over every runbook.
    pub rankings: Rankings,
}

/// Ranks every case's query against every runbook of `base` (embedding each query once).
pub fn rank_cases(
    base: &KnowledgeBase,
    cases: &[RetrievalCase],
) -> Result<Vec<RankedCase>, KnowledgeError> {
    cases
        .iter()
        .map(|case| {
            Ok(RankedCase {
                case: case.clone(),
                rankings: base.rankings(&case.query, base.len())?,
            })
        })
        .collect()
}

/// 1-based rank of `expected` in `list`.
fn rank_in(list: &[(String, f32)], expected: &str) -> Option<usize> {
    list.iter()
        .position(|(id, _)| id == expected)
        .map(|index| index + 1)
}

/// Scores the keyword, vector and hybrid rankings of `ranked`, the hybrid one fused with
/// `fusion` from lists cut to the product's depth, exactly as [`KnowledgeBase::search`] does.
pub fn score_rankings(ranked: &[RankedCase], fusion: Fusion) -> RetrievalReport {
    let mut tallies: BTreeMap<(String, Ranking), RankTally> = BTreeMap::new();
    let mut report = RetrievalReport {
        fusion: Some(fusion),
        ..RetrievalReport::default()
    };
    for RankedCase { case, rankings } in ranked {
        let hybrid = rankings.truncated(MINIMUM_CANDIDATES).fuse(fusion);
        let hybrid_rank = hybrid
            .iter()
            .position(|hit| hit.runbook_id == case.expected)
            .map(|index| index + 1);
        let ranks = [
            (Ranking::Keyword, rank_in(&rankings.keyword, &case.expected)),
            (Ranking::Vector, rank_in(&rankings.vector, &case.expected)),
            (Ranking::Hybrid, hybrid_rank),
        ];
        for (ranking, rank) in ranks {
            for group in ["all", case.split.as_str(), case.style.as_str()] {
                tallies
                    .entry((group.to_owned(), ranking))
                    .or_default()
                    .add(rank);
            }
        }
        if hybrid_rank.is_none_or(|rank| rank > 5) {
            report.hybrid_misses.push((
                case.clone(),
                hybrid.first().map(|hit| hit.runbook_id.clone()),
            ));
        }
    }
    report.scores = tallies
        .into_iter()
        .map(|(key, tally)| (key, tally.scores()))
        .collect();
    report
}

/// The fusion of `candidates` with the best hybrid mean reciprocal rank on the development half
/// (then the best Recall@1, then the earliest in the list), with its development scores. Only
/// development cases are looked at. `None` when there are no candidates.
pub fn choose_fusion(
    ranked: &[RankedCase],
    candidates: &[Fusion],
) -> Option<(Fusion, RetrievalScores)> {
    let development: Vec<RankedCase> = ranked
        .iter()
        .filter(|ranked| ranked.case.split == Split::Development)
        .cloned()
        .collect();
    let mut best: Option<(Fusion, RetrievalScores)> = None;
    for &fusion in candidates {
        let scores = score_rankings(&development, fusion).overall(Ranking::Hybrid);
        let better = best.is_none_or(|(_, best_scores)| {
            (scores.mean_reciprocal_rank, scores.recall_at_1)
                > (best_scores.mean_reciprocal_rank, best_scores.recall_at_1)
        });
        if better {
            best = Some((fusion, scores));
        }
    }
    best
}

/// Runs every case through `base` once and scores the keyword, vector and hybrid rankings (the
/// hybrid one with the base's own fusion).
pub fn evaluate_retrieval(
    base: &KnowledgeBase,
    cases: &[RetrievalCase],
) -> Result<RetrievalReport, KnowledgeError> {
    Ok(score_rankings(&rank_cases(base, cases)?, base.fusion()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_halves_each_style_and_depends_only_on_the_queries() {
        let mut table = String::new();
        for number in 0..10 {
            table.push_str(&format!("log line {number}\trb\tlog\n"));
        }
        for number in 0..7 {
            table.push_str(&format!("in my words {number}\trb\tparaphrase\n"));
        }
        let cases = parse_retrieval_cases(&table).expect("parse");
        let count = |style: &str, split: Split| {
            cases
                .iter()
                .filter(|case| case.style == style && case.split == split)
                .count()
        };
        assert_eq!(count("log", Split::Development), 5);
        assert_eq!(count("log", Split::HeldOut), 5);
        assert_eq!(count("paraphrase", Split::Development), 4);
        assert_eq!(count("paraphrase", Split::HeldOut), 3);
        // Reordering the lines does not move any query to the other half.
        let mut reversed_lines: Vec<&str> = table.lines().collect();
        reversed_lines.reverse();
        let reversed = parse_retrieval_cases(&reversed_lines.join("\n")).expect("parse");
        for case in &cases {
            let same = reversed.iter().find(|other| other.query == case.query);
            assert_eq!(same.map(|other| other.split), Some(case.split), "{case:?}");
        }
    }

    #[test]
    fn fusion_is_chosen_on_the_development_half_only() {
        let case = |query: &str, split: Split| RetrievalCase {
            query: query.to_owned(),
            expected: "right".to_owned(),
            style: "log".to_owned(),
            split,
        };
        let list = |ids: &[&str]| -> Vec<(String, f32)> {
            ids.iter()
                .zip([0.9, 0.8])
                .map(|(id, score)| ((*id).to_owned(), score))
                .collect()
        };
        // Keywords are right on the development case, vectors on the held-out one.
        let ranked = vec![
            RankedCase {
                case: case("dev", Split::Development),
                rankings: Rankings {
                    keyword: list(&["right", "wrong"]),
                    vector: list(&["wrong", "right"]),
                },
            },
            RankedCase {
                case: case("held", Split::HeldOut),
                rankings: Rankings {
                    keyword: list(&["wrong", "right"]),
                    vector: list(&["right", "wrong"]),
                },
            },
        ];
        let keyword_only = Fusion::Convex {
            vector_weight: 0.0,
            normalisation: crate::Normalisation::Best,
        };
        let vector_only = Fusion::Convex {
            vector_weight: 1.0,
            normalisation: crate::Normalisation::Best,
        };
        let (chosen, development) =
            choose_fusion(&ranked, &[vector_only, keyword_only]).expect("chosen");
        assert_eq!(chosen, keyword_only);
        assert_eq!(development.queries, 1);
        assert_eq!(development.recall_at_1, 1.0);
        let report = score_rankings(&ranked, chosen);
        let held_out = report.group(Group::Split(Split::HeldOut), Ranking::Hybrid);
        assert_eq!((held_out.queries, held_out.recall_at_1), (1, 0.0));
        assert_eq!(report.hybrid_misses.len(), 0, "rank 2 is in the top five");
        assert!(choose_fusion(&ranked, &[]).is_none());
    }

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
