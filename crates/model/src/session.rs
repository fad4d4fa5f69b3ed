//! What a session keeps between requests: derived results and feedback, never raw uploads.

use crate::{
    AnalysisNotice, AttachmentSummary, Finding, FollowUpQuestion, Hypothesis, HypothesisId, Intent,
    RequestKind, SessionId, SessionPlots, TemplateSummary, Timestamp, Verdict,
};
use serde::{Deserialize, Serialize};

/// One piece of feedback, as received (comment already redacted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackEvent {
    /// The hypothesis it is about.
    pub hypothesis_id: HypothesisId,
    /// What the engineer said.
    pub verdict: Verdict,
    /// Free text, redacted.
    pub comment: Option<String>,
    /// When it was received.
    pub at: Timestamp,
}

/// The persisted state of a troubleshooting session.
///
/// Architecture invariant: it holds derived data only (findings cite line numbers and carry
/// short redacted excerpts); raw uploads are never part of it, so it can be written to disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    /// The session.
    pub id: SessionId,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
    /// After this instant the session and everything in it is deleted.
    pub expires_at: Timestamp,
    /// Questions asked so far, redacted, oldest first.
    pub queries: Vec<String>,
    /// Kind of the latest request.
    pub request_kind: RequestKind,
    /// Intent of the latest request.
    pub intent: Intent,
    /// Every attachment received in the session.
    pub attachments: Vec<AttachmentSummary>,
    /// Every finding; ids are unique within the session.
    pub findings: Vec<Finding>,
    /// Log templates of the latest analysis.
    pub templates: Vec<TemplateSummary>,
    /// Hypotheses, ranked, highest confidence first.
    pub hypotheses: Vec<Hypothesis>,
    /// The latest answer (markdown).
    pub answer: String,
    /// Feedback received, oldest first.
    pub feedback: Vec<FeedbackEvent>,
    /// Follow-up questions: the open ones (asked because the leading hypotheses are close)
    /// and every answered one, which is never asked again. Absent in sessions stored before
    /// questions existed.
    #[serde(default)]
    pub follow_up_questions: Vec<FollowUpQuestion>,
    /// Plots of the latest request that carried data (a question alone keeps them). Absent in
    /// sessions stored before plots were kept.
    #[serde(default)]
    pub plots: SessionPlots,
    /// What limited the analysis of the latest request that carried data. Absent in sessions
    /// stored before notices existed.
    #[serde(default)]
    pub notices: Vec<AnalysisNotice>,
}
