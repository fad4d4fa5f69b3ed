//! Follow-up questions: when the leading hypotheses are too close to call, the engine asks the
//! engineer about an event that one of them predicts and the other does not ("Was there a
//! deploy of checkout at 14:02?"); the answer moves them apart.

use crate::{FindingId, HypothesisId, QuestionId, Timestamp};
use serde::{Deserialize, Serialize};

/// What a follow-up question asks about. With the entity it names, the topic identifies the
/// question across re-generation, so a question answered once is never asked again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionTopic {
    /// A deploy or a new version of the entity.
    Deploy,
    /// A configuration change of the entity.
    ConfigChange,
    /// Memory, connections or another resource of the entity reached its limit.
    ResourceLimit,
    /// A disk or volume of the entity filled up.
    DiskFull,
    /// The entity was down, unreachable or restarting.
    DependencyDown,
    /// Network trouble (loss, DNS, latency) around the entity.
    NetworkFault,
    /// More traffic or CPU use than usual at the entity.
    LoadIncrease,
    /// A certificate, credential or permission of the entity expired or changed.
    CredentialChange,
}

impl QuestionTopic {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deploy => "deploy",
            Self::ConfigChange => "config_change",
            Self::ResourceLimit => "resource_limit",
            Self::DiskFull => "disk_full",
            Self::DependencyDown => "dependency_down",
            Self::NetworkFault => "network_fault",
            Self::LoadIncrease => "load_increase",
            Self::CredentialChange => "credential_change",
        }
    }
}

/// The engineer's answer to a follow-up question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerValue {
    /// The event happened.
    Yes,
    /// It did not.
    No,
    /// The engineer cannot tell; recorded so the question is not asked again, moves nothing.
    Unknown,
}

/// An answer as received (comment already redacted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionAnswer {
    /// Yes, no or unknown.
    pub value: AnswerValue,
    /// Free text, redacted.
    pub comment: Option<String>,
    /// When it was received.
    pub at: Timestamp,
}

/// A question whose yes/no answer separates hypotheses that are close.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUpQuestion {
    /// `Q1`, `Q2`, ... unique within the session.
    pub id: QuestionId,
    /// The question as the engineer reads it.
    pub text: String,
    /// What it asks about.
    pub topic: QuestionTopic,
    /// The entity it names, when it names one.
    pub entity: Option<String>,
    /// Hypotheses a "yes" makes more likely (a "no" makes them less likely).
    pub supports_if_yes: Vec<HypothesisId>,
    /// Hypotheses a "yes" makes less likely: the close rivals of those it supports.
    pub weakens_if_yes: Vec<HypothesisId>,
    /// The findings the question is about (the onset it names comes from them).
    pub finding_ids: Vec<FindingId>,
    /// Why it is asked: which hypotheses are close and how close.
    pub reason: String,
    /// The answer, once given; an answered question is kept and never asked again.
    pub answer: Option<QuestionAnswer>,
}

impl FollowUpQuestion {
    /// True when the question asks about `topic` for `entity` (how a question is recognised
    /// when the questions are generated again).
    pub fn asks_same_as(&self, topic: QuestionTopic, entity: Option<&str>) -> bool {
        self.topic == topic && self.entity.as_deref() == entity
    }
}
