//! Past cases: what a resolved session taught, kept after the session (and its data) expires.
//!
//! A case holds only derived, redacted text: the symptoms (finding titles), the confirmed root
//! cause and what fixed it. Never raw uploads, never excerpts of them.

use crate::{HypothesisCategory, SessionId, Suspect, Timestamp};
use serde::{Deserialize, Serialize};

/// A resolved incident, written when an engineer says a hypothesis "worked".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastCase {
    /// `case-<session id>-<hypothesis number>`: one case per confirmed hypothesis of a session,
    /// so repeated "worked" feedback replaces rather than duplicates it.
    pub id: String,
    /// When it was recorded.
    pub created_at: Timestamp,
    /// The session it came from (the session itself expires; the case does not).
    pub session_id: SessionId,
    /// The confirmed cause, one line (the hypothesis title).
    pub root_cause: String,
    /// Family of cause.
    pub category: HypothesisCategory,
    /// Entities that were to blame.
    pub suspects: Vec<Suspect>,
    /// What was observed: titles of the findings the hypothesis cited (redacted).
    pub symptoms: Vec<String>,
    /// What fixed it: the engineer's comment (redacted) and the next steps that were proposed.
    pub resolution: Vec<String>,
    /// The runbook that matched, if any.
    pub runbook: Option<String>,
}

impl PastCase {
    /// The case's text for keyword and vector retrieval: cause, symptoms and resolution.
    pub fn search_text(&self) -> String {
        let mut text = self.root_cause.clone();
        for line in self.symptoms.iter().chain(&self.resolution) {
            text.push('\n');
            text.push_str(line);
        }
        text
    }
}
