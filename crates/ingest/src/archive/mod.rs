//! Uploads that hold several files: zip and tar archives (tar possibly compressed), nested to
//! a configured depth. Every regular member is sniffed from its content and parsed as its own
//! attachment, named `bundle.zip!/var/log/app.log`, so findings cite the member and its line.
//!
//! An upload is a tree of [`Node`]s built while it streams: the root looks at the first bytes
//! and becomes a decompressor (gzip, zstd: its content is the next node), an archive (its
//! members are nodes) or an [`AttachmentParser`] (text). Nothing is ever written to disk and no
//! member name is ever used as a path: names are labels.
//!
//! Limits (see [`ArchiveConfig`](crate::ArchiveConfig)) are enforced on bytes actually
//! produced, never on sizes an archive declares. Inside an archive a broken limit or a damaged
//! member becomes an issue — of the member when it was being parsed, of the archive when
//! members are skipped — and members already parsed are kept. At the top of an upload that is
//! not an archive (`app.log.gz`) the same failure fails the upload, as it always did.

pub(crate) mod decompress;
mod tar;
mod zip;

pub(crate) use self::tar::is_tar;
pub(crate) use self::zip::is_zip;

use self::decompress::{Compression, RatioLimit, StreamDecoder};
use crate::{AttachmentParser, IngestConfig, IngestError, Redactor};
use faultmaven_model::{
    AttachmentId, AttachmentRole, AttachmentSummary, DataKind, ParseIssue, RecordSink,
};
use std::fmt;
use std::sync::Arc;

/// Bytes needed to recognise every container: a tar header is 512 bytes.
const CONTAINER_PROBE_BYTES: usize = 512;

/// Longest member name kept in an attachment's name; longer ones are cut.
const MAX_MEMBER_NAME_CHARS: usize = 512;

/// Parses one upload that may be an archive: feed it chunks, then `finish` for one summary per
/// attachment (the archive itself first, then its members, in the order they were met).
///
/// Members get attachment ids after the upload's own, and the sink hears of each through
/// [`RecordSink::attachment`] before its first record.
///
/// ```
/// use faultmaven_ingest::{IngestConfig, Redactor, UploadParser};
/// use faultmaven_model::{AttachmentId, AttachmentRole, CollectedRecords};
/// use std::sync::Arc;
///
/// let config = IngestConfig::default();
/// let redactor = Arc::new(Redactor::new(&config.redaction));
/// let mut upload =
///     UploadParser::new(AttachmentId::new(1), "app.log", AttachmentRole::Incident, &config, redactor);
/// let mut records = CollectedRecords::default();
/// upload.feed(b"2024-05-01 14:03:07 ERROR db: timeout\n", &mut records)?;
/// let summaries = upload.finish(&mut records)?;
/// assert_eq!(summaries.len(), 1);
/// assert_eq!(summaries[0].format, "plain_text_log");
/// # Ok::<(), faultmaven_ingest::IngestError>(())
/// ```
pub struct UploadParser {
    root: Node,
    shared: Shared,
    failed: Option<IngestError>,
}

impl UploadParser {
    /// Starts parsing an upload whose attachment id is `id`; `name` is the client's file
    /// name, used only as a hint.
    pub fn new(
        id: AttachmentId,
        name: &str,
        role: AttachmentRole,
        config: &IngestConfig,
        redactor: Arc<Redactor>,
    ) -> Self {
        Self {
            root: Node::Sniffing {
                place: Place {
                    id,
                    name: name.to_owned(),
                    depth: 0,
                },
                head: Vec::new(),
            },
            shared: Shared {
                config: config.clone(),
                redactor,
                role,
                next_id: id.number().saturating_add(1),
                decompressed: 0,
                members: 0,
                summaries: Vec::new(),
            },
            failed: None,
        }
    }

    /// Feeds the next chunk of the upload (any size).
    pub fn feed(&mut self, chunk: &[u8], sink: &mut dyn RecordSink) -> Result<(), IngestError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.root.feed(chunk, &mut self.shared, sink);
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    /// Ends the upload and returns one summary per attachment, ordered by id.
    pub fn finish(
        mut self,
        sink: &mut dyn RecordSink,
    ) -> Result<Vec<AttachmentSummary>, IngestError> {
        if let Some(error) = self.failed.take() {
            return Err(error);
        }
        self.root.finish(&mut self.shared, sink)?;
        let mut summaries = self.shared.summaries;
        summaries.sort_by_key(|summary| summary.id.number());
        Ok(summaries)
    }
}

/// What every node of one upload shares: settings, and the counters that cap the whole
/// upload however its archives nest.
pub(crate) struct Shared {
    config: IngestConfig,
    redactor: Arc<Redactor>,
    role: AttachmentRole,
    next_id: u32,
    /// Bytes produced by every decompressor of the upload, zip members included.
    decompressed: u64,
    /// Members started, over every archive of the upload.
    members: usize,
    summaries: Vec<AttachmentSummary>,
}

impl Shared {
    /// Counts decompressed bytes against the upload's total.
    fn take_decompressed(&mut self, bytes: usize) -> Result<(), IngestError> {
        self.decompressed += bytes as u64;
        if self.decompressed > self.config.max_decompressed_bytes {
            Err(IngestError::DecompressedTooLarge {
                limit: self.config.max_decompressed_bytes,
            })
        } else {
            Ok(())
        }
    }

    fn ratio_limit(&self) -> RatioLimit {
        RatioLimit {
            max_ratio: self.config.archive.max_compression_ratio,
            grace_bytes: self.config.archive.ratio_grace_bytes,
        }
    }

    /// A new member's place, announced to the sink; `None` once the upload has as many
    /// members as allowed.
    fn start_member(
        &mut self,
        archive: &Place,
        label: &str,
        sink: &mut dyn RecordSink,
    ) -> Option<Place> {
        if self.members >= self.config.archive.max_members {
            return None;
        }
        self.members += 1;
        let id = AttachmentId::new(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        let label = self.redactor.redact(label);
        let name = format!("{}!/{}", archive.name, label);
        sink.attachment(id, self.role, &name);
        Some(Place {
            id,
            name,
            depth: archive.depth + 1,
        })
    }
}

/// Where a node's content goes: the attachment it will be, and how deeply it is nested.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    id: AttachmentId,
    name: String,
    /// Containers and compression layers around it.
    depth: usize,
}

/// One layer of an upload.
enum Node {
    /// Too few bytes seen to recognise a container or compression.
    Sniffing {
        place: Place,
        head: Vec<u8>,
    },
    /// Content to parse as text, logs, metrics, ...
    Attachment(Box<AttachmentParser>),
    /// gzip or zstd around the next layer (its place is the same attachment).
    Compressed {
        decoder: StreamDecoder,
        inner: Box<Node>,
        /// Set when the stream failed and the archive inside was closed early.
        ended: bool,
    },
    Tar(Box<tar::TarArchive>),
    Zip(Box<zip::ZipArchiveBuffer>),
}

/// Why a decompressing layer stopped: its own stream, or the layer it feeds.
enum Failure {
    Stream(IngestError),
    Inner(IngestError),
}

impl From<IngestError> for Failure {
    fn from(error: IngestError) -> Self {
        Self::Stream(error)
    }
}

impl Node {
    fn feed(
        &mut self,
        data: &[u8],
        shared: &mut Shared,
        sink: &mut dyn RecordSink,
    ) -> Result<(), IngestError> {
        match self {
            Self::Sniffing { head, .. } => {
                let take = (CONTAINER_PROBE_BYTES - head.len()).min(data.len());
                head.extend_from_slice(&data[..take]);
                if head.len() < CONTAINER_PROBE_BYTES {
                    return Ok(());
                }
                self.decide(shared, sink)?;
                self.feed(&data[take..], shared, sink)
            }
            Self::Attachment(parser) => parser.feed(data, sink),
            Self::Compressed {
                decoder,
                inner,
                ended,
            } => {
                if *ended {
                    return Ok(());
                }
                let result = decoder.write(data, &mut |output| {
                    shared.take_decompressed(output.len())?;
                    inner.feed(output, shared, sink).map_err(Failure::Inner)
                });
                Self::settle(result, inner, ended, shared, sink)
            }
            Self::Tar(archive) => {
                archive.feed(data, shared, sink);
                Ok(())
            }
            Self::Zip(archive) => archive.feed(data),
        }
    }

    /// A stream failure closes an archive inside early (members kept); anything else fails.
    fn settle(
        result: Result<(), Failure>,
        inner: &mut Node,
        ended: &mut bool,
        shared: &mut Shared,
        sink: &mut dyn RecordSink,
    ) -> Result<(), IngestError> {
        match result {
            Ok(()) => Ok(()),
            Err(Failure::Inner(error)) => Err(error),
            Err(Failure::Stream(error)) => match inner {
                Self::Tar(archive) => {
                    *ended = true;
                    archive.stop(&error, shared, sink);
                    Ok(())
                }
                _ => Err(error),
            },
        }
    }

    /// Turns the sniffing node into what its first bytes say it is.
    fn decide(
        &mut self,
        shared: &mut Shared,
        sink: &mut dyn RecordSink,
    ) -> Result<(), IngestError> {
        let Self::Sniffing { place, head } = self else {
            return Ok(());
        };
        let head = std::mem::take(head);
        let place = place.clone();
        let container =
            Compression::detect(&head).is_some() || zip::is_zip(&head) || tar::is_tar(&head);
        if container && place.depth >= shared.config.archive.max_depth {
            return Err(IngestError::NestedTooDeep {
                limit: shared.config.archive.max_depth,
            });
        }
        *self = if let Some(compression) = Compression::detect(&head) {
            Self::Compressed {
                decoder: StreamDecoder::new(compression, shared.ratio_limit())?,
                inner: Box::new(Self::Sniffing {
                    place: Place {
                        depth: place.depth + 1,
                        ..place
                    },
                    head: Vec::new(),
                }),
                ended: false,
            }
        } else if zip::is_zip(&head) {
            Self::Zip(Box::new(zip::ZipArchiveBuffer::new(
                place,
                shared.config.archive.max_zip_bytes,
            )))
        } else if tar::is_tar(&head) {
            Self::Tar(Box::new(tar::TarArchive::new(place)))
        } else {
            Self::Attachment(Box::new(AttachmentParser::new(
                place.id,
                &place.name,
                shared.role,
                &shared.config,
                Arc::clone(&shared.redactor),
            )))
        };
        self.feed(&head, shared, sink)
    }

    /// End of the node's input: its summaries (and those of its members) go to `shared`.
    fn finish(
        &mut self,
        shared: &mut Shared,
        sink: &mut dyn RecordSink,
    ) -> Result<(), IngestError> {
        if matches!(self, Self::Sniffing { .. }) {
            self.decide(shared, sink)?;
        }
        match std::mem::replace(
            self,
            Self::Sniffing {
                place: Place {
                    id: AttachmentId::new(0),
                    name: String::new(),
                    depth: 0,
                },
                head: Vec::new(),
            },
        ) {
            // `decide` always leaves another state.
            Self::Sniffing { .. } => Ok(()),
            Self::Attachment(parser) => {
                shared.summaries.push(parser.finish(sink)?);
                Ok(())
            }
            Self::Compressed {
                mut decoder,
                mut inner,
                mut ended,
            } => {
                if !ended {
                    let result = decoder.finish(&mut |output| {
                        shared.take_decompressed(output.len())?;
                        inner.feed(output, shared, sink).map_err(Failure::Inner)
                    });
                    Self::settle(result, &mut inner, &mut ended, shared, sink)?;
                }
                inner.finish(shared, sink)
            }
            Self::Tar(archive) => {
                archive.finish(shared, sink);
                Ok(())
            }
            Self::Zip(archive) => archive.finish(shared, sink),
        }
    }

    /// Ends a member early because of `error`: what it parsed so far is summarised with the
    /// error as an issue. A member still sniffing has nothing to summarise.
    fn abort(self, error: &IngestError, shared: &mut Shared, sink: &mut dyn RecordSink) {
        match self {
            Self::Sniffing { .. } => {}
            Self::Attachment(parser) => {
                // A parser fed plain bytes cannot fail; an error here is one more issue.
                if let Ok(mut summary) = parser.finish(sink) {
                    push_issue(&mut summary, shared.config.max_issues_per_attachment, error);
                    shared.summaries.push(summary);
                }
            }
            Self::Compressed { inner, .. } => inner.abort(error, shared, sink),
            Self::Tar(mut archive) => archive.stop(error, shared, sink),
            Self::Zip(archive) => archive.abandon(error, shared),
        }
    }
}

/// Adds an issue to a finished summary, within the per-attachment cap.
fn push_issue(summary: &mut AttachmentSummary, max_issues: usize, reason: &dyn fmt::Display) {
    add_issue(
        &mut summary.issues,
        &mut summary.issues_truncated,
        max_issues,
        reason,
    );
}

/// Adds an issue about the whole attachment, or notes that the cap was reached.
fn add_issue(
    issues: &mut Vec<ParseIssue>,
    truncated: &mut bool,
    max_issues: usize,
    reason: &dyn fmt::Display,
) {
    if issues.len() >= max_issues {
        *truncated = true;
    } else {
        issues.push(ParseIssue {
            line: None,
            reason: reason.to_string(),
        });
    }
}

/// The summary and skipped-member accounting an archive keeps while its members stream.
pub(crate) struct ArchiveReport {
    place: Place,
    format: &'static str,
    bytes: u64,
    issues: Vec<ParseIssue>,
    issues_truncated: bool,
    /// Members not parsed because the upload already had as many as allowed.
    over_member_limit: u64,
}

impl ArchiveReport {
    fn new(place: Place, format: &'static str) -> Self {
        Self {
            place,
            format,
            bytes: 0,
            issues: Vec::new(),
            issues_truncated: false,
            over_member_limit: 0,
        }
    }

    fn issue(&mut self, max_issues: usize, reason: fmt::Arguments<'_>) {
        add_issue(
            &mut self.issues,
            &mut self.issues_truncated,
            max_issues,
            &reason,
        );
    }

    /// Starts parsing a member called `label`: its node, or `None` (with an issue) when the
    /// member limit is reached.
    fn start_member(
        &mut self,
        label: &str,
        shared: &mut Shared,
        sink: &mut dyn RecordSink,
    ) -> Option<Node> {
        match shared.start_member(&self.place, label, sink) {
            Some(place) => Some(Node::Sniffing {
                place,
                head: Vec::new(),
            }),
            None => {
                self.over_member_limit += 1;
                None
            }
        }
    }

    /// Ends a member: its summaries go to `shared`; a failure becomes its issue and one of
    /// the archive's.
    fn end_member(
        &mut self,
        mut member: Node,
        label: &str,
        shared: &mut Shared,
        sink: &mut dyn RecordSink,
    ) {
        if let Err(error) = member.finish(shared, sink) {
            self.member_failed(member, label, &error, shared, sink);
        }
    }

    /// A member that failed while streaming: summarised with the error, noted in the archive.
    fn member_failed(
        &mut self,
        member: Node,
        label: &str,
        error: &IngestError,
        shared: &mut Shared,
        sink: &mut dyn RecordSink,
    ) {
        let max_issues = shared.config.max_issues_per_attachment;
        self.issue(max_issues, format_args!("member {label}: {error}"));
        member.abort(error, shared, sink);
    }

    fn into_summary(mut self, max_issues: usize, role: AttachmentRole) -> AttachmentSummary {
        if self.over_member_limit > 0 {
            let skipped = self.over_member_limit;
            self.issue(
                max_issues,
                format_args!("{skipped} members skipped: the upload reached its member limit"),
            );
        }
        AttachmentSummary {
            id: self.place.id,
            name: self.place.name,
            role,
            kind: DataKind::Archive,
            format: self.format.to_owned(),
            bytes: self.bytes,
            lines: 0,
            records: 0,
            issues: self.issues,
            issues_truncated: self.issues_truncated,
        }
    }
}

/// A member name made safe to show: control characters replaced, cut to a sane length.
fn member_label(raw: &str) -> String {
    raw.chars()
        .take(MAX_MEMBER_NAME_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Why a member's name is suspicious, if it is: a name that climbs out of the archive
/// (`../`) or is absolute. Names are only labels here, but such names are what an extraction
/// attack looks like, so they are reported.
fn name_concern(name: &str) -> Option<&'static str> {
    let climbs = name.split(['/', '\\']).any(|component| component == "..");
    if climbs {
        Some("climbs out of the archive (`..`)")
    } else if name.starts_with('/')
        || name.starts_with('\\')
        || name.as_bytes().get(1..3) == Some(b":\\")
        || name.as_bytes().get(1..3) == Some(b":/")
    {
        Some("is an absolute path")
    } else {
        None
    }
}
