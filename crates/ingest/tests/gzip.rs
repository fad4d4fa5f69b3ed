//! Compressed uploads: inflated while streaming, capped, and rejected when damaged.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::{AttachmentParser, IngestConfig, IngestError, IngestErrorKind, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::sync::Arc;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn log_lines(count: usize) -> Vec<u8> {
    (0..count)
        .map(|index| {
            format!(
                "2024-05-01 14:03:{:02} INFO api: request {index} done\n",
                index % 60
            )
        })
        .collect::<String>()
        .into_bytes()
}

#[test]
fn compressed_and_plain_give_the_same_records() {
    let plain = log_lines(500);
    let compressed = gzip(&plain);
    let (plain_summary, plain_records) = support::parse("api.log", &plain);
    for chunks in [&[][..], &[1][..], &[7, 300, 2][..]] {
        let (mut summary, records) =
            support::parse_in_chunks("api.log.gz", &compressed, chunks, &support::config())
                .unwrap();
        assert_eq!(summary.name, "api.log.gz");
        summary.name = plain_summary.name.clone();
        assert_eq!(summary, plain_summary, "chunks {chunks:?}");
        assert_eq!(records, plain_records, "chunks {chunks:?}");
    }
    assert_eq!(
        plain_summary.bytes,
        plain.len() as u64,
        "bytes are counted after inflating"
    );
}

#[test]
fn concatenated_members_are_all_read() {
    let mut both = gzip(&log_lines(10));
    both.extend(gzip(b"2024-05-01 14:04:00 ERROR api: second member\n"));
    let (summary, (logs, _)) = support::parse("rotated.log.gz", &both);
    assert_eq!(summary.lines, 11);
    assert_eq!(logs.last().unwrap().message, "second member");
}

#[test]
fn expanding_past_the_limit_fails_while_streaming() {
    // 8 MB of zeros compress to about 8 KB: a small bomb.
    let bomb = gzip(&vec![0u8; 8 << 20]);
    let config = IngestConfig {
        max_decompressed_bytes: 1 << 20,
        ..support::config()
    };
    let redactor = Arc::new(Redactor::new(&config.redaction));
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        "bomb.gz",
        AttachmentRole::Incident,
        &config,
        redactor,
    );
    let mut sink = (Vec::new(), Vec::new());
    let mut failure = None;
    for chunk in bomb.chunks(1024) {
        assert!(
            parser.buffered_bytes() < 256 * 1024,
            "buffered {}",
            parser.buffered_bytes()
        );
        if let Err(error) = parser.feed(chunk, &mut sink) {
            failure = Some(error);
            break;
        }
    }
    let error = failure.expect("the limit stops the upload");
    assert_eq!(error, IngestError::DecompressedTooLarge { limit: 1 << 20 });
    assert_eq!(error.kind(), IngestErrorKind::TooLarge);
    // The parser stays failed.
    assert_eq!(parser.feed(b"more", &mut sink), Err(error.clone()));
    assert_eq!(parser.finish(&mut sink), Err(error));
}

#[test]
fn damaged_streams_are_corrupt() {
    let good = gzip(&log_lines(50));
    // Garbage after the header.
    let mut garbage = good[..12].to_vec();
    garbage.extend_from_slice(&[0xff; 64]);
    let error = support::parse_in_chunks("x.gz", &garbage, &[], &support::config()).unwrap_err();
    assert!(matches!(error, IngestError::Corrupt { .. }), "{error:?}");
    assert_eq!(error.kind(), IngestErrorKind::InvalidInput);
    // Cut short: the trailer is missing.
    let truncated = &good[..good.len() - 6];
    let error = support::parse_in_chunks("x.gz", truncated, &[], &support::config()).unwrap_err();
    assert!(matches!(error, IngestError::Corrupt { .. }), "{error:?}");
    // A single byte that happens to be half the magic is plain text.
    let (summary, (logs, _)) = support::parse("one", &[0x1f]);
    assert_eq!((summary.lines, logs.len()), (1, 1));
}
