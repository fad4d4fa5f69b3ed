//! Log template mining, anomaly detectors and findings with evidence.
//!
//! The analysis stage consumes normalized records as a stream ([`Analyzer`] implements
//! [`faultmaven_model::RecordSink`]), keeps compact state (templates, counters, time
//! histograms, a few example lines, metric points) and, at the end, produces ranked
//! [`faultmaven_model::Finding`]s that each point at their evidence.
//!
//! ```
//! use faultmaven_analysis::{AnalysisConfig, Analyzer};
//! use faultmaven_model::{AttachmentId, AttachmentRole, Level, LogRecord, RecordSink};
//! use std::borrow::Cow;
//!
//! let mut analyzer = Analyzer::new(&AnalysisConfig::default());
//! let upload = AttachmentId::new(1);
//! analyzer.register_attachment(upload, AttachmentRole::Incident, "app.log");
//! for (line, order) in [1001, 1002, 1003].iter().enumerate() {
//!     let message = format!("payment for order {order} failed: card declined");
//!     analyzer.log(LogRecord {
//!         attachment: upload,
//!         first_line: line as u64 + 1,
//!         last_line: line as u64 + 1,
//!         timestamp: None,
//!         level: Some(Level::Error),
//!         source: Some(Cow::Borrowed("billing")),
//!         message: Cow::Owned(message),
//!         attributes: Vec::new(),
//!     });
//! }
//! let report = analyzer.finish(1);
//! assert_eq!(report.templates[0].template, "payment for order <*> failed: card declined");
//! assert_eq!(report.templates[0].count, 3);
//! let first = &report.findings[0];
//! assert_eq!(first.id.to_string(), "F1");
//! assert!(first.title.starts_with("ERROR template E1"));
//! ```
//!
//! Architecture invariant: this crate is pure and deterministic. It does no I/O, reads no
//! clock, uses no randomness and no async runtime; the same records in the same order give
//! the same report.
//!
//! Code map:
//! - `tokens`: splitting and masking messages (numbers, ids, paths, dates);
//! - `miner`: the Drain-family template miner ([`TemplateMiner`]);
//! - `histogram`, `bursts`: time buckets and rate bursts;
//! - `metrics`: metric series through the detector ensemble (anomalous stretches, level
//!   shifts, saturation) and their charts ([`SeriesPlot`]); `robust`: medians and scales;
//! - [`detectors`]: online metric anomaly detectors and their ensemble;
//! - [`nab`]: the Numenta Anomaly Benchmark scorer;
//! - `exceptions`: stack traces of the common runtimes;
//! - `entity`: lines grouped by identifiers (request, block, session ids) and the entities
//!   whose events deviate;
//! - `signals`: failure words, entity keys, excerpts and formatting;
//! - `traces`: spans, per-operation latency and errors, critical paths, error origins;
//! - `rca`: entities, one timeline and root-cause ranking;
//! - `plots`: plot data for the UI (anomalous series with an expected band, a trace waterfall);
//! - `analyzer`: the stream consumer and the findings it builds.

mod analyzer;
mod bursts;
mod config;
mod config_diff;
pub mod detectors;
mod durations;
mod entity;
mod exceptions;
mod histogram;
mod intern;
mod metrics;
mod miner;
pub mod nab;
mod plots;
mod rca;
mod robust;
mod signals;
#[cfg(test)]
mod testing;
mod tokens;
mod traces;

pub use analyzer::{AnalysisReport, Analyzer};
pub use config::{AnalysisConfig, BurstConfig, ConfigError, ConfigErrorKind, MetricConfig};
pub use entity::EntityConfig;
pub use metrics::{PlotPoint, SeriesPlot, BAND_SIGMAS};
pub use miner::{MinedTemplate, MinerConfig, TemplateMiner};
