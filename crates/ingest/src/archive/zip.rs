//! zip archives. A zip's table of contents (the central directory) is at its end, and only it
//! says reliably where members start and how they are compressed (local headers may omit
//! sizes, and an archive may list fewer members than its local headers suggest). So the
//! archive is kept whole, capped at `max_zip_bytes`, and read once its last byte has arrived.
//! It is kept in memory, not spooled to a temporary file: raw uploads never reach disk (an
//! architecture invariant), and the cap bounds the memory.
//!
//! Members are then read in steps through the `zip` crate (stored and deflated members;
//! other methods and encrypted members are reported and skipped), each step counted against
//! the upload's decompression total and the member's ratio, which is measured on the bytes
//! actually produced, not on the sizes the archive declares.

use super::{member_label, name_concern, push_issue, ArchiveReport, Place, Shared};
use crate::IngestError;
use faultmaven_model::RecordSink;
use std::io::{Cursor, Read};

/// Decompressed bytes read from a member per step.
const READ_STEP: usize = 64 * 1024;

/// True when `head` starts like a zip: a local file header, or the end record of an empty
/// archive.
pub(crate) fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// A zip archive being received.
pub(crate) struct ZipArchiveBuffer {
    report: ArchiveReport,
    bytes: Vec<u8>,
    max_bytes: usize,
}

impl ZipArchiveBuffer {
    pub fn new(place: Place, max_bytes: usize) -> Self {
        Self {
            report: ArchiveReport::new(place, "zip"),
            bytes: Vec::new(),
            max_bytes,
        }
    }

    pub fn feed(&mut self, data: &[u8]) -> Result<(), IngestError> {
        if self.bytes.len() + data.len() > self.max_bytes {
            return Err(IngestError::ZipTooLarge {
                limit: self.max_bytes,
            });
        }
        self.bytes.extend_from_slice(data);
        Ok(())
    }

    /// A zip that failed before it was read (too large, or its container failed): only the
    /// archive's own summary, with the error.
    pub fn abandon(self, error: &IngestError, shared: &mut Shared) {
        let max_issues = shared.config.max_issues_per_attachment;
        let mut summary = self.report.into_summary(max_issues, shared.role);
        push_issue(&mut summary, max_issues, error);
        shared.summaries.push(summary);
    }

    /// The whole archive is here: reads its members one after another.
    pub fn finish(
        mut self,
        shared: &mut Shared,
        sink: &mut dyn RecordSink,
    ) -> Result<(), IngestError> {
        let max_issues = shared.config.max_issues_per_attachment;
        let bytes = std::mem::take(&mut self.bytes);
        self.report.bytes = bytes.len() as u64;
        let mut archive =
            zip::ZipArchive::new(Cursor::new(bytes)).map_err(|error| IngestError::Corrupt {
                reason: format!("the zip archive cannot be read: {error}"),
            })?;
        for index in 0..archive.len() {
            if let Err(stop) = self.member(&mut archive, index, shared, sink) {
                let left = archive.len() - index - 1;
                self.report.issue(
                    max_issues,
                    format_args!("reading stopped: {stop}; {left} more members not read"),
                );
                break;
            }
        }
        shared
            .summaries
            .push(self.report.into_summary(max_issues, shared.role));
        Ok(())
    }

    /// Reads member `index`. Problems of the member alone become issues; an error is returned
    /// only when the whole upload must stop (its decompression total is spent).
    fn member(
        &mut self,
        archive: &mut zip::ZipArchive<Cursor<Vec<u8>>>,
        index: usize,
        shared: &mut Shared,
        sink: &mut dyn RecordSink,
    ) -> Result<(), IngestError> {
        let max_issues = shared.config.max_issues_per_attachment;
        let mut file = match archive.by_index(index) {
            Ok(file) => file,
            Err(error) => {
                self.report
                    .issue(max_issues, format_args!("member #{index} skipped: {error}"));
                return Ok(());
            }
        };
        let label = member_label(&file.name().unwrap_or_default());
        if file.is_dir() {
            return Ok(());
        }
        if file.is_symlink() || !file.is_file() {
            self.report.issue(
                max_issues,
                format_args!("link or special entry {label} skipped"),
            );
            return Ok(());
        }
        if let Some(concern) = name_concern(&label) {
            self.report
                .issue(max_issues, format_args!("member name {label} {concern}"));
            if concern.starts_with("climbs") {
                return Ok(());
            }
        }
        let label = label.trim_start_matches(['/', '\\']).to_owned();
        let compressed = file.compressed_size();
        let ratio = shared.ratio_limit();
        // Declared sizes can lie, so this only spares reading an obvious bomb; the check on
        // bytes actually read below is the one that holds.
        if ratio.check(compressed, file.size()).is_err() {
            self.report.issue(
                max_issues,
                format_args!(
                    "member {label} skipped: it declares {} bytes from {compressed} compressed (a likely decompression bomb)",
                    file.size()
                ),
            );
            return Ok(());
        }
        let Some(mut node) = self.report.start_member(&label, shared, sink) else {
            return Ok(());
        };
        let mut buffer = vec![0; READ_STEP];
        let mut produced = 0u64;
        loop {
            let read = match file.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) => {
                    let error = IngestError::Corrupt {
                        reason: error.to_string(),
                    };
                    self.report
                        .member_failed(node, &label, &error, shared, sink);
                    return Ok(());
                }
            };
            produced += read as u64;
            if let Err(error) = shared.take_decompressed(read) {
                self.report
                    .member_failed(node, &label, &error, shared, sink);
                return Err(error);
            }
            let step = ratio
                .check(compressed, produced)
                .and_then(|()| node.feed(&buffer[..read], shared, sink));
            if let Err(error) = step {
                self.report
                    .member_failed(node, &label, &error, shared, sink);
                return Ok(());
            }
        }
        self.report.end_member(node, &label, shared, sink);
        Ok(())
    }
}
