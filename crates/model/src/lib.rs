//! Normalized types shared by every stage of the pipeline: records parsed from uploads,
//! findings produced by analysis, hypotheses produced by the engine.
//!
//! Architecture invariant: this crate does no I/O, knows no async runtime, no HTTP and no SQL.
//! It is the bottom of the dependency graph.

mod attachment;
mod case;
mod finding;
mod follow_up;
mod hypothesis;
mod ids;
mod notice;
mod plot;
mod query;
mod rca;
mod record;
mod session;
mod time;

pub use attachment::{AttachmentRole, AttachmentSummary, DataKind, ParseIssue};
pub use case::PastCase;
pub use finding::{
    EntityScore, Evidence, Finding, FindingKind, Severity, TemplateHistogram, TemplateSummary,
};
pub use follow_up::{AnswerValue, FollowUpQuestion, QuestionAnswer, QuestionTopic};
pub use hypothesis::{
    Hypothesis, HypothesisCategory, HypothesisStatus, NextStep, Suspect, SuspectKind, Verdict,
};
pub use ids::{AttachmentId, FindingId, HypothesisId, IdError, QuestionId, SessionId};
pub use notice::{AnalysisNotice, NoticeKind};
pub use plot::{
    AnomalousRange, PlotPoint, SeriesPlot, SessionPlots, TraceWaterfall, WaterfallSpan,
};
pub use query::{Intent, RequestKind};
pub use rca::{Mechanism, RootCause, RootCauseEvidence, Signal, TimelineEvent};
pub use record::{
    CodeSnippet, CollectedRecords, ConfigEntry, Level, LogRecord, MetricSample, RecordSink,
    SpanKind, SpanRecord, StackFrame,
};
pub use session::{FeedbackEvent, SessionState};
pub use time::Timestamp;
