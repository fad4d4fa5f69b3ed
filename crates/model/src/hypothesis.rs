//! Hypotheses: candidate explanations ranked by the engine, with next steps to check them.

use crate::FindingId;
use crate::HypothesisId;
use serde::{Deserialize, Serialize};

/// The kind of entity a suspect is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspectKind {
    /// A service or application.
    Service,
    /// A host or node.
    Host,
    /// A Kubernetes pod.
    Pod,
    /// A container.
    Container,
    /// A software component, logger or module inside a process.
    Component,
    /// A metric series.
    Metric,
    /// An HTTP endpoint or RPC operation.
    Endpoint,
    /// A database, cache, queue or other dependency.
    Dependency,
    /// A configuration key.
    ConfigKey,
    /// A user or service account a request ran as (`system:serviceaccount:ci:deployer`).
    Account,
}

/// An entity a finding or hypothesis points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Suspect {
    /// What kind of entity.
    pub kind: SuspectKind,
    /// Its name as it appears in the data.
    pub name: String,
}

/// A concrete action to confirm or rule out a hypothesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStep {
    /// What to do and what to look for in the result.
    pub description: String,
    /// A command to run, when there is one (`kubectl describe pod ...`).
    pub command: Option<String>,
}

/// The family of root cause a hypothesis proposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HypothesisCategory {
    /// Memory, file descriptors, connections, threads or disk ran out.
    ResourceExhaustion,
    /// A dependency (database, cache, downstream service) failed or was unreachable.
    DependencyFailure,
    /// Network: DNS, timeouts, refused or reset connections, latency.
    Network,
    /// A wrong or changed configuration.
    Configuration,
    /// A code defect: exceptions, null dereferences, panics.
    CodeDefect,
    /// Load or saturation: CPU, latency, queueing.
    Performance,
    /// Authentication, authorization, certificates.
    Security,
    /// Storage: disk full, I/O errors, corruption.
    Storage,
    /// Not clear from the data.
    Unknown,
}

/// What feedback said about a hypothesis so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HypothesisStatus {
    /// No decisive feedback yet.
    #[default]
    Open,
    /// The engineer said the fix worked.
    Confirmed,
    /// The engineer ruled it out.
    RuledOut,
}

/// Feedback on one hypothesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Acting on it fixed the problem: the root cause.
    Worked,
    /// Checked and it is not the cause.
    RuledOut,
    /// Useful, keep it up.
    Helpful,
    /// Not useful, move it down.
    NotHelpful,
}

/// A candidate explanation of the problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hypothesis {
    /// `H1`, `H2`, ... stable within a session across re-ranking.
    pub id: HypothesisId,
    /// One line: the proposed cause.
    pub title: String,
    /// Family of cause.
    pub category: HypothesisCategory,
    /// In [0, 1]; hypotheses are returned sorted by it, highest first.
    pub confidence: f64,
    /// Why: which findings support it and how.
    pub rationale: String,
    /// Findings that support it; each exists in the same session.
    pub finding_ids: Vec<FindingId>,
    /// Entities it blames.
    pub suspects: Vec<Suspect>,
    /// Actions to confirm or rule it out.
    pub next_steps: Vec<NextStep>,
    /// Runbook the next steps came from, when one matched.
    pub runbook: Option<String>,
    /// What feedback said.
    pub status: HypothesisStatus,
}
