//! Progress of one request, stage by stage, for clients that watch it happen (the server
//! streams these as server-sent events).

use faultmaven_model::AttachmentSummary;

/// One step of a request in progress, in the order they happen.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The uploads were parsed (and redacted).
    Parsed {
        /// What each upload turned out to be.
        attachments: Vec<AttachmentSummary>,
    },
    /// Analysis is done: findings and templates exist.
    Analysed {
        /// Findings in this request.
        findings: usize,
        /// Log templates mined in this request.
        templates: usize,
    },
    /// Runbooks were retrieved.
    Retrieved {
        /// Titles of the retrieved runbooks, best first.
        runbooks: Vec<String>,
    },
    /// Hypotheses are ranked and the summary is being written.
    Answering {
        /// Who writes it: a provider's name, or `none` for the engine.
        provider: String,
        /// Hypotheses in the session.
        hypotheses: usize,
    },
    /// A piece of the summary, as the model writes it.
    AnswerDelta {
        /// The text to append.
        text: String,
    },
    /// Discard the summary text streamed so far: the model writing it failed part-way and
    /// the fallback model starts over; its deltas follow.
    AnswerReset {
        /// Why the first model stopped (an error message, never content).
        reason: String,
    },
}
