//! Format sniffing, streaming parsers and redaction: uploads in, normalized records out.
//!
//! An upload streams through an [`AttachmentParser`]: compressed content is inflated on the
//! fly, the first bytes (the sniff window) decide the [`Format`], then every line goes through
//! that format's parser and every record through the [`Redactor`] before it reaches the
//! [`RecordSink`](faultmaven_model::RecordSink). Memory is bounded by the window, one line and
//! one pending record, whatever the upload's size.
//!
//! ```
//! use faultmaven_ingest::{AttachmentParser, IngestConfig, Redactor};
//! use faultmaven_model::{AttachmentId, AttachmentRole, LogRecord, MetricSample};
//! use std::sync::Arc;
//!
//! let config = IngestConfig { base_year: Some(2024), ..IngestConfig::default() };
//! let redactor = Arc::new(Redactor::new(&config.redaction));
//! let mut parser =
//!     AttachmentParser::new(AttachmentId::new(1), "app.log", AttachmentRole::Incident, &config, redactor);
//! let mut sink: (Vec<LogRecord<'static>>, Vec<MetricSample<'static>>) = (Vec::new(), Vec::new());
//! parser.feed(b"2024-05-01 14:03:07,123 ERROR [main] db.Pool: login failed for bob@exa", &mut sink)?;
//! parser.feed(b"mple.com\n", &mut sink)?;
//! let summary = parser.finish(&mut sink)?;
//! assert_eq!(summary.format, "plain_text_log");
//! let record = &sink.0[0];
//! assert_eq!(record.source.as_deref(), Some("db.Pool"));
//! assert_eq!(record.message, "login failed for <REDACTED:email:1>");
//! # Ok::<(), faultmaven_ingest::IngestError>(())
//! ```
//!
//! Architecture invariant: this crate knows the model crate and nothing above it; it does no
//! I/O of its own (bytes are pushed in) and never holds a whole upload.

mod archive;
mod attachment;
mod code;
mod config;
mod config_files;
mod container;
mod csv;
mod detect;
mod error;
mod format;
mod journald;
mod json_lines;
mod line_metrics;
mod lines;
mod logfmt;
mod otlp_metrics;
mod output;
mod prometheus;
mod prometheus_api;
mod redact;
mod structured;
mod text;
mod timestamp;
mod traces;
mod transcode;
mod windows_event;

pub use archive::UploadParser;
pub use attachment::AttachmentParser;
pub use config::{ArchiveConfig, IngestConfig, RedactionConfig};
pub use error::{IngestError, IngestErrorKind};
pub use format::{sniff, Format, Sniffed};
pub use redact::{RedactionKind, Redactor};
