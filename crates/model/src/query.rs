//! How the query handler classifies a request.

use serde::{Deserialize, Serialize};

/// What the request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A question and no data.
    QueryOnly,
    /// Data and no question.
    DataOnly,
    /// A question with data.
    Combined,
}

/// What the engineer wants, as classified from the question (and the data when there is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Something fails or errors: find the cause.
    DiagnoseError,
    /// Slowness, latency, throughput, resource saturation.
    Performance,
    /// Is this configuration right; what changed.
    ConfigReview,
    /// Summarise or explain the attached data.
    ExplainData,
    /// How do I do X (procedural question).
    HowTo,
    /// Service is down or unreachable, availability.
    Outage,
    /// Security-relevant events: auth failures, suspicious access.
    Security,
}

impl Intent {
    /// Every intent, for tables and tests.
    pub const ALL: [Intent; 7] = [
        Self::DiagnoseError,
        Self::Performance,
        Self::ConfigReview,
        Self::ExplainData,
        Self::HowTo,
        Self::Outage,
        Self::Security,
    ];

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DiagnoseError => "diagnose_error",
            Self::Performance => "performance",
            Self::ConfigReview => "config_review",
            Self::ExplainData => "explain_data",
            Self::HowTo => "how_to",
            Self::Outage => "outage",
            Self::Security => "security",
        }
    }
}
