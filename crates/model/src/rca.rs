//! Root-cause ranking output: events of every signal on one timeline, and the ranked
//! suspect entities with the mechanism that explains them and the evidence across signals.

use crate::{Evidence, FindingId, HypothesisCategory, Suspect, Timestamp};
use serde::{Deserialize, Serialize};

/// How a suspect entity is thought to cause the incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    /// Delay between a caller's client span and the callee's server span: the network.
    NetworkLatency,
    /// The entity's own work got slower and its CPU usage rose.
    CpuSaturation,
    /// Memory grows (a leak) or runs out.
    Memory,
    /// The entity's own spans or logs fail: error returns, exceptions.
    Errors,
    /// A configuration change or a wrong configuration value.
    Configuration,
    /// A dependency (database, cache, external service) stopped answering.
    DependencyOutage,
    /// The entity's own work got slower for a reason the data does not tell.
    Latency,
}

impl Mechanism {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NetworkLatency => "network_latency",
            Self::CpuSaturation => "cpu_saturation",
            Self::Memory => "memory",
            Self::Errors => "errors",
            Self::Configuration => "configuration",
            Self::DependencyOutage => "dependency_outage",
            Self::Latency => "latency",
        }
    }

    /// Words a person reads in a title.
    pub fn describe(self) -> &'static str {
        match self {
            Self::NetworkLatency => "network latency",
            Self::CpuSaturation => "CPU saturation",
            Self::Memory => "memory growth (leak)",
            Self::Errors => "errors and exceptions",
            Self::Configuration => "a configuration change",
            Self::DependencyOutage => "a dependency outage",
            Self::Latency => "slow processing",
        }
    }

    /// The hypothesis family the mechanism belongs to.
    pub fn category(self) -> HypothesisCategory {
        match self {
            Self::NetworkLatency => HypothesisCategory::Network,
            Self::CpuSaturation | Self::Latency => HypothesisCategory::Performance,
            Self::Memory => HypothesisCategory::ResourceExhaustion,
            Self::Errors => HypothesisCategory::CodeDefect,
            Self::Configuration => HypothesisCategory::Configuration,
            Self::DependencyOutage => HypothesisCategory::DependencyFailure,
        }
    }
}

impl std::fmt::Display for Mechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which kind of data an event or a piece of evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Log records: bursts, new or error templates, exceptions.
    Log,
    /// Metric series: anomalies, shifts, trends.
    Metric,
    /// Trace spans: latency, errors, gaps between caller and callee.
    Trace,
    /// Configuration documents or configuration changes.
    Config,
}

/// One event on the incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// When it started.
    pub at: Timestamp,
    /// Where it comes from.
    pub signal: Signal,
    /// The entity it is about, when known.
    pub entity: Option<Suspect>,
    /// One line a human reads.
    pub description: String,
    /// Strength in [0, 1].
    pub strength: f64,
    /// The finding it comes from, when it comes from one.
    pub finding_id: Option<FindingId>,
}

/// One piece of evidence for a root-cause suspect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCauseEvidence {
    /// Which kind of data it comes from.
    pub signal: Signal,
    /// What it shows, with figures.
    pub description: String,
    /// The finding that states it, when one does.
    pub finding_id: Option<FindingId>,
    /// A pointer into the data (a span, a metric point, log lines), when there is one.
    pub evidence: Option<Evidence>,
}

/// A ranked suspect: the entity that most likely started the incident, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCause {
    /// 1 for the most likely cause.
    pub rank: u32,
    /// The suspect entity (usually a service; a dependency such as a database when it is one).
    pub entity: Suspect,
    /// Other names of the same entity in the data: pods, hosts, endpoints.
    pub related: Vec<Suspect>,
    /// How it causes the incident.
    pub mechanism: Mechanism,
    /// Score in [0, 1]; suspects are sorted by it.
    pub score: f64,
    /// When its first anomaly started, when the data is timed.
    pub onset: Option<Timestamp>,
    /// One sentence: mechanism and the strongest evidence.
    pub summary: String,
    /// Evidence across signals, strongest first.
    pub evidence: Vec<RootCauseEvidence>,
}
