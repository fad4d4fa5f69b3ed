//! Archives and compression through `UploadParser`: every member is its own attachment,
//! nesting works to the configured depth, and hostile archives (bombs, traversal names,
//! thousands of members, truncation, wrong magic) give records and issues or a clear error,
//! never a panic, a hang or unbounded memory.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::{ArchiveConfig, IngestConfig, IngestError};
use faultmaven_model::{AttachmentSummary, DataKind};
use std::io::Write;

fn log_lines(count: usize, tag: &str) -> Vec<u8> {
    (0..count)
        .map(|index| {
            format!(
                "2024-05-01 14:03:{:02} ERROR {tag}: request {index} failed\n",
                index % 60
            )
        })
        .collect::<String>()
        .into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 3).unwrap()
}

/// A tar entry: name, type flag, data (and link target for links).
struct Entry<'a> {
    name: &'a str,
    kind: tar::EntryType,
    data: &'a [u8],
}

fn file<'a>(name: &'a str, data: &'a [u8]) -> Entry<'a> {
    Entry {
        name,
        kind: tar::EntryType::Regular,
        data,
    }
}

/// A tar built header by header, so hostile names (`../x`, `/etc/x`) can be written as-is.
fn tar(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let name = entry.name.as_bytes();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_entry_type(entry.kind);
        header.set_size(entry.data.len() as u64);
        header.set_mode(0o644);
        if matches!(entry.kind, tar::EntryType::Symlink | tar::EntryType::Link) {
            header.set_link_name_literal("/etc/shadow").unwrap();
        }
        header.set_cksum();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(entry.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn config() -> IngestConfig {
    support::config()
}

fn parse(name: &str, bytes: &[u8]) -> (Vec<AttachmentSummary>, support::Upload) {
    support::parse_upload(name, bytes, 4093, &config()).unwrap()
}

fn names(summaries: &[AttachmentSummary]) -> Vec<&str> {
    summaries.iter().map(|s| s.name.as_str()).collect()
}

fn issues(summary: &AttachmentSummary) -> String {
    summary
        .issues
        .iter()
        .map(|issue| issue.reason.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn single_compressed_files_are_one_attachment() {
    let plain = log_lines(200, "api");
    let (expected, _) = parse("api.log", &plain);
    for (name, bytes) in [("api.log.gz", gzip(&plain)), ("api.log.zst", zstd(&plain))] {
        let (summaries, upload) = parse(name, &bytes);
        assert_eq!(summaries.len(), 1, "{name}");
        assert_eq!(summaries[0].format, "plain_text_log", "{name}");
        assert_eq!(summaries[0].records, expected[0].records, "{name}");
        assert_eq!(summaries[0].bytes, plain.len() as u64, "{name}");
        assert_eq!(upload.records.logs.len(), 200, "{name}");
        assert!(upload.announced.is_empty());
    }
}

#[test]
fn zip_members_are_attachments_of_their_own() {
    let metrics =
        b"time,cpu\n2024-05-01T14:00:00Z,10\n2024-05-01T14:01:00Z,12\n2024-05-01T14:02:00Z,90\n";
    let bundle = zip(&[
        ("var/log/app.log", &log_lines(30, "app")),
        ("metrics/host.csv", metrics),
        ("empty/", b""),
    ]);
    let (summaries, upload) = parse("bundle.zip", &bundle);
    assert_eq!(
        names(&summaries),
        [
            "bundle.zip",
            "bundle.zip!/var/log/app.log",
            "bundle.zip!/metrics/host.csv"
        ]
    );
    assert_eq!(summaries[0].kind, DataKind::Archive);
    assert_eq!(summaries[0].format, "zip");
    assert_eq!(summaries[1].format, "plain_text_log");
    assert_eq!(summaries[2].format, "csv_metrics");
    // Records cite the member, and the sink heard of each member first.
    assert!(upload
        .records
        .logs
        .iter()
        .all(|r| r.attachment == summaries[1].id));
    assert!(upload
        .records
        .metrics
        .iter()
        .all(|m| m.attachment == summaries[2].id));
    let announced: Vec<_> = upload.announced.iter().map(|(id, _)| *id).collect();
    assert_eq!(announced, [summaries[1].id, summaries[2].id]);
}

#[test]
fn tar_in_every_compression() {
    let app = log_lines(20, "app");
    let worker = log_lines(5, "worker");
    let archive = tar(&[
        Entry {
            name: "logs/",
            kind: tar::EntryType::Directory,
            data: b"",
        },
        file("logs/app.log", &app),
        file("logs/worker.log", &worker),
        file("logs/empty.log", b""),
    ]);
    for (name, bytes) in [
        ("logs.tar", archive.clone()),
        ("logs.tar.gz", gzip(&archive)),
        ("logs.tgz", gzip(&archive)),
        ("logs.tar.zst", zstd(&archive)),
    ] {
        let (summaries, upload) = parse(name, &bytes);
        assert_eq!(summaries.len(), 4, "{name}: {:?}", names(&summaries));
        assert_eq!(summaries[0].format, "tar", "{name}");
        assert_eq!(summaries[1].name, format!("{name}!/logs/app.log"));
        assert_eq!(summaries[1].records, 20, "{name}");
        assert_eq!(summaries[2].records, 5, "{name}");
        assert_eq!(summaries[3].format, "empty", "{name}");
        assert_eq!(upload.records.logs.len(), 25, "{name}");
        assert!(
            summaries[0].issues.is_empty(),
            "{name}: {}",
            issues(&summaries[0])
        );
    }
}

#[test]
fn archives_nest_and_the_depth_is_capped() {
    let inner_zip = zip(&[("deep.log.gz", &gzip(&log_lines(3, "deep")))]);
    let outer = tar(&[
        file("bundle/inner.zip", &inner_zip),
        file("bundle/app.log", &log_lines(2, "app")),
    ]);
    let (summaries, upload) = parse("support.tar.gz", &gzip(&outer));
    assert_eq!(
        names(&summaries),
        [
            "support.tar.gz",
            "support.tar.gz!/bundle/inner.zip",
            "support.tar.gz!/bundle/inner.zip!/deep.log.gz",
            "support.tar.gz!/bundle/app.log",
        ]
    );
    assert_eq!(summaries[2].records, 3);
    assert_eq!(upload.records.logs.len(), 5);

    // With two layers allowed, the gzip inside the zip inside the tar is one too many:
    // it is reported and the rest is still read.
    let shallow = IngestConfig {
        archive: ArchiveConfig {
            max_depth: 2,
            ..ArchiveConfig::default()
        },
        ..config()
    };
    let (summaries, upload) = support::parse_upload("support.tar", &outer, 1000, &shallow).unwrap();
    let zip_summary = summaries
        .iter()
        .find(|s| s.name.ends_with("inner.zip"))
        .unwrap();
    assert!(
        issues(zip_summary).contains("nested more than 2 levels deep"),
        "{}",
        issues(zip_summary)
    );
    assert_eq!(upload.records.logs.len(), 2);
}

#[test]
fn a_zip_bomb_is_skipped_by_its_ratio() {
    let zeros = vec![0u8; 50 << 20];
    let bomb = zip(&[("app.log", &log_lines(3, "app")), ("zeros.log", &zeros)]);
    assert!(bomb.len() < 200 << 10, "the bomb is small: {}", bomb.len());
    let (summaries, upload) = parse("bomb.zip", &bomb);
    assert_eq!(names(&summaries), ["bomb.zip", "bomb.zip!/app.log"]);
    assert!(
        issues(&summaries[0]).contains("zeros.log skipped"),
        "{}",
        issues(&summaries[0])
    );
    assert_eq!(upload.records.logs.len(), 3);
}

#[test]
fn a_gzip_bomb_inside_a_tar_stops_at_the_ratio_and_the_rest_is_read() {
    let bomb = gzip(&vec![b'a'; 20 << 20]);
    let archive = tar(&[
        file("bomb.log.gz", &bomb),
        file("after.log", &log_lines(4, "after")),
    ]);
    let (summaries, upload) = parse("logs.tar", &archive);
    let bomb_summary = summaries
        .iter()
        .find(|s| s.name.ends_with("bomb.log.gz"))
        .unwrap();
    assert!(
        issues(bomb_summary).contains("times its compressed size"),
        "{}",
        issues(bomb_summary)
    );
    assert!(
        bomb_summary.bytes <= 2 << 20,
        "stopped early: {}",
        bomb_summary.bytes
    );
    assert_eq!(
        upload
            .records
            .logs
            .iter()
            .filter(|r| r.source.as_deref() == Some("after"))
            .count(),
        4
    );
}

#[test]
fn the_upload_total_caps_every_member_together() {
    let members: Vec<Vec<u8>> = (0..5).map(|i| log_lines(2000, &format!("m{i}"))).collect();
    let entries: Vec<Entry<'_>> = members
        .iter()
        .enumerate()
        .map(|(i, data)| Entry {
            name: ["a.log", "b.log", "c.log", "d.log", "e.log"][i],
            kind: tar::EntryType::Regular,
            data,
        })
        .collect();
    let archive = gzip(&tar(&entries));
    let small = IngestConfig {
        max_decompressed_bytes: 2 * members[0].len() as u64,
        ..config()
    };
    let (summaries, upload) = support::parse_upload("big.tar.gz", &archive, 8192, &small).unwrap();
    assert!(
        issues(&summaries[0]).contains("reading stopped"),
        "{}",
        issues(&summaries[0])
    );
    // The first member is whole; nothing past the cap was parsed.
    assert_eq!(summaries[1].records, 2000);
    assert!(upload.records.logs.len() < 5 * 2000);
}

#[test]
fn ten_thousand_tiny_files_stop_at_the_member_limit() {
    let contents: Vec<(String, Vec<u8>)> = (0..10_000)
        .map(|i| {
            (
                format!("f/{i}.log"),
                format!("2024-05-01 14:00:00 INFO x: {i}\n").into_bytes(),
            )
        })
        .collect();
    let members: Vec<(&str, &[u8])> = contents
        .iter()
        .map(|(name, data)| (name.as_str(), data.as_slice()))
        .collect();
    let archive = zip(&members);
    let (summaries, upload) = parse("many.zip", &archive);
    let limit = ArchiveConfig::default().max_members;
    assert_eq!(summaries.len(), limit + 1);
    assert_eq!(upload.records.logs.len(), limit);
    assert!(
        issues(&summaries[0]).contains(&format!("{} members skipped", 10_000 - limit)),
        "{}",
        issues(&summaries[0])
    );
}

#[test]
fn hostile_tar_entries_are_reported_and_never_followed() {
    let archive = tar(&[
        file("../../etc/cron.d/evil", b"* * * * * root sh\n"),
        file("/var/log/absolute.log", &log_lines(2, "abs")),
        Entry {
            name: "link",
            kind: tar::EntryType::Symlink,
            data: b"",
        },
        Entry {
            name: "dev/sda",
            kind: tar::EntryType::Block,
            data: b"",
        },
        Entry {
            name: "fifo",
            kind: tar::EntryType::Fifo,
            data: b"",
        },
        file("ok.log", &log_lines(1, "ok")),
    ]);
    let (summaries, upload) = parse("hostile.tar", &archive);
    assert_eq!(
        names(&summaries),
        [
            "hostile.tar",
            "hostile.tar!/var/log/absolute.log",
            "hostile.tar!/ok.log"
        ]
    );
    let reported = issues(&summaries[0]);
    for expected in [
        "../../etc/cron.d/evil climbs out of the archive",
        "/var/log/absolute.log is an absolute path",
        "link link -> /etc/shadow not followed",
        "device or pipe entry dev/sda skipped",
        "device or pipe entry fifo skipped",
    ] {
        assert!(reported.contains(expected), "{expected}:\n{reported}");
    }
    assert_eq!(upload.records.logs.len(), 3);
}

#[test]
fn truncated_archives_keep_what_was_read() {
    let archive = tar(&[
        file("first.log", &log_lines(50, "first")),
        file("second.log", &log_lines(50, "second")),
    ]);
    let cut = &archive[..archive.len() - 1024 - 1500];
    let (summaries, upload) = parse("cut.tar", cut);
    let second = summaries
        .iter()
        .find(|s| s.name.ends_with("second.log"))
        .unwrap();
    assert!(
        issues(second).contains("ends inside this member"),
        "{}",
        issues(second)
    );
    assert_eq!(summaries[1].records, 50);
    assert!(upload.records.logs.len() > 50);

    // A cut tar.gz: the archive says where it stopped.
    let compressed = gzip(&archive);
    let (summaries, _) = parse("cut.tar.gz", &compressed[..compressed.len() / 2]);
    assert!(
        issues(&summaries[0]).contains("reading stopped"),
        "{}",
        issues(&summaries[0])
    );

    // A zip without its table of contents cannot be read: a clear error.
    let bundle = zip(&[("a.log", &log_lines(50, "a"))]);
    let error = support::parse_upload("cut.zip", &bundle[..bundle.len() - 30], 4096, &config())
        .unwrap_err();
    assert!(matches!(error, IngestError::Corrupt { .. }), "{error:?}");
}

#[test]
fn wrong_magic_is_text_or_a_clear_error() {
    // A zip signature followed by garbage.
    let mut fake_zip = b"PK\x03\x04".to_vec();
    fake_zip.extend_from_slice(&[0x55; 300]);
    let error = support::parse_upload("fake.zip", &fake_zip, 4096, &config()).unwrap_err();
    assert!(matches!(error, IngestError::Corrupt { .. }), "{error:?}");
    // A block that looks like a tar header but whose checksum is wrong is just text.
    let mut fake_tar = tar(&[file("a.log", b"hello\n")]);
    fake_tar[148] = b'9';
    let (summaries, _) = parse("fake.tar", &fake_tar);
    assert_ne!(summaries[0].format, "tar");
    // zstd magic then garbage.
    let mut fake_zstd = vec![0x28, 0xb5, 0x2f, 0xfd];
    fake_zstd.extend_from_slice(&[0xff; 64]);
    let error = support::parse_upload("x.zst", &fake_zstd, 4096, &config()).unwrap_err();
    assert!(matches!(error, IngestError::Corrupt { .. }), "{error:?}");
}

#[test]
fn a_zip_larger_than_its_cap_is_refused() {
    let bundle = zip(&[("a.log", &log_lines(2000, "a"))]);
    let small = IngestConfig {
        archive: ArchiveConfig {
            max_zip_bytes: 1024,
            ..ArchiveConfig::default()
        },
        ..config()
    };
    let error = support::parse_upload("big.zip", &bundle, 512, &small).unwrap_err();
    assert_eq!(error, IngestError::ZipTooLarge { limit: 1024 });
}

#[test]
fn samples_in_testdata() {
    let read = |name: &str| std::fs::read(support::testdata().join("archives").join(name)).unwrap();
    let (summaries, _) = parse("support-bundle.zip", &read("support-bundle.zip"));
    let formats: Vec<&str> = summaries.iter().map(|s| s.format.as_str()).collect();
    assert_eq!(
        formats,
        ["zip", "plain_text_log", "csv_metrics", "json_lines"]
    );
    let (summaries, _) = parse("nested-bundle.tar", &read("nested-bundle.tar"));
    assert_eq!(summaries.len(), 5, "{:?}", names(&summaries));
    let (summaries, _) = parse("node-logs.tar.gz", &read("node-logs.tar.gz"));
    let formats: Vec<&str> = summaries.iter().map(|s| s.format.as_str()).collect();
    assert_eq!(formats, ["tar", "plain_text_log", "json_lines"]);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Random bytes after a valid magic number never panic: a result or an error.
        #[test]
        fn random_bytes_after_a_magic_never_panic(
            magic in prop::sample::select(vec![
                &b"\x1f\x8b\x08\x00"[..],
                &b"\x28\xb5\x2f\xfd"[..],
                &b"PK\x03\x04"[..],
                &b"PK\x05\x06"[..],
            ]),
            body in prop::collection::vec(any::<u8>(), 0..2048),
            chunk in 1usize..700,
        ) {
            let mut bytes = magic.to_vec();
            bytes.extend_from_slice(&body);
            let _ = support::parse_upload("x", &bytes, chunk, &config());
        }

        /// A valid tar header followed by random bytes, or a valid archive with random
        /// damage, never panics either.
        #[test]
        fn damaged_archives_never_panic(
            flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..16),
            kind in 0usize..3,
            chunk in 1usize..4096,
        ) {
            let inner = tar(&[file("a.log", &log_lines(20, "a")), file("b.log.gz", &gzip(&log_lines(5, "b")))]);
            let mut bytes = match kind {
                0 => inner,
                1 => gzip(&inner),
                _ => zip(&[("a.log", &log_lines(20, "a")), ("t.tar", &inner)]),
            };
            for (position, value) in flips {
                let len = bytes.len();
                bytes[position % len] = value;
            }
            let _ = support::parse_upload("x", &bytes, chunk, &config());
        }
    }
}
