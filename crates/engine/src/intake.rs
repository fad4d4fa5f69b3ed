//! Data intake: uploads stream through ingest and analysis on a blocking thread.
//!
//! Parsing and mining are CPU-bound, so they never run on the async runtime. The caller (the
//! HTTP handler or the CLI) pushes chunks through a bounded channel; when the thread falls
//! behind, `feed` waits, which in turn stops reading the request body: backpressure all the way
//! to the client, and memory bounded by the channel capacity times the chunk size.

use crate::EngineError;
use faultmaven_analysis::{AnalysisConfig, AnalysisReport, Analyzer};
use faultmaven_ingest::{IngestConfig, Redactor, UploadParser};
use faultmaven_model::{AttachmentId, AttachmentRole, AttachmentSummary};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Chunks in flight between the reader and the parsing thread.
const CHANNEL_CAPACITY: usize = 8;

enum Command {
    Begin { name: String, role: AttachmentRole },
    Chunk(Vec<u8>),
    End,
}

/// What intake produced once every upload has been read.
#[derive(Debug)]
pub struct IntakeResult {
    /// One summary per attachment, in upload order (an archive's members follow it).
    pub attachments: Vec<AttachmentSummary>,
    /// What was received of each upload, in upload order: for the audit trail.
    pub received: Vec<ReceivedUpload>,
    /// Findings, templates and counts from analysis.
    pub report: AnalysisReport,
}

/// The bytes of one upload as they arrived (compressed, when they were), described without
/// their content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedUpload {
    /// The upload's own attachment id; an archive's members have the ids after it, up to the
    /// next upload's.
    pub attachment: AttachmentId,
    /// Bytes received.
    pub bytes: u64,
    /// Lowercase hex SHA-256 of those bytes, computed chunk by chunk as they streamed in.
    pub sha256: String,
}

/// The SHA-256 and length of an upload, fed as its chunks arrive (nothing is buffered).
struct ReceivedDigest {
    attachment: AttachmentId,
    hasher: Sha256,
    bytes: u64,
}

impl ReceivedDigest {
    fn new(attachment: AttachmentId) -> Self {
        Self {
            attachment,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
    }

    fn finish(self) -> ReceivedUpload {
        ReceivedUpload {
            attachment: self.attachment,
            bytes: self.bytes,
            sha256: crate::audit::hex(&self.hasher.finalize()),
        }
    }
}

/// A running intake: feed it uploads one after another, then `finish`.
pub struct DataIntake {
    sender: mpsc::Sender<Command>,
    /// `None` once the worker's result has been taken after it stopped early.
    worker: Option<JoinHandle<Result<IntakeResult, EngineError>>>,
    attachments_started: u32,
}

impl DataIntake {
    /// Starts the parsing thread. Findings will be numbered from `first_finding_number`, and
    /// attachments from `first_attachment_number` (so ids stay unique within a session).
    pub fn start(
        ingest: IngestConfig,
        analysis: AnalysisConfig,
        redactor: Arc<Redactor>,
        first_attachment_number: u32,
        first_finding_number: u32,
    ) -> Self {
        let (sender, receiver) = mpsc::channel(CHANNEL_CAPACITY);
        let worker = tokio::task::spawn_blocking(move || {
            run_worker(
                receiver,
                &ingest,
                &analysis,
                redactor,
                first_attachment_number,
                first_finding_number,
            )
        });
        Self {
            sender,
            worker: Some(worker),
            attachments_started: 0,
        }
    }

    /// Starts the next upload.
    pub async fn begin_attachment(
        &mut self,
        name: &str,
        role: AttachmentRole,
    ) -> Result<(), EngineError> {
        self.attachments_started += 1;
        self.send(Command::Begin {
            name: name.to_owned(),
            role,
        })
        .await
    }

    /// Sends the next chunk of the current upload.
    pub async fn feed(&mut self, chunk: Vec<u8>) -> Result<(), EngineError> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.send(Command::Chunk(chunk)).await
    }

    /// Ends the current upload.
    pub async fn end_attachment(&mut self) -> Result<(), EngineError> {
        self.send(Command::End).await
    }

    /// How many uploads were started.
    pub fn attachment_count(&self) -> u32 {
        self.attachments_started
    }

    /// Waits for the thread to finish parsing and analysing.
    pub async fn finish(self) -> Result<IntakeResult, EngineError> {
        drop(self.sender);
        Self::join(self.worker).await
    }

    async fn send(&mut self, command: Command) -> Result<(), EngineError> {
        if self.sender.send(command).await.is_ok() {
            return Ok(());
        }
        // The worker stopped early because it failed; its error says why.
        Self::join(self.worker.take())
            .await
            .and(Err(EngineError::Internal(
                "intake ended before the upload did".into(),
            )))
    }

    async fn join(
        worker: Option<JoinHandle<Result<IntakeResult, EngineError>>>,
    ) -> Result<IntakeResult, EngineError> {
        match worker {
            Some(worker) => worker
                .await
                .map_err(|error| EngineError::Internal(format!("intake thread failed: {error}")))?,
            None => Err(EngineError::Internal("intake already failed".into())),
        }
    }
}

fn run_worker(
    mut receiver: mpsc::Receiver<Command>,
    ingest: &IngestConfig,
    analysis: &AnalysisConfig,
    redactor: Arc<Redactor>,
    first_attachment_number: u32,
    first_finding_number: u32,
) -> Result<IntakeResult, EngineError> {
    let mut analyzer = Analyzer::new(analysis);
    let mut attachments = Vec::new();
    let mut received = Vec::new();
    let mut current: Option<(UploadParser, ReceivedDigest)> = None;
    let mut next_number = first_attachment_number;
    // Finishes one upload. An archive becomes several attachments (its members get the ids
    // after its own), so the next upload's id is known only now.
    let mut end_current = |current: &mut Option<(UploadParser, ReceivedDigest)>,
                           analyzer: &mut Analyzer,
                           next_number: &mut u32|
     -> Result<(), EngineError> {
        if let Some((parser, digest)) = current.take() {
            let summaries = parser.finish(analyzer)?;
            if let Some(last) = summaries.iter().map(|summary| summary.id.number()).max() {
                *next_number = (*next_number).max(last + 1);
            }
            attachments.extend(summaries);
            received.push(digest.finish());
        }
        Ok(())
    };
    while let Some(command) = receiver.blocking_recv() {
        match command {
            Command::Begin { name, role } => {
                end_current(&mut current, &mut analyzer, &mut next_number)?;
                let id = AttachmentId::new(next_number);
                next_number += 1;
                analyzer.register_attachment(id, role, &name);
                current = Some((
                    UploadParser::new(id, &name, role, ingest, Arc::clone(&redactor)),
                    ReceivedDigest::new(id),
                ));
            }
            Command::Chunk(bytes) => match current.as_mut() {
                Some((parser, digest)) => {
                    digest.update(&bytes);
                    parser.feed(&bytes, &mut analyzer)?;
                }
                None => {
                    return Err(EngineError::Internal(
                        "chunk received outside an attachment".into(),
                    ))
                }
            },
            Command::End => end_current(&mut current, &mut analyzer, &mut next_number)?,
        }
    }
    end_current(&mut current, &mut analyzer, &mut next_number)?;
    let report = analyzer.finish(first_finding_number);
    Ok(IntakeResult {
        attachments,
        received,
        report,
    })
}
