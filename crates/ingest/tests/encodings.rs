//! Text encodings: UTF-16 with and without a byte-order mark is converted while streaming,
//! invalid UTF-8 falls back to Latin-1 per line, NUL bytes and CRLF never fail a file.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

const LOG: &str = "2024-05-01 14:03:07,123 ERROR [main] db.Pool: connexion refusée\r\n2024-05-01 14:03:08,001 INFO [main] app: retry 😀 ok\r\n";

fn utf16(text: &str, little_endian: bool, bom: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    if bom {
        bytes.extend_from_slice(if little_endian {
            &[0xFF, 0xFE]
        } else {
            &[0xFE, 0xFF]
        });
    }
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&if little_endian {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    bytes
}

fn messages(name: &str, bytes: &[u8], chunks: &[usize]) -> (String, Vec<String>) {
    let (summary, (logs, _)) =
        support::parse_in_chunks(name, bytes, chunks, &support::config()).unwrap();
    (
        summary.format,
        logs.iter()
            .map(|record| record.message.to_string())
            .collect(),
    )
}

#[test]
fn utf16_in_both_byte_orders_with_and_without_mark() {
    let expected = vec!["connexion refusée".to_owned(), "retry 😀 ok".to_owned()];
    for little_endian in [true, false] {
        for bom in [true, false] {
            let bytes = utf16(LOG, little_endian, bom);
            // Odd chunk sizes split code units and the surrogate pair of the emoji.
            for chunks in [&[][..], &[1][..], &[3, 5][..]] {
                let (format, got) = messages("app.log", &bytes, chunks);
                assert_eq!(format, "plain_text_log", "le={little_endian} bom={bom}");
                assert_eq!(
                    got, expected,
                    "le={little_endian} bom={bom} chunks={chunks:?}"
                );
            }
        }
    }
}

#[test]
fn utf16_inside_gzip_is_converted_too() {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&utf16(LOG, true, true)).unwrap();
    let (format, got) = messages("app.log.gz", &encoder.finish().unwrap(), &[7]);
    assert_eq!(format, "plain_text_log");
    assert_eq!(got.len(), 2);
}

#[test]
fn latin1_bytes_nul_bytes_and_crlf_never_fail_a_file() {
    let mut bytes = b"2024-05-01 14:03:07 ERROR disk caf\xe9 full\r\n".to_vec();
    bytes.extend_from_slice(b"2024-05-01 14:03:08 WARN nul\0byte here\r\n");
    bytes.extend_from_slice(b"2024-05-01 14:03:09 INFO binary \xff\xfe\x00\x01 tail\r\n");
    let (format, got) = messages("app.log", &bytes, &[2]);
    assert_eq!(format, "plain_text_log");
    assert_eq!(
        got,
        vec![
            "disk café full".to_owned(),
            "nul\u{fffd}byte here".to_owned(),
            "binary \u{ff}\u{fe}\u{fffd}\u{1} tail".to_owned(),
        ]
    );
}
