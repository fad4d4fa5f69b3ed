//! Notices on the wire: what limited an analysis, for the engineer to read beside the findings.

use faultmaven_model as model;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A limit of the analysis (a budget spent, data left out), in words: not a fact about the
/// system, so no hypothesis cites it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Notice {
    /// `log_mining_overflow`: log lines mined after the template miner's budgets were spent.
    #[schema(example = "log_mining_overflow")]
    pub kind: String,
    /// One line with the figure, e.g. "1,204 of 80,000 log lines were not mined into templates
    /// of their own: the template miner's budgets were spent".
    pub title: String,
    /// Why, what it means for the findings, and what to do about it.
    pub detail: String,
    /// How many records (lines, samples, spans) it concerns.
    pub count: u64,
}

impl From<&model::AnalysisNotice> for Notice {
    fn from(notice: &model::AnalysisNotice) -> Self {
        Self {
            kind: super::snake(&notice.kind),
            title: notice.title.clone(),
            detail: notice.detail.clone(),
            count: notice.count,
        }
    }
}
