//! Notices: what limited an analysis (a budget spent, data left out), in words, so the engineer
//! knows how far the findings reach. They are about the analysis, not the system under
//! investigation: no hypothesis is built from or cites a notice.

use serde::{Deserialize, Serialize};

/// What kind of limit a notice reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// Log messages mined after the template miner's budgets were spent: they joined the
    /// closest template or a catch-all one, so their templates are coarser.
    LogMiningOverflow,
}

/// One limit of an analysis, with how much data it concerns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisNotice {
    /// What kind of limit.
    pub kind: NoticeKind,
    /// One line a human reads, with the figure ("1,204 of 80,000 log lines …").
    pub title: String,
    /// Why it happened, what it means for the findings, and what to do about it.
    pub detail: String,
    /// How many records (lines, samples, spans) it concerns.
    pub count: u64,
}
