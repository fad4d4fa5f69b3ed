//! tar read as a stream of 512-byte blocks: a header, the member's data padded to a block,
//! the next header. Regular files become members; directories are skipped; links, devices,
//! FIFOs and names that climb out of the archive are reported and skipped. GNU long names
//! and PAX `path`/`size` records are honoured. Header fields are read with the `tar` crate's
//! `Header`; the archive itself is never given a reader, so nothing blocks or buffers more
//! than one block and one member's extension record.

use super::{member_label, name_concern, ArchiveReport, Node, Place, Shared};
use crate::IngestError;
use faultmaven_model::RecordSink;
use tar::{EntryType, Header};

const BLOCK: usize = 512;

/// Largest GNU long-name or PAX record kept; real ones are a few hundred bytes.
const MAX_EXTENSION_BYTES: u64 = 64 * 1024;

/// True when `head` starts with a tar header: a valid checksum, and either the ustar magic
/// or an old-style (v7) type flag.
pub(crate) fn is_tar(head: &[u8]) -> bool {
    let Some(block) = head.get(..BLOCK) else {
        return false;
    };
    if block.iter().all(|&b| b == 0) || !checksum_matches(block) {
        return false;
    }
    let magic = &block[257..263];
    magic == b"ustar\0" || magic == b"ustar " || matches!(block[156], b'0'..=b'7' | 0)
}

/// The header checksum: the sum of the block's bytes with the checksum field read as spaces
/// (some old writers summed signed bytes, so both sums are accepted).
fn checksum_matches(block: &[u8]) -> bool {
    let Ok(stored) = Header::from_byte_slice(block).cksum() else {
        return false;
    };
    let (mut unsigned, mut signed) = (0u32, 0i64);
    for (index, &byte) in block.iter().enumerate() {
        let byte = if (148..156).contains(&index) {
            b' '
        } else {
            byte
        };
        unsigned += u32::from(byte);
        signed += i64::from(byte as i8);
    }
    stored == unsigned || i64::from(stored) == signed
}

/// What an extension block carries.
#[derive(Debug, Clone, Copy)]
enum Extension {
    GnuLongName,
    Pax,
}

enum State {
    /// Collecting the next header block.
    Header,
    /// Collecting a GNU long name or PAX record.
    Extension {
        kind: Extension,
        remaining: u64,
        padding: u64,
    },
    /// A member's data.
    Data { remaining: u64, padding: u64 },
    /// Data of an entry that is not parsed, then its padding.
    Skip { remaining: u64 },
    /// After the end-of-archive blocks or a damaged header: the rest is ignored.
    End,
}

/// The member whose data is streaming.
struct Member {
    node: Node,
    label: String,
}

/// A tar archive being read.
pub(crate) struct TarArchive {
    report: ArchiveReport,
    state: State,
    block: Vec<u8>,
    extension: Vec<u8>,
    long_name: Option<Vec<u8>>,
    pax_path: Option<Vec<u8>>,
    pax_size: Option<u64>,
    member: Option<Member>,
    /// Offset of the next byte in the archive, for issues about damaged headers.
    offset: u64,
    /// Offset of the header block being collected.
    header_offset: u64,
}

impl TarArchive {
    pub fn new(place: Place) -> Self {
        Self {
            report: ArchiveReport::new(place, "tar"),
            state: State::Header,
            block: Vec::with_capacity(BLOCK),
            extension: Vec::new(),
            long_name: None,
            pax_path: None,
            pax_size: None,
            member: None,
            offset: 0,
            header_offset: 0,
        }
    }

    pub fn feed(&mut self, mut data: &[u8], shared: &mut Shared, sink: &mut dyn RecordSink) {
        self.report.bytes += data.len() as u64;
        while !data.is_empty() {
            let used = match &mut self.state {
                State::End => data.len(),
                State::Header => {
                    if self.block.is_empty() {
                        self.header_offset = self.offset;
                    }
                    let take = (BLOCK - self.block.len()).min(data.len());
                    self.block.extend_from_slice(&data[..take]);
                    if self.block.len() == BLOCK {
                        self.header(shared, sink);
                        self.block.clear();
                    }
                    take
                }
                State::Extension {
                    kind,
                    remaining,
                    padding,
                } => {
                    let take = clamp(*remaining, data.len());
                    self.extension.extend_from_slice(&data[..take]);
                    *remaining -= take as u64;
                    if *remaining == 0 {
                        let (kind, padding) = (*kind, *padding);
                        self.apply_extension(kind);
                        self.state = State::Skip { remaining: padding };
                    }
                    take
                }
                State::Data { remaining, padding } => {
                    let take = clamp(*remaining, data.len());
                    *remaining -= take as u64;
                    let done = *remaining == 0;
                    let padding = *padding;
                    self.member_data(&data[..take], shared, sink);
                    if done {
                        if let Some(member) = self.member.take() {
                            self.report
                                .end_member(member.node, &member.label, shared, sink);
                        }
                        self.state = State::Skip { remaining: padding };
                    }
                    take
                }
                State::Skip { remaining } => {
                    let take = clamp(*remaining, data.len());
                    *remaining -= take as u64;
                    if *remaining == 0 {
                        self.state = State::Header;
                    }
                    take
                }
            };
            self.offset += used as u64;
            data = &data[used..];
        }
    }

    fn member_data(&mut self, data: &[u8], shared: &mut Shared, sink: &mut dyn RecordSink) {
        let Some(member) = self.member.as_mut() else {
            return;
        };
        if let Err(error) = member.node.feed(data, shared, sink) {
            if let Some(member) = self.member.take() {
                self.report
                    .member_failed(member.node, &member.label, &error, shared, sink);
            }
        }
    }

    /// Reads one full header block and decides what follows it.
    fn header(&mut self, shared: &mut Shared, sink: &mut dyn RecordSink) {
        let max_issues = shared.config.max_issues_per_attachment;
        if self.block.iter().all(|&b| b == 0) {
            // One or two zero blocks end the archive; what follows is padding.
            self.state = State::End;
            return;
        }
        let header_offset = self.header_offset;
        if !checksum_matches(&self.block) {
            self.report.issue(
                max_issues,
                format_args!("damaged tar header at byte {header_offset}; the rest of the archive is not read"),
            );
            self.state = State::End;
            return;
        }
        let header = Header::from_byte_slice(&self.block);
        let size = match self.pax_size.take().map_or_else(|| header.entry_size(), Ok) {
            Ok(size) => size,
            Err(_) => {
                self.report.issue(
                    max_issues,
                    format_args!("tar header at byte {header_offset} has no readable size; the rest of the archive is not read"),
                );
                self.state = State::End;
                return;
            }
        };
        let padding = (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64;
        let name_bytes = self
            .long_name
            .take()
            .or_else(|| self.pax_path.take())
            .unwrap_or_else(|| header.path_bytes().into_owned());
        let label = member_label(&String::from_utf8_lossy(&name_bytes));
        let entry_type = header.entry_type();
        self.state = State::Skip {
            remaining: size + padding,
        };
        match entry_type {
            EntryType::GNULongName | EntryType::XHeader => {
                let kind = if entry_type == EntryType::XHeader {
                    Extension::Pax
                } else {
                    Extension::GnuLongName
                };
                if size <= MAX_EXTENSION_BYTES {
                    self.extension.clear();
                    self.state = State::Extension {
                        kind,
                        remaining: size,
                        padding,
                    };
                    if size == 0 {
                        self.apply_extension(kind);
                        self.state = State::Header;
                    }
                } else {
                    self.report.issue(
                        max_issues,
                        format_args!(
                            "tar extension header of {size} bytes at byte {header_offset} ignored"
                        ),
                    );
                }
            }
            EntryType::Regular | EntryType::Continuous => {
                self.start_member(&label, size, padding, shared, sink)
            }
            // Directories hold nothing to parse; global PAX records and long link names
            // change nothing we read.
            EntryType::Directory | EntryType::XGlobalHeader | EntryType::GNULongLink => {}
            EntryType::Symlink | EntryType::Link => {
                let target = header
                    .link_name_bytes()
                    .map(|bytes| member_label(&String::from_utf8_lossy(&bytes)))
                    .unwrap_or_default();
                self.report.issue(
                    max_issues,
                    format_args!("link {label} -> {target} not followed"),
                );
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                self.report.issue(
                    max_issues,
                    format_args!("device or pipe entry {label} skipped"),
                );
            }
            other => {
                self.report.issue(
                    max_issues,
                    format_args!(
                        "entry {label} of tar type {:?} skipped",
                        char::from(other.as_byte())
                    ),
                );
            }
        }
    }

    fn start_member(
        &mut self,
        label: &str,
        size: u64,
        padding: u64,
        shared: &mut Shared,
        sink: &mut dyn RecordSink,
    ) {
        let max_issues = shared.config.max_issues_per_attachment;
        let concern = name_concern(label);
        if let Some(concern) = concern {
            self.report
                .issue(max_issues, format_args!("member name {label} {concern}"));
        }
        if concern.is_some_and(|concern| concern.starts_with("climbs")) {
            return;
        }
        let label = label.trim_start_matches(['/', '\\']);
        let Some(mut node) = self.report.start_member(label, shared, sink) else {
            return;
        };
        if size == 0 {
            // An empty file: summarised (as empty) without waiting for data.
            if let Err(error) = node.feed(&[], shared, sink) {
                self.report.member_failed(node, label, &error, shared, sink);
                return;
            }
            self.report.end_member(node, label, shared, sink);
            self.state = State::Skip { remaining: padding };
            return;
        }
        self.member = Some(Member {
            node,
            label: label.to_owned(),
        });
        self.state = State::Data {
            remaining: size,
            padding,
        };
    }

    fn apply_extension(&mut self, kind: Extension) {
        let record = std::mem::take(&mut self.extension);
        match kind {
            Extension::GnuLongName => {
                let end = memchr::memchr(0, &record).unwrap_or(record.len());
                self.long_name = Some(record[..end].to_vec());
            }
            Extension::Pax => {
                for (key, value) in pax_records(&record) {
                    match key {
                        b"path" => self.pax_path = Some(value.to_vec()),
                        b"size" => {
                            self.pax_size = std::str::from_utf8(value)
                                .ok()
                                .and_then(|text| text.parse().ok());
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Ends the archive early (its compressed stream failed): the member in flight is
    /// summarised with the error, and the archive notes where it stopped.
    pub fn stop(&mut self, error: &IngestError, shared: &mut Shared, sink: &mut dyn RecordSink) {
        let max_issues = shared.config.max_issues_per_attachment;
        self.report.issue(
            max_issues,
            format_args!("reading stopped after {} bytes: {error}", self.offset),
        );
        if let Some(member) = self.member.take() {
            self.report
                .member_failed(member.node, &member.label, error, shared, sink);
        }
        self.state = State::End;
    }

    /// End of the archive's bytes: a member cut short is summarised with an issue.
    pub fn finish(mut self, shared: &mut Shared, sink: &mut dyn RecordSink) {
        let max_issues = shared.config.max_issues_per_attachment;
        let truncated = match &self.state {
            State::Header => !self.block.is_empty(),
            State::Extension { .. } | State::Data { .. } => true,
            // Missing padding after the last member is common and harmless.
            State::Skip { .. } | State::End => false,
        };
        if let Some(member) = self.member.take() {
            let error = IngestError::Corrupt {
                reason: "the tar archive ends inside this member".into(),
            };
            self.report
                .member_failed(member.node, &member.label, &error, shared, sink);
        } else if truncated {
            self.report.issue(
                max_issues,
                format_args!("the tar archive is cut short at byte {}", self.offset),
            );
        }
        shared
            .summaries
            .push(self.report.into_summary(max_issues, shared.role));
    }
}

/// `min(remaining, available)` as a slice length.
fn clamp(remaining: u64, available: usize) -> usize {
    usize::try_from(remaining).map_or(available, |remaining| remaining.min(available))
}

/// The `key=value` pairs of a PAX extended header (`<length> <key>=<value>\n` records).
fn pax_records(mut data: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut records = Vec::new();
    while !data.is_empty() {
        let Some(space) = memchr::memchr(b' ', data) else {
            break;
        };
        let Some(length) = std::str::from_utf8(&data[..space])
            .ok()
            .and_then(|text| text.parse::<usize>().ok())
            .filter(|&length| length > space + 1 && length <= data.len())
        else {
            break;
        };
        let record = &data[space + 1..length];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(equals) = memchr::memchr(b'=', record) {
            records.push((&record[..equals], &record[equals + 1..]));
        }
        data = &data[length..];
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_records_are_split_and_bad_lengths_stop() {
        let data = b"19 path=a/long.log\n11 size=42\n99 bad";
        assert_eq!(
            pax_records(data),
            vec![
                (&b"path"[..], &b"a/long.log"[..]),
                (&b"size"[..], &b"42"[..])
            ]
        );
        assert!(pax_records(b"0 x=y\n").is_empty());
    }

    #[test]
    fn text_is_not_tar() {
        assert!(!is_tar(&[b'a'; 512]));
        assert!(!is_tar(&[0; 512]));
        assert!(!is_tar(b"short"));
    }
}
